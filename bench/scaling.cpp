// fpx_scaling: Knuth estimates of the units of the threshold search (theory/threshold_search.hpp),
// for bench/scaling.sh, which sets them against measured unit costs and predicts the wall time of
// searches too large to run here.
//   fpx_scaling FORMAT N SAMPLE_UNITS PROBES SAMPLE SEED THREADS
// SAMPLE_UNITS 0: every unit; else that many units evenly spaced over the search's units.
// Prints JSON: the format, n, the search's unit count, and for each unit estimated its index,
// its estimated nodes and work, and the seconds the estimate took.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fpx/fpx.hpp>
#include <stdexcept>
#include <string>
#include <vector>

int main(int argc, char** argv) {
  if (argc != 8) {
    std::fprintf(stderr, "usage: fpx_scaling FORMAT N SAMPLE_UNITS PROBES SAMPLE SEED THREADS\n");
    return 2;
  }
  try {
    const fpx::format f = fpx::parse_format(argv[1]);
    const int n = std::stoi(argv[2]);
    const std::uint64_t wanted = std::stoull(argv[3]);
    const auto probes = static_cast<unsigned>(std::stoul(argv[4]));
    const std::size_t sample = std::stoull(argv[5]);
    const std::uint64_t seed = std::stoull(argv[6]);
    const auto threads = static_cast<unsigned>(std::stoul(argv[7]));
    const std::uint64_t total = fpx::separation_units(f);
    std::vector<std::uint64_t> units;
    if (wanted == 0 || wanted >= total) {
      for (std::uint64_t u = 0; u < total; ++u) units.push_back(u);
    } else {
      for (std::uint64_t k = 0; k < wanted; ++k)
        units.push_back((2 * k + 1) * total / (2 * wanted));
    }
    const auto t0 = std::chrono::steady_clock::now();
    const fpx::separation_estimate e =
        fpx::estimate_separation_search(f, n, units, probes, sample, seed, threads);
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    std::printf(
        "{\"format\": \"%s\", \"n\": %d, \"units_total\": %llu, \"probes\": %u, \"sample\": %zu, "
        "\"seconds\": %.3f, \"units\": [",
        argv[1], n, static_cast<unsigned long long>(total), probes, sample, seconds);
    for (std::size_t i = 0; i < units.size(); ++i)
      std::printf("%s[%llu, %.6e, %.6e]", i ? ", " : "", static_cast<unsigned long long>(units[i]),
                  e.nodes[i], e.work[i]);
    std::printf("]}\n");
  } catch (const std::exception& ex) {
    std::fprintf(stderr, "fpx_scaling: error: %s\n", ex.what());
    return 2;
  }
  return 0;
}
