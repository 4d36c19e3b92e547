#pragma once
// The processes of one fpx command (processes.cpp): this one, or the ranks of an MPI job.

#include <string>

#include "runner/units.hpp"

namespace fpx::cli {

/// Joins the MPI job when the program was started by an MPI launcher (and built with
/// FPX_WITH_MPI); otherwise does nothing, or, when an MPI launcher started a build without
/// MPI on several processes, stops with an error rather than run the same work K times.
void start_processes(int& argc, char**& argv);
/// Leaves the MPI job (MPI_Finalize), if it joined one.
void stop_processes();
/// After an error on one rank of several: reports it and aborts the job, so that no rank waits
/// for ever. Does nothing outside an MPI job of several ranks.
void fail_processes(const std::string& what);
/// The ranks of the job (several), or this process alone.
experiments::process_group& processes();

}  // namespace fpx::cli
