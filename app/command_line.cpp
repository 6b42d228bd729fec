#include "app/command_line.h"

#include <algorithm>

namespace instamarket {

std::optional<std::string> CommandArgs::One(const std::string& name) const {
  auto it = options.find(name);
  if (it == options.end() || it->second.empty()) return std::nullopt;
  return it->second.back();
}

std::vector<std::string> CommandArgs::All(const std::string& name) const {
  auto it = options.find(name);
  return it == options.end() ? std::vector<std::string>{} : it->second;
}

Result<CommandArgs> ParseCommandArgs(const std::vector<std::string>& words,
                                     const std::vector<std::string>& value_options,
                                     const std::vector<std::string>& flags) {
  auto contains = [](const std::vector<std::string>& list, const std::string& s) {
    return std::find(list.begin(), list.end(), s) != list.end();
  };
  CommandArgs args;
  for (std::size_t i = 0; i < words.size(); ++i) {
    const std::string& word = words[i];
    if (word.rfind("--", 0) != 0 || word == "--") {
      args.positional.push_back(word);
      continue;
    }
    std::string name = word.substr(2);
    std::optional<std::string> inline_value;
    if (auto eq = name.find('='); eq != std::string::npos) {
      inline_value = name.substr(eq + 1);
      name = name.substr(0, eq);
    }
    if (contains(flags, name) && !inline_value) {
      args.options[name];
    } else if (contains(value_options, name)) {
      if (!inline_value && i + 1 >= words.size()) {
        return MakeError(ErrorCode::kInvalidArgument, "--" + name + " needs a value");
      }
      args.options[name].push_back(inline_value ? *inline_value : words[++i]);
    } else {
      return MakeError(ErrorCode::kInvalidArgument, "unknown option --" + name);
    }
  }
  return args;
}

}  // namespace instamarket
