#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace instamarket {

// Text from outside (a chain's memo, an API's address field) as PostgreSQL and JSON take it:
// valid UTF-8 kept, control characters (NUL included) turned into spaces, invalid bytes into
// U+FFFD, cut to at most `max_bytes` on a character boundary. Such text is only shown, never a
// key, so nothing depends on the exact bytes; but one NUL must not stop a network's watcher.
std::string PrintableUtf8(std::string_view text, std::size_t max_bytes);

}  // namespace instamarket
