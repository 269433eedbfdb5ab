// `convt`: the headless front end. Parses the command line (CLI11), runs one subcommand, and maps every failure
// to a one-line `error: ...` on stderr with exit code 2 (invalid arguments or parameters) or 3 (I/O).
#include "analyze_command.h"
#include "backends_command.h"
#include "bench_command.h"
#include "demo_command.h"
#include "explain_command.h"
#include "grad_command.h"
#include "model_command.h"
#include "pattern_command.h"
#include "run_command.h"
#include "size_command.h"
#include "stack_command.h"
#include "tensors_command.h"
#include "train_command.h"

#include <convt/error.h>

#include <CLI/CLI.hpp>

#include <algorithm>
#include <memory>
#include <cstdio>
#include <new>
#include <string>

namespace {

constexpr int kExitInvalid = 2;
constexpr int kExitIo = 3;
constexpr int kExitInternal = 1;

int report_error(std::string message, int code) {
  std::replace(message.begin(), message.end(), '\n', ' ');  // always exactly one line
  std::fprintf(stderr, "error: %s\n", message.c_str());
  return code;
}

// Registers a subcommand whose options live as long as the app and whose execution is its CLI11 callback.
template <typename Options>
void add_command(CLI::App& app, CLI::App* (*add)(CLI::App&, Options&), void (*execute)(const Options&)) {
  auto options = std::make_shared<Options>();
  add(app, *options)->callback([options, execute] { execute(*options); });
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"convt: transposed convolution (PyTorch's conv_transpose2d semantics), headless"};
  app.require_subcommand(1);
  using namespace convt::cli;
  add_command(app, add_run_command, execute_run);
  add_command(app, add_grad_command, execute_grad);
  add_command(app, add_train_command, execute_train);
  add_command(app, add_demo_command, execute_demo);
  add_command(app, add_backends_command, execute_backends);
  add_command(app, add_size_command, execute_size);
  add_command(app, add_analyze_command, execute_analyze);
  add_command(app, add_explain_command, execute_explain);
  add_command(app, add_pattern_command, execute_pattern);
  add_command(app, add_bench_command, execute_bench);
  add_command(app, add_tensors_command, execute_tensors);
  add_command(app, add_stack_command, execute_stack);
  add_command(app, add_model_command, execute_model);

  // The chosen subcommand runs inside parse(), as its callback: one try covers parsing and running.
  try {
    app.parse(argc, argv);
    return 0;
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    return report_error(std::string(e.what()) + " (see 'convt --help')", kExitInvalid);
  } catch (const convt::Error& e) {
    return report_error(e.what(), e.kind() == convt::ErrorKind::Io ? kExitIo : kExitInvalid);
  } catch (const std::bad_alloc&) {
    return report_error("out of memory while computing; reduce the sizes or set CONVT_MEMORY_BUDGET lower",
                        kExitInvalid);
  } catch (const std::exception& e) {
    return report_error(std::string("internal error: ") + e.what(), kExitInternal);
  }
}
