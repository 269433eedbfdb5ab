#include "tensors_command.h"

#include <convt/io.h>

#include <nlohmann/json.hpp>

#include <cstdio>
#include <iostream>

namespace convt::cli {

CLI::App* add_tensors_command(CLI::App& app, TensorsOptions& options) {
  CLI::App* command = app.add_subcommand("tensors", "List the tensors of a .safetensors file (4-D ones can be weights)");
  command->add_option("file", options.file, "The .safetensors file")->required();
  command->add_flag("--json", options.json, "Print one JSON object instead of text");
  return command;
}

void execute_tensors(const TensorsOptions& options) {
  const std::vector<SafetensorsEntry> entries = list_safetensors(options.file);
  if (options.json) {
    nlohmann::json list = nlohmann::json::array();
    for (const SafetensorsEntry& e : entries)
      list.push_back({{"name", e.name}, {"dtype", e.dtype}, {"shape", e.shape}, {"weight_candidate", e.shape.size() == 4}});
    std::cout << nlohmann::json{{"command", "tensors"}, {"file", options.file}, {"tensors", list}}.dump() << "\n";
    return;
  }
  for (const SafetensorsEntry& e : entries)
    std::printf("%s %-40s %-5s %s\n", e.shape.size() == 4 ? "*" : " ", e.name.c_str(), e.dtype.c_str(),
                shape_to_string(e.shape).c_str());
  std::printf("(* 4-D: usable as --weight %s:NAME, with NAME.bias picked up automatically)\n", options.file.c_str());
}

}  // namespace convt::cli
