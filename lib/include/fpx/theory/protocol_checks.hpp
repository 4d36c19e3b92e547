#pragma once
/// What the simulation of a one-layer transformer by a protocol (protocol.hpp) shows: every
/// input pair checked through the states, the simulation lemma checked with the evaluator alone,
/// collisions (two inputs with one state whose answers differ), and the counting side of the
/// lower bound.

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "fpx/theory/communication.hpp"
#include "fpx/theory/protocol.hpp"

namespace fpx {

/// f(x, y) for Alice's x and Bob's y.
using boolean_function = std::function<bool(std::uint64_t x, std::uint64_t y)>;
/// Equality of n-bit strings.
inline bool equality(std::uint64_t x, std::uint64_t y) { return x == y; }

/// Every pair checked: the model's output (1 x 1) must equal target(x, y) as 0 or 1 exactly.
struct verification {
  std::uint64_t pairs = 0;
  std::uint64_t failures = 0;
  std::vector<input_pair> failing;  ///< the first failures in (x, y) order, up to the cap
  std::size_t alice_states = 0;     ///< distinct Alice states (largest over Bob's messages)
  std::size_t final_states = 0;     ///< distinct final states, each evaluated by the evaluator
};
/// Uses the simulation: each distinct final state is evaluated once (and checked against the
/// evaluator's trace), every pair is then a table walk. Pairs are split by x into fixed ranges
/// over `threads` threads (0: all cores); the result does not depend on the thread count.
/// Requires left_to_right position order.
verification verify(const protocol& p, const boolean_function& target,
                    std::size_t failure_cap = 16, unsigned threads = 0);

/// The simulation lemma checked with the evaluator alone: for every Bob input y and every two
/// Alice inputs with the same state (given y's message), the outputs are identical.
struct simulation_check {
  std::uint64_t pairs = 0;
  std::size_t alice_states = 0;
  std::optional<std::string> violation;  ///< the first counterexample, in words
};
simulation_check check_simulation(const protocol& p);

/// Two Alice inputs with the same state whose rows of the target differ at y: the model's
/// outputs at (x, y) and (x_other, y) are equal, so it is wrong on one of them whatever its
/// readout. `output` is the common output, computed by the evaluator on both pairs.
struct collision_certificate {
  std::uint64_t x = 0, x_other = 0, y = 0;
  bool target = false, target_other = false;
  rmatrix output;
  input_pair wrong;  ///< a pair whose output is not its target (0 or 1)
};
std::optional<collision_certificate> find_collision(const protocol& p,
                                                    const boolean_function& target);

/// The counting side of the lower bound for a class of models: H heads with value dimensions
/// summing to `value_dim`, partial sums in `accumulator`, logits in `logit`, positions summed
/// left to right over the layout x | y | query (split_input's layout): a theorem for that class
/// only. simulation_bound refuses a spec with another position order (std::invalid_argument).
struct counting_bound {
  double value_bits = 0;    ///< log2 of the number of finite values of the accumulator format
  double state_bits = 0;    ///< (H + value_dim) value_bits, or value_dim value_bits when the
                            ///< scores depend on position only
  double message_bits = 0;  ///< H log2 |logit values| with max-subtraction, else 0
  double total_bits() const { return state_bits + message_bits; }
  /// True when no model of the class computes f: the protocol is shorter than the one-way
  /// complexity (no message) or than log2 of the fooling set (with Bob's message first).
  bool rules_out(const communication_bounds& f) const;
};
counting_bound simulation_bound(const precision_spec& spec, std::size_t heads,
                                std::size_t value_dim, bool scores_position_only);

}  // namespace fpx
