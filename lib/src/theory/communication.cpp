#include "fpx/theory/communication.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <stdexcept>

#include <fmt/core.h>

#include "fpx/exact/rational.hpp"

namespace fpx {

communication_matrix::communication_matrix(
    std::size_t rows, std::size_t cols,
    const std::function<bool(std::uint64_t, std::uint64_t)>& f)
    : rows_(rows), cols_(cols), entries_(rows * cols) {
  for (std::size_t x = 0; x < rows; ++x)
    for (std::size_t y = 0; y < cols; ++y) entries_[x * cols + y] = f(x, y) ? 1 : 0;
}

communication_matrix::communication_matrix(const std::vector<std::vector<bool>>& table)
    : rows_(table.size()), cols_(table.empty() ? 0 : table.front().size()) {
  for (std::size_t x = 0; x < rows_; ++x) {
    if (table[x].size() != cols_)
      throw std::invalid_argument("communication_matrix: row " + std::to_string(x) + " has " +
                                  std::to_string(table[x].size()) + " entries, row 0 has " +
                                  std::to_string(cols_));
    for (bool b : table[x]) entries_.push_back(b ? 1 : 0);
  }
}

row_classes distinct_rows(const communication_matrix& m) {
  row_classes out;
  std::map<std::vector<bool>, std::size_t> seen;
  for (std::size_t x = 0; x < m.rows(); ++x) {
    std::vector<bool> row(m.cols());
    for (std::size_t y = 0; y < m.cols(); ++y) row[y] = m(x, y);
    auto [it, inserted] = seen.emplace(std::move(row), out.representative.size());
    if (inserted) out.representative.push_back(x);
    out.class_of.push_back(it->second);
  }
  return out;
}

std::size_t rank_rational(const communication_matrix& m) {
  // Bareiss: after eliminating with pivots p_1..p_k every entry is a (k+1)-minor, so the
  // division by the previous pivot is exact and the numbers stay as small as minors.
  std::vector<std::vector<bigint>> a(m.rows(), std::vector<bigint>(m.cols()));
  for (std::size_t x = 0; x < m.rows(); ++x)
    for (std::size_t y = 0; y < m.cols(); ++y) a[x][y] = m(x, y) ? 1 : 0;
  bigint previous = 1;
  std::size_t rank = 0;
  for (std::size_t c = 0; c < m.cols() && rank < m.rows(); ++c) {
    std::size_t pivot = rank;
    while (pivot < m.rows() && a[pivot][c] == 0) ++pivot;
    if (pivot == m.rows()) continue;
    std::swap(a[pivot], a[rank]);
    for (std::size_t i = rank + 1; i < m.rows(); ++i) {
      for (std::size_t j = c + 1; j < m.cols(); ++j)
        a[i][j] = (a[rank][c] * a[i][j] - a[i][c] * a[rank][j]) / previous;
      a[i][c] = 0;
    }
    previous = a[rank][c];
    ++rank;
  }
  return rank;
}

std::size_t rank_gf2(const communication_matrix& m) {
  const std::size_t words = (m.cols() + 63) / 64;
  std::vector<std::vector<std::uint64_t>> a(m.rows(), std::vector<std::uint64_t>(words));
  for (std::size_t x = 0; x < m.rows(); ++x)
    for (std::size_t y = 0; y < m.cols(); ++y)
      if (m(x, y)) a[x][y / 64] |= std::uint64_t{1} << (y % 64);
  std::size_t rank = 0;
  for (std::size_t c = 0; c < m.cols() && rank < m.rows(); ++c) {
    const std::uint64_t bit = std::uint64_t{1} << (c % 64);
    std::size_t pivot = rank;
    while (pivot < m.rows() && !(a[pivot][c / 64] & bit)) ++pivot;
    if (pivot == m.rows()) continue;
    std::swap(a[pivot], a[rank]);
    for (std::size_t i = 0; i < m.rows(); ++i)
      if (i != rank && (a[i][c / 64] & bit))
        for (std::size_t w = 0; w < words; ++w) a[i][w] ^= a[rank][w];
    ++rank;
  }
  return rank;
}

std::optional<std::string> check_fooling_set(const communication_matrix& m,
                                             std::span<const input_pair> pairs, bool value) {
  auto name = [](const input_pair& p) {
    return fmt::format("({}, {})", p.first, p.second);
  };
  for (const auto& p : pairs) {
    if (p.first >= m.rows() || p.second >= m.cols())
      return "pair " + name(p) + " is outside the matrix";
    if (m(p.first, p.second) != value)
      return "f at " + name(p) + " is " + std::to_string(!value) + ", not " + std::to_string(value);
  }
  for (std::size_t i = 0; i < pairs.size(); ++i)
    for (std::size_t j = i + 1; j < pairs.size(); ++j) {
      const auto &p = pairs[i], &q = pairs[j];
      if (m(p.first, q.second) == value && m(q.first, p.second) == value)
        return "pairs " + name(p) + " and " + name(q) + " span a rectangle with f = " +
               std::to_string(value) + " at both crossings";
    }
  return std::nullopt;
}

std::vector<input_pair> greedy_fooling_set(const communication_matrix& m, bool value) {
  std::vector<input_pair> set;
  for (std::size_t x = 0; x < m.rows(); ++x)
    for (std::size_t y = 0; y < m.cols(); ++y) {
      if (m(x, y) != value) continue;
      const bool compatible = std::all_of(set.begin(), set.end(), [&](const input_pair& p) {
        return m(p.first, y) != value || m(x, p.second) != value;
      });
      if (compatible) set.emplace_back(x, y);
    }
  return set;
}

std::size_t ceil_log2(std::size_t k) {
  if (k == 0) throw std::invalid_argument("ceil_log2(0)");
  std::size_t bits = 0;
  while ((std::size_t{1} << bits) < k) ++bits;
  return bits;
}

std::size_t communication_bounds::two_way_bits() const {
  const auto rank_bits = static_cast<std::size_t>(std::ceil(log_rank_bits - 1e-12));
  return std::max(rank_bits, fooling_bits);
}

communication_bounds::communication_bounds(const communication_matrix& m) {
  communication_bounds& b = *this;
  b.rows = distinct_rows(m);
  b.one_way_bits = b.rows.count() == 0 ? 0 : ceil_log2(b.rows.count());
  b.rank_q = rank_rational(m);
  b.rank_2 = rank_gf2(m);
  b.log_rank_bits = b.rank_q == 0 ? 0 : std::log2(static_cast<double>(b.rank_q));
  auto ones = greedy_fooling_set(m, true), zeros = greedy_fooling_set(m, false);
  b.fooling_value = ones.size() >= zeros.size();
  b.fooling_set = b.fooling_value ? std::move(ones) : std::move(zeros);
  if (!b.fooling_set.empty()) {
    bool other_value_occurs = false;
    for (std::size_t x = 0; x < m.rows() && !other_value_occurs; ++x)
      for (std::size_t y = 0; y < m.cols(); ++y)
        if (m(x, y) != b.fooling_value) other_value_occurs = true;
    b.fooling_bits = ceil_log2(b.fooling_set.size() + (other_value_occurs ? 1 : 0));
  }
}

}  // namespace fpx
