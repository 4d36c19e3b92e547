// The first = last construction (construct/first_equals_last.hpp): its logit scale by hand, and
// every sequence right in exact arithmetic for V = 2..4, n = 2..6 (the leak bound of the proof);
// a scale far below it leaks enough to be wrong.
#include <doctest/doctest.h>
#include <fmt/format.h>

#include "fpx/construct/first_equals_last.hpp"
#include "fpx/theory/verify.hpp"

TEST_CASE("the logit scale is the smallest integer s with e^s > 4 (n-1)(V-1) - (n-1)") {
  CHECK(fpx::first_equals_last_scale(2, 3) == 2);  // need > 6: e^1 = 2.7, e^2 = 7.4
  CHECK(fpx::first_equals_last_scale(4, 6) == 5);  // need > 55: e^4 = 54.6, e^5 = 148.4
  CHECK(fpx::first_equals_last_scale(3, 5) == 4);  // need > 28: e^3 = 20.1, e^4 = 54.6
  CHECK_THROWS_AS(fpx::first_equals_last(1, 4), std::invalid_argument);
  CHECK_THROWS_AS(fpx::first_equals_last(3, 1), std::invalid_argument);
}

TEST_CASE("every sequence is right in exact arithmetic, and a too small scale is wrong") {
  const auto exact = fpx::spec_preset("exact");
  const auto read = fpx::readout::parse("threshold=0");
  const auto task = fpx::named_task("first_equals_last");
  for (int v = 2; v <= 4; ++v)
    for (int n = 2; n <= 6; ++n) {
      const auto c = fpx::verify(fpx::first_equals_last(v, n), exact, task, fpx::input_space::sequences(v, n), read);
      CHECK_MESSAGE(c.correct(), fmt::format("V = {}, n = {}: {} wrong", v, n, c.wrong));
    }
  // s = 1 at V = 4, n = 6: three other positions of value 3 pull the average of t_0 = 0 towards
  // 9 / (e + 5) > 1/2.
  const auto leaky = fpx::verify(fpx::first_equals_last(4, 6, 1), exact, task, fpx::input_space::sequences(4, 6), read);
  CHECK(leaky.wrong > 0);
}
