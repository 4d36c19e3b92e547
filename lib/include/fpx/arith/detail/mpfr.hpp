#pragma once
// RAII holders for MPFR and GMP numbers and exact conversions to and from cpp_int.

#include <gmp.h>
#include <mpfr.h>

#include <iterator>
#include <vector>

#include "fpx/exact/rational.hpp"

namespace fpx::detail {

// MPFR keeps caches per thread (constants such as log 2, which mpfr_exp and mpfr_log fill). A
// thread that computes with MPFR frees its own when it ends, so worker threads (batch
// evaluation, verify) leave nothing behind.
struct mpfr_thread_caches {
  ~mpfr_thread_caches() { mpfr_free_cache2(MPFR_FREE_LOCAL_CACHE); }
};
inline void free_mpfr_caches_at_thread_exit() {
  thread_local mpfr_thread_caches caches;
  (void)caches;
}

// RAII holder for an MPFR number.
struct mpfr_number {
  explicit mpfr_number(long precision) {
    free_mpfr_caches_at_thread_exit();
    mpfr_init2(x, precision);
  }
  ~mpfr_number() { mpfr_clear(x); }
  mpfr_number(const mpfr_number&) = delete;
  mpfr_number& operator=(const mpfr_number&) = delete;
  mpfr_t x;
};

struct mpz_number {
  mpz_number() { mpz_init(z); }
  ~mpz_number() { mpz_clear(z); }
  mpz_number(const mpz_number&) = delete;
  mpz_number& operator=(const mpz_number&) = delete;
  mpz_t z;
};

inline void to_mpz(const bigint& v, mpz_t z) {
  std::vector<unsigned char> bytes;
  export_bits(v, std::back_inserter(bytes), 8);
  mpz_import(z, bytes.size(), 1, 1, 1, 0, bytes.data());
}

inline bigint from_mpz(const mpz_t z) {
  if (mpz_sgn(z) == 0) return 0;
  std::vector<unsigned char> bytes((mpz_sizeinbase(z, 2) + 7) / 8);
  size_t count = 0;
  mpz_export(bytes.data(), &count, 1, 1, 1, 0, z);
  bigint v;
  import_bits(v, bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(count), 8);
  return v;
}

}  // namespace fpx::detail
