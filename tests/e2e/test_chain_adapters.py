"""The Tron, TON and Solana adapters end to end: instamarketd watching a loopback fake of each
chain's API (fake_chain.py, records built from real recorded answers), through the same
watcher, matching and finance path as EVM.

For each kind: a transfer credits a top-up intent through the REST API; one without an intent
shows in `admin deposits list --unmatched` with the right amount, sender and tx id; spam (zero
values, fake tokens, failed or aborted transactions, a record listed twice) is never counted;
a rate limit (429, or TronGrid's 403 "suspended") is waited out; paging reaches the last page,
and a kill -9 in the middle of paging loses and doubles nothing; `start: latest` skips what was
there before. Every network lists a dead endpoint first, so each request also fails over.
"""

import json
import os
import re
import sys
from decimal import Decimal

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import harness  # noqa: E402
from deposit_harness import ChainDaemon, exact, wait_until  # noqa: E402
from fake_chain import FakeChain, associated_token_account, random_hex  # noqa: E402
import requests  # noqa: E402

TIMEOUT = 30
PAGE_SIZE = 2

TRON_USDT = "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t"
TRON_MASTER = "TXJTFuXzfoPbWKCnw47AYxMzgVPUyhJGRd"
TRON_SENDERS = ["TAxbLztoanFhYu4TuS5RabaJYGnUkfzNKG", "TGMTZMty79L9psKi5b4vwXZPJaiCb9k6mV",
                "TUwgGpDrVBc3uDZg3Tj9BZZN8xkLK29yzH"]
TON_USDT_FRIENDLY = "EQCxE6mUtQJKFnGfaROTKOt1lZbDiiX1kCixRv7Nw2Id_sDs"
TON_USDT = "0:b113a994b5024a16719f69139328eb759596c38a25f59028b146fecdc3621dfe"
TON_MASTER = "0:169c9367c01c8b4e1471962db32e99e3e4473aafb47e1a6a643a4177a6758f16"
TON_SENDERS = ["0:1f5806c73d03bbc96eb7eebf16067f1f2e8e270cfa16d57001aa9eaf7456f008",
               "0:ca6e321c7cce9ecedf0a8ca2492ec8592494aa5fb5ce0387dff96ef6af982a3e",
               "0:9cd72602375abc26cf963ea03693c902045afd9c36cea35f23d2fb07d9d8714d"]
SOL_USDT = "Es9vMFrzaCERmJfrF4H2FYD4KCoNkY11McCe8BenwNYB"
SOL_USDC = "EPjFWdd5AufqSSqeM2qN1xzybapC8G4wEGGkZwyTDt1v"
SOL_OWNER = "3i476kTBBTy7pBGx4CXwJpJ6phuwLQgcwLTdHhU3c7ui"
SOL_SENDERS = ["8fusVwhgo4oS1fGpZKeRaXrJXQk9auKnAgcj9A97wR3t",
               "5d21Nx19eZBThbExCn1ESAk3RGmE8Rdp9PKMWZ2VedSK",
               "FG4Y3yX4AAchp1HvNZ7LfzFTewF2f6nDoMDCohTFrdpT"]


def raw(amount):
    return int(Decimal(str(amount)) * 1_000_000)


