// The processes of one fpx command: this process alone, or, when the program runs under an MPI
// launcher (mpirun -n K fpx ...) and was built with FPX_WITH_MPI, the K ranks of the job.
//
// Under MPI, rank 0 hands out the units of each enumeration (runner/units.hpp) in increasing
// order: its own threads take the next unit directly, the other ranks' threads ask for the next
// few with a message that carries the results of their previous ones. Rank 0 then sends every
// unit's bytes, in unit order, to every rank. MPI runs with MPI_THREAD_SERIALIZED: one thread of a
// rank in MPI at a time (a mutex per rank). Waits poll with short sleeps, so that a rank that waits
// does not spin on a core another rank computes on.
#include "processes.hpp"

#include <cstdlib>
#include <iostream>
#include <memory>
#include <stdexcept>

#ifdef FPX_WITH_MPI
#include <mpi.h>

#include <atomic>
#include <chrono>
#include <climits>
#include <cstring>
#include <mutex>
#include <thread>
#endif

namespace fpx::cli {

#ifdef FPX_WITH_MPI
namespace {

constexpr int tag_request = 1, tag_reply = 2, tag_done = 3;

bool launched_by_mpi() {
  for (const char* v : {"OMPI_COMM_WORLD_SIZE", "PMIX_RANK", "PMI_SIZE", "PMI_RANK"})
    if (std::getenv(v)) return true;
  return false;
}

[[noreturn]] void abort_job(int rank, const std::string& what) {
  std::cerr << "fpx: rank " << rank << ": error: " << what << " (aborting the MPI job)\n"
            << std::flush;
  MPI_Abort(MPI_COMM_WORLD, 2);
  std::abort();
}

// A failed MPI call, or a message MPI cannot count, ends the whole job with a message: an
// exception would leave the other ranks waiting (or, in a worker thread, end in terminate).
[[noreturn]] void abort_here(const std::string& what) {
  int rank = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  abort_job(rank, what);
}

void check(int code, const char* what) {
  if (code != MPI_SUCCESS) abort_here(std::string("MPI: ") + what + " failed");
}

int count_of(std::size_t bytes) {
  if (bytes > static_cast<std::size_t>(INT_MAX))
    abort_here("MPI: a message of more than 2^31 bytes (an enumeration's results are too large to send at once)");
  return static_cast<int>(bytes);
}

// Waits for a request, testing it every 100 microseconds.
void wait_politely(MPI_Request& request) {
  for (int done = 0;;) {
    check(MPI_Test(&request, &done, MPI_STATUS_IGNORE), "MPI_Test");
    if (done) return;
    std::this_thread::sleep_for(std::chrono::microseconds(100));
  }
}


class mpi_group final : public experiments::process_group {
 public:
  mpi_group() {
    MPI_Comm_rank(MPI_COMM_WORLD, &rank_);
    MPI_Comm_size(MPI_COMM_WORLD, &size_);
  }
  int rank() const override { return rank_; }
  int size() const override { return size_; }

  void broadcast(std::string& text) override {
    std::uint64_t n = text.size();
    MPI_Request r;
    check(MPI_Ibcast(&n, 1, MPI_UINT64_T, 0, MPI_COMM_WORLD, &r), "MPI_Ibcast");
    wait_politely(r);
    text.resize(n);
    check(MPI_Ibcast(text.data(), count_of(n), MPI_BYTE, 0, MPI_COMM_WORLD, &r), "MPI_Ibcast");
    wait_politely(r);
  }

  bool agree(const std::string& text) override {
    std::string mine = text;
    broadcast(mine);  // rank 0's
    int same = mine == text ? 1 : 0, all = 0;
    MPI_Request r;
    check(MPI_Iallreduce(&same, &all, 1, MPI_INT, MPI_MIN, MPI_COMM_WORLD, &r), "MPI_Iallreduce");
    wait_politely(r);
    return all == 1;
  }

