#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/money.h"

namespace instamarket {

// Appends compact JSON to a string. Money is written as an exact JSON number (12.34, 50.0),
// which no general-purpose JSON library does without going through double.
class JsonWriter {
 public:
  JsonWriter& BeginObject();
  JsonWriter& EndObject();
  JsonWriter& BeginArray();
  JsonWriter& EndArray();
  JsonWriter& Key(std::string_view key);

  JsonWriter& String(std::string_view value);
  JsonWriter& Int(std::int64_t value);
  JsonWriter& Bool(bool value);
  JsonWriter& Null();
  JsonWriter& Amount(Money value);
  // Writes already-serialized JSON as one value.
  JsonWriter& Raw(std::string_view json);

  // Key and value in one call.
  template <class T>
  JsonWriter& Field(std::string_view key, const T& value) {
    Key(key);
    return Value(value);
  }

  std::string Take() { return std::move(out_); }
  const std::string& str() const { return out_; }

 private:
  JsonWriter& Value(std::string_view v) { return String(v); }
  JsonWriter& Value(const std::string& v) { return String(v); }
  JsonWriter& Value(const char* v) { return String(v); }
  JsonWriter& Value(std::int64_t v) { return Int(v); }
  JsonWriter& Value(int v) { return Int(v); }
  JsonWriter& Value(bool v) { return Bool(v); }
  JsonWriter& Value(Money v) { return Amount(v); }
  JsonWriter& Value(std::nullptr_t) { return Null(); }

  void BeforeValue();

  std::string out_;
  std::vector<bool> has_items_;  // one entry per open object/array
  bool after_key_ = false;
};

// Appends `value` as a quoted, escaped JSON string.
void AppendJsonString(std::string& out, std::string_view value);

}  // namespace instamarket
