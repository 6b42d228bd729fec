#pragma once

#include <string>
#include <string_view>

#include "core/result.h"

namespace instamarket {

// Where webhooks may go. A webhook URL is the client's input and the daemon POSTs to it, so
// it must not reach our own network (SSRF): only http and https, a host, no credentials, and
// no address in a loopback, private, link-local, CGNAT, multicast or otherwise non-public
// range unless `allow_private` (tests, or a deployment that means it).

// Checks a URL as given (also a literal IP host). A host name is checked again, by the
// address actually connected to, at send time. kInvalidArgument with the reason.
Status CheckWebhookUrl(std::string_view url, bool allow_private);

// True for an IPv4 or IPv6 address (text) that is publicly routable.
bool IsPublicAddress(const std::string& ip);

}  // namespace instamarket
