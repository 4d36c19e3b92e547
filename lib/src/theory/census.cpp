#include "fpx/theory/census.hpp"

#include "fpx/arith/codec.hpp"

#include <algorithm>
#include <array>
#include <atomic>
#include <bit>
#include <cmath>
#include <set>
#include <stdexcept>

#include "fpx/exact/distributed.hpp"

namespace fpx {
namespace {

constexpr int max_points = 16;
using values = std::array<double, max_points>;  // a unit's value at each input point

[[noreturn]] void bad(const std::string& why) { throw std::invalid_argument("census: " + why); }

// Levels and biases as doubles. With at most 8 fractional bits and magnitudes below 2^8, a
// hidden value has at most 8 fractional bits and stays below 2^11 (4 inputs), a product with a
// level has 16 and stays below 2^19, and an output sum of 4 products and a bias below 2^22:
// 38 significant bits at most, so every sum and product below is exact in double.
std::vector<double> exact_doubles(const std::vector<rational>& v, const char* what) {
  if (v.empty()) bad(std::string("no ") + what);
  std::vector<double> out;
  for (const rational& r : v) {
    const double d = static_cast<double>(r);
    if (rational(d) != r || std::abs(d) >= 0x1p8 || std::floor(d * 0x1p8) != d * 0x1p8)
      bad(std::string(what) + " must be dyadic with at most 8 fractional bits and below 2^8");
    out.push_back(d);
  }
  return out;
}

struct space {
  int points = 0, width = 0;
  std::vector<double> levels, biases;
  std::vector<values> features;
  // Every permutation pi of the inputs but the identity: the point whose input i is input
  // pi(i) of point p (point_map), and the index of each feature read through it (feature_map).
  // Permuting a network's inputs permutes the features of its hidden layer and the functions
  // it realises alike, so only one multiset of each orbit is walked (the least, as a sorted
  // index list) and each function found brings its orbit.
  std::vector<std::array<int, max_points>> point_map;
  std::vector<std::vector<std::uint32_t>> feature_map;
};

space make_space(int inputs, int width, const std::vector<rational>& levels,
                 const std::vector<rational>& biases) {
  if (inputs < 1 || inputs > 4) bad("inputs must be 1..4");
  if (width < 1 || width > 4) bad("width must be 1..4");
  space s;
  s.points = 1 << inputs;
  s.width = width;
  s.levels = exact_doubles(levels, "levels");
  s.biases = exact_doubles(biases, "biases");
  const std::size_t L = s.levels.size();
  std::size_t weight_settings = 1;
  for (int i = 0; i < inputs; ++i) weight_settings *= L;
  for (std::size_t w = 0; w < weight_settings; ++w)
    for (double b : s.biases) {
      values h{};
      for (int p = 0; p < s.points; ++p) {
        double z = b;
        std::size_t digits = w;
        for (int i = 0; i < inputs; ++i, digits /= L)
          if ((p >> i) & 1) z += s.levels[digits % L];
        h[static_cast<std::size_t>(p)] = std::max(z, 0.0);
      }
      s.features.push_back(h);
    }
  std::sort(s.features.begin(), s.features.end());
  s.features.erase(std::unique(s.features.begin(), s.features.end()), s.features.end());
  std::vector<int> pi(static_cast<std::size_t>(inputs));
  for (int i = 0; i < inputs; ++i) pi[static_cast<std::size_t>(i)] = i;
  while (std::next_permutation(pi.begin(), pi.end())) {  // every permutation after the identity
    std::array<int, max_points> map{};
    for (int p = 0; p < s.points; ++p) {
      int q = 0;
      for (int i = 0; i < inputs; ++i) q |= ((p >> pi[static_cast<std::size_t>(i)]) & 1) << i;
      map[static_cast<std::size_t>(p)] = q;
    }
    std::vector<std::uint32_t> fmap;
    for (const values& h : s.features) {
      values permuted{};
      for (int p = 0; p < s.points; ++p) permuted[static_cast<std::size_t>(p)] = h[static_cast<std::size_t>(map[static_cast<std::size_t>(p)])];
      const auto at = std::lower_bound(s.features.begin(), s.features.end(), permuted);
      if (at == s.features.end() || *at != permuted)  // a unit with its weights permuted is a unit
        throw std::logic_error("census: a permuted feature is not a feature");
      fmap.push_back(static_cast<std::uint32_t>(at - s.features.begin()));
    }
    s.point_map.push_back(map);
    s.feature_map.push_back(std::move(fmap));
  }
  return s;
}

// Whether `chosen` (sorted) is the least of its orbit under the input permutations.
bool canonical(const space& s, const std::vector<std::size_t>& chosen) {
  std::array<std::uint32_t, 4> image{};
  for (const auto& fmap : s.feature_map) {
    for (std::size_t k = 0; k < static_cast<std::size_t>(s.width); ++k) {  // insertion sort, width <= 4
      const std::uint32_t x = fmap[chosen[k]];
      std::size_t j = k;
      for (; j > 0 && image[j - 1] > x; --j) image[j] = image[j - 1];
      image[j] = x;
    }
    for (int k = 0; k < s.width; ++k) {
      const auto a = static_cast<std::size_t>(image[static_cast<std::size_t>(k)]);
      if (a != chosen[static_cast<std::size_t>(k)]) {
        if (a < chosen[static_cast<std::size_t>(k)]) return false;
        break;
      }
    }
  }
  return true;
}

// Truth table t read through a point map: bit p of the result is bit map[p] of t.
std::uint64_t permute_table(std::uint64_t t, const std::array<int, max_points>& map, int points) {
  std::uint64_t out = 0;
  for (int p = 0; p < points; ++p) out |= ((t >> map[static_cast<std::size_t>(p)]) & 1) << p;
  return out;
}

// Multisets of `k` items from n: C(n + k - 1, k).
double multisets(double n, int k) {
  double c = 1;
  for (int i = 0; i < k; ++i) c = c * (n + i) / (i + 1);
  return c;
}

double reduced_size(const space& s) {
  return multisets(static_cast<double>(s.features.size()), s.width) *
         std::pow(static_cast<double>(s.levels.size()), s.width) * static_cast<double>(s.biases.size());
}

class function_set {
 public:
  function_set() = default;  // map_ranges fills its results by assignment
  explicit function_set(int points) : bits_((std::size_t{1} << points) / 64 + 1), possible_(std::uint64_t{1} << points) {}
  bool contains(std::uint64_t table) const { return (bits_[table / 64] >> (table % 64)) & 1; }
  void add(std::uint64_t table) {
    std::uint64_t& word = bits_[table / 64];
    const std::uint64_t bit = std::uint64_t{1} << (table % 64);
    if (!(word & bit)) {
      word |= bit;
      ++count_;
    }
  }
  void merge(const function_set& other) {
    count_ = 0;
    for (std::size_t i = 0; i < bits_.size(); ++i) {
      bits_[i] |= other.bits_[i];
      count_ += static_cast<std::uint64_t>(std::popcount(bits_[i]));
    }
  }
  bool full() const { return count_ == possible_; }
  std::uint64_t count() const { return count_; }
  // Bytes of the set, for map_units (exact/distributed.hpp).
  std::string encode() const {
    byte_writer w;
    w.put(possible_).put(count_).put_all(bits_);
    return w.take();
  }
  static function_set decode(const std::string& bytes) {
    byte_reader r(bytes);
    function_set f;
    f.possible_ = r.get<std::uint64_t>();
    f.count_ = r.get<std::uint64_t>();
    f.bits_ = r.get_all<std::uint64_t>();
    return f;
  }
  std::vector<std::uint64_t> tables() const {
    std::vector<std::uint64_t> out;
    for (std::uint64_t t = 0; t < possible_; ++t)
      if ((bits_[t / 64] >> (t % 64)) & 1) out.push_back(t);
    return out;
  }

