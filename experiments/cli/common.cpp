// What the subcommands share: reading JSON arguments and specs, writing exact values.
#include <filesystem>
#include <fstream>
#include <sstream>

#include "cli.hpp"
#include "fpx/model/json.hpp"

namespace fpx::cli {

std::vector<std::string> arguments;

std::string json_argument(const std::string& arg) {
  if (arg.empty() || arg[0] == '{' || arg[0] == '[' || arg[0] == '"') return arg;
  std::ifstream in(arg);
  if (!in) throw std::invalid_argument("cannot read '" + arg + "' (neither JSON nor a readable file)");
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

precision_spec spec_argument(const std::string& arg) {
  if (!arg.empty() && arg[0] != '{' && arg[0] != '"' && !std::filesystem::exists(arg))
    return spec_preset(arg);
  return spec_from_json(json_argument(arg));
}

void add_model_and_spec(CLI::App* sub, std::string& model, std::string& spec) {
  sub->add_option("--model", model, "Network JSON (file or text)")->required();
  sub->add_option("--spec", spec,
                  std::string("Precision spec: a preset (") + std::string(spec_preset_grammar()) +
                      ") or JSON (file or text)")
      ->required();
}

std::string exact_text(const rational& v, bool negative_zero) {
  const auto& d = denominator(v);
  if ((d & (d - 1)) != 0) return to_fraction_string(v);
  return to_hexfloat(v, negative_zero);
}

}  // namespace fpx::cli
