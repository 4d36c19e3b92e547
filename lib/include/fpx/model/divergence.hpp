#pragma once
/// Where two traced evaluations of the same model part: the first step, row and column at
/// which a low-precision run leaves the exact one.

#include <optional>
#include <string>

#include "fpx/model/evaluate.hpp"

namespace fpx {

/// The first traced entry (in evaluation order, the rounded parameters included) where two
/// traces of the same model differ by more than `tolerance`: by their exact values where both
/// runs have them (rounded and exact arithmetic), else by their doubles (NaN equals NaN). Both
/// evaluations must have been traced.
struct divergence {
  std::string step;
  Eigen::Index row = 0, col = 0;
  double first = 0, second = 0;
};
std::optional<divergence> first_divergence(const evaluation& a, const evaluation& b,
                                           double tolerance = 0);

}  // namespace fpx
