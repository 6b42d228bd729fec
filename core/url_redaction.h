#pragma once

#include <string>

namespace instamarket {

// A URL fit for logs and error messages: the user info (a password, or a bare user name that
// some providers use as the API key) and path segments or query values that look like keys are
// replaced by "***".
std::string MaskUrl(const std::string& url);

// A libpq connection string fit for output, in either form: a URI (its user info's password,
// and `password` / `sslpassword` query values, become "***") or keyword/value pairs
// (`password=...`, quoted or not, becomes `password=***`).
std::string MaskConnectionString(const std::string& conninfo);

// scheme://host[:port] of a URL, without user info, path or query: a bounded label for metrics,
// which anyone who can reach /metrics reads.
std::string UrlOrigin(const std::string& url);

}  // namespace instamarket
