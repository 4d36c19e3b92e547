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

TEST_CASE(
    "integer construction in fixed point: exact with I = n, F = ceil(log2(2n+1)) - 1, not F - 1") {
  // n = 6: I = 6 integer bits hold x - y, F = ceil(log2 13) - 1 = 3 keep 1/13 away from 0.
  const auto c = integer_equality(6);
  const protocol ok(c.model, spec_preset("uniform(fixed:s:6:3)"), c.split);
  CHECK(verify(ok, equality).failures == 0);
  const protocol short_f(c.model, spec_preset("uniform(fixed:s:6:2)"), c.split);
  CHECK(verify(short_f, equality).failures > 0);
}

TEST_CASE(
    "the saturating construction: EQ_b in b-bit fixed point, every pair, readout in the same b "
    "bits") {
  for (int b = 2; b <= 8; ++b) {
    CAPTURE(b);
    const std::string f = "fixed:s:1:" + std::to_string(b - 2);
    const precision_spec spec = spec_preset("uniform(" + f + ")");
    const auto c = saturating_equality(b, b);
    const auto v = verify(protocol(c.model, spec, c.split), equality);
    CHECK(v.pairs == (std::uint64_t{1} << (2 * b)));
    CHECK(v.failures == 0);
    // Alice's 2^b inputs reach 2^b different states: every value of the format, the counting
    // bound met with nothing to spare.
    CHECK(v.alice_states == (std::size_t{1} << b));
    // Smaller n works in the same format.
    if (b > 2) {
      const auto smaller = saturating_equality(b - 1, b);
      CHECK(verify(protocol(smaller.model, spec, smaller.split), equality).failures == 0);
    }
    // The same model one fraction bit short (b - 1 bits): its values no longer fit, and it
    // fails on some pairs.
    if (b > 2) {
      const precision_spec fewer = spec_preset("uniform(fixed:s:1:" + std::to_string(b - 3) + ")");
      CHECK(verify(protocol(c.model, fewer, c.split), equality).failures > 0);
    }
  }
  // The step readout (1[o >= 0] + 1[-o >= 0] - 1) is not exact in these b bits: on the diagonal
  // 1 + 1 saturates at 2 - u before the -1, so it outputs 1 - u, not 1.
  const auto step = saturating_equality(4, 4, equality_readout::step);
  const auto v =
      verify(protocol(step.model, spec_preset("uniform(fixed:s:1:2)"), step.split), equality);
  CHECK(v.failures == 16);  // exactly the diagonal
  CHECK_THROWS_AS(saturating_equality(5, 4), std::invalid_argument);
}
