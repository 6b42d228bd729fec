#include "app/catalog_file.h"

#include <fstream>
#include <set>
#include <sstream>

#include "core/json_reader.h"
#include "core/order_limits.h"

namespace instamarket {
namespace {

constexpr std::size_t kMaxTextLength = 300;

template <class Fn>
Status ForEachLine(const std::string& text, Fn&& fn) {
  std::istringstream in(text);
  std::string line;
  int number = 0;
  while (std::getline(in, line)) {
    ++number;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.find_first_not_of(" \t") == std::string::npos) continue;
    Status status = fn(number, line);
    if (!status) {
      return MakeError(status.error().code,
                       "line " + std::to_string(number) + ": " + status.error().message);
    }
  }
  return OkStatus();
}

Result<std::string> RequiredText(const nlohmann::json& obj, const char* field) {
  auto it = obj.find(field);
  if (it == obj.end() || !it->is_string() || it->get_ref<const std::string&>().empty() ||
      it->get_ref<const std::string&>().size() > kMaxTextLength) {
    return MakeError(ErrorCode::kInvalidArgument,
                     std::string(field) + ": must be a non-empty string of at most 300 characters");
  }
  return it->get<std::string>();
}

Result<std::int64_t> IntegerField(const nlohmann::json& obj, const char* field, std::int64_t min,
                                  std::int64_t max) {
  auto it = obj.find(field);
  if (it == obj.end() || !it->is_number_integer() ||
      (it->is_number_unsigned() && it->get<std::uint64_t>() > static_cast<std::uint64_t>(max)) ||
      it->get<std::int64_t>() < min || it->get<std::int64_t>() > max) {
    return MakeError(ErrorCode::kInvalidArgument,
                     std::string(field) + ": must be an integer from " + std::to_string(min) +
                         " to " + std::to_string(max));
  }
  return it->get<std::int64_t>();
}

}  // namespace

Result<std::vector<Product>> ParseCatalogLines(const std::string& text) {
  static const std::set<std::string> kFields = {"id",       "sku",        "name",
                                                "category", "price_usdt", "min_quantity"};
  std::vector<Product> products;
  std::set<std::int64_t> ids;
  Status status = ForEachLine(text, [&](int, const std::string& line) -> Status {
    auto doc = JsonDocument::Parse(line);
    if (!doc) return doc.error();
    const nlohmann::json& obj = doc->root();
    if (!obj.is_object()) return MakeError(ErrorCode::kInvalidArgument, "must be a JSON object");
    for (const auto& item : obj.items()) {
      if (!kFields.count(item.key())) {
        return MakeError(ErrorCode::kInvalidArgument, "unknown field \"" + item.key() + "\"");
      }
    }
    Product p;
    auto id = IntegerField(obj, "id", 1, INT64_MAX);
    if (!id) return id.error();
    p.id = *id;
    if (!ids.insert(p.id).second) {
      return MakeError(ErrorCode::kInvalidArgument, "id " + std::to_string(p.id) + " repeats");
    }
    for (auto [field, target] : {std::pair{"sku", &p.sku}, std::pair{"name", &p.name},
                                 std::pair{"category", &p.category}}) {
      auto value = RequiredText(obj, field);
      if (!value) return value.error();
      *target = *value;
    }
    auto price = doc->MoneyAt("/price_usdt");
    if (!price)
      return MakeError(ErrorCode::kInvalidArgument, "price_usdt: " + price.error().message);
    if (price->micros() <= 0) {
      return MakeError(ErrorCode::kInvalidArgument, "price_usdt: must be greater than zero");
    }
    if (price->micros() > kMaxUnitPriceMicros) {
      // Else price × quantity could overflow int64 at order time.
      return MakeError(ErrorCode::kInvalidArgument,
                       "price_usdt: must be at most " +
                           Money::FromMicros(kMaxUnitPriceMicros).ToJsonNumber() + " (so that " +
                           std::to_string(kMaxOrderQuantity) + " units still have a price)");
    }
    p.price = *price;
    if (obj.contains("min_quantity")) {
      auto min_quantity = IntegerField(obj, "min_quantity", 1, 10000);
      if (!min_quantity) return min_quantity.error();
      p.min_quantity = static_cast<int>(*min_quantity);
    }
    products.push_back(std::move(p));
    return OkStatus();
  });
  if (!status) return status.error();
  if (products.empty()) return MakeError(ErrorCode::kInvalidArgument, "the file has no products");
  return products;
}

Result<std::vector<std::string>> ParseStockLines(const std::string& text) {
  std::vector<std::string> items;
  Status status = ForEachLine(text, [&](int, const std::string& line) -> Status {
    auto doc = JsonDocument::Parse(line);
    if (!doc) return doc.error();
    if (!doc->root().is_object() || doc->root().empty()) {
      return MakeError(ErrorCode::kInvalidArgument, "must be a non-empty JSON object");
    }
    items.push_back(doc->root().dump());  // sorted keys, no spaces: canonical
    return OkStatus();
  });
  if (!status) return status.error();
  if (items.empty()) return MakeError(ErrorCode::kInvalidArgument, "the file has no items");
  return items;
}

Result<std::string> ReadWholeFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return MakeError(ErrorCode::kInvalidArgument, path + ": cannot open");
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace instamarket
