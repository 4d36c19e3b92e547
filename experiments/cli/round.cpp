// fpx round: values read exactly and rounded into a format, once each.
#include <fmt/format.h>

#include <iostream>
#include <limits>
#include <nlohmann/json.hpp>

#include "cli.hpp"
#include "fpx/arith/codec.hpp"
#include "fpx/arith/round.hpp"

namespace fpx::cli {
namespace {

std::string bit_string(code_t code, int bits) {
  std::string s = "0b";
  for (int i = bits - 1; i >= 0; --i) s += ((code >> i) & 1) ? '1' : '0';
  return s;
}

std::string hex_string(code_t code, int bits) { return fmt::format("0x{:0{}x}", code, (bits + 3) / 4); }

// The exact value of a code: hex-float for dyadic values, p/q otherwise, or inf/nan.
std::string code_text(const format& f, code_t code) {
  switch (classify(f, code)) {
    case number_class::nan: return "nan";
    case number_class::infinite: return is_negative(f, code) ? "-inf" : "inf";
    default: {
      const rational v = to_rational(f, code);
      return exact_text(v, v == 0 && is_negative(f, code));
    }
  }
}

struct input {
  std::string text;
  enum { finite, pos_inf, neg_inf, nan } kind = finite;
  rational value;
};

input parse_input(const std::string& text) {
  input in;
  in.text = text;
  std::string t = text;
  for (auto& c : t) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (t == "inf" || t == "+inf" || t == "infinity") in.kind = input::pos_inf;
  else if (t == "-inf" || t == "-infinity") in.kind = input::neg_inf;
  else if (t == "nan" || t == "+nan" || t == "-nan") in.kind = input::nan;
  else in.value = parse_rational(text);
  return in;
}

code_t round_input(const format& f, const input& in, const rounding& r, std::uint64_t site) {
  switch (in.kind) {
    case input::pos_inf: return from_double(f, std::numeric_limits<double>::infinity(), r, site);
    case input::neg_inf: return from_double(f, -std::numeric_limits<double>::infinity(), r, site);
    case input::nan: return from_double(f, std::numeric_limits<double>::quiet_NaN(), r, site);
    default: return from_rational(f, in.value, r, site);
  }
}

struct request {
  std::string format_name, mode = "rne";
  std::uint64_t seed = 0;
  bool json = false;
  std::vector<std::string> values;
};

void round_values(const request& req) {
  const format f = parse_format(req.format_name);
  const rounding r{parse_round_mode(req.mode), req.seed};
  nlohmann::json out = nlohmann::json::array();
  for (std::size_t i = 0; i < req.values.size(); ++i) {
    const input in = parse_input(req.values[i]);
    const code_t code = round_input(f, in, r, i);
    const std::string value = code_text(f, code);
    if (req.json) {
      out.push_back({{"input", in.text}, {"value", value}, {"bits", bit_string(code, f.bits())},
                     {"hex", hex_string(code, f.bits())}});
    } else {
      const auto cls = classify(f, code);
      const std::string approx = cls == number_class::nan || cls == number_class::infinite
                                     ? value
                                     : fmt::format("{:.17g}", to_double(f, code));
      fmt::print("{:<24} -> {:<24} {:<28} {} {}\n", in.text, approx, value, bit_string(code, f.bits()),
                 hex_string(code, f.bits()));
    }
  }
  if (req.json) std::cout << out.dump(2) << "\n";
}

}  // namespace

void add_round(CLI::App& app) {
  auto req = std::make_shared<request>();
  auto* sub = app.add_subcommand("round", "Round values into a format, exactly once each");
  sub->add_option("--format,-f", req->format_name, "Format name: " + format_grammar())->required();
  sub->add_option("--mode,-m", req->mode, "Rounding mode: " + round_mode_names());
  sub->add_option("--seed,-s", req->seed, "Seed for stochastic rounding (site = position)");
  sub->add_flag("--json", req->json, "Print one JSON array of {input, value, bits, hex}");
  sub->add_option("values", req->values, "Decimal, p/q or hex-float literals, inf, nan")->required();
  sub->allow_extras(false);  // values such as -0.5 are not options
  sub->final_callback([req] { round_values(*req); });
}

}  // namespace fpx::cli