class AdapterCase(harness.DaemonTestCase):
    """One fake chain and one daemon watching it per kind. Subclasses say how to put a transfer
    on their chain (`send`) and which spam it can carry (`send_spam`)."""

    KIND = None
    RATE_LIMIT = (429, '{"Error": "too many requests"}')

    @classmethod
    def setUpClass(cls):
        harness.require_environment()
        cls.network = f"{cls.KIND}_{harness.RUN_ID}"
        cls.latest_network = f"{cls.KIND}_latest_{harness.RUN_ID}"
        cls.chain = FakeChain().start()
        # There before the daemon: `start: latest` must skip it, `start: 0` must not.
        cls.old_tx = cls.send(raw("9.09"), sender=2)
        dead = f"http://127.0.0.1:{harness.free_port()}"  # nothing listens: fail over
        entries = []
        for network, start in ((cls.network, 0), (cls.latest_network, "latest")):
            entry = {"id": network, "kind": cls.KIND, "rpc": [dead, cls.chain.url],
                     "decimals": 6, "poll_interval_ms": 100, "page_size": PAGE_SIZE,
                     "start": start, "rpc_timeout_ms": 5000}
            entry.update(cls.network_keys())
            entries.append(entry)
        # One network per daemon: one daemon watching one token at one address twice is refused
        # (each transfer would be recorded twice); two daemons, one network each, share the
        # database as two instances would.
        cls.daemon = ChainDaemon(entries[:1], log={"level": "info"})
        cls.latest_daemon = ChainDaemon(entries[1:], log={"level": "info"})
        try:
            cls.daemon.start()
            cls.latest_daemon.start()
        except BaseException:
            cls.daemon.cleanup()
            cls.latest_daemon.cleanup()
            cls.chain.stop()
            raise

    @classmethod
    def tearDownClass(cls):
        try:
            try:
                cls.latest_daemon.stop_and_check()
            finally:
                cls.latest_daemon.cleanup()
            super().tearDownClass()
        finally:
            cls.chain.stop()

    # ----- helpers -------------------------------------------------------------------------

    def intent(self, key, amount):
        body = '{"amount_usdt": %s, "network": "%s"}' % (amount, self.network)
        r = self.daemon.post("/balance/topup", key=key, data=body,
                             headers={"Content-Type": "application/json"})
        self.assertJson(r)
        return exact(r)

    def deposits(self, unmatched=False, network=None):
        return self.daemon.deposits(network or self.network, unmatched=unmatched)

    def wait_deposit(self, tx_id, network=None):
        def row():
            rows = [r for r in self.deposits(network=network) if r["tx_id"] == tx_id]
            return rows[0] if rows else None
        return wait_until(row, TIMEOUT, interval=0.2, what=f"deposit {tx_id} is recorded")

    def assertCountedOnce(self):
        keys = [(r["tx_id"], r["index"]) for r in self.deposits()]
        self.assertEqual(len(keys), len(set(keys)), "a transfer was recorded twice")

    # ----- the tests (run in name order) -----------------------------------------------------

    def test_1_a_transfer_credits_its_intent_and_another_is_kept_for_finance(self):
        key = self.daemon.create_key(harness.label(self.KIND, "credit"))
        intent = self.intent(key["api_key"], "12.5")
        tx = self.send(raw(intent["amount_usdt"]), sender=0)
        def credited():
            r = self.daemon.get(f"/balance/topup/{intent['topup_id']}", key=key["api_key"])
            return exact(r) if r.json().get("status") == "credited_auto" else None
        wait_until(credited, TIMEOUT, what="the top-up is credited")
        balance = exact(self.daemon.get("/balance", key=key["api_key"]))
        self.assertEqual(balance["balance_usdt"], intent["amount_usdt"])
        row = self.wait_deposit(tx)
        self.assertEqual(row["status"], "credited")
        self.assertEqual(row["key_id"], key["key_id"])

        lost = self.send(raw("3.21"), sender=1, memo="invoice 77")
        row = self.wait_deposit(lost)
        unmatched = {r["tx_id"]: r for r in self.deposits(unmatched=True)}
        self.assertIn(lost, unmatched)
        row = unmatched[lost]
        self.assertEqual(Decimal(str(row["amount_usdt"])), Decimal("3.21"))
        self.assertEqual(row["from"], self.SENDERS[1])
        self.assertEqual(row["reason"], "no_intent")
        self.check_memo(row, "invoice 77")
        self.assertCountedOnce()
        # Operators see who watches and how long deposits take to be recorded.
        metrics = requests.get(self.daemon.base + "/metrics", timeout=10).text
        self.assertIn(f'instamarket_watcher_leader{{network="{self.network}"}} 1', metrics)
        counts = re.findall(r'instamarket_deposit_record_seconds_count\{network="%s"\} (\d+)'
                            % self.network, metrics)
        self.assertTrue(counts and int(counts[0]) >= 2, counts)
        seen = re.findall(r'instamarket_deposits_total\{network="%s",outcome="seen"\} (\d+)'
                          % self.network, metrics)
        self.assertTrue(seen and int(seen[0]) >= 2, seen)

    def test_2_spam_and_failed_transfers_are_never_counted(self):
        spam = self.send_spam()
        marker = self.send(raw("0.77"), sender=2)
        self.wait_deposit(marker)
        recorded = {r["tx_id"] for r in self.deposits()}
        for tx in spam:
            self.assertNotIn(tx, recorded)
        self.assertCountedOnce()

    def test_3_a_rate_limit_is_waited_out(self):
        status, body = self.RATE_LIMIT
        served = self.chain.errors_served
        self.chain.fail(4, status, body)
        tx = self.send(raw("1.01"), sender=0)
        self.wait_deposit(tx)
        self.assertEqual(self.chain.errors_served - served, 4)

    def test_4_a_kill_in_the_middle_of_paging_loses_and_doubles_nothing(self):
        self.assertEqual(self.daemon.stop(), 0)
        sent = [self.send(raw(f"2.0{i}"), sender=i % 3) for i in range(7)]  # 4 pages of 2
        self.chain.hold_pages_from(self.HOLD_PAGE)
        self.daemon.start()
        self.assertTrue(self.chain.wait_held(TIMEOUT), "the watcher never asked for a later page")
        self.daemon.sigkill()
        self.chain.release()
        self.daemon.start()
        for tx in sent:
            self.wait_deposit(tx)
        self.assertCountedOnce()
        rows = [r for r in self.deposits() if r["tx_id"] in sent]
        self.assertEqual(sorted(Decimal(str(r["amount_usdt"])) for r in rows),
                         [Decimal(f"2.0{i}") for i in range(7)])

    def test_6_start_latest_skips_what_was_there_before(self):
        tx = self.send(raw("8.08"), sender=1)
        self.wait_deposit(tx, network=self.latest_network)
        self.wait_deposit(self.old_tx)  # start: 0 found it
        latest = [r["tx_id"] for r in self.deposits(network=self.latest_network)]
        self.assertNotIn(self.old_tx, latest)

    def check_memo(self, row, memo):
        self.assertIsNone(row["memo"])


