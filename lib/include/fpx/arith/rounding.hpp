#pragma once
/// Rounding modes, overflow policies and the counter-based generator behind stochastic rounding.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "fpx/exact/random_stream.hpp"

namespace fpx {

/// How an exact value between two neighbours of a format is resolved.
enum class round_mode {
  rne,        ///< to nearest, ties to even
  rna,        ///< to nearest, ties away from zero
  rtz,        ///< toward zero (truncation)
  up,         ///< toward +infinity
  down,       ///< toward -infinity
  rto,        ///< to odd: truncate, then set the last bit if inexact
  stochastic  ///< up with probability equal to the distance from the lower neighbour, in ulps
};

/// Every mode, in the order used by tests and listings.
inline constexpr round_mode all_round_modes[] = {round_mode::rne,  round_mode::rna,
                                                 round_mode::rtz,  round_mode::up,
                                                 round_mode::down, round_mode::rto,
                                                 round_mode::stochastic};

/// The short name used everywhere (CLI, JSON, Python): "rne", "rna", "rtz", "up", ...
std::string_view to_string(round_mode mode);
/// Parses a short name; throws std::invalid_argument listing the valid names.
round_mode parse_round_mode(std::string_view name);
/// Every mode's name, joined by `separator` (help texts take their lists from here).
std::string round_mode_names(std::string_view separator = ", ");

/// What a rounded result beyond the format's largest finite value becomes.
enum class overflow_policy {
  saturate,  ///< the largest finite value of that sign (also for infinite inputs)
  inf,       ///< IEEE 754: infinity, except that modes rounding toward zero give the maximum
  nan,       ///< NaN
  error      ///< throw std::overflow_error
};
std::string_view to_string(overflow_policy policy);
overflow_policy parse_overflow_policy(std::string_view name);
std::string overflow_policy_names(std::string_view separator = ", ");

/// A rounding rule: the mode and, for stochastic rounding, the seed of the generator and how
/// many of the site's random bits the decision reads.
///
/// Stochastic rounding of x between its neighbours T (toward zero) and A = T + ulp (away), with
/// f = |x - T| / ulp in (0, 1) and u the site's 32 random bits (stochastic_bits):
///  - random_bits = 0 (the default, name "stochastic"): A iff u / 2^32 < f, compared exactly, so
///    P(A) = ceil(2^32 f) / 2^32: unbiased to within 2^-32 ulp.
///  - random_bits = K in 1..32 (name "stochastic:bits=K"), as accelerators implement it: only the
///    K bits of f below the kept precision are seen, F = floor(2^K f), and A iff the top K bits of
///    u, read as an integer, are below F. P(A) = F / 2^K, so the expected result is
///    x - sign(x) (f - F / 2^K) ulp: biased toward zero by less than 2^-K ulp
///    (stochastic_bias gives it exactly). Equivalent in distribution to adding K random bits to
///    F and rounding up on a carry out of them.
struct rounding {
  round_mode mode = round_mode::rne;
  std::uint64_t seed = 0;
  unsigned random_bits = 0;  ///< stochastic only: 0, or K in 1..32
  friend bool operator==(const rounding&, const rounding&) = default;
};

/// The most random bits a stochastic rounding can read (stochastic_bits gives 32 per site).
inline constexpr unsigned max_random_bits = 32;

/// The rule's name without its seed, as everything writes and reads it (CLI, JSON, Python,
/// cache keys): "rne", ..., "stochastic", "stochastic:bits=K".
std::string rounding_name(const rounding& r);

/// The names parse_rounding reads, for help texts: the modes, then "stochastic:bits=K (...)".
std::string rounding_grammar();

/// The rule a name gives, seed 0: a mode name (parse_round_mode), or "stochastic:bits=K" with
/// K in 1..32. Throws std::invalid_argument naming the valid forms.
rounding parse_rounding(std::string_view name);

/// Refuses (std::invalid_argument) a rule that no name gives: random_bits above 32, or set for
/// a mode that is not stochastic. Every rounding entry point checks its rule with this.
void check_rule(const rounding& r);

/// The rounding a user asks for by name (parse_rounding): stochastic rounding needs a seed (a
/// result must never be silently tied to a default one), and a seed without stochastic rounding
/// is refused (it would be silently ignored). Throws std::invalid_argument saying which. The CLI
/// and Python both read a rounding through this.
rounding rounding_of(std::string_view mode, std::optional<std::uint64_t> seed);

/// The 32 random bits that stochastic rounding uses at one rounding site. A pure function of
/// (seed, site), so results do not depend on thread count or evaluation order; callers number
/// their rounding sites (array index, operation index) explicitly.
constexpr std::uint32_t stochastic_bits(std::uint64_t seed, std::uint64_t site) {
  // The SplitMix64 finaliser applied twice, so that neighbouring sites and seeds decorrelate.
  return static_cast<std::uint32_t>(splitmix64(splitmix64(seed) ^ site) >> 32);
}

}  // namespace fpx
