// The parts of the forward pass's arithmetics (model/detail/arithmetics.hpp) kept out of line.
#include "fpx/model/detail/arithmetics.hpp"

#include "fpx/arith/detail/mpfr.hpp"

namespace fpx::detail {

rational exact_arith::exp(const rational& x, quantity) {
  // x is read at exp_bits + 64 bits, so the result is good to about exp_bits bits while
  // |x| < 2^60; then rounded to nearest at exp_bits bits.
  mpz_number num, den;
  to_mpz(numerator(x), num.z);
  to_mpz(denominator(x), den.z);
  mpfr_number in(exp_bits + 64), out(exp_bits);
  mpfr_set_z(in.x, num.z, MPFR_RNDN);
  if (x < 0) mpfr_neg(in.x, in.x, MPFR_RNDN);
  mpfr_div_z(in.x, in.x, den.z, MPFR_RNDN);
  mpfr_exp(out.x, in.x, MPFR_RNDN);
  if (!mpfr_regular_p(out.x)) throw std::domain_error("exp out of MPFR's exponent range");
  const long e = mpfr_get_z_2exp(num.z, out.x);
  return rational(from_mpz(num.z)) * pow2(e);
}

}  // namespace fpx::detail
