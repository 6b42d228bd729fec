// Claims of unmatched deposits (ledger/claim_store.h): a deposit is credited once, whichever of
// a proof, finance's approval, finance's assign or the watcher gets there first.

#include <atomic>
#include <chrono>
#include <pqxx/pqxx>
#include <thread>

#include "ledger/deposit_credit.h"
#include "pg_test_env.h"
#include "watcher/amount_matcher.h"

namespace instamarket {
namespace {

class ClaimsTest : public PgTest {
 protected:
  void SetUp() override {
    PgTest::SetUp();
    network_ = "claim_net_" + std::to_string(UniqueId());
    key_a_ = NewKey("claims-a");
    key_b_ = NewKey("claims-b");
    ASSERT_TRUE(db_->deposits().InitCursor(network_, 1).ok());
  }

  std::int64_t NewKey(const std::string& label) {
    auto key = db_->keys().Create(label, false, {}, "test");
    EXPECT_TRUE(key.ok());
    return key->id;
  }

  DepositInput Transfer(const std::string& tx, std::int64_t micros, std::int64_t block) {
    DepositInput d;
    d.tx_id = tx;
    d.from = "0x00000000000000000000000000000000000000aa";
    d.to = "0xmaster";
    d.raw_amount = std::to_string(micros);
    d.amount = Money::FromMicros(micros);
    d.block_number = block;
    d.block_hash = "0xhash" + std::to_string(block);
    d.block_time = std::time(nullptr);
    return d;
  }

  // Records `transfers` as unmatched (no intent matches) in one scan from the current cursor.
  void RecordUnmatched(const std::vector<DepositInput>& transfers) {
    RecordWith(transfers, [](const std::vector<DepositInput>& d, const MatchCandidates&) {
      return std::vector<DepositDecision>(d.size(), DepositDecision{DepositOutcome::kNoIntent});
    });
  }

  // Records `transfers` in one scan through the watcher's own matcher.
  void RecordMatched(const std::vector<DepositInput>& transfers) {
    RecordWith(transfers, [](const std::vector<DepositInput>& d, const MatchCandidates& c) {
      return MatchDeposits(d, c, MatchRules{});
    });
  }

  template <typename Matcher>
  void RecordWith(const std::vector<DepositInput>& transfers, Matcher matcher) {
    auto loaded = db_->deposits().LoadCursor(network_);
    ASSERT_TRUE(loaded.ok()) << loaded.error().message;
    ASSERT_TRUE(loaded->has_value()) << "no cursor for " << network_;
    const auto cursor = **loaded;
    ScanResult scan{ChainCursor{cursor.position + 10, ""},
                    cursor.position + 12,
                    cursor.position + 9,
                    transfers,
                    {}};
    auto recorded = db_->deposits().RecordScan(network_, cursor, scan, Money(), matcher);
    ASSERT_TRUE(recorded.ok()) << recorded.error().message;
  }

  // An intent of `key` for `micros` whose window closes in a second.
  TopupIntent ShortLivedIntent(std::int64_t key, std::int64_t micros) {
    NewTopup request;
    request.key_id = key;
    request.network = network_;
    request.requested_amount = Money::FromMicros(micros);
    request.max_surcharge = Money::FromMicros(1'000'000);
    request.max_pending_per_key = 100;
    request.expiry_seconds = 1;
    auto intent = db_->topups().Create(request);
    EXPECT_TRUE(intent.ok()) << intent.error().message;
    return *intent;
  }

  // One text column of the deposit `tx` ("" for NULL).
  std::string DepositColumn(const std::string& tx, const std::string& column) {
    pqxx::connection conn(TestDatabaseUrl());
    pqxx::nontransaction q(conn);
    auto v = q.exec_params1(
        "SELECT " + column + "::text FROM deposits WHERE network = $1 AND tx_id = $2", network_,
        tx)[0];
    return v.is_null() ? "" : v.as<std::string>();
  }

