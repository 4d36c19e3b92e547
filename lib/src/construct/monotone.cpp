#include "fpx/construct/monotone.hpp"

#include <algorithm>
#include <limits>
#include <stdexcept>
#include <vector>

#include "support.hpp"
#include "fpx/exact/distributed.hpp"
#include "fpx/exact/random_stream.hpp"

namespace fpx {
namespace {

using Eigen::Index;

// The largest fall max_{i <= j} (v_i - v_j) of a sequence.
template <class T>
T largest_drop(const std::vector<T>& v) {
  T best = 0, running_max = v.front();
  for (const T& x : v) {
    running_max = std::max(running_max, x);
    best = std::max(best, T(running_max - x));
  }
  return best;
}

std::vector<double> samples(const target_function& f, int grid) {
  std::vector<double> v(static_cast<std::size_t>(grid) + 1);
  for (int k = 0; k <= grid; ++k) v[static_cast<std::size_t>(k)] = f.value(static_cast<double>(k) / grid, 0);
  return v;
}

void require_one_input(const target_function& f, const char* who) {
  if (f.inputs != 1) throw std::invalid_argument(std::string(who) + ": target '" + f.name + "' has two inputs");
}

// Searches score smooth targets on a coarser grid: a grid error is a lower estimate of the sup,
// so "never below the floor" stays a valid check, and it is 16 times cheaper.
constexpr int search_grid = 256;

struct candidate {
  double error = 0;
  std::uint64_t index = 0;
};

// The best (smallest error, then smallest index) over [0, count), with a deterministic merge.
template <class Make>
unsigned_search best_of(const target_function& f, std::uint64_t count, unsigned threads, Make make) {
  const auto ranges = map_units(
      count, 64, threads,
      [&](std::uint64_t begin, std::uint64_t end) {
        candidate best{std::numeric_limits<double>::infinity(), begin};
        for (std::uint64_t i = begin; i < end; ++i) {
          const double e = shifted_error(make(i), f, search_grid);
          if (e < best.error) best = {e, i};
        }
        return best;
      },
      [](const candidate& c) {
        byte_writer w;
        w.put(c.error).put(c.index);
        return w.take();
      },
      [](const std::string& bytes) {
        byte_reader r(bytes);
        candidate c;
        c.error = r.get<double>();
        c.index = r.get<std::uint64_t>();
        return c;
      });
  unsigned_search out;
  out.best_error = std::numeric_limits<double>::infinity();
  for (const candidate& c : ranges)
    if (c.error < out.best_error) {
      out.best_error = c.error;
      out.best_index = c.index;
    }
  out.networks = count;
  out.exact = f.exact.has_value();
  return out;
}

mlp one_hidden_layer(const std::vector<rational>& input_weights, const std::vector<rational>& biases,
                     const std::vector<rational>& output_weights, activation act) {
  const Index w = static_cast<Index>(input_weights.size());
  dense_layer hidden{{rmatrix(w, 1), rvector(w)}, act};
  dense_layer out{{rmatrix(1, w), rvector::Zero(1)}, activation::identity};
  for (Index u = 0; u < w; ++u) {
    hidden.map.weight(u, 0) = input_weights[static_cast<std::size_t>(u)];
    hidden.map.bias(u) = biases[static_cast<std::size_t>(u)];
    out.map.weight(0, u) = output_weights[static_cast<std::size_t>(u)];
  }
  return mlp{{hidden, out}};
}

}  // namespace

bool in_monotone_class(const mlp& model) {
  for (const dense_layer& layer : model.layers)
    for (Index i = 0; i < layer.map.weight.size(); ++i)
      if (layer.map.weight.data()[i] < 0) return false;
  return true;
}

double monotone_floor(const target_function& f, int grid) {
  if (f.inputs == 1 && f.exact) return static_cast<double>(largest_drop(f.exact->values) / 2);
  if (f.inputs == 1) return largest_drop(samples(f, grid)) / 2;
  // Two inputs: the running maximum over the lower-left quadrant of each grid point.
  const std::size_t side = static_cast<std::size_t>(grid) + 1;
  std::vector<double> below_left(side * side);
  double best = 0;
  for (std::size_t i = 0; i < side; ++i)
    for (std::size_t j = 0; j < side; ++j) {
      const double v = f.value(static_cast<double>(i) / grid, static_cast<double>(j) / grid);
      double m = v;
      if (i) m = std::max(m, below_left[(i - 1) * side + j]);
      if (j) m = std::max(m, below_left[i * side + j - 1]);
      below_left[i * side + j] = m;
      best = std::max(best, m - v);
    }
  return best / 2;
}

mlp unsigned_interpolant(const target_function& f, int pieces, const rational& quantum) {
  require_one_input(f, "unsigned_interpolant");
  if (pieces < 1 || quantum <= 0)
    throw std::invalid_argument("unsigned_interpolant: pieces and quantum must be positive");
  // The best monotone approximation (max_{t<=x} f + min_{t>=x} f) / 2, sampled 64 times per piece.
  constexpr int fine = 64;
  std::vector<double> v = samples(f, fine * pieces), low(v.size());
  std::vector<double> high(v.size());
  high.front() = v.front();
  for (std::size_t i = 1; i < v.size(); ++i) high[i] = std::max(high[i - 1], v[i]);
  low.back() = v.back();
  for (std::size_t i = v.size() - 1; i-- > 0;) low[i] = std::min(low[i + 1], v[i]);
  auto envelope = [&](int k) {
    const std::size_t i = static_cast<std::size_t>(k) * fine;
    return rational((high[i] + low[i]) / 2);
  };
  const rational bias = quantum * detail::nearest_integer(envelope(0) / quantum);
  std::vector<rational> copies;
  rational value = bias;
  Index width = 0;
  for (int k = 0; k < pieces; ++k) {
    const rational n = std::max(rational(0), detail::nearest_integer((envelope(k + 1) - value) / quantum));
    copies.push_back(n);
    width += static_cast<Index>(n);
    value += n * quantum;
  }
  if (width == 0) return detail::constant_network(1, bias);
  dense_layer ramps{{rmatrix(width, 1), rvector(width)}, activation::clipped_relu};
  dense_layer out{{rmatrix::Constant(1, width, quantum), rvector::Constant(1, bias)}, activation::identity};
  Index u = 0;
  for (int k = 0; k < pieces; ++k)
    for (rational c = copies[static_cast<std::size_t>(k)]; c > 0; --c, ++u) {
      ramps.map.weight(u, 0) = pieces;
      ramps.map.bias(u) = -k;
    }
  return mlp{{ramps, out}};
}

double shifted_error(const mlp& model, const target_function& f, int grid) {
  require_one_input(f, "shifted_error");
  const piecewise_linear g = network_function(model, 0, 1);
  if (f.exact) {
    const piecewise_linear d = *f.exact - g;
    const auto [lo, hi] = std::minmax_element(d.values.begin(), d.values.end());
    return static_cast<double>((*hi - *lo) / 2);
  }
  double lo = std::numeric_limits<double>::infinity(), hi = -lo;
  for (int k = 0; k <= grid; ++k) {
    const rational x(k, grid);
    const double d = f.value(static_cast<double>(x), 0) - static_cast<double>(g(x));
    lo = std::min(lo, d);
    hi = std::max(hi, d);
  }
  return (hi - lo) / 2;
}

unsigned_search search_unsigned_random(const target_function& f, int width, std::uint64_t count,
                                       std::uint64_t seed, unsigned threads) {
  require_one_input(f, "search_unsigned_random");
  if (width < 1) throw std::invalid_argument("search_unsigned_random: width must be positive");
  const auto w = static_cast<std::size_t>(width);
  return best_of(f, count, threads, [&](std::uint64_t i) {
    random_stream r(seed, i);
    const rational s_in(r.uniform(0x1p-53, 4)), s_out(r.uniform(0x1p-53, 4));
    std::vector<rational> in(w), bias(w), out(w);
    for (std::size_t u = 0; u < w; ++u) {
      in[u] = r.coin() ? s_in : rational(0);
      bias[u] = rational(r.uniform(-4, 4));
      out[u] = r.coin() ? s_out : rational(0);
    }
    return one_hidden_layer(in, bias, out, r.coin() ? activation::relu : activation::clipped_relu);
  });
}

unsigned_search search_unsigned_exhaustive(const target_function& f, int width, unsigned threads) {
  require_one_input(f, "search_unsigned_exhaustive");
  if (width < 1 || width > 3) throw std::invalid_argument("search_unsigned_exhaustive: width must be 1..3");
  const std::vector<rational> scales{rational(1, 2), 1, 2};
  std::vector<rational> biases;
  for (int b = -4; b <= 4; ++b) biases.push_back(rational(b, 2));
  // Index digits, lowest first: activation (2), input scale (3), output scale (3), then per unit
  // input weight (2), bias (9) and output weight (2).
  const std::uint64_t per_unit = 2 * biases.size() * 2;
  std::uint64_t count = 2 * 3 * 3;
  for (int u = 0; u < width; ++u) count *= per_unit;
  const auto w = static_cast<std::size_t>(width);
  return best_of(f, count, threads, [&](std::uint64_t i) {
    const activation act = i % 2 ? activation::clipped_relu : activation::relu;
    i /= 2;
    const rational s_in = scales[i % 3];
    i /= 3;
    const rational s_out = scales[i % 3];
    i /= 3;
    std::vector<rational> in(w), bias(w), out(w);
    for (std::size_t u = 0; u < w; ++u) {
      in[u] = i % 2 ? s_in : rational(0);
      i /= 2;
      bias[u] = biases[i % biases.size()];
      i /= biases.size();
      out[u] = i % 2 ? s_out : rational(0);
      i /= 2;
    }
    return one_hidden_layer(in, bias, out, act);
  });
}

}  // namespace fpx
