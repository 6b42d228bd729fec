#include "api/connection_limits.h"

#include <arpa/inet.h>

#include <cstring>

namespace instamarket {

std::string ClientAddressKey(std::string_view peer_ip) {
  std::string text(peer_ip);
  unsigned char bytes[16];
  char out[INET6_ADDRSTRLEN];
  if (inet_pton(AF_INET6, text.c_str(), bytes) != 1) return text;  // IPv4, or not an address
  static const unsigned char kMapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  if (std::memcmp(bytes, kMapped, sizeof kMapped) == 0) {
    return inet_ntop(AF_INET, bytes + 12, out, sizeof out);
  }
  std::memset(bytes + 8, 0, 8);
  return std::string(inet_ntop(AF_INET6, bytes, out, sizeof out)) + "/64";
}

ConnectionLimits::Admission ConnectionLimits::TryAdmit(const std::string& key,
                                                       bool exempt_from_address_cap) {
  std::lock_guard lock(mutex_);
  if (open_ >= max_total_) return Admission::kOverTotal;
  std::size_t& from_key = per_address_[key];
  if (!exempt_from_address_cap && from_key >= max_per_address_) return Admission::kOverAddress;
  ++from_key;
  ++open_;
  return Admission::kAdmitted;
}

void ConnectionLimits::Release(const std::string& key) {
  std::lock_guard lock(mutex_);
  auto it = per_address_.find(key);
  if (it == per_address_.end()) return;
  --open_;
  if (--it->second == 0) per_address_.erase(it);  // the map holds only addresses now connected
}

std::size_t ConnectionLimits::open() const {
  std::lock_guard lock(mutex_);
  return open_;
}

std::size_t ConnectionLimits::open_from(const std::string& key) const {
  std::lock_guard lock(mutex_);
  auto it = per_address_.find(key);
  return it == per_address_.end() ? 0 : it->second;
}

}  // namespace instamarket
