#pragma once
/// Checking a claim of one's own: a network on a task over a whole input space, exhaustively,
/// in parallel, with the same result at any thread count; then the fewest bits each quantity
/// needs, with a counterexample one bit below.
///
///   const auto space = fpx::input_space::sequences(3, 5);  // every sequence of 5 tokens of 3
///   const auto check = fpx::verify(model, spec, fpx::named_task("first_equals_last"), space,
///                                  fpx::readout::parse("threshold=1/2"));
///   check.wrong, check.counterexamples[0].input, check.counterexamples[0].first_divergence->step
///
/// The input space is numbered 0..size()-1 and walked in fixed units of consecutive indices;
/// units are merged in index order, so a check gives the same result on any number of threads,
/// and a range of indices (verify_options::begin, end) is a shard another machine can check
/// (task_check::merge joins shards in order).

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "fpx/model/divergence.hpp"
#include "fpx/model/evaluate.hpp"
#include "fpx/model/network.hpp"
#include "fpx/model/precision.hpp"
#include "fpx/theory/approximation.hpp"

namespace fpx {

/// The inputs of a check, numbered 0..size()-1; input k is a pure function of k.
class input_space {
 public:
  /// Every token sequence of `length` over the tokens 0..vocabulary-1 (vocabulary^length of
  /// them), in lexicographic order: position 0 varies slowest.
  static input_space sequences(int vocabulary, int length);
  /// The product of bit strings of the given widths: input k is their concatenation, k's binary
  /// digits most significant first, as the tokens 0 and 1 (a transformer) or as an input vector
  /// of 0s and 1s (an MLP). {4, 4} is every pair (x, y) of 4-bit strings, x = k >> 4.
  static input_space bit_strings(std::vector<int> widths);
  /// Explicit token sequences (lengths may differ).
  static input_space token_list(std::vector<std::vector<int>> sequences);
  /// Explicit input vectors of an MLP.
  static input_space vector_list(std::vector<rvector> vectors);

  std::uint64_t size() const { return size_; }
  /// Whether inputs are token sequences (all but vector lists).
  bool has_tokens() const { return vectors_.empty() && kind_ != kind::vectors; }
  /// Input k's tokens; throws std::invalid_argument for a vector list.
  std::vector<int> tokens(std::uint64_t k) const;
  /// Input k as an MLP's input vector: the vector, or the tokens as numbers.
  rvector vector(std::uint64_t k) const;
  /// The number of distinct tokens (0 for a vector list).
  int vocabulary() const { return vocabulary_; }
  /// The widths of a product of bit strings (empty otherwise).
  const std::vector<int>& widths() const { return widths_; }
  /// Input k as text: "0 2 1 1", or "[1/2, 3]".
  std::string describe(std::uint64_t k) const;
  /// "sequences(3, 5)", "bit_strings(4, 4)", "token_list(20)", "vector_list(7)".
  std::string name() const;

