#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "core/chain_cursor.h"
#include "core/money.h"
#include "core/result.h"
#include "ledger/topup_progress.h"

namespace instamarket {

class PgPool;

// A final transfer to our wallet, as the watcher hands it to the ledger.
struct DepositInput {
  std::string tx_id;
  std::int64_t event_index = 0;
  std::string from;
  std::string to;
  std::string raw_amount;  // base units, decimal digits
  int decimals = 6;
  Money amount;                 // micro-USDT (raw without the dust below one micro-USDT)
  bool amount_in_range = true;  // false: too large for int64 micro-USDT; never credited
  std::int64_t block_number = 0;
  std::string block_hash;
  std::int64_t block_time = 0;
  std::string memo;  // the transfer's comment, if the chain carries one
};

// A top-up intent a deposit may be for: one holding the deposit's amount, or named by its memo.
struct IntentCandidate {
  std::string id;
  std::int64_t key_id = 0;
  Money amount;            // what the client was told to send
  Money requested_amount;  // what the client asked for
  std::int64_t created_at = 0;
  std::int64_t expires_at = 0;
  std::string status;        // pending | expired | credited_* (a second payment)
  std::string payment_memo;  // TON and Solana; empty elsewhere
};

// An amount spoken for on the wallet (amount_holds): by an intent, as its amount (fee 0) or as
// its amount less an exchange's withdrawal fee; or by a reservation of the website.
struct HeldAmount {
  std::int64_t amount = 0;  // micro-USDT
  std::int64_t fee = 0;
  int intent = -1;  // index into MatchCandidates::intents, or -1 for a reservation
  std::int64_t reservation_id = 0;
  bool reservation_active = false;  // not yet paid nor released
};

// What the ledger knows near a batch of deposits, for the matcher.
struct MatchCandidates {
  std::vector<IntentCandidate> intents;
  std::vector<HeldAmount> holds;  // sorted by amount; values are unique
  // Amounts of pending intents near the batch's amounts (sorted), only to tell a near miss.
  std::vector<std::int64_t> pending_amounts;
};

enum class DepositOutcome {
  kCredit,
  kExternal,  // paid a reservation of the website: not a client's money
  kNoIntent,
  kExpired,
  kBeforeIntent,     // sent before the intent holding its amount existed
  kAlreadyCredited,  // a second payment for an intent already credited
  kAmbiguous,
  kAmountMismatch,
  kOutOfRange
};
const char* DepositReason(DepositOutcome outcome);  // "no_intent", ... ("" for kCredit, kExternal)

enum class MatchedBy { kAmount, kFee, kMemo };
const char* MatchedByName(MatchedBy by);  // "amount" | "fee" | "memo"

struct DepositDecision {
  DepositOutcome outcome = DepositOutcome::kNoIntent;
  // Index into the candidates' intents when outcome is kCredit, or kExpired (the intent whose
  // window the deposit missed: recorded as the deposit's intent_id, so that a claim by the
  // same key credits that intent too); -1 otherwise.
  int intent = -1;
  MatchedBy matched_by = MatchedBy::kAmount;
  bool short_paid = false;          // credited, but less than the intent asked for
  std::int64_t reservation_id = 0;  // when outcome is kExternal
};

// Decides every deposit of a batch against the candidates (the watcher's amount matcher).
using MatchFunction = std::function<std::vector<DepositDecision>(const std::vector<DepositInput>&,
                                                                 const MatchCandidates&)>;

struct ScanResult {
  ChainCursor new_cursor;  // where the next scan resumes
  std::int64_t head = 0;
  std::int64_t final_height = 0;
  std::vector<DepositInput> final_transfers;  // in the scanned range
  std::vector<DepositInput> unconfirmed;      // above the final height
  // Positions below this were recorded as final by an earlier scan (ChainBatch's field of that
  // name): deposits recorded in the scanned range below it that final_transfers no longer
  // holds are flagged vanished. 0: not a re-scan.
  std::int64_t rescanning_below = 0;
};

// A deposit whose block a deep reorg replaced, as RecordScan flagged it (for the alert's log).
struct ReorgedDeposit {
  std::int64_t id = 0;
  std::string tx_id;
  std::int64_t event_index = 0;
  std::int64_t block_number = 0;  // where it was recorded (vanished) or is now (remined)
  std::string status;             // credited | unmatched | ... as recorded
  Money amount;
};

struct BatchOutcome {
  int credited = 0;
  int unmatched = 0;
  int already_recorded = 0;  // seen in an earlier batch (a replay after a crash)
  int reorged = 0;           // unconfirmed sightings whose block was replaced
  // Recorded deposits a deep reorg took away (no longer in a re-scanned range) or moved (the
  // same transfer in another block): flagged on the deposit and audited.
  std::vector<ReorgedDeposit> vanished;
  std::vector<ReorgedDeposit> remined;
};

struct DepositRow {
  std::int64_t id = 0;
  std::string network, tx_id, from, to, raw_amount;
  std::int64_t event_index = 0;
  Money amount;
  std::int64_t block_number = 0;
  std::int64_t block_time = 0;
  std::string memo;
  std::string status;  // credited | assigned | claimed | unmatched | external
  std::optional<std::string> reorg_status;  // vanished | remined (a deep reorg), else none
  std::optional<std::string> reason;
  std::optional<std::string> matched_by;  // credited: amount | fee (short) | memo
  bool short_paid = false;                // credited less than its intent asked for
  std::optional<std::int64_t> key_id;
  std::optional<std::string> intent_id;
  std::int64_t detected_at = 0;
};

struct AssignResult {
  std::int64_t deposit_id = 0;
  std::int64_t key_id = 0;
  Money amount;
  std::int64_t transaction_id = 0;
  std::optional<std::string> intent_id;  // the key's intent marked credited_manual, if any
};

// Deposits and the per-network cursor. RecordScan writes a whole scanned range in one
// transaction: the deposits, their credits (double-entry), the intents' status, the audit rows
// and the cursor, so a crash at any point leaves either all of it or none. Thread-safe; blocking.
class DepositStore {
 public:
  explicit DepositStore(std::shared_ptr<PgPool> pool);

