// fpx run: the named experiments (experiments/CLAIM/NAME.json), one, or all of them in turn.
#include <iostream>
#include <nlohmann/json.hpp>

#include "cli.hpp"
#include "processes.hpp"
#include "runner/experiment.hpp"

namespace fpx::cli {
namespace {

struct request {
  std::string experiment, config, out_dir = "data";
  unsigned threads = 0;
  bool list = false, all = false;
};

void list_experiments() {
  for (const auto& e : experiments::registry()) {
    std::cout << e.name << " (" << e.claim << (e.script.empty() ? "" : ", Python") << "): "
              << e.description << "\n";
    for (const auto& [key, value] : e.parameters.items())
      std::cout << "  " << key << " = " << value.dump() << "\n      " << e.documentation[key].get<std::string>() << "\n";
    if (e.configs.size() > 1) std::cout << "  configs: " << e.configs.dump() << "\n";
  }
}

// A config argument: a named config, a JSON object, or a file holding one.
nlohmann::json config_argument(const std::string& arg) {
  if (arg.empty()) return nlohmann::json::object();
  if (arg[0] != '{' && arg.find('/') == std::string::npos && arg.find('.') == std::string::npos)
    return arg;  // a config name
  return nlohmann::json::parse(json_argument(arg));
}

void run(const request& req, const std::vector<std::string>& argv) {
  if (req.list || (req.experiment.empty() && !req.all)) {
    if (processes().rank() == 0) list_experiments();
    return;
  }
  if (req.all && !req.experiment.empty())
    throw std::invalid_argument("fpx run: give one experiment or --all, not both");
  if (req.all && !req.config.empty())
    throw std::invalid_argument("fpx run --all runs every experiment with its defaults; --config is for one");
  const nlohmann::json config = config_argument(req.config);
  const auto progress = [](const std::string& line) { std::cerr << line << "\n" << std::flush; };
  experiments::process_group& group = processes();  // rank 0 reports and writes
  std::vector<std::string> names;
  if (req.all)
    for (const auto& e : experiments::registry()) names.push_back(e.name);
  else
    names.push_back(req.experiment);
  for (const auto& name : names) {
    if (req.all && group.rank() == 0) std::cerr << "== " << name << "\n" << std::flush;
    const auto directory = experiments::run(name, config, req.out_dir, req.threads, argv, progress, group);
    if (group.rank() == 0) std::cout << directory.string() << "\n";
  }
}

}  // namespace

void add_run(CLI::App& app) {
  auto req = std::make_shared<request>();
  auto* sub = app.add_subcommand("run", "Run a named experiment (or --all); writes DIR/NAME/ and its manifest");
  sub->add_option("name", req->experiment, "Experiment name (see --list)");
  sub->add_option("--config", req->config,
                  "A named config of the experiment, or a JSON object (file or text) over its parameters");
  sub->add_option("--out", req->out_dir, "Root directory of the results (default: data)");
  sub->add_option("--threads", req->threads, "Worker threads (default: all cores); results do not depend on it");
  sub->add_flag("--all", req->all, "Run every experiment, in registry order");
  sub->add_flag("--list", req->list, "List the experiments, their parameters and configs");
  sub->final_callback([req] { run(*req, arguments); });
}

}  // namespace fpx::cli
