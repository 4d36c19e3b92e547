#include "fpx/fast/elementwise.hpp"

#include <array>
#include <map>
#include <mutex>
#include <stdexcept>
#include <string>
#include <vector>

#include "fpx/arith/ops.hpp"
#include "fpx/arith/codec.hpp"
#include "fpx/exact/parallel.hpp"
#include "kernels/batch_kernels.hpp"
#include "kernels/kernel_params.hpp"

namespace fpx {

using kernels::binary_op;

namespace {

constexpr std::array<binary_op, 4> operations = {binary_op::add, binary_op::sub, binary_op::mul,
                                                 binary_op::div};
constexpr std::uint16_t needs_reference = 0x8000;

code_t reference_op(binary_op op, const format& f, code_t a, code_t b, const rounding& r, std::uint64_t site) {
  switch (op) {
    case binary_op::add: return fpx::add(f, a, b, r, site);
    case binary_op::sub: return fpx::sub(f, a, b, r, site);
    case binary_op::mul: return fpx::mul(f, a, b, r, site);
    case binary_op::div: return fpx::div(f, a, b, r, site);
  }
  return 0;
}

// Every result of op in f under a deterministic mode, from the reference path, at a << 8 | b
// whatever the width (a constant stride keeps the lookup loop short); entries whose operation
// throws, or whose operands are unused codes, are marked for the reference path. Rows are
// filled on every core; each entry depends on its operands only.
std::vector<std::uint16_t> build_table(const format& f, binary_op op, round_mode mode) {
  const code_t count = code_t{1} << f.bits();
  std::vector<std::uint16_t> table(256 * 256, needs_reference);
  map_ranges(count, 1, 0, [&](code_t a, code_t) {
    if (!is_valid_code(f, a)) return 0;
    for (code_t b = 0; b < count; ++b) {
      if (!is_valid_code(f, b)) continue;
      try {
        table[(a << 8) | b] = static_cast<std::uint16_t>(reference_op(op, f, a, b, {mode, 0}, 0));
      } catch (const std::domain_error&) {
      } catch (const std::overflow_error&) {
      }
    }
    return 0;
  });
  return table;
}

// The table's results as bytes where no pair of codes below 2^bits is marked (every code of
// the format valid, no operation throwing); empty otherwise.
std::vector<std::uint8_t> unmarked_bytes(const std::vector<std::uint16_t>& table, int bits) {
  const code_t count = code_t{1} << bits;
  std::vector<std::uint8_t> bytes(table.size());
  for (code_t a = 0; a < count; ++a)
    for (code_t b = 0; b < count; ++b) {
      const std::uint16_t entry = table[(a << 8) | b];
      if (entry & needs_reference) return {};
      bytes[(a << 8) | b] = static_cast<std::uint8_t>(entry);
    }
  return bytes;
}

bool integer_applies(const format& f) {
  const auto* g = f.grid();
  if (!g || !g->twos_complement || g->bits > 32 || !f.is_dyadic()) return false;
  return msb(numerator(g->scale)) == 0;  // scale 2^-F with F >= 0
}

}  // namespace

// The four operations' tables of one format and mode, shared by every fast_arith on them.
struct fast_arith::tables {
  std::array<std::vector<std::uint16_t>, 4> results;
  std::array<std::vector<std::uint8_t>, 4> unmarked;  // the same as bytes, where unmarked_bytes gives them

