#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/result.h"

namespace instamarket {

// Words and --options after the command name. `flags` take no value; every other --option
// takes one and may repeat (e.g. --allow-ip A --allow-ip B).
struct CommandArgs {
  std::vector<std::string> positional;
  std::map<std::string, std::vector<std::string>> options;

  bool Has(const std::string& name) const { return options.count(name) > 0; }
  std::optional<std::string> One(const std::string& name) const;
  std::vector<std::string> All(const std::string& name) const;
};

// kInvalidArgument for an option that is not in `known`, or one that misses its value.
Result<CommandArgs> ParseCommandArgs(const std::vector<std::string>& words,
                                     const std::vector<std::string>& value_options,
                                     const std::vector<std::string>& flags);

}  // namespace instamarket
