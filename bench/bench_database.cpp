#include "bench/bench_database.h"

#include <cstdlib>
#include <string>

#include "core/secret_box.h"

namespace instamarket {

std::unique_ptr<Database> OpenBenchDatabase() {
  const char* url = std::getenv("INSTAMARKET_BENCH_DATABASE_URL");
  if (!url) return nullptr;
  Config config;
  config.database.url = url;
  config.database.pool_size = 2;
  auto box = SecretBox::Create(std::string(32, '\x5a'));
  auto db = std::make_unique<Database>(config, std::make_shared<const SecretBox>(std::move(*box)));
  if (!db->Migrate().ok()) return nullptr;
  return db;
}

}  // namespace instamarket
