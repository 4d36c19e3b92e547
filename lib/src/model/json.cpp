#include "fpx/model/json.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <nlohmann/json.hpp>
#include <stdexcept>

#include "fpx/model/detail/json_text.hpp"

namespace fpx {
namespace {

using json = nlohmann::json;
using Eigen::Index;

// A non-negative integer (nlohmann would wrap -1 into an unsigned type and truncate 1.5).
template <class T>
T read_count(const json& v, const std::string& key) {
  if (!v.is_number_unsigned() || v.get<std::uint64_t>() > static_cast<std::uint64_t>(std::numeric_limits<T>::max()))
    throw std::invalid_argument(key + " must be a non-negative integer (at most " +
                                std::to_string(std::numeric_limits<T>::max()) + ")");
  return static_cast<T>(v.get<std::uint64_t>());
}

bool read_bool(const json& v, const std::string& key) {
  if (!v.is_boolean()) throw std::invalid_argument(key + " must be true or false");
  return v.get<bool>();
}

// --- networks -----------------------------------------------------------------------------

rational read_number(const json& v, const std::string& path) {
  if (v.is_number_unsigned()) return rational(bigint(v.get<std::uint64_t>()));  // (above 2^63 too)
  if (v.is_number_integer()) return rational(v.get<long long>());
  if (v.is_number_float()) {
    const double x = v.get<double>();
    if (!std::isfinite(x)) throw std::invalid_argument(path + ": not a finite number");
    return rational(x);
  }
  if (v.is_string()) {
    try {
      return parse_rational(v.get<std::string>());
    } catch (const std::invalid_argument& e) {
      throw std::invalid_argument(path + ": " + e.what());
    }
  }
  throw std::invalid_argument(path + ": expected a number or an exact numeric string");
}

rvector read_vector(const json& v, const std::string& path) {
  if (!v.is_array()) throw std::invalid_argument(path + ": expected an array");
  rvector out(static_cast<Index>(v.size()));
  for (std::size_t i = 0; i < v.size(); ++i)
    out(static_cast<Index>(i)) = read_number(v[i], path + "[" + std::to_string(i) + "]");
  return out;
}

rmatrix read_matrix(const json& v, const std::string& path) {
  if (!v.is_array()) throw std::invalid_argument(path + ": expected an array of rows");
  if (v.empty()) return {};
  const std::size_t cols = v[0].is_array() ? v[0].size() : 0;
  rmatrix out(static_cast<Index>(v.size()), static_cast<Index>(cols));
  for (std::size_t i = 0; i < v.size(); ++i) {
    const std::string rp = path + "[" + std::to_string(i) + "]";
    if (!v[i].is_array() || v[i].size() != cols)
      throw std::invalid_argument(rp + ": rows must be arrays of equal length " +
                                  std::to_string(cols));
    for (std::size_t k = 0; k < cols; ++k)
      out(static_cast<Index>(i), static_cast<Index>(k)) =
          read_number(v[i][k], rp + "[" + std::to_string(k) + "]");
  }
  return out;
}

// Visits the keys of an object, rejecting any not in `allowed`.
void check_keys(const json& v, std::initializer_list<std::string_view> allowed,
                const std::string& path) {
  if (!v.is_object()) throw std::invalid_argument(path + ": expected an object");
  for (const auto& [key, value] : v.items())
    if (std::find(allowed.begin(), allowed.end(), key) == allowed.end())
      throw std::invalid_argument(path + ": unknown key '" + key + "'");
}

// v[key] read by `parse` (a name of an enum), or `fallback` when v has no such key.
template <class Parse>
auto read_name(const json& v, const char* key, Parse parse, decltype(parse("")) fallback) {
  if (!v.contains(key)) return fallback;
  if (!v.at(key).is_string()) throw std::invalid_argument(std::string(key) + " must be a string");
  return parse(v.at(key).get<std::string>());
}

linear read_linear(const json& v, const std::string& path) {
  check_keys(v, {"weight", "bias", "activation"}, path);
  if (!v.contains("weight")) throw std::invalid_argument(path + ": missing 'weight'");
  linear l{read_matrix(v.at("weight"), path + ".weight"), {}};
  if (v.contains("bias")) l.bias = read_vector(v.at("bias"), path + ".bias");
  return l;
}

mlp read_mlp(const json& v, const std::string& path) {
  check_keys(v, {"type", "layers"}, path);
  mlp m;
  if (!v.contains("layers")) return m;
  const json& layers = v.at("layers");
  for (std::size_t i = 0; i < layers.size(); ++i) {
    const std::string lp = path + ".layers[" + std::to_string(i) + "]";
    m.layers.push_back({read_linear(layers[i], lp),
                        read_name(layers[i], "activation", parse_activation, activation::identity)});
  }
  return m;
}

attention_layer read_attention(const json& v, const std::string& path) {
  check_keys(v, {"kind", "mask", "heads", "output"}, path);
  attention_layer a;
  a.kind = read_name(v, "kind", parse_attention_kind, attention_kind::softmax);
  a.mask = read_name(v, "mask", parse_attention_mask, attention_mask::full);
  if (v.contains("heads"))
    for (std::size_t h = 0; h < v.at("heads").size(); ++h) {
      const json& hv = v.at("heads")[h];
      const std::string hp = path + ".heads[" + std::to_string(h) + "]";
      check_keys(hv, {"query", "key", "value"}, hp);
      for (const char* part : {"query", "key", "value"})
        if (!hv.contains(part)) throw std::invalid_argument(hp + ": missing '" + part + "'");
      a.heads.push_back({read_linear(hv.at("query"), hp + ".query"),
                         read_linear(hv.at("key"), hp + ".key"),
                         read_linear(hv.at("value"), hp + ".value")});
    }
  if (v.contains("output")) a.output = read_linear(v.at("output"), path + ".output");
  return a;
}

transformer read_transformer(const json& v) {
  check_keys(v, {"type", "token_embedding", "positional", "blocks", "readout"}, "transformer");
  transformer t;
  if (v.contains("token_embedding"))
    t.token_embedding = read_matrix(v.at("token_embedding"), "token_embedding");
  if (v.contains("positional")) t.positional = read_matrix(v.at("positional"), "positional");
  if (v.contains("blocks"))
    for (std::size_t b = 0; b < v.at("blocks").size(); ++b) {
      const json& bv = v.at("blocks")[b];
      const std::string bp = "blocks[" + std::to_string(b) + "]";
      check_keys(bv, {"attention", "attention_residual", "mlp", "mlp_residual"}, bp);
      transformer_block block;
      if (bv.contains("attention")) block.attention = read_attention(bv.at("attention"), bp + ".attention");
      if (bv.contains("attention_residual"))
        block.attention_residual = read_bool(bv.at("attention_residual"), bp + ".attention_residual");
      if (bv.contains("mlp")) block.feed_forward = read_mlp(bv.at("mlp"), bp + ".mlp");
      if (bv.contains("mlp_residual")) block.mlp_residual = read_bool(bv.at("mlp_residual"), bp + ".mlp_residual");
      t.blocks.push_back(std::move(block));
    }
  if (v.contains("readout")) t.readout = read_mlp(v.at("readout"), "readout");
  return t;
}

json write_matrix(const rmatrix& m) {
  json rows = json::array();
  for (Index i = 0; i < m.rows(); ++i) {
    json row = json::array();
    for (Index k = 0; k < m.cols(); ++k) row.push_back(to_fraction_string(m(i, k)));
    rows.push_back(row);
  }
  return rows;
}

json write_linear(const linear& l) {
  json j;
  j["weight"] = write_matrix(l.weight);
  if (l.bias.size() != 0) {
    json b = json::array();
    for (Index i = 0; i < l.bias.size(); ++i) b.push_back(to_fraction_string(l.bias(i)));
    j["bias"] = b;
  }
  return j;
}

json write_mlp(const mlp& m) {
  json layers = json::array();
  for (const dense_layer& l : m.layers) {
    json j = write_linear(l.map);
    j["activation"] = to_string(l.act);
    layers.push_back(j);
  }
  return json{{"layers", layers}};
}

// --- specs --------------------------------------------------------------------------------

// The value of `key` (a string) read by `parse`.
template <class Parse>
auto read_string(const json& v, const std::string& key, Parse parse) {
  if (!v.is_string()) throw std::invalid_argument(key + " must be a string");
  return parse(v.get<std::string>());
}

// The rounding mode, with a hint where the arithmetic was meant.
rounding read_rounding_mode(const json& v) {
  const std::string name = v.is_string() ? v.get<std::string>() : "";
  if (name == "rounded" || name == "exact" || name == "float64")
    throw std::invalid_argument("mode is the rounding mode (" + name + " is an arithmetic: use "
                                "\"arithmetic\": \"" + name + "\")");
  return read_string(v, "mode", parse_rounding);
}

}  // namespace

rmatrix rmatrix_from_json(std::string_view text) {
  const json j = detail::parse_json(text, "matrix");
  if (j.is_array() && !j.empty() && !j[0].is_array()) {
    const rvector v = read_vector(j, "matrix");
    rmatrix m(1, v.size());
    for (Index k = 0; k < v.size(); ++k) m(0, k) = v(k);
    return m;
  }
  return read_matrix(j, "matrix");
}

std::string to_json(const rmatrix& m) { return write_matrix(m).dump(); }

network network_from_json(std::string_view text) {
  const json j = detail::parse_json(text, "network");
  try {
    if (!j.is_object() || !j.contains("type"))
      throw std::invalid_argument("network: expected an object with \"type\": \"mlp\" or \"transformer\"");
    const std::string type = j.at("type").get<std::string>();
    if (type == "mlp") {
      mlp m = read_mlp(j, "mlp");
      validate(m);
      return m;
    }
    if (type == "transformer") {
      transformer t = read_transformer(j);
      validate(t);
      return t;
    }
    throw std::invalid_argument("network: unknown type '" + type + "' (mlp, transformer)");
  } catch (const json::exception& e) {
    throw std::invalid_argument(std::string("network: wrong type: ") + e.what());
  }
}

std::string to_json(const mlp& m) {
  json j = write_mlp(m);
  j["type"] = "mlp";
  return j.dump();
}

std::string to_json(const transformer& t) {
  json j;
  j["type"] = "transformer";
  if (t.token_embedding.size() != 0) j["token_embedding"] = write_matrix(t.token_embedding);
  if (t.positional.size() != 0) j["positional"] = write_matrix(t.positional);
  json blocks = json::array();
  for (const transformer_block& b : t.blocks) {
    json bj;
    if (b.attention) {
      json a;
      a["kind"] = to_string(b.attention->kind);
      a["mask"] = to_string(b.attention->mask);
      json heads = json::array();
      for (const attention_head& h : b.attention->heads)
        heads.push_back({{"query", write_linear(h.query)},
                         {"key", write_linear(h.key)},
                         {"value", write_linear(h.value)}});
      a["heads"] = heads;
      if (b.attention->output.weight.size() != 0) a["output"] = write_linear(b.attention->output);
      bj["attention"] = a;
    }
    bj["attention_residual"] = b.attention_residual;
    if (!b.feed_forward.layers.empty()) bj["mlp"] = write_mlp(b.feed_forward);
    bj["mlp_residual"] = b.mlp_residual;
    blocks.push_back(bj);
  }
  j["blocks"] = blocks;
  if (!t.readout.layers.empty()) j["readout"] = write_mlp(t.readout);
  return j.dump();
}

std::string to_json(const precision_spec& s) {
  json j;
  j["name"] = s.name;
  j["arithmetic"] = to_string(s.arithmetic);
  json formats = json::object();
  for (quantity q : all_quantities())
    if (const auto& f = s.formats[static_cast<std::size_t>(q)]) formats[to_string(q)] = f->name();
  j["formats"] = formats;
  j["mode"] = rounding_name(s.rule);
  j["seed"] = s.rule.seed;
  j["where"] = to_string(s.where);
  j["feature_order"] = to_string(s.feature_order);
  j["position_order"] = to_string(s.position_order);
  j["position_permutation"] = s.position_permutation;
  j["subtract_max"] = s.subtract_max;
  j["normalization"] = to_string(s.normalization);
  j["hard_attention"] = to_string(s.hard_attention);
  j["exact_exp_bits"] = s.exact_exp_bits;
  return j.dump();
}

precision_spec spec_from_json(std::string_view text) {
  const json j = detail::parse_json(text, "precision spec");
  if (j.is_string()) return spec_preset(j.get<std::string>());
  if (!j.is_object())
    throw std::invalid_argument("precision spec: expected a preset name or an object");

  precision_spec s;
  try {
    if (j.contains("preset")) s = read_string(j.at("preset"), "preset", spec_preset);
    for (const auto& [key, v] : j.items()) {
      if (key == "preset") continue;
      else if (key == "name") s.name = read_string(v, key, [](std::string n) { return n; });
      else if (key == "arithmetic") s.arithmetic = read_string(v, key, parse_arithmetic);
      else if (key == "formats") {
        if (v.is_string()) s.set_all_formats(parse_format(v.get<std::string>()));
        else if (v.is_object())
          for (const auto& [q, f] : v.items())
            s.formats[static_cast<std::size_t>(parse_quantity(q))] = read_string(f, "formats." + q, parse_format);
        else throw std::invalid_argument("formats must be a format name or an object");
      } else if (key == "mode") {
        const rounding r = read_rounding_mode(v);  // the seed is a key of its own
        s.rule.mode = r.mode;
        s.rule.random_bits = r.random_bits;
      }
      else if (key == "rounding")
        throw std::invalid_argument("'rounding' is a retired spelling; the rounding mode is 'mode'");
      else if (key == "seed") s.rule.seed = read_count<std::uint64_t>(v, key);
      else if (key == "where") s.where = read_string(v, key, parse_rounding_points);
      else if (key == "feature_order") s.feature_order = read_string(v, key, parse_summation_order);
      else if (key == "position_order") s.position_order = read_string(v, key, parse_summation_order);
      else if (key == "position_permutation") {
        if (!v.is_array()) throw std::invalid_argument("position_permutation must be an array of positions");
        s.position_permutation.clear();
        for (const json& k : v) s.position_permutation.push_back(read_count<std::size_t>(k, key));
      } else if (key == "subtract_max") s.subtract_max = read_bool(v, key);
      else if (key == "normalization") s.normalization = read_string(v, key, parse_softmax_normalization);
      else if (key == "hard_attention") s.hard_attention = read_string(v, key, parse_hard_attention_rule);
      else if (key == "exact_exp_bits") s.exact_exp_bits = read_count<int>(v, key);
      else throw std::invalid_argument("unknown key '" + key + "'");
    }
  } catch (const json::exception& e) {
    throw std::invalid_argument(std::string("precision spec: wrong type: ") + e.what());
  } catch (const std::invalid_argument& e) {
    throw std::invalid_argument(std::string("precision spec: ") + e.what());
  }
  if (s.name.empty()) s.name = "custom";
  s.validate();
  return s;
}

}  // namespace fpx
