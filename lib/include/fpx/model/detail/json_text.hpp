#pragma once
// Parsing JSON text with the error every reader of user files gives.

#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <string_view>

namespace fpx::detail {

/// The parsed text; std::invalid_argument "<what>: malformed JSON: ..." when it is not JSON.
inline nlohmann::json parse_json(std::string_view text, const char* what) {
  try {
    return nlohmann::json::parse(text);
  } catch (const nlohmann::json::exception& e) {
    throw std::invalid_argument(std::string(what) + ": malformed JSON: " + e.what());
  }
}

}  // namespace fpx::detail
