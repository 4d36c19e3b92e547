#pragma once
/// FNV-1a (64 bits): the project's one short fingerprint of bytes, for digests that must be the
/// same in every build, on every thread and rank count (search certificates, tables compared
/// across MPI ranks, source fingerprints in manifests).

#include <cstdint>
#include <string_view>

namespace fpx {

inline constexpr std::uint64_t fnv1a_start = 0xcbf29ce484222325ull;

/// h after one more byte.
constexpr std::uint64_t fnv1a_byte(std::uint64_t h, unsigned char byte) { return (h ^ byte) * 0x100000001b3ull; }

/// h after the 8 bytes of a word, least significant first.
constexpr std::uint64_t fnv1a_word(std::uint64_t h, std::uint64_t word) {
  for (int byte = 0; byte < 8; ++byte) h = fnv1a_byte(h, static_cast<unsigned char>(word >> (8 * byte)));
  return h;
}

/// The digest of a text.
constexpr std::uint64_t fnv1a(std::string_view text, std::uint64_t h = fnv1a_start) {
  for (char c : text) h = fnv1a_byte(h, static_cast<unsigned char>(c));
  return h;
}

}  // namespace fpx
