#include <algorithm>
#include <atomic>
#include <cctype>
#include <map>
#include <optional>
#include <chrono>
#include <pqxx/pqxx>
#include <set>
#include <thread>
#include <vector>

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
    NewTopup request;
    request.key_id = key_id_;
    request.network = network_;
    request.requested_amount = Money::FromMicros(micros);
    request.max_surcharge = Money::FromMicros(surcharge);
    request.max_pending_per_key = 1000;
    request.max_unpaid_held_per_key = 1000;
    return request;
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
        network_, expected, scan, Money(),
        [](const std::vector<DepositInput>& d, const MatchCandidates& c) {
          return MatchDeposits(d, c, MatchRules{});
        });
  }

  std::int64_t Balance() { return db_->balances().Get(key_id_)->balance.micros(); }

  // The id of this test network's unmatched deposit (the last listed), 0 when there is none.
  std::int64_t UnmatchedDepositId() {
    auto rows = db_->deposits().List("unmatched", 1000);
    if (!rows.ok()) return 0;
    std::int64_t id = 0;
    for (const auto& r : *rows) {
      if (r.network == network_) id = r.id;
    }
    return id;
  }

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
  // Random amounts above the request, never the bare requested amount.
  EXPECT_GE(*amounts.begin(), 10'010'000);
  EXPECT_LE(*amounts.rbegin(), 11'000'000);
  for (std::int64_t a : amounts) EXPECT_EQ(a % 10'000, 0);
}

// Many keys racing for one narrow band with fee shadows: a value another request took since
// topup_create_begin looked makes the insert skip it; the intent and its other holds are then
// undone and the next amount tried. No value is held twice and no intent is left without its
// holds.
TEST_F(DepositsTest, ConcurrentKeysOnOneBandNeverShareAValue) {
  std::vector<std::int64_t> keys;
  for (int t = 0; t < 8; ++t) keys.push_back(db_->keys().Create("race", false, {}, "test")->id);
  std::atomic<bool> go{false};
  std::atomic<int> created{0}, exhausted{0}, failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      while (!go.load()) std::this_thread::yield();
      for (int i = 0; i < 3; ++i) {
        auto request = Request(14'000'000, 300'000);
        request.key_id = keys[static_cast<std::size_t>(t)];
        request.withdrawal_fee_micros = {1'000'000, 800'000};
        auto intent = db_->topups().Create(request);
        if (intent.ok()) {
          ++created;
        } else if (intent.error().code == ErrorCode::kResourceExhausted) {
          ++exhausted;
        } else {
          ++failures;
          ADD_FAILURE() << intent.error().message;
        }
      }
    });
  }
  go = true;
  for (auto& t : threads) t.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_GT(created.load(), 5);
  pqxx::connection conn(TestDatabaseUrl());
  pqxx::nontransaction q(conn);
  auto holds = q.exec_params1(
      "SELECT count(*), count(DISTINCT amount) FROM amount_holds WHERE network = $1", network_);
  EXPECT_EQ(holds[0].as<int>(), holds[1].as<int>());
  EXPECT_EQ(holds[0].as<int>(), created.load() * 3);
  auto intents = q.exec_params1(
      "SELECT count(*), count(*) FILTER (WHERE NOT EXISTS (SELECT 1 FROM amount_holds h WHERE "
      "h.intent_id = t.id)) FROM topup_intents t WHERE network = $1",
      network_);
  EXPECT_EQ(intents[0].as<int>(), created.load());
  EXPECT_EQ(intents[1].as<int>(), 0);
}

TEST_F(DepositsTest, AmountsAreRandomInTheBand) {
  // 30 intents on 100 free amounts: a counter would give 10.01..10.30 in order.
  std::vector<std::int64_t> amounts;
  for (int i = 0; i < 30; ++i)
    amounts.push_back(db_->topups().Create(Request(10'000'000))->amount.micros());
  EXPECT_FALSE(std::is_sorted(amounts.begin(), amounts.end()));
  EXPECT_GT(*std::max_element(amounts.begin(), amounts.end()), 10'300'000);
  // Never a whole USDT amount (11.00 is in the band): a round payment credits nobody.
  for (std::int64_t a : amounts) EXPECT_NE(a % 1'000'000, 0) << a;
}

