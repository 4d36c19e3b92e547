#pragma once
/// A one-layer softmax transformer read at its last position, seen as a communication protocol.
///
/// An input is a pair (x, y) of bit strings laid out as one token sequence: Alice's n positions
/// (bit i of x chooses the token at position i), Bob's m positions (bit i of y), then a fixed
/// suffix ending in the query. With positions summed left to right, the query's output depends
/// on x only through Alice's state: per head, her partial softmax denominator and numerator
/// vector after her last position, in the accumulator format (the simulation lemma). With
/// max-subtraction the exponentials depend on the row maximum, so Bob first announces the
/// maximum of his logits per head and Alice's state is computed relative to the overall maximum.
/// A p-bit model is then a protocol of H (d_v + 1) p bits (+ H p for Bob's maxima), which is
/// what the counting lower bound charges it.
///
///   fpx::protocol proto(model, spec, fpx::split_input::binary(n, n, {query}));
///   auto v = fpx::verify(proto, fpx::equality);   // every pair (protocol_checks.hpp)
///   auto c = fpx::find_collision(proto, fpx::equality);   // x != x' with one state

#include <array>
#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "fpx/model/evaluate.hpp"

namespace fpx {

/// How a pair of bit strings becomes a token sequence.
struct split_input {
  std::size_t alice_bits = 0, bob_bits = 0;
  /// tokens[i] = {token for bit 0, token for bit 1} at position i (Alice's, then Bob's), so a
  /// token may carry its position (as in the equality constructions).
  std::vector<std::array<int, 2>> tokens;
  /// Fixed tokens after Bob's; the last is the query. Must not be empty: a query that depended
  /// on the input would break the split.
  std::vector<int> suffix;

  /// Tokens 0 and 1 at every position.
  static split_input binary(std::size_t alice_bits, std::size_t bob_bits, std::vector<int> suffix);
  std::size_t length() const { return alice_bits + bob_bits + suffix.size(); }
  std::vector<int> sequence(std::uint64_t x, std::uint64_t y) const;
  std::uint64_t alice_inputs() const { return std::uint64_t{1} << alice_bits; }
  std::uint64_t bob_inputs() const { return std::uint64_t{1} << bob_bits; }
  /// Throws std::invalid_argument when sizes disagree, the suffix is empty, or the input space
  /// has more than 2^31 pairs per side.
  void validate() const;
};

class protocol {
 public:
  /// With max-subtraction first the overall maximum logit per head (codes of the logit
  /// format, which Bob needs to form his exponentials); then per head the partial denominator
  /// and the partial numerator's d_v entries, as codes of the accumulator format.
  using state = std::vector<code_t>;
  /// Bob's maximum logit per head (codes of the logit format); empty without max-subtraction.
  using message = std::vector<code_t>;

  /// Requires one transformer block with softmax attention, a rounded spec with a
  /// deterministic rounding mode, divide_once normalisation, and every_operation or fused
  /// rounding; throws std::invalid_argument naming what is missing. Any position order is
  /// accepted, so that check_simulation can show a leaking one; verify() needs left_to_right.
  /// Not thread-safe (it memoises exponentials); verify() uses threads only after the states.
  protocol(transformer model, precision_spec spec, split_input split);

  message bob_message(std::uint64_t y) const;
  state alice_state(std::uint64_t x, const message& m) const;
  /// The state after `position` (past Alice's first) given the state before it.
  state advance(const state& before, std::size_t position, int bit) const;
  /// Alice's state continued with Bob's input and the suffix: the state after the query.
  state final_state(const state& alice, std::uint64_t y) const;
  /// The model's output at the last position, from the evaluator.
  evaluation evaluate_pair(std::uint64_t x, std::uint64_t y, bool trace = false) const;

  const precision_spec& spec() const { return spec_; }
  const split_input& split() const { return split_; }
  std::size_t heads() const { return heads_.size(); }
  std::size_t value_dim() const;  ///< the sum of d_v over heads
  /// True when no head's logits depend on the tokens (only on positions): Alice's
  /// denominator is then the same for every x and carries no information.
  bool scores_position_only() const;

  /// Checks a final state against the evaluator's trace for (x, y) and returns the output;
  /// throws std::logic_error when they disagree (the simulation would be unsound).
  evaluation checked_output(const state& final, std::uint64_t x, std::uint64_t y) const;

 private:
  struct head_tables {
    std::vector<std::array<code_t, 2>> logit;                  // per position and bit
    std::vector<std::array<std::vector<code_t>, 2>> value;     // per position and bit
  };
  code_t weight(std::size_t head, std::size_t position, int bit, code_t maximum) const;
  void add_position(state& s, std::size_t position, int bit, bool first) const;

  transformer model_;
  precision_spec spec_;
  split_input split_;
  std::vector<head_tables> heads_;
  accumulation step_rule_;  // the rule of the sums' steps over positions, made once
  mutable std::map<std::array<std::uint64_t, 4>, code_t> weights_;  // memo of rounded exp
};

}  // namespace fpx
