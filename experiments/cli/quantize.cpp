// fpx quantize: a weight matrix rounded by a quantizer (fpx/quant/quantize.hpp), JSON out.
#include <fmt/format.h>

#include <cmath>
#include <iostream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <sstream>

#include "cli.hpp"
#include "fpx/quant/quantize.hpp"

namespace fpx::cli {
namespace {

struct request {
  std::string quantizer, matrix = "-";
};

// A double that a JSON or text number names exactly (quantizers read doubles).
double exact_double(const nlohmann::json& x, std::size_t row, std::size_t col) {
  if (!x.is_number()) throw std::invalid_argument(fmt::format("weight ({}, {}) is {}, not a number", row, col, x.dump()));
  if (x.is_number_integer()) {
    const auto v = x.is_number_unsigned() ? static_cast<long double>(x.get<std::uint64_t>()) : x.get<std::int64_t>();
    if (std::abs(v) > 9007199254740992.0L)
      throw std::invalid_argument(fmt::format("weight ({}, {}) = {} is not exactly a double", row, col, x.dump()));
    return static_cast<double>(v);
  }
  return x.get<double>();
}

// The matrix: JSON rows ([[...], ...], or one row [...]), or text with one row per line and the
// numbers separated by commas or spaces; from a file, the text itself, or stdin ("-").
Eigen::MatrixXd read_matrix(const std::string& arg) {
  std::string text;
  if (arg == "-") {
    text.assign(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
  } else {
    text = json_argument(arg);
  }
  const auto first = text.find_first_not_of(" \t\r\n");
  if (first == std::string::npos) throw std::invalid_argument("quantize: the matrix is empty");
  nlohmann::json rows = nlohmann::json::array();
  if (text[first] == '[') {
    rows = nlohmann::json::parse(text);
    if (!rows.empty() && !rows.front().is_array()) rows = nlohmann::json::array({rows});
  } else {
    std::istringstream lines(text);
    for (std::string line; std::getline(lines, line);) {
      for (char& c : line)
        if (c == ',') c = ' ';
      std::istringstream fields(line);
      nlohmann::json row = nlohmann::json::array();
      for (std::string field; fields >> field;) {
        std::size_t used = 0;
        double v = 0;
        try {
          v = std::stod(field, &used);
        } catch (const std::exception&) {
          used = 0;
        }
        if (used != field.size()) throw std::invalid_argument("quantize: '" + field + "' is not a number");
        row.push_back(v);
      }
      if (!row.empty()) rows.push_back(row);
    }
  }
  if (!rows.is_array() || rows.empty()) throw std::invalid_argument("quantize: the matrix has no rows");
  const std::size_t cols = rows.front().size();
  Eigen::MatrixXd w(static_cast<Eigen::Index>(rows.size()), static_cast<Eigen::Index>(cols));
  for (std::size_t i = 0; i < rows.size(); ++i) {
    if (!rows[i].is_array() || rows[i].size() != cols)
      throw std::invalid_argument(fmt::format("quantize: row {} has {} entries, row 0 has {}", i,
                                              rows[i].is_array() ? rows[i].size() : 0, cols));
    for (std::size_t k = 0; k < cols; ++k)
      w(static_cast<Eigen::Index>(i), static_cast<Eigen::Index>(k)) = exact_double(rows[i][k], i, k);
  }
  return w;
}

void quantize_matrix(const request& req) {
  const Eigen::MatrixXd w = read_matrix(req.matrix);
  const quantized_weights q = quantize(w, req.quantizer);
  nlohmann::json values = nlohmann::json::array();
  for (Eigen::Index i = 0; i < q.values.rows(); ++i) {
    nlohmann::json row = nlohmann::json::array();
    for (Eigen::Index k = 0; k < q.values.cols(); ++k) row.push_back(q.values(i, k));  // exact doubles
    values.push_back(row);
  }
  const nlohmann::json out{{"name", q.name},
                           {"rows", w.rows()},
                           {"cols", w.cols()},
                           {"bits_per_parameter", q.bits_per_parameter},
                           {"information_bits_per_parameter", q.information_bits_per_parameter},
                           {"values", values}};
  std::cout << out.dump(1) << "\n";
}

}  // namespace

void add_quantize(CLI::App& app) {
  auto req = std::make_shared<request>();
  auto* sub = app.add_subcommand("quantize", "Quantize a weight matrix (out x in) and report its bits (JSON out)");
  sub->add_option("--quantizer,-q", req->quantizer, "Quantizer name: " + quantizer_grammar())->required();
  sub->add_option("--matrix", req->matrix,
                  "The weights: JSON rows [[...], ...] (or one row [...]), or text with one row per line "
                  "(numbers separated by commas or spaces); a file, the text itself, or - for stdin (default)");
  sub->final_callback([req] { quantize_matrix(*req); });
}

}  // namespace fpx::cli
