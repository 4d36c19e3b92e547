// fpx: look at formats, round values and evaluate networks from the shell.
//   fpx formats [--json]
//   fpx round --format NAME [--mode MODE] [--seed S] [--json] VALUE...
//   fpx eval --model FILE --spec SPEC (--tokens 0,1,2 | --inputs JSON) [--last] [--trace]
#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>

#include "fpx/codec.hpp"
#include "experiment.hpp"
#include "fpx/evaluate.hpp"
#include "fpx/mx.hpp"
#include "fpx/round.hpp"

namespace {

using fpx::code_t;

std::string bit_string(code_t code, int bits) {
  std::string s = "0b";
  for (int i = bits - 1; i >= 0; --i) s += ((code >> i) & 1) ? '1' : '0';
  return s;
}

std::string hex_string(code_t code, int bits) { return fmt::format("0x{:0{}x}", code, (bits + 3) / 4); }

// The exact value of a code: hex-float for dyadic values, p/q otherwise, or inf/nan.
std::string exact_text(const fpx::format& f, code_t code) {
  switch (fpx::classify(f, code)) {
    case fpx::number_class::nan: return "nan";
    case fpx::number_class::infinite: return fpx::is_negative(f, code) ? "-inf" : "inf";
    default: {
      const fpx::rational v = fpx::to_rational(f, code);
      const auto& d = denominator(v);
      if ((d & (d - 1)) != 0) return numerator(v).str() + "/" + d.str();
      return fpx::to_hexfloat(v, v == 0 && fpx::is_negative(f, code));
    }
  }
}

std::string hex_or_text(const fpx::rational& v) { return fpx::to_hexfloat(v); }

nlohmann::json format_json(const fpx::format& f) {
  nlohmann::json j;
  j["name"] = f.name();
  j["bits"] = f.bits();
  j["information_bits"] = f.information_bits();
  if (const auto* m = f.minifloat()) {
    j["kind"] = "minifloat";
    j["exponent_bits"] = m->exponent_bits;
    j["mantissa_bits"] = m->mantissa_bits;
    j["bias"] = m->bias;
    j["specials"] = std::string(fpx::to_string(m->specials));
    j["subnormals"] = m->subnormals;
  } else {
    j["kind"] = "grid";
  }
  j["has_inf"] = f.has_inf();
  j["has_nan"] = f.has_nan();
  j["overflow"] = std::string(fpx::to_string(f.overflow()));
  j["max"] = hex_or_text(fpx::max_value(f));
  j["min_normal"] = hex_or_text(fpx::min_normal(f));
  j["min_positive"] = hex_or_text(fpx::min_positive(f));
  j["epsilon"] = hex_or_text(fpx::epsilon(f));
  return j;
}

int list_formats(bool json) {
  if (json) {
    nlohmann::json all = nlohmann::json::array();
    for (const auto& name : fpx::preset_names()) all.push_back(format_json(fpx::preset(name)));
    for (const auto& name : fpx::mx_preset_names()) {
      const auto mx = fpx::parse_mx_format(name);
      all.push_back({{"name", name}, {"kind", "mx"}, {"element", mx.element.name()},
                     {"block_size", mx.block_size}, {"scale", "e8m0"},
                     {"emax_element", fpx::mx_emax_element(mx)}});
    }
    std::cout << all.dump(2) << "\n";
    return 0;
  }
  fmt::print("{:<10} {:>4} {:>3} {:>3} {:>5} {:<7} {:<4} {:>14} {:>14} {:>14} {:>10}\n", "name", "bits",
             "E", "M", "bias", "special", "sub", "max", "min normal", "min subnormal", "epsilon");
  for (const auto& name : fpx::preset_names()) {
    const auto f = fpx::preset(name);
    const auto& m = *f.minifloat();
    auto d = [](const fpx::rational& r) { return fmt::format("{:.6g}", r.convert_to<double>()); };
    fmt::print("{:<10} {:>4} {:>3} {:>3} {:>5} {:<7} {:<4} {:>14} {:>14} {:>14} {:>10}\n", name,
               f.bits(), m.exponent_bits, m.mantissa_bits, m.bias, fpx::to_string(m.specials),
               m.subnormals ? "yes" : "no", d(fpx::max_value(f)), d(fpx::min_normal(f)),
               m.subnormals ? d(fpx::min_positive(f)) : "-", d(fpx::epsilon(f)));
  }
  fmt::print("\nMX block formats (E8M0 scale per block of 32):");
  for (const auto& name : fpx::mx_preset_names())
    fmt::print(" {} ({})", name, fpx::parse_mx_format(name).element.name());
  fmt::print("\nCustom formats: eXmY[_fn|_fnuz|_finite][:bias=B][:nosub][:unsigned], fixed:s:I:F, "
             "fixed:u:I:F, intN[:scale=S], uintN[:zero=Z][:scale=S], ternary, binary; any with "
             ":overflow=saturate|inf|nan|error\n");
  return 0;
}

struct input {
  std::string text;
  enum { finite, pos_inf, neg_inf, nan } kind = finite;
  fpx::rational value;
};

input parse_input(const std::string& text) {
  input in;
  in.text = text;
  std::string t = text;
  for (auto& c : t) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (t == "inf" || t == "+inf" || t == "infinity") in.kind = input::pos_inf;
  else if (t == "-inf" || t == "-infinity") in.kind = input::neg_inf;
  else if (t == "nan" || t == "+nan" || t == "-nan") in.kind = input::nan;
  else in.value = fpx::parse_rational(text);
  return in;
}

code_t round_input(const fpx::format& f, const input& in, const fpx::rounding& r, std::uint64_t site) {
  switch (in.kind) {
    case input::pos_inf: return fpx::from_double(f, std::numeric_limits<double>::infinity(), r, site);
    case input::neg_inf: return fpx::from_double(f, -std::numeric_limits<double>::infinity(), r, site);
    case input::nan: return fpx::from_double(f, std::numeric_limits<double>::quiet_NaN(), r, site);
    default: return fpx::from_rational(f, in.value, r, site);
  }
}

int round_values(const std::string& format_name, const std::string& mode, std::uint64_t seed,
                 bool json, const std::vector<std::string>& values) {
  const fpx::format f = fpx::parse_format(format_name);
  const fpx::rounding r{fpx::parse_round_mode(mode), seed};
  nlohmann::json out = nlohmann::json::array();
  for (std::size_t i = 0; i < values.size(); ++i) {
    const input in = parse_input(values[i]);
    const code_t code = round_input(f, in, r, i);
    const std::string value = exact_text(f, code);
    if (json) {
      out.push_back({{"input", in.text}, {"value", value}, {"bits", bit_string(code, f.bits())},
                     {"hex", hex_string(code, f.bits())}});
    } else {
      const auto cls = fpx::classify(f, code);
      const std::string approx =
          cls == fpx::number_class::nan || cls == fpx::number_class::infinite
              ? value
              : fmt::format("{:.17g}", fpx::to_double(f, code));
      fmt::print("{:<24} -> {:<24} {:<28} {} {}\n", in.text, approx, value,
                 bit_string(code, f.bits()), hex_string(code, f.bits()));
    }
  }
  if (json) std::cout << out.dump(2) << "\n";
  return 0;
}

// An argument that is JSON text, or the path of a file holding it.
std::string json_argument(const std::string& arg) {
  if (arg.empty() || arg[0] == '{' || arg[0] == '[' || arg[0] == '"') return arg;
  std::ifstream in(arg);
  if (!in) throw std::invalid_argument("cannot read '" + arg + "' (neither JSON nor a readable file)");
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

fpx::precision_spec spec_argument(const std::string& arg) {
  if (!arg.empty() && arg[0] != '{' && arg[0] != '"' && !std::filesystem::exists(arg))
    return fpx::spec_preset(arg);
  return fpx::spec_from_json(json_argument(arg));
}

nlohmann::json matrix_json(const Eigen::MatrixXd& m) {
  nlohmann::json rows = nlohmann::json::array();
  for (Eigen::Index i = 0; i < m.rows(); ++i) {
    nlohmann::json row = nlohmann::json::array();
    for (Eigen::Index k = 0; k < m.cols(); ++k) row.push_back(m(i, k));  // NaN prints as null
    rows.push_back(row);
  }
  return rows;
}

struct eval_request {
  std::string model, spec, inputs;
  std::vector<int> tokens;
  bool last = false, trace = false;
};

int evaluate_network(const eval_request& req) {
  const fpx::network net = fpx::network_from_json(json_argument(req.model));
  const fpx::precision_spec spec = spec_argument(req.spec);
  const fpx::evaluation_options options{.trace = req.trace, .last_position_only = req.last};
  fpx::evaluation result;
  if (const auto* m = std::get_if<fpx::mlp>(&net)) {
    if (req.inputs.empty()) throw std::invalid_argument("an MLP needs --inputs");
    const fpx::rmatrix x = fpx::rmatrix_from_json(json_argument(req.inputs));
    if (x.rows() != 1) throw std::invalid_argument("an MLP takes one input vector");
    fpx::rvector v(x.cols());
    for (Eigen::Index k = 0; k < x.cols(); ++k) v(k) = x(0, k);
    result = fpx::evaluate(*m, v, spec, options);
  } else {
    const auto& t = std::get<fpx::transformer>(net);
    if (req.inputs.empty() == req.tokens.empty())
      throw std::invalid_argument("a transformer needs exactly one of --tokens and --inputs");
    result = req.tokens.empty()
                 ? fpx::evaluate(t, fpx::rmatrix_from_json(json_argument(req.inputs)), spec, options)
                 : fpx::evaluate(t, req.tokens, spec, options);
  }
  nlohmann::json out;
  out["spec"] = nlohmann::json::parse(fpx::to_json(spec));
  out["output"] = matrix_json(result.output);
  out["exact_output"] = result.exact_output
                            ? nlohmann::json::parse(fpx::to_json(*result.exact_output))
                            : nlohmann::json(nullptr);
  out["roundings"] = result.roundings;
  if (req.trace) {
    nlohmann::json steps = nlohmann::json::array();
    for (const auto& step : result.trace)
      steps.push_back({{"name", step.name}, {"values", matrix_json(step.values)}});
    out["trace"] = steps;
  }
  std::cout << out.dump(1) << "\n";
  return 0;
}

int list_experiments() {
  for (const auto& e : fpx::experiments::registry())
    std::cout << e.name << ": " << e.description << "\n  parameters: " << e.defaults.dump() << "\n";
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"fpx: exact finite-precision number formats"};
  app.require_subcommand(1);
  bool json = false;
  auto* formats = app.add_subcommand("formats", "List the preset formats and their properties");
  formats->add_flag("--json", json, "Print one JSON array");

  auto* round = app.add_subcommand("round", "Round values into a format, exactly once each");
  std::string format_name, mode = "rne";
  std::uint64_t seed = 0;
  std::vector<std::string> values;
  round->add_option("--format,-f", format_name, "Format name (see fpx formats)")->required();
  round->add_option("--mode,-m", mode, "rne, rna, rtz, up, down, rto or stochastic");
  round->add_option("--seed,-s", seed, "Seed for stochastic rounding (site = position)");
  round->add_flag("--json", json, "Print one JSON array of {input, value, bits, hex}");
  round->add_option("values", values, "Decimal, p/q or hex-float literals, inf, nan")->required();
  // Values such as -0.5 are not options.
  round->allow_extras(false);

  auto* eval = app.add_subcommand("eval", "Evaluate a network under a precision spec (JSON out)");
  eval_request req;
  eval->add_option("--model", req.model, "Network JSON (file or text)")->required();
  eval->add_option("--spec", req.spec,
                   std::string("Precision spec: a preset (") +
                       std::string(fpx::spec_preset_grammar()) + ") or JSON (file or text)")
      ->required();
  eval->add_option("--tokens", req.tokens, "Token ids for a transformer")->delimiter(',');
  eval->add_option("--inputs", req.inputs, "Input vectors as JSON rows (file or text)");
  eval->add_flag("--last", req.last, "Compute the last block and readout at the last position only");
  eval->add_flag("--trace", req.trace, "Include every intermediate step");

  auto* run = app.add_subcommand("run", "Run a named experiment; writes DIR/NAME/NAME.csv and manifest.json");
  std::string experiment, config_file, out_dir = "data";
  unsigned threads = 0;
  bool list = false;
  run->add_option("name", experiment, "Experiment name (see --list)");
  run->add_option("--config", config_file, "JSON object (file or text) overriding the experiment's parameters");
  run->add_option("--out", out_dir, "Root directory of the results (default: data)");
  run->add_option("--threads", threads, "Worker threads (default: all cores); results do not depend on it");
  run->add_flag("--list", list, "List the experiments and their parameters");
  app.positionals_at_end();

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  try {
    if (*formats) return list_formats(json);
    if (*eval) return evaluate_network(req);
    if (*run) {
      if (list || experiment.empty()) return list_experiments();
      const nlohmann::json config =
          config_file.empty() ? nlohmann::json::object() : nlohmann::json::parse(json_argument(config_file));
      const auto dir = fpx::experiments::run(experiment, config, out_dir, threads,
                                             std::vector<std::string>(argv, argv + argc),
                                             [](const std::string& line) { std::cerr << line << "\n" << std::flush; });
      std::cout << dir.string() << "\n";
      return 0;
    }
    return round_values(format_name, mode, seed, json, values);
  } catch (const std::exception& e) {
    std::cerr << "fpx: error: " << e.what() << "\n";
    return 2;
  }
}
