#pragma once
/// The equality search of threshold_search.hpp in wider classes of one-layer transformers:
/// H heads, value dimension d_v per head, and scores that depend on position only (every
/// score 0) or read the tokens (a free logit of F for every (position, bit), per head, and for
/// the query). Everything else is threshold_search.hpp's class: a free finite value of F (no
/// infinity; -0 taken as +0, which adds alike here) for every (position, bit, head, value
/// coordinate) and for the query, and finite logits, every operation rounded to
/// nearest-even into F under uniform(F), positions summed left to right over x | y | query, and
/// "separates" meaning that the output vectors (every head's d_v outputs) on {(x, x)} and on
/// {(x, y) : x != y} are disjoint sets: an idealised readout.
///
/// The counting bound of such a class (protocol_checks.hpp's simulation_bound) is
/// n <= H (d_v + 1) b with token scores and n <= H d_v b with position-only ones, for a b-bit F.
///
/// The walk: a node fixes the (position, bit) contributions left to right; a contribution of one
/// head is what the state update reads, the weight w = rd(exp(s)) and, per coordinate, the value
/// up to equivalence (two values are one candidate when every partial sum steps to the same code
/// with either under this w), so logits with one rounded exponential are one candidate. The
/// pruning rules are threshold_search.hpp's (Alice's prefixes reach distinct states; a node that
/// can still end on the diagonal shares its state only with nodes that end there exactly when it
/// does; Alice's bit-0 candidate is below her bit-1 candidate), applied to the state vector
/// (every head's partial Z and numerators). The units are the pairs of Alice's first
/// candidates; the result does not depend on threads or ranks. A setting found (n <= 8) is
/// rebuilt as a transformer (class_separation_model) and evaluated on every pair by the
/// evaluator, which must agree with the tables and separate (std::logic_error otherwise); for
/// n > 8 it is not checked. A complete "no setting"
/// carries the level counts and digest of the walk; unlike search_equality_separation's, no
/// separate checker replays it.

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "fpx/arith/format.hpp"
#include "fpx/model/network.hpp"

namespace fpx {

struct attention_class {
  int heads = 1;
  int value_dim = 1;  ///< per head
  bool token_scores = false;
  /// "position_h1_dv1", "token_h2_dv2", ...
  std::string name() const;
};

struct class_search {
  int n = 0;
  bool found = false;
  /// True when every setting was examined (or a separating one found) within the budget.
  bool complete = true;
  /// The setting found, per slot (2j + bit for Alice's j < n, 2(n + k) + bit for Bob's k, 4n
  /// for the query) and head: logits[slot * H + h] (codes of F; 0 with position-only scores)
  /// and values[(slot * H + h) * d_v + i].
  std::vector<code_t> logits, values;
  /// Nodes visited by the units up to and including the first that found a setting (every unit
  /// when none did), as search_equality_separation counts them.
  std::uint64_t nodes = 0;
  std::vector<std::uint64_t> level_nodes;  ///< examined candidates per level (2n + 1 levels)
  std::uint64_t digest = 0;                ///< FNV-1a of every examined candidate and verdict
  std::uint64_t candidates = 0;            ///< candidates per (position, bit) after merging
  std::uint64_t units = 0;
};

/// Searches the class for EQ_n in f (at most 8 bits; the state, H (d_v + 1) codes, at most 7;
/// at most 2^31 candidates per (position, bit), else std::invalid_argument).
/// With token scores F must hold 1 (the model's query vector; std::invalid_argument otherwise).
/// `node_budget` caps the nodes (0: none), split evenly over the units; `threads` 0: all cores.
class_search search_class_separation(const format& f, const attention_class& c, int n,
                                     std::uint64_t node_budget = 0, unsigned threads = 0);

/// A setting of the class as a transformer over separation_tokens(n, x, y)'s tokens: d_model
/// 1 + H + H d_v, token t embedding (1, its H logits, its H d_v values) (0 in place of 1 with
/// position-only scores); head h's query weight reads coordinate 0, its key weight coordinate
/// 1 + h (both 0 with position-only scores), its value weight its d_v values; no residual; the
/// output, the heads' outputs concatenated, read at the query. Evaluate under separation_spec(f).
transformer class_separation_model(const format& f, const attention_class& c, int n,
                                   std::span<const code_t> logits, std::span<const code_t> values);

/// The output codes (H d_v per pair, head-major) of every pair (x, y), x-major, through the
/// search's tables; n at most 6.
std::vector<code_t> class_separation_outputs(const format& f, const attention_class& c, int n,
                                             std::span<const code_t> logits,
                                             std::span<const code_t> values);

/// A setting of the class evaluated on every pair (x, y) by the evaluator (n at most 8):
/// `disagreements` counts pairs whose output vector is not the tables' (an overflow under the
/// policy error, an infinity or NaN must appear in both); `separates` holds when every output is
/// a vector of values of F and the diagonal's vectors are apart from the others'.
struct class_check {
  std::uint64_t pairs = 0, disagreements = 0;
  bool separates = false;
  std::size_t diagonal_outputs = 0, off_outputs = 0;  ///< distinct output vectors
};
class_check verify_class_setting(const format& f, const attention_class& c, int n,
                                 std::span<const code_t> logits, std::span<const code_t> values);

}  // namespace fpx
