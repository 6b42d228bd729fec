#include "ledger/catalog_store.h"

#include "core/crypto.h"
#include "core/json_writer.h"
#include "ledger/audit_write.h"
#include "ledger/pg_pool.h"

namespace instamarket {
namespace {

constexpr char kProductColumns[] = "id, sku, name, category, price, min_quantity, stock";

// NULL parameters switch a filter off, so one prepared statement serves every combination.
constexpr char kFindProducts[] = R"sql(
  SELECT id, sku, name, category, price, min_quantity, stock FROM products
   WHERE ($1::text IS NULL OR category = $1) AND ($2::text IS NULL OR sku = $2)
     AND ($3::bigint IS NULL OR price >= $3) AND ($4::bigint IS NULL OR price <= $4)
     AND stock >= $5
   ORDER BY id LIMIT $6 OFFSET $7)sql";

constexpr char kCountProducts[] = R"sql(
  SELECT count(*) FROM products
   WHERE ($1::text IS NULL OR category = $1) AND ($2::text IS NULL OR sku = $2)
     AND ($3::bigint IS NULL OR price >= $3) AND ($4::bigint IS NULL OR price <= $4)
     AND stock >= $5)sql";

Product ReadProduct(const pqxx::row& row) {
  Product p;
  p.id = row[0].as<std::int64_t>();
  p.sku = row[1].as<std::string>();
  p.name = row[2].as<std::string>();
  p.category = row[3].as<std::string>();
  p.price = Money::FromMicros(row[4].as<std::int64_t>());
  p.min_quantity = row[5].as<int>();
  p.stock = row[6].as<std::int64_t>();
  return p;
}

const char* OrNull(const std::optional<std::string>& s) { return s ? s->c_str() : nullptr; }

std::optional<std::int64_t> Micros(const std::optional<Money>& m) {
  if (!m) return std::nullopt;
  return m->micros();
}

}  // namespace

CatalogStore::CatalogStore(std::shared_ptr<PgPool> pool) : pool_(std::move(pool)) {
  pool_->Prepare("products_find", kFindProducts);
  pool_->Prepare("products_count", kCountProducts);
  pool_->Prepare("product_get",
                 std::string("SELECT ") + kProductColumns + " FROM products WHERE id = $1");
}

Result<ProductPage> CatalogStore::Find(const ProductQuery& q) {
  return pool_->With<ProductPage>([&](pqxx::connection& conn) -> Result<ProductPage> {
    pqxx::nontransaction tx(conn);
    auto min_price = Micros(q.min_price);
    auto max_price = Micros(q.max_price);
    // libpqxx 6 has no std::optional parameters: spell NULL as a null const char*.
    std::string min_text = min_price ? std::to_string(*min_price) : "";
    std::string max_text = max_price ? std::to_string(*max_price) : "";
    const char* min_arg = min_price ? min_text.c_str() : nullptr;
    const char* max_arg = max_price ? max_text.c_str() : nullptr;
    ProductPage page;
    for (const auto& row :
         tx.exec_prepared("products_find", OrNull(q.category), OrNull(q.sku), min_arg, max_arg,
                          q.min_stock, q.page_size, (q.page - 1) * q.page_size)) {
      page.items.push_back(ReadProduct(row));
    }
    auto count = tx.exec_prepared1("products_count", OrNull(q.category), OrNull(q.sku), min_arg,
                                   max_arg, q.min_stock);
    page.total = count[0].as<std::int64_t>();
    return page;
  });
}

Result<Product> CatalogStore::Get(std::int64_t product_id) {
  return pool_->With<Product>([&](pqxx::connection& conn) -> Result<Product> {
    pqxx::nontransaction tx(conn);
    auto rows = tx.exec_prepared("product_get", product_id);
    if (rows.empty()) {
      return MakeError(ErrorCode::kNotFound, "no product with id " + std::to_string(product_id));
    }
    return ReadProduct(rows[0]);
  });
}

