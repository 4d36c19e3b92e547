#include "fpx/network.hpp"

#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>
#include <stdexcept>

#include "enum_names.hpp"
#include "json_text.hpp"

namespace fpx {
namespace {

using json = nlohmann::json;
using Eigen::Index;

constexpr detail::enum_names<activation, 5> activation_names{
    "activation",
    {{{activation::identity, "identity"},
      {activation::relu, "relu"},
      {activation::step, "step"},
      {activation::sign, "sign"},
      {activation::clipped_relu, "clipped_relu"}}}};
constexpr detail::enum_names<attention_kind, 2> kind_names{
    "attention kind", {{{attention_kind::softmax, "softmax"}, {attention_kind::hard, "hard"}}}};
constexpr detail::enum_names<attention_mask, 2> mask_names{
    "attention mask", {{{attention_mask::full, "full"}, {attention_mask::causal, "causal"}}}};

[[noreturn]] void shape_error(const std::string& path, const std::string& what) {
  throw std::invalid_argument(path + " " + what);
}

void check_linear(const linear& l, Index inputs, const std::string& path) {
  if (l.weight.size() == 0) shape_error(path + ".weight", "is empty");
  if (l.inputs() != inputs)
    shape_error(path + ".weight", "has " + std::to_string(l.inputs()) + " columns, expected " +
                                      std::to_string(inputs));
  if (l.bias.size() != 0 && l.bias.size() != l.outputs())
    shape_error(path + ".bias", "has " + std::to_string(l.bias.size()) + " entries, expected " +
                                    std::to_string(l.outputs()));
}

// Checks the layers against an input width; returns the output width.
Index check_mlp(const mlp& m, Index inputs, const std::string& path) {
  for (std::size_t i = 0; i < m.layers.size(); ++i) {
    check_linear(m.layers[i].map, inputs, path + ".layers[" + std::to_string(i) + "]");
    inputs = m.layers[i].map.outputs();
  }
  return inputs;
}

Index check_attention(const attention_layer& a, Index d, const std::string& path) {
  if (a.heads.empty()) shape_error(path + ".heads", "is empty");
  Index concat = 0;
  for (std::size_t h = 0; h < a.heads.size(); ++h) {
    const std::string hp = path + ".heads[" + std::to_string(h) + "]";
    const attention_head& head = a.heads[h];
    check_linear(head.query, d, hp + ".query");
    check_linear(head.key, d, hp + ".key");
    check_linear(head.value, d, hp + ".value");
    if (head.query.outputs() != head.key.outputs())
      shape_error(hp, "query and key widths differ (" + std::to_string(head.query.outputs()) +
                          " and " + std::to_string(head.key.outputs()) + ")");
    concat += head.value.outputs();
  }
  if (a.output.weight.size() == 0) return concat;
  check_linear(a.output, concat, path + ".output");
  return a.output.outputs();
}

// --- JSON -------------------------------------------------------------------------------

rational read_number(const json& v, const std::string& path) {
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

template <class Enum, std::size_t N>
Enum read_enum(const json& v, const char* key, const detail::enum_names<Enum, N>& names,
               Enum fallback) {
  return v.contains(key) ? names.parse(v.at(key).get<std::string>()) : fallback;
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
                        read_enum(layers[i], "activation", activation_names, activation::identity)});
  }
  return m;
}

attention_layer read_attention(const json& v, const std::string& path) {
  check_keys(v, {"kind", "mask", "heads", "output"}, path);
  attention_layer a;
  a.kind = read_enum(v, "kind", kind_names, attention_kind::softmax);
  a.mask = read_enum(v, "mask", mask_names, attention_mask::full);
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
      if (bv.contains("attention_residual")) block.attention_residual = bv.at("attention_residual").get<bool>();
      if (bv.contains("mlp")) block.feed_forward = read_mlp(bv.at("mlp"), bp + ".mlp");
      if (bv.contains("mlp_residual")) block.mlp_residual = bv.at("mlp_residual").get<bool>();
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
    j["activation"] = activation_names.name(l.act);
    layers.push_back(j);
  }
  return json{{"layers", layers}};
}

}  // namespace

rmatrix to_rmatrix(const Eigen::MatrixXd& m) {
  rmatrix out(m.rows(), m.cols());
  for (Index i = 0; i < m.rows(); ++i)
    for (Index k = 0; k < m.cols(); ++k) {
      if (!std::isfinite(m(i, k)))
        throw std::invalid_argument("to_rmatrix: entry (" + std::to_string(i) + ", " +
                                    std::to_string(k) + ") is not finite");
      out(i, k) = rational(m(i, k));
    }
  return out;
}

bool equal(const rmatrix& a, const rmatrix& b) {
  if (a.rows() != b.rows() || a.cols() != b.cols()) return false;
  for (Index i = 0; i < a.size(); ++i)
    if (a.data()[i] != b.data()[i]) return false;
  return true;
}

std::string_view to_string(activation a) { return activation_names.name(a); }
activation parse_activation(std::string_view name) { return activation_names.parse(name); }
std::string_view to_string(attention_kind k) { return kind_names.name(k); }
attention_kind parse_attention_kind(std::string_view name) { return kind_names.parse(name); }
std::string_view to_string(attention_mask m) { return mask_names.name(m); }
attention_mask parse_attention_mask(std::string_view name) { return mask_names.parse(name); }

Index transformer::d_model() const {
  if (token_embedding.size() != 0) return token_embedding.cols();
  if (positional.size() != 0) return positional.cols();
  for (const transformer_block& b : blocks) {
    if (b.attention && !b.attention->heads.empty()) return b.attention->heads[0].query.inputs();
    if (!b.feed_forward.layers.empty()) return b.feed_forward.inputs();
  }
  return readout.inputs();
}

void validate(const mlp& m) {
  if (m.layers.empty()) throw std::invalid_argument("mlp has no layers");
  check_mlp(m, m.inputs(), "mlp");
}

void validate(const transformer& t) {
  const Index d = t.d_model();
  if (d == 0) throw std::invalid_argument("transformer: no parameter fixes d_model");
  if (t.token_embedding.size() != 0 && t.token_embedding.cols() != d)
    shape_error("token_embedding", "has " + std::to_string(t.token_embedding.cols()) +
                                       " columns, expected d_model = " + std::to_string(d));
  if (t.positional.size() != 0 && t.positional.cols() != d)
    shape_error("positional", "has " + std::to_string(t.positional.cols()) +
                                  " columns, expected d_model = " + std::to_string(d));
  Index width = d;
  for (std::size_t b = 0; b < t.blocks.size(); ++b) {
    const std::string bp = "blocks[" + std::to_string(b) + "]";
    const transformer_block& block = t.blocks[b];
    if (block.attention) {
      const Index out = check_attention(*block.attention, width, bp + ".attention");
      if (block.attention_residual && out != width)
        shape_error(bp + ".attention", "outputs " + std::to_string(out) +
                                           " features; the residual needs " + std::to_string(width));
      width = out;
    }
    if (!block.feed_forward.layers.empty()) {
      const Index out = check_mlp(block.feed_forward, width, bp + ".mlp");
      if (block.mlp_residual && out != width)
        shape_error(bp + ".mlp", "outputs " + std::to_string(out) +
                                     " features; the residual needs " + std::to_string(width));
      width = out;
    }
  }
  check_mlp(t.readout, width, "readout");
}

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
      a["kind"] = kind_names.name(b.attention->kind);
      a["mask"] = mask_names.name(b.attention->mask);
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

}  // namespace fpx
