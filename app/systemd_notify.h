#pragma once

#include <string_view>

namespace instamarket {

// sd_notify(3) without libsystemd: under a systemd unit with Type=notify, NOTIFY_SOCKET names
// a unix datagram socket that takes state lines such as "READY=1" or "STOPPING=1". Without
// NOTIFY_SOCKET (not under systemd) this does nothing. Returns false when sending failed.
bool NotifySystemd(std::string_view state);

}  // namespace instamarket
