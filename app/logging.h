#pragma once

#include "config/config.h"

namespace instamarket {

// Log lines go to stderr (journald keeps them under systemd). `log.format: json` (the default)
// writes one JSON object per line: {"time", "level", "logger", "thread", "request_id", "msg"},
// request_id empty outside a request; `text` a plain line for people at a terminal.
void ConfigureLogging(const LogConfig& log);

}  // namespace instamarket
