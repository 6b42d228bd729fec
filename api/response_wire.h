#pragma once

#include <string>

#include "api/http_message.h"

namespace instamarket {

// Writes `response` as HTTP/1.x bytes into `out` (cleared first, capacity kept so a
// connection reuses one buffer): status line, Server, Content-Type, Content-Length, the
// response's own headers, and Connection when it differs from the version's default.
// `version` is 10 or 11, as Beast reports it.
void WriteResponse(const HttpResponse& response, unsigned version, bool keep_alive,
                   std::string& out);

}  // namespace instamarket
