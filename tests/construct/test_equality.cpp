// The equality constructions, checked on every input pair through the protocol: exact at the
// precision they are built for, wrong on a known number of pairs one bit below.
#include <doctest/doctest.h>

#include "fpx/construct/equality.hpp"
#include "fpx/theory/protocol_checks.hpp"
#include "models.hpp"

using namespace fpx;

using fpx_test::float_spec;

TEST_CASE("the dyadic construction: exact at n = p, wrong on exactly 2^p - 1 pairs at n = p + 1") {
  for (int p = 2; p <= 6; ++p)
    for (const bool sm : {false, true}) {
      CAPTURE(p);
      CAPTURE(sm);
      const auto at_p = dyadic_equality(p);
      CHECK(verify(protocol(at_p.model, float_spec(p, sm), at_p.split), equality).failures == 0);
      const auto above = dyadic_equality(p + 1);
      const auto v = verify(protocol(above.model, float_spec(p, sm), above.split), equality);
      CHECK(v.pairs == (std::uint64_t{1} << (2 * (p + 1))));
      CHECK(v.failures == (std::uint64_t{1} << p) - 1);
    }
  // The ReLU readout decides the same way.
  for (int p = 2; p <= 5; ++p) {
    CAPTURE(p);
    const auto at_p = dyadic_equality(p, equality_readout::relu);
    CHECK(verify(protocol(at_p.model, float_spec(p), at_p.split), equality).failures == 0);
    const auto above = dyadic_equality(p + 1, equality_readout::relu);
    CHECK(verify(protocol(above.model, float_spec(p), above.split), equality).failures ==
          (std::uint64_t{1} << p) - 1);
  }
}

TEST_CASE("integer construction in fixed point: exact with I = n, F = ceil(log2(2n+1)) - 1, not F - 1") {
  // n = 6: I = 6 integer bits hold x - y, F = ceil(log2 13) - 1 = 3 keep 1/13 away from 0.
  const auto c = integer_equality(6);
  const protocol ok(c.model, spec_preset("uniform(fixed:s:6:3)"), c.split);
  CHECK(verify(ok, equality).failures == 0);
  const protocol short_f(c.model, spec_preset("uniform(fixed:s:6:2)"), c.split);
  CHECK(verify(short_f, equality).failures > 0);
}
