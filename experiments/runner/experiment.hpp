#pragma once
// Named, reproducible experiments, and the runner conventions every one of them follows, in C++
// (fpx run, fpx.run_experiment) and in Python (fpx.runner, for experiments that need PyTorch):
//
//  - An experiment NAME of claim CLAIM is experiments/CLAIM/NAME.json (its description, default
//    parameters, what each parameter means and named configs) and NAME.cpp (a function `definition NAME()`) or NAME.py (a
//    script using fpx.runner). The build finds them (experiments/CMakeLists.txt generates the
//    registry): nothing lists them by hand.
//  - A run resolves its parameters (the defaults, a named config over them, then a JSON object
//    over that; unknown keys and mistyped values are errors) and writes into OUT/NAME/.
//  - Its work is a sequence of cells, named units whose results join the output in call order.
//    Every finished cell is appended to a journal (NAME.cells.jsonl), so a run that is
//    interrupted can be started again with the same parameters and source and skips the cells
//    it finished. A torn or corrupt journal line is reported and not used. The journal is
//    removed once the outputs are written.
//  - Inside a cell, every enumeration of the library (exact/distributed.hpp) runs through the
//    run's unit journal (runner/units.hpp): its units are handed out to threads, or to the ranks
//    of `mpirun -n K fpx run NAME`, each finished unit is kept in a file until its cell is
//    journalled, and a rerun skips the units it finds. Each unit's cost (seconds) goes into the
//    cell's journal entry and, at the end, into unit_costs.json. Rank 0 alone writes the
//    journal and the outputs; each rank writes the unit files of the units it computed, so the
//    output directory must be on a filesystem every rank shares.
//  - Outputs (NAME.csv for a C++ experiment's table, any file a Python experiment writes, and
//    manifest.json) are written atomically: a file appears complete or not at all. Outputs do
//    not depend on the thread or rank count; manifest.json and unit_costs.json record timings.

#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "runner/units.hpp"

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

class context;

/// What an experiment's C++ source gives: the columns of its table and the work.
struct definition {
  std::vector<std::string> columns;
  std::function<void(context&)> run;
};

struct experiment {
  std::string name;
  std::string claim;        ///< the folder under experiments/ (and the proof file's name)
  std::string description;
  nlohmann::json parameters;  ///< every parameter with its default; a config may set only these
  nlohmann::json documentation;  ///< every parameter's meaning (with its units), by name
  nlohmann::json configs;     ///< named configs: objects over the defaults ("default" is {})
  definition body;            ///< C++ experiments
  std::string script;         ///< Python experiments: the script, relative to the source tree
};

const std::vector<experiment>& registry();
/// The experiment called `name`; throws std::invalid_argument listing the names otherwise.
const experiment& find(const std::string& name);

/// The parameters of a run: the defaults, then `config`: a named config (a JSON string), or
/// an object over the defaults (which may name a config in "config").
nlohmann::json resolve_parameters(const experiment& e, const nlohmann::json& config);

/// One run of an experiment: its journal, its outputs and its manifest.
class context {
 public:
  /// Resolves the parameters and opens (or resumes) the journal in out_root/NAME/.
  /// With a process group of several ranks, every rank constructs the context and runs the
  /// same cells; rank 0 reads and writes the files and reports progress.
  context(const experiment& e, const nlohmann::json& config, const std::filesystem::path& out_root,
          unsigned threads, std::vector<std::string> argv, progress_sink progress,
          process_group& group = single_process());

  const nlohmann::json& config() const { return parameters_; }
  unsigned threads() const { return threads_; }
  const std::filesystem::path& directory() const { return directory_; }

  /// Runs `body` unless the journal holds the cell `key` (keys must be unique within a run);
  /// either way the cell's rows are added to the experiment's table.
  void cell(const std::string& key, const std::function<void(table_rows&)>& body);
  /// The same for a cell whose result is any text (Python experiments keep JSON there).
  std::string cell_text(const std::string& key, const std::function<std::string()>& body);
  /// Writes `text` to directory()/file atomically.
  void write(const std::string& file, const std::string& text) const;
  /// Writes the table (C++ experiments) and manifest.json (with `extra`'s keys merged in), and
  /// removes the journal. Returns directory().
  std::filesystem::path finish(const nlohmann::json& extra = nlohmann::json::object());

  std::size_t cells_resumed() const { return resumed_; }

 private:
  void record(const std::string& key, nlohmann::json entry, const std::string& how);
  template <class Body>
  void run_cell(const std::string& key, Body body);

  const experiment& experiment_;
  process_group& group_;
  nlohmann::json parameters_;
  unsigned threads_;
  std::vector<std::string> argv_;
  progress_sink progress_;
  std::filesystem::path directory_, journal_, units_directory_;
  std::optional<unit_journal> units_;
  nlohmann::json unit_costs_ = nlohmann::json::object();  // cell -> seconds per unit, per call
  nlohmann::json source_;
  std::string started_;
  double clock_ = 0;
  std::optional<tidy_table> table_;
  std::map<std::string, nlohmann::json> finished_;  // from the journal of an interrupted run
  std::set<std::string> keys_;
  std::size_t done_ = 0, resumed_ = 0;
};

/// Runs `name` and writes out_root/NAME/ (see context). A Python experiment runs as its script
/// under the build's Python, with the same arguments. Returns the directory.
/// On a group of several ranks every rank calls it; a Python experiment runs on rank 0.
std::filesystem::path run(const std::string& name, const nlohmann::json& config,
                          const std::filesystem::path& out_root, unsigned threads,
                          const std::vector<std::string>& argv, const progress_sink& progress,
                          process_group& group = single_process());

/// Writes `text` to `path` through a temporary file and a rename.
void write_atomically(const std::filesystem::path& path, const std::string& text);

}  // namespace fpx::experiments
