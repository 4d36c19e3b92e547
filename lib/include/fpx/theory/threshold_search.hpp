#pragma once
/// Exhaustive search over every parameter setting of a tiny one-layer transformer for the
/// largest n at which some setting separates equality: the outputs on {(x, x)} and on
/// {(x, y) : x != y} are disjoint sets, so some readout computes EQ_n.
///
/// The class, "uniform scores, free values in F": one head, value dimension 1, every score 0
/// (so every exponential is rd(exp(0)) and the denominator is the same for every input), the
/// value of each (position, bit) and of the query a free finite value of F, and every
/// operation rounded to nearest-even into F, summed left to right (the spec uniform(F)).
/// Free per-(position, bit) values contain every choice of token and positional embeddings
/// followed by a value projection into F, so the largest n found bounds those models too.
/// The counting bound for this class is n <= bits(F): Alice's whole state is one value of F.
///
/// Pruning, each step sound: Alice's prefixes must reach distinct states (two that meet can
/// never be told apart); at Bob's k-th position a node (x, u) that can still end on the
/// diagonal (u = x's first k bits) may share its state only with nodes that end on the
/// diagonal exactly when it does; relabelling 0 and 1 at one of Alice's positions (and Bob's
/// matching one) preserves equality, so Alice's value for bit 0 is below her value for bit 1.

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "fpx/arith/format.hpp"
#include "fpx/model/network.hpp"
#include "fpx/model/precision.hpp"

namespace fpx {

struct separation_search {
  int n = 0;
  bool found = false;
  /// True when every setting was examined (or a separating one found) within the budget.
  bool complete = true;
  /// The separating setting found first: values (codes of F) for Alice's bits 0 and 1 at each
  /// position, then Bob's, then the query: 4n + 1 entries.
  std::vector<code_t> values;
  /// Search-tree nodes visited by the units up to and including the first unit (in unit order)
  /// that found a setting, or by every unit when none did; units above that one stop early and
  /// do not count, so the number does not depend on threads or ranks.
  std::uint64_t nodes = 0;
  std::uint64_t settings_total = 0;  ///< settings before pruning (saturates at 2^64 - 1)
  /// Nodes of each unit of work (one per pair of Alice's first values), in unit order, up to
  /// the first unit that found a setting (every unit when none did).
  std::vector<std::uint64_t> unit_nodes;
  /// The certificate of the walk (over the same units as `nodes`): the candidates examined at
  /// each level (Alice's positions 1..n, Bob's 1..n, the query: 2n + 1 levels) and a digest of
  /// every examined candidate and its verdict in walk order. For a complete search that found
  /// nothing it certifies the claim "no setting" to check_separation_certificate, which walks
  /// the same tree again by separate code.
  std::vector<std::uint64_t> level_nodes;
  std::uint64_t digest = 0;
};

/// A setting of the class (4n + 1 values of F) as a transformer: token 2j + b embeds the value of
/// position j (Alice's j < n, then Bob's) for bit b, token 4n the query's; one head whose query
/// and key weights are 0 (every score 0) and whose value weight is 1; no residual; the output is
/// the attention's, read at the query. Evaluate it under separation_spec(F).
transformer separation_model(const format& f, int n, std::span<const code_t> values);
/// The tokens of the pair (x, y) for separation_model: 2j + bit j of x, then 2(n + k) + bit k
/// of y, then the query 4n.
std::vector<int> separation_tokens(int n, std::uint64_t x, std::uint64_t y);
/// uniform(F) with the weights in fp32: the model's structural weights 0 and 1 must be exact
/// (1 is not a value of every F, e.g. fixed:s:0:3), every other quantity is in F, so the model
/// computes exactly what the class's tables do.
precision_spec separation_spec(const format& f);
/// The output (a code of F) of every pair (x, y), x-major, computed through the tables the search
/// walks (tabulated from the evaluator's attention rules); n at most 6.
std::vector<code_t> separation_outputs(const format& f, int n, std::span<const code_t> values);

/// Searches the class above for EQ_n in format f (at most 8 bits). A setting found is rebuilt
/// by separation_model and evaluated on every pair by the evaluator (n <= 6), which must agree
/// with the tables and separate equality (std::logic_error otherwise). The top of the tree is split
/// into fixed ranges over `threads` threads (0: all cores); the result, node count included,
/// does not depend on the thread count. `node_budget` caps the nodes (0: no cap), split evenly
/// over the units. Under the overflow policy `error` (e.g. fixed:s:1:2:overflow=error) a
/// setting in which any operation overflows on any input separates nothing.
separation_search search_equality_separation(const format& f, int n,
                                             std::uint64_t node_budget = 0,
                                             unsigned threads = 0);

/// Replays a complete search that found no setting with code of its own: the class's
/// arithmetic tabulated from the format's rounding (from_rational: every operation rounded to
/// nearest even, left to right, with IEEE signed zeros, infinities and NaN, and overflow as the
/// format's policy says), Alice's distinct states kept in a set, Bob's diagonal signatures in a
/// map, the query's outputs compared by value; the same candidates in the same order. `matches`
/// when every level's count and the digest agree with the search's.
struct separation_replay {
  bool matches = false;
  std::uint64_t nodes = 0;
  std::vector<std::uint64_t> level_nodes;
  std::uint64_t digest = 0;
  std::string reason;  ///< why it does not match (empty when it does)
};
separation_replay check_separation_certificate(const format& f, int n, const separation_search& s,
                                               unsigned threads = 0);

/// The units search_equality_separation cuts its tree into: one per pair of values (v0 < v1)
/// for Alice's first position, in increasing order; the same for every n.
std::uint64_t separation_units(const format& f);

/// An estimate (a measurement, not a bound) of the size of some units of the search for EQ_n:
/// Knuth's estimator (Math. Comp. 29, 1975), mean over `probes` random root-to-leaf paths per
/// unit, each choosing a uniformly random live child per level; a level with more candidates
/// than `sample` has its live count estimated from `sample` candidates drawn with replacement.
/// The estimate is of a full walk (a search that finds a setting stops earlier). `work` weights
/// each node by the states its check computes (2^(k+1) for Alice's position k, twice the states
/// for Bob's, the states for the query), the quantity a node's time is proportional to.
/// Seeded per unit: the same seed gives the same numbers for any thread count.
struct separation_estimate {
  int n = 0;
  std::uint64_t units = 0;    ///< units of the whole search (separation_units)
  unsigned probes = 0;
  std::size_t sample = 0;
  std::vector<double> nodes;  ///< estimated nodes of each unit asked for, in the order asked
  std::vector<double> work;   ///< estimated work of each, as above
};
separation_estimate estimate_separation_search(const format& f, int n, std::span<const std::uint64_t> units,
                                               unsigned probes, std::size_t sample, std::uint64_t seed,
                                               unsigned threads = 0);

}  // namespace fpx