  // The stored cursor, or nullopt for a network never scanned.
  Result<std::optional<ChainCursor>> LoadCursor(const std::string& network);
  // Stores `cursor` unless one exists; returns the cursor in force. Also creates the network's
  // ledger account.
  Result<ChainCursor> InitCursor(const std::string& network, const ChainCursor& cursor);

  // kFailedPrecondition when the stored cursor is not `expected_cursor` (another instance moved
  // it): nothing is written and the caller reloads.
  Result<BatchOutcome> RecordScan(const std::string& network, const ChainCursor& expected_cursor,
                                  const ScanResult& scan, Money tolerance,
                                  const MatchFunction& match);

  // The second look (watcher/second_look.h) re-reads final positions the watcher has passed.
  // Where it has got to on `network`, or nullopt before its first range.
  Result<std::optional<std::int64_t>> SecondLookPosition(const std::string& network);
  // Stores `position` unless the network has one; returns the one in force.
  Result<std::int64_t> InitSecondLook(const std::string& network, std::int64_t position);
  // Records the transfers of positions [from, to) that no scan recorded, matched and credited
  // like any deposit (each audited as "deposits.second_look"), and moves the second look from
  // `from` to `to`; one transaction, serialized with the watcher's scans of the network.
  // kFailedPrecondition when the second look is not at `from` (another instance moved it) or
  // `to` is above the watcher's cursor.
  Result<BatchOutcome> RecordSecondLook(const std::string& network, std::int64_t from,
                                        std::int64_t to, const std::vector<DepositInput>& found,
                                        Money tolerance, const MatchFunction& match);

  // Newest first. `filter`: all | unmatched | credited_short | external | reorged (a deep reorg
  // took the deposit's block: vanished or remined).
  static bool IsListFilter(const std::string& filter);
  Result<std::vector<DepositRow>> List(const std::string& filter, int limit);
  // Credits an unmatched deposit to a key, once (the ledger entry shares the deposit's
  // idempotency key); audited as "deposits.assign". kFailedPrecondition when not unmatched, or
  // when it vanished in a reorg.
  Result<AssignResult> Assign(std::int64_t deposit_id, std::int64_t key_id,
                              const std::string& reason, const std::string& actor);

  // How `network` decides finality, which the progress of its top-ups shows (confirmations
  // needed, or a finality tag). A network never set counts each scan's head - final height as
  // its depth. Thread-safe.
  void SetFinality(const std::string& network, const NetworkFinality& finality);

 private:
  NetworkFinality FinalityFor(const std::string& network, const ScanResult& scan) const;

  std::shared_ptr<PgPool> pool_;
  mutable std::mutex finality_mutex_;
  std::map<std::string, NetworkFinality> finality_;
};

}  // namespace instamarket
