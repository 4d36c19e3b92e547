#include "experiment.hpp"

namespace fpx::experiments {

experiment equality_threshold();

const std::vector<experiment>& registry() {
  static const std::vector<experiment> all{equality_threshold()};
  return all;
}

}  // namespace fpx::experiments
