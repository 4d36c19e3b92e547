// Quantizer names: a head that one element kind reads (kinds/*.cpp), then options after ':'.
#include <charconv>
#include <stdexcept>

#include "quantizer.hpp"
#include "fpx/quant/matrix_methods.hpp"

namespace fpx::detail {
namespace {

std::optional<int> integer_suffix(std::string_view text, std::string_view prefix) {
  if (!text.starts_with(prefix)) return std::nullopt;
  int v = 0;
  const auto rest = text.substr(prefix.size());
  const auto [end, ec] = std::from_chars(rest.data(), rest.data() + rest.size(), v);
  if (ec != std::errc{} || end != rest.data() + rest.size() || rest.empty()) return std::nullopt;
  return v;
}

std::string outlier_option(double fraction) {
  if (fraction == 0) return "";
  char text[32];
  const auto end = std::to_chars(text, text + sizeof text, fraction).ptr;
  return ":outliers=" + std::string(text, end);
}

}  // namespace

void bad_quantizer(std::string_view name, const std::string& why) {
  throw std::invalid_argument("quantizer '" + std::string(name) + "': " + why);
}

quantizer parse_quantizer(std::string_view name) {
  std::vector<std::string_view> parts;
  for (std::size_t start = 0;;) {
    const auto colon = name.find(':', start);
    parts.push_back(name.substr(start, colon - start));
    if (colon == std::string_view::npos) break;
    start = colon + 1;
  }
  quantizer q;
  const std::string_view head = parts[0];
  for (const element_kind* kind : element_kinds())
    if (kind->parse(head, q)) {
      q.kind = kind;
      break;
    }
  if (!q.kind) {
    std::string heads;
    for (const element_kind* kind : element_kinds()) heads += (heads.empty() ? "" : ", ") + std::string(kind->heads());
    bad_quantizer(name, "unknown element '" + std::string(head) + "' (" + heads + ")");
  }
  q.absmean = q.kind->absmean_by_default();
  const format own_scale = q.scale_format;  // the kind's own scale format (fp32 unless it fixes one)

  std::optional<int> block;
  std::optional<std::string_view> scale_rule;
  for (std::size_t i = 1; i < parts.size(); ++i) {
    const std::string_view opt = parts[i];
    if (opt == "tensor") q.groups = grouping::tensor;
    else if (opt == "channel") q.groups = grouping::channel;
    else if (auto g = integer_suffix(opt, "group=")) {
      if (*g <= 0) bad_quantizer(name, "group size must be positive");
      q.groups = grouping::group;
      q.group_size = *g;
    } else if (opt == "absmax") q.absmean = false;
    else if (opt == "absmean") q.absmean = true;
    else if (opt == "noscale") q.noscale = true;
    else if (opt.starts_with("scale=")) q.scale_format = parse_format(opt.substr(6));
    else if (opt.starts_with("stochastic=")) {
      std::uint64_t seed = 0;
      const auto s = opt.substr(11);
      const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), seed);
      if (ec != std::errc{} || end != s.data() + s.size()) bad_quantizer(name, "seed must be an integer");
      q.rule = {round_mode::stochastic, seed, q.rule.random_bits};
    } else if (opt.starts_with("stochastic_bits=")) {
      try {  // the rounding's own grammar: stochastic:bits=K
        q.rule.random_bits = parse_rounding("stochastic:bits=" + std::string(opt.substr(16))).random_bits;
      } catch (const std::invalid_argument& e) {
        bad_quantizer(name, e.what());
      }
    } else if (opt.starts_with("outliers=")) {
      const auto f = opt.substr(9);
      const auto [end, ec] = std::from_chars(f.data(), f.data() + f.size(), q.outliers);
      if (ec != std::errc{} || end != f.data() + f.size() || !(q.outliers >= 0 && q.outliers < 1))
        bad_quantizer(name, "outliers= takes a fraction in [0, 1)");
    } else if (opt.starts_with("scale_rule=")) {
      if (!q.mx) bad_quantizer(name, "scale_rule= applies to MX formats");
      scale_rule = opt.substr(11);
    } else if (auto b = integer_suffix(opt, "block=")) {
      if (!q.mx) bad_quantizer(name, "block= applies to MX formats; use group=");
      block = *b;
    } else {
      bad_quantizer(name, "unknown option '" + std::string(opt) + "'");
    }
  }
  if (q.rule.random_bits != 0 && q.rule.mode != round_mode::stochastic)
    bad_quantizer(name, "stochastic_bits=K needs :stochastic=SEED");
  if (q.kind->own_blocks()) {
    if (q.groups != grouping::tensor || q.noscale || q.absmean || q.scale_format != own_scale)
      bad_quantizer(name, "MX formats, nvfp4 and k-quants fix their own blocks and scales");
    q.groups = grouping::channel;  // their blocks lie within a row
  }
  if (block || scale_rule) {
    std::string mx = std::string(head);
    if (block) mx += ":block=" + std::to_string(*block);
    if (scale_rule) mx += ":scale_rule=" + std::string(*scale_rule);
    try {
      q.mx = parse_mx_format(mx);
    } catch (const std::invalid_argument& e) {
      bad_quantizer(name, e.what());
    }
  }
  q.kind->check(q, name);
  return q;
}

std::string quantizer::name() const {
  std::string seed;
  if (rule.mode == round_mode::stochastic) {
    seed = ":stochastic=" + std::to_string(rule.seed);
    if (rule.random_bits != 0) seed += ":stochastic_bits=" + std::to_string(rule.random_bits);
  }
  std::string n = kind->head(*this);
  if (kind->own_blocks()) return n + outlier_option(outliers) + seed;
  if (groups == grouping::channel) n += ":channel";
  if (groups == grouping::group) n += ":group=" + std::to_string(group_size);
  if (absmean != kind->absmean_by_default()) n += absmean ? ":absmean" : ":absmax";
  if (noscale) n += ":noscale";
  else n += ":scale=" + scale_format.name();
  return n + outlier_option(outliers) + seed;
}

}  // namespace fpx::detail

namespace fpx {

std::string quantizer_grammar() {
  std::string heads;
  for (const detail::element_kind* kind : detail::element_kinds())
    heads += (heads.empty() ? "" : " | ") + std::string(kind->heads());
  return "(" + heads + ") then options in any order: :tensor (default) | :channel | :group=G, "
         ":absmax | :absmean, :noscale, :scale=FORMAT (default fp32), :stochastic=SEED (with :stochastic_bits=K: K random "
         "bits per rounding), :outliers=F "
         "(MX formats, nvfp4 and k-quants fix their own blocks and scales; MX takes :block=K and "
         ":scale_rule=floor|ceil|even|rceil); or " + detail::matrix_method_grammar();
}

}  // namespace fpx
