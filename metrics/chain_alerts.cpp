#include "metrics/chain_alerts.h"

#include <chrono>
#include <map>
#include <mutex>

#include "core/json_writer.h"

namespace instamarket {

struct ChainAlerts::Impl {
  struct Network {
    DeepReorg last;
    std::int64_t at = 0;
    int count = 0;
    int vanished = 0;
  };
  mutable std::mutex mutex;
  std::map<std::string, Network> networks;
};

ChainAlerts& ChainAlerts::Get() {
  static ChainAlerts alerts;  // never destroyed before the threads that record into it
  return alerts;
}

ChainAlerts::ChainAlerts() : impl_(std::make_unique<Impl>()) {}
ChainAlerts::~ChainAlerts() = default;

void ChainAlerts::RecordDeepReorg(const std::string& network, const DeepReorg& reorg) {
  std::lock_guard lock(impl_->mutex);
  auto& n = impl_->networks[network];
  n.last = reorg;
  n.at = std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
             .count();
  ++n.count;
}

void ChainAlerts::AddVanishedDeposits(const std::string& network, int count) {
  std::lock_guard lock(impl_->mutex);
  impl_->networks[network].vanished += count;
}

std::string ChainAlerts::JsonItems() const {
  std::lock_guard lock(impl_->mutex);
  std::string out;
  for (const auto& [network, n] : impl_->networks) {
    if (n.count == 0) continue;
    JsonWriter json;
    json.BeginObject()
        .Field("network", network)
        .Field("alert", "deep_reorg")
        .Field("at", n.at)
        .Field("count", static_cast<std::int64_t>(n.count))
        .Field("replaced_height", n.last.replaced_height)
        .Field("kept_hash", n.last.kept_hash)
        .Field("node_hash", n.last.node_hash)
        .Field("ancestor_height", n.last.ancestor_height)
        .Field("ancestor_found", n.last.ancestor_found)
        .Field("vanished_deposits", static_cast<std::int64_t>(n.vanished))
        .EndObject();
    if (!out.empty()) out += ",";
    out += json.str();
  }
  return out;
}

}  // namespace instamarket
