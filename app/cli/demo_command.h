// `convt demo`: a built-in random case run end to end, then the reference page's examples with their true
// shapes, so a newcomer sees the formula at work (and where the page's claims are wrong) with no files at all.
#pragma once

#include <CLI/CLI.hpp>

namespace convt::cli {

struct DemoOptions {
  bool json = false;
};

CLI::App* add_demo_command(CLI::App& app, DemoOptions& options);
void execute_demo(const DemoOptions& options);

}  // namespace convt::cli
