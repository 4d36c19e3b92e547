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
#include <spawn.h>
#include <stdexcept>
#include <sys/wait.h>
#include <unistd.h>

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
          {"changes", status.empty() ? "" : fnv_hex(status + command_output(git + "diff HEAD" + outside_data))}};
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
// A line that does not parse as a cell (a torn last line where the interruption hit a write,
// or one damaged later) is reported and not used: its cell is computed again.
// `matched` says whether the journal was written with this header (its unit files may serve).
std::map<std::string, nlohmann::json> read_journal(const std::filesystem::path& path,
                                                   const nlohmann::json& header,
                                                   const progress_sink& progress, bool& matched) {
  std::map<std::string, nlohmann::json> cells;
  matched = false;
  std::ifstream in(path);
  std::string line;
  if (!in || !std::getline(in, line)) return cells;
  const nlohmann::json first = nlohmann::json::parse(line, nullptr, false);
  if (first != header) return cells;
  matched = true;
  for (std::size_t number = 2; std::getline(in, line); ++number) {
    const nlohmann::json entry = nlohmann::json::parse(line, nullptr, false);
    const auto rows_are_rows = [&] {
      if (!entry["rows"].is_array()) return false;
      for (const auto& row : entry["rows"]) {
        if (!row.is_array()) return false;
        for (const auto& field : row)
          if (!field.is_string()) return false;
      }
      return true;
    };
    if (entry.is_discarded() || !entry.is_object() || !entry.contains("cell") || !entry["cell"].is_string() ||
        !(entry.contains("rows") ? rows_are_rows() : entry.contains("text") && entry["text"].is_string())) {
      progress(fmt::format("journal {} line {} is torn or corrupt; it is not used (its cell runs "
                           "again)", path.filename().string(), number));
      continue;
    }
    cells[entry["cell"].get<std::string>()] = entry;
  }
  return cells;
}

std::string utc_now() {
  const std::time_t t = std::time(nullptr);
  char buffer[32];
  std::strftime(buffer, sizeof buffer, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&t));
  return buffer;
}

double seconds_now() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

// Merges b's keys into a, objects key by key.
void merge(nlohmann::json& a, const nlohmann::json& b) {
  for (const auto& [key, value] : b.items()) {
    if (a.contains(key) && a[key].is_object() && value.is_object()) merge(a[key], value);
    else a[key] = value;
  }
}

// Runs a Python experiment's script with the build's interpreter and package; returns its
// exit status.
int run_script(const experiment& e, const nlohmann::json& config, const std::filesystem::path& out_root,
               unsigned threads) {
#if defined(FPX_PYTHON_EXECUTABLE) && defined(FPX_PYTHON_PATH)
  const std::filesystem::path script = std::filesystem::path(FPX_SOURCE_DIR) / e.script;
  std::vector<std::string> args{FPX_PYTHON_EXECUTABLE, script.string(), "--out", out_root.string(),
                                "--config", config.dump(), "--threads", std::to_string(threads)};
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  std::vector<std::string> env_text;
  const char* old = std::getenv("PYTHONPATH");
  env_text.push_back(std::string("PYTHONPATH=") + FPX_PYTHON_PATH + (old && *old ? std::string(":") + old : ""));
  for (char** v = environ; *v; ++v)
    if (std::string_view(*v).substr(0, 11) != "PYTHONPATH=") env_text.emplace_back(*v);
  std::vector<char*> env;
  for (auto& v : env_text) env.push_back(v.data());
  env.push_back(nullptr);
  pid_t pid = 0;
  if (posix_spawn(&pid, argv[0], nullptr, nullptr, argv.data(), env.data()) != 0)
    throw std::runtime_error("cannot start " + args[0] + " for experiment " + e.name);
  int status = 0;
  if (waitpid(pid, &status, 0) < 0) throw std::runtime_error("lost experiment " + e.name);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
#else
  (void)config, (void)out_root, (void)threads;
  throw std::invalid_argument("experiment " + e.name + " is a Python script (" + e.script +
                              "); this build has no Python package (FPX_BUILD_PYTHON=ON)");
#endif
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
  const std::filesystem::path tmp = path.string() + ".tmp" + std::to_string(getpid());
  {
    std::ofstream f(tmp, std::ios::binary | std::ios::trunc);
    f << text;
    f.flush();
    if (!f) throw std::runtime_error("cannot write " + tmp.string());
  }
  std::filesystem::rename(tmp, path);
}

const experiment& find(const std::string& name) {
  const auto& all = registry();
  const auto it = std::find_if(all.begin(), all.end(), [&](const experiment& e) { return e.name == name; });
  if (it != all.end()) return *it;
  std::string names;
  for (const auto& e : all) names += " " + e.name;
  throw std::invalid_argument("no experiment named '" + name + "'; there are:" + names);
}

