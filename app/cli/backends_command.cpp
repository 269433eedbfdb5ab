#include "backends_command.h"

#include <convt/backend.h>

#include <nlohmann/json.hpp>

#include <cstdio>
#include <iostream>

namespace convt::cli {

CLI::App* add_backends_command(CLI::App& app, BackendsOptions& options) {
  CLI::App* command = app.add_subcommand("backends", "List the backends and whether each can run here");
  command->add_flag("--json", options.json, "Print one JSON object instead of text");
  return command;
}

void execute_backends(const BackendsOptions& options) {
  nlohmann::json report = nlohmann::json::array();
  for (const std::string& name : backend_names()) {
    const Availability availability = backend_by_name(name).availability();
    report.push_back({{"name", name}, {"available", availability.available}, {"reason", availability.reason}});
    if (!options.json)
      std::printf("%-10s %-13s %s\n", name.c_str(), availability.available ? "available" : "unavailable",
                  availability.reason.c_str());
  }
  if (options.json) std::cout << nlohmann::json{{"command", "backends"}, {"backends", report}}.dump() << "\n";
}

}  // namespace convt::cli
