#pragma once
/// Enumerations split into units that may run in other processes. Every exhaustive walk of fpx
/// (protocol pair walks and state evaluations, the threshold search, the census, the U1 search,
/// claim checks) cuts its index space into ranges that depend only on the space's size, and
/// calls map_units: without a distributor it is map_ranges (parallel.hpp) on this process's
/// threads; with one installed (the experiment runner installs one per run: it journals each
/// finished unit, and under `mpirun` hands units to MPI ranks), each unit's result crosses as
/// bytes and comes back in unit order, on every process. So a result never depends on the
/// number of threads or ranks.

#include <cstdint>
#include <cstring>
#include <functional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "fpx/exact/parallel.hpp"

namespace fpx {

/// Where the units of an enumeration run beyond this process's threads.
class unit_distributor {
 public:
  virtual ~unit_distributor() = default;
  /// Every unit's bytes, in unit order, on every process taking part; work(k) computes unit k
  /// (on some process, on up to `threads` threads there). Exceptions of work propagate (on the
  /// process that threw; a distributed run stops).
  virtual std::vector<std::string> run(std::uint64_t units,
                                       const std::function<std::string(std::uint64_t)>& work,
                                       unsigned threads) = 0;
};

/// The distributor this process uses (nullptr: none, or inside a unit's work: an enumeration
/// nested in a unit runs on the threads of the process running the unit). Installed for the
/// duration of a run by unit_distributor_scope; not for concurrent runs in one process.
unit_distributor* unit_distributor_in_use();

/// While it lives, this thread is inside a unit's work (distributors set it around work(k)).
class inside_unit_scope {
 public:
  inside_unit_scope();
  ~inside_unit_scope();
  inside_unit_scope(const inside_unit_scope&) = delete;
  inside_unit_scope& operator=(const inside_unit_scope&) = delete;

 private:
  bool previous_;
};

class unit_distributor_scope {
 public:
  explicit unit_distributor_scope(unit_distributor* d);
  ~unit_distributor_scope();
  unit_distributor_scope(const unit_distributor_scope&) = delete;
  unit_distributor_scope& operator=(const unit_distributor_scope&) = delete;

 private:
  unit_distributor* previous_;
};

/// Bytes of a unit's result: fixed-width little-endian integers and doubles, and
/// length-prefixed strings, written and read in the same order.
class byte_writer {
 public:
  template <class T>
  requires std::is_arithmetic_v<T> byte_writer& put(T value) {
    char raw[sizeof(T)];
    std::memcpy(raw, &value, sizeof(T));
    bytes_.append(raw, sizeof(T));
    return *this;
  }
  byte_writer& put(std::string_view s) {
    put<std::uint64_t>(s.size());
    bytes_.append(s);
    return *this;
  }
  template <class T>
  byte_writer& put_all(const std::vector<T>& values) {
    put<std::uint64_t>(values.size());
    for (const T& v : values) put(v);
    return *this;
  }
  /// The bytes written so far; the writer is empty again.
  std::string take() {
    std::string out = std::move(bytes_);
    bytes_.clear();
    return out;
  }

 private:
  std::string bytes_;
};

class byte_reader {
 public:
  explicit byte_reader(std::string_view bytes) : bytes_(bytes) {}
  template <class T>
  T get() {
    static_assert(std::is_arithmetic_v<T>);
    if (at_ + sizeof(T) > bytes_.size())
      throw std::runtime_error("byte_reader: a unit's result is cut short");
    T value;
    std::memcpy(&value, bytes_.data() + at_, sizeof(T));
    at_ += sizeof(T);
    return value;
  }
  std::string get_string() {
    const auto n = get<std::uint64_t>();
    if (at_ + n > bytes_.size())
      throw std::runtime_error("byte_reader: a unit's result is cut short");
    std::string s(bytes_.substr(at_, n));
    at_ += n;
    return s;
  }
  template <class T>
  std::vector<T> get_all() {
    std::vector<T> values(get<std::uint64_t>());
    for (T& v : values) {
      if constexpr (std::is_same_v<T, std::string>)
        v = get_string();
      else
        v = get<T>();
    }
    return values;
  }

 private:
  std::string_view bytes_;
  std::size_t at_ = 0;
};

/// map_ranges(count, range_size, threads, body) through the distributor in use, if any:
/// encode(result) gives a unit's bytes, decode(bytes) the result back.
template <class Body, class Encode, class Decode>
auto map_units(std::uint64_t count, std::uint64_t range_size, unsigned threads, Body body,
               Encode encode, Decode decode)
    -> std::vector<decltype(body(std::uint64_t{}, std::uint64_t{}))> {
  using result = decltype(body(std::uint64_t{}, std::uint64_t{}));
  unit_distributor* d = unit_distributor_in_use();
  if (!d) return map_ranges(count, range_size, threads, body);
  range_size = std::max<std::uint64_t>(range_size, 1);
  const std::uint64_t units = (count + range_size - 1) / range_size;
  const std::vector<std::string> bytes = d->run(
      units,
      [&](std::uint64_t k) {
        return std::string(encode(body(k * range_size, std::min(count, (k + 1) * range_size))));
      },
      threads);
  std::vector<result> out;
  out.reserve(bytes.size());
  for (const auto& b : bytes) out.push_back(decode(b));
  return out;
}

}  // namespace fpx
