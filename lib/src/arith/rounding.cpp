#include "fpx/arith/rounding.hpp"

#include "fpx/exact/detail/enum_names.hpp"

#include <charconv>
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

std::string rounding_name(const rounding& r) {
  std::string name(to_string(r.mode));
  if (r.mode == round_mode::stochastic && r.random_bits != 0) name += ":bits=" + std::to_string(r.random_bits);
  return name;
}

std::string rounding_grammar() {
  return round_mode_names() + ", stochastic:bits=K (K random bits per rounding, K in 1.." +
         std::to_string(max_random_bits) + ")";
}

rounding parse_rounding(std::string_view name) {
  constexpr std::string_view prefix = "stochastic:bits=";
  if (!name.starts_with(prefix)) {
    try {
      return {parse_round_mode(name), 0, 0};
    } catch (const std::invalid_argument& e) {
      throw std::invalid_argument(std::string(e.what()) + "; the rules are " + rounding_grammar());
    }
  }
  const std::string_view digits = name.substr(prefix.size());
  unsigned k = 0;
  const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), k);
  if (digits.empty() || ec != std::errc{} || end != digits.data() + digits.size() || k < 1 ||
      k > max_random_bits)
    throw std::invalid_argument("rounding '" + std::string(name) + "': stochastic:bits=K takes K in 1.." +
                                std::to_string(max_random_bits) + " (the random bits each rounding reads)");
  return {round_mode::stochastic, 0, k};
}

void check_rule(const rounding& r) {
  if (r.random_bits > max_random_bits)
    throw std::invalid_argument("stochastic rounding reads at most " + std::to_string(max_random_bits) +
                                " random bits, not " + std::to_string(r.random_bits));
  if (r.random_bits != 0 && r.mode != round_mode::stochastic)
    throw std::invalid_argument("random bits are read by stochastic rounding only, not by mode " +
                                std::string(to_string(r.mode)));
}

rounding rounding_of(std::string_view mode, std::optional<std::uint64_t> seed) {
  rounding r = parse_rounding(mode);
  if (r.mode == round_mode::stochastic && !seed)
    throw std::invalid_argument("stochastic rounding needs a seed (the same seed gives the same bits)");
  if (r.mode != round_mode::stochastic && seed)
    throw std::invalid_argument("a seed is used by stochastic rounding only, not by mode " + std::string(mode));
  r.seed = seed.value_or(0);
  return r;
}

std::string_view to_string(overflow_policy policy) { return policy_names.name(policy); }
overflow_policy parse_overflow_policy(std::string_view name) { return policy_names.parse(name); }
std::string overflow_policy_names(std::string_view separator) { return policy_names.list(separator); }

}  // namespace fpx