Result<std::vector<CategorySummary>> CatalogStore::Categories() {
  using Summaries = std::vector<CategorySummary>;
  return pool_->With<Summaries>([&](pqxx::connection& conn) -> Result<Summaries> {
    pqxx::nontransaction tx(conn);
    Summaries out;
    for (const auto& row : tx.exec("SELECT category, count(*) FILTER (WHERE stock >= 1), "
                                   "min(price) FILTER (WHERE stock >= 1) FROM products "
                                   "GROUP BY category ORDER BY category")) {
      CategorySummary c;
      c.name = row[0].as<std::string>();
      c.product_count = row[1].as<std::int64_t>();
      if (!row[2].is_null()) c.min_price = Money::FromMicros(row[2].as<std::int64_t>());
      out.push_back(std::move(c));
    }
    return out;
  });
}

Result<ImportCounts> CatalogStore::ImportProducts(const std::vector<Product>& products,
                                                  const std::string& actor) {
  return pool_->With<ImportCounts>([&](pqxx::connection& conn) -> Result<ImportCounts> {
    pqxx::work tx(conn);
    ImportCounts counts;
    for (const auto& p : products) {
      // xmax = 0 only on a freshly inserted row: that tells insert from update.
      auto row = tx.exec_params1(
          "INSERT INTO products (id, sku, name, category, price, min_quantity) "
          "VALUES ($1, $2, $3, $4, $5, $6) "
          "ON CONFLICT (id) DO UPDATE SET sku = EXCLUDED.sku, name = EXCLUDED.name, "
          "category = EXCLUDED.category, price = EXCLUDED.price, "
          "min_quantity = EXCLUDED.min_quantity, updated_at = now() "
          "RETURNING (xmax = 0)",
          p.id, p.sku, p.name, p.category, p.price.micros(), p.min_quantity);
      (row[0].as<bool>() ? counts.inserted : counts.updated) += 1;
    }
    JsonWriter details;
    details.BeginObject()
        .Field("inserted", counts.inserted)
        .Field("updated", counts.updated)
        .EndObject();
    WriteAudit(tx, actor, "catalog.import", "products", details.str());
    tx.commit();
    return counts;
  });
}

Result<StockImportCounts> CatalogStore::ImportStock(std::int64_t product_id,
                                                    const std::vector<std::string>& items_json,
                                                    const std::string& actor) {
  using Counts = StockImportCounts;
  return pool_->With<Counts>([&](pqxx::connection& conn) -> Result<Counts> {
    pqxx::work tx(conn);
    auto product =
        tx.exec_params("SELECT stock FROM products WHERE id = $1 FOR UPDATE", product_id);
    if (product.empty()) {
      return MakeError(ErrorCode::kNotFound, "no product with id " + std::to_string(product_id));
    }
    Counts counts;
    for (const auto& item : items_json) {
      auto inserted = tx.exec_params(
          "INSERT INTO stock_items (product_id, payload, payload_hash) VALUES ($1, $2::jsonb, $3) "
          "ON CONFLICT (product_id, payload_hash) DO NOTHING RETURNING 1",
          product_id, item, pqxx::binarystring(Sha256(item)));
      (inserted.empty() ? counts.duplicates : counts.added) += 1;
    }
    auto stock = tx.exec_params1(
        "UPDATE products SET stock = stock + $2, updated_at = now() WHERE id = $1 RETURNING stock",
        product_id, counts.added);
    counts.stock = stock[0].as<std::int64_t>();
    // Counts only: items are secrets and never reach a log.
    JsonWriter details;
    details.BeginObject()
        .Field("added", counts.added)
        .Field("duplicates", counts.duplicates)
        .Field("stock", counts.stock)
        .EndObject();
    WriteAudit(tx, actor, "stock.import", "product:" + std::to_string(product_id), details.str());
    tx.commit();
    return counts;
  });
}

}  // namespace instamarket
