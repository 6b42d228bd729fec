#include <algorithm>
#include <atomic>
#include <pqxx/pqxx>
#include <set>
#include <thread>

#include "pg_test_env.h"
#include "watcher/amount_matcher.h"

namespace instamarket {
namespace {

class DepositsTest : public PgTest {
 protected:
  void SetUp() override {
    PgTest::SetUp();
    network_ = "test_net_" + std::to_string(UniqueId());
    auto key = db_->keys().Create("deposits-test", false, {}, "test");
    ASSERT_TRUE(key.ok());
    key_id_ = key->id;
  }

  NewTopup Request(std::int64_t micros, std::int64_t surcharge = 1'000'000) {
    return NewTopup{key_id_, network_, Money::FromMicros(micros), Money::FromMicros(surcharge),
                    3600,    900};
  }

  DepositInput Transfer(const std::string& tx, std::int64_t micros, std::int64_t block,
                        std::string hash = "") {
    DepositInput d;
    d.tx_id = tx;
    d.event_index = 0;
    d.from = "0xsender";
    d.to = "0xmaster";
    d.raw_amount = std::to_string(micros);
    d.decimals = 6;
    d.amount = Money::FromMicros(micros);
    d.block_number = block;
    d.block_hash = hash.empty() ? "0xhash" + std::to_string(block) : hash;
    d.block_time = std::time(nullptr);
    return d;
  }

