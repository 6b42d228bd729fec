// JsonDocument::Parse, the reader of every request body: depth and duplicate-key limits, UTF-8,
// and the exact money reader on whatever the document holds.
#include <cstdint>
#include <string>
#include <string_view>

#include "core/json_reader.h"

using instamarket::JsonDocument;

namespace {

std::string PointerSegment(const std::string& key) {
  std::string out;
  for (char c : key) {
    if (c == '~')
      out += "~0";
    else if (c == '/')
      out += "~1";
    else
      out.push_back(c);
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto doc = JsonDocument::Parse(text);
  if (!doc) return 0;
  (void)doc->MoneyAt("");
  const nlohmann::json& root = doc->root();
  // Handlers read money at "/field" and, in lists, "/items/0/field": both depths.
  if (root.is_object()) {
    for (const auto& [key, value] : root.items()) {
      std::string pointer = "/" + PointerSegment(key);
      (void)doc->MoneyAt(pointer);
      if (value.is_object()) {
        for (const auto& [inner, unused] : value.items()) {
          (void)doc->MoneyAt(pointer + "/" + PointerSegment(inner));
        }
      } else if (value.is_array() && !value.empty()) {
        (void)doc->MoneyAt(pointer + "/0");
      }
    }
  }
  (void)root.dump();
  return 0;
}
