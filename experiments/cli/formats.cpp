// fpx formats: the preset formats (or the named ones) and their properties.
#include <fmt/format.h>

#include <iostream>
#include <nlohmann/json.hpp>

#include "cli.hpp"
#include "fpx/arith/mx.hpp"

namespace fpx::cli {
namespace {

nlohmann::json format_json(const format& f) {
  nlohmann::json j;
  j["name"] = f.name();
  j["bits"] = f.bits();
  j["information_bits"] = f.information_bits();
  if (const auto* m = f.minifloat()) {
    j["kind"] = "minifloat";
    j["exponent_bits"] = m->exponent_bits;
    j["mantissa_bits"] = m->mantissa_bits;
    j["bias"] = m->bias;
    j["specials"] = std::string(to_string(m->specials));
    j["subnormals"] = m->subnormals;
  } else {
    j["kind"] = "grid";
  }
  j["has_inf"] = f.has_inf();
  j["has_nan"] = f.has_nan();
  j["overflow"] = std::string(to_string(f.overflow()));
  j["max"] = exact_text(max_value(f));
  j["min_normal"] = exact_text(min_normal(f));
  j["min_positive"] = exact_text(min_positive(f));
  j["epsilon"] = exact_text(epsilon(f));
  return j;
}

void list_formats(bool json) {
  if (json) {
    nlohmann::json all = nlohmann::json::array();
    for (const auto& name : preset_names()) all.push_back(format_json(preset(name)));
    for (const auto& name : mx_preset_names()) {
      const auto mx = parse_mx_format(name);
      all.push_back({{"name", name}, {"kind", "mx"}, {"element", mx.element.name()},
                     {"block_size", mx.block_size}, {"scale", "e8m0"},
                     {"emax_element", mx_emax_element(mx)}});
    }
    std::cout << all.dump(2) << "\n";
    return;
  }
  fmt::print("{:<10} {:>4} {:>3} {:>3} {:>5} {:<7} {:<4} {:>14} {:>14} {:>14} {:>10}\n", "name", "bits",
             "E", "M", "bias", "special", "sub", "max", "min normal", "min subnormal", "epsilon");
  for (const auto& name : preset_names()) {
    const auto f = preset(name);
    const auto& m = *f.minifloat();
    auto d = [](const rational& r) { return fmt::format("{:.6g}", r.convert_to<double>()); };
    fmt::print("{:<10} {:>4} {:>3} {:>3} {:>5} {:<7} {:<4} {:>14} {:>14} {:>14} {:>10}\n", name,
               f.bits(), m.exponent_bits, m.mantissa_bits, m.bias, to_string(m.specials),
               m.subnormals ? "yes" : "no", d(max_value(f)), d(min_normal(f)),
               m.subnormals ? d(min_positive(f)) : "-", d(epsilon(f)));
  }
  fmt::print("\nFormat names: {}\nMX block formats: {}\n", format_grammar(), mx_grammar());
}

}  // namespace

void add_formats(CLI::App& app) {
  auto json = std::make_shared<bool>(false);
  auto* sub = app.add_subcommand("formats", "List the preset formats and their properties");
  sub->add_flag("--json", *json, "Print one JSON array");
  sub->final_callback([json] { list_formats(*json); });
}

}  // namespace fpx::cli
