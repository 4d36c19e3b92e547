#include "fpx/quant/bit_allocation.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

namespace fpx {
namespace {

// A partial allocation of the first layers: its storage, cost and choices.
struct partial {
  double bits = 0, cost = 0;
  std::vector<std::size_t> choice;
};

// Keeps the partials no other beats in both storage and cost (ties: the first in order).
std::vector<partial> pareto_set(std::vector<partial> all) {
  std::stable_sort(all.begin(), all.end(), [](const partial& a, const partial& b) {
    return a.bits != b.bits ? a.bits < b.bits : a.cost < b.cost;
  });
  std::vector<partial> kept;
  for (auto& p : all)
    if (kept.empty() || p.cost < kept.back().cost) kept.push_back(std::move(p));
  return kept;
}

}  // namespace

bit_allocation allocate_bits(const std::vector<layer_choices>& layers, double budget_bits) {
  if (!std::isfinite(budget_bits)) throw std::invalid_argument("allocate_bits: the budget is not finite");
  std::vector<partial> front{partial{}};
  for (std::size_t l = 0; l < layers.size(); ++l) {
    const layer_choices& layer = layers[l];
    if (layer.options.empty() || layer.parameters < 0)
      throw std::invalid_argument("allocate_bits: layer " + std::to_string(l) + " has no options or a negative size");
    std::vector<partial> next;
    for (const partial& p : front)
      for (std::size_t k = 0; k < layer.options.size(); ++k) {
        const layer_option& o = layer.options[k];
        if (!(std::isfinite(o.bits_per_parameter) && std::isfinite(o.cost)) || o.bits_per_parameter < 0)
          throw std::invalid_argument("allocate_bits: layer " + std::to_string(l) + " option " +
                                      std::to_string(k) + " has a negative or non-finite storage, or a non-finite cost");
        partial q = p;
        q.bits += static_cast<double>(layer.parameters) * o.bits_per_parameter;
        q.cost += o.cost;
        q.choice.push_back(k);
        if (q.bits <= budget_bits) next.push_back(std::move(q));
      }
    if (next.empty())
      throw std::invalid_argument("allocate_bits: the smallest choice of the first " + std::to_string(l + 1) +
                                  " layers exceeds the budget of " + std::to_string(budget_bits) + " bits");
    front = pareto_set(std::move(next));
  }
  const auto best = std::min_element(front.begin(), front.end(), [](const partial& a, const partial& b) {
    return a.cost != b.cost ? a.cost < b.cost : a.bits < b.bits;
  });
  return {best->choice, best->bits, best->cost};
}

}  // namespace fpx
