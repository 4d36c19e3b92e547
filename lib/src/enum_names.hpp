#pragma once
// One table per enum gives both directions of its names, and the error lists the valid ones.

#include <array>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>

namespace fpx::detail {

template <class Enum, std::size_t N>
struct enum_names {
  std::string_view what;  // "activation", "softmax normalization", ...
  std::array<std::pair<Enum, std::string_view>, N> table;

  std::string_view name(Enum e) const {
    for (const auto& [value, text] : table)
      if (value == e) return text;
    return "?";
  }
  Enum parse(std::string_view text) const {
    std::string valid;
    for (const auto& [value, name] : table) {
      if (name == text) return value;
      valid += (valid.empty() ? "" : ", ") + std::string(name);
    }
    throw std::invalid_argument("unknown " + std::string(what) + " '" + std::string(text) +
                                "' (" + valid + ")");
  }
};

}  // namespace fpx::detail
