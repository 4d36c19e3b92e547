#include "experiment.hpp"

namespace fpx::experiments {

experiment bit_degradation();
experiment capacity_census();
experiment equality_threshold();
experiment ternary_universality();

const std::vector<experiment>& registry() {
  static const std::vector<experiment> all{equality_threshold(), ternary_universality(),
                                          capacity_census(), bit_degradation()};
  return all;
}

}  // namespace fpx::experiments
