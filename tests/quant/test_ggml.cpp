// ggml's formats against rows that ggml's own reference quantizers wrote (tests/data): every
// byte of every block, every decoded float32 bit for bit, and fpx's quantizers of the same
// names giving the same values. Then the layout on hand-made blocks, and bad input.
#include "fpx/quant/ggml.hpp"

#include <doctest/doctest.h>

#include <bit>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <limits>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <vector>

#include "fpx/quant/gptq.hpp"
#include "fpx/quant/quantize.hpp"

namespace {

using fpx::ggml::type;

const nlohmann::json& reference() {
  static const nlohmann::json data = [] {
    std::ifstream in(FPX_TEST_DATA "/ggml_quants.json");
    REQUIRE(in.good());
    return nlohmann::json::parse(in);
  }();
  return data;
}

std::vector<std::uint8_t> bytes_of(const std::string& hex) {
  std::vector<std::uint8_t> out;
  for (std::size_t i = 0; i + 1 < hex.size(); i += 2) out.push_back(static_cast<std::uint8_t>(std::stoul(hex.substr(i, 2), nullptr, 16)));
  return out;
}

std::vector<float> floats_of(const nlohmann::json& list) {
  std::vector<float> out;
  for (const auto& v : list) out.push_back(std::strtof(v.get<std::string>().c_str(), nullptr));
  return out;
}

}  // namespace

TEST_CASE("ggml: fpx writes ggml's blocks and decodes them to ggml's values, row by row") {
  int rows = 0;
  for (const auto& row : reference()["rows"]) {
    const std::string name = row["type"];
    const auto t = fpx::ggml::type_named(name);
    REQUIRE(t.has_value());
    const std::vector<float> x = floats_of(row["x"]), expected = floats_of(row["dequantized"]);
    const std::vector<std::uint8_t> blocks = bytes_of(row["blocks_hex"]);
    const auto& shape = fpx::ggml::layout_of(*t);
    CAPTURE(name);
    const int row_index = row["row"];
    CAPTURE(row_index);
    REQUIRE(x.size() == 512);
    CHECK(blocks.size() == 512 / static_cast<std::size_t>(shape.block_weights) * static_cast<std::size_t>(shape.block_bytes));
    CHECK(row["bits_per_weight"].get<double>() == 8.0 * shape.block_bytes / shape.block_weights);

    // (a) decoding ggml's bytes gives ggml's floats, bit for bit (signs of zero included).
    const std::vector<float> decoded = fpx::ggml::dequantize(*t, blocks);
    REQUIRE(decoded.size() == expected.size());
    int wrong = 0;
    for (std::size_t i = 0; i < expected.size(); ++i) wrong += std::bit_cast<std::uint32_t>(decoded[i]) != std::bit_cast<std::uint32_t>(expected[i]);
    CHECK(wrong == 0);

    // (b) quantizing ggml's inputs gives ggml's bytes.
    const std::vector<std::uint8_t> mine = fpx::ggml::quantize(*t, x);
    REQUIRE(mine.size() == blocks.size());
    std::size_t first = mine.size();
    for (std::size_t i = 0; i < mine.size() && first == mine.size(); ++i)
      if (mine[i] != blocks[i]) first = i;
    const std::size_t block = first / static_cast<std::size_t>(shape.block_bytes), byte = first % static_cast<std::size_t>(shape.block_bytes);
    CAPTURE(block);
    CAPTURE(byte);
    CHECK(first == mine.size());

    // The named quantizer gives the same values (as doubles: -0 == +0).
    Eigen::MatrixXd w(1, 512);
    for (int i = 0; i < 512; ++i) w(0, i) = x[static_cast<std::size_t>(i)];
    const auto q = fpx::quantize(w, name);
    int differ = 0;
    for (int i = 0; i < 512; ++i) differ += q.values(0, i) != static_cast<double>(expected[static_cast<std::size_t>(i)]);
    CHECK(differ == 0);
    CHECK(q.bits_per_parameter == row["bits_per_weight"].get<double>());
    ++rows;
  }
  CHECK(rows == 84);
}

