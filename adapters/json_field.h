#pragma once

#include <nlohmann/json.hpp>
#include <string_view>

namespace instamarket {

// object[key] for replies we do not trust: a null value when `object` is not an object or has no
// such key (nlohmann's const operator[] must not be used on a missing key).
inline const nlohmann::json& JsonField(const nlohmann::json& object, std::string_view key) {
  static const nlohmann::json kNull;
  if (!object.is_object()) return kNull;
  auto it = object.find(key);
  return it == object.end() ? kNull : *it;
}

}  // namespace instamarket
