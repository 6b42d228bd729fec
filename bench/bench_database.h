#pragma once

#include <memory>

#include "ledger/database.h"

namespace instamarket {

// The database named by INSTAMARKET_BENCH_DATABASE_URL, migrated, with a pool of 2 and a
// throwaway master key (a benchmark's database holds no secret worth keeping); nullptr when the
// variable is unset or the migration fails.
std::unique_ptr<Database> OpenBenchDatabase();

}  // namespace instamarket
