#pragma once
/// Deterministic communication complexity of a Boolean function f(x, y), x Alice's input and y
/// Bob's: the communication matrix and the lower bounds it certifies.
///
///   auto m = fpx::communication_matrix(1 << n, 1 << n, [](auto x, auto y) { return x == y; });
///   fpx::communication_bounds b(m);   // EQ_n: 2^n distinct rows, rank 2^n, fooling set 2^n
///
/// What each bound means:
///   one-way (Alice sends, Bob answers)  exactly ceil(log2(distinct rows)) bits
///   two-way, deterministic              >= log2(rank over the rationals)
///                                       >= log2(size of a fooling set + 1) when f also takes
///                                          the other value somewhere (one more rectangle)

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

namespace fpx {

/// Rows are Alice's inputs 0..rows-1, columns Bob's 0..cols-1; entry (x, y) = f(x, y).
class communication_matrix {
 public:
  communication_matrix(std::size_t rows, std::size_t cols,
                       const std::function<bool(std::uint64_t, std::uint64_t)>& f);
  /// From a table of rows; throws std::invalid_argument when rows differ in length.
  explicit communication_matrix(const std::vector<std::vector<bool>>& table);

  std::size_t rows() const { return rows_; }
  std::size_t cols() const { return cols_; }
  bool operator()(std::size_t x, std::size_t y) const { return entries_[x * cols_ + y] != 0; }

 private:
  std::size_t rows_, cols_;
  std::vector<std::uint8_t> entries_;
};

/// Alice's inputs grouped by identical rows: class_of[x] is the class of x, representative[c]
/// the smallest input of class c (classes numbered in order of their representatives).
struct row_classes {
  std::vector<std::size_t> class_of;
  std::vector<std::size_t> representative;
  std::size_t count() const { return representative.size(); }
};
row_classes distinct_rows(const communication_matrix& m);

/// Rank over the rationals (fraction-free elimination in big integers, so exact).
std::size_t rank_rational(const communication_matrix& m);
/// Rank over GF(2).
std::size_t rank_gf2(const communication_matrix& m);

using input_pair = std::pair<std::size_t, std::size_t>;
/// Checks that `pairs` is a fooling set for `value`: f = value on every pair, and for any two
/// pairs (x1, y1), (x2, y2), f(x1, y2) != value or f(x2, y1) != value. Returns the first
/// violation in words, or nothing when the set is valid.
std::optional<std::string> check_fooling_set(const communication_matrix& m,
                                             std::span<const input_pair> pairs, bool value);
/// A fooling set for `value`, built greedily over the entries in row-major order (valid, not
/// necessarily the largest).
std::vector<input_pair> greedy_fooling_set(const communication_matrix& m, bool value);

/// Lower bounds on deterministic communication with their certificates.
struct communication_bounds {
  communication_bounds() = default;
  /// All of the below for m. The fooling set is the larger of the greedy ones for 1 and for 0.
  explicit communication_bounds(const communication_matrix& m);

  row_classes rows;              ///< certificate of the one-way complexity
  std::size_t one_way_bits = 0;  ///< ceil(log2(rows.count())): exact for one-way protocols
  std::size_t rank_q = 0;        ///< over the rationals
  std::size_t rank_2 = 0;        ///< over GF(2) (a lower bound on rank_q, cheaper)
  double log_rank_bits = 0;      ///< log2(rank_q): two-way lower bound
  bool fooling_value = true;     ///< the value the fooling set is for
  std::vector<input_pair> fooling_set;  ///< checked with check_fooling_set
  std::size_t fooling_bits = 0;  ///< ceil(log2(|S| + 1)) or ceil(log2 |S|) when f is constant
  /// The best two-way lower bound proved here, in whole bits.
  std::size_t two_way_bits() const;
};
/// ceil(log2(k)) for k >= 1.
std::size_t ceil_log2(std::size_t k);

}  // namespace fpx