nlohmann::json resolve_parameters(const experiment& e, const nlohmann::json& config) {
  nlohmann::json overrides = config;
  std::string named = "default";
  if (config.is_string()) {
    named = config.get<std::string>();
    overrides = nlohmann::json::object();
  } else if (!config.is_object()) {
    throw std::invalid_argument("experiment " + e.name + ": a config is a JSON object or the name of one of its configs");
  } else if (config.contains("config")) {
    if (!config["config"].is_string()) throw std::invalid_argument("experiment " + e.name + ": \"config\" names a config");
    named = config["config"].get<std::string>();
    overrides.erase("config");
  }
  if (!e.configs.contains(named)) {
    std::string names;
    for (const auto& [key, value] : e.configs.items()) names += " " + key;
    throw std::invalid_argument("experiment " + e.name + " has no config '" + named + "'; it has:" + names);
  }
  nlohmann::json params = e.parameters;
  for (const auto& layer : {e.configs[named], overrides})
    for (const auto& [key, value] : layer.items()) {
      if (!params.contains(key))
        throw std::invalid_argument("unknown parameter '" + key + "' for experiment " + e.name);
      if (value.type() != params[key].type() && !(value.is_number() && params[key].is_number()))
        throw std::invalid_argument("parameter '" + key + "' of experiment " + e.name +
                                    " should be like " + params[key].dump());
      params[key] = value;
    }
  return params;
}

context::context(const experiment& e, const nlohmann::json& config, const std::filesystem::path& out_root,
                 unsigned threads, std::vector<std::string> argv, progress_sink progress, process_group& group)
    : experiment_(e),
      group_(group),
      parameters_(resolve_parameters(e, config)),
      threads_(threads),
      argv_(std::move(argv)),
      progress_(progress && group.rank() == 0 ? std::move(progress) : [](const std::string&) {}),
      directory_(out_root / e.name),
      journal_(directory_ / (e.name + ".cells.jsonl")),
      units_directory_(directory_ / (e.name + ".units")),
      source_(group.rank() == 0 ? source_state(out_root) : nlohmann::json()),
      started_(utc_now()),
      clock_(seconds_now()) {
  if (!e.body.columns.empty()) table_.emplace(e.body.columns);
  std::string finished_text;
  if (group_.rank() == 0) {
    std::filesystem::create_directories(directory_);
    const nlohmann::json header{{"experiment", e.name}, {"parameters", parameters_}, {"source", source_}};
    const bool existed = std::filesystem::exists(journal_);
    bool matched = false;
    finished_ = read_journal(journal_, header, progress_, matched);
    std::string text = header.dump() + "\n";
    for (const auto& [key, entry] : finished_) text += entry.dump() + "\n";
    if (!finished_.empty())
      progress_(fmt::format("resuming: {} cells finished by an interrupted run", finished_.size()));
    else if (existed && !matched)
      progress_("starting afresh: the journal there is from other parameters or another source");
    if (!matched) std::filesystem::remove_all(units_directory_);  // units of another run
    std::filesystem::create_directories(units_directory_);
    write_atomically(journal_, text);  // the usable cells only, so that later appends follow whole lines
    finished_text = nlohmann::json(finished_).dump();
  }
  if (group_.size() > 1) {  // every rank skips the same cells
    group_.broadcast(finished_text);
    if (group_.rank() != 0) finished_ = finished_text.empty() ? decltype(finished_){}
                                                              : nlohmann::json::parse(finished_text).get<decltype(finished_)>();
  }
  units_.emplace(group_, units_directory_, progress_);
}

void context::record(const std::string& key, nlohmann::json entry, const std::string& how) {
  ++done_;
  if (group_.rank() != 0) return;
  std::ofstream out(journal_, std::ios::app);
  out << entry.dump() << "\n" << std::flush;
  if (!out) throw std::runtime_error("cannot append to " + journal_.string());
  progress_(fmt::format("[{}] {} ({})", done_, key, how));
}

// Runs a cell's body with the unit journal installed, then journals the cell with its units'
// costs; its unit files go only after the cell's entry is written.
template <class Body>
void context::run_cell(const std::string& key, Body body) {
  const double t0 = seconds_now();
  units_->begin_cell(key);
  nlohmann::json entry;
  {
    const unit_distributor_scope scope(&*units_);
    entry = body();
  }
  const auto costs = units_->costs();
  if (!costs.empty()) {
    entry["unit_seconds"] = costs;
    unit_costs_[key] = costs;
  }
  record(key, entry, fmt::format("{:.1f} s", seconds_now() - t0));
  units_->end_cell();
}

