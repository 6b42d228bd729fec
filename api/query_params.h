#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "api/problem.h"
#include "core/money.h"
#include "core/result.h"

namespace instamarket {

// Decoded query parameters. Parsing and the typed readers collect FieldErrors instead of
// stopping at the first, so a 422 lists everything wrong at once.
class QueryParams {
 public:
  // kInvalidArgument for bad percent-encoding or a parameter given twice.
  static Result<QueryParams> Parse(std::string_view query);

  std::optional<std::string> Text(const std::string& name, std::size_t max_length,
                                  std::vector<FieldError>& errors) const;
  // Absent: `fallback`. Present but not an integer in [min, max]: an error.
  std::int64_t Integer(const std::string& name, std::int64_t fallback, std::int64_t min,
                       std::int64_t max, std::vector<FieldError>& errors) const;
  // A non-negative decimal USDT amount such as 1, 1.5 or 0.000001.
  std::optional<Money> Amount(const std::string& name, std::vector<FieldError>& errors) const;

 private:
  std::map<std::string, std::string> values_;
};

// Percent-decoding with '+' as space; nullopt for a malformed escape.
std::optional<std::string> PercentDecode(std::string_view text);

}  // namespace instamarket
