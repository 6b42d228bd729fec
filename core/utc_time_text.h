#pragma once

#include <cstdint>
#include <string>

namespace instamarket {

// A Unix time as ISO 8601 in UTC, to the second ("2026-12-02T14:30:00Z"), for messages that a
// person or a signing wallet reads.
std::string UtcTimeText(std::int64_t unix_seconds);

}  // namespace instamarket