void context::cell(const std::string& key, const std::function<void(table_rows&)>& body) {
  if (!table_) throw std::logic_error("experiment " + experiment_.name + " has no table");
  if (!keys_.insert(key).second) throw std::logic_error("experiment cell '" + key + "' twice");
  table_rows rows;
  if (const auto it = finished_.find(key); it != finished_.end() && it->second.contains("rows")) {
    rows = it->second["rows"].get<table_rows>();
    if (it->second.contains("unit_seconds")) unit_costs_[key] = it->second["unit_seconds"];
    ++resumed_;
    progress_(fmt::format("[{}] {} (from the journal)", ++done_, key));
  } else {
    run_cell(key, [&] {
      body(rows);
      return nlohmann::json{{"cell", key}, {"rows", rows}};
    });
  }
  for (auto& r : rows) table_->add(std::move(r));
}

std::string context::cell_text(const std::string& key, const std::function<std::string()>& body) {
  if (!keys_.insert(key).second) throw std::logic_error("experiment cell '" + key + "' twice");
  if (const auto it = finished_.find(key); it != finished_.end() && it->second.contains("text")) {
    if (it->second.contains("unit_seconds")) unit_costs_[key] = it->second["unit_seconds"];
    ++resumed_;
    progress_(fmt::format("[{}] {} (from the journal)", ++done_, key));
    return it->second["text"].get<std::string>();
  }
  std::string text;
  run_cell(key, [&] {
    text = body();
    return nlohmann::json{{"cell", key}, {"text", text}};
  });
  return text;
}

void context::write(const std::string& file, const std::string& text) const {
  if (file.empty() || file.find('/') != std::string::npos || file == "manifest.json" || file == "unit_costs.json")
    throw std::invalid_argument("experiment " + experiment_.name + ": cannot write '" + file + "'");
  if (group_.rank() == 0) write_atomically(directory_ / file, text);
}

std::filesystem::path context::finish(const nlohmann::json& extra) {
  // Every rank computed the table from the same unit results: a rank that did not has a bug.
  if (group_.size() > 1 && !group_.agree(table_ ? fnv_hex(table_->csv()) : std::string()))
    throw std::logic_error("experiment " + experiment_.name + ": the ranks computed different tables");
  if (group_.rank() != 0) return directory_;
  if (table_) write_atomically(directory_ / (experiment_.name + ".csv"), table_->csv());
  nlohmann::json manifest = source_;
  manifest.erase("changes");
  manifest["compiler"] = std::string("g++ ") + __VERSION__;
  manifest["versions"] = versions();
  manifest["experiment"] = experiment_.name;
  manifest["claim"] = experiment_.claim;
  manifest["parameters"] = parameters_;
  manifest["argv"] = argv_;
  manifest["threads"] = threads_;
  manifest["ranks"] = group_.size();
  if (table_) manifest["rows"] = table_->size();
  manifest["cells_resumed"] = resumed_;
  manifest["started_utc"] = started_;
  manifest["wall_seconds"] = seconds_now() - clock_;
  std::uint64_t units = 0;
  double unit_seconds = 0;
  for (const auto& [key, calls] : unit_costs_.items())
    for (const auto& call : calls)
      for (const auto& s : call) ++units, unit_seconds += s.get<double>();
  manifest["units"] = {{"count", units}, {"seconds", unit_seconds}, {"costs", "unit_costs.json"}};
  merge(manifest, extra);
  // Each cell's enumerations, in call order: the seconds of each unit (timings; not reproducible).
  write_atomically(directory_ / "unit_costs.json", unit_costs_.dump() + "\n");
  write_atomically(directory_ / "manifest.json", manifest.dump(2) + "\n");
  std::filesystem::remove(journal_);
  std::filesystem::remove_all(units_directory_);
  return directory_;
}

std::filesystem::path run(const std::string& name, const nlohmann::json& config,
                          const std::filesystem::path& out_root, unsigned threads,
                          const std::vector<std::string>& argv, const progress_sink& progress,
                          process_group& group) {
  const experiment& e = find(name);
  if (!e.script.empty()) {
    resolve_parameters(e, config);  // a bad config is refused here, before the interpreter starts
    if (group.rank() == 0)  // its enumerations run on rank 0's threads
      if (const int status = run_script(e, config, out_root, threads); status != 0)
        throw std::runtime_error("experiment " + name + " (" + e.script + ") failed with status " +
                                 std::to_string(status));
    return out_root / name;
  }
  context ctx(e, config, out_root, threads, argv, progress, group);
  e.body.run(ctx);
  return ctx.finish();
}

}  // namespace fpx::experiments