  int AuditRows(const std::string& action, const std::string& target) {
    pqxx::connection conn(TestDatabaseUrl());
    pqxx::nontransaction q(conn);
    return q
        .exec_params1("SELECT count(*) FROM api_audit_log WHERE action = $1 AND target = $2",
                      action, target)[0]
        .as<int>();
  }

  std::int64_t DepositId(const std::string& tx) {
    pqxx::connection conn(TestDatabaseUrl());
    pqxx::nontransaction q(conn);
    return q
        .exec_params1("SELECT id FROM deposits WHERE network = $1 AND tx_id = $2", network_, tx)[0]
        .as<std::int64_t>();
  }

  std::string DepositStatus(const std::string& tx) {
    pqxx::connection conn(TestDatabaseUrl());
    pqxx::nontransaction q(conn);
    return q
        .exec_params1("SELECT status FROM deposits WHERE network = $1 AND tx_id = $2", network_,
                      tx)[0]
        .as<std::string>();
  }

  int LedgerEntries(const std::string& tx) {
    pqxx::connection conn(TestDatabaseUrl());
    pqxx::nontransaction q(conn);
    return q
        .exec_params1("SELECT count(*) FROM ledger_transactions WHERE idempotency_key = $1",
                      DepositIdempotencyKey(network_, tx, 0))[0]
        .as<int>();
  }

  Result<ClaimRecord> Claim(std::int64_t key, const std::string& tx, int seconds = 900,
                            int max_open = 10) {
    return db_->claims().Create(NewClaim{key, network_, tx, 0, "eip191", seconds, max_open},
                                "key:" + std::to_string(key));
  }

  Result<ClaimRecord> Prove(std::int64_t key, const std::string& claim_id) {
    return db_->claims().Credit(claim_id, key, ClaimCreditPath::kProof, "0xsignature",
                                "key:" + std::to_string(key));
  }

  std::int64_t Balance(std::int64_t key) { return db_->balances().Get(key)->balance.micros(); }