  Result<BatchOutcome> Record(const ChainCursor& expected, const ScanResult& scan) {
    return db_->deposits().RecordScan(
        network_, expected, scan, Money::FromMicros(10'000),
        [](const std::vector<DepositInput>& d, const std::vector<IntentCandidate>& i) {
          return MatchDeposits(d, i, MatchRules{});
        });
  }

  std::int64_t Balance() { return db_->balances().Get(key_id_)->balance.micros(); }

  std::string network_;
  std::int64_t key_id_ = 0;
};

TEST_F(DepositsTest, ConcurrentIntentsGetDistinctAmounts) {
  std::mutex mutex;
  std::set<std::int64_t> amounts;
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 5; ++i) {
        auto intent = db_->topups().Create(Request(10'000'000));
        if (!intent.ok()) {
          ++failures;
          continue;
        }
        std::lock_guard lock(mutex);
        amounts.insert(intent->amount.micros());
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(failures.load(), 0);
  ASSERT_EQ(amounts.size(), 20u);
  EXPECT_EQ(*amounts.begin(), 10'000'000);
  EXPECT_EQ(*amounts.rbegin(), 10'190'000);
}

TEST_F(DepositsTest, SurchargeLimitIsEnforced) {
  for (std::int64_t expected : {5'000'000, 5'010'000, 5'020'000}) {
    auto intent = db_->topups().Create(Request(5'000'000, 20'000));
    ASSERT_TRUE(intent.ok()) << intent.error().message;
    EXPECT_EQ(intent->amount.micros(), expected);
    EXPECT_EQ(intent->requested_amount.micros(), 5'000'000);
  }
  auto refused = db_->topups().Create(Request(5'000'000, 20'000));
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, ErrorCode::kResourceExhausted);
}

TEST_F(DepositsTest, IntentsAreKeyScoped) {
  auto intent = db_->topups().Create(Request(7'000'000));
  ASSERT_TRUE(intent.ok());
  EXPECT_TRUE(db_->topups().Get(key_id_, intent->id).ok());
  EXPECT_EQ(db_->topups().Get(key_id_ + 1000000, intent->id).error().code, ErrorCode::kNotFound);
  EXPECT_EQ(db_->topups().Get(key_id_, "not-a-uuid").error().code, ErrorCode::kNotFound);
}

TEST_F(DepositsTest, ScanCreditsOnceAndTheCursorGuardsReplays) {
  auto intent = db_->topups().Create(Request(42'000'000));
  ASSERT_TRUE(intent.ok());
  ASSERT_EQ(*db_->deposits().InitCursor(network_, 100), 100);
  EXPECT_EQ(*db_->deposits().InitCursor(network_, 5), 100);  // an existing cursor wins

  ScanResult scan{
      111, 113, 110, {Transfer("0xaa", 42'000'000, 105), Transfer("0xbb", 3'000'000, 107)}, {}};
  auto first = Record(100, scan);
  ASSERT_TRUE(first.ok()) << first.error().message;
  EXPECT_EQ(first->credited, 1);
  EXPECT_EQ(first->unmatched, 1);
  EXPECT_EQ(Balance(), 42'000'000);
  EXPECT_EQ(db_->topups().Get(key_id_, intent->id)->status, "credited_auto");
  EXPECT_EQ(**db_->deposits().LoadCursor(network_), 111);

  // The same scan from the old cursor (another instance, or a retry): refused, nothing changes.
  auto stale = Record(100, scan);
  ASSERT_FALSE(stale.ok());
  EXPECT_EQ(stale.error().code, ErrorCode::kFailedPrecondition);
  // The same transfers in a later scan: recognised, not counted again.
  ScanResult again{120, 122, 119, scan.final_transfers, {}};
  auto replay = Record(111, again);
  ASSERT_TRUE(replay.ok());
  EXPECT_EQ(replay->already_recorded, 2);
  EXPECT_EQ(replay->credited, 0);
  EXPECT_EQ(Balance(), 42'000'000);
}

// Chains without block numbers resume from a position plus adapter state (ids already taken at
// that position): both are stored, and both must match for a scan to be recorded. A transfer
// found again from an inclusive position is recognised whatever its block_number.
TEST_F(DepositsTest, CursorStateIsStoredAndGuardedWithThePosition) {
  ChainCursor start{1'700'000'000'000, "aa:1"};
  ASSERT_EQ(*db_->deposits().InitCursor(network_, start), start);
  auto t = Transfer("tron-tx-1", 5'000'000, 1'700'000'003'000);
  t.memo = "invoice 7";
  ScanResult scan{
      ChainCursor{1'700'000'003'000, "tron-tx-1:0"}, 1'700'000'009'000, 1'700'000'009'000, {t}, {}};
  // The right position with other state (another instance took more at it): refused.
  auto other_state = Record(ChainCursor{1'700'000'000'000, "aa:1 bb:2"}, scan);
  ASSERT_FALSE(other_state.ok());
  EXPECT_EQ(other_state.error().code, ErrorCode::kFailedPrecondition);
  auto recorded = Record(start, scan);
  ASSERT_TRUE(recorded.ok()) << recorded.error().message;
  EXPECT_EQ(recorded->unmatched, 1);
  EXPECT_EQ(**db_->deposits().LoadCursor(network_), scan.new_cursor);
  auto rows = db_->deposits().List(true, 1000);
  ASSERT_TRUE(rows.ok());
  auto row = std::find_if(rows->begin(), rows->end(),
                          [&](const DepositRow& r) { return r.network == network_; });
  ASSERT_NE(row, rows->end());
  EXPECT_EQ(row->memo, "invoice 7");
  // Listed again from the same (inclusive) position: already recorded, not counted.
  ScanResult again{ChainCursor{1'700'000'003'000, "tron-tx-1:0"}, 0, 0, {t}, {}};
  auto replay = Record(scan.new_cursor, again);
  ASSERT_TRUE(replay.ok());
  EXPECT_EQ(replay->already_recorded, 1);
}

// A scan with many deposits is written in a few batched statements: every credited deposit
// still gets its own balanced ledger entry, intent status and audit row, and a transfer the
// node listed twice counts once.
TEST_F(DepositsTest, LargeScanCreditsEachDepositOnceWithItsOwnEntry) {
  constexpr int kIntents = 60;
  std::vector<std::int64_t> amounts;
  for (int i = 0; i < kIntents; ++i) {
    auto intent = db_->topups().Create(Request(10'000'000 + i * 100'000));
    ASSERT_TRUE(intent.ok()) << intent.error().message;
    amounts.push_back(intent->amount.micros());
  }
  ASSERT_TRUE(db_->deposits().InitCursor(network_, 1).ok());
  ScanResult scan{50, 52, 49, {}, {}};
  std::int64_t expected = 0;
  for (int i = 0; i < kIntents; ++i) {
    scan.final_transfers.push_back(Transfer("0xm" + std::to_string(i), amounts[i], 2 + i % 40));
    expected += amounts[i];
  }
  for (int i = 0; i < 15; ++i) {  // no intent anywhere near these amounts
    scan.final_transfers.push_back(Transfer("0xu" + std::to_string(i), 500'000'000 + i, 3));
  }
  scan.final_transfers.push_back(scan.final_transfers.front());  // listed twice
  auto outcome = Record(1, scan);
  ASSERT_TRUE(outcome.ok()) << outcome.error().message;
  EXPECT_EQ(outcome->credited, kIntents);
  EXPECT_EQ(outcome->unmatched, 15);
  EXPECT_EQ(outcome->already_recorded, 1);
  EXPECT_EQ(Balance(), expected);

  pqxx::connection conn(TestDatabaseUrl());
  pqxx::nontransaction tx(conn);
  auto per_entry = tx.exec_params(R"sql(
    SELECT count(*), count(DISTINCT d.ledger_transaction_id),
           count(*) FILTER (WHERE t.kind = 'topup' AND
                            (SELECT sum(amount) FROM ledger_postings p WHERE p.transaction_id = t.id) = 0
                            AND (SELECT count(*) FROM ledger_postings p WHERE p.transaction_id = t.id) = 2),
           count(*) FILTER (WHERE i.status = 'credited_auto' AND i.deposit_id = d.id),
           count(*) FILTER (WHERE EXISTS (SELECT 1 FROM api_audit_log a WHERE a.action = 'topup.credited'
                                          AND (a.details->>'deposit_id')::bigint = d.id))
      FROM deposits d JOIN ledger_transactions t ON t.id = d.ledger_transaction_id
      JOIN topup_intents i ON i.id = d.intent_id
     WHERE d.network = $1 AND d.status = 'credited')sql",
                                  network_)[0];
  EXPECT_EQ(per_entry[0].as<int>(), kIntents);
  EXPECT_EQ(per_entry[1].as<int>(), kIntents);  // one ledger entry per deposit
  EXPECT_EQ(per_entry[2].as<int>(), kIntents);  // each balanced, two postings
  EXPECT_EQ(per_entry[3].as<int>(), kIntents);  // each intent points at its deposit
  EXPECT_EQ(per_entry[4].as<int>(), kIntents);  // each audited
  auto sum = tx.exec_params1(
      "SELECT coalesce(sum(p.amount), 0) FROM ledger_postings p JOIN ledger_accounts a "
      "ON a.id = p.account_id WHERE a.code = $1",
      "key:" + std::to_string(key_id_));
  EXPECT_EQ(sum[0].as<std::int64_t>(), expected);  // balance = sum of postings
  auto unmatched = tx.exec_params1(
      "SELECT count(*) FROM deposits WHERE network = $1 AND status = 'unmatched' AND "
      "reason = 'no_intent' AND ledger_transaction_id IS NULL AND credited_at IS NULL",
      network_);
  EXPECT_EQ(unmatched[0].as<int>(), 15);
}

TEST_F(DepositsTest, ReorgedSightingsAreMarkedAndNeverCredited) {
  ASSERT_TRUE(db_->topups().Create(Request(9'000'000)).ok());
  ASSERT_TRUE(db_->deposits().InitCursor(network_, 10).ok());
  // Seen at block 12 (not final yet) in block 0xold.
  ScanResult seen{11, 12, 10, {}, {Transfer("0xcc", 9'000'000, 12, "0xold")}};
  ASSERT_TRUE(Record(10, seen).ok());
  // Block 12 became final with another hash and without the transfer.
  ScanResult final_scan{13, 14, 12, {}, {}};
  auto outcome = Record(11, final_scan);
  ASSERT_TRUE(outcome.ok());
  EXPECT_EQ(outcome->reorged, 1);
  EXPECT_EQ(Balance(), 0);
}

TEST_F(DepositsTest, AssignCreditsAnUnmatchedDepositOnce) {
  ASSERT_TRUE(db_->deposits().InitCursor(network_, 1).ok());
  ScanResult scan{3, 4, 2, {Transfer("0xdd", 15'500'000, 2)}, {}};
  ASSERT_EQ(Record(1, scan)->unmatched, 1);
  auto rows = db_->deposits().List(true, 1000);
  ASSERT_TRUE(rows.ok());
  std::int64_t deposit_id = 0;
  for (const auto& r : *rows) {
    if (r.network == network_) deposit_id = r.id;
  }
  ASSERT_NE(deposit_id, 0);
  auto assigned = db_->deposits().Assign(deposit_id, key_id_, "support ticket 7", "test");
  ASSERT_TRUE(assigned.ok()) << assigned.error().message;
  EXPECT_EQ(Balance(), 15'500'000);
  EXPECT_EQ(db_->balances().Get(key_id_)->total_topup.micros(), 15'500'000);
  auto twice = db_->deposits().Assign(deposit_id, key_id_, "again", "test");
  ASSERT_FALSE(twice.ok());
  EXPECT_EQ(twice.error().code, ErrorCode::kFailedPrecondition);
  EXPECT_EQ(Balance(), 15'500'000);
  EXPECT_EQ(db_->deposits().Assign(999'999'999, key_id_, "x", "test").error().code,
            ErrorCode::kNotFound);
}

}  // namespace
}  // namespace instamarket
