#include <algorithm>
#include <ctime>
#include <vector>

#include "pg_test_env.h"
#include "watcher/amount_matcher.h"
#include "watcher/reconciliation.h"

namespace instamarket {
namespace {

// A chain whose wallet history is a list of transfers: its balance before a position is what
// came in minus what went out below it.
class ScriptedChain final : public ChainAdapter {
 public:
  Result<ChainCursor> InitialCursor() override { return ChainCursor{0}; }
  Result<ChainBatch> Poll(const ChainCursor&) override {
    return MakeError(ErrorCode::kUnavailable, "not a watcher's adapter");
  }
  Result<ChainAmount> WalletBalanceBefore(std::int64_t position) override {
    ++balance_calls;
    if (unavailable) return MakeError(ErrorCode::kUnavailable, "node down");
    std::int64_t sum = opening;
    for (const auto& t : incoming)
      if (t.block_number < position) sum += std::stoll(t.amount.raw);
    for (const auto& t : outgoing)
      if (t.block_number < position) sum -= std::stoll(t.amount.raw);
    return ChainAmount{std::to_string(sum), 6};
  }
  Result<std::vector<Transfer>> TransfersBetween(std::int64_t from, std::int64_t to,
                                                 TransferDirection direction) override {
    if (unavailable) return MakeError(ErrorCode::kUnavailable, "node down");
    std::vector<Transfer> out;
    for (const auto& t : direction == TransferDirection::kIncoming ? incoming : outgoing) {
      if (t.block_number >= from && t.block_number <= to) out.push_back(t);
    }
    return out;
  }

  static Transfer Make(const std::string& tx, std::int64_t micros, std::int64_t block) {
    Transfer t;
    t.tx_id = tx;
    t.from = "0xsender";
    t.to = "0xmaster";
    t.amount = ChainAmount{std::to_string(micros), 6};
    t.block_number = block;
    t.block_hash = "0xhash" + std::to_string(block);
    return t;
  }

  std::int64_t opening = 0;
  std::vector<Transfer> incoming, outgoing;
  bool unavailable = false;
  int balance_calls = 0;
};

class ReconciliationTest : public PgTest {
 protected:
  void SetUp() override {
    PgTest::SetUp();
    network_.id = "recon_net_" + std::to_string(UniqueId());
    network_.kind = "evm";
    network_.start = "0";
    network_.decimals = 6;
    network_.max_block_range = 1000;
    ASSERT_TRUE(db_->deposits().InitCursor(network_.id, ChainCursor{0}).ok());
  }

  static DepositInput AsDeposit(const Transfer& t) {
    DepositInput d;
    d.tx_id = t.tx_id;
    d.event_index = t.event_index;
    d.from = t.from;
    d.to = t.to;
    d.raw_amount = t.amount.raw;
    d.amount = Money::FromMicros(std::stoll(t.amount.raw));
    d.block_number = t.block_number;
    d.block_hash = t.block_hash;
    d.block_time = std::time(nullptr);
    return d;
  }

  // The watcher's scan from the cursor to `to` (exclusive), recording `transfers`.
  void Scan(std::int64_t to, const std::vector<Transfer>& transfers) {
    auto cursor = db_->deposits().LoadCursor(network_.id);
    ASSERT_TRUE(cursor.ok() && cursor->has_value());
    ScanResult scan;
    scan.new_cursor = ChainCursor{to};
    for (const auto& t : transfers) scan.final_transfers.push_back(AsDeposit(t));
    auto recorded = db_->deposits().RecordScan(
        network_.id, **cursor, scan, Money(),
        [](const std::vector<DepositInput>& d, const MatchCandidates& c) {
          return MatchDeposits(d, c, MatchRules{});
        });
    ASSERT_TRUE(recorded.ok()) << recorded.error().message;
  }

  ReconciliationRun Reconcile() {
    Reconciler reconciler(db_->deposits(), db_->reconciliation());
    auto run = reconciler.Run(network_, chain_, "test");
    EXPECT_TRUE(run.ok()) << run.error().message;
    return run.ok() ? *run : ReconciliationRun{};
  }

