#pragma once
// Named, reproducible experiments: each writes one tidy CSV and a manifest into its directory,
// atomically (a file appears complete or not at all).
//
// An experiment's work is a sequence of cells, each a named unit whose rows join the table in
// call order. Every finished cell is appended to a journal (<name>.cells.jsonl) next to the
// results, so a run that is interrupted can be started again with the same parameters and
// skips the cells it finished; the journal is removed once the CSV is written.

#include <filesystem>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace fpx::experiments {

using table_rows = std::vector<std::vector<std::string>>;

/// A table whose columns are the parameters and measurements of one observation per row.
class tidy_table {
 public:
  explicit tidy_table(std::vector<std::string> columns) : columns_(std::move(columns)) {}
  /// Throws std::invalid_argument when the row's length differs from the columns'.
  void add(std::vector<std::string> row);
  std::size_t size() const { return rows_.size(); }
  std::string csv() const;

 private:
  std::vector<std::string> columns_;
  table_rows rows_;
};

/// Where a run reports progress: one line per finished cell. It may throw (an interrupt from
/// Python does); the cells finished so far stay in the journal.
using progress_sink = std::function<void(const std::string& line)>;

class context {
 public:
  context(nlohmann::json config, unsigned threads, std::vector<std::string> columns,
          std::filesystem::path journal, const nlohmann::json& journal_header, progress_sink progress);
  const nlohmann::json& config() const { return config_; }
  unsigned threads() const { return threads_; }

  /// Runs `body` unless the journal holds the cell `key` (keys must be unique within a run);
  /// either way the cell's rows are added to the table.
  void cell(const std::string& key, const std::function<void(table_rows&)>& body);

  const tidy_table& table() const { return table_; }
  std::size_t cells_resumed() const { return resumed_; }

 private:
  nlohmann::json config_;
  unsigned threads_;
  tidy_table table_;
  std::filesystem::path journal_;
  std::map<std::string, table_rows> finished_;  // from the journal of an interrupted run
  std::set<std::string> keys_;
  std::size_t done_ = 0, resumed_ = 0;
  progress_sink progress_;
};

struct experiment {
  std::string name;
  std::string description;
  std::vector<std::string> columns;
  nlohmann::json defaults;  ///< every parameter; a config may override only these keys
  std::function<void(context&)> run;
};

const std::vector<experiment>& registry();
/// The experiment called `name`; throws std::invalid_argument listing the names otherwise.
const experiment& find(const std::string& name);

/// Runs `name` with `config` (a JSON object; unknown keys are errors) and writes
/// <out_root>/<name>/<name>.csv and manifest.json, resuming from the journal of an interrupted
/// run with the same parameters and source commit. Returns the directory.
std::filesystem::path run(const std::string& name, const nlohmann::json& config,
                          const std::filesystem::path& out_root, unsigned threads,
                          const std::vector<std::string>& argv, const progress_sink& progress);

/// Writes `text` to `path` through a temporary file and a rename.
void write_atomically(const std::filesystem::path& path, const std::string& text);

}  // namespace fpx::experiments
