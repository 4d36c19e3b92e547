#pragma once
// Splits [0, n) into one contiguous range per hardware thread. Tests use it for their outer
// loops; every case is independent, so results do not depend on the split.

#include <algorithm>
#include <cstddef>
#include <thread>
#include <vector>

namespace fpx_test {

template <class Body>
void parallel_for(std::size_t n, Body body) {
  const std::size_t workers = std::max(1u, std::thread::hardware_concurrency());
  std::vector<std::thread> threads;
  for (std::size_t w = 0; w < workers; ++w) {
    const std::size_t lo = n * w / workers, hi = n * (w + 1) / workers;
    threads.emplace_back([lo, hi, &body] {
      for (std::size_t i = lo; i < hi; ++i) body(i);
    });
  }
  for (auto& t : threads) t.join();
}

}  // namespace fpx_test
