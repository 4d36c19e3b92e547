#pragma once
// One table per enum gives both directions of its names, the list that help texts and errors
// show, and the refusal of a retired spelling with the name that replaced it.

#include <array>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>

namespace fpx::detail {

template <class Enum, std::size_t N, std::size_t R = 0>
struct enum_names {
  std::string_view what;  // "activation", "softmax normalization", ...
  std::array<std::pair<Enum, std::string_view>, N> table;
  std::array<std::pair<std::string_view, std::string_view>, R> retired{};  // (old, new)

  std::string_view name(Enum e) const {
    for (const auto& [value, text] : table)
      if (value == e) return text;
    return "?";
  }
  /// "a, b, c": the valid names in table order.
  std::string list(std::string_view separator = ", ") const {
    std::string valid;
    for (const auto& [value, name] : table) valid += (valid.empty() ? "" : std::string(separator)) + std::string(name);
    return valid;
  }
  Enum parse(std::string_view text) const {
    for (const auto& [value, name] : table)
      if (name == text) return value;
    for (const auto& [old, now] : retired)
      if (old == text)
        throw std::invalid_argument(std::string(what) + " '" + std::string(text) +
                                    "' is a retired spelling; use '" + std::string(now) + "'");
    throw std::invalid_argument("unknown " + std::string(what) + " '" + std::string(text) + "' (" +
                                list() + ")");
  }
};

}  // namespace fpx::detail