 private:
  enum class kind { sequences, bits, tokens, vectors };
  kind kind_ = kind::sequences;
  std::uint64_t size_ = 0;
  int vocabulary_ = 0, length_ = 0;
  std::vector<int> widths_;
  std::vector<std::vector<int>> lists_;
  std::vector<rvector> vectors_;
};

/// What a network should output on each input: one expected value per position it is read at
/// (the last position, or every position for sequence-to-sequence tasks; an MLP's output).
struct task {
  std::string name;
  bool every_position = false;
  /// The expected values of input k (thread-safe: called from every worker).
  std::function<std::vector<rational>(const input_space&, std::uint64_t)> expected;
};

/// The named tasks (task_grammar()), on token sequences t_0 .. t_{n-1}:
///   equality           1 if the two halves (bit strings: the first two strings) are equal, else 0
///   first_equals_last  1 if t_0 = t_{n-1}, else 0
///   parity             the number of nonzero tokens, mod 2
///   majority           1 if more than half the tokens are nonzero, else 0
///   membership         1 if t_{n-1} occurs among t_0 .. t_{n-2}, else 0
///   counting           the number of occurrences of t_{n-1} in the sequence
///   copy               at each position i, t_i (every position)
///   sorting            at each position i, the i-th smallest token (every position)
/// Throws std::invalid_argument for another name.
task named_task(std::string_view name);
std::vector<std::string> task_names();
std::string task_grammar();
/// A task from a table: expected[k] for input k (one value per read position).
task table_task(std::vector<std::vector<rational>> expected, bool every_position = false,
                std::string name = "table");

/// How an output is read against an expected value (the read row: the output at a position).
struct readout {
  enum class kind {
    exact,      ///< the row's one output equals the expected value
    argmax,     ///< the index of the row's unique largest output is the expected class
    sign,       ///< expected 1 when the row's one output is > 0, 0 when it is <= 0
    threshold,  ///< expected 1 when the one output is >= parameter, 0 when below
    tolerance   ///< |output - expected| <= parameter
  };
  kind how = kind::exact;
  rational parameter = 0;

  /// "exact", "argmax", "sign", "threshold=T", "tolerance=E" (T, E exact: "1/2", "0.25").
  static readout parse(std::string_view text);
  std::string name() const;
  /// Whether `row` (a position's outputs, exactly; none when NaN or infinite) reads as
  /// `expected`. Throws std::invalid_argument when a one-output readout meets several outputs.
  bool correct(const std::optional<std::vector<rational>>& row, const rational& expected) const;
};
std::string readout_grammar();

/// One input the network gets wrong.
struct counterexample {
  std::uint64_t index = 0;
  std::string input;                 ///< input_space::describe
  std::vector<rational> expected;    ///< per read position
  std::optional<rmatrix> output;     ///< the exact output (none: NaN or infinite, or an error)
  std::string error;                 ///< the evaluation's error message, when it threw
  /// The evaluation under the spec with its trace, and where it first leaves exact arithmetic
  /// (verify_options::trace_counterexamples).
  std::optional<evaluation> traced;
  std::optional<fpx::divergence> first_divergence;
  /// search_precision only: where it first departs from the reference spec's evaluation of the
  /// same input (which is correct there): the step the quantity under test changes first.
  std::optional<fpx::divergence> reference_divergence;
};

struct task_counts {
  std::uint64_t checked = 0, wrong = 0;
};

/// A check's result over the range [begin, end) of input indices.
struct task_check {
  std::uint64_t begin = 0, end = 0;
  std::uint64_t checked = 0, wrong = 0;
  /// By expected value (the last read position's, as exact text): checked and wrong.
  std::map<std::string, task_counts> by_class;
  std::vector<counterexample> counterexamples;  ///< the wrong inputs of lowest index
  bool correct() const { return wrong == 0; }
  /// Appends the check of the range that follows (next.begin == end): how shards are joined.
  /// Keeps the first `max_counterexamples`.
  void merge(const task_check& next, std::size_t max_counterexamples);
};

struct verify_options {
  unsigned threads = 0;                  ///< 0: every core
  std::size_t max_counterexamples = 4;
  bool trace_counterexamples = true;     ///< trace them and find where they leave exact arithmetic
  std::uint64_t begin = 0;               ///< the range of input indices checked (a shard)
  std::uint64_t end = UINT64_MAX;        ///< clipped to the space's size
  std::uint64_t unit = 4096;             ///< inputs per unit of work
  /// Stochastic rounding: input k numbers its sites from first_site + k * batch_site_stride.
  std::uint64_t first_site = 0;
};

/// Evaluates `model` under `spec` on every input of `space` in [begin, end) and reads each
/// output with `r` against `t`. A transformer reads its last position (with
/// last_position_only) unless the task reads every position; an MLP reads its outputs as one
/// row. An input whose evaluation throws (NaN where a format has none, overflow under `error`)
/// is wrong, with the error recorded. Throws std::invalid_argument for a space that does not fit
/// the model (tokens for an MLP of another width, vectors for a transformer).
task_check verify(const network& model, const precision_spec& spec, const task& t, const input_space& space,
                  const readout& r, const verify_options& options = {});

/// A one-input MLP against a target on an interval, for every input: the input is rounded into
/// the spec's activation format, so the network takes finitely many values; each is evaluated,
/// and sup |network - target| over [low, high] is bounded by max over those values v of
/// |N(v) - f(v)| + L * (the largest distance from v to an input that rounds to v), L a Lipschitz
/// constant of f (f.lipschitz). Target values are doubles (sin within an ulp of sin).
struct interval_check {
  rational low, high;
  std::uint64_t values = 0;     ///< the input format's values whose inputs meet [low, high]
  double sup_error = 0;         ///< the bound
  double largest_at_values = 0; ///< max |N(v) - f(v)| (a measurement at the values)
  rational worst;               ///< the value v where the bound is attained
  std::string kind;             ///< "values + lipschitz" (rounded arithmetic)
};
interval_check verify_interval(const mlp& model, const precision_spec& spec, const target_function& f,
                               const rational& low, const rational& high, unsigned threads = 0);

// --- the fewest bits each quantity needs ---------------------------------------------------------

/// Formats indexed by bits for one quantity: name_pattern with "{}" replaced by each integer of
/// [low, high] (e.g. "fixed:s:3:{}" for 3 integer bits and {} fraction bits, "e4m{}"), or an
/// explicit list of format names. A level's bits are its format's storage bits.
struct format_family {
  std::vector<format> levels;  ///< in increasing order of bits