TEST_CASE("ggml: the layout on hand-made blocks") {
  // q4_0 with d = 1/2 (0x3800) and codes 0..15 then 15..0: weight j is code (j < 16 ? j : 31 - j)
  // - 8 times 1/2; the low nibble of byte 2 + j holds weight j, the high nibble weight j + 16.
  std::vector<std::uint8_t> b(18, 0);
  b[0] = 0x00;
  b[1] = 0x38;
  for (int j = 0; j < 16; ++j) b[static_cast<std::size_t>(2 + j)] = static_cast<std::uint8_t>(j | ((15 - j) << 4));
  const auto v = fpx::ggml::dequantize(type::q4_0, b);
  for (int j = 0; j < 32; ++j) CHECK(v[static_cast<std::size_t>(j)] == 0.5f * static_cast<float>((j < 16 ? j : 31 - j) - 8));

  // q8_0: d = 2 (0x4000), signed bytes.
  std::vector<std::uint8_t> c(34, 0);
  c[1] = 0x40;
  c[2] = 0x81;  // -127
  c[3] = 0x7F;  // 127
  const auto u = fpx::ggml::dequantize(type::q8_0, c);
  CHECK(u[0] == -254.0f);
  CHECK(u[1] == 254.0f);
  CHECK(u[2] == 0.0f);

  // q4_K: d = 1, dmin = 1/2 (bytes 0..3), then 12 bytes of scales from byte 4: sub-block 5
  // stores scale 33 and minimum 18 split, low nibbles in scales[9], top bits in the top two bits
  // of scales[1] (scale) and scales[5] (minimum). Sub-blocks 4 and 5 are the low and high
  // nibbles of the third run of 32 code bytes: weight 160 + k is the high nibble of byte 80 + k.
  std::vector<std::uint8_t> k(144, 0);
  k[1] = 0x3C;  // d = 1
  k[3] = 0x38;  // dmin = 1/2
  k[4 + 9] = static_cast<std::uint8_t>((33 & 0xF) | ((18 & 0xF) << 4));
  k[4 + 1] = static_cast<std::uint8_t>((33 >> 4) << 6);
  k[4 + 5] = static_cast<std::uint8_t>((18 >> 4) << 6);
  k[16 + 64 + 3] = 0x70;  // weight 160 + 3: code 7
  const auto y = fpx::ggml::dequantize(type::q4_K, k);
  CHECK(y[163] == 33.0f * 7 - 9.0f);
  CHECK(y[162] == -9.0f);
  CHECK(y[131] == 0.0f);  // sub-block 4 (low nibbles of the same bytes): scale 0, minimum 0
}

