#include "fpx/fast/detail/scalar.hpp"

#include <bit>
#include <cmath>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <stdexcept>

#include "fpx/arith/codec.hpp"
#include "fpx/arith/ops.hpp"
#include "fpx/arith/round.hpp"
#include "fpx/arith/detail/dot_order.hpp"
#include "fpx/arith/detail/operand.hpp"
#include "fpx/fast/detail/exact_double.hpp"
#include "kernels/kernel_params.hpp"

namespace fpx::detail {

const fast_target* fast_target::make(const format& f, const rounding& r) {
  if (r.mode == round_mode::stochastic) return nullptr;
  // Building an encoder asks the reference path what overflow and specials become (some of it
  // by catching exceptions): done once per format and mode for the process, as an evaluation
  // needs twelve of them. Formats the fast path does not take are remembered as nullopt. Map
  // nodes do not move, so the pointers stay valid.
  static std::mutex mutex;
  static std::map<std::string, std::optional<fast_target>, std::less<>> cache;
  thread_local std::string key;  // reused: this runs twelve times per evaluation
  key.assign(f.name()).append("|").append(to_string(f.overflow())).append("|").append(to_string(r.mode));
  const std::lock_guard lock(mutex);
  auto it = cache.find(key);
  if (it == cache.end()) {
    std::optional<fast_target> t;
    if (kernels::double_arithmetic_is_exact(f))
      t = fast_target{f, *kernels::make_encoder(f, r), *kernels::make_decoder(f)};
    it = cache.emplace(key, std::move(t)).first;
  }
  return it->second ? &*it->second : nullptr;
}

std::optional<double> exactly_double(const rational& x) {
  // By reference: numerator() and denominator() return copies.
  const bigint& num = x.backend().data().numerator();
  const bigint& den = x.backend().data().denominator();
  if (num.backend().size() == 1 && den.backend().size() == 1) {  // one limb each: the common case
    const std::uint64_t n = *num.backend().limbs(), d = *den.backend().limbs();
    if ((d & (d - 1)) != 0 || (n >> 53) != 0) return std::nullopt;
    const double v = std::ldexp(static_cast<double>(n), -std::countr_zero(d));
    return num.sign() < 0 ? -v : v;
  }
  if (msb(den) != lsb(den) || msb(den) > 1000) return std::nullopt;  // den = 2^k, modest k
  if (num != 0 && msb(abs(num)) >= 53) return std::nullopt;
  return std::ldexp(num.convert_to<double>(), -static_cast<int>(msb(den)));
}

namespace fast {
namespace {

using kernels::binary_op;

// A double as the reference path's operand (every double is a value of fp64).
operand as_operand(double x) {
  static const format fp64 = preset("fp64");
  return load(fp64, std::bit_cast<code_t>(x));
}

FPX_KERNEL_INLINE double value(const fast_target& t, code_t code) {
  std::uint64_t unused = 0;
  return t.f.minifloat() ? kernels::decode<false>(t.decoder, code, unused)
                         : kernels::decode<true>(t.decoder, code, unused);
}

// The value of x rounded into e's format by the plain kernels; `special` is set where they
// cannot give it.
template <round_mode Mode>
FPX_KERNEL_INLINE double round_plain(const kernels::encoder& e, double x, std::uint64_t& special) {
  return e.grid ? kernels::round_grid_plain<Mode>(e, x, special) : kernels::round_minifloat_plain<Mode>(e, x, special);
}

// The same with the mode read at run time.
FPX_KERNEL_INLINE double round_plain(const kernels::encoder& e, double x, std::uint64_t& special) {
  switch (e.mode) {
    case round_mode::rne: return round_plain<round_mode::rne>(e, x, special);
    case round_mode::rtz: return round_plain<round_mode::rtz>(e, x, special);
    case round_mode::up: return round_plain<round_mode::up>(e, x, special);
    case round_mode::down: return round_plain<round_mode::down>(e, x, special);
    default: special = 1; return 0;  // plain is set only for the modes above
  }
}

// The target's value nearest `odd` (an exact result rounded to odd), or the reference path's
// answer when the encoder cannot give it.
template <class Reference>
double finish(const fast_target& t, double odd, Reference reference) {
  if (t.encoder.plain) {
    std::uint64_t special = 0;
    const double v = round_plain(t.encoder, odd, special);
    if (!special) return v;
  }
  std::uint64_t needs_reference = 0;
  const code_t code = kernels::encode(t.encoder, odd, 0, needs_reference);
  return value(t, needs_reference ? reference() : code);
}

template <binary_op Op>
double exact_to_odd(double x, double y, round_mode mode) {
  // Only `down` changes an exact result (the sign of an exact zero sum).
  return mode == round_mode::down ? kernels::exact_to_odd<Op, round_mode::down>(x, y)
                                  : kernels::exact_to_odd<Op, round_mode::rne>(x, y);
}

}  // namespace

double convert(const fast_target& t, double x, const rounding& r, std::uint64_t site) {
  return finish(t, x, [&] { return round_operand(as_operand(x), t.f, r, site); });
}

double add(const fast_target& t, double x, double y, const rounding& r, std::uint64_t site) {
  return finish(t, exact_to_odd<binary_op::add>(x, y, r.mode),
                [&] { return detail::add(as_operand(x), as_operand(y), t.f, r, site); });
}

double mul(const fast_target& t, double x, double y, const rounding& r, std::uint64_t site) {
  return finish(t, exact_to_odd<binary_op::mul>(x, y, r.mode),
                [&] { return detail::mul(as_operand(x), as_operand(y), t.f, r, site); });
}

double div(const fast_target& t, double x, double y, const rounding& r, std::uint64_t site) {
  return finish(t, exact_to_odd<binary_op::div>(x, y, r.mode),
                [&] { return detail::div(as_operand(x), as_operand(y), t.f, r, site); });
}

double exp(const fast_target& t, double x, const rounding& r, std::uint64_t site) {
  auto reference = [&] { return value(t, detail::exp(as_operand(x), t.f, r, site)); };
  if (x == 0) return convert(t, 1.0, r, site);
  const double y = std::exp(x);
  if (!std::isnormal(y)) return reference();
  std::uint64_t needs_reference = 0;
  const code_t low = kernels::encode(t.encoder, y * (1 - 0x1p-50), 0, needs_reference);
  const code_t high = kernels::encode(t.encoder, y * (1 + 0x1p-50), 0, needs_reference);
  return needs_reference || low != high ? reference() : value(t, low);
}

double sqrt(const fast_target& t, double x, const rounding& r, std::uint64_t site) {
  return finish(t, kernels::sqrt_to_odd(x), [&] { return fpx::sqrt(t.f, from_double(t.f, x), r, site); });
}

double fma(const fast_target& t, double a, double b, double c, const rounding& r, std::uint64_t site) {
  auto reference = [&] { return detail::fma(as_operand(a), as_operand(b), as_operand(c), t.f, r, site); };
  const double p = a * b;
  // The sum of three doubles has no two-term exact form; products of narrow formats are exact.
  if (std::isfinite(p) && std::fma(a, b, -p) != 0) return value(t, reference());
  return finish(t, exact_to_odd<binary_op::add>(p, c, r.mode), reference);
}

namespace {

// The operations of a dot product with the rounding mode read at run time, per operation.
struct general_ops {
  static double convert(const fast_target& t, double x, const rounding& r, std::uint64_t site) {
    return fast::convert(t, x, r, site);
  }
  static double add(const fast_target& t, double x, double y, const rounding& r, std::uint64_t site) {
    return fast::add(t, x, y, r, site);
  }
  static double mul(const fast_target& t, double x, double y, const rounding& r, std::uint64_t site) {
    return fast::mul(t, x, y, r, site);
  }
};

// The same with the mode fixed for the whole dot product: the plain kernels inline, so a
// term costs a few dozen instructions instead of calls that switch on the mode; what they
// cannot give (an infinite or NaN result, a format that is not plain) goes to general_ops.
template <round_mode Mode>
struct plain_ops {
  static constexpr round_mode exact_mode = Mode == round_mode::down ? round_mode::down : round_mode::rne;

