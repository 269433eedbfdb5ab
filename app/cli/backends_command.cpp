#include "backends_command.h"

#include <convt/backend.h>

#include <nlohmann/json.hpp>

#include <cstdio>
#include <iostream>
#include <string>

namespace convt::cli {

CLI::App* add_backends_command(CLI::App& app, BackendsOptions& options) {
  CLI::App* command = app.add_subcommand("backends", "List the backends, whether each can run here, and the ops each declines");
  command->add_flag("--json", options.json, "Print one JSON object instead of text");
  return command;
}

void execute_backends(const BackendsOptions& options) {
  nlohmann::json report = nlohmann::json::array();
  for (const std::string& name : backend_names()) {
    const Backend& backend = backend_by_name(name);
    const Availability availability = backend.availability();
    // What an available backend declines (with default parameters); those calls fall back along the chain.
    nlohmann::json declined = nlohmann::json::object();
    std::string declined_names;
    if (availability.available)
      for (const Op op : all_ops()) {
        const Support support = backend.supports(default_request(op));
        if (support.supported) continue;
        declined[op_name(op)] = support.reason;
        declined_names += (declined_names.empty() ? "" : ", ") + std::string(op_name(op));
      }
    report.push_back({{"name", name},
                      {"available", availability.available},
                      {"reason", availability.reason},
                      {"declined_ops", declined}});
    if (options.json) continue;
    std::printf("%-10s %-13s %s\n", name.c_str(), availability.available ? "available" : "unavailable",
                availability.reason.c_str());
    if (!declined_names.empty()) std::printf("%-24s declines (the next backend runs them): %s\n", "", declined_names.c_str());
  }
  if (options.json) std::cout << nlohmann::json{{"command", "backends"}, {"backends", report}}.dump() << "\n";
}

}  // namespace convt::cli
