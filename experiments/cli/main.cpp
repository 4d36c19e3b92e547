// fpx: look at formats, round values, evaluate networks and run the experiments from the shell.
//   fpx formats [--json] [NAME...]
//   fpx round --format NAME [--mode MODE] [--seed S] [--json] VALUE...
//   fpx eval --model FILE --spec SPEC (--tokens 0,1,2 | --inputs JSON) [--last_position_only] [--trace] [--threads T]
//   fpx quantize --quantizer NAME [--matrix FILE|JSON|-]
//   fpx verify --model FILE --spec SPEC (--task NAME | --table JSON) --inputs SPACE [--readout R] [--threads T]
//   fpx run (NAME | --all | --list) [--config JSON|NAME] [--out DIR] [--threads T]
//   mpirun -n K fpx run ... and mpirun -n K fpx verify ...: the same, on K ranks (FPX_WITH_MPI)
#include <iostream>
#include <string_view>

#include "cli.hpp"
#include "processes.hpp"

int main(int argc, char** argv) {
  fpx::cli::arguments.assign(argv, argv + argc);
  fpx::cli::start_processes(argc, argv);
  CLI::App app{"fpx: exact finite-precision number formats, networks and experiments"};
  app.require_subcommand(1);
  fpx::cli::add_formats(app);
  fpx::cli::add_round(app);
  fpx::cli::add_eval(app);
  fpx::cli::add_quantize(app);
  fpx::cli::add_verify(app);
  fpx::cli::add_run(app);
  app.positionals_at_end();
  int status = 0;
  try {
    if (fpx::cli::processes().size() > 1 &&
        (argc < 2 || (std::string_view(argv[1]) != "run" && std::string_view(argv[1]) != "verify")))
      throw std::invalid_argument("only fpx run and fpx verify use MPI ranks; run the others as one process");
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    status = app.exit(e);
  } catch (const std::exception& e) {
    fpx::cli::fail_processes(e.what());
    std::cerr << "fpx: error: " << e.what() << "\n";
    status = 2;
  }
  fpx::cli::stop_processes();
  return status;
}
