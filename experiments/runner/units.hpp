#pragma once
// The units of an experiment's enumerations, as a run hands them out (exact/distributed.hpp):
// on this process's threads, or on the ranks of an MPI job, each finished unit journalled in its
// own file so that an interrupted run loses only the units it had not finished.
//
//  - The processes of a run form a process_group: one process (a plain run), or the ranks of
//    `mpirun -n K fpx run NAME` (experiments/cli/processes.cpp, built with FPX_WITH_MPI). Every
//    rank runs the experiment's code; each enumeration's units are handed out one at a time (to
//    whichever thread of whichever rank asks next: trees are unbalanced), and every rank gets
//    every unit's bytes back in unit order, so every rank goes on with the same results. Rank 0
//    alone writes the journal, the outputs and the manifest, and reports progress.
//  - A unit's result (one that took a millisecond or more: a quicker one costs less to compute
//    again than to write) is written, when it finishes, to
//    OUT/NAME/NAME.units/<cell>-<call>-<unit>.unit (a JSON header line with the cell, the call's
//    number within the cell, the unit count and index, the seconds it took, the rank and a digest
//    of the bytes, then the bytes), through a temporary file and a rename, by the rank that
//    computed it (so OUT must be on a filesystem every rank shares). A rerun with the same parameters and source takes every unit file it finds for a
//    cell it has not finished and computes only the others; a file that does not check (torn,
//    damaged, another unit count) is reported and its unit computed again. A finished cell's units
//    go into the journal's cell entry as their costs (seconds per unit, per call) and their files
//    are removed.

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "fpx/exact/distributed.hpp"

namespace fpx::experiments {

/// One unit's result: its bytes, the seconds it took and the rank that computed it.
struct unit_result {
  std::string bytes;
  double seconds = 0;
  int rank = 0;
};

/// The processes running one experiment together.
class process_group {
 public:
  virtual ~process_group() = default;
  virtual int rank() const = 0;
  virtual int size() const = 0;
  /// Rank 0's text, on every rank.
  virtual void broadcast(std::string& text) = 0;
  /// Whether every rank passed the same text (on every rank).
  virtual bool agree(const std::string& text) = 0;
  /// Computes the units that `known` (significant on rank 0 only; size `units` there) lacks,
  /// work(k) on any rank and any of its `threads` threads, and returns every unit's result in
  /// unit order on every rank (bytes everywhere; seconds and rank on rank 0).
  virtual std::vector<unit_result> run_units(std::uint64_t units,
                                             std::vector<std::optional<unit_result>> known,
                                             const std::function<unit_result(std::uint64_t)>& work,
                                             unsigned threads) = 0;
};

/// The group of this process alone: units on its threads.
process_group& single_process();

/// The distributor a run installs while a cell runs: units through the group, journalled.
class unit_journal final : public unit_distributor {
 public:
  /// Unit files under `directory` (created and cleared by rank 0's context; an empty path: no
  /// files, units only handed out). `report` gets one line per unit file that does not check
  /// (rank 0).
  unit_journal(process_group& group, std::filesystem::path directory,
               std::function<void(const std::string&)> report);

  /// Starts a cell: calls are numbered from 0 again and costs collected afresh.
  void begin_cell(const std::string& key);
  /// The seconds of each unit of each call of the current cell so far (rank 0).
  const std::vector<std::vector<double>>& costs() const { return costs_; }
  /// Ends the cell (once it is journalled): its unit files are removed.
  void end_cell();

  std::vector<std::string> run(std::uint64_t units,
                               const std::function<std::string(std::uint64_t)>& work,
                               unsigned threads) override;

 private:
  std::filesystem::path file(std::uint64_t call, std::uint64_t unit) const;
  std::optional<unit_result> read(std::uint64_t call, std::uint64_t units,
                                  std::uint64_t unit) const;
  void write(std::uint64_t call, std::uint64_t units, std::uint64_t unit,
             const unit_result& r) const;

  process_group& group_;
  std::filesystem::path directory_;
  std::function<void(const std::string&)> report_;
  std::string cell_, cell_tag_;
  std::uint64_t calls_ = 0;
  std::vector<std::vector<double>> costs_;
};

/// FNV-1a of a text, as 16 hex digits.
std::string fnv_hex(std::string_view text);

}  // namespace fpx::experiments
