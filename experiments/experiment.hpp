#pragma once
// Named, reproducible experiments: each writes one tidy CSV and a manifest into its directory,
// atomically (a file appears complete or not at all).

#include <chrono>
#include <filesystem>
#include <functional>
#include <iosfwd>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace fpx::experiments {

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
  std::vector<std::vector<std::string>> rows_;
};

struct context {
  std::filesystem::path out_dir;  ///< data/<name>
  nlohmann::json config;          ///< the experiment's parameters, defaults filled in
  unsigned threads = 0;
  std::ostream& progress;         ///< one line per finished unit of work
};

struct experiment {
  std::string name;
  std::string description;
  nlohmann::json defaults;  ///< every parameter; a config may override only these keys
  std::function<tidy_table(context&)> run;
};

const std::vector<experiment>& registry();

/// Runs `name` with `config` (a JSON object; unknown keys are errors) and writes
/// <out_root>/<name>/<name>.csv and manifest.json. Returns the directory.
std::filesystem::path run(const std::string& name, const nlohmann::json& config,
                          const std::filesystem::path& out_root, unsigned threads,
                          const std::vector<std::string>& argv, std::ostream& progress);

/// Writes `text` to `path` through a temporary file and a rename.
void write_atomically(const std::filesystem::path& path, const std::string& text);

}  // namespace fpx::experiments