  // x (an exact result rounded to odd) rounded into t by the plain kernels; false where they
  // cannot give it.
  FPX_KERNEL_INLINE static bool round(const fast_target& t, double x, double& v) {
    const kernels::encoder& e = t.encoder;
    if (!e.plain) return false;
    std::uint64_t special = 0;
    v = round_plain<Mode>(e, x, special);
    return !special;
  }
  FPX_KERNEL_INLINE static double convert(const fast_target& t, double x, const rounding& r, std::uint64_t site) {
    double v;
    return round(t, x, v) ? v : general_ops::convert(t, x, r, site);
  }
  FPX_KERNEL_INLINE static double add(const fast_target& t, double x, double y, const rounding& r, std::uint64_t site) {
    double v;
    return round(t, kernels::exact_to_odd<binary_op::add, exact_mode>(x, y), v) ? v : general_ops::add(t, x, y, r, site);
  }
  FPX_KERNEL_INLINE static double mul(const fast_target& t, double x, double y, const rounding& r, std::uint64_t site) {
    double v;
    return round(t, kernels::exact_to_odd<binary_op::mul, exact_mode>(x, y), v) ? v : general_ops::mul(t, x, y, r, site);
  }
};

template <class Ops>
struct dot_state {
  std::span<const double> a, b;
  const fast_target &product, &acc;
  const rounding& r;
  std::uint64_t& site;
  bool product_is_accumulator;