 private:
  std::vector<std::uint64_t> bits_;
  std::uint64_t possible_ = 0;
  std::uint64_t count_ = 0;
};

// Every output weight vector and bias over the multiset `chosen` of features.
void read_out(const space& s, const std::vector<std::size_t>& chosen, function_set& found) {
  const std::size_t L = s.levels.size();
  std::size_t settings = 1;
  for (int i = 0; i < s.width; ++i) settings *= L;
  for (std::size_t v = 0; v < settings; ++v) {
    values y{};
    std::size_t digits = v;
    for (int i = 0; i < s.width; ++i, digits /= L) {
      const double weight = s.levels[digits % L];
      const values& h = s.features[chosen[static_cast<std::size_t>(i)]];
      for (int p = 0; p < s.points; ++p) y[static_cast<std::size_t>(p)] += weight * h[static_cast<std::size_t>(p)];
    }
    for (double c : s.biases) {
      std::uint64_t table = 0;
      for (int p = 0; p < s.points; ++p)
        if (y[static_cast<std::size_t>(p)] + c > 0) table |= std::uint64_t{1} << p;
      if (found.contains(table)) continue;
      found.add(table);
      for (const auto& map : s.point_map) found.add(permute_table(table, map, s.points));
    }
  }
}

// All multisets whose positions from `depth` on are >= chosen[depth - 1].
void walk(const space& s, std::vector<std::size_t>& chosen, int depth, function_set& found,
          const std::atomic<bool>& everything_found) {
  if (depth == s.width) {
    if (canonical(s, chosen)) read_out(s, chosen, found);
    return;
  }
  for (std::size_t j = chosen[static_cast<std::size_t>(depth) - 1]; j < s.features.size(); ++j) {
    if (found.full() || everything_found) return;
    chosen[static_cast<std::size_t>(depth)] = j;
    walk(s, chosen, depth + 1, found, everything_found);
  }
}

}  // namespace

std::vector<rational> census_levels(std::string_view grid) {
  // The census once named its two's-complement grids intN, which elsewhere is the symmetric
  // 2^N - 1 level grid: that spelling is refused with the format it meant.
  if (grid.size() == 4 && grid.starts_with("int") && grid[3] >= '2' && grid[3] <= '8')
    bad("grid '" + std::string(grid) + "' is a retired spelling of the census; its 2^N two's-complement "
        "levels k / 2^(N-1) are the format fixed:s:0:" + std::string(1, static_cast<char>(grid[3] - 1)) +
        " (int" + std::string(1, grid[3]) + " is the symmetric grid of 2^N - 1 levels)");
  const format f = parse_format(grid);
  if (f.bits() > 8) bad("grid '" + std::string(grid) + "' has more than 8 bits");
  std::set<rational> values;
  for (code_t c = 0; c < (code_t{1} << f.bits()); ++c)
    if (is_valid_code(f, c) && classify(f, c) != number_class::nan && classify(f, c) != number_class::infinite)
      values.insert(to_rational(f, c));
  return {values.begin(), values.end()};
}

double census_size(int inputs, int width, const std::vector<rational>& levels,
                   const std::vector<rational>& biases) {
  return reduced_size(make_space(inputs, width, levels, biases));
}

census_result census(int inputs, int width, const std::vector<rational>& levels,
                     const std::vector<rational>& biases, unsigned threads) {
  const space s = make_space(inputs, width, levels, biases);
  std::atomic<bool> everything_found{false};
  const auto parts = map_units(
      s.features.size(), 1, threads,
      [&](std::uint64_t begin, std::uint64_t end) {
        function_set found(s.points);
        std::vector<std::size_t> chosen(static_cast<std::size_t>(s.width));
        for (std::uint64_t j = begin; j < end && !found.full() && !everything_found; ++j) {
          chosen[0] = j;
          walk(s, chosen, 1, found, everything_found);
        }
        if (found.full()) everything_found = true;
        return found;
      },
      [](const function_set& f) { return f.encode(); }, &function_set::decode);
  function_set all(s.points);
  for (const function_set& part : parts) all.merge(part);
  census_result r;
  r.functions = all.count();
  r.possible = std::uint64_t{1} << s.points;
  r.features = s.features.size();
  r.reduced_networks = reduced_size(s);
  double per_unit = static_cast<double>(s.biases.size()) * std::pow(static_cast<double>(s.levels.size()), inputs + 1);
  r.networks = std::pow(per_unit, width) * static_cast<double>(s.biases.size());
  r.truth_tables = all.tables();
  return r;
}

}  // namespace fpx
