#pragma once

#include <string>
#include <string_view>

#include "core/result.h"

namespace instamarket {

// Where webhooks may go. A webhook URL is the client's input and the daemon POSTs to it, so
// it must not reach our own network (SSRF): only http and https, a host, no credentials, and
// no address in a loopback, private, link-local, CGNAT, multicast or otherwise non-public
// range unless `allow_private` (tests, or a deployment that means it).

// Checks a URL as given: also a literal IP host, in any form curl reads as one (2130706433,
// 0177.0.0.1, 0x7f.1, [::ffff:127.0.0.1]). A host name is judged at send time by each address
// curl is about to connect to. kInvalidArgument with the reason.
Status CheckWebhookUrl(std::string_view url, bool allow_private);

// True for an IPv4 or IPv6 address (text, as inet_pton reads it) that is publicly routable.
// IPv6 forms that carry an IPv4 destination (v4-mapped ::ffff:0:0/96, NAT64 64:ff9b::/96,
// 6to4 2002::/16) are judged by that IPv4 address; Teredo, unique-local, documentation and
// everything outside global unicast 2000::/3 are not public.
bool IsPublicAddress(const std::string& ip);

}  // namespace instamarket
