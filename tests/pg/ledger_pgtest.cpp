#include <atomic>
#include <pqxx/pqxx>
#include <thread>

#include "ledger/ledger_entry.h"
#include "pg_test_env.h"

namespace instamarket {
namespace {

class LedgerTest : public PgTest {
 protected:
  std::int64_t NewKey() {
    auto key = db_->keys().Create("ledger-test", false, {}, "test");
    EXPECT_TRUE(key.ok());
    return key->id;
  }

  // The invariant, checked straight in SQL: every client account's cached balance and total
  // equals the sum of its postings (system accounts keep no cache: always 0), every
  // transaction sums to zero, no client balance is negative.
  void ExpectLedgerInvariant() {
    pqxx::connection conn(TestDatabaseUrl());
    pqxx::nontransaction tx(conn);
    auto drift = tx.exec1(R"sql(
      SELECT count(*) FROM ledger_accounts a
       WHERE (a.key_id IS NULL AND (a.balance, a.total_topup) <> (0, 0))
          OR a.key_id IS NOT NULL AND a.balance <> COALESCE((SELECT sum(amount) FROM ledger_postings p
                                     WHERE p.account_id = a.id), 0)
          OR a.key_id IS NOT NULL AND a.total_topup <> COALESCE((SELECT sum(p.amount) FROM ledger_postings p
                 JOIN ledger_transactions t ON t.id = p.transaction_id
                WHERE p.account_id = a.id AND t.kind IN ('topup', 'manual_credit')), 0))sql");
    EXPECT_EQ(drift[0].as<int>(), 0) << "cached balances drifted from the postings";
    auto unbalanced = tx.exec1(
        "SELECT count(*) FROM (SELECT transaction_id FROM ledger_postings GROUP BY 1 "
        "HAVING sum(amount) <> 0) u");
    EXPECT_EQ(unbalanced[0].as<int>(), 0);
    auto negative =
        tx.exec1("SELECT count(*) FROM ledger_accounts WHERE key_id IS NOT NULL AND balance < 0");
    EXPECT_EQ(negative[0].as<int>(), 0);
  }
};

TEST_F(LedgerTest, MigratingAgainChangesNothing) {
  auto again = db_->Migrate();
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(again->empty());
}

TEST_F(LedgerTest, ManualCreditShowsInBalanceAndTotals) {
  std::int64_t key = NewKey();
  auto credit = db_->balances().ManualCredit(key, Money::FromMicros(12'340'000), "test",
                                             "test:" + std::to_string(UniqueId()), "test");
  ASSERT_TRUE(credit.ok()) << credit.error().message;
  EXPECT_EQ(credit->balance.micros(), 12'340'000);
  auto balance = db_->balances().Get(key);
  ASSERT_TRUE(balance.ok());
  EXPECT_EQ(balance->balance.micros(), 12'340'000);
  EXPECT_EQ(balance->total_topup.micros(), 12'340'000);
  EXPECT_EQ(balance->total_spent.micros(), 0);
  ExpectLedgerInvariant();
}

TEST_F(LedgerTest, SameIdempotencyKeyCreditsOnceUnderConcurrency) {
  std::int64_t key = NewKey();
  std::string idempotency_key = "test:" + std::to_string(UniqueId());
  std::atomic<int> fresh{0}, replayed{0}, failed{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&] {
      auto r = db_->balances().ManualCredit(key, Money::FromMicros(5'000'000), "race",
                                            idempotency_key, "test");
      if (!r.ok()) {
        // A loser of the unique-key race may see the violation instead of the replay.
        (r.error().code == ErrorCode::kAlreadyExists ? replayed : failed) += 1;
      } else {
        (r->replayed ? replayed : fresh) += 1;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(fresh.load(), 1);
  EXPECT_EQ(replayed.load(), 7);
  EXPECT_EQ(failed.load(), 0);
  EXPECT_EQ(db_->balances().Get(key)->balance.micros(), 5'000'000);
  ExpectLedgerInvariant();
}

TEST_F(LedgerTest, OverdraftIsRefusedAndChangesNothing) {
  std::int64_t key = NewKey();
  ASSERT_TRUE(db_->balances()
                  .ManualCredit(key, Money::FromMicros(1'000'000), "seed",
                                "test:" + std::to_string(UniqueId()), "test")
                  .ok());
  pqxx::connection conn(TestDatabaseUrl());
  {
    pqxx::work tx(conn);
    tx.exec(
        "INSERT INTO ledger_accounts (code) VALUES ('system:test_sales') ON CONFLICT DO NOTHING");
    tx.commit();
  }
  LedgerEntry debit{"test:" + std::to_string(UniqueId()),
                    "order_debit",
                    "too much",
                    {{KeyAccountCode(key), Money::FromMicros(-1'000'001)},
                     {"system:test_sales", Money::FromMicros(1'000'001)}}};
  bool refused = false;
  try {
    pqxx::work tx(conn);
    auto posted = PostEntry(tx, debit);
    tx.commit();
    (void)posted;
  } catch (const pqxx::check_violation&) {
    refused = true;
  }
  EXPECT_TRUE(refused);
  EXPECT_EQ(db_->balances().Get(key)->balance.micros(), 1'000'000);

  // The exact balance can be spent.
  debit.idempotency_key = "test:" + std::to_string(UniqueId());
  debit.postings = {{KeyAccountCode(key), Money::FromMicros(-1'000'000)},
                    {"system:test_sales", Money::FromMicros(1'000'000)}};
  pqxx::work tx(conn);
  auto posted = PostEntry(tx, debit);
  ASSERT_TRUE(posted.ok());
  tx.commit();
  auto balance = db_->balances().Get(key);
  EXPECT_EQ(balance->balance.micros(), 0);
  EXPECT_EQ(balance->total_spent.micros(), 1'000'000);
  ExpectLedgerInvariant();
}

TEST_F(LedgerTest, DatabaseRefusesUnbalancedAndChangedPostings) {
  std::int64_t key = NewKey();
  pqxx::connection conn(TestDatabaseUrl());
  // Bypassing PostEntry: the deferred trigger still refuses an unbalanced transaction.
  EXPECT_THROW(
      {
        pqxx::work tx(conn);
        auto id =
            tx.exec1("INSERT INTO ledger_transactions (idempotency_key, kind) VALUES ('test:" +
                     std::to_string(UniqueId()) + "', 'manual_credit') RETURNING id")[0]
                .as<std::int64_t>();
        tx.exec("INSERT INTO ledger_postings (transaction_id, account_id, amount) SELECT " +
                std::to_string(id) +
                ", id, 1000 FROM ledger_accounts WHERE key_id = " + std::to_string(key));
        tx.commit();
      },
      pqxx::sql_error);
  EXPECT_EQ(db_->balances().Get(key)->balance.micros(), 0);

  ASSERT_TRUE(db_->balances()
                  .ManualCredit(key, Money::FromMicros(3), "seed",
                                "test:" + std::to_string(UniqueId()), "test")
                  .ok());
  EXPECT_THROW(
      {
        pqxx::work tx(conn);
        tx.exec("UPDATE ledger_postings SET amount = amount * 2");
        tx.commit();
      },
      pqxx::sql_error);
  ExpectLedgerInvariant();
}

TEST_F(LedgerTest, PostEntryValidatesBeforeWriting) {
  pqxx::connection conn(TestDatabaseUrl());
  pqxx::work tx(conn);
  LedgerEntry unbalanced{"test:" + std::to_string(UniqueId()),
                         "manual_credit",
                         "",
                         {{"system:manual_credits", Money::FromMicros(-5)},
                          {"system:manual_credits", Money::FromMicros(4)}}};
  EXPECT_EQ(PostEntry(tx, unbalanced).error().code, ErrorCode::kInvalidArgument);
  LedgerEntry unknown{
      "test:" + std::to_string(UniqueId()),
      "manual_credit",
      "",
      {{"system:nope", Money::FromMicros(-5)}, {"system:manual_credits", Money::FromMicros(5)}}};
  EXPECT_THROW((void)PostEntry(tx, unknown), std::invalid_argument);
}

}  // namespace
}  // namespace instamarket
