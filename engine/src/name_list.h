// An enum's names, listed once in enum order next to the enum: looking a name up, and listing them in a message.
#pragma once

#include <span>
#include <string>
#include <string_view>

namespace convt {

// The index of `name` in `names`, or -1.
inline int find_name(std::span<const char* const> names, std::string_view name) {
  for (size_t i = 0; i < names.size(); ++i)
    if (name == names[i]) return static_cast<int>(i);
  return -1;
}

// "a, b or c", as an error message lists the choices.
inline std::string list_names(std::span<const char* const> names) {
  std::string text;
  for (size_t i = 0; i < names.size(); ++i) text += (i == 0 ? "" : i + 1 == names.size() ? " or " : ", ") + std::string(names[i]);
  return text;
}

}  // namespace convt
