#include "experiment.hpp"

#include <Eigen/Core>
#include <algorithm>
#include <boost/version.hpp>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <fmt/core.h>
#include <fstream>
#include <mpfr.h>
#include <ostream>
#include <stdexcept>

namespace fpx::experiments {
namespace {

std::string csv_field(const std::string& s) {
  if (s.find_first_of(",\"\n") == std::string::npos) return s;
  std::string q(1, '"');
  for (char c : s) {
    q += c;
    if (c == '"') q += c;
  }
  q += '"';
  return q;
}

// The first line a shell command prints, or "" when it fails.
std::string command_output(const std::string& command) {
  std::string out;
  if (FILE* p = popen(command.c_str(), "r")) {
    char buffer[256];
    while (fgets(buffer, sizeof buffer, p)) out += buffer;
    if (pclose(p) != 0) return "";
  }
  return out;
}

nlohmann::json provenance() {
  const std::string dir = FPX_SOURCE_DIR;
  std::string commit = command_output("git -C '" + dir + "' rev-parse HEAD 2>/dev/null");
  if (!commit.empty() && commit.back() == '\n') commit.pop_back();
  const std::string status = command_output("git -C '" + dir + "' status --porcelain 2>/dev/null");
  return {{"git_commit", commit.empty() ? "unknown" : commit},
          {"git_dirty", !status.empty()},
          {"compiler", std::string("g++ ") + __VERSION__},
          {"versions",
           {{"boost", BOOST_LIB_VERSION},
            {"eigen", fmt::format("{}.{}.{}", EIGEN_WORLD_VERSION, EIGEN_MAJOR_VERSION, EIGEN_MINOR_VERSION)},
            {"mpfr", mpfr_get_version()},
            {"fmt", FMT_VERSION},
            {"nlohmann_json", fmt::format("{}.{}.{}", NLOHMANN_JSON_VERSION_MAJOR,
                                          NLOHMANN_JSON_VERSION_MINOR, NLOHMANN_JSON_VERSION_PATCH)}}}};
}

std::string utc_now() {
  const std::time_t t = std::time(nullptr);
  char buffer[32];
  std::strftime(buffer, sizeof buffer, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&t));
  return buffer;
}

}  // namespace

void tidy_table::add(std::vector<std::string> row) {
  if (row.size() != columns_.size())
    throw std::invalid_argument(fmt::format("tidy_table: a row of {} fields for {} columns",
                                            row.size(), columns_.size()));
  rows_.push_back(std::move(row));
}

std::string tidy_table::csv() const {
  std::string out;
  auto line = [&](const std::vector<std::string>& fields) {
    for (std::size_t i = 0; i < fields.size(); ++i) {
      if (i) out += ',';
      out += csv_field(fields[i]);
    }
    out += '\n';
  };
  line(columns_);
  for (const auto& r : rows_) line(r);
  return out;
}

void write_atomically(const std::filesystem::path& path, const std::string& text) {
  const std::filesystem::path tmp = path.string() + ".tmp";
  {
    std::ofstream f(tmp, std::ios::binary | std::ios::trunc);
    f << text;
    f.flush();
    if (!f) throw std::runtime_error("cannot write " + tmp.string());
  }
  std::filesystem::rename(tmp, path);
}

std::filesystem::path run(const std::string& name, const nlohmann::json& config,
                          const std::filesystem::path& out_root, unsigned threads,
                          const std::vector<std::string>& argv, std::ostream& progress) {
  const auto& all = registry();
  const auto it = std::find_if(all.begin(), all.end(), [&](const experiment& e) { return e.name == name; });
  if (it == all.end()) {
    std::string names;
    for (const auto& e : all) names += " " + e.name;
    throw std::invalid_argument("no experiment named '" + name + "'; there are:" + names);
  }
  if (!config.is_object()) throw std::invalid_argument("the config must be a JSON object");
  nlohmann::json params = it->defaults;
  for (const auto& [key, value] : config.items()) {
    if (!params.contains(key))
      throw std::invalid_argument("unknown parameter '" + key + "' for experiment " + name);
    if (value.type() != params[key].type() &&
        !(value.is_number() && params[key].is_number()))
      throw std::invalid_argument("parameter '" + key + "' should be like " + params[key].dump());
    params[key] = value;
  }
  const std::filesystem::path dir = out_root / name;
  std::filesystem::create_directories(dir);
  const std::string started = utc_now();
  const auto t0 = std::chrono::steady_clock::now();
  context ctx{dir, params, threads, progress};
  const tidy_table table = it->run(ctx);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  write_atomically(dir / (name + ".csv"), table.csv());
  nlohmann::json manifest = provenance();
  manifest["experiment"] = name;
  manifest["parameters"] = params;
  manifest["argv"] = argv;
  manifest["threads"] = threads;
  manifest["rows"] = table.size();
  manifest["started_utc"] = started;
  manifest["wall_seconds"] = seconds;
  write_atomically(dir / "manifest.json", manifest.dump(2) + "\n");
  return dir;
}

}  // namespace fpx::experiments
