#pragma once

#include <string>

#include "core/result.h"

namespace instamarket {

// The command line's output contract: one JSON document on stdout for success, one JSON object
// {"error": ..., "code": ...} on stderr for failure. Exit codes: 0 ok, 1 failed, 2 bad usage.
constexpr int kExitOk = 0;
constexpr int kExitFailed = 1;
constexpr int kExitUsage = 2;

int PrintJson(const std::string& json);
int PrintError(const Error& error);
int PrintUsageError(const std::string& message);
// Output that is not JSON (a CSV listing), to stdout as is.
int PrintText(const std::string& text);

// One CSV field (RFC 4180): quoted when it holds a comma, a quote or a line break.
std::string CsvField(const std::string& value);
// A text field from outside (a memo, a node's id or address): also never read as a formula by
// a spreadsheet ('=', '+', '-', '@', tab or CR first get a leading apostrophe).
std::string CsvText(const std::string& value);

}  // namespace instamarket
