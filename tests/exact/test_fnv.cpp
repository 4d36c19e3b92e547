// FNV-1a (64 bits) against the published test vectors of its authors (Fowler, Noll, Vo; the
// reference test suite's "", "a" and "foobar"), and a word as its 8 bytes, least significant first.
#include <doctest/doctest.h>

#include <string>

#include "fpx/exact/fnv.hpp"

TEST_CASE("fnv1a: the published 64-bit vectors") {
  CHECK(fpx::fnv1a("") == 0xcbf29ce484222325ull);
  CHECK(fpx::fnv1a("a") == 0xaf63dc4c8601ec8cull);
  CHECK(fpx::fnv1a("foobar") == 0x85944171f73967e8ull);
  // "foobar" continued from "foo"'s digest is the digest of the whole.
  CHECK(fpx::fnv1a("bar", fpx::fnv1a("foo")) == 0x85944171f73967e8ull);
}

TEST_CASE("fnv1a_word: the word's bytes, least significant first") {
  // 0x0000626f6f666f66, least significant byte first: "fofoob" and two zero bytes.
  const std::string bytes{'f', 'o', 'f', 'o', 'o', 'b', '\0', '\0'};
  CHECK(fpx::fnv1a_word(fpx::fnv1a_start, 0x0000626f6f666f66ull) == fpx::fnv1a(bytes));
}
