#include "fpx/arith/rounding.hpp"

#include "fpx/exact/detail/enum_names.hpp"

#include <stdexcept>
#include <string>

namespace fpx {
namespace {

constexpr detail::enum_names<round_mode, 7> mode_names{
    "rounding mode",
    {{{round_mode::rne, "rne"},
      {round_mode::rna, "rna"},
      {round_mode::rtz, "rtz"},
      {round_mode::up, "up"},
      {round_mode::down, "down"},
      {round_mode::rto, "rto"},
      {round_mode::stochastic, "stochastic"}}}};

constexpr detail::enum_names<overflow_policy, 4> policy_names{
    "overflow policy",
    {{{overflow_policy::saturate, "saturate"},
      {overflow_policy::inf, "inf"},
      {overflow_policy::nan, "nan"},
      {overflow_policy::error, "error"}}}};

}  // namespace

std::string_view to_string(round_mode mode) { return mode_names.name(mode); }
round_mode parse_round_mode(std::string_view name) { return mode_names.parse(name); }
std::string round_mode_names(std::string_view separator) { return mode_names.list(separator); }

rounding rounding_of(std::string_view mode, std::optional<std::uint64_t> seed) {
  const round_mode m = parse_round_mode(mode);
  if (m == round_mode::stochastic && !seed)
    throw std::invalid_argument("stochastic rounding needs a seed (the same seed gives the same bits)");
  if (m != round_mode::stochastic && seed)
    throw std::invalid_argument("a seed is used by stochastic rounding only, not by mode " + std::string(mode));
  return {m, seed.value_or(0)};
}

std::string_view to_string(overflow_policy policy) { return policy_names.name(policy); }
overflow_policy parse_overflow_policy(std::string_view name) { return policy_names.parse(name); }
std::string overflow_policy_names(std::string_view separator) { return policy_names.list(separator); }

}  // namespace fpx
