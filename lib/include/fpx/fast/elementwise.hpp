#pragma once
/// Element-wise arithmetic on arrays of codes of one format at hardware speed, with
/// arith.hpp's results bit for bit (and its exceptions: a batch with an element that must
/// throw is redone on the reference path). The path is chosen once per format and rule:
///   table      formats of 8 bits or fewer: every result of an operation in one mode,
///              computed once by the reference path and cached for the process (a 256 x 256
///              table of 16-bit entries, 128 KiB, per operation, format and mode; where every
///              code is valid and no result needs the reference path, the lookups read a copy
///              in bytes, half the cache)
///   integer    two's complement fixed point of at most 32 bits (add, sub, mul; div goes
///              through float64): integer levels, one rounding shift for products
///   float64    minifloats and grids whose values a double holds with two bits to spare
///              (M <= 49, |exponents| within about 500): the exact result as a double rounded
///              to odd, rounded once more into the format
///   reference  everything else, and stochastic rounding: arith.hpp itself
/// Element i of a batch is rounding site first_site + i.

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string_view>

#include "fpx/arith/format.hpp"

namespace fpx {

namespace kernels {
struct encoder;
struct decoder;
}

enum class arithmetic_path { table, integer, float64, reference };
std::string_view to_string(arithmetic_path p);

class fast_arith {
 public:
  /// The fastest path that applies, or `path` (tests run each against the oracle); throws
  /// std::invalid_argument when the requested path does not apply to f under r.
  explicit fast_arith(const format& f, const rounding& r = {},
                      std::optional<arithmetic_path> path = {});

  arithmetic_path path() const { return path_; }
  const format& operand_format() const { return format_; }
  const rounding& rule() const { return rule_; }

  /// out[i] = a[i] op b[i]; throws std::invalid_argument when the sizes differ.
  void add(std::span<const code_t> a, std::span<const code_t> b, std::span<code_t> out,
           std::uint64_t first_site = 0) const;
  void sub(std::span<const code_t> a, std::span<const code_t> b, std::span<code_t> out,
           std::uint64_t first_site = 0) const;
  void mul(std::span<const code_t> a, std::span<const code_t> b, std::span<code_t> out,
           std::uint64_t first_site = 0) const;
  void div(std::span<const code_t> a, std::span<const code_t> b, std::span<code_t> out,
           std::uint64_t first_site = 0) const;

  /// The same on codes stored in bytes, as FP8 and INT8 tensors usually are: 3 bytes of
  /// memory an element instead of 24. The table path only (formats of 8 bits or fewer);
  /// throws std::invalid_argument on another path.
  void add(std::span<const std::uint8_t> a, std::span<const std::uint8_t> b, std::span<std::uint8_t> out,
           std::uint64_t first_site = 0) const;
  void sub(std::span<const std::uint8_t> a, std::span<const std::uint8_t> b, std::span<std::uint8_t> out,
           std::uint64_t first_site = 0) const;
  void mul(std::span<const std::uint8_t> a, std::span<const std::uint8_t> b, std::span<std::uint8_t> out,
           std::uint64_t first_site = 0) const;
  void div(std::span<const std::uint8_t> a, std::span<const std::uint8_t> b, std::span<std::uint8_t> out,
           std::uint64_t first_site = 0) const;

 private:
  struct tables;
  void apply(int op, std::span<const code_t> a, std::span<const code_t> b, std::span<code_t> out,
             std::uint64_t first_site) const;
  void apply(int op, std::span<const std::uint8_t> a, std::span<const std::uint8_t> b,
             std::span<std::uint8_t> out, std::uint64_t first_site) const;

  format format_;
  rounding rule_;
  arithmetic_path path_;
  std::shared_ptr<const kernels::encoder> encoder_;  // integer and float64 paths
  std::shared_ptr<const kernels::decoder> decoder_;
  std::shared_ptr<const tables> tables_;              // table path
};

}  // namespace fpx
