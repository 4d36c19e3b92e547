// fpx: look at formats, round values, evaluate networks and run the experiments from the shell.
//   fpx formats [--json] [NAME...]
//   fpx round --format NAME [--mode MODE] [--seed S] [--json] VALUE...
//   fpx eval --model FILE --spec SPEC (--tokens 0,1,2 | --inputs JSON) [--last_position_only] [--trace] [--threads T]
//   fpx quantize --quantizer NAME [--matrix FILE|JSON|-]
//   fpx verify --model FILE --spec SPEC (--task NAME | --table JSON) --inputs SPACE [--readout R] [--threads T]
//   fpx run (NAME | --all | --list) [--config JSON|NAME] [--out DIR] [--threads T]
#include <iostream>

#include "cli.hpp"

int main(int argc, char** argv) {
  fpx::cli::arguments.assign(argv, argv + argc);
  CLI::App app{"fpx: exact finite-precision number formats, networks and experiments"};
  app.require_subcommand(1);
  fpx::cli::add_formats(app);
  fpx::cli::add_round(app);
  fpx::cli::add_eval(app);
  fpx::cli::add_quantize(app);
  fpx::cli::add_verify(app);
  fpx::cli::add_run(app);
  app.positionals_at_end();
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  } catch (const std::exception& e) {
    std::cerr << "fpx: error: " << e.what() << "\n";
    return 2;
  }
  return 0;
}
