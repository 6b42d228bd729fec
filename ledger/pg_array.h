#pragma once

// Internal to ledger/: builds PostgreSQL array literals ('{"a","b",NULL}') so that a batch of
// rows travels as a few array parameters and is expanded with unnest() in one statement.

#include <cstdint>
#include <string>
#include <string_view>

namespace instamarket {

class PgArray {
 public:
  bool empty() const { return empty_; }
  PgArray& Add(std::string_view text) {
    Separate();
    text_ += '"';
    for (char c : text) {
      if (c == '"' || c == '\\') text_ += '\\';
      text_ += c;
    }
    text_ += '"';
    return *this;
  }
  PgArray& Add(std::int64_t value) {
    Separate();
    text_ += std::to_string(value);
    return *this;
  }
  PgArray& AddNull() {
    Separate();
    text_ += "NULL";
    return *this;
  }
  PgArray& Add(const std::string& text) { return Add(std::string_view(text)); }
  PgArray& Add(const char* text) { return Add(std::string_view(text)); }

  // The literal, e.g. {"a",NULL,"b"}.
  std::string str() const { return "{" + text_ + "}"; }

 private:
  void Separate() {
    if (!empty_) text_ += ',';
    empty_ = false;
  }
  std::string text_;
  bool empty_ = true;
};

}  // namespace instamarket