  static std::shared_ptr<const tables> of(const format& f, round_mode mode) {
    static std::mutex mutex;
    static std::map<std::string, std::shared_ptr<const tables>> cache;
    const std::string key = f.name() + "|" + std::string(to_string(f.overflow())) + "|" +
                            std::string(to_string(mode));
    const std::lock_guard lock(mutex);
    auto& slot = cache[key];
    if (!slot) {
      auto t = std::make_shared<tables>();
      for (binary_op op : operations) {
        const int k = static_cast<int>(op);
        t->results[k] = build_table(f, op, mode);
        t->unmarked[k] = unmarked_bytes(t->results[k], f.bits());
      }
      slot = std::move(t);
    }
    return slot;
  }
};

std::string_view to_string(arithmetic_path p) {
  switch (p) {
    case arithmetic_path::table: return "table";
    case arithmetic_path::integer: return "integer";
    case arithmetic_path::float64: return "float64";
    case arithmetic_path::reference: return "reference";
  }
  return "?";
}

fast_arith::fast_arith(const format& f, const rounding& r, std::optional<arithmetic_path> path)
    : format_(f), rule_(r), path_(arithmetic_path::reference) {
  const bool deterministic = r.mode != round_mode::stochastic;
  const bool float64 = deterministic && kernels::double_arithmetic_is_exact(f);
  auto applies = [&](arithmetic_path p) {
    switch (p) {
      case arithmetic_path::table: return deterministic && f.is_dyadic() && f.bits() <= 8;
      case arithmetic_path::integer: return deterministic && integer_applies(f);
      case arithmetic_path::float64: return float64;
      case arithmetic_path::reference: return true;
    }
    return false;
  };
  if (path) {
    if (!applies(*path))
      throw std::invalid_argument("fast_arith: the " + std::string(to_string(*path)) +
                                  " path does not apply to " + f.name() + " with mode " +
                                  rounding_name(r));
    path_ = *path;
  } else {
    for (auto p : {arithmetic_path::table, arithmetic_path::integer, arithmetic_path::float64})
      if (applies(p)) {
        path_ = p;
        break;
      }
  }
  if (path_ == arithmetic_path::table) tables_ = tables::of(f, r.mode);
  if (path_ == arithmetic_path::integer || path_ == arithmetic_path::float64) {
    encoder_ = kernels::shared_encoder(f, r);
    decoder_ = kernels::shared_decoder(f);
  }
}

namespace {

void check_sizes(std::size_t a, std::size_t b, std::size_t out) {
  if (a != b || a != out)
    throw std::invalid_argument("fast_arith: operands of " + std::to_string(a) + " and " +
                                std::to_string(b) + " elements, " + std::to_string(out) + " outputs");
}

}  // namespace

void fast_arith::apply(int op_index, std::span<const code_t> a, std::span<const code_t> b,
                       std::span<code_t> out, std::uint64_t first_site) const {
  check_sizes(a.size(), b.size(), out.size());
  const auto op = static_cast<binary_op>(op_index);
  const auto& batch = kernels::best_batch();
  bool reference = true;
  switch (path_) {
    case arithmetic_path::table: {
      const auto& unmarked = tables_->unmarked[op_index];
      reference = unmarked.empty()
                      ? batch.lookup(tables_->results[op_index].data(), a.data(), b.data(), out.data(), a.size())
                      : batch.lookup_unmarked(unmarked.data(), format_.bits(), a.data(), b.data(), out.data(), a.size());
      break;
    }
    case arithmetic_path::integer:
      reference = op == binary_op::div && kernels::double_arithmetic_is_exact(format_)
                      ? batch.arithmetic(op, *decoder_, *encoder_, a.data(), b.data(), out.data(), a.size())
                      : batch.integer(op, *decoder_, *encoder_, a.data(), b.data(), out.data(), a.size());
      break;
    case arithmetic_path::float64:
      reference = batch.arithmetic(op, *decoder_, *encoder_, a.data(), b.data(), out.data(), a.size());
      break;
    case arithmetic_path::reference: break;
  }
  if (reference)
    for (std::size_t i = 0; i < a.size(); ++i)
      out[i] = reference_op(op, format_, a[i], b[i], rule_, first_site + i);
}

void fast_arith::apply(int op_index, std::span<const std::uint8_t> a, std::span<const std::uint8_t> b,
                       std::span<std::uint8_t> out, std::uint64_t first_site) const {
  check_sizes(a.size(), b.size(), out.size());
  if (path_ != arithmetic_path::table)
    throw std::invalid_argument("fast_arith: codes in bytes take the table path only; " + format_.name() +
                                " is on the " + std::string(to_string(path_)) + " path");
  const auto& batch = kernels::best_batch();
  const auto& unmarked = tables_->unmarked[op_index];
  const bool reference =
      unmarked.empty()
          ? batch.lookup_bytes(tables_->results[op_index].data(), a.data(), b.data(), out.data(), a.size())
          : batch.lookup_unmarked_bytes(unmarked.data(), format_.bits(), a.data(), b.data(), out.data(), a.size());
  if (reference)  // results of formats of 8 bits or fewer fit in a byte
    for (std::size_t i = 0; i < a.size(); ++i)
      out[i] = static_cast<std::uint8_t>(
          reference_op(static_cast<binary_op>(op_index), format_, a[i], b[i], rule_, first_site + i));
}

void fast_arith::add(std::span<const code_t> a, std::span<const code_t> b, std::span<code_t> out,
                     std::uint64_t first_site) const {
  apply(static_cast<int>(binary_op::add), a, b, out, first_site);
}
void fast_arith::sub(std::span<const code_t> a, std::span<const code_t> b, std::span<code_t> out,
                     std::uint64_t first_site) const {
  apply(static_cast<int>(binary_op::sub), a, b, out, first_site);
}
void fast_arith::mul(std::span<const code_t> a, std::span<const code_t> b, std::span<code_t> out,
                     std::uint64_t first_site) const {
  apply(static_cast<int>(binary_op::mul), a, b, out, first_site);
}
void fast_arith::div(std::span<const code_t> a, std::span<const code_t> b, std::span<code_t> out,
                     std::uint64_t first_site) const {
  apply(static_cast<int>(binary_op::div), a, b, out, first_site);
}

void fast_arith::add(std::span<const std::uint8_t> a, std::span<const std::uint8_t> b,
                     std::span<std::uint8_t> out, std::uint64_t first_site) const {
  apply(static_cast<int>(binary_op::add), a, b, out, first_site);
}
void fast_arith::sub(std::span<const std::uint8_t> a, std::span<const std::uint8_t> b,
                     std::span<std::uint8_t> out, std::uint64_t first_site) const {
  apply(static_cast<int>(binary_op::sub), a, b, out, first_site);
}
void fast_arith::mul(std::span<const std::uint8_t> a, std::span<const std::uint8_t> b,
                     std::span<std::uint8_t> out, std::uint64_t first_site) const {
  apply(static_cast<int>(binary_op::mul), a, b, out, first_site);
}
void fast_arith::div(std::span<const std::uint8_t> a, std::span<const std::uint8_t> b,
                     std::span<std::uint8_t> out, std::uint64_t first_site) const {
  apply(static_cast<int>(binary_op::div), a, b, out, first_site);
}

}  // namespace fpx
