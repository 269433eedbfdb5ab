// Errors the engine reports to its front ends. Every message is one line that names the parameter or file,
// its value and the rule it broke, so the CLI can print it as `error: <message>` and the app can show it as is.
#pragma once

#include <stdexcept>
#include <string>

namespace convt {

enum class ErrorKind {
  InvalidArgument,  // a parameter, shape or option breaks a rule (CLI exit code 2)
  OutOfMemoryBudget,  // a tensor would need more bytes than the memory budget allows (exit code 2)
  Io,  // a file cannot be read, parsed or written (exit code 3)
};

class Error : public std::runtime_error {
 public:
  // `parameter` names the offending parameter when there is one ("stride", "output_padding", "groups",
  // "input", "weight", "bias", "output_size"), so a front end can mark that control.
  Error(ErrorKind kind, const std::string& message, std::string parameter = "")
      : std::runtime_error(message), kind_(kind), parameter_(std::move(parameter)) {}
  ErrorKind kind() const { return kind_; }
  const std::string& parameter() const { return parameter_; }

 private:
  ErrorKind kind_;
  std::string parameter_;
};

[[noreturn]] inline void throw_invalid(const std::string& message, const std::string& parameter = "") {
  throw Error(ErrorKind::InvalidArgument, message, parameter);
}
[[noreturn]] inline void throw_io(const std::string& message) { throw Error(ErrorKind::Io, message); }

// The same error, said of layer `index` (0-based) of a stack: "layer 3: ...", its kind and parameter kept.
inline Error in_layer(const Error& error, size_t index) {
  return Error(error.kind(), "layer " + std::to_string(index + 1) + ": " + error.what(), error.parameter());
}

}  // namespace convt
