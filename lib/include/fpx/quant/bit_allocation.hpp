#pragma once
/// Mixed precision under a storage budget: one quantizer per layer, chosen to minimise a sum of
/// per-layer cost estimates (for example the second-order estimate 1/2 tr(H_l) sigma_l^2 of the
/// loss increase) subject to the total storage.

#include <cstddef>
#include <cstdint>
#include <vector>

namespace fpx {

struct layer_option {
  double bits_per_parameter = 0;  ///< storage of this choice, scales included
  double cost = 0;                ///< the estimated damage of this choice (any sign: a Hessian
                                  ///< estimate need not be positive)
};

struct layer_choices {
  std::int64_t parameters = 0;
  std::vector<layer_option> options;
};

struct bit_allocation {
  std::vector<std::size_t> choice;  ///< an option index per layer
  double total_bits = 0;
  double total_cost = 0;
};

/// The choice of minimum total cost whose total storage sum_l parameters_l x bits_l is at most
/// budget_bits; among equal costs, the smaller storage, then the earlier options. Exact: the
/// (storage, cost) Pareto set of every prefix of layers is kept, so no convexity is assumed.
/// Throws std::invalid_argument for a layer without options, a negative size or storage, a
/// non-finite number, and when even the smallest choice exceeds the budget.
bit_allocation allocate_bits(const std::vector<layer_choices>& layers, double budget_bits);

}  // namespace fpx
