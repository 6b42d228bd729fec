#pragma once

#include <map>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "core/money.h"
#include "core/result.h"

namespace instamarket {

// A parsed JSON document that remembers the source text of every non-integer number, so that
// money can be read exactly ("12.34" stays 12340000 micro-USDT, never 12.339999...).
class JsonDocument {
 public:
  // kInvalidArgument with the parser's message when `text` is not one JSON value.
  static Result<JsonDocument> Parse(std::string_view text);

  const nlohmann::json& root() const { return root_; }

  // Reads the money amount at `pointer` (e.g. "/price_usdt"): a JSON number or a decimal
  // string. kNotFound when absent, kInvalidArgument when not an exact amount.
  Result<Money> MoneyAt(const std::string& pointer) const;

 private:
  friend class ExactNumberSax;
  nlohmann::json root_;
  std::map<std::string, std::string> float_texts_;  // JSON pointer -> number as written
};

}  // namespace instamarket
