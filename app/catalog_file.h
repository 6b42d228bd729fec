#pragma once

#include <string>
#include <vector>

#include "core/result.h"
#include "ledger/catalog_store.h"

namespace instamarket {

// Reads a catalog JSON-lines file: one product per line, e.g.
//   {"id": 12345, "sku": "ig-aged-2019", "name": "...", "category": "instagram",
//    "price_usdt": "1.25", "min_quantity": 10}
// price_usdt may be a string or a number and is read exactly. Blank lines are skipped. Errors
// name the line: "line 7: price_usdt: more than 6 decimal places".
Result<std::vector<Product>> ParseCatalogLines(const std::string& text);

// Reads a stock JSON-lines file: one JSON object per line (an item's credentials). Returns each
// item in a canonical serialization, so re-importing a reformatted file adds nothing.
Result<std::vector<std::string>> ParseStockLines(const std::string& text);

Result<std::string> ReadWholeFile(const std::string& path);

}  // namespace instamarket
