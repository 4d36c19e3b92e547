#include "experiment.hpp"

#include <Eigen/Core>
#include <algorithm>
#include <boost/version.hpp>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <fmt/core.h>
#include <fstream>
#include <map>
#include <mpfr.h>
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

// What a shell command prints, or "" when it fails.
std::string command_output(const std::string& command) {
  std::string out;
  if (FILE* p = popen(command.c_str(), "r")) {
    char buffer[256];
    while (fgets(buffer, sizeof buffer, p)) out += buffer;
    if (pclose(p) != 0) return "";
  }
  return out;
}

// FNV-1a: a short fingerprint of uncommitted changes that is the same in every build.
std::string fingerprint(const std::string& text) {
  std::uint64_t h = 0xcbf29ce484222325ull;
  for (unsigned char c : text) h = (h ^ c) * 0x100000001b3ull;
  return fmt::format("{:016x}", h);
}

// The source a run used. Results (under data/, or wherever this run writes them) are outputs,
// not source, so they do not count: a journal must not make its own run look changed.
nlohmann::json source_state(const std::filesystem::path& out_root) {
  const std::filesystem::path source = FPX_SOURCE_DIR;
  const std::string git = "git -C '" + source.string() + "' ";
  std::string outside_data = " -- . ':(exclude)data'";
  const std::filesystem::path out = std::filesystem::weakly_canonical(out_root).lexically_relative(source);
  if (!out.empty() && *out.begin() != "..") outside_data += " ':(exclude)" + out.string() + "'";
  outside_data += " 2>/dev/null";
  std::string commit = command_output(git + "rev-parse HEAD 2>/dev/null");
  if (!commit.empty() && commit.back() == '\n') commit.pop_back();
  const std::string status = command_output(git + "status --porcelain" + outside_data);
  return {{"git_commit", commit.empty() ? "unknown" : commit},
          {"git_dirty", !status.empty()},
          {"changes", status.empty() ? "" : fingerprint(status + command_output(git + "diff HEAD" + outside_data))}};
}

nlohmann::json versions() {
  return {{"boost", BOOST_LIB_VERSION},
          {"eigen", fmt::format("{}.{}.{}", EIGEN_WORLD_VERSION, EIGEN_MAJOR_VERSION, EIGEN_MINOR_VERSION)},
          {"mpfr", mpfr_get_version()},
          {"fmt", FMT_VERSION},
          {"nlohmann_json", fmt::format("{}.{}.{}", NLOHMANN_JSON_VERSION_MAJOR,
                                        NLOHMANN_JSON_VERSION_MINOR, NLOHMANN_JSON_VERSION_PATCH)}};
}

// The cells an interrupted run finished, when its journal was written with the same header.
// A torn last line (the interruption hit a write) is dropped.
std::map<std::string, table_rows> read_journal(const std::filesystem::path& path,
                                               const nlohmann::json& header) {
  std::map<std::string, table_rows> cells;
  std::ifstream in(path);
  std::string line;
  if (!in || !std::getline(in, line)) return cells;
  const nlohmann::json first = nlohmann::json::parse(line, nullptr, false);
  if (first != header) return cells;
  while (std::getline(in, line)) {
    const nlohmann::json entry = nlohmann::json::parse(line, nullptr, false);
    if (entry.is_discarded() || !entry.contains("cell") || !entry.contains("rows")) break;
    cells[entry["cell"].get<std::string>()] = entry["rows"].get<table_rows>();
  }
  return cells;
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

context::context(nlohmann::json config, unsigned threads, std::vector<std::string> columns,
                 std::filesystem::path journal, const nlohmann::json& journal_header,
                 progress_sink progress)
    : config_(std::move(config)),
      threads_(threads),
      table_(std::move(columns)),
      journal_(std::move(journal)),
      finished_(read_journal(journal_, journal_header)),
      progress_(std::move(progress)) {
  if (!finished_.empty()) {
    progress_(fmt::format("resuming: {} cells finished by an interrupted run", finished_.size()));
    return;
  }
  if (std::filesystem::exists(journal_))
    progress_("starting afresh: the journal there is from other parameters or another source");
  write_atomically(journal_, journal_header.dump() + "\n");
}

void context::cell(const std::string& key, const std::function<void(table_rows&)>& body) {
  if (!keys_.insert(key).second) throw std::logic_error("experiment cell '" + key + "' twice");
  table_rows rows;
  std::string how;
  if (const auto it = finished_.find(key); it != finished_.end()) {
    rows = it->second;
    ++resumed_;
    how = "from the journal";
  } else {
    const auto t0 = std::chrono::steady_clock::now();
    body(rows);
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    std::ofstream out(journal_, std::ios::app);
    out << nlohmann::json{{"cell", key}, {"rows", rows}}.dump() << "\n" << std::flush;
    if (!out) throw std::runtime_error("cannot append to " + journal_.string());
    how = fmt::format("{:.1f} s", seconds);
  }
  for (auto& r : rows) table_.add(std::move(r));
  progress_(fmt::format("[{}] {} ({})", ++done_, key, how));
}

const experiment& find(const std::string& name) {
  const auto& all = registry();
  const auto it = std::find_if(all.begin(), all.end(), [&](const experiment& e) { return e.name == name; });
  if (it != all.end()) return *it;
  std::string names;
  for (const auto& e : all) names += " " + e.name;
  throw std::invalid_argument("no experiment named '" + name + "'; there are:" + names);
}

std::filesystem::path run(const std::string& name, const nlohmann::json& config,
                          const std::filesystem::path& out_root, unsigned threads,
                          const std::vector<std::string>& argv, const progress_sink& progress) {
  const experiment& e = find(name);
  if (!config.is_object()) throw std::invalid_argument("the config must be a JSON object");
  nlohmann::json params = e.defaults;
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
  const nlohmann::json source = source_state(out_root);
  const nlohmann::json header{{"experiment", name}, {"parameters", params}, {"source", source}};
  const std::filesystem::path journal = dir / (name + ".cells.jsonl");
  const std::string started = utc_now();
  const auto t0 = std::chrono::steady_clock::now();
  context ctx(params, threads, e.columns, journal, header, progress);
  e.run(ctx);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  write_atomically(dir / (name + ".csv"), ctx.table().csv());
  nlohmann::json manifest = source;
  manifest.erase("changes");
  manifest["compiler"] = std::string("g++ ") + __VERSION__;
  manifest["versions"] = versions();
  manifest["experiment"] = name;
  manifest["parameters"] = params;
  manifest["argv"] = argv;
  manifest["threads"] = threads;
  manifest["rows"] = ctx.table().size();
  manifest["cells_resumed"] = ctx.cells_resumed();
  manifest["started_utc"] = started;
  manifest["wall_seconds"] = seconds;
  write_atomically(dir / "manifest.json", manifest.dump(2) + "\n");
  std::filesystem::remove(journal);
  return dir;
}

}  // namespace fpx::experiments
