#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/money.h"
#include "core/result.h"

namespace instamarket {

class PgPool;

struct Product {
  std::int64_t id = 0;
  std::string sku;
  std::string name;
  std::string category;
  Money price;             // per unit
  int min_quantity = 1;    // smallest batch an order may ask for
  std::int64_t stock = 0;  // unsold items
};

struct ProductQuery {
  std::optional<std::string> category;
  std::optional<std::string> sku;
  std::optional<Money> min_price;  // inclusive
  std::optional<Money> max_price;  // inclusive
  std::int64_t min_stock = 1;      // the API's min_qty: sold-out products are hidden by default
  std::int64_t page = 1;           // from 1
  std::int64_t page_size = 50;
};

struct ProductPage {
  std::vector<Product> items;  // by id
  std::int64_t total = 0;      // all matches, not only this page
};

struct CategorySummary {
  std::string name;
  std::int64_t product_count = 0;  // products with at least one item in stock
  std::optional<Money> min_price;  // among those; nullopt when none is in stock
};

struct ImportCounts {
  std::int64_t inserted = 0;
  std::int64_t updated = 0;
};

struct StockImportCounts {
  std::int64_t added = 0;
  std::int64_t duplicates = 0;  // items already in stock (or sold) for this product
  std::int64_t stock = 0;       // unsold items after the import
};

// Products and their stock. Reads run without a transaction; imports are one transaction each
// (all lines or none). Thread-safe; blocking.
class CatalogStore {
 public:
  explicit CatalogStore(std::shared_ptr<PgPool> pool);

  Result<ProductPage> Find(const ProductQuery& query);
  // kNotFound for an unknown id.
  Result<Product> Get(std::int64_t product_id);
  Result<std::vector<CategorySummary>> Categories();

  // Upserts by id; `stock` of the inputs is ignored (stock comes from ImportStock).
  Result<ImportCounts> ImportProducts(const std::vector<Product>& products,
                                      const std::string& actor);
  // Each item is one JSON object (credentials); identical items are stored once.
  Result<StockImportCounts> ImportStock(std::int64_t product_id,
                                        const std::vector<std::string>& items_json,
                                        const std::string& actor);

 private:
  std::shared_ptr<PgPool> pool_;
};

}  // namespace instamarket
