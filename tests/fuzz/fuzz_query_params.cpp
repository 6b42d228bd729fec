// QueryParams: percent-decoding, repeated names, and every typed reader the handlers use.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "api/query_params.h"

using instamarket::FieldError;
using instamarket::QueryParams;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view query(reinterpret_cast<const char*>(data), size);
  (void)instamarket::PercentDecode(query);
  auto params = QueryParams::Parse(query);
  if (!params) return 0;
  std::vector<FieldError> errors;
  for (const char* name : {"category", "sku", "status"}) (void)params->Text(name, 100, errors);
  (void)params->Text("status", 20, errors);
  for (const char* name : {"min_price", "max_price"}) (void)params->Amount(name, errors);
  (void)params->Integer("min_qty", 1, 0, 1'000'000'000, errors);
  (void)params->Integer("page", 1, 1, 1'000'000, errors);
  (void)params->Integer("page_size", 50, 1, 200, errors);
  (void)params->Integer("limit", 100, 1, 10000, errors);
  (void)params->Integer("since", 0, INT64_MIN, INT64_MAX, errors);
  return 0;
}