  std::vector<experiments::unit_result> run_units(
      std::uint64_t units, std::vector<std::optional<experiments::unit_result>> known,
      const std::function<experiments::unit_result(std::uint64_t)>& work,
      unsigned threads) override {
    if (threads == 0) threads = default_threads();
    if (rank_ == 0)
      hand_out(known, work, threads);
    else
      ask(work, threads);
    // Every unit's bytes, in unit order, to every rank.
    std::string all;
    if (rank_ == 0)
      for (const auto& r : known) {
        const std::uint64_t n = r->bytes.size();
        all.append(reinterpret_cast<const char*>(&n), sizeof n).append(r->bytes);
      }
    broadcast(all);
    if (rank_ == 0) {
      std::vector<experiments::unit_result> out;
      out.reserve(units);
      for (auto& r : known) out.push_back(std::move(*r));
      return out;
    }
    std::vector<experiments::unit_result> out(units);
    std::size_t at = 0;
    for (auto& r : out) {
      std::uint64_t n = 0;
      std::memcpy(&n, all.data() + at, sizeof n);
      r.bytes = all.substr(at + sizeof n, n);
      at += sizeof n + n;
    }
    return out;
  }

 private:
  // Rank 0: its threads and the other ranks' threads take the missing units in increasing
  // order from one counter; this thread answers the other ranks until every unit is back and
  // every other rank has said it is done.
  void hand_out(std::vector<std::optional<experiments::unit_result>>& results,
                const std::function<experiments::unit_result(std::uint64_t)>& work,
                unsigned threads) {
    std::vector<std::uint64_t> missing;
    for (std::uint64_t k = 0; k < results.size(); ++k)
      if (!results[k]) missing.push_back(k);
    std::atomic<std::size_t> next{0}, received{0};
    std::mutex results_mutex;
    std::atomic<bool> failed{false};
    std::string failure;
    auto local = [&] {
      for (std::size_t i = next++; i < missing.size(); i = next++) {
        try {
          auto r = work(missing[i]);
          const std::lock_guard lock(results_mutex);
          results[missing[i]] = std::move(r);
          ++received;
        } catch (const std::exception& e) {
          const std::lock_guard lock(results_mutex);
          failure = "unit " + std::to_string(missing[i]) + ": " + e.what();
          failed = true;
          return;
        }
      }
    };
    std::vector<std::thread> pool;
    for (unsigned t = 0; t < threads; ++t) pool.emplace_back(local);
    int ranks_done = 0;
    std::string message;
    while (received < missing.size() || ranks_done < size_ - 1) {
      if (failed) {
        const std::lock_guard lock(results_mutex);
        abort_job(rank_, failure);
      }
      int flag = 0;
      MPI_Status status;
      check(MPI_Iprobe(MPI_ANY_SOURCE, MPI_ANY_TAG, MPI_COMM_WORLD, &flag, &status), "MPI_Iprobe");
      if (!flag) {
        std::this_thread::sleep_for(std::chrono::microseconds(100));
        continue;
      }
      int count = 0;
      MPI_Get_count(&status, MPI_BYTE, &count);
      message.resize(static_cast<std::size_t>(count));
      check(MPI_Recv(message.data(), count, MPI_BYTE, status.MPI_SOURCE, status.MPI_TAG,
                     MPI_COMM_WORLD, MPI_STATUS_IGNORE),
            "MPI_Recv");
      if (status.MPI_TAG == tag_done) {
        ++ranks_done;
        continue;
      }
      // A request: [units wanted][results: [unit][seconds][size][bytes] ...].
      std::uint32_t wanted = 0;
      try {
        byte_reader in(message);
        wanted = in.get<std::uint32_t>();
        for (auto n = in.get<std::uint32_t>(); n > 0; --n) {
          const auto unit = in.get<std::uint64_t>();
          const auto seconds = in.get<double>();
          experiments::unit_result r{in.get_string(), seconds, status.MPI_SOURCE};
          const std::lock_guard lock(results_mutex);
          results[unit] = std::move(r);
          ++received;
        }
      } catch (const std::exception& e) {
        abort_job(rank_, "a request from rank " + std::to_string(status.MPI_SOURCE) + ": " + e.what());
      }
      // The reply: the next `wanted` missing units (none: stop).
      const std::size_t first = next.fetch_add(wanted);
      std::vector<std::uint64_t> reply;
      for (std::size_t i = first; i < std::min<std::size_t>(missing.size(), first + wanted); ++i)
        reply.push_back(missing[i]);
      check(MPI_Send(reply.data(), count_of(reply.size() * sizeof(std::uint64_t)), MPI_BYTE,
                     status.MPI_SOURCE, tag_reply, MPI_COMM_WORLD),
            "MPI_Send");
    }
    for (auto& t : pool) t.join();
    if (failed) abort_job(rank_, failure);
  }

