// ggml's block formats (see ggml.hpp): where each code and scale lies in a block, how ggml's
// reference quantizers choose them, and how blocks decode. Written from the formats' and the
// algorithms' descriptions; every float32 operation is rounded as written (this file is
// compiled with -ffp-contract=off), because byte-exact agreement depends on it.
#include "fpx/quant/ggml.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <iterator>
#include <fmt/format.h>
#include <stdexcept>
#include <string>

#include "fpx/arith/codec.hpp"
#include "fpx/arith/round.hpp"

namespace fpx::ggml {
namespace {

constexpr int super = 256;

const layout layouts[] = {
    {"q4_0", 32, 18, 32, 4, 16},   {"q8_0", 32, 34, 32, 8, 255},  {"q2_K", super, 84, 16, 2, 4},
    {"q3_K", super, 110, 16, 3, 8}, {"q4_K", super, 144, 32, 4, 16}, {"q5_K", super, 176, 32, 5, 32},
    {"q6_K", super, 210, 16, 6, 64},
};

bool with_minimum(type t) { return t == type::q2_K || t == type::q4_K || t == type::q5_K; }

// --- fp16 scales, stored little-endian -----------------------------------------------------------

const format& fp16() {
  static const format f = preset("fp16");
  return f;
}
code_t half_code(const std::uint8_t* p) { return p[0] | (p[1] << 8); }
float half_at(const std::uint8_t* p) { return static_cast<float>(to_double(fp16(), half_code(p))); }
bool finite_half(code_t c) {
  const number_class k = classify(fp16(), c);
  return k != number_class::infinite && k != number_class::nan;
}
// A stored scale as dequantize reads it: an inf or NaN scale is refused, not decoded to inf/NaN.
void check_scale(const std::uint8_t* p, type t, std::size_t block) {
  if (!finite_half(half_code(p)))
    throw std::invalid_argument(fmt::format("ggml {}: block {} has a scale of inf or NaN (fp16 bits {:#06x})",
                                            layout_of(t).name, block, half_code(p)));
}
// Stores x in fp16 (round to nearest even) and returns the stored value as ggml reads it back.
float put_half(std::uint8_t* p, float x, type t) {
  const code_t c = from_double(fp16(), x);
  if (!finite_half(c))
    throw std::range_error(fmt::format("ggml {}: the block scale {:.6g} is outside the range of fp16 (it rounds to inf)",
                                       layout_of(t).name, x));
  p[0] = static_cast<std::uint8_t>(c & 0xFF);
  p[1] = static_cast<std::uint8_t>(c >> 8);
  return half_at(p);
}

// ggml's rounding helper: to the nearest integer, ties to even (it adds 1.5 x 2^23 in float).
// (Its argument stays within 2^22 in ggml's own use; beyond, fpx clamps instead of asserting.)
int nearest(float x) { return static_cast<int>(std::nearbyint(std::clamp(x, -0x1p22f, 0x1p22f))); }

// --- where the bits of element e's code lie ------------------------------------------------------

struct piece {
  int byte, shift, width;
};
struct pieces {
  piece low;
  std::optional<piece> high;  // the code's top bits (q3_K: 1, q5_K: 1, q6_K: 2)
};

pieces where(type t, int e) {
  switch (t) {
    case type::q4_0: return {{2 + e % 16, 4 * (e / 16), 4}, {}};
    case type::q8_0: return {{2 + e, 0, 8}, {}};
    case type::q2_K: return {{16 + 32 * (e / 128) + e % 32, 2 * (e % 128 / 32), 2}, {}};
    case type::q3_K: return {{32 + 32 * (e / 128) + e % 32, 2 * (e % 128 / 32), 2}, piece{e % 32, e / 32, 1}};
    case type::q4_K: return {{16 + 32 * (e / 64) + e % 32, 4 * (e % 64 / 32), 4}, {}};
    case type::q5_K: return {{48 + 32 * (e / 64) + e % 32, 4 * (e % 64 / 32), 4}, piece{16 + e % 32, e / 32, 1}};
    case type::q6_K: {
      const int k = e % 128 / 32;
      return {{64 * (e / 128) + e % 32 + 32 * (k & 1), 4 * (k >> 1), 4}, piece{128 + 32 * (e / 128) + e % 32, 2 * k, 2}};
    }
  }
  return {};
}

void put_code(type t, std::uint8_t* block, int e, int code) {
  const pieces p = where(t, e);
  const auto put = [&](const piece& at, int bits) {
    block[at.byte] = static_cast<std::uint8_t>(block[at.byte] | ((bits & ((1 << at.width) - 1)) << at.shift));
  };
  put(p.low, code);
  if (p.high) put(*p.high, code >> p.low.width);
}

int get_code(type t, const std::uint8_t* block, int e) {
  const pieces p = where(t, e);
  const auto get = [&](const piece& at) { return (block[at.byte] >> at.shift) & ((1 << at.width) - 1); };
  return get(p.low) | (p.high ? get(*p.high) << p.low.width : 0);
}

// --- where the sub-block scales lie ---------------------------------------------------------------

// Sub-block j's stored scale and minimum codes (k-quants).
void put_scale(type t, std::uint8_t* b, int j, int sc, int m) {
  switch (t) {
    case type::q2_K: b[j] = static_cast<std::uint8_t>(sc | (m << 4)); break;
    case type::q3_K:  // 16 six-bit codes: low nibbles in bytes 0..7, top two bits in 8..11
      b[96 + j % 8] = static_cast<std::uint8_t>(b[96 + j % 8] | ((sc & 0xF) << (4 * (j / 8))));
      b[104 + j % 4] = static_cast<std::uint8_t>(b[104 + j % 4] | ((sc >> 4) << (2 * (j / 4))));
      break;
    case type::q4_K:
    case type::q5_K:  // eight (scale, min) pairs of 6 bits in 12 bytes (get_scale_min_k4)
      if (j < 4) {
        b[4 + j] = static_cast<std::uint8_t>(b[4 + j] | sc);
        b[8 + j] = static_cast<std::uint8_t>(b[8 + j] | m);
      } else {
        b[8 + j] = static_cast<std::uint8_t>((sc & 0xF) | ((m & 0xF) << 4));
        b[j] = static_cast<std::uint8_t>(b[j] | ((sc >> 4) << 6));
        b[4 + j] = static_cast<std::uint8_t>(b[4 + j] | ((m >> 4) << 6));
      }
      break;
    case type::q6_K: b[192 + j] = static_cast<std::uint8_t>(sc); break;
    default: break;
  }
}

std::pair<int, int> get_scale(type t, const std::uint8_t* b, int j) {
  switch (t) {
    case type::q2_K: return {b[j] & 0xF, b[j] >> 4};
    case type::q3_K: return {((b[96 + j % 8] >> (4 * (j / 8))) & 0xF) | (((b[104 + j % 4] >> (2 * (j / 4))) & 3) << 4), 0};
    case type::q4_K:
    case type::q5_K:
      if (j < 4) return {b[4 + j] & 63, b[8 + j] & 63};
      return {(b[8 + j] & 0xF) | ((b[j] >> 6) << 4), (b[8 + j] >> 4) | ((b[4 + j] >> 6) << 4)};
    case type::q6_K: return {static_cast<std::int8_t>(b[192 + j]), 0};
    default: return {0, 0};
  }
}

// Offsets of d and dmin in a k-quant block.
int d_at(type t) {
  switch (t) {
    case type::q2_K: return 80;
    case type::q3_K: return 108;
    case type::q6_K: return 208;
    default: return 0;
  }
}
int dmin_at(type t) { return t == type::q2_K ? 82 : 2; }

// The rules as a decoder reads them from a block's bytes (k-quants).
std::vector<sub_block_rule> rules_in(type t, const std::uint8_t* b) {
  const int subs = super / layout_of(t).sub_block;
  std::vector<sub_block_rule> rules(static_cast<std::size_t>(subs));
  const float d = half_at(b + d_at(t)), dmin = with_minimum(t) ? half_at(b + dmin_at(t)) : 0.0f;
  for (int j = 0; j < subs; ++j) {
    const auto [sc, m] = get_scale(t, b, j);
    rules[static_cast<std::size_t>(j)].d = d * static_cast<float>(t == type::q3_K ? sc - 32 : sc);
    rules[static_cast<std::size_t>(j)].dm = dmin * static_cast<float>(m);
  }
  return rules;
}

// --- ggml's searches for a sub-block's scale -------------------------------------------------------

constexpr float all_zero = 1e-15f;  // below this amax a sub-block counts as zero

// The element of largest magnitude (the first of equals), with its sign.
float signed_max(const float* x, int n) {
  float amax = 0, max = 0;
  for (int i = 0; i < n; ++i)
    if (std::fabs(x[i]) > amax) {
      amax = std::fabs(x[i]);
      max = x[i];
    }
  return max;
}

int clamp(int l, int lo, int hi) { return std::max(lo, std::min(hi, l)); }

// Symmetric levels -nmax..nmax-1 weighted by x^2: the least-squares scale for the grid
// -nmax/max, then for the 18 grids -(nmax + 0.1 k)/max, k = -9..9 (k != 0), keeping the best
// (q6_K). Codes (level + nmax) go to L.
float symmetric_search(int n, int nmax, const float* x, int* L) {
  const float max = signed_max(x, n);
  if (std::fabs(max) < all_zero) {
    std::fill(L, L + n, 0);
    return 0;
  }
  const auto sums = [&](float iscale, float& sumlx, float& suml2) {
    sumlx = suml2 = 0;
    for (int i = 0; i < n; ++i) {
      const int l = clamp(nearest(iscale * x[i]), -nmax, nmax - 1);
      const float w = x[i] * x[i];
      sumlx += w * x[i] * static_cast<float>(l);
      suml2 += w * static_cast<float>(l) * static_cast<float>(l);
    }
  };
  const auto codes = [&](float iscale) {
    for (int i = 0; i < n; ++i) L[i] = nmax + clamp(nearest(iscale * x[i]), -nmax, nmax - 1);
  };
  float sumlx = 0, suml2 = 0;
  float iscale = static_cast<float>(-nmax) / max;
  sums(iscale, sumlx, suml2);
  codes(iscale);
  float scale = suml2 != 0 ? sumlx / suml2 : 0.0f;
  float best = scale * sumlx;
  for (int k = -9; k <= 9; ++k) {
    if (k == 0) continue;
    iscale = -(static_cast<float>(nmax) + 0.1f * static_cast<float>(k)) / max;
    sums(iscale, sumlx, suml2);
    if (suml2 > 0 && sumlx * sumlx > best * suml2) {
      codes(iscale);
      scale = sumlx / suml2;
      best = scale * sumlx;
    }
  }
  return scale;
}

// q3_K's search: levels -nmax..nmax-1 at the grid -nmax/max, then up to 5 sweeps that move one
// level at a time where that raises (sum w x l)^2 / (sum w l^2), w = x^2.
float q3_search(int n, int nmax, const float* x, int* L) {
  const float max = signed_max(x, n);
  if (std::fabs(max) < all_zero) {
    std::fill(L, L + n, 0);
    return 0;
  }
  const float iscale = static_cast<float>(-nmax) / max;
  float sumlx = 0, suml2 = 0;
  for (int i = 0; i < n; ++i) {
    L[i] = clamp(nearest(iscale * x[i]), -nmax, nmax - 1);
    const float w = x[i] * x[i];
    sumlx += w * x[i] * static_cast<float>(L[i]);
    suml2 += w * static_cast<float>(L[i]) * static_cast<float>(L[i]);
  }
  for (int sweep = 0; sweep < 5; ++sweep) {
    int changed = 0;
    for (int i = 0; i < n; ++i) {
      const float w = x[i] * x[i];
      float slx = sumlx - w * x[i] * static_cast<float>(L[i]);
      if (!(slx > 0)) continue;
      float sl2 = suml2 - w * static_cast<float>(L[i]) * static_cast<float>(L[i]);
      const int l = clamp(nearest(x[i] * sl2 / slx), -nmax, nmax - 1);
      if (l == L[i]) continue;
      slx += w * x[i] * static_cast<float>(l);
      sl2 += w * static_cast<float>(l) * static_cast<float>(l);
      if (sl2 > 0 && slx * slx * suml2 > sumlx * sumlx * sl2) {
        L[i] = l;
        sumlx = slx;
        suml2 = sl2;
        ++changed;
      }
    }
    if (changed == 0) break;
  }
  for (int i = 0; i < n; ++i) L[i] += nmax;
  return suml2 > 0 ? sumlx / suml2 : 0.0f;
}

// Levels 0..nmax above a minimum (q2_K, q4_K, q5_K): starting from the range [min(0, min x),
// max x], try the grids (rmin + rdelta k + nmax) / range for k = 0..steps; for each, fit scale
// and minimum by weighted least squares (a positive minimum becomes 0) and keep the fit of
// smallest weighted error (absolute if `mad`, squared otherwise). Returns the scale; minimum
// receives minus the fitted minimum.
float range_search(int n, int nmax, const float* x, const float* weights, int* L, float& minimum, float rmin,
                   float rdelta, int steps, bool mad) {
  float lo = x[0], hi = x[0];
  float sum_w = weights[0];
  float sum_x = sum_w * x[0];
  for (int i = 1; i < n; ++i) {
    lo = std::min(lo, x[i]);
    hi = std::max(hi, x[i]);
    sum_w += weights[i];
    sum_x += weights[i] * x[i];
  }
  if (lo > 0) lo = 0;
  if (hi == lo) {
    std::fill(L, L + n, 0);
    minimum = -lo;
    return 0;
  }
  const auto error = [&](float scale, float offset, const int* levels) {
    float e = 0;
    for (int i = 0; i < n; ++i) {
      const float diff = scale * static_cast<float>(levels[i]) + offset - x[i];
      e += weights[i] * (mad ? std::fabs(diff) : diff * diff);
    }
    return e;
  };
  float iscale = static_cast<float>(nmax) / (hi - lo);
  float scale = 1 / iscale;
  for (int i = 0; i < n; ++i) L[i] = clamp(nearest(iscale * (x[i] - lo)), 0, nmax);
  float best = error(scale, lo, L);
  int trial[32];  // (n <= 32: a sub-block)
  for (int k = 0; k <= steps; ++k) {
    iscale = (rmin + rdelta * static_cast<float>(k) + static_cast<float>(nmax)) / (hi - lo);
    float sum_l = 0, sum_l2 = 0, sum_xl = 0;
    for (int i = 0; i < n; ++i) {
      const int l = clamp(nearest(iscale * (x[i] - lo)), 0, nmax);
      trial[i] = l;
      const float wl = weights[i] * static_cast<float>(l);
      sum_l += wl;
      sum_l2 += wl * static_cast<float>(l);
      sum_xl += wl * x[i];
    }
    const float D = sum_w * sum_l2 - sum_l * sum_l;
    if (!(D > 0)) continue;
    float this_scale = (sum_w * sum_xl - sum_x * sum_l) / D;
    float this_min = (sum_l2 * sum_x - sum_l * sum_xl) / D;
    if (this_min > 0) {
      this_min = 0;
      this_scale = sum_xl / sum_l2;
    }
    const float e = error(this_scale, this_min, trial);
    if (e < best) {
      std::copy(trial, trial + n, L);
      best = e;
      scale = this_scale;
      lo = this_min;
    }
  }
  minimum = -lo;
  return scale;
}

// --- one block ------------------------------------------------------------------------------------

void check_finite(type t, const float* x, int n) {
  for (int i = 0; i < n; ++i) {
    if (!std::isfinite(x[i]))
      throw std::invalid_argument(fmt::format("ggml {}: weight {} is not finite", layout_of(t).name, i));
    // The k-quants' searches square the weights and take differences of extremes in float32:
    // beyond 2^62 these overflow and ggml's own result is undefined (NaN scales, a zero block).
    if (t != type::q4_0 && t != type::q8_0 && std::fabs(x[i]) >= 0x1p62f)
      throw std::range_error(fmt::format("ggml {}: weight {} = {:.6g} is beyond 2^62, where ggml's scale search overflows float32",
                                         layout_of(t).name, i, x[i]));
  }
}

// q4_0, q8_0: one scale for 32 weights.
sub_block_rule small_block(type t, const float* x, std::uint8_t* b) {
  sub_block_rule r;
  float d = 0;
  if (t == type::q4_0) {
    d = signed_max(x, 32) / -8;
  } else {
    float amax = 0;
    for (int i = 0; i < 32; ++i) amax = std::max(amax, std::fabs(x[i]));
    d = amax / 127;
  }
  r.id = d != 0 ? 1.0f / d : 0.0f;
  r.d = put_half(b, d, t);
  for (int e = 0; e < 32; ++e) put_code(t, b, e, code_of(t, r, x[e]));
  return r;
}

// The k-quants: search each sub-block, store the sub-block scales against the largest, then
// round every weight against its stored scale.
std::vector<sub_block_rule> k_block(type t, const float* x, std::uint8_t* b) {
  const layout& shape = layout_of(t);
  const int n = shape.sub_block, subs = super / n;
  int L[super];
  float scale[16], minimum[16] = {};
  for (int j = 0; j < subs; ++j) {
    const float* xs = x + n * j;
    float weights[32];
    switch (t) {
      case type::q2_K:
        for (int i = 0; i < n; ++i) weights[i] = std::fabs(xs[i]);
        scale[j] = range_search(n, 3, xs, weights, L + n * j, minimum[j], -0.5f, 0.1f, 15, true);
        break;
      case type::q4_K:
      case type::q5_K: {
        float sum_x2 = 0;
        for (int i = 0; i < n; ++i) sum_x2 += xs[i] * xs[i];
        const float av_x = std::sqrt(sum_x2 / static_cast<float>(n));
        for (int i = 0; i < n; ++i) weights[i] = av_x + std::fabs(xs[i]);
        if (t == type::q4_K) scale[j] = range_search(n, 15, xs, weights, L + n * j, minimum[j], -1.0f, 0.1f, 20, false);
        else scale[j] = range_search(n, 31, xs, weights, L + n * j, minimum[j], -0.5f, 0.1f, 15, false);
        break;
      }
      case type::q3_K: scale[j] = q3_search(n, 4, xs, L + n * j); break;
      default: scale[j] = symmetric_search(n, 32, xs, L + n * j); break;
    }
  }
  // The sub-block scales (and minima) as integer multiples of d (and dmin).
  float max_scale = 0, max_min = 0;
  if (t == type::q3_K || t == type::q6_K) {  // the scale of largest magnitude, signed
    float amax = 0;
    for (int j = 0; j < subs; ++j)
      if (std::fabs(scale[j]) > amax) {
        amax = std::fabs(scale[j]);
        max_scale = scale[j];
      }
    if (t == type::q6_K && amax < all_zero) return rules_in(t, b);  // an all-zero block
  } else {
    for (int j = 0; j < subs; ++j) {
      if (scale[j] > max_scale) max_scale = scale[j];
      if (minimum[j] > max_min) max_min = minimum[j];
    }
  }
  switch (t) {
    case type::q2_K: {
      const float is = max_scale > 0 ? 15.0f / max_scale : 0.0f, im = max_min > 0 ? 15.0f / max_min : 0.0f;
      for (int j = 0; j < subs; ++j)
        put_scale(t, b, j, max_scale > 0 ? nearest(is * scale[j]) : 0, max_min > 0 ? nearest(im * minimum[j]) : 0);
      put_half(b + d_at(t), max_scale > 0 ? max_scale / 15.0f : 0.0f, t);
      put_half(b + dmin_at(t), max_min > 0 ? max_min / 15.0f : 0.0f, t);
      break;
    }
    case type::q3_K: {
      if (max_scale == 0) {
        put_half(b + d_at(t), 0.0f, t);
        break;
      }
      const float iscale = -32.0f / max_scale;
      for (int j = 0; j < subs; ++j)
        put_scale(t, b, j, clamp(static_cast<std::int8_t>(nearest(iscale * scale[j])), -32, 31) + 32, 0);
      put_half(b + d_at(t), 1 / iscale, t);
      break;
    }
    case type::q4_K:
    case type::q5_K: {
      const float is = max_scale > 0 ? 63.0f / max_scale : 0.0f, im = max_min > 0 ? 63.0f / max_min : 0.0f;
      for (int j = 0; j < subs; ++j)
        put_scale(t, b, j, std::min<int>(63, static_cast<std::uint8_t>(nearest(is * scale[j]))),
                  std::min<int>(63, static_cast<std::uint8_t>(nearest(im * minimum[j]))));
      put_half(b + d_at(t), max_scale / 63.0f, t);
      put_half(b + dmin_at(t), max_min / 63.0f, t);
      break;
    }
    default: {  // q6_K
      const float iscale = -128.0f / max_scale;
      put_half(b + d_at(t), 1 / iscale, t);
      for (int j = 0; j < subs; ++j) put_scale(t, b, j, std::min(127, nearest(iscale * scale[j])), 0);
      break;
    }
  }
  const std::vector<sub_block_rule> rules = rules_in(t, b);
  for (int e = 0; e < super; ++e) {
    const sub_block_rule& r = rules[static_cast<std::size_t>(e / n)];
    put_code(t, b, e, r.d != 0 ? code_of(t, r, x[e]) : L[e]);  // a zero scale keeps the search's code
  }
  return rules;
}

}  // namespace

const layout& layout_of(type t) { return layouts[static_cast<int>(t)]; }

std::optional<type> type_named(std::string_view name) {
  for (int i = 0; i < static_cast<int>(std::size(layouts)); ++i) {
    const std::string_view own = layouts[i].name;
    if (name.size() == own.size() && name.substr(0, 3) == own.substr(0, 3) &&
        (name[3] == own[3] || (own[3] == 'K' && name[3] == 'k')))
      return static_cast<type>(i);
  }
  return std::nullopt;
}

std::vector<sub_block_rule> quantize_block(type t, const float* x, std::uint8_t* bytes) {
  const layout& shape = layout_of(t);
  check_finite(t, x, shape.block_weights);
  std::memset(bytes, 0, static_cast<std::size_t>(shape.block_bytes));
  if (t == type::q4_0 || t == type::q8_0) return {small_block(t, x, bytes)};
  return k_block(t, x, bytes);
}

type type_of(std::string_view name) {
  if (const auto t = type_named(name)) return *t;
  std::string known;
  for (const layout& shape : layouts) known += (known.empty() ? "" : ", ") + std::string(shape.name);
  throw std::invalid_argument(fmt::format("unknown ggml type '{}' ({})", name, known));
}

int code_of(type t, const sub_block_rule& r, float x) {
  switch (t) {
    // (Weights of the block itself stay within the clamps; GPTQ's updated ones may not.)
    // A block whose largest |weight| is below about 1e-37 has 1 / d = inf and x / d inf or NaN
    // (its fp16 d is 0, so every code decodes to 0); ggml converts those to code 0 on x86.
    case type::q4_0: return std::isfinite(x * r.id) ? static_cast<int>(std::clamp(x * r.id + 8.5f, 0.0f, 15.0f)) : 0;
    case type::q8_0:
      return std::isfinite(x * r.id) ? static_cast<int>(std::round(std::clamp(x * r.id, -127.0f, 127.0f))) & 0xFF : 0;
    case type::q3_K: return r.d != 0 ? clamp(nearest(x / r.d), -4, 3) + 4 : 4;
    case type::q6_K: return r.d != 0 ? clamp(nearest(x / r.d), -32, 31) + 32 : 32;
    default: return r.d != 0 ? clamp(nearest((x + r.dm) / r.d), 0, (1 << layout_of(t).bits) - 1) : 0;
  }
}

float value_of(type t, const sub_block_rule& r, int c) {
  switch (t) {
    case type::q4_0: return static_cast<float>(c - 8) * r.d;
    case type::q8_0: return static_cast<float>(static_cast<std::int8_t>(c)) * r.d;
    case type::q3_K: return r.d * static_cast<float>(c - 4);
    case type::q6_K: return r.d * static_cast<float>(c - 32);
    default: return r.d * static_cast<float>(c) - r.dm;
  }
}

std::vector<std::uint8_t> quantize(type t, std::span<const float> x) {
  const layout& shape = layout_of(t);
  if (x.size() % static_cast<std::size_t>(shape.block_weights) != 0)
    throw std::invalid_argument(fmt::format("ggml {}: a row of {} weights is not a whole number of blocks of {}",
                                            shape.name, x.size(), shape.block_weights));
  const std::size_t blocks = x.size() / static_cast<std::size_t>(shape.block_weights);
  std::vector<std::uint8_t> out(blocks * static_cast<std::size_t>(shape.block_bytes));
  for (std::size_t i = 0; i < blocks; ++i)
    quantize_block(t, x.data() + i * static_cast<std::size_t>(shape.block_weights), out.data() + i * static_cast<std::size_t>(shape.block_bytes));
  return out;
}

std::vector<float> dequantize(type t, std::span<const std::uint8_t> blocks) {
  const layout& shape = layout_of(t);
  if (blocks.size() % static_cast<std::size_t>(shape.block_bytes) != 0)
    throw std::invalid_argument(fmt::format("ggml {}: {} bytes are not a whole number of blocks of {}", shape.name,
                                            blocks.size(), shape.block_bytes));
  std::vector<float> out;
  out.reserve(blocks.size() / static_cast<std::size_t>(shape.block_bytes) * static_cast<std::size_t>(shape.block_weights));
  for (std::size_t at = 0; at < blocks.size(); at += static_cast<std::size_t>(shape.block_bytes)) {
    const std::uint8_t* b = blocks.data() + at;
    const std::size_t block = at / static_cast<std::size_t>(shape.block_bytes);
    if (t == type::q4_0 || t == type::q8_0) {
      check_scale(b, t, block);
    } else {
      check_scale(b + d_at(t), t, block);
      if (with_minimum(t)) check_scale(b + dmin_at(t), t, block);
    }
    const std::vector<sub_block_rule> rules =
        t == type::q4_0 || t == type::q8_0 ? std::vector<sub_block_rule>{{half_at(b), 0, 0}} : rules_in(t, b);
    for (int e = 0; e < shape.block_weights; ++e)
      out.push_back(value_of(t, rules[static_cast<std::size_t>(e / shape.sub_block)], get_code(t, b, e)));
  }
  return out;
}

}  // namespace fpx::ggml
