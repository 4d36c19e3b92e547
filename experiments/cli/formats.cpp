// fpx formats: the preset formats (or the named ones, any format or MX name) and their properties.
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

nlohmann::json mx_json(const mx_format& mx) {
  return {{"name", mx.name}, {"kind", "mx"}, {"element", mx.element.name()}, {"block_size", mx.block_size},
          {"scale", "e8m0"}, {"scale_rule", std::string(to_string(mx.scale_rule))}, {"emax_element", mx_emax_element(mx)}};
}

const char* const row_format = "{:<22} {:>4} {:>3} {:>3} {:>5} {:<7} {:<4} {:<8} {:>14} {:>14} {:>14} {:>10}\n";

void print_row(const format& f) {
  auto d = [](const rational& r) { return fmt::format("{:.6g}", r.convert_to<double>()); };
  if (const auto* m = f.minifloat()) {
    fmt::print(fmt::runtime(row_format), f.name(), f.bits(), m->exponent_bits, m->mantissa_bits, m->bias,
               to_string(m->specials), m->subnormals ? "yes" : "no", to_string(f.overflow()), d(max_value(f)),
               d(min_normal(f)), m->subnormals ? d(min_positive(f)) : "-", d(epsilon(f)));
  } else {
    fmt::print(fmt::runtime(row_format), f.name(), f.bits(), "-", "-", "-", "grid", "-", to_string(f.overflow()),
               d(max_value(f)), d(min_normal(f)), d(min_positive(f)), d(epsilon(f)));
  }
}

void list_formats(bool json, const std::vector<std::string>& names) {
  std::vector<format> scalars;
  std::vector<mx_format> blocks;
  if (names.empty()) {
    for (const auto& name : preset_names()) scalars.push_back(preset(name));
    for (const auto& name : mx_preset_names()) blocks.push_back(parse_mx_format(name));
  }
  for (const auto& name : names) {
    if (name.starts_with("mx")) blocks.push_back(parse_mx_format(name));
    else scalars.push_back(parse_format(name));
  }
  if (json) {
    nlohmann::json all = nlohmann::json::array();
    for (const auto& f : scalars) all.push_back(format_json(f));
    for (const auto& mx : blocks) all.push_back(mx_json(mx));
    std::cout << all.dump(2) << "\n";
    return;
  }
  if (!scalars.empty()) {
    fmt::print(fmt::runtime(row_format), "name", "bits", "E", "M", "bias", "special", "sub", "overflow", "max",
               "min normal", "min subnormal", "epsilon");
    for (const auto& f : scalars) print_row(f);
  }
  for (const auto& mx : blocks)
    fmt::print("{}: blocks of {} elements {} with one E8M0 scale\n", mx.name, mx.block_size, mx.element.name());
  if (names.empty())
    fmt::print("\nFormat names: {}\nMX block formats: {}\n", format_grammar(), mx_grammar());
}

struct request {
  bool json = false;
  std::vector<std::string> names;
};

}  // namespace

void add_formats(CLI::App& app) {
  auto req = std::make_shared<request>();
  auto* sub = app.add_subcommand("formats", "List the preset formats (or the named ones) and their properties");
  sub->add_flag("--json", req->json, "Print one JSON array");
  sub->add_option("names", req->names, "Format or MX names to show (default: every preset)");
  sub->final_callback([req] { list_formats(req->json, req->names); });
}

}  // namespace fpx::cli
