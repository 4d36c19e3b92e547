#include "fpx/fast/rounder.hpp"

#include <stdexcept>
#include <string>

#include "fpx/arith/round.hpp"
#include "kernels/batch_kernels.hpp"
#include "kernels/kernel_params.hpp"
#include "fpx/fast/detail/batches.hpp"

namespace fpx {
namespace {

template <class Input>
void round_batch(const format& f, const rounding& r, const kernels::encoder* e, std::span<const Input> xs,
                 std::span<code_t> out, std::uint64_t first_site) {
  if (xs.size() != out.size())
    throw std::invalid_argument("fast_rounder: " + std::to_string(xs.size()) + " inputs, " +
                                std::to_string(out.size()) + " outputs");
  const auto& batch = kernels::best_batch();
  bool reference = e == nullptr;
  if (!reference) {
    if constexpr (std::is_same_v<Input, double>)
      reference = batch.encode_doubles(*e, xs.data(), out.data(), xs.size(), first_site);
    else
      reference = batch.encode_floats(*e, xs.data(), out.data(), xs.size(), first_site);
  }
  if (reference)
    for (std::size_t i = 0; i < xs.size(); ++i) out[i] = from_double(f, xs[i], r, first_site + i);
}

}  // namespace

fast_rounder::fast_rounder(const format& f, const rounding& r) : format_(f), rule_(r) {
  encoder_ = kernels::shared_encoder(f, r);
  if (encoder_) decoder_ = kernels::shared_decoder(f);
}

fast_rounder fast_rounder::with_seed(std::uint64_t seed) const {
  fast_rounder copy = *this;
  copy.rule_.seed = seed;
  if (encoder_ && encoder_->seed != seed) {
    auto e = std::make_shared<kernels::encoder>(*encoder_);
    e->seed = seed;
    copy.encoder_ = std::move(e);
  }
  return copy;
}

code_t fast_rounder::operator()(double x, std::uint64_t site) const {
  if (!encoder_) return from_double(format_, x, rule_, site);
  std::uint64_t reference = 0;
  const std::uint32_t u = rule_.mode == round_mode::stochastic ? stochastic_bits(rule_.seed, site) : 0;
  const code_t c = kernels::encode(*encoder_, x, u, reference);
  return reference ? from_double(format_, x, rule_, site) : c;
}

void fast_rounder::operator()(std::span<const double> xs, std::span<code_t> out, std::uint64_t first_site,
                              unsigned threads) const {
  if (xs.size() != out.size()) round_batch(format_, rule_, encoder_.get(), xs, out, first_site);  // throws
  detail::for_each_batch(xs.size(), threads, [&](std::size_t lo, std::size_t hi) {
    round_batch(format_, rule_, encoder_.get(), xs.subspan(lo, hi - lo), out.subspan(lo, hi - lo), first_site + lo);
  });
}

void fast_rounder::round_values(std::span<const double> xs, std::span<double> values, std::uint64_t first_site,
                                unsigned threads) const {
  if (xs.size() != values.size())
    throw std::invalid_argument("fast_rounder: " + std::to_string(xs.size()) + " inputs, " +
                                std::to_string(values.size()) + " outputs");
  detail::for_each_batch(xs.size(), threads, [&](std::size_t lo, std::size_t hi) {
    const std::size_t n = hi - lo;
    if (encoder_ && !kernels::best_batch().round_values(*encoder_, *decoder_, xs.data() + lo, values.data() + lo, n,
                                                        first_site + lo))
      return;
    for (std::size_t i = lo; i < hi; ++i) values[i] = detail::value_of(format_, from_double(format_, xs[i], rule_, first_site + i));
  });
}

void fast_rounder::operator()(std::span<const float> xs, std::span<code_t> out, std::uint64_t first_site) const {
  round_batch(format_, rule_, encoder_.get(), xs, out, first_site);
}

std::vector<code_t> from_doubles(const format& f, std::span<const double> xs, const rounding& r,
                                 std::uint64_t first_site) {
  std::vector<code_t> out(xs.size());
  fast_rounder(f, r)(xs, out, first_site);
  return out;
}


}  // namespace fpx