class TronTest(AdapterCase):
    KIND = "tron"
    MODULE = "chain-tron"
    SENDERS = TRON_SENDERS
    HOLD_PAGE = 2
    # TronGrid's temporary suspension, as its docs show it.
    RATE_LIMIT = (403, '{"Success":false,"Error":"The key exceeds the frequency limit(15), and '
                       'the query server is suspended for 1s","StatusCode":403}')

    @classmethod
    def network_keys(cls):
        return {"token": TRON_USDT, "address": TRON_MASTER, "api_key": "test-key"}

    @classmethod
    def send(cls, value, sender, memo=None):
        return cls.chain.tron_add(TRON_MASTER, value, cls.SENDERS[sender])["transaction_id"]

    def send_spam(self):
        c = self.chain
        zero = c.tron_add(TRON_MASTER, 0, TRON_SENDERS[0])["transaction_id"]
        # A token of its own that calls itself USDT.
        fake = c.tron_add(TRON_MASTER, raw("5"), TRON_SENDERS[1],
                          token="TGg7zHY9qd36aN3jLVDDRuiFeJjaaAtx8A")["transaction_id"]
        approval = c.tron_add(TRON_MASTER, raw("6"), TRON_SENDERS[1], type_="Approval")["transaction_id"]
        # Listed twice: unconfirmed, then confirmed (TronGrid does this); must count once.
        twice = random_hex()
        c.tron_add(TRON_MASTER, raw("4.44"), TRON_SENDERS[2], tx_id=twice, unconfirmed=True)
        c.tron_add(TRON_MASTER, raw("4.44"), TRON_SENDERS[2], tx_id=twice, same_block=True)
        self.addCleanup(lambda: self.assertEqual(
            [r["tx_id"] for r in self.deposits()].count(twice), 1))
        return [zero, fake, approval]

    def test_5_the_api_key_header_is_sent(self):
        self.assertEqual(self.chain.api_keys_seen, {"test-key"})

    def test_7_without_node_rpc_a_warning_says_trongrid_confirms_its_own_listing(self):
        with open(self.daemon.log_path, "rb") as f:
            log = f.read().decode("utf-8", "replace")
        self.assertIn("no node_rpc", log)


class MemoTests:
    """For chains that carry a comment (TON, Solana): the intent's payment_memo credits it
    whatever the amount, and a memo naming nothing leaves the amount to decide."""

    def test_8_the_payment_memo_credits_its_intent_whatever_the_amount(self):
        key = self.daemon.create_key(harness.label(self.KIND, "memo"))
        intent = self.intent(key["api_key"], "21")
        memo = intent["payment_memo"]
        self.assertRegex(memo, r"^IM[0-9A-Z]{12}$")
        # Sent short and in lower case, with blanks: what a person types into a wallet.
        tx = self.send(raw("20.5"), sender=0, memo=f" {memo.lower()} ")
        def credited():
            r = self.daemon.get(f"/balance/topup/{intent['topup_id']}", key=key["api_key"])
            return exact(r) if r.json().get("status") == "credited_short" else None
        got = wait_until(credited, TIMEOUT, what="the memo credits the top-up")
        self.assertEqual(got["deposit"]["amount_usdt"], Decimal("20.5"))
        balance = exact(self.daemon.get("/balance", key=key["api_key"]))
        self.assertEqual(balance["balance_usdt"], Decimal("20.5"))
        row = self.wait_deposit(tx)
        self.assertEqual((row["status"], row["matched_by"], row["key_id"]),
                         ("credited", "memo", key["key_id"]), row)
        # The memo again: a second payment, kept for finance.
        again = self.send(raw("1"), sender=0, memo=memo)
        row = self.wait_deposit(again)
        self.assertEqual((row["status"], row["reason"]), ("unmatched", "already_credited"), row)

    def test_9_without_its_memo_the_amount_still_matches(self):
        key = self.daemon.create_key(harness.label(self.KIND, "memo-amount"))
        intent = self.intent(key["api_key"], "22")
        tx = self.send(raw(intent["amount_usdt"]), sender=1, memo="thanks!")
        row = self.wait_deposit(tx)
        self.assertEqual((row["status"], row["matched_by"]), ("credited", "amount"), row)


