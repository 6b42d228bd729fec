#pragma once

// Internal to ledger/: top-up progress (sightings before finality) and top-up events
// (topup.confirming, topup.credited, topup.credited_short, topup.reorged, topup.expired),
// written in the caller's transaction so a state change and its outbox row commit together.

#include <cstdint>
#include <optional>
#include <pqxx/pqxx>
#include <string>
#include <vector>

#include "ledger/deposit_store.h"
#include "ledger/topup_progress.h"

namespace instamarket {

// The SET list that clears an intent's sighting (the confirming_* columns of migration 0010),
// for an UPDATE of topup_intents: when the sighting is gone, or the intent was credited.
extern const char kClearTopupConfirmingSql[];

// A sighting that a reorg removed (a row RecordScan marked 'reorged').
struct ReorgedSighting {
  std::string tx_id;
  std::int64_t event_index = 0;
  std::string block_hash;
};

// Queues `event` ("topup.confirming", ...) for the intent: the body is rendered from the
// intent as it is now in `tx` (see docs/api.md, "Top-up webhooks"). No webhook_url, no row.
// `reorged`: for topup.reorged, the sighting that is gone (shown as "reorged").
void EnqueueTopupEvent(pqxx::transaction_base& tx, const std::string& intent_id,
                       const std::string& event,
                       const std::optional<TopupConfirming>& reorged = std::nullopt);

// After an intent was credited: topup.credited_short when its status is credited_short, else
// topup.credited.
void EnqueueTopupCreditEvent(pqxx::transaction_base& tx, const std::string& intent_id);

// An unconfirmed transfer that, once final, would credit `intent_id`: the deposit matcher's
// decision (memo, amount within the tolerance, an exchange fee's shadow, the intent's window)
// on the transfer as if it were final now.
struct TopupSighting {
  std::string intent_id;
  DepositInput transfer;
};

// The sighting part of a scan, after the deposits and the cursor of `scan` are written:
// intents whose sighting was reorged away go back to pending (topup.reorged); intents whose
// sighting is final without having credited them lose it; each pending intent of `sighted`
// without a sighting gets it (topup.confirming). Returns the number of intents that became
// confirming.
int RecordTopupProgress(pqxx::transaction_base& tx, const std::string& network,
                        const ScanResult& scan, const NetworkFinality& finality,
                        const std::vector<ReorgedSighting>& reorged,
                        const std::vector<TopupSighting>& sighted);

// Marks up to `limit` pending intents past expires_at + `grace_seconds` expired (on
// `network`, or on every network) and queues topup.expired for each. Rows another
// transaction holds are skipped (SKIP LOCKED), so instances never wait on each other.
// Returns the ids expired.
std::vector<std::string> ExpireTopupIntents(pqxx::transaction_base& tx,
                                            const std::optional<std::string>& network,
                                            int grace_seconds, std::int64_t limit);

// The intent's sighting, with the network's head, when it has one.
std::optional<TopupConfirming> LoadTopupConfirming(pqxx::transaction_base& tx,
                                                   const std::string& intent_id);

}  // namespace instamarket
