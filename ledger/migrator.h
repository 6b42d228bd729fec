#pragma once

#include <memory>
#include <string>
#include <vector>

#include "core/result.h"

namespace instamarket {

class PgPool;

struct Migration {
  int version;
  std::string name;
  std::string sql;
};

// The SQL files under ledger/migrations/, compiled into the binary in version order.
const std::vector<Migration>& BuiltinMigrations();

// Applies the migrations the database has not seen, each in its own transaction, under an
// advisory lock so two instances never race. Returns the versions applied now (empty when the
// schema was current: running it twice is harmless).
Result<std::vector<int>> ApplyMigrations(PgPool& pool);

}  // namespace instamarket
