#pragma once

#include <string>

#include "api/http_message.h"

namespace instamarket {

// Writes `response` as HTTP/1.x bytes into `out` (cleared first, capacity kept so a
// connection reuses one buffer): status line, Server, Content-Type, Content-Length, the
// response's own headers, and Connection when it differs from the version's default.
// `version` is 10 or 11, as Beast reports it. An answer to HEAD has the headers of the body it
// would have had (Content-Length included) and no body: a body there would be read by the
// client as the start of its next response.
void WriteResponse(const HttpResponse& response, unsigned version, bool keep_alive,
                   std::string& out, bool head_request = false);

}  // namespace instamarket