  std::string network_;
  std::int64_t key_a_ = 0, key_b_ = 0;
};

TEST_F(ClaimsTest, AProofCreditsOnceAndAWatcherReplayChangesNothing) {
  auto transfer = Transfer("0xc1", 15'500'000, 3);
  RecordUnmatched({transfer});
  auto claim = Claim(key_a_, "0xc1");
  ASSERT_TRUE(claim.ok()) << claim.error().message;
  EXPECT_EQ(claim->status, "awaiting_proof");
  EXPECT_EQ(claim->from, transfer.from);
  EXPECT_NE(claim->challenge.find("claim: " + claim->id + "\n"), std::string::npos);
  EXPECT_NE(claim->challenge.find("key: " + std::to_string(key_a_) + "\n"), std::string::npos);
  EXPECT_NE(claim->challenge.find("tx: 0xc1\nindex: 0\namount: 15.5 USDT\nfrom: " + transfer.from),
            std::string::npos);
  EXPECT_EQ(claim->challenge.rfind("instamarket deposit claim\n", 0), 0u);

  auto credited = Prove(key_a_, claim->id);
  ASSERT_TRUE(credited.ok()) << credited.error().message;
  EXPECT_EQ(credited->status, "credited");
  EXPECT_TRUE(credited->ledger_transaction_id.has_value());
  EXPECT_EQ(Balance(key_a_), 15'500'000);
  EXPECT_EQ(DepositStatus("0xc1"), "claimed");

  // The same proof again, another path, or the watcher seeing the transfer again: nothing.
  EXPECT_EQ(Prove(key_a_, claim->id).error().code, ErrorCode::kFailedPrecondition);
  EXPECT_EQ(db_->deposits().Assign(DepositId("0xc1"), key_b_, "late", "test").error().code,
            ErrorCode::kFailedPrecondition);
  EXPECT_EQ(Claim(key_b_, "0xc1").error().code, ErrorCode::kFailedPrecondition);
  RecordUnmatched({transfer});
  EXPECT_EQ(Balance(key_a_), 15'500'000);
  EXPECT_EQ(Balance(key_b_), 0);
  EXPECT_EQ(LedgerEntries("0xc1"), 1);
}

TEST_F(ClaimsTest, AnAssignBeforeTheProofWins) {
  RecordUnmatched({Transfer("0xc2", 7'000'000, 3)});
  auto claim = Claim(key_a_, "0xc2");
  ASSERT_TRUE(claim.ok()) << claim.error().message;
  ASSERT_TRUE(db_->deposits().Assign(DepositId("0xc2"), key_b_, "ticket 9", "test").ok());
  auto late = Prove(key_a_, claim->id);
  ASSERT_FALSE(late.ok());
  EXPECT_EQ(late.error().code, ErrorCode::kFailedPrecondition);
  EXPECT_EQ(Balance(key_a_), 0);
  EXPECT_EQ(Balance(key_b_), 7'000'000);
  EXPECT_EQ(LedgerEntries("0xc2"), 1);
  EXPECT_EQ(DepositStatus("0xc2"), "assigned");
}

TEST_F(ClaimsTest, TwoKeysClaimOneDepositAndOneIsCredited) {
  RecordUnmatched({Transfer("0xc3", 9'000'000, 3)});
  auto a = Claim(key_a_, "0xc3");
  auto b = Claim(key_b_, "0xc3");
  ASSERT_TRUE(a.ok() && b.ok());
  // A key's claims are its own.
  EXPECT_EQ(db_->claims().Get(key_b_, a->id).error().code, ErrorCode::kNotFound);
  EXPECT_EQ(Prove(key_b_, a->id).error().code, ErrorCode::kNotFound);
  EXPECT_EQ(db_->claims().RequestReview(a->id, key_b_, "mine", "key:b").error().code,
            ErrorCode::kNotFound);
  // One open claim per key and deposit.
  EXPECT_EQ(Claim(key_a_, "0xc3").error().code, ErrorCode::kAlreadyExists);

  auto review = db_->claims().RequestReview(b->id, key_b_, "sent from an exchange", "key:b");
  ASSERT_TRUE(review.ok()) << review.error().message;
  EXPECT_EQ(review->status, "in_review");
  EXPECT_EQ(Prove(key_b_, b->id).error().code, ErrorCode::kFailedPrecondition);  // in review

  ASSERT_TRUE(Prove(key_a_, a->id).ok());
  auto loser = db_->claims().GetAny(b->id);
  ASSERT_TRUE(loser.ok());
  EXPECT_EQ(loser->status, "refused");
  EXPECT_EQ(db_->claims()
                .Credit(b->id, 0, ClaimCreditPath::kApproval, "looks right", "admin:finance")
                .error()
                .code,
            ErrorCode::kFailedPrecondition);
  EXPECT_EQ(Balance(key_a_), 9'000'000);
  EXPECT_EQ(Balance(key_b_), 0);
  EXPECT_EQ(LedgerEntries("0xc3"), 1);
}

TEST_F(ClaimsTest, ApprovalAndRefusalAreFinancesDecisions) {
  RecordUnmatched({Transfer("0xc4", 4'000'000, 3), Transfer("0xc5", 5'000'000, 4)});
  auto approved = Claim(key_a_, "0xc4");
  auto refused = Claim(key_a_, "0xc5");
  ASSERT_TRUE(approved.ok() && refused.ok());
  ASSERT_TRUE(db_->claims().RequestReview(approved->id, key_a_, "", "key:a").ok());
  EXPECT_EQ(
      db_->claims().Credit(approved->id, 0, ClaimCreditPath::kApproval, "", "cli:x").error().code,
      ErrorCode::kInvalidArgument);
  auto credited =
      db_->claims().Credit(approved->id, 0, ClaimCreditPath::kApproval, "KYC seen", "cli:x");
  ASSERT_TRUE(credited.ok()) << credited.error().message;
  EXPECT_EQ(credited->decided_by, "cli:x");
  EXPECT_EQ(credited->decision_reason, "KYC seen");
  auto no = db_->claims().Refuse(refused->id, "not the sender", "admin:finance");
  ASSERT_TRUE(no.ok()) << no.error().message;
  EXPECT_EQ(no->status, "refused");
  EXPECT_EQ(DepositStatus("0xc5"), "unmatched");
  EXPECT_EQ(db_->claims().Refuse(refused->id, "again", "admin:finance").error().code,
            ErrorCode::kFailedPrecondition);
  EXPECT_EQ(Balance(key_a_), 4'000'000);
  // A refused claim does not block a new one (finance may be shown more).
  EXPECT_TRUE(Claim(key_a_, "0xc5").ok());

  auto queue = db_->claims().List(std::string("credited"), 1000);
  ASSERT_TRUE(queue.ok());
  bool listed = false;
  for (const auto& c : *queue) listed = listed || c.id == approved->id;
  EXPECT_TRUE(listed);
}

TEST_F(ClaimsTest, ExpiredChallengesAndTheOpenClaimCap) {
  RecordUnmatched({Transfer("0xc6", 1'000'000, 3), Transfer("0xc7", 2'000'000, 4),
                   Transfer("0xc8", 3'000'000, 5)});
  auto short_lived = Claim(key_a_, "0xc6", 1);
  ASSERT_TRUE(short_lived.ok());
  std::this_thread::sleep_for(std::chrono::milliseconds(2100));
  EXPECT_EQ(Prove(key_a_, short_lived->id).error().code, ErrorCode::kFailedPrecondition);
  EXPECT_EQ(db_->claims().RequestReview(short_lived->id, key_a_, "", "key:a").error().code,
            ErrorCode::kFailedPrecondition);
  EXPECT_EQ(db_->claims().Get(key_a_, short_lived->id)->EffectiveStatus(std::time(nullptr)),
            "expired");
  EXPECT_EQ(Balance(key_a_), 0);

  // The lapsed claim no longer counts: two open claims at most.
  ASSERT_TRUE(Claim(key_a_, "0xc6", 900, 2).ok());
  ASSERT_TRUE(Claim(key_a_, "0xc7", 900, 2).ok());
  EXPECT_EQ(Claim(key_a_, "0xc8", 900, 2).error().code, ErrorCode::kResourceExhausted);
  EXPECT_EQ(db_->claims().GetAny(short_lived->id)->status, "expired");
}

TEST_F(ClaimsTest, DepositsThatCannotBeClaimed) {
  auto big = Transfer("0xc9", 0, 3);
  big.amount_in_range = false;
  RecordUnmatched({big, Transfer("0xca", 6'000'000, 4)});
  EXPECT_EQ(Claim(key_a_, "0xc9").error().code, ErrorCode::kFailedPrecondition);
  EXPECT_EQ(Claim(key_a_, "0xnone").error().code, ErrorCode::kNotFound);
  {
    pqxx::connection conn(TestDatabaseUrl());
    pqxx::work w(conn);
    w.exec_params("UPDATE deposits SET status = 'external' WHERE network = $1 AND tx_id = '0xca'",
                  network_);
    w.commit();
  }
  auto external = Claim(key_a_, "0xca");
  ASSERT_FALSE(external.ok());
  EXPECT_EQ(external.error().code, ErrorCode::kFailedPrecondition);
  EXPECT_NE(external.error().message.find("reservation"), std::string::npos);
}

// Every path at once on the same deposits: each is credited exactly once.
TEST_F(ClaimsTest, ConcurrentPathsCreditEachDepositOnce) {
  constexpr int kDeposits = 8;
  std::vector<DepositInput> transfers;
  for (int i = 0; i < kDeposits; ++i) {
    transfers.push_back(Transfer("0xr" + std::to_string(i), 1'000'000, 3 + i));
  }
  RecordUnmatched(transfers);
  std::vector<std::string> claims_a, claims_b;
  for (int i = 0; i < kDeposits; ++i) {
    claims_a.push_back(Claim(key_a_, transfers[i].tx_id)->id);
    claims_b.push_back(Claim(key_b_, transfers[i].tx_id)->id);
  }
  std::int64_t key_c = NewKey("claims-c");
  std::atomic<int> wins{0};
  std::vector<std::thread> threads;
  threads.emplace_back([&] {
    for (int i = 0; i < kDeposits; ++i) wins += Prove(key_a_, claims_a[i]).ok();
  });
  threads.emplace_back([&] {
    for (int i = 0; i < kDeposits; ++i) {
      wins += db_->claims()
                  .Credit(claims_b[i], 0, ClaimCreditPath::kApproval, "race", "admin:race")
                  .ok();
    }
  });
  threads.emplace_back([&] {
    for (int i = kDeposits - 1; i >= 0; --i) {
      wins += db_->deposits().Assign(DepositId(transfers[i].tx_id), key_c, "race", "test").ok();
    }
  });
  for (auto& t : threads) t.join();
  EXPECT_EQ(wins.load(), kDeposits);
  EXPECT_EQ(Balance(key_a_) + Balance(key_b_) + Balance(key_c), kDeposits * 1'000'000);
  for (const auto& t : transfers) EXPECT_EQ(LedgerEntries(t.tx_id), 1) << t.tx_id;
}

// A deposit that came after its intent's window (reason expired) names that intent; a claim by
// the intent's own key credits the intent with it, as the watcher would have in the window
// (status, deposit, audit); a claim by another key leaves the intent alone.
TEST_F(ClaimsTest, AClaimOfALateDepositCreditsTheSameKeysIntent) {
  TopupIntent own = ShortLivedIntent(key_a_, 10'000'000);
  TopupIntent others = ShortLivedIntent(key_a_, 20'000'000);
  auto late_own = Transfer("0xe1", own.amount.micros(), 3);
  auto late_other = Transfer("0xe2", others.amount.micros(), 4);
  late_own.block_time = late_other.block_time = std::time(nullptr) + 30;  // after expires_at
  RecordMatched({late_own, late_other});
  EXPECT_EQ(DepositStatus("0xe1"), "unmatched");
  EXPECT_EQ(DepositColumn("0xe1", "reason"), "expired");
  EXPECT_EQ(DepositColumn("0xe1", "intent_id"), own.id);
  EXPECT_EQ(DepositColumn("0xe2", "intent_id"), others.id);

  {
    // A sighting left on the intent (seen before finality): the credit clears it.
    pqxx::connection conn(TestDatabaseUrl());
    pqxx::nontransaction q(conn);
    q.exec_params(
        "UPDATE topup_intents SET confirming_tx_id = '0xe1', confirming_event_index = 0, "
        "confirming_block_number = 3, confirming_block_hash = '0xhash3', confirming_amount = $2, "
        "confirming_since = now(), confirming_needed = 12 WHERE id = $1::uuid",
        own.id, own.amount.micros());
  }
  auto claim = Claim(key_a_, "0xe1");
  ASSERT_TRUE(claim.ok()) << claim.error().message;
  ASSERT_TRUE(Prove(key_a_, claim->id).ok());
  {
    pqxx::connection conn(TestDatabaseUrl());
    pqxx::nontransaction q(conn);
    auto left = q.exec_params1(
        "SELECT count(*) FROM topup_intents WHERE id = $1::uuid AND (confirming_tx_id IS NOT NULL "
        "OR confirming_event_index IS NOT NULL OR confirming_block_number IS NOT NULL "
        "OR confirming_block_hash IS NOT NULL OR confirming_amount IS NOT NULL "
        "OR confirming_since IS NOT NULL OR confirming_needed IS NOT NULL "
        "OR confirming_finality IS NOT NULL OR confirming_expected_seconds IS NOT NULL)",
        own.id);
    EXPECT_EQ(left[0].as<int>(), 0);
  }
  auto intent = db_->topups().Get(key_a_, own.id);
  ASSERT_TRUE(intent.ok());
  EXPECT_EQ(intent->status, "credited_manual");
  EXPECT_EQ(intent->deposit_tx_id, "0xe1");
  EXPECT_EQ(intent->deposit_amount, own.amount);
  EXPECT_TRUE(intent->credited_at.has_value());
  EXPECT_EQ(DepositColumn("0xe1", "intent_id"), own.id);
  EXPECT_EQ(DepositColumn("0xe1", "key_id"), std::to_string(key_a_));
  EXPECT_EQ(AuditRows("topup.credited", "key:" + std::to_string(key_a_)), 1);
  EXPECT_EQ(Balance(key_a_), own.amount.micros());

  // Key B proves the other late deposit (it holds the sending wallet): credited to B, and A's
  // intent is not B's to close.
  auto b_claim = Claim(key_b_, "0xe2");
  ASSERT_TRUE(b_claim.ok()) << b_claim.error().message;
  ASSERT_TRUE(Prove(key_b_, b_claim->id).ok());
  EXPECT_EQ(Balance(key_b_), others.amount.micros());
  auto untouched = db_->topups().Get(key_a_, others.id);
  ASSERT_TRUE(untouched.ok());
  EXPECT_NE(untouched->status.rfind("credited", 0), 0u) << untouched->status;
  EXPECT_FALSE(untouched->deposit_tx_id.has_value());
  EXPECT_EQ(DepositColumn("0xe2", "intent_id"), "");  // no longer linked to A's intent
}

// What finance sees to decide a claim: how the sender's other deposits went, other keys'
// claims on the same deposit; and an approval (or an assign) refuses the other open claims,
// with a reason and an audit row each.
TEST_F(ClaimsTest, FinanceSeesSharedSendersAndContestsAndTheLosersAreRefused) {
  RecordUnmatched({Transfer("0xf1", 1'000'000, 3), Transfer("0xf2", 2'000'000, 4),
                   Transfer("0xf3", 3'000'000, 5), Transfer("0xf4", 4'000'000, 6)});
  std::int64_t key_c = NewKey("claims-c");
  // B proves 0xf1: the sender's deposits now went to another key than A.
  auto b1 = Claim(key_b_, "0xf1");
  ASSERT_TRUE(b1.ok());
  ASSERT_TRUE(Prove(key_b_, b1->id).ok());

  auto a2 = Claim(key_a_, "0xf2");
  ASSERT_TRUE(a2.ok());
  ASSERT_TRUE(db_->claims().RequestReview(a2->id, key_a_, "from my exchange", "key:a").ok());
  auto seen = db_->claims().GetAny(a2->id);
  ASSERT_TRUE(seen.ok() && seen->review.has_value());
  EXPECT_EQ(seen->review->sender_deposits, 4);
  EXPECT_EQ(seen->review->sender_credited_to_other_keys, 1);
  EXPECT_EQ(seen->review->sender_other_keys, 1);
  EXPECT_FALSE(seen->review->contested);
  EXPECT_EQ(seen->review->warnings, std::vector<std::string>{"shared_sender"});
  // A key's own view carries none of it.
  EXPECT_FALSE(db_->claims().Get(key_a_, a2->id)->review.has_value());

  // C claims the same deposit: contested, in the list too.
  auto c2 = Claim(key_c, "0xf2");
  ASSERT_TRUE(c2.ok());
  auto listed = db_->claims().List(std::string("in_review"), 1000);
  ASSERT_TRUE(listed.ok());
  const ClaimRecord* row = nullptr;
  for (const auto& c : *listed)
    if (c.id == a2->id) row = &c;
  ASSERT_NE(row, nullptr);
  ASSERT_TRUE(row->review.has_value());
  EXPECT_TRUE(row->review->contested);
  ASSERT_EQ(row->review->other_claims.size(), 1u);
  EXPECT_EQ(row->review->other_claims_total, 1);
  EXPECT_EQ(row->review->other_claims[0].id, c2->id);
  EXPECT_EQ(row->review->other_claims[0].key_id, key_c);
  EXPECT_EQ(row->review->other_claims[0].status, "awaiting_proof");
  EXPECT_EQ(row->review->warnings, (std::vector<std::string>{"shared_sender", "contested"}));

  // Finance approves A's: C's claim is refused, with a reason, audited.
  auto approved =
      db_->claims().Credit(a2->id, 0, ClaimCreditPath::kApproval, "exchange statement", "cli:f");
  ASSERT_TRUE(approved.ok()) << approved.error().message;
  ASSERT_TRUE(approved->review.has_value());
  auto loser = db_->claims().GetAny(c2->id);
  EXPECT_EQ(loser->status, "refused");
  EXPECT_EQ(loser->decision_reason, "the deposit was credited through another claim");
  EXPECT_EQ(loser->decided_by, "cli:f");
  EXPECT_EQ(AuditRows("claims.refused", "claim:" + c2->id), 1);
  EXPECT_EQ(Balance(key_c), 0);

  // Finance assigns 0xf3 while A and C claim it: both claims are refused, audited.
  auto a3 = Claim(key_a_, "0xf3");
  auto c3 = Claim(key_c, "0xf3");
  ASSERT_TRUE(a3.ok() && c3.ok());
  ASSERT_TRUE(db_->claims().RequestReview(a3->id, key_a_, "", "key:a").ok());
  ASSERT_TRUE(db_->deposits().Assign(DepositId("0xf3"), key_b_, "ticket 12", "admin:f").ok());
  for (const auto& id : {a3->id, c3->id}) {
    auto settled = db_->claims().GetAny(id);
    EXPECT_EQ(settled->status, "refused");
    EXPECT_EQ(settled->decision_reason, "the deposit was assigned by finance");
    EXPECT_EQ(AuditRows("claims.refused", "claim:" + id), 1);
  }

  // A signature still proves control of the wallet: A's proof of 0xf4 credits at once although
  // the sender's other deposits went to B and others.
  auto a4 = Claim(key_a_, "0xf4");
  ASSERT_TRUE(a4.ok());
  ASSERT_TRUE(Prove(key_a_, a4->id).ok());
  EXPECT_EQ(Balance(key_a_), 2'000'000 + 4'000'000);
  EXPECT_EQ(Balance(key_b_), 1'000'000 + 3'000'000);
}

// The review's counts stop at ClaimReview::kCountCap ("10000 or more"), an unknown sender's
// deposits are not counted together (nor called shared), and the other claims on a deposit
// are its newest kMaxOtherClaims with their full count.
TEST_F(ClaimsTest, ReviewCountsAreCappedAndUnknownSendersAreNobodyInParticular) {
  const std::string busy_sender = "0x00000000000000000000000000000000000000bb";
  {
    // A hot wallet: more deposits credited to key B than the review counts.
    pqxx::connection conn(TestDatabaseUrl());
    pqxx::work q(conn);
    q.exec_params(
        "INSERT INTO deposits (network, tx_id, event_index, from_address, to_address, "
        "raw_amount, decimals, amount, block_number, block_hash, block_time, status, key_id) "
        "SELECT $1, '0xhot' || n, 0, $2, '0xmaster', 1000000, 6, 1000000, 1, '0xh', now(), "
        "'credited', $3 FROM generate_series(1, $4) n",
        network_, busy_sender, key_b_, ClaimReview::kCountCap + 5);
    q.commit();
  }
  auto hot = Transfer("0xa1", 1'000'000, 3);
  hot.from = busy_sender;
  auto nobody_1 = Transfer("0xa2", 2'000'000, 4);
  auto nobody_2 = Transfer("0xa3", 3'000'000, 5);
  auto contested = Transfer("0xa4", 4'000'000, 6);
  nobody_1.from = "unknown";
  nobody_2.from = "unknown";
  RecordUnmatched({hot, nobody_1, nobody_2, contested});

  auto a1 = Claim(key_a_, "0xa1");
  ASSERT_TRUE(a1.ok()) << a1.error().message;
  auto seen = db_->claims().GetAny(a1->id);
  ASSERT_TRUE(seen.ok() && seen->review.has_value());
  EXPECT_EQ(seen->review->sender_deposits, ClaimReview::kCountCap);
  EXPECT_EQ(seen->review->sender_credited_to_other_keys, ClaimReview::kCountCap);
  EXPECT_EQ(seen->review->sender_other_keys, 1);
  EXPECT_EQ(seen->review->warnings, std::vector<std::string>{"shared_sender"});
  // B's own claim on it: B's credits are not "other keys'".
  auto b1 = Claim(key_b_, "0xa1");
  ASSERT_TRUE(b1.ok());
  auto listed = db_->claims().List(std::string("awaiting_proof"), 1000);
  ASSERT_TRUE(listed.ok());
  bool found = false;
  for (const auto& c : *listed) {
    if (c.id != b1->id) continue;
    found = true;
    ASSERT_TRUE(c.review.has_value());
    EXPECT_EQ(c.review->sender_deposits, ClaimReview::kCountCap);
    EXPECT_EQ(c.review->sender_credited_to_other_keys, 0);
    EXPECT_EQ(c.review->warnings, std::vector<std::string>{"contested"});
  }
  EXPECT_TRUE(found);

  // Unknown senders: B's claim of one is credited; A's claim of the other is not "shared".
  auto b2 = Claim(key_b_, "0xa2");
  ASSERT_TRUE(b2.ok());
  ASSERT_TRUE(Prove(key_b_, b2->id).ok());
  auto a3 = Claim(key_a_, "0xa3");
  ASSERT_TRUE(a3.ok());
  auto refused = db_->claims().Refuse(a3->id, "no statement", "cli:f");
  ASSERT_TRUE(refused.ok()) << refused.error().message;
  ASSERT_TRUE(refused->review.has_value());  // read after the refusal was committed
  EXPECT_EQ(refused->status, "refused");
  EXPECT_EQ(refused->review->sender_deposits, 1);
  EXPECT_EQ(refused->review->sender_credited_to_other_keys, 0);
  EXPECT_EQ(refused->review->sender_other_keys, 0);
  EXPECT_EQ(refused->review->warnings, std::vector<std::string>{"unknown_sender"});

  // 22 other keys claim 0xa4, one of them (the oldest) proves nothing but stays open.
  std::vector<std::string> others;
  for (int i = 0; i < 22; ++i) {
    auto other = Claim(NewKey("claims-many-" + std::to_string(i)), "0xa4");
    ASSERT_TRUE(other.ok()) << other.error().message;
    others.push_back(other->id);
  }
  {
    // All but the oldest refused: contested still comes from that one, past the newest 20.
    pqxx::connection conn(TestDatabaseUrl());
    pqxx::work q(conn);
    q.exec_params(
        "UPDATE deposit_claims SET status = 'refused', decision_reason = 'test' "
        "WHERE deposit_id = $1 AND id <> $2::uuid",
        DepositId("0xa4"), others[0]);
    q.commit();
  }
  auto a4 = Claim(key_a_, "0xa4");
  ASSERT_TRUE(a4.ok()) << a4.error().message;
  auto many = db_->claims().GetAny(a4->id);
  ASSERT_TRUE(many.ok() && many->review.has_value());
  EXPECT_EQ(many->review->other_claims_total, 22);
  ASSERT_EQ(many->review->other_claims.size(), ClaimReview::kMaxOtherClaims);
  EXPECT_EQ(many->review->other_claims[0].id, others.back());  // newest first
  for (const auto& o : many->review->other_claims) EXPECT_NE(o.id, others[0]);
  EXPECT_TRUE(many->review->contested);
}

}  // namespace
}  // namespace instamarket
