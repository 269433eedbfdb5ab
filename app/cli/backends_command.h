// `convt backends`: which backends can run on this machine, and why not when they cannot.
#pragma once

#include <CLI/CLI.hpp>

namespace convt::cli {

struct BackendsOptions {
  bool json = false;
};

CLI::App* add_backends_command(CLI::App& app, BackendsOptions& options);
void execute_backends(const BackendsOptions& options);

}  // namespace convt::cli
