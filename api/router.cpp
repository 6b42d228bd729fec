#include "api/router.h"

namespace instamarket {
namespace {

bool MatchPattern(std::string_view pattern, std::string_view path,
                  std::vector<std::string>& params) {
  params.clear();
  while (true) {
    if (pattern.empty() || path.empty()) return pattern.empty() && path.empty();
    if (pattern.front() != '/' || path.front() != '/') return false;
    pattern.remove_prefix(1);
    path.remove_prefix(1);
    auto pattern_end = pattern.find('/');
    auto path_end = path.find('/');
    std::string_view p = pattern.substr(0, pattern_end);
    std::string_view s = path.substr(0, path_end);
    if (p.size() >= 2 && p.front() == '{' && p.back() == '}') {
      if (s.empty()) return false;
      params.emplace_back(s);
    } else if (p != s) {
      return false;
    }
    pattern =
        pattern_end == std::string_view::npos ? std::string_view() : pattern.substr(pattern_end);
    path = path_end == std::string_view::npos ? std::string_view() : path.substr(path_end);
  }
}

}  // namespace

RouteMatch MatchRoute(const std::vector<std::pair<std::string, std::string>>& method_patterns,
                      std::string_view method, std::string_view path) {
  RouteMatch match;
  std::vector<std::string> params;
  for (std::size_t i = 0; i < method_patterns.size(); ++i) {
    const auto& [route_method, pattern] = method_patterns[i];
    if (!MatchPattern(pattern, path, params)) continue;
    if (route_method == method) {
      match.index = static_cast<int>(i);
      match.params = std::move(params);
      return match;
    }
    if (match.allowed_methods.find(route_method) == std::string::npos) {
      match.allowed_methods += (match.allowed_methods.empty() ? "" : ", ") + route_method;
    }
  }
  return match;
}

}  // namespace instamarket
