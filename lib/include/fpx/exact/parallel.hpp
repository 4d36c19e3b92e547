#pragma once
/// One index space walked in fixed ranges by any number of threads, with the results returned
/// in range order: a merge over them gives the same bits for every thread count, and the same
/// ranges can later be handed to other machines (MPI ranks) unchanged.

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <exception>
#include <mutex>
#include <thread>
#include <vector>

namespace fpx {

/// Threads to use when the caller says 0: the hardware's count (at least 1).
inline unsigned default_threads() { return std::max(1u, std::thread::hardware_concurrency()); }

/// Calls body(begin, end) for the ranges [k*range_size, min((k+1)*range_size, count)) on
/// `threads` threads (0: default_threads()) and returns the results indexed by k. The ranges
/// depend only on count and range_size. The first exception thrown by a body is rethrown.
template <class Body>
auto map_ranges(std::uint64_t count, std::uint64_t range_size, unsigned threads, Body body)
    -> std::vector<decltype(body(std::uint64_t{}, std::uint64_t{}))> {
  using result = decltype(body(std::uint64_t{}, std::uint64_t{}));
  range_size = std::max<std::uint64_t>(range_size, 1);
  const std::uint64_t ranges = (count + range_size - 1) / range_size;
  std::vector<result> results(ranges);
  std::atomic<std::uint64_t> next{0};
  std::exception_ptr error;
  std::mutex error_mutex;
  auto worker = [&] {
    for (std::uint64_t k = next++; k < ranges; k = next++) {
      try {
        results[k] = body(k * range_size, std::min(count, (k + 1) * range_size));
      } catch (...) {
        const std::lock_guard lock(error_mutex);
        if (!error) error = std::current_exception();
        next = ranges;  // stop handing out work
      }
    }
  };
  if (threads == 0) threads = default_threads();
  threads = static_cast<unsigned>(std::min<std::uint64_t>(threads, std::max<std::uint64_t>(ranges, 1)));
  std::vector<std::thread> pool;
  for (unsigned t = 1; t < threads; ++t) pool.emplace_back(worker);
  worker();
  for (auto& t : pool) t.join();
  if (error) std::rethrow_exception(error);
  return results;
}

/// Calls body(begin, end) for the ranges [k*range_size, min((k+1)*range_size, count)) on
/// `threads` threads (0: default_threads()), for work whose ranges write disjoint outputs.
/// When bodies throw, the exception of the lowest range is rethrown, after every range below
/// it has run: what a caller sees, results or error, does not depend on the thread count.
template <class Body>
void for_each_range(std::uint64_t count, std::uint64_t range_size, unsigned threads, Body body) {
  range_size = std::max<std::uint64_t>(range_size, 1);
  const std::uint64_t ranges = (count + range_size - 1) / range_size;
  if (threads == 0) threads = default_threads();
  if (threads <= 1 || ranges <= 1) {  // in the calling thread, in order: the first error is the lowest
    for (std::uint64_t k = 0; k < ranges; ++k) body(k * range_size, std::min(count, (k + 1) * range_size));
    return;
  }
  std::atomic<std::uint64_t> next{0};
  std::uint64_t failed = ranges;  // the lowest range that threw (guarded by the mutex)
  std::atomic<std::uint64_t> failed_hint{ranges};
  std::exception_ptr error;
  std::mutex error_mutex;
  auto worker = [&] {
    // Ranges are handed out in increasing order, so every range below one that threw was
    // handed out before it and runs; ranges above the lowest failure are skipped.
    for (std::uint64_t k = next++; k < ranges; k = next++) {
      if (k > failed_hint.load(std::memory_order_relaxed)) continue;
      try {
        body(k * range_size, std::min(count, (k + 1) * range_size));
      } catch (...) {
        const std::lock_guard lock(error_mutex);
        if (k < failed) {
          failed = k;
          error = std::current_exception();
          failed_hint.store(k, std::memory_order_relaxed);
        }
      }
    }
  };
  threads = static_cast<unsigned>(std::min<std::uint64_t>(threads, ranges));
  std::vector<std::thread> pool;
  for (unsigned t = 1; t < threads; ++t) pool.emplace_back(worker);
  worker();
  for (auto& t : pool) t.join();
  if (error) std::rethrow_exception(error);
}

/// Calls body(i) for every i in [0, count) on `threads` threads (0: default_threads()), in
/// ranges that depend only on count: for work whose items are independent.
template <class Body>
void parallel_for(std::uint64_t count, unsigned threads, Body body) {
  map_ranges(count, std::max<std::uint64_t>(1, count / 256), threads, [&](std::uint64_t lo, std::uint64_t hi) {
    for (std::uint64_t i = lo; i < hi; ++i) body(i);
    return 0;
  });
}

}  // namespace fpx