  NetworkConfig network_;
  ScriptedChain chain_;
};

TEST_F(ReconciliationTest, AWalletWhoseTransfersAreAllRecordedIsClean) {
  chain_.incoming = {ScriptedChain::Make("0xa", 100'000'000, 2),
                     ScriptedChain::Make("0xb", 50'000'000, 5)};
  chain_.outgoing = {ScriptedChain::Make("0xsweep", 30'000'000, 7)};
  Scan(10, chain_.incoming);
  auto run = Reconcile();
  EXPECT_EQ(run.drift_raw, "0");
  EXPECT_EQ(run.chain_raw, "120000000");
  EXPECT_EQ(run.incoming_raw, "150000000");
  EXPECT_EQ(run.outgoing_raw, "30000000");  // read from the chain and recorded
  EXPECT_EQ(run.baseline.position, 0);       // the config's start block
  EXPECT_EQ(run.position, 10);
  EXPECT_TRUE(run.lines.empty());
  // Run again: the outgoing transfer is not recorded twice.
  auto again = Reconcile();
  EXPECT_EQ(again.outgoing_raw, "30000000");
  EXPECT_EQ(again.drift_raw, "0");
  auto listed = db_->reconciliation().List(network_.id, 10);
  ASSERT_TRUE(listed.ok());
  ASSERT_EQ(listed->size(), 2u);
  EXPECT_EQ(listed->front().id, again.id);  // newest first
}

TEST_F(ReconciliationTest, ADepositTheWatcherMissedIsTheDriftAndItsLine) {
  chain_.incoming = {ScriptedChain::Make("0xa", 100'000'000, 2)};
  Scan(10, chain_.incoming);
  EXPECT_EQ(Reconcile().drift_raw, "0");
  // A transfer at block 12 that the watcher's node never listed: the cursor passed it.
  chain_.incoming.push_back(ScriptedChain::Make("0xmissed", 20'500'000, 12));
  Scan(20, {});
  auto run = Reconcile();
  EXPECT_EQ(run.drift_raw, "20500000");
  EXPECT_EQ(run.unexplained_raw, "0");
  ASSERT_EQ(run.lines.size(), 1u);
  EXPECT_EQ(run.lines[0].kind, "unrecorded_incoming");
  EXPECT_EQ(run.lines[0].transfer.tx_id, "0xmissed");
  EXPECT_EQ(run.lines[0].transfer.block_number, 12);
  EXPECT_EQ(run.lines[0].effect_raw, "20500000");
  // Stored as it was returned.
  auto listed = db_->reconciliation().List(std::nullopt, 1000);
  ASSERT_TRUE(listed.ok());
  auto it = std::find_if(listed->begin(), listed->end(),
                         [&](const ReconciliationRun& r) { return r.network == network_.id; });
  ASSERT_NE(it, listed->end());
  EXPECT_EQ(it->id, run.id);
  ASSERT_EQ(it->lines.size(), 1u);
  EXPECT_EQ(it->lines[0].transfer.tx_id, "0xmissed");
}

TEST_F(ReconciliationTest, ADepositTheChainDoesNotHaveIsNamed) {
  chain_.incoming = {ScriptedChain::Make("0xa", 100'000'000, 2)};
  // The ledger recorded a transfer no chain has (a lying node, or a block that vanished).
  Scan(10, {chain_.incoming[0], ScriptedChain::Make("0xfake", 7'000'000, 4)});
  auto run = Reconcile();
  EXPECT_EQ(run.drift_raw, "-7000000");
  EXPECT_EQ(run.unexplained_raw, "0");
  ASSERT_EQ(run.lines.size(), 1u);
  EXPECT_EQ(run.lines[0].kind, "incoming_not_on_chain");
  EXPECT_EQ(run.lines[0].transfer.tx_id, "0xfake");
  EXPECT_EQ(run.lines[0].effect_raw, "-7000000");
}

TEST_F(ReconciliationTest, AnAmountTheLedgerHasWrongIsBothLines) {
  chain_.incoming = {ScriptedChain::Make("0xa", 100'000'000, 2)};
  Scan(10, {ScriptedChain::Make("0xa", 100'000'001, 2)});
  auto run = Reconcile();
  EXPECT_EQ(run.drift_raw, "-1");
  EXPECT_EQ(run.unexplained_raw, "0");
  ASSERT_EQ(run.lines.size(), 2u);
}

TEST_F(ReconciliationTest, AWatchFromLatestCountsFromTheFirstRun) {
  network_.start = "latest";
  chain_.opening = 1'000'000'000;  // what the wallet held before we watched it
  chain_.incoming = {ScriptedChain::Make("0xold", 5'000'000, 1)};  // before the watch
  Scan(3, {});
  auto first = Reconcile();
  EXPECT_EQ(first.baseline.position, 3);
  EXPECT_EQ(first.baseline.raw_balance, "1005000000");
  EXPECT_EQ(first.drift_raw, "0");
  chain_.incoming.push_back(ScriptedChain::Make("0xnew", 2'000'000, 4));
  Scan(6, {chain_.incoming.back()});
  auto second = Reconcile();
  EXPECT_EQ(second.drift_raw, "0");
  EXPECT_EQ(second.incoming_raw, "2000000");
}

TEST_F(ReconciliationTest, ANodeThatIsDownSavesNothing) {
  Scan(10, {});
  chain_.unavailable = true;
  Reconciler reconciler(db_->deposits(), db_->reconciliation());
  auto run = reconciler.Run(network_, chain_, "test");
  ASSERT_FALSE(run.ok());
  EXPECT_EQ(run.error().code, ErrorCode::kUnavailable);
  auto listed = db_->reconciliation().List(network_.id, 10);
  ASSERT_TRUE(listed.ok());
  EXPECT_TRUE(listed->empty());
}

TEST_F(ReconciliationTest, AChainKindWithoutSupportSaysSo) {
  class Unsupported final : public ChainAdapter {
   public:
    Result<ChainCursor> InitialCursor() override { return ChainCursor{0}; }
    Result<ChainBatch> Poll(const ChainCursor&) override {
      return MakeError(ErrorCode::kUnavailable, "unused");
    }
  } unsupported;
  Scan(10, {});
  Reconciler reconciler(db_->deposits(), db_->reconciliation());
  auto run = reconciler.Run(network_, unsupported, "test");
  ASSERT_FALSE(run.ok());
  EXPECT_EQ(run.error().code, ErrorCode::kFailedPrecondition);
  EXPECT_NE(run.error().message.find("not supported"), std::string::npos);
}

TEST_F(ReconciliationTest, ANetworkNeverScannedIsNotReconciled) {
  network_.id += "_unscanned";
  Reconciler reconciler(db_->deposits(), db_->reconciliation());
  auto run = reconciler.Run(network_, chain_, "test");
  ASSERT_FALSE(run.ok());
  EXPECT_EQ(run.error().code, ErrorCode::kFailedPrecondition);
}

TEST_F(ReconciliationTest, ATransactionRecordedUnderAnotherIndexIsRecordedOnce) {
  // A transaction re-mined in another block (a deep reorg) has other log indexes; a node that
  // numbers logs differently too. Either way one transfer must not be recorded twice.
  auto first = ScriptedChain::Make("0xdup", 5'000'000, 3);
  first.event_index = 5;
  Scan(5, {first});
  auto moved = first;
  moved.event_index = 17;
  moved.block_number = 6;
  moved.block_hash = "0xother";
  Scan(10, {moved});
  auto count = [&] {
    auto rows = db_->deposits().List("all", 100000);
    EXPECT_TRUE(rows.ok());
    int n = 0;
    for (const auto& r : *rows) n += r.network == network_.id && r.tx_id == "0xdup";
    return n;
  };
  EXPECT_EQ(count(), 1);

  // The second look, reading it under a third index, records nothing either.
  ASSERT_TRUE(db_->deposits().InitSecondLook(network_.id, 0).ok());
  auto third = first;
  third.event_index = 9;
  auto looked = db_->deposits().RecordSecondLook(
      network_.id, 0, 10, {AsDeposit(third)}, Money(),
      [](const std::vector<DepositInput>& d, const MatchCandidates& c) {
        return MatchDeposits(d, c, MatchRules{});
      });
  ASSERT_TRUE(looked.ok()) << looked.error().message;
  EXPECT_EQ(looked->credited + looked->unmatched, 0);
  EXPECT_EQ(count(), 1);
  // Two transfers of one transaction in one batch are two deposits, as always.
  auto a = ScriptedChain::Make("0xpair", 1'000'000, 11);
  auto b = a;
  b.event_index = 1;
  Scan(12, {a, b});
  auto rows = db_->deposits().List("all", 100000);
  ASSERT_TRUE(rows.ok());
  int pair = 0;
  for (const auto& r : *rows) pair += r.network == network_.id && r.tx_id == "0xpair";
  EXPECT_EQ(pair, 2);
}

}  // namespace
}  // namespace instamarket