  FPX_KERNEL_INLINE double sum(double x, double y) { return Ops::add(acc, x, y, r, site++); }
  // Term i rounded into `product` (a product) and then into the accumulator; the second
  // rounding is exact when the formats agree.
  FPX_KERNEL_INLINE double term(std::size_t i) {
    if (b.empty()) return Ops::convert(acc, a[i], r, site++);
    const double p = Ops::mul(product, a[i], b[i], r, site++);
    return product_is_accumulator ? p : Ops::convert(acc, p, r, site++);
  }
  double fused(std::size_t i, double total) { return fma(acc, a[i], b[i], total, r, site++); }
};

// The terms summed in the rule's order (identity_order or a vector of indices), then rounded
// into `out`.
template <class Ops, class Order>
double ordered_dot(std::span<const double> a, std::span<const double> b, const double* bias,
                   const fast_target& out, const fast_target& product, const fast_target& accumulator,
                   bool product_is_accumulator, const accumulation& rule, const Order& idx,
                   const rounding& r, std::uint64_t& site) {
  dot_state<Ops> s{a, b, product, accumulator, r, site, product_is_accumulator};
  const double total = ordered_sum(s, rule, idx, !b.empty(), bias, 0.0);
  // A finite sum of at least one term is a value of the accumulator; when that is `out` too
  // (one cached target), its rounding site is counted but the conversion is the identity.
  if (&out == &accumulator && std::isfinite(total) && (!a.empty() || bias)) {
    ++site;
    return total;
  }
  return Ops::convert(out, total, r, site++);
}

template <class Ops>
double dot_in_order(std::span<const double> a, std::span<const double> b, const double* bias,
                    const fast_target& out, const fast_target& product, const fast_target& accumulator,
                    bool product_is_accumulator, const accumulation& rule, const rounding& r,
                    std::uint64_t& site) {
  if (rule.sum_order == accumulation::order::left_to_right)
    return ordered_dot<Ops>(a, b, bias, out, product, accumulator, product_is_accumulator, rule,
                            identity_order{a.size()}, r, site);
  // The order's buffer is kept: this runs for every dot product of an evaluation.
  thread_local std::vector<std::size_t> idx;
  summation_order(rule, a.size(), idx);
  return ordered_dot<Ops>(a, b, bias, out, product, accumulator, product_is_accumulator, rule, idx, r, site);
}

// Exact accumulation: the reference dot on the same operands. Out of line, so that its
// operand vectors do not weigh on the fast dot's frame.
[[gnu::noinline]] double exact_dot(std::span<const double> a, std::span<const double> b, const double* bias,
                                   const fast_target& out, const fast_target& product,
                                   const fast_target& accumulator, const accumulation& rule,
                                   const rounding& r, std::uint64_t& site) {
  std::vector<operand> x, y;
  for (double v : a) x.push_back(as_operand(v));
  for (double v : b) y.push_back(as_operand(v));
  const operand ob = bias ? as_operand(*bias) : operand{};
  accumulation exact = rule;
  exact.product = product.f;
  exact.accumulator = accumulator.f;
  return value(out, detail::dot(x, y, bias ? &ob : nullptr, out.f, exact, r, site));
}

[[noreturn, gnu::cold, gnu::noinline]] void lengths_differ(std::size_t a, std::size_t b) {
  throw std::invalid_argument("dot: lengths differ (" + std::to_string(a) + " and " + std::to_string(b) + ")");
}

}  // namespace

double dot(std::span<const double> a, std::span<const double> b, const double* bias,
           const fast_target& out, const fast_target& product, const fast_target& accumulator,
           bool product_is_accumulator, const accumulation& rule, const rounding& r, std::uint64_t& site) {
  if (rule.where == accumulation::rounding_points::once_per_dot_product)
    return exact_dot(a, b, bias, out, product, accumulator, rule, r, site);
  if (!b.empty() && a.size() != b.size()) lengths_differ(a.size(), b.size());
  const auto in_order = [&]<class Ops>(Ops) {
    return dot_in_order<Ops>(a, b, bias, out, product, accumulator, product_is_accumulator, rule, r, site);
  };
  switch (r.mode) {
    case round_mode::rne: return in_order(plain_ops<round_mode::rne>{});
    case round_mode::rtz: return in_order(plain_ops<round_mode::rtz>{});
    case round_mode::up: return in_order(plain_ops<round_mode::up>{});
    case round_mode::down: return in_order(plain_ops<round_mode::down>{});
    default: return in_order(general_ops{});  // the plain kernels take only the modes above
  }
}

}  // namespace fast
}  // namespace fpx::detail