TEST_CASE("ggml: bad input is refused") {
  CHECK_THROWS_AS(fpx::ggml::quantize(type::q4_K, std::vector<float>(100, 1.0f)), std::invalid_argument);
  CHECK_THROWS_AS(fpx::ggml::dequantize(type::q8_0, std::vector<std::uint8_t>(35, 0)), std::invalid_argument);
  std::vector<float> nan_row(32, 1.0f);
  nan_row[3] = std::numeric_limits<float>::quiet_NaN();
  CHECK_THROWS_AS(fpx::ggml::quantize(type::q8_0, nan_row), std::invalid_argument);
  CHECK_THROWS_WITH_AS(fpx::ggml::quantize(type::q8_0, std::vector<float>(32, 1e8f)), doctest::Contains("(it rounds to inf)"),
                       std::range_error);
  CHECK_FALSE(fpx::ggml::type_named("q4_1").has_value());
  CHECK(fpx::ggml::type_named("q5_k") == type::q5_K);
  CHECK(fpx::ggml::type_of("q6_k") == type::q6_K);
  CHECK_THROWS_WITH_AS(fpx::ggml::type_of("q4_1"), "unknown ggml type 'q4_1' (q4_0, q8_0, q2_K, q3_K, q4_K, q5_K, q6_K)",
                       std::invalid_argument);
  CHECK_THROWS_AS(fpx::quantize(Eigen::MatrixXd::Ones(1, 32), "q4_0:stochastic=3"), std::invalid_argument);
  CHECK_THROWS_AS(fpx::quantize(Eigen::MatrixXd::Ones(1, 32), "q4_k:outliers=0.01"), std::invalid_argument);
  CHECK_THROWS_AS(fpx::quantize(Eigen::MatrixXd::Constant(1, 32, 1e300), "q8_0"), std::range_error);
  // Squares that overflow the k-quants' search: refused (it gave an all-zero q6_K block).
  for (const type t : {type::q2_K, type::q3_K, type::q4_K, type::q5_K, type::q6_K})
    CHECK_THROWS_AS(fpx::ggml::quantize(t, std::vector<float>(256, 1e20f)), std::range_error);
  // A stored scale of inf or NaN is refused, not decoded to inf/NaN: q8_0's d (bytes 0-1),
  // q4_K's dmin (bytes 2-3).
  std::vector<std::uint8_t> inf_scale(34, 0);
  inf_scale[1] = 0x7C;
  CHECK_THROWS_WITH_AS(fpx::ggml::dequantize(type::q8_0, inf_scale), doctest::Contains("inf or NaN"), std::invalid_argument);
  std::vector<std::uint8_t> nan_min(144, 0);
  nan_min[2] = 0x01;
  nan_min[3] = 0x7E;
  CHECK_THROWS_AS(fpx::ggml::dequantize(type::q4_K, nan_min), std::invalid_argument);
}

TEST_CASE("ggml: zero and tiny blocks") {
  // An all-zero super-block stores d = 0 and decodes to zeros in every format.
  for (const type t : {type::q2_K, type::q3_K, type::q4_K, type::q5_K, type::q6_K}) {
    const auto y = fpx::ggml::dequantize(t, fpx::ggml::quantize(t, std::vector<float>(256, 0.0f)));
    for (const float v : y) CHECK(v == 0.0f);
  }
  // q4_0 and q8_0 blocks whose 1/d is inf (largest |x| 1e-38): codes 0 (ggml on x86), fp16 d = 0,
  // so the block decodes to zeros; with the quantizer's values the same.
  std::vector<float> tiny(32, 0.0f);
  tiny[0] = 1e-38f;
  tiny[5] = -3e-39f;
  for (const type t : {type::q4_0, type::q8_0}) {
    const auto bytes = fpx::ggml::quantize(t, tiny);
    for (std::size_t i = 2; i < bytes.size(); ++i) CHECK(bytes[i] == 0);  // (d is fp16 -0 in q4_0)
    for (const float v : fpx::ggml::dequantize(t, bytes)) CHECK(v == 0.0f);
    Eigen::MatrixXd w(1, 32);
    for (int i = 0; i < 32; ++i) w(0, i) = tiny[static_cast<std::size_t>(i)];
    const auto q = fpx::quantize(w, t == type::q4_0 ? "q4_0" : "q8_0");
    for (int i = 0; i < 32; ++i) CHECK(q.values(0, i) == 0.0);
  }
}

TEST_CASE("ggml: a short row is padded with zeros in a whole last block") {
  // 40 weights in q8_0: two blocks, the second holding 8 weights and 24 zeros. Its scale is
  // fitted to those 8 weights alone, so each quantizes as the first 8 of a padded block do.
  Eigen::MatrixXd w(1, 40);
  for (int i = 0; i < 40; ++i) w(0, i) = std::sin(1.0 + i);
  const auto q = fpx::quantize(w, "q8_0");
  std::vector<float> padded(64, 0.0f);
  for (int i = 0; i < 40; ++i) padded[static_cast<std::size_t>(i)] = static_cast<float>(w(0, i));
  const auto expected = fpx::ggml::dequantize(type::q8_0, fpx::ggml::quantize(type::q8_0, padded));
  for (int i = 0; i < 40; ++i) CHECK(q.values(0, i) == static_cast<double>(expected[static_cast<std::size_t>(i)]));
  CHECK(q.bits_per_parameter == 2 * 34 * 8 / 40.0);
}
