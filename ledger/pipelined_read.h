#pragma once

#include <optional>
#include <string>
#include <vector>

namespace instamarket {

// A read that the API may run on its own I/O thread over a pipelined libpq connection
// (net/pg_pipeline.h) instead of on the blocking pool: a prepared statement with text
// parameters, answered with rows of text values (nullopt for SQL NULL). The store that owns
// the statement also decodes its rows, so the SQL and its reading stay in one place.
struct PipelinedStatement {
  const char* name;
  const char* sql;
};

using TextRow = std::vector<std::optional<std::string>>;

struct PipelinedRead {
  const PipelinedStatement* statement = nullptr;
  std::vector<std::string> params;
};

}  // namespace instamarket
