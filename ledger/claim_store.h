#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/money.h"
#include "core/result.h"

namespace instamarket {

class PgPool;

// What a claim's challenge names, so a signature over it proves one thing only: this key claims
// this deposit through this claim, before this time.
struct ClaimChallengeFacts {
  std::string claim_id;
  std::int64_t key_id = 0;
  std::string network, tx_id, from;
  std::int64_t event_index = 0;
  Money amount;
  std::int64_t expires_at = 0;  // unix seconds
  std::string nonce;            // random hex
};

// The text the sender's wallet signs, lines separated by "\n":
//   instamarket deposit claim / claim: <uuid> / key: <id> / network: <id> / tx: <tx id> /
//   index: <n> / amount: 12.34 USDT / from: <address> / expires: 2026-12-02T10:00:00Z /
//   nonce: <hex>
std::string ClaimChallengeText(const ClaimChallengeFacts& facts);

// Another key's claim on the same deposit, for finance.
struct OtherClaim {
  std::string id;
  std::int64_t key_id = 0;
  std::string status;  // effective: awaiting_proof past its expiry is expired
};

// What finance needs to decide a claim that no signature proved (an exchange's hot wallet
// sends for many people, and anyone watching the chain can claim its transfers). Filled for
// admin reads only (GetAny, List, the approve and refuse answers).
struct ClaimReview {
  // Deposits recorded from the claim's sender address on the network (this one included), and
  // how many of them were credited (automatically, assigned, claimed) to keys other than the
  // claimant, and to how many such keys. Each count reads at most kCountCap rows: kCountCap
  // means "10000 or more" (and sender_other_keys then counts the keys of the first kCountCap
  // such deposits). An unknown sender ("" or "unknown") is nobody in particular: 1, 0, 0 and
  // the warning "unknown_sender".
  static constexpr std::int64_t kCountCap = 10'001;
  std::int64_t sender_deposits = 0;
  std::int64_t sender_credited_to_other_keys = 0;
  std::int64_t sender_other_keys = 0;
  // Other keys' claims on this deposit, any status, newest first (at most kMaxOtherClaims of
  // the `other_claims_total`); contested when one of them is open (awaiting proof and
  // unexpired, or in review) or credited.
  static constexpr std::size_t kMaxOtherClaims = 20;
  std::vector<OtherClaim> other_claims;
  std::int64_t other_claims_total = 0;
  bool contested = false;
  // The deposit arrived after the window of an intent of another key (reason expired): that
  // key very likely sent it.
  std::optional<std::int64_t> late_for_key_id;
  // "shared_sender" (the sender's deposits were credited to other keys), "contested",
  // "late_for_another_keys_topup", "unknown_sender" (the chain did not tell who sent it).
  std::vector<std::string> warnings;
};

// A claim as the API and the CLI show it, with the deposit it is about.
struct ClaimRecord {
  std::string id;
  std::int64_t key_id = 0;
  // awaiting_proof | in_review | credited | refused | expired. Read through EffectiveStatus:
  // an awaiting_proof claim past its expiry is expired even before a row says so.
  std::string status;
  std::string signature_scheme;  // eip191 | tip191 | ed25519
  std::string challenge;
  std::int64_t created_at = 0;
  std::int64_t expires_at = 0;
  std::optional<std::string> note;
  std::optional<std::string> decided_by;
  std::optional<std::string> decision_reason;
  std::optional<std::int64_t> decided_at;
  std::optional<std::int64_t> ledger_transaction_id;
  // The deposit.
  std::int64_t deposit_id = 0;
  std::string network, tx_id, from;
  std::int64_t event_index = 0;
  Money amount;
  std::string deposit_status;
  std::optional<ClaimReview> review;  // admin reads only

  std::string EffectiveStatus(std::int64_t now) const {
    return status == "awaiting_proof" && now >= expires_at ? "expired" : status;
  }
};

struct NewClaim {
  std::int64_t key_id = 0;
  std::string network, tx_id;
  std::int64_t event_index = 0;
  std::string signature_scheme;
  int challenge_seconds = 900;
  int max_open_claims = 10;  // awaiting_proof (unexpired) and in_review claims of the key
};

// How a claim became a credit (the audit action and who decided).
enum class ClaimCreditPath {
  kProof,     // the sender's wallet signed the challenge: "claims.credited"
  kApproval,  // finance approved it: "claims.approved"
};

// Deposit claims (migration 0009). Every write is one transaction with its audit row; a credit
// also posts the ledger entry under the deposit's idempotency key (ledger/deposit_credit.h) and
// marks the deposit 'claimed', with the deposit row locked, so a deposit is credited once
// whether the watcher, finance's assign or a claim gets there first. Thread-safe; blocking.
//
// Errors: kNotFound (no such deposit or claim, or another key's claim), kFailedPrecondition
// (the deposit is not claimable now: credited, external, out of range; the claim is not in a
// state that allows the step; the challenge expired), kResourceExhausted (too many open claims),
// kAlreadyExists (the key has an open claim on the deposit; the message names it).
class ClaimStore {
 public:
  explicit ClaimStore(std::shared_ptr<PgPool> pool);

  // A claim awaiting proof, with its challenge; audited "claims.created" by `actor`.
  Result<ClaimRecord> Create(const NewClaim& request, const std::string& actor);

  // The key's claim (kNotFound for another key's).
  Result<ClaimRecord> Get(std::int64_t key_id, const std::string& claim_id);
  // Any claim (admin), with its review facts.
  Result<ClaimRecord> GetAny(const std::string& claim_id);
  // The key's claims, newest first.
  Result<std::vector<ClaimRecord>> ListForKey(std::int64_t key_id, int limit);
  // All claims (admin), newest first, with their review facts; only those with `status` when
  // given (the stored status; "expired" also finds awaiting_proof claims past their expiry).
  Result<std::vector<ClaimRecord>> List(const std::optional<std::string>& status, int limit);

  // Credits the claim's deposit to the claim's key at once: the ledger entry, the deposit
  // 'claimed' (key_id, ledger_transaction_id), the claim 'credited', every other open claim on
  // the deposit 'refused' (reason "the deposit was credited through another claim", audited
  // "claims.refused" with the winning claim), audit rows. When the deposit came late for an
  // intent of the same key (reason expired), that intent is credited too (credited_manual, or
  // credited_short when less than requested arrived; audited "topup.credited", webhook
  // topup.credited[_short]); another key's intent is left alone. kProof: the claim must be the
  // key's (`key_id`), awaiting proof and unexpired; the caller has verified `signature` over
  // its challenge. kApproval: the claim must be awaiting proof or in review; `key_id` is
  // ignored; the answer carries the review facts, read after the commit and apart from it (on
  // an error reading them the credit stands and the answer has no review; logged).
  Result<ClaimRecord> Credit(const std::string& claim_id, std::int64_t key_id, ClaimCreditPath path,
                             const std::string& signature_or_reason, const std::string& actor);

  // The key asks finance to decide without a proof: awaiting_proof (unexpired) -> in_review;
  // audited "claims.review_requested".
  Result<ClaimRecord> RequestReview(const std::string& claim_id, std::int64_t key_id,
                                    const std::string& note, const std::string& actor);

  // Finance refuses: awaiting_proof or in_review -> refused; the deposit stays unmatched;
  // audited "claims.refused". The answer carries the review facts, read after the commit (as
  // Credit's).
  Result<ClaimRecord> Refuse(const std::string& claim_id, const std::string& reason,
                             const std::string& actor);

 private:
  std::shared_ptr<PgPool> pool_;
};

}  // namespace instamarket
