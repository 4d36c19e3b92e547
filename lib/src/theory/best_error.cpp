#include "fpx/theory/best_error.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <map>
#include <stdexcept>
#include <tuple>

#include "fpx/exact/parallel.hpp"

namespace fpx {
namespace {

[[noreturn]] void bad(const std::string& why) { throw std::invalid_argument("best_grid_error: " + why); }

constexpr int max_width = 4;

// Dyadic with at most 16 fractional bits and |x| <= 16: products of two such numbers and sums
// of a few of them are exact in double (at most 32 fractional and 10 integer bits).
std::vector<double> checked(const std::vector<rational>& v, const char* what) {
  if (v.empty()) bad(std::string("no ") + what);
  std::vector<double> out;
  for (const rational& r : v) {
    const double d = abs(r) <= 16 ? static_cast<double>(r) : 17.0;
    if (std::abs(d) > 16 || exact_rational(d) != r || std::floor(d * 0x1p16) != d * 0x1p16)
      bad(std::string(what) + " must be dyadic with at most 16 fractional bits and at most 16 in magnitude (" +
          to_fraction_string(r) + ")");
    out.push_back(d);
  }
  return out;
}

// One unit times its output weight, v ReLU(a x + c), as the function it computes on [0, 1]:
// bent (knot t = -c/a strictly inside): s (x - t) on the active side (x > t when a > 0, x < t
// when a < 0), 0 on the other, s = v a; otherwise affine, at0 + (at1 - at0) x.
struct feature {
  std::size_t ia = 0, ic = 0, iv = 0;  // the first unit (in the walk over a, c, v) giving it
  bool bent = false, rising = false;   // rising: a > 0
  double knot = 0, slope = 0, at0 = 0, at1 = 0;
};

struct space {
  int width = 0;
  std::vector<double> levels, biases, scales;
  std::vector<feature> features;
};

space make_space(int width, const std::vector<rational>& levels, const std::vector<rational>& biases,
                 const std::vector<rational>& scales) {
  if (width < 1 || width > max_width) bad("width must be 1..4");
  space s;
  s.width = width;
  s.levels = checked(levels, "levels");
  s.biases = checked(biases, "biases");
  s.scales = checked(scales, "scales");
  for (double x : s.scales)
    if (!(x >= 0x1p-16)) bad("scales must be positive (at least 2^-16)");
  std::map<std::tuple<bool, double, double, double>, feature> distinct;
  for (std::size_t ia = 0; ia < s.levels.size(); ++ia)
    for (std::size_t ic = 0; ic < s.biases.size(); ++ic)
      for (std::size_t iv = 0; iv < s.levels.size(); ++iv) {
        const double a = s.levels[ia], c = s.biases[ic], v = s.levels[iv];
        feature f{ia, ic, iv};
        f.at0 = v * std::max(c, 0.0);
        f.at1 = v * std::max(a + c, 0.0);
        // Bent when a x + c changes sign strictly inside: c and a + c of opposite signs.
        f.bent = v != 0 && ((c < 0 && a + c > 0) || (c > 0 && a + c < 0));
        if (f.bent) {
          f.rising = a > 0;
          f.knot = -c / a;
          f.slope = v * a;
        }
        distinct.try_emplace({f.bent, f.bent ? f.knot : 0.0, f.at0, f.at1}, f);
      }
  for (const auto& [key, f] : distinct) s.features.push_back(f);
  return s;
}

double multisets(double n, int k) {
  double c = 1;
  for (int i = 0; i < k; ++i) c = c * (n + i) / (i + 1);
  return c;
}

// The exact form of a feature, built from the rational inputs.
struct exact_feature {
  bool bent = false, rising = false;
  rational knot, slope, at0, at1;
};

exact_feature exact_of(const feature& f, const std::vector<rational>& levels, const std::vector<rational>& biases) {
  const rational& a = levels[f.ia];
  const rational& c = biases[f.ic];
  const rational& v = levels[f.iv];
  exact_feature e;
  e.bent = f.bent;
  e.rising = f.rising;
  e.at0 = c > 0 ? rational(v * c) : rational(0);
  e.at1 = a + c > 0 ? rational(v * (a + c)) : rational(0);
  if (f.bent) {
    e.knot = -c / a;
    e.slope = v * a;
  }
  return e;
}

// The target's exact form, and the same form in double for the screening (the screening must
// see the function the recheck sees, whatever `value` a caller's target carries).
struct target_form {
  const target_function* f = nullptr;
  bool polynomial = false;
  std::array<double, 3> coefficients{};
  std::vector<double> knots, values;  // piecewise linear, in double
};

// The target at x, in T.
template <class T>
T target_at(const target_form& t, const T& x) {
  if constexpr (std::is_same_v<T, double>) {
    if (t.polynomial) return t.coefficients[0] + x * (t.coefficients[1] + x * t.coefficients[2]);
    std::size_t i = 1;
    while (i + 1 < t.knots.size() && t.knots[i] < x) ++i;
    const double w = (x - t.knots[i - 1]) / (t.knots[i] - t.knots[i - 1]);
    return t.values[i - 1] + w * (t.values[i] - t.values[i - 1]);
  } else {
    if (t.polynomial) return (*t.f->polynomial)[0] + x * ((*t.f->polynomial)[1] + x * (*t.f->polynomial)[2]);
    return (*t.f->exact)(x);
  }
}

// max and min of f - S g over [0, 1] for the features `chosen` (T = double or rational).
template <class T, class Feature>
std::pair<T, T> extremes(const target_form& f, const std::vector<T>& target_knots,
                         const std::array<const Feature*, max_width>& chosen, int width, const T& scale) {
  T A0 = 0, A1 = 0;
  std::array<T, 2 * max_width + 16> points{};
  int n = 0;
  points[n++] = T(0);
  points[n++] = T(1);
  for (const T& k : target_knots) points[n++] = k;
  for (int k = 0; k < width; ++k) {
    const Feature& u = *chosen[static_cast<std::size_t>(k)];
    if (u.bent) {
      points[n++] = T(u.knot);
    } else {
      A0 += T(u.at0);
      A1 += T(u.at1);
    }
  }
  std::sort(points.begin(), points.begin() + n);
  n = static_cast<int>(std::unique(points.begin(), points.begin() + n) - points.begin());
  const T affine_slope = A1 - A0;
  auto value = [&](const T& x) {
    T g = A0 + affine_slope * x;
    for (int k = 0; k < width; ++k) {
      const Feature& u = *chosen[static_cast<std::size_t>(k)];
      if (u.bent && (u.rising ? x > T(u.knot) : x < T(u.knot))) g += T(u.slope) * (x - T(u.knot));
    }
    return g;
  };
  T hi = 0, lo = 0;
  bool first = true;
  auto see = [&](const T& r) {
    if (first || r > hi) hi = r;
    if (first || r < lo) lo = r;
    first = false;
  };
  T previous_g = 0;
  for (int i = 0; i < n; ++i) {
    const T& p = points[static_cast<std::size_t>(i)];
    const T g = value(p);
    see(target_at(f, p) - scale * g);
    if (f.polynomial && i > 0 && f.coefficients[2] != 0) {
      // On (p_prev, p) g is linear with the slope of the units active there; f - S g is a
      // parabola whose vertex, if inside, is its other extreme.
      const T& q = points[static_cast<std::size_t>(i) - 1];
      T slope = affine_slope;
      for (int k = 0; k < width; ++k) {
        const Feature& u = *chosen[static_cast<std::size_t>(k)];
        if (u.bent && (u.rising ? T(u.knot) <= q : T(u.knot) >= p)) slope += T(u.slope);
      }
      T q1, q2;
      if constexpr (std::is_same_v<T, double>) {
        q1 = f.coefficients[1];
        q2 = f.coefficients[2];
      } else {
        q1 = (*f.f->polynomial)[1];
        q2 = (*f.f->polynomial)[2];
      }
      const T vertex = (scale * slope - q1) / (2 * q2);
      if (vertex > q && vertex < p) see(target_at(f, vertex) - scale * (previous_g + slope * (vertex - q)));
    }
    previous_g = g;
  }
  return {hi, lo};
}

struct candidate {
  std::array<std::uint32_t, max_width> chosen{};
  std::uint32_t scale = 0;
  double error = 0;
};

struct part {
  double best = std::numeric_limits<double>::infinity();
  std::vector<candidate> near;  // settings within the margin of `best` (pruned as it falls)
};

}  // namespace

double best_grid_error_size(int width, const std::vector<rational>& levels, const std::vector<rational>& biases,
                            const std::vector<rational>& scales) {
  const space s = make_space(width, levels, biases, scales);
  return multisets(static_cast<double>(s.features.size()), width) * static_cast<double>(s.scales.size());
}

best_error_result best_grid_error(const target_function& f, int width, const std::vector<rational>& levels,
                                  const std::vector<rational>& biases, const std::vector<rational>& scales,
                                  double budget, unsigned threads) {
  if (f.inputs != 1) bad("target '" + f.name + "' has " + std::to_string(f.inputs) + " inputs; the class has one");
  if (!f.exact && !f.polynomial)
    bad("target '" + f.name + "' has no exact form (piecewise linear or polynomial): its sup error could not be exact");
  if (!(budget > 0) || !std::isfinite(budget)) bad("the budget must be finite and positive");
  if (static_cast<double>(levels.size()) * static_cast<double>(levels.size()) * static_cast<double>(biases.size()) > 1e7)
    bad("more than 10^7 units (levels^2 biases): the reduction itself would not fit");
  const space s = make_space(width, levels, biases, scales);
  const double size = multisets(static_cast<double>(s.features.size()), width) * static_cast<double>(s.scales.size());
  if (size > budget)
    bad("the walk has " + std::to_string(size) + " (multiset, scale) pairs, more than the budget " + std::to_string(budget));

  // The target's form in double, its knots inside (0, 1), and a bound on its magnitude.
  target_form form;
  form.f = &f;
  std::vector<rational> knots_exact;
  std::vector<double> knots;
  double target_max = 0;
  auto small = [](const rational& x) { return abs(x) <= 16; };
  if (f.polynomial) {
    form.polynomial = true;
    for (std::size_t i = 0; i < 3; ++i) {
      if (!small((*f.polynomial)[i])) bad("target '" + f.name + "': polynomial coefficients must be at most 16 in magnitude");
      form.coefficients[i] = static_cast<double>((*f.polynomial)[i]);
      target_max += std::abs(form.coefficients[i]);
    }
  } else {
    if (f.exact->knots.size() < 2 || f.exact->lower() != 0 || f.exact->upper() != 1)
      bad("target '" + f.name + "': its piecewise-linear form must cover exactly [0, 1]");
    for (std::size_t i = 0; i < f.exact->knots.size(); ++i) {
      const rational& k = f.exact->knots[i];
      if (!small(f.exact->values[i])) bad("target '" + f.name + "': values must be at most 16 in magnitude");
      form.knots.push_back(static_cast<double>(k));
      form.values.push_back(static_cast<double>(f.exact->values[i]));
      target_max = std::max(target_max, std::abs(form.values.back()));
      if (k > 0 && k < 1) {
        knots_exact.push_back(k);
        knots.push_back(static_cast<double>(k));
      }
    }
    if (knots.size() > 8) bad("target '" + f.name + "' has more than 8 knots inside (0, 1)");
    for (std::size_t i = 1; i < form.knots.size(); ++i)  // distinct in double, so the screening can interpolate
      if (!(form.knots[i] > form.knots[i - 1])) bad("target '" + f.name + "': knots closer than a double resolves");
  }
  double level_max = 0, bias_max = 0, scale_max = 0;
  for (double x : s.levels) level_max = std::max(level_max, std::abs(x));
  for (double x : s.biases) bias_max = std::max(bias_max, std::abs(x));
  for (double x : s.scales) scale_max = std::max(scale_max, x);
  const double bound = 1 + target_max + scale_max * width * level_max * (level_max + bias_max);
  // Every value in the screening (g at a point, f there, their difference, a piece's slope and
  // vertex) is at most a few times `bound`, and is reached by at most about 40 operations each
  // rounding by a relative 2^-53 (target values interpolated in double included), so each double
  // error is within 2^-44 bound of the exact one. Every setting whose double error is within
  // 2^-39 bound of the best double error is recomputed exactly: the exactly optimal settings are
  // among them, with a margin of 16 for the estimate.
  const double margin = 0x1p-39 * bound;

  const std::size_t F = s.features.size();
  auto parts = map_ranges(F, 1, threads, [&](std::uint64_t begin, std::uint64_t end) {
    part out;
    std::array<std::uint32_t, max_width> idx{};
    std::array<const feature*, max_width> chosen{};
    auto visit = [&] {
      for (std::uint32_t k = 0; k < s.scales.size(); ++k) {
        const auto [hi, lo] = extremes<double>(form, knots, chosen, width, s.scales[k]);
        const double e = (hi - lo) / 2;
        if (e > out.best + margin) continue;
        if (e < out.best) {
          out.best = e;
          if (out.near.size() > 1024)
            std::erase_if(out.near, [&](const candidate& c) { return c.error > out.best + margin; });
        }
        out.near.push_back({idx, k, e});
      }
    };
    auto walk = [&](auto& self, int depth) -> void {
      if (depth == width) {
        visit();
        return;
      }
      for (std::uint32_t j = idx[static_cast<std::size_t>(depth) - 1]; j < F; ++j) {
        idx[static_cast<std::size_t>(depth)] = j;
        chosen[static_cast<std::size_t>(depth)] = &s.features[j];
        self(self, depth + 1);
      }
    };
    for (std::uint64_t j = begin; j < end; ++j) {
      idx[0] = static_cast<std::uint32_t>(j);
      chosen[0] = &s.features[j];
      walk(walk, 1);
    }
    std::erase_if(out.near, [&](const candidate& c) { return c.error > out.best + margin; });
    return out;
  });

  double best = std::numeric_limits<double>::infinity();
  for (const part& p : parts) best = std::min(best, p.best);
  std::vector<exact_feature> exact_features;
  for (const feature& x : s.features) exact_features.push_back(exact_of(x, levels, biases));

  best_error_result r;
  r.features = F;
  r.multisets = multisets(static_cast<double>(F), width);
  r.settings = std::pow(static_cast<double>(s.levels.size() * s.levels.size() * s.biases.size()), width) *
               static_cast<double>(s.scales.size());
  bool found = false;
  for (const part& p : parts)  // in the walk's order: the witness does not depend on the threads
    for (const candidate& c : p.near) {
      if (c.error > best + margin) continue;
      std::array<const exact_feature*, max_width> chosen{};
      for (int k = 0; k < width; ++k)
        chosen[static_cast<std::size_t>(k)] = &exact_features[c.chosen[static_cast<std::size_t>(k)]];
      const auto [hi, lo] = extremes<rational>(form, knots_exact, chosen, width, scales[c.scale]);
      const rational e = (hi - lo) / 2;
      ++r.rechecked;
      if (found && e > r.error) continue;
      if (!found || e < r.error) {
        found = true;
        r.error = e;
        r.optimal = 0;
        r.a.clear();
        r.c.clear();
        r.v.clear();
        for (int k = 0; k < width; ++k) {
          const feature& u = s.features[c.chosen[static_cast<std::size_t>(k)]];
          r.a.push_back(levels[u.ia]);
          r.c.push_back(biases[u.ic]);
          r.v.push_back(levels[u.iv]);
        }
        r.scale = scales[c.scale];
        r.bias = (hi + lo) / 2;
      }
      ++r.optimal;
    }
  if (!found) bad("no setting was evaluated");  // cannot happen: every part holds its best
  return r;
}

double lipschitz_counting_bound(double bits) {
  if (!(bits >= 0) || !std::isfinite(bits)) throw std::invalid_argument("lipschitz_counting_bound: bits must be finite and >= 0");
  return 1 / (2 * (std::floor(bits) + 1));
}

}  // namespace fpx
