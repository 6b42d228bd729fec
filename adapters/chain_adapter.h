#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "adapters/transfer.h"
#include "config/config.h"
#include "core/result.h"

namespace instamarket {

// Streams incoming USDT transfers to our master wallet on one network. One adapter per network;
// the watcher calls it from one coroutine at a time, on the blocking pool (calls block on the
// network). Errors: kUnavailable means "retry with backoff" (nodes down, rate-limited, garbage);
// the cursor then stays where it was.
enum class TransferDirection { kIncoming, kOutgoing };

class ChainAdapter {
 public:
  virtual ~ChainAdapter() = default;

  // The cursor of a network never scanned before: the `start` block from the config, or for
  // "latest" the first block above the current final height.
  virtual Result<ChainCursor> InitialCursor() = 0;

  // Asked once before the watcher starts: kFailedPrecondition when the chain's node proves
  // that the config names another chain or token (then `serve` refuses to start); OK when it
  // agrees, or when no node answers yet (the adapter then records nothing until it has
  // verified). Blocking.
  virtual Status VerifyAtStart() { return OkStatus(); }

  // Returns the final transfers to our address from `cursor` on (a bounded range), the cursor to
  // resume from, and whether the final head was reached; then also what is seen above it.
  virtual Result<ChainBatch> Poll(const ChainCursor& cursor) = 0;

  // The public key behind the wallet at `address`, for chains whose addresses do not carry it
  // (TON: a wallet contract's get_public_key), as 64 lowercase hex digits. Blocking, like Poll.
  // kUnavailable: the API failed, retry with backoff; kFailedPrecondition: the wallet cannot
  // tell (not deployed, or a contract without a public key), or this chain does not need it.
  virtual Result<std::string> WalletPublicKey(const std::string& address) {
    (void)address;
    return MakeError(ErrorCode::kFailedPrecondition,
                     "this chain does not need it: its signatures are checked against the address");
  }

  // Reads over a range of final positions, for reconciliation (watcher/reconciliation.h) and
  // the second look (watcher/second_look.h); blocking, like Poll. kFailedPrecondition where
  // this chain kind does not support them yet ("not supported"); kUnavailable: retry later.
  //
  // The wallet's token balance after every block below `position` (the chain's state at
  // position - 1): the point a cursor at `position` has scanned up to.
  virtual Result<ChainAmount> WalletBalanceBefore(std::int64_t position) {
    (void)position;
    return NotReconcilable();
  }
  // Every transfer of the token to (kIncoming) or from (kOutgoing) the wallet in positions
  // [from, to], final or not as the node has them: the caller asks only for final positions.
  virtual Result<std::vector<Transfer>> TransfersBetween(std::int64_t from, std::int64_t to,
                                                         TransferDirection direction) {
    (void)from, (void)to, (void)direction;
    return NotReconcilable();
  }
  // The block at `position` on this adapter's node: its hash (a transfer read through another
  // endpoint must name it) and time (which matching needs).
  virtual Result<BlockStamp> PositionBlock(std::int64_t position) {
    (void)position;
    return NotReconcilable();
  }

 private:
  static Error NotReconcilable() {
    return MakeError(ErrorCode::kFailedPrecondition,
                     "reconciliation is not supported for this chain kind yet");
  }
};

using AdapterFactory =
    std::function<Result<std::unique_ptr<ChainAdapter>>(const NetworkConfig& network)>;

// Maps a YAML `kind` to its adapter factory. Filled explicitly by RegisterBuiltinAdapters:
// static self-registration silently fails in static libraries.
class AdapterRegistry {
 public:
  void Register(const std::string& kind, AdapterFactory factory);
  // kInvalidArgument naming the network when its kind has no adapter.
  Result<std::unique_ptr<ChainAdapter>> Create(const NetworkConfig& network) const;

 private:
  std::map<std::string, AdapterFactory> factories_;
};

void RegisterBuiltinAdapters(AdapterRegistry& registry);

}  // namespace instamarket
