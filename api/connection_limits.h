#pragma once

#include <cstddef>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

namespace instamarket {

// The key one client's connections are counted under: an IPv4 address as it is, an IPv6 address
// by its /64 (one host is usually given a whole /64, so counting /128s would let it open 2^64
// times the cap); IPv4-mapped IPv6 counts as the IPv4 address. Text that is no address is its
// own key.
std::string ClientAddressKey(std::string_view peer_ip);

// Counts open connections, in total and per client address key, and admits a new one only
// under both caps. Thread-safe: connections are admitted on the accept thread and released on
// whichever API thread served them.
class ConnectionLimits {
 public:
  enum class Admission { kAdmitted, kOverTotal, kOverAddress };

  ConnectionLimits(std::size_t max_total, std::size_t max_per_address)
      : max_total_(max_total), max_per_address_(max_per_address) {}

  // `exempt_from_address_cap`: a trusted proxy, whose connections carry many clients; it still
  // counts towards the total. Each kAdmitted must be paired with one Release of the same key.
  Admission TryAdmit(const std::string& key, bool exempt_from_address_cap);
  void Release(const std::string& key);

  std::size_t open() const;
  std::size_t open_from(const std::string& key) const;

 private:
  const std::size_t max_total_;
  const std::size_t max_per_address_;
  mutable std::mutex mutex_;
  std::size_t open_ = 0;
  std::unordered_map<std::string, std::size_t> per_address_;
};

}  // namespace instamarket