  static format_family pattern(std::string_view name_pattern, int low, int high);
  static format_family list(const std::vector<std::string>& names);
};

/// One quantity at one level: the check with every other quantity at the reference spec.
struct precision_level {
  std::string format;
  int bits = 0;
  std::uint64_t wrong = 0;
  bool correct = false;
  std::optional<counterexample> first_failure;  ///< the failing input of lowest index, traced
};

struct quantity_precision {
  quantity q = quantity::weight;
  std::vector<precision_level> levels;  ///< every level of the family, in order
  /// The fewest bits at which this level and every level above it are correct (none when the
  /// top level fails).
  std::optional<int> minimal_bits;
  /// The level just below minimal_bits (its counterexample is the one-bit-fewer witness).
  std::optional<std::size_t> below;
  /// A level is correct above a failing one below minimal_bits: correctness is not monotone.
  bool non_monotone = false;
};

struct joint_precision {
  bool found = false;
  std::map<std::string, std::string> formats;  ///< quantity -> format
  int total_bits = 0;
  std::uint64_t assignments_checked = 0;
};

struct precision_search {
  /// The check at the reference spec itself: a level can only be as correct as the reference,
  /// so a reference with wrong inputs makes every level fail.
  std::uint64_t reference_wrong = 0;
  std::vector<quantity_precision> quantities;
  std::string bottleneck;  ///< the quantity whose minimal bits are largest (none found: the first that fails everywhere)
  joint_precision joint;   ///< the fewest total bits within the budget (when one was given)
};

struct precision_options {
  verify_options check;   ///< max_counterexamples applies to each level's first failure
  /// The joint search: assignments (one level per quantity) in order of increasing total bits,
  /// at most budget_bits in total; 0 for none. At most max_assignments are checked.
  int budget_bits = 0;
  std::uint64_t max_assignments = 4096;
};

/// For each quantity of `families`, the check at each level of its family with every other
/// quantity at the reference spec's format; then, with a budget, the assignment of fewest total
/// bits that is correct.
precision_search search_precision(const network& model, const precision_spec& reference, const task& t,
                                  const input_space& space, const readout& r,
                                  const std::vector<std::pair<quantity, format_family>>& families,
                                  const precision_options& options = {});

}  // namespace fpx
