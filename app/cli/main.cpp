// `convt`: the headless front end. Parses the command line (CLI11), runs one subcommand, and maps every failure
// to a one-line `error: ...` on stderr with exit code 2 (invalid arguments or parameters) or 3 (I/O).
#include "analyze_command.h"
#include "backends_command.h"
#include "bench_command.h"
#include "demo_command.h"
#include "explain_command.h"
#include "pattern_command.h"
#include "run_command.h"
#include "size_command.h"
#include "stack_command.h"
#include "tensors_command.h"

#include <convt/error.h>

#include <CLI/CLI.hpp>

#include <algorithm>
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

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"convt: transposed convolution (PyTorch's conv_transpose2d semantics), headless"};
  app.require_subcommand(1);
  convt::cli::RunOptions run_options;
  convt::cli::DemoOptions demo_options;
  CLI::App* run = convt::cli::add_run_command(app, run_options);
  CLI::App* demo = convt::cli::add_demo_command(app, demo_options);
  convt::cli::BackendsOptions backends_options;
  CLI::App* backends = convt::cli::add_backends_command(app, backends_options);
  convt::cli::SizeOptions size_options;
  CLI::App* size = convt::cli::add_size_command(app, size_options);
  convt::cli::AnalyzeOptions analyze_options;
  CLI::App* analyze = convt::cli::add_analyze_command(app, analyze_options);
  convt::cli::ExplainOptions explain_options;
  CLI::App* explain = convt::cli::add_explain_command(app, explain_options);
  convt::cli::PatternOptions pattern_options;
  CLI::App* pattern = convt::cli::add_pattern_command(app, pattern_options);
  convt::cli::BenchOptions bench_options;
  CLI::App* bench = convt::cli::add_bench_command(app, bench_options);
  convt::cli::TensorsOptions tensors_options;
  CLI::App* tensors = convt::cli::add_tensors_command(app, tensors_options);
  convt::cli::StackOptions stack_options;
  CLI::App* stack = convt::cli::add_stack_command(app, stack_options);

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    return report_error(std::string(e.what()) + " (see 'convt --help')", kExitInvalid);
  }

  try {
    if (run->parsed()) convt::cli::execute_run(run_options);
    if (demo->parsed()) convt::cli::execute_demo(demo_options);
    if (backends->parsed()) convt::cli::execute_backends(backends_options);
    if (size->parsed()) convt::cli::execute_size(size_options);
    if (analyze->parsed()) convt::cli::execute_analyze(analyze_options);
    if (explain->parsed()) convt::cli::execute_explain(explain_options);
    if (pattern->parsed()) convt::cli::execute_pattern(pattern_options);
    if (bench->parsed()) convt::cli::execute_bench(bench_options);
    if (tensors->parsed()) convt::cli::execute_tensors(tensors_options);
    if (stack->parsed()) convt::cli::execute_stack(stack_options);
    return 0;
  } catch (const convt::Error& e) {
    return report_error(e.what(), e.kind() == convt::ErrorKind::Io ? kExitIo : kExitInvalid);
  } catch (const std::bad_alloc&) {
    return report_error("out of memory while computing; reduce the sizes or set CONVT_MEMORY_BUDGET lower",
                        kExitInvalid);
  } catch (const std::exception& e) {
    return report_error(std::string("internal error: ") + e.what(), kExitInternal);
  }
}
