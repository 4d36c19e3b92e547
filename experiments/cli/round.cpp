// fpx round: values read exactly and rounded into a format, once each.
#include <fmt/format.h>

#include <cmath>
#include <iostream>
#include <limits>
#include <nlohmann/json.hpp>

#include "cli.hpp"
#include "fpx/arith/codec.hpp"
#include "fpx/arith/mx.hpp"
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

struct request {
  std::string format_name, mode = "rne";
  std::optional<std::uint64_t> seed;
  bool json = false;
  std::vector<std::string> values;
};

// An MX name: the values are one tensor, rounded block by block along the given order (each
// value must be a double: MX scales are chosen from doubles).
void round_mx(const request& req) {
  const mx_format mx = parse_mx_format(req.format_name);
  const rounding r = rounding_of(req.mode, req.seed);
  std::vector<double> xs;
  for (const auto& text : req.values) {
    const number n = parse_number(text);
    double x = std::numeric_limits<double>::quiet_NaN();
    if (n.what == number::kind::infinity) x = n.negative ? -HUGE_VAL : HUGE_VAL;
    else if (n.what == number::kind::finite) {
      x = n.value.convert_to<double>();
      if (n.negative && n.value == 0) x = -0.0;
      if (!std::isfinite(x) || exact_rational(x) != n.value)
        throw std::invalid_argument("MX rounding reads doubles, and " + text + " is not one");
    }
    xs.push_back(x);
  }
  const mx_tensor t = quantize_mx(mx, xs, r);
  nlohmann::json out = nlohmann::json::array();
  for (std::size_t i = 0; i < xs.size(); ++i) {
    const std::size_t block = i / static_cast<std::size_t>(mx.block_size);
    const code_t element = t.elements[i], scale = t.scales[block];
    const bool nan = classify(preset("e8m0"), scale) == number_class::nan;
    const std::string value = nan ? "nan" : exact_text(mx_value(t, i));
    if (req.json) {
      out.push_back({{"input", req.values[i]}, {"value", value}, {"block", block},
                     {"element", hex_string(element, mx.element.bits())}, {"scale", hex_string(scale, 8)}});
    } else {
      fmt::print("{:<24} -> {:<28} block {} scale {} element {}\n", req.values[i], value, block,
                 hex_string(scale, 8), hex_string(element, mx.element.bits()));
    }
  }
  if (req.json) std::cout << out.dump(2) << "\n";
}

void round_values(const request& req) {
  if (req.format_name.starts_with("mx")) return round_mx(req);
  const format f = parse_format(req.format_name);
  const rounding r = rounding_of(req.mode, req.seed);
  nlohmann::json out = nlohmann::json::array();
  for (std::size_t i = 0; i < req.values.size(); ++i) {
    const number in = parse_number(req.values[i]);
    const code_t code = from_number(f, in, r, i);
    const std::string value = code_text(f, code);
    if (req.json) {
      out.push_back({{"input", req.values[i]}, {"value", value}, {"bits", bit_string(code, f.bits())},
                     {"hex", hex_string(code, f.bits())}});
    } else {
      const auto cls = classify(f, code);
      const std::string approx = cls == number_class::nan || cls == number_class::infinite
                                     ? value
                                     : fmt::format("{:.17g}", to_double(f, code));
      fmt::print("{:<24} -> {:<24} {:<28} {} {}\n", req.values[i], approx, value, bit_string(code, f.bits()),
                 hex_string(code, f.bits()));
    }
  }
  if (req.json) std::cout << out.dump(2) << "\n";
}

}  // namespace

void add_round(CLI::App& app) {
  auto req = std::make_shared<request>();
  auto* sub = app.add_subcommand("round", "Round values into a format, exactly once each");
  sub->add_option("--format,-f", req->format_name,
                  "Format name: " + format_grammar() + "; or an MX name (" + mx_grammar() +
                      "), the values then one tensor rounded block by block")
      ->required();
  sub->add_option("--mode,-m", req->mode, "Rounding mode: " + rounding_grammar());
  sub->add_option("--seed,-s", req->seed, "Seed for stochastic rounding (site = position); required by it, refused without it");
  sub->add_flag("--json", req->json, "Print one JSON array of {input, value, bits, hex}");
  sub->add_option("values", req->values, "Decimal, p/q or hex-float literals, inf, nan")->required();
  sub->allow_extras(false);  // values such as -0.5 are not options
  sub->final_callback([req] { round_values(*req); });
}

}  // namespace fpx::cli