class TonTest(MemoTests, AdapterCase):
    KIND = "ton"
    MODULE = "chain-ton"
    SENDERS = TON_SENDERS
    HOLD_PAGE = 2

    @classmethod
    def network_keys(cls):
        # The jetton master in user-friendly form, the wallet in raw form: both are accepted.
        return {"token": TON_USDT_FRIENDLY, "address": TON_MASTER}

    @classmethod
    def send(cls, value, sender, memo=None):
        return cls.chain.ton_add(TON_MASTER, value, cls.SENDERS[sender], TON_USDT,
                                 comment=memo)["transaction_hash"]

    def send_spam(self):
        c = self.chain
        return [
            c.ton_add(TON_MASTER, 0, TON_SENDERS[0], TON_USDT)["transaction_hash"],
            c.ton_add(TON_MASTER, raw("5"), TON_SENDERS[1], "0:" + "ab" * 32)["transaction_hash"],
            c.ton_add(TON_MASTER, raw("6"), TON_SENDERS[1], TON_USDT, aborted=True)["transaction_hash"],
        ]

    def check_memo(self, row, memo):
        self.assertEqual(row["memo"], memo)  # finance sees the comment

    def test_7_a_transfer_listed_late_below_the_cursor_is_still_taken(self):
        newest = self.send(raw("0.51"), sender=0)
        self.wait_deposit(newest)
        # Another shard's block reaches the index later, with a lower lt than one taken.
        late = self.chain.ton_add(TON_MASTER, raw("0.52"), TON_SENDERS[1], TON_USDT,
                                  lt_behind=3_000_000)["transaction_hash"]
        self.wait_deposit(late)
        self.assertCountedOnce()


class SolanaTest(MemoTests, AdapterCase):
    KIND = "solana"
    MODULE = "chain-solana"
    SENDERS = SOL_SENDERS
    HOLD_PAGE = 1  # getSignaturesForAddress with `before`
    TOKEN_ACCOUNT = associated_token_account(SOL_OWNER, SOL_USDT)

    @classmethod
    def network_keys(cls):
        return {"token": SOL_USDT, "address": SOL_OWNER}  # token account derived by the daemon

    @classmethod
    def send(cls, value, sender, memo=None):
        return cls.chain.solana_add(cls.TOKEN_ACCOUNT, SOL_OWNER, SOL_USDT, value,
                                    cls.SENDERS[sender], memo=memo)["signature"]

    def send_spam(self):
        c = self.chain
        return [
            c.solana_add(self.TOKEN_ACCOUNT, SOL_OWNER, SOL_USDT, raw("5"), SOL_SENDERS[0],
                         failed=True)["signature"],
            # Another mint arriving at an account listed under our token account's address.
            c.solana_add(self.TOKEN_ACCOUNT, SOL_OWNER, SOL_USDC, raw("6"), SOL_SENDERS[1])["signature"],
            c.solana_add(self.TOKEN_ACCOUNT, SOL_OWNER, SOL_USDT, 0, SOL_SENDERS[1], pre=raw("1"))["signature"],
        ]

    def check_memo(self, row, memo):
        self.assertEqual(row["memo"], memo)  # an spl-memo in the transaction

    def test_7_a_memo_with_control_characters_does_not_stop_the_watcher(self):
        odd = self.send(raw("0.61"), sender=0, memo="pay\u0000me\nnow")
        row = self.wait_deposit(odd)
        self.assertEqual(row["memo"], "pay me now")
        after = self.send(raw("0.62"), sender=1)
        self.wait_deposit(after)


# Only the subclasses are tests: the base class would be collected too (and, run without a KIND,
# be reported as a skip).
del AdapterCase

if __name__ == "__main__":
    harness.main()
