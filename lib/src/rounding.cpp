#include "fpx/rounding.hpp"

#include <stdexcept>
#include <string>

namespace fpx {

std::string_view to_string(round_mode mode) {
  switch (mode) {
    case round_mode::rne: return "rne";
    case round_mode::rna: return "rna";
    case round_mode::rtz: return "rtz";
    case round_mode::up: return "up";
    case round_mode::down: return "down";
    case round_mode::rto: return "rto";
    case round_mode::stochastic: return "stochastic";
  }
  return "?";
}

round_mode parse_round_mode(std::string_view name) {
  for (round_mode m : all_round_modes)
    if (name == to_string(m)) return m;
  throw std::invalid_argument("unknown rounding mode '" + std::string(name) +
                              "' (rne, rna, rtz, up, down, rto, stochastic)");
}

std::string_view to_string(overflow_policy policy) {
  switch (policy) {
    case overflow_policy::saturate: return "saturate";
    case overflow_policy::inf: return "inf";
    case overflow_policy::nan: return "nan";
    case overflow_policy::error: return "error";
  }
  return "?";
}

overflow_policy parse_overflow_policy(std::string_view name) {
  for (auto p : {overflow_policy::saturate, overflow_policy::inf, overflow_policy::nan,
                 overflow_policy::error})
    if (name == to_string(p)) return p;
  throw std::invalid_argument("unknown overflow policy '" + std::string(name) +
                              "' (saturate, inf, nan, error)");
}

}  // namespace fpx