  // Another rank: each thread asks rank 0 for a unit, computes it and sends it back with its
  // next request, until there is none; then the rank says it is done.
  void ask(const std::function<experiments::unit_result(std::uint64_t)>& work, unsigned threads) {
    std::mutex mpi;
    auto worker = [&] {
      // Units come in chunks whose size adapts to their cost (doubling while a chunk takes under
      // 5 ms, halving above 50 ms), so that quick units do not cost a message each; results do
      // not depend on it.
      std::uint32_t wanted = 1, done = 0;
      byte_writer out;
      for (;;) {
        std::vector<std::uint64_t> units(max_chunk);
        {
          byte_writer request;
          request.put(wanted).put(done);
          std::string message = request.take() + out.take();
          const std::lock_guard lock(mpi);
          check(MPI_Send(message.data(), count_of(message.size()), MPI_BYTE, 0, tag_request,
                         MPI_COMM_WORLD),
                "MPI_Send");
          MPI_Request r;
          check(MPI_Irecv(units.data(), count_of(units.size() * sizeof(std::uint64_t)), MPI_BYTE, 0,
                          tag_reply, MPI_COMM_WORLD, &r),
                "MPI_Irecv");
          MPI_Status status;
          for (int flag = 0; !flag;) {
            check(MPI_Test(&r, &flag, &status), "MPI_Test");
            if (!flag) std::this_thread::sleep_for(std::chrono::microseconds(100));
          }
          int count = 0;
          MPI_Get_count(&status, MPI_BYTE, &count);
          units.resize(static_cast<std::size_t>(count) / sizeof(std::uint64_t));
        }
        if (units.empty()) return;
        const auto t0 = std::chrono::steady_clock::now();
        done = 0;
        for (const std::uint64_t unit : units) {
          try {
            const experiments::unit_result result = work(unit);
            out.put(unit).put(result.seconds).put(std::string_view(result.bytes));
            ++done;
          } catch (const std::exception& e) {
            const std::lock_guard lock(mpi);
            abort_job(rank_, "unit " + std::to_string(unit) + ": " + e.what());
          }
        }
        const double seconds =
            std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        if (seconds < 0.005)
          wanted = std::min<std::uint32_t>(max_chunk, 2 * wanted);
        else if (seconds > 0.05)
          wanted = std::max<std::uint32_t>(1, wanted / 2);
      }
    };
    std::vector<std::thread> pool;
    for (unsigned t = 0; t < threads; ++t) pool.emplace_back(worker);
    for (auto& t : pool) t.join();
    MPI_Request r;
    check(MPI_Isend(nullptr, 0, MPI_BYTE, 0, tag_done, MPI_COMM_WORLD, &r), "MPI_Isend");
    wait_politely(r);
  }

  static constexpr std::uint32_t max_chunk = 1024;
  int rank_ = 0, size_ = 1;
};

std::unique_ptr<mpi_group> group;
bool initialised = false;

}  // namespace

void start_processes(int& argc, char**& argv) {
  if (!launched_by_mpi()) return;
  int provided = 0;
  if (MPI_Init_thread(&argc, &argv, MPI_THREAD_SERIALIZED, &provided) != MPI_SUCCESS) {
    std::cerr << "fpx: error: MPI_Init_thread failed\n";
    std::exit(2);
  }
  initialised = true;
  if (provided < MPI_THREAD_SERIALIZED) {
    std::cerr << "fpx: error: this MPI library does not give MPI_THREAD_SERIALIZED\n";
    MPI_Abort(MPI_COMM_WORLD, 2);
    std::exit(2);
  }
  group = std::make_unique<mpi_group>();
}

void stop_processes() {
  if (initialised) MPI_Finalize();
  initialised = false;
}

void fail_processes(const std::string& what) {
  if (initialised && group && group->size() > 1) abort_job(group->rank(), what);
}

experiments::process_group& processes() {
  if (group && group->size() > 1) return *group;
  return experiments::single_process();
}

#else

void start_processes(int&, char**&) {
  for (const char* v : {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE"})
    if (const char* n = std::getenv(v); n && std::atoi(n) > 1) {
      std::cerr << "fpx: error: started by an MPI launcher on " << n
                << " processes, but this fpx was built without MPI (FPX_WITH_MPI=OFF); each "
                   "process would do the whole work\n";
      std::exit(2);
    }
}
void stop_processes() {}
void fail_processes(const std::string&) {}
experiments::process_group& processes() { return experiments::single_process(); }

#endif

}  // namespace fpx::cli