TEST_F(DepositsTest, SurchargeLimitIsEnforced) {
  std::set<std::int64_t> given;
  for (int i = 0; i < 2; ++i) {
    auto intent = db_->topups().Create(Request(5'000'000, 20'000));
    ASSERT_TRUE(intent.ok()) << intent.error().message;
    given.insert(intent->amount.micros());
    EXPECT_EQ(intent->requested_amount.micros(), 5'000'000);
  }
  EXPECT_EQ(given, (std::set<std::int64_t>{5'010'000, 5'020'000}));
  auto refused = db_->topups().Create(Request(5'000'000, 20'000));
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, ErrorCode::kResourceExhausted);
  // Allowed by the config, the requested amount itself is the last one left.
  auto exact = Request(5'000'000, 20'000);
  exact.offer_requested_amount = true;
  EXPECT_EQ(db_->topups().Create(exact)->amount.micros(), 5'000'000);
}

TEST_F(DepositsTest, PendingIntentsAreCappedPerKeyAndNetwork) {
  auto capped = Request(20'000'000);
  capped.max_pending_per_key = 3;
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(db_->topups().Create(capped).ok());
  auto refused = db_->topups().Create(capped);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, ErrorCode::kResourceExhausted);
  EXPECT_NE(refused.error().message.find("at most 3"), std::string::npos);
  auto elsewhere = capped;
  elsewhere.network = network_ + "_other";
  EXPECT_TRUE(db_->topups().Create(elsewhere).ok());
  auto other_key = db_->keys().Create("other", false, {}, "test");
  capped.key_id = other_key->id;
  EXPECT_TRUE(db_->topups().Create(capped).ok());
}

// Squatting by cycling: intents left to expire keep their amounts held through the grace and
// the cooldown, so a key may not create 3, let them expire, create 3 more, ...
TEST_F(DepositsTest, ExpiredUnpaidIntentsStillHoldingAmountsAreCapped) {
  auto cycling = Request(20'000'000);
  cycling.max_unpaid_held_per_key = 3;
  cycling.expiry_seconds = 1;
  cycling.expiry_grace_seconds = 3600;  // past expiry, pending in the grace: counted too
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(db_->topups().Create(cycling).ok());
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  auto refused = db_->topups().Create(cycling);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, ErrorCode::kResourceExhausted);
  const std::string& why = refused.error().message;
  EXPECT_NE(why.find("3 top-ups on " + network_ + " not paid in full"), std::string::npos) << why;
  EXPECT_NE(why.find("(at most 3)"), std::string::npos) << why;
  EXPECT_NE(why.find("the first of those holds ends at 20"), std::string::npos) << why;
  // The cap is per key and network, and its value counts.
  auto elsewhere = cycling;
  elsewhere.network = network_ + "_other";
  EXPECT_TRUE(db_->topups().Create(elsewhere).ok());
  auto other_key = cycling;
  other_key.key_id = db_->keys().Create("other", false, {}, "test")->id;
  EXPECT_TRUE(db_->topups().Create(other_key).ok());
  auto higher = cycling;
  higher.max_unpaid_held_per_key = 4;
  EXPECT_TRUE(db_->topups().Create(higher).ok());
  // Past their expiry and grace (0), expired for the sweeper, they still count while held.
  auto expired = cycling;
  expired.expiry_grace_seconds = 0;
  expired.max_unpaid_held_per_key = 4;
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  auto still = db_->topups().Create(expired);
  ASSERT_FALSE(still.ok());
  EXPECT_NE(still.error().message.find("4 top-ups"), std::string::npos) << still.error().message;
}

// The cap counts every intent not paid in full whose amounts are held: pending ones (so a key
// never holds more than the cap) and ones paid short, which a memo payment of 0.01 would make.
TEST_F(DepositsTest, PendingAndShortPaidIntentsCountTowardsTheUnpaidCap) {
  auto request = Request(30'000'000);
  request.max_unpaid_held_per_key = 2;
  auto a = db_->topups().Create(request);
  auto b = db_->topups().Create(request);
  ASSERT_TRUE(a.ok() && b.ok());
  auto refused = db_->topups().Create(request);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.error().message.find("2 top-ups on " + network_ + " not paid in full"),
            std::string::npos)
      << refused.error().message;
  pqxx::connection conn(TestDatabaseUrl());
  pqxx::work paid(conn);
  paid.exec_params("UPDATE topup_intents SET status = 'credited_short' WHERE id = $1::uuid", a->id);
  paid.exec_params("UPDATE topup_intents SET status = 'credited_auto' WHERE id = $1::uuid", b->id);
  paid.commit();
  // Paid in full, b no longer counts; a, paid short, still does.
  ASSERT_TRUE(db_->topups().Create(request).ok());
  EXPECT_FALSE(db_->topups().Create(request).ok());
}

// A concurrent request holds the one free amount, uncommitted, when Create inserts it: Create
// waits, sees the conflict once the other commits, and leaves no intent and no hold behind.
TEST_F(DepositsTest, AnAmountTakenMeanwhileLeavesNothingOfTheAttempt) {
  auto request = Request(11'000'000, 10'000);  // a band of one amount: 11.01
  pqxx::connection other(TestDatabaseUrl());
  pqxx::work rival(other);
  rival.exec_params(R"sql(
      WITH r AS (INSERT INTO amount_reservations (network, amount, label, actor, expires_at)
                 VALUES ($1, 11010000, 'rival', 'test', now() + interval '1 hour') RETURNING id)
      INSERT INTO amount_holds (network, amount, reservation_id, held_until)
      SELECT $1, 11010000, id, now() + interval '1 hour' FROM r)sql",
                    network_);
  Result<TopupIntent> created = MakeError(ErrorCode::kInternal, "not run");
  std::thread client([&] { created = db_->topups().Create(request); });
  std::this_thread::sleep_for(std::chrono::milliseconds(300));  // Create waits on the insert
  rival.commit();
  client.join();
  ASSERT_FALSE(created.ok());
  EXPECT_EQ(created.error().code, ErrorCode::kResourceExhausted) << created.error().message;
  pqxx::work check(other);
  EXPECT_EQ(
      check
          .exec_params1("SELECT count(*) FROM topup_intents WHERE network = $1 AND key_id = $2",
                        network_, key_id_)[0]
          .as<int>(),
      0);
  EXPECT_EQ(check.exec_params1("SELECT count(*) FROM amount_holds WHERE network = $1", network_)[0]
                .as<int>(),
            1);  // the rival's
}

// A hold past its held_until is free for Create at once, whether the sweeper has deleted it or
// not; the sweeper's pass deletes ended holds.
TEST_F(DepositsTest, EndedHoldsAreFreeBeforeTheSweeperDeletesThem) {
  auto once = Request(9'000'000, 10'000);  // a band of one amount: 9.01
  once.expiry_seconds = 1;
  once.expiry_grace_seconds = 0;
  once.amount_cooldown_seconds = 0;
  once.max_unpaid_held_per_key = 1;
  auto first = db_->topups().Create(once);
  ASSERT_TRUE(first.ok()) << first.error().message;
  EXPECT_EQ(first->amount.micros(), 9'010'000);
  EXPECT_EQ(db_->topups().Create(once).error().code, ErrorCode::kResourceExhausted);
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  // The first intent's hold has ended: its amount is given again, and an intent whose holds
  // have ended does not count as unpaid and held.
  auto again = db_->topups().Create(once);
  ASSERT_TRUE(again.ok()) << again.error().message;
  EXPECT_EQ(again->amount.micros(), 9'010'000);

  auto other = Request(9'500'000, 10'000);
  other.expiry_seconds = 1;
  other.expiry_grace_seconds = 0;
  other.amount_cooldown_seconds = 0;
  ASSERT_TRUE(db_->topups().Create(other).ok());
  auto live = db_->topups().Create(Request(9'700'000, 10'000));  // held for hours: stays
  ASSERT_TRUE(live.ok()) << live.error().message;
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  pqxx::connection conn(TestDatabaseUrl());
  auto ended = [&] {
    pqxx::nontransaction q(conn);
    return q
        .exec_params1("SELECT count(*) FROM amount_holds WHERE network = $1 AND held_until < now()",
                      network_)[0]
        .as<int>();
  };
  ASSERT_EQ(ended(), 2);  // 9.01 of the second intent, 9.51
  int deleted = 0;
  for (int pass = 0; pass < 1000; ++pass) {
    auto n = db_->topups().DeleteEndedHolds(1000);
    ASSERT_TRUE(n.ok()) << n.error().message;
    deleted += *n;
    if (*n < 1000) break;
  }
  EXPECT_GE(deleted, 2);
  EXPECT_EQ(ended(), 0);
  pqxx::nontransaction q(conn);
  EXPECT_EQ(q.exec_params1("SELECT count(*) FROM amount_holds WHERE network = $1 AND intent_id = "
                           "$2::uuid",
                           network_, live->id)[0]
                .as<int>(),
            1)
      << "a live hold was deleted";
}

TEST_F(DepositsTest, IdempotencyKeyReplaysOrRefuses) {
  auto request = Request(30'000'000);
  request.idempotency_key = "topup-1";
  request.request_hash = "hash-a";
  auto first = db_->topups().Create(request);
  ASSERT_TRUE(first.ok());
  EXPECT_FALSE(first->replayed);
  auto again = db_->topups().Create(request);
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(again->replayed);
  EXPECT_EQ(again->id, first->id);
  EXPECT_EQ(again->amount, first->amount);
  request.request_hash = "hash-b";
  auto reused = db_->topups().Create(request);
  ASSERT_FALSE(reused.ok());
  EXPECT_EQ(reused.error().code, ErrorCode::kAlreadyExists);
  EXPECT_NE(reused.error().message.find(first->id), std::string::npos);
}

// Every held value (amounts, and amounts less each fee) is distinct on the wallet, however
// the bands overlap, so a deposit of amount - fee is attributable to one intent.
TEST_F(DepositsTest, FeeShadowsNeverCollide) {
  std::set<std::int64_t> held;
  std::vector<TopupIntent> intents;
  for (int i = 0; i < 40; ++i) {
    auto request = Request(10'000'000 + (i % 4) * 500'000, 1'000'000);
    request.withdrawal_fee_micros = {1'000'000, 800'000};
    auto intent = db_->topups().Create(request);
    ASSERT_TRUE(intent.ok()) << intent.error().message;
    for (std::int64_t v : {intent->amount.micros(), intent->amount.micros() - 1'000'000,
                           intent->amount.micros() - 800'000}) {
      EXPECT_TRUE(held.insert(v).second) << v << " held twice";
    }
    intents.push_back(*intent);
  }
  // One exchange withdrawal arrives 1.00 short: it credits that intent, short.
  ASSERT_TRUE(db_->deposits().InitCursor(network_, 1).ok());
  const TopupIntent& paid = intents[17];
  ScanResult scan{3, 4, 2, {Transfer("0xshort", paid.amount.micros() - 1'000'000, 2)}, {}};
  auto outcome = Record(1, scan);
  ASSERT_TRUE(outcome.ok()) << outcome.error().message;
  EXPECT_EQ(outcome->credited, 1);
  EXPECT_EQ(Balance(), paid.amount.micros() - 1'000'000);
  EXPECT_EQ(db_->topups().Get(key_id_, paid.id)->status, "credited_short");
  auto shorts = db_->deposits().List("credited_short", 1000);
  ASSERT_TRUE(shorts.ok());
  ASSERT_EQ(std::count_if(shorts->begin(), shorts->end(),
                          [&](const DepositRow& r) { return r.network == network_; }),
            1);
}

TEST_F(DepositsTest, ReservedAmountsAreNeverGivenToIntentsAndTheirPaymentIsExternal) {
  NewReservation reservation;
  reservation.network = network_;
  reservation.amount = Money::FromMicros(8'020'000);
  reservation.label = "web order 1";
  reservation.actor = "test";
  auto reserved = db_->topups().Reserve(reservation);
  ASSERT_TRUE(reserved.ok()) << reserved.error().message;
  EXPECT_EQ(db_->topups().Reserve(reservation).error().code, ErrorCode::kResourceExhausted);
  // The band 8.01..8.02 has one free amount left; 8.02 is the website's.
  auto intent = db_->topups().Create(Request(8'000'000, 20'000));
  ASSERT_TRUE(intent.ok());
  EXPECT_EQ(intent->amount.micros(), 8'010'000);
  EXPECT_EQ(db_->topups().Create(Request(8'000'000, 20'000)).error().code,
            ErrorCode::kResourceExhausted);
  ASSERT_TRUE(db_->deposits().InitCursor(network_, 1).ok());
  ScanResult scan{3, 4, 2, {Transfer("0xweb", 8'020'000, 2), Transfer("0xweb2", 8'020'000, 2)}, {}};
  auto outcome = Record(1, scan);
  ASSERT_TRUE(outcome.ok()) << outcome.error().message;
  EXPECT_EQ(outcome->credited, 0);
  EXPECT_EQ(Balance(), 0);
  auto paid = db_->topups().GetReservation(reserved->id);
  EXPECT_EQ(paid->status, "paid");
  EXPECT_EQ(paid->deposit_tx_id, "0xweb");
  auto external = db_->deposits().List("external", 1000);
  EXPECT_EQ(std::count_if(external->begin(), external->end(),
                          [&](const DepositRow& r) { return r.network == network_; }),
            1);  // the second payment is finance's: already_credited
}

TEST_F(DepositsTest, AMemoCreditsItsIntentWhateverTheAmount) {
  auto request = Request(12'000'000);
  request.with_memo = true;
  auto intent = db_->topups().Create(request);
  ASSERT_TRUE(intent.ok());
  ASSERT_EQ(intent->payment_memo.size(), 14u);
  EXPECT_EQ(intent->payment_memo.substr(0, 2), "IM");
  ASSERT_TRUE(db_->deposits().InitCursor(network_, 1).ok());
  auto t = Transfer("memo-tx", 11'000'000, 2);
  for (char& c : intent->payment_memo) c = static_cast<char>(std::tolower(c));
  t.memo = " " + intent->payment_memo + " ";
  ASSERT_EQ(Record(1, ScanResult{3, 4, 2, {t}, {}})->credited, 1);
  EXPECT_EQ(Balance(), 11'000'000);
  EXPECT_EQ(db_->topups().Get(key_id_, intent->id)->status, "credited_short");
}

TEST_F(DepositsTest, ACreditedIntentKeepsItsAmountThroughTheCooldown) {
  auto intent = db_->topups().Create(Request(6'000'000, 10'000));
  ASSERT_TRUE(intent.ok());
  ASSERT_TRUE(db_->deposits().InitCursor(network_, 1).ok());
  ASSERT_EQ(Record(1, ScanResult{3, 4, 2, {Transfer("0xpaid", 6'010'000, 2)}, {}})->credited, 1);
  // The only amount of the band is still held: a second payment of it finds the old intent.
  EXPECT_EQ(db_->topups().Create(Request(6'000'000, 10'000)).error().code,
            ErrorCode::kResourceExhausted);
  auto second = Record(3, ScanResult{5, 6, 4, {Transfer("0xagain", 6'010'000, 4)}, {}});
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(second->credited, 0);
  EXPECT_EQ(Balance(), 6'010'000);
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
  const std::int64_t paid = intent->amount.micros();
  ASSERT_EQ(*db_->deposits().InitCursor(network_, 100), 100);
  EXPECT_EQ(*db_->deposits().InitCursor(network_, 5), 100);  // an existing cursor wins

  ScanResult scan{
      111, 113, 110, {Transfer("0xaa", paid, 105), Transfer("0xbb", 3'000'000, 107)}, {}};
  auto first = Record(100, scan);
  ASSERT_TRUE(first.ok()) << first.error().message;
  EXPECT_EQ(first->credited, 1);
  EXPECT_EQ(first->unmatched, 1);
  EXPECT_EQ(Balance(), paid);
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
  EXPECT_EQ(Balance(), paid);
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
  auto rows = db_->deposits().List("unmatched", 1000);
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

// A transfer above the final height shows its intent `confirming` exactly when the deposit
// matcher would credit that intent once the transfer is final: the same tolerance, exchange-fee
// shadows and memos, the memo before the amount, one intent per transfer.
TEST_F(DepositsTest, SightingsMatchLikeDeposits) {
  auto fee_request = Request(20'000'000);
  fee_request.withdrawal_fee_micros = {1'000'000};
  auto by_fee = db_->topups().Create(fee_request);
  auto by_tolerance = db_->topups().Create(Request(30'000'000));
  auto memo_request = Request(40'000'000);
  memo_request.with_memo = true;
  auto by_memo = db_->topups().Create(memo_request);
  auto amount_only = db_->topups().Create(Request(50'000'000));
  auto late = db_->topups().Create(Request(60'000'000));
  ASSERT_TRUE(by_fee.ok() && by_tolerance.ok() && by_memo.ok() && amount_only.ok() && late.ok());
  ASSERT_TRUE(db_->deposits().InitCursor(network_, 10).ok());

  // An exchange withdrawal 1.00 short of its intent's amount.
  auto fee_short = Transfer("0xs-fee", by_fee->amount.micros() - 1'000'000, 12);
  // Three thousandths off, within the network's tolerance of 0.004.
  auto near = Transfer("0xs-near", by_tolerance->amount.micros() + 3'000, 12);
  // Pays amount_only's amount but names by_memo's memo (lower case, blanks): it credits by_memo
  // (the memo decides), so amount_only is not confirming.
  auto memo = Transfer("0xs-memo", amount_only->amount.micros(), 12);
  std::string memo_text = by_memo->payment_memo;
  for (char& c : memo_text) c = static_cast<char>(std::tolower(c));
  memo.memo = "  " + memo_text + " ";
  // Mined long before `late` was created: it credits nothing.
  auto before = Transfer("0xs-before", late->amount.micros(), 12);
  before.block_time -= 600;
  ScanResult seen{11, 13, 10, {}, {fee_short, near, memo, before}};
  auto recorded =
      db_->deposits().RecordScan(network_, ChainCursor{10, ""}, seen, Money::FromMicros(4'000),
                                 [](const std::vector<DepositInput>& d, const MatchCandidates& c) {
                                   MatchRules rules;
                                   rules.tolerance = Money::FromMicros(4'000);
                                   return MatchDeposits(d, c, rules);
                                 });
  ASSERT_TRUE(recorded.ok()) << recorded.error().message;

  auto confirming = [&](const TopupIntent& intent) -> std::string {
    auto now = db_->topups().Get(key_id_, intent.id);
    EXPECT_TRUE(now.ok());
    return now.ok() && now->confirming ? now->confirming->tx_id : "";
  };
  EXPECT_EQ(confirming(*by_fee), "0xs-fee");
  EXPECT_EQ(confirming(*by_tolerance), "0xs-near");
  EXPECT_EQ(confirming(*by_memo), "0xs-memo");
  EXPECT_EQ(confirming(*amount_only), "");
  EXPECT_EQ(confirming(*late), "");
  EXPECT_EQ(Balance(), 0);  // nothing is credited before finality
}

// After a reorg deeper than the finality the cursor goes back (the guard compares, it does not
// order), and the re-scan below the high water flags what vanished, moves what was re-mined,
// credits the replacement once, and never lets a vanished deposit be credited afterwards.
TEST_F(DepositsTest, ADeepReorgRescanFlagsVanishedAndReminedDeposits) {
  auto intent = db_->topups().Create(Request(21'000'000));
  auto replacement = db_->topups().Create(Request(23'000'000));
  ASSERT_TRUE(intent.ok() && replacement.ok());
  const std::int64_t paid = intent->amount.micros();
  ASSERT_TRUE(db_->deposits().InitCursor(network_, 10).ok());
  ScanResult first{20, 22, 19,
                   {Transfer("0xgone", paid, 12), Transfer("0xlost", 4'000'000, 13),
                    Transfer("0xmoved", 5'000'000, 14), Transfer("0xkept", 6'000'000, 16)},
                   {}};
  ASSERT_EQ(Record(10, first)->credited, 1);
  EXPECT_EQ(Balance(), paid);

  // The adapter moves the cursor back to the common ancestor's next block.
  ScanResult rewind{11, 22, 19, {}, {}};
  ASSERT_TRUE(Record(20, rewind).ok());
  EXPECT_EQ(**db_->deposits().LoadCursor(network_), 11);

  // The re-scan of 11..17: 0xgone and 0xlost are not there any more, 0xmoved is one block
  // higher in another block, 0xkept is where it was, a new transfer pays the other intent.
  ScanResult rescan{18, 24, 17,
                    {Transfer("0xmoved", 5'000'000, 15, "0xnewhash15"),
                     Transfer("0xkept", 6'000'000, 16),
                     Transfer("0xnew", replacement->amount.micros(), 12, "0xnewhash12")},
                    {}};
  rescan.rescanning_below = 20;
  auto outcome = Record(11, rescan);
  ASSERT_TRUE(outcome.ok()) << outcome.error().message;
  EXPECT_EQ(outcome->credited, 1);
  ASSERT_EQ(outcome->vanished.size(), 2u);
  ASSERT_EQ(outcome->remined.size(), 1u);
  EXPECT_EQ(outcome->remined[0].tx_id, "0xmoved");
  EXPECT_EQ(outcome->remined[0].block_number, 15);
  std::set<std::string> vanished;
  for (const auto& d : outcome->vanished) vanished.insert(d.tx_id + ":" + d.status);
  EXPECT_EQ(vanished, (std::set<std::string>{"0xgone:credited", "0xlost:unmatched"}));
  // The vanished credit is flagged, not reversed; the replacement is credited once.
  EXPECT_EQ(Balance(), paid + replacement->amount.micros());

  std::map<std::string, std::optional<std::string>> flags;
  std::int64_t lost_id = 0;
  auto listed = db_->deposits().List("reorged", 1000);
  ASSERT_TRUE(listed.ok());
  for (const auto& r : *listed) {
    if (r.network != network_) continue;
    flags[r.tx_id] = r.reorg_status;
    if (r.tx_id == "0xlost") lost_id = r.id;
  }
  EXPECT_EQ(flags, (std::map<std::string, std::optional<std::string>>{
                       {"0xgone", "vanished"}, {"0xlost", "vanished"}, {"0xmoved", "remined"}}));

  // A vanished unmatched deposit can no longer be assigned (nor claimed: the database refuses).
  auto assigned = db_->deposits().Assign(lost_id, key_id_, "ticket", "test");
  ASSERT_FALSE(assigned.ok());
  EXPECT_EQ(assigned.error().code, ErrorCode::kFailedPrecondition);
  {
    pqxx::connection conn(TestDatabaseUrl());
    pqxx::work tx(conn);
    EXPECT_THROW(tx.exec_params("UPDATE deposits SET status = 'assigned' WHERE id = $1", lost_id),
                 pqxx::check_violation);
  }
  EXPECT_EQ(Balance(), paid + replacement->amount.micros());

  // The rest of the re-scan (18..19, below the high water): what is flagged stays flagged once.
  ScanResult rest{20, 24, 19, {}, {}};
  rest.rescanning_below = 20;
  auto again = Record(18, rest);
  ASSERT_TRUE(again.ok()) << again.error().message;
  EXPECT_TRUE(again->vanished.empty());
}

TEST_F(DepositsTest, AssignCreditsAnUnmatchedDepositOnce) {
  ASSERT_TRUE(db_->deposits().InitCursor(network_, 1).ok());
  ScanResult scan{3, 4, 2, {Transfer("0xdd", 15'500'000, 2)}, {}};
  ASSERT_EQ(Record(1, scan)->unmatched, 1);
  const std::int64_t deposit_id = UnmatchedDepositId();
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

// A late deposit names the intent it came late for: Assign credits that one when it is the
// assigned key's and not yet credited, even if another of the key's intents is closer in amount;
// otherwise it guesses by amount as before.
TEST_F(DepositsTest, AssignPrefersTheIntentTheDepositCameLateFor) {
  auto other_key = db_->keys().Create("deposits-test-other", false, {}, "test");
  ASSERT_TRUE(other_key.ok());
  // The deposits first, so that no intent matches them.
  ASSERT_TRUE(db_->deposits().InitCursor(network_, 1).ok());
  ScanResult scan{3,
                  4,
                  2,
                  {Transfer("0xlate1", 9'100'000, 2), Transfer("0xlate2", 9'200'000, 2),
                   Transfer("0xlate3", 9'300'000, 2)},
                  {}};
  ASSERT_EQ(Record(1, scan)->unmatched, 3);
  // `named` is far from every deposit's amount (out of the tenth Assign guesses in), `closer`
  // within it.
  auto named = db_->topups().Create(Request(30'000'000, 500'000));
  auto closer = db_->topups().Create(Request(9'000'000, 500'000));
  NewTopup others_request = Request(9'200'000, 500'000);
  others_request.key_id = other_key->id;
  auto others = db_->topups().Create(others_request);
  ASSERT_TRUE(named.ok() && closer.ok() && others.ok());
  pqxx::connection conn(TestDatabaseUrl());
  auto deposit = [&](const std::string& tx_id) {
    pqxx::nontransaction q(conn);
    return q
        .exec_params1("SELECT id FROM deposits WHERE network = $1 AND tx_id = $2", network_,
                      tx_id)[0]
        .as<std::int64_t>();
  };
  auto name = [&](const std::string& tx_id, const std::string& intent_id) {
    pqxx::nontransaction q(conn);
    q.exec_params(
        "UPDATE deposits SET reason = 'expired', intent_id = $3::uuid "
        "WHERE network = $1 AND tx_id = $2",
        network_, tx_id, intent_id);
  };
  {
    pqxx::nontransaction q(conn);
    q.exec_params("UPDATE topup_intents SET status = 'expired' WHERE id = $1::uuid", named->id);
  }

  name("0xlate1", named->id);
  auto first = db_->deposits().Assign(deposit("0xlate1"), key_id_, "late for it", "test");
  ASSERT_TRUE(first.ok()) << first.error().message;
  EXPECT_EQ(first->intent_id, named->id);
  EXPECT_EQ(db_->topups().Get(key_id_, named->id)->status, "credited_manual");

  // The named intent is credited now: the guess (the closer one).
  name("0xlate2", named->id);
  auto second = db_->deposits().Assign(deposit("0xlate2"), key_id_, "late too", "test");
  ASSERT_TRUE(second.ok()) << second.error().message;
  EXPECT_EQ(second->intent_id, closer->id);

  // Another key's intent is not this key's to close: the guess (none of the key's is left).
  name("0xlate3", others->id);
  auto third = db_->deposits().Assign(deposit("0xlate3"), key_id_, "not theirs", "test");
  ASSERT_TRUE(third.ok()) << third.error().message;
  EXPECT_FALSE(third->intent_id.has_value());
  EXPECT_EQ(db_->topups().Get(other_key->id, others->id)->status, "pending");
}

// An unmatched deposit that names an intent another deposit then credited short (it came late
// for it) is not itself short-paid: not `short_paid`, not in the credited_short list.
TEST_F(DepositsTest, AnUnmatchedDepositIsNeverCreditedShort) {
  auto request = Request(10'000'000, 1'000'000);
  request.withdrawal_fee_micros = {1'000'000};
  auto paid = db_->topups().Create(request);
  ASSERT_TRUE(paid.ok()) << paid.error().message;
  ASSERT_TRUE(db_->deposits().InitCursor(network_, 1).ok());
  ScanResult scan{3,
                  4,
                  2,
                  {Transfer("0xshort", paid->amount.micros() - 1'000'000, 2),
                   Transfer("0xlater", 123'450'000, 2)},
                  {}};
  auto outcome = Record(1, scan);
  ASSERT_TRUE(outcome.ok()) << outcome.error().message;
  ASSERT_EQ(outcome->credited, 1);
  ASSERT_EQ(db_->topups().Get(key_id_, paid->id)->status, "credited_short");
  {
    pqxx::connection conn(TestDatabaseUrl());
    pqxx::nontransaction q(conn);
    q.exec_params(
        "UPDATE deposits SET reason = 'expired', intent_id = $3::uuid "
        "WHERE network = $1 AND tx_id = $2",
        network_, "0xlater", paid->id);
  }
  auto all = db_->deposits().List("all", 1000);
  ASSERT_TRUE(all.ok());
  int seen = 0;
  for (const auto& r : *all) {
    if (r.network != network_) continue;
    ++seen;
    EXPECT_EQ(r.short_paid, r.tx_id == "0xshort") << r.tx_id;
  }
  EXPECT_EQ(seen, 2);
  auto shorts = db_->deposits().List("credited_short", 1000);
  ASSERT_TRUE(shorts.ok());
  std::vector<std::string> short_txs;
  for (const auto& r : *shorts)
    if (r.network == network_) short_txs.push_back(r.tx_id);
  EXPECT_EQ(short_txs, std::vector<std::string>{"0xshort"});
}

// Finance assigns a deposit while the watcher credits the intent Assign would pick with another
// deposit. The watcher's credit holds the row; Assign must not overwrite it once it commits.
TEST_F(DepositsTest, AssignRacingTheWatcherLeavesTheWatchersCreditAlone) {
  auto intent = db_->topups().Create(Request(20'000'000, 500'000));  // at most 20.50
  ASSERT_TRUE(intent.ok()) << intent.error().message;
  ASSERT_LE(intent->amount.micros(), 20'900'000);  // within the tenth Assign looks in
  ASSERT_TRUE(db_->deposits().InitCursor(network_, 1).ok());
  // Within a tenth of the intent's amount (Assign's guess) but not its amount: unmatched.
  ScanResult scan{3, 4, 2, {Transfer("0xrace", 19'000'000, 2)}, {}};
  ASSERT_EQ(Record(1, scan)->unmatched, 1);
  const std::int64_t deposit_id = UnmatchedDepositId();
  ASSERT_NE(deposit_id, 0);

  pqxx::connection watcher(TestDatabaseUrl());
  pqxx::work credit(watcher);
  credit.exec_params("UPDATE topup_intents SET status = 'credited_auto' WHERE id = $1::uuid",
                     intent->id);
  Result<AssignResult> assigned = MakeError(ErrorCode::kInternal, "not run");
  std::thread finance(
      [&] { assigned = db_->deposits().Assign(deposit_id, key_id_, "ticket 9", "test"); });
  std::this_thread::sleep_for(std::chrono::milliseconds(300));  // Assign waits on the row
  credit.commit();
  finance.join();

  ASSERT_TRUE(assigned.ok()) << assigned.error().message;
  EXPECT_FALSE(assigned->intent_id.has_value());
  EXPECT_EQ(Balance(), 19'000'000);
  pqxx::work check(watcher);
  auto row = check.exec_params1(
      "SELECT status, deposit_id IS NULL FROM topup_intents WHERE id = $1::uuid", intent->id);
  EXPECT_EQ(row[0].as<std::string>(), "credited_auto");
  EXPECT_TRUE(row[1].as<bool>());
}

}  // namespace
}  // namespace instamarket
