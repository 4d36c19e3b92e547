#include "units.hpp"

#include <fmt/core.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <stdexcept>

#include "experiment.hpp"
#include "fpx/exact/fnv.hpp"

namespace fpx::experiments {
namespace {

// A unit quicker than this is not given a file: computing it again costs less than writing it.
constexpr double journal_from_seconds = 0.001;

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

class single final : public process_group {
 public:
  int rank() const override { return 0; }
  int size() const override { return 1; }
  void broadcast(std::string&) override {}
  bool agree(const std::string&) override { return true; }
  std::vector<unit_result> run_units(std::uint64_t units,
                                     std::vector<std::optional<unit_result>> known,
                                     const std::function<unit_result(std::uint64_t)>& work,
                                     unsigned threads) override {
    std::vector<std::uint64_t> missing;
    for (std::uint64_t k = 0; k < units; ++k)
      if (!known[k]) missing.push_back(k);
    const auto computed =
        map_ranges(missing.size(), 1, threads,
                   [&](std::uint64_t i, std::uint64_t) { return work(missing[i]); });
    for (std::size_t i = 0; i < missing.size(); ++i) known[missing[i]] = computed[i];
    std::vector<unit_result> out;
    out.reserve(units);
    for (auto& r : known) out.push_back(std::move(*r));
    return out;
  }
};

}  // namespace

std::string fnv_hex(std::string_view text) { return fmt::format("{:016x}", fnv1a(text)); }

process_group& single_process() {
  static single group;
  return group;
}

unit_journal::unit_journal(process_group& group, std::filesystem::path directory,
                           std::function<void(const std::string&)> report)
    : group_(group), directory_(std::move(directory)), report_(std::move(report)) {}

void unit_journal::begin_cell(const std::string& key) {
  cell_ = key;
  cell_tag_ = fnv_hex(key);
  calls_ = 0;
  costs_.clear();
}

void unit_journal::end_cell() {
  if (group_.rank() == 0 && !directory_.empty() && std::filesystem::exists(directory_)) {
    const std::string prefix = cell_tag_ + "-";
    for (const auto& entry : std::filesystem::directory_iterator(directory_))
      if (entry.path().filename().string().rfind(prefix, 0) == 0)
        std::filesystem::remove(entry.path());
  }
  costs_.clear();
}

std::filesystem::path unit_journal::file(std::uint64_t call, std::uint64_t unit) const {
  return directory_ / fmt::format("{}-{}-{}.unit", cell_tag_, call, unit);
}

std::optional<unit_result> unit_journal::read(std::uint64_t call, std::uint64_t units,
                                              std::uint64_t unit) const {
  const auto path = file(call, unit);
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) return std::nullopt;
  std::ifstream in(path, std::ios::binary);
  std::string header;
  std::getline(in, header);
  std::ostringstream rest;
  rest << in.rdbuf();
  const std::string bytes = rest.str();
  const nlohmann::json h = nlohmann::json::parse(header, nullptr, false);
  const bool good = !h.is_discarded() && h.is_object() && h.value("cell", "") == cell_ &&
                    h.value("call", ~0ull) == call && h.value("units", ~0ull) == units &&
                    h.value("unit", ~0ull) == unit && h.value("size", ~0ull) == bytes.size() &&
                    h.value("digest", "") == fnv_hex(bytes) && h.contains("seconds") &&
                    h["seconds"].is_number();
  if (!good) {
    report_(fmt::format(
        "unit file {} is torn, damaged or from another enumeration; its unit runs again",
        path.filename().string()));
    return std::nullopt;
  }
  return unit_result{bytes, h["seconds"].get<double>(), h.value("rank", 0)};
}

void unit_journal::write(std::uint64_t call, std::uint64_t units, std::uint64_t unit,
                         const unit_result& r) const {
  const nlohmann::json h{{"cell", cell_},          {"call", call},
                         {"units", units},         {"unit", unit},
                         {"seconds", r.seconds},   {"rank", r.rank},
                         {"size", r.bytes.size()}, {"digest", fnv_hex(r.bytes)}};
  write_atomically(file(call, unit), h.dump() + "\n" + r.bytes);
}

std::vector<std::string> unit_journal::run(std::uint64_t units,
                                           const std::function<std::string(std::uint64_t)>& work,
                                           unsigned threads) {
  const std::uint64_t call = calls_++;
  std::vector<std::optional<unit_result>> known;
  if (group_.rank() == 0) {
    known.resize(units);
    std::uint64_t found = 0;
    if (!directory_.empty())
      for (std::uint64_t k = 0; k < units; ++k)
        found += (known[k] = read(call, units, k)).has_value();
    if (found > 0)
      report_(fmt::format(
          "{}: {} of the {} units of enumeration {} from unit files of an interrupted run", cell_,
          found, units, call));
  }
  const int rank = group_.rank();
  const auto one = [&](std::uint64_t k) {
    const inside_unit_scope inside;  // an enumeration inside a unit stays on this process
    const auto t0 = std::chrono::steady_clock::now();
    unit_result r{work(k), 0, rank};
    r.seconds = seconds_since(t0);
    if (!directory_.empty() && r.seconds >= journal_from_seconds) write(call, units, k, r);
    return r;
  };
  std::vector<unit_result> results = group_.run_units(units, std::move(known), one, threads);
  std::vector<std::string> bytes;
  bytes.reserve(results.size());
  std::vector<double> seconds;
  for (auto& r : results) {
    seconds.push_back(r.seconds);
    bytes.push_back(std::move(r.bytes));
  }
  if (rank == 0) costs_.push_back(std::move(seconds));
  return bytes;
}

}  // namespace fpx::experiments
