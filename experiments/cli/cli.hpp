#pragma once
// The fpx program: one source file per subcommand (formats.cpp, round.cpp, eval.cpp, quantize.cpp, verify.cpp,
// run.cpp),
// each adding its subcommand to the application, and what they share.

#include <CLI/CLI.hpp>

#include <string>
#include <vector>

#include "fpx/arith/format.hpp"
#include "fpx/model/precision.hpp"

namespace fpx::cli {

void add_formats(CLI::App& app);
void add_round(CLI::App& app);
void add_eval(CLI::App& app);
void add_run(CLI::App& app);
void add_quantize(CLI::App& app);
void add_verify(CLI::App& app);

/// The program's command line, as given (recorded in experiment manifests).
extern std::vector<std::string> arguments;

/// An argument that is JSON text, or the path of a file holding it.
std::string json_argument(const std::string& arg);
/// A precision spec: a preset name, or JSON (text or a file).
precision_spec spec_argument(const std::string& arg);
/// The required --model (network JSON) and --spec (spec_argument) options of a subcommand.
void add_model_and_spec(CLI::App* sub, std::string& model, std::string& spec);
/// An exact value as text: a hex-float when it is dyadic, p/q otherwise.
std::string exact_text(const rational& v, bool negative_zero = false);

}  // namespace fpx::cli
