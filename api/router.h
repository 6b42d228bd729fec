#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace instamarket {

// How a route authenticates its caller.
enum class RouteAuth {
  kApiKey,      // X-API-Key (and HMAC on POST for keys with a secret)
  kAdminToken,  // X-Admin-Token
};

struct RouteMatch {
  int index = -1;                   // into the route list; -1 when none
  std::vector<std::string> params;  // values of the {placeholders}, in order
  std::string allowed_methods;      // for 405: methods the path does have
  bool path_exists() const { return index >= 0 || !allowed_methods.empty(); }
};

// Matches a path segment by segment; `{name}` matches one non-empty segment.
RouteMatch MatchRoute(const std::vector<std::pair<std::string, std::string>>& method_patterns,
                      std::string_view method, std::string_view path);

}  // namespace instamarket
