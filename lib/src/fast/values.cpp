#include "fpx/fast/values.hpp"

#include <fmt/core.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <map>
#include <mutex>
#include <stdexcept>
#include <string>
#include <vector>

#include "fpx/arith/codec.hpp"
#include "fpx/arith/ops.hpp"
#include "fpx/arith/round.hpp"
#include "fpx/exact/rational.hpp"
#include "fpx/fast/detail/batches.hpp"
#include "fpx/fast/detail/scalar.hpp"
#include "kernels/batch_kernels.hpp"
#include "kernels/kernel_params.hpp"

namespace fpx {

namespace {

void check_sizes(const char* who, std::size_t in, std::size_t out) {
  if (in != out)
    throw std::invalid_argument(fmt::format("{}: {} inputs, {} outputs", who, in, out));
}

// The chunk of a range that lives in buffers on the stack: the operands' codes and the
// results stay in L1 between the passes.
constexpr std::size_t chunk = 512;

}  // namespace

// --- fast_decoder ----------------------------------------------------------------------------

fast_decoder::fast_decoder(const format& f) : format_(f) {
  decoder_ = kernels::shared_decoder(f);
}

double fast_decoder::operator()(code_t code) const {
  if (!is_valid_code(format_, code))
    throw std::invalid_argument(fmt::format("code {:#x} is not a code of {}", code, format_.name()));
  return detail::value_of(format_, code);
}

void fast_decoder::operator()(std::span<const code_t> codes, std::span<double> out, unsigned threads) const {
  check_sizes("fast_decoder", codes.size(), out.size());
  detail::for_each_batch(codes.size(), threads, [&](std::size_t lo, std::size_t hi) {
    if (decoder_ && !kernels::best_batch().decode_codes(*decoder_, codes.data() + lo, out.data() + lo, hi - lo))
      return;
    for (std::size_t i = lo; i < hi; ++i) {
      if (!is_valid_code(format_, codes[i]))
        throw std::invalid_argument(fmt::format("codes[{}] = {:#x} is not a code of {}", i, codes[i], format_.name()));
      out[i] = detail::value_of(format_, codes[i]);
    }
  });
}

// --- value_reader ----------------------------------------------------------------------------

value_reader::value_reader(const format& f) : format_(f) {
  encoder_ = kernels::shared_encoder(f, {round_mode::rtz});
  if (encoder_) decoder_ = kernels::shared_decoder(f);
}

code_t value_reader::operator()(double x, std::string_view what, std::uint64_t index) const {
  const format& f = format_;
  if (std::isnan(x)) {
    if (!f.has_nan()) throw std::invalid_argument(fmt::format("{}[{}] is NaN, which {} does not have", what, index, f.name()));
    return nan_code(f);
  }
  if (std::isinf(x)) {
    if (!f.has_inf())
      throw std::invalid_argument(fmt::format("{}[{}] is infinite, which {} does not have", what, index, f.name()));
    return inf_code(f, x < 0);
  }
  // Beyond the range a rounding may throw (the `error` policy) or give NaN or an infinity
  // (fn and fnuz formats): x is then not a value either.
  bool value = false;
  code_t c = 0;
  try {
    c = from_double(f, x);
    const number_class k = classify(f, c);
    value = k != number_class::nan && k != number_class::infinite && to_rational(f, c) == rational(x) &&
            !(x == 0 && f.has_negative_zero() && std::signbit(x) != is_negative(f, c));
  } catch (const std::overflow_error&) {
  } catch (const std::domain_error&) {
  }
  if (!value)
    throw std::invalid_argument(
        fmt::format("{}[{}] = {} is not a value of {}; round it first", what, index, x, f.name()));
  return c;
}

void value_reader::operator()(std::span<const double> x, std::span<code_t> out, std::string_view what,
                              std::uint64_t first_index, unsigned threads) const {
  check_sizes("value_reader", x.size(), out.size());
  detail::for_each_batch(x.size(), threads, [&](std::size_t lo, std::size_t hi) {
    if (encoder_ && !kernels::best_batch().exact_codes(*encoder_, *decoder_, x.data() + lo, out.data() + lo, hi - lo))
      return;
    for (std::size_t i = lo; i < hi; ++i) out[i] = (*this)(x[i], what, first_index + i);
  });
}

// --- value_arith -----------------------------------------------------------------------------

namespace {

constexpr std::uint16_t needs_reference = 0x8000;

// sqrt's results for every code of a format of 8 bits or fewer under one deterministic mode
// (marked where the reference path throws or the code is unused), built once per process.
std::shared_ptr<const std::vector<std::uint16_t>> sqrt_table(const format& f, round_mode mode) {
  static std::mutex mutex;
  static std::map<std::string, std::shared_ptr<const std::vector<std::uint16_t>>> cache;
  const std::string key = f.name() + "|" + std::string(to_string(f.overflow())) + "|" + std::string(to_string(mode));
  const std::lock_guard lock(mutex);
  auto& slot = cache[key];
  if (!slot) {
    auto table = std::make_shared<std::vector<std::uint16_t>>(256, needs_reference);
    for (code_t c = 0; c < (code_t{1} << f.bits()); ++c) {
      if (!is_valid_code(f, c)) continue;
      try {
        (*table)[c] = static_cast<std::uint16_t>(fpx::sqrt(f, c, {mode, 0}, 0));
      } catch (const std::domain_error&) {
      } catch (const std::overflow_error&) {
      }
    }
    slot = std::move(table);
  }
  return slot;
}

code_t reference_op(int op, const format& f, code_t a, code_t b, const rounding& r, std::uint64_t site) {
  switch (static_cast<kernels::binary_op>(op)) {
    case kernels::binary_op::add: return fpx::add(f, a, b, r, site);
    case kernels::binary_op::sub: return fpx::sub(f, a, b, r, site);
    case kernels::binary_op::mul: return fpx::mul(f, a, b, r, site);
    case kernels::binary_op::div: return fpx::div(f, a, b, r, site);
  }
  return 0;
}

}  // namespace

struct value_arith::state {
  value_reader reader;
  fast_decoder decoder;
  const detail::fast_target* target = nullptr;  // fma and sqrt on doubles (deterministic modes)
  std::shared_ptr<const std::vector<std::uint16_t>> sqrt_results;  // formats of <= 8 bits
};

value_arith::value_arith(const format& f, const rounding& r) : format_(f), rule_(r), arith_(f, r) {
  auto s = std::make_shared<state>(state{value_reader(f), fast_decoder(f), detail::fast_target::make(f, r), nullptr});
  if (arith_.path() == arithmetic_path::table) s->sqrt_results = sqrt_table(f, r.mode);
  state_ = std::move(s);
}

value_arith::~value_arith() = default;
value_arith::value_arith(const value_arith&) = default;
value_arith& value_arith::operator=(const value_arith&) = default;

void value_arith::binary(int op, std::span<const double> a, std::span<const double> b, std::span<double> out,
                         std::uint64_t first_site, unsigned threads) const {
  if (a.size() != b.size() || a.size() != out.size())
    throw std::invalid_argument(fmt::format("value_arith: operands of {} and {} elements, {} outputs", a.size(),
                                            b.size(), out.size()));
  const state& s = *state_;
  detail::for_each_batch(a.size(), threads, [&](std::size_t lo, std::size_t hi) {
    std::array<code_t, chunk> ca, cb, co;
    for (std::size_t c = lo; c < hi; c += chunk) {
      const std::size_t m = std::min(chunk, hi - c);
      if (s.target && !kernels::best_batch().value_arithmetic(static_cast<kernels::binary_op>(op), s.target->encoder,
                                                              s.target->decoder, a.data() + c, b.data() + c,
                                                              out.data() + c, m))
        continue;
      try {
        s.reader(a.subspan(c, m), std::span(ca.data(), m), "a", c);
        s.reader(b.subspan(c, m), std::span(cb.data(), m), "b", c);
        const std::span<const code_t> x(ca.data(), m), y(cb.data(), m);
        const std::span<code_t> z(co.data(), m);
        switch (static_cast<kernels::binary_op>(op)) {
          case kernels::binary_op::add: arith_.add(x, y, z, first_site + c); break;
          case kernels::binary_op::sub: arith_.sub(x, y, z, first_site + c); break;
          case kernels::binary_op::mul: arith_.mul(x, y, z, first_site + c); break;
          case kernels::binary_op::div: arith_.div(x, y, z, first_site + c); break;
        }
        s.decoder(std::span<const code_t>(co.data(), m), out.subspan(c, m));
      } catch (...) {
        // Element by element, operands before their result, so the error is the first element's.
        for (std::size_t i = c; i < c + m; ++i) {
          const code_t x = s.reader(a[i], "a", i), y = s.reader(b[i], "b", i);
          out[i] = detail::value_of(format_, reference_op(op, format_, x, y, rule_, first_site + i));
        }
      }
    }
  });
}

void value_arith::add(std::span<const double> a, std::span<const double> b, std::span<double> out,
                      std::uint64_t first_site, unsigned threads) const {
  binary(static_cast<int>(kernels::binary_op::add), a, b, out, first_site, threads);
}
void value_arith::sub(std::span<const double> a, std::span<const double> b, std::span<double> out,
                      std::uint64_t first_site, unsigned threads) const {
  binary(static_cast<int>(kernels::binary_op::sub), a, b, out, first_site, threads);
}
void value_arith::mul(std::span<const double> a, std::span<const double> b, std::span<double> out,
                      std::uint64_t first_site, unsigned threads) const {
  binary(static_cast<int>(kernels::binary_op::mul), a, b, out, first_site, threads);
}
void value_arith::div(std::span<const double> a, std::span<const double> b, std::span<double> out,
                      std::uint64_t first_site, unsigned threads) const {
  binary(static_cast<int>(kernels::binary_op::div), a, b, out, first_site, threads);
}

void value_arith::fma(std::span<const double> a, std::span<const double> b, std::span<const double> c,
                      std::span<double> out, std::uint64_t first_site, unsigned threads) const {
  if (a.size() != b.size() || a.size() != c.size() || a.size() != out.size())
    throw std::invalid_argument(fmt::format("value_arith: operands of {}, {} and {} elements, {} outputs",
                                            a.size(), b.size(), c.size(), out.size()));
  const state& s = *state_;
  detail::for_each_batch(a.size(), threads, [&](std::size_t lo, std::size_t hi) {
    std::array<code_t, chunk> ca, cb, cc;
    std::array<double, chunk> va, vb, vc;  // the operands' values (-0 read as +0 where the format has no -0)
    for (std::size_t k = lo; k < hi; k += chunk) {
      const std::size_t m = std::min(chunk, hi - k);
      if (s.target && !kernels::best_batch().value_fma(s.target->encoder, s.target->decoder, a.data() + k,
                                                       b.data() + k, c.data() + k, out.data() + k, m))
        continue;
      try {
        s.reader(a.subspan(k, m), std::span(ca.data(), m), "a", k);
        s.reader(b.subspan(k, m), std::span(cb.data(), m), "b", k);
        s.reader(c.subspan(k, m), std::span(cc.data(), m), "c", k);
      } catch (...) {
        for (std::size_t i = k; i < k + m; ++i) s.reader(a[i], "a", i), s.reader(b[i], "b", i), s.reader(c[i], "c", i);
        throw;
      }
      if (s.target) {
        s.decoder(std::span<const code_t>(ca.data(), m), std::span(va.data(), m));
        s.decoder(std::span<const code_t>(cb.data(), m), std::span(vb.data(), m));
        s.decoder(std::span<const code_t>(cc.data(), m), std::span(vc.data(), m));
        for (std::size_t i = 0; i < m; ++i)
          out[k + i] = detail::fast::fma(*s.target, va[i], vb[i], vc[i], rule_, first_site + k + i);
      } else {
        for (std::size_t i = 0; i < m; ++i)
          out[k + i] = detail::value_of(format_, fpx::fma(format_, ca[i], cb[i], cc[i], rule_, first_site + k + i));
      }
    }
  });
}

void value_arith::sqrt(std::span<const double> a, std::span<double> out, std::uint64_t first_site,
                       unsigned threads) const {
  check_sizes("value_arith", a.size(), out.size());
  const state& s = *state_;
  detail::for_each_batch(a.size(), threads, [&](std::size_t lo, std::size_t hi) {
    std::array<code_t, chunk> ca, co;
    std::array<double, chunk> va;
    for (std::size_t k = lo; k < hi; k += chunk) {
      const std::size_t m = std::min(chunk, hi - k);
      if (s.target && !kernels::best_batch().value_sqrt(s.target->encoder, a.data() + k, out.data() + k, m)) continue;
      s.reader(a.subspan(k, m), std::span(ca.data(), m), "a", k);
      const auto reference = [&](std::size_t i) {
        return detail::value_of(format_, fpx::sqrt(format_, ca[i], rule_, first_site + k + i));
      };
      if (s.sqrt_results) {
        std::uint16_t marks = 0;
        for (std::size_t i = 0; i < m; ++i) {
          const std::uint16_t entry = (*s.sqrt_results)[ca[i] & 0xff];
          marks |= entry;
          co[i] = entry;
        }
        if (!(marks & needs_reference)) {
          s.decoder(std::span<const code_t>(co.data(), m), out.subspan(k, m));
          continue;
        }
        for (std::size_t i = 0; i < m; ++i) out[k + i] = reference(i);
      } else if (s.target) {
        s.decoder(std::span<const code_t>(ca.data(), m), std::span(va.data(), m));
        for (std::size_t i = 0; i < m; ++i)
          out[k + i] = va[i] > 0 && std::isfinite(va[i])
                           ? detail::fast::sqrt(*s.target, va[i], rule_, first_site + k + i)
                           : reference(i);
      } else {
        for (std::size_t i = 0; i < m; ++i) out[k + i] = reference(i);
      }
    }
  });
}

// --- value_dot -------------------------------------------------------------------------------

struct value_dot::state {
  format in, out;
  accumulation rule;
  rounding r;
  value_reader reader;
  fast_decoder decoder;
  const detail::fast_target *out_target = nullptr, *product = nullptr, *accumulator = nullptr;
  bool product_is_accumulator = false;
};

value_dot::value_dot(const format& in, const format& out, const accumulation& rule, const rounding& r) {
  auto s = std::make_shared<state>(state{in, out, rule, r, value_reader(in), fast_decoder(in)});
  const format product = rule.product.value_or(out), accumulator = rule.accumulator.value_or(out);
  s->out_target = detail::fast_target::make(out, r);
  s->product = detail::fast_target::make(product, r);
  s->accumulator = detail::fast_target::make(accumulator, r);
  // fast_target::make caches one target per format and mode: equal formats share it.
  s->product_is_accumulator = s->product == s->accumulator;
  if (!s->decoder.is_fast()) s->out_target = nullptr;  // the operands' values must be exact doubles
  if (rule.sum_order == accumulation::order::given && rule.permutation.empty())
    throw std::invalid_argument("dot: order 'given' needs a permutation");
  state_ = std::move(s);
}

value_dot::~value_dot() = default;
value_dot::value_dot(const value_dot&) = default;
value_dot& value_dot::operator=(const value_dot&) = default;

bool value_dot::is_fast() const { return state_->out_target && state_->product && state_->accumulator; }

double value_dot::operator()(std::span<const double> a, std::span<const double> b, std::uint64_t first_site,
                             std::uint64_t first_index) const {
  const state& s = *state_;
  if (a.size() != b.size())
    throw std::invalid_argument(fmt::format("dot: lengths differ ({} and {})", a.size(), b.size()));
  thread_local std::vector<code_t> ca, cb;
  thread_local std::vector<double> va, vb;
  ca.resize(a.size());
  cb.resize(b.size());
  try {
    s.reader(a, ca, "a", first_index);
    s.reader(b, cb, "b", first_index);
  } catch (...) {
    for (std::size_t k = 0; k < a.size(); ++k) s.reader(a[k], "a", first_index + k), s.reader(b[k], "b", first_index + k);
    throw;
  }
  if (is_fast()) {
    va.resize(a.size());
    vb.resize(b.size());
    s.decoder(ca, va);
    s.decoder(cb, vb);
    std::uint64_t site = first_site;
    return detail::fast::dot(va, vb, nullptr, *s.out_target, *s.product, *s.accumulator, s.product_is_accumulator,
                             s.rule, s.r, site);
  }
  return detail::value_of(s.out, fpx::dot(s.in, ca, cb, s.out, s.rule, s.r, first_site));
}

void value_dot::rows(std::span<const double> a, std::span<const double> b, std::size_t n, std::span<double> out,
                     std::uint64_t first_site, unsigned threads) const {
  if (a.size() != b.size() || a.size() != n * out.size())
    throw std::invalid_argument(fmt::format("dot: {} and {} operands for {} rows of {}", a.size(), b.size(),
                                            out.size(), n));
  const std::size_t rows_per_range = std::max<std::size_t>(1, detail::batch_range / std::max<std::size_t>(n, 1));
  detail::for_each_batch(out.size(), threads, [&](std::size_t lo, std::size_t hi) {
    for (std::size_t i = lo; i < hi; ++i)
      out[i] = (*this)(a.subspan(i * n, n), b.subspan(i * n, n), first_site + i * (2 * n + 1), i * n);
  }, rows_per_range);
}

}  // namespace fpx
