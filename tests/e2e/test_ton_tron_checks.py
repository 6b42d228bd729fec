"""The TON and Tron checks of issue 14 end to end: instamarketd watching the loopback fake of
each API (fake_chain.py, records built from the real recorded answers in tests/fixtures/chains/),
failing the way real nodes fail.

Tron: a transfer is credited only on a full node's SUCCESS receipt holding its Transfer log
(reverted, out-of-energy and made-up listings never are); two equal transfers in one transaction
are two deposits; the node is asked on `node_rpc` (without TronGrid's key) and a transaction it
does not know yet holds the cursor back; a record listed late, below the cursor, is still taken;
429 with Retry-After and TronGrid's suspension body are waited out on another endpoint.
TON: a transfer from a jetton wallet that the master did not derive (a fake jetton the indexer
lists under USDT), an aborted and a bounced one are never credited; many transfers at one lt,
listed in no particular order, across pages and a kill -9 between pages, each count once; a
lying get_wallet_address answer is not cached (the sender's later deposits are credited).
"""

import os
import re
import subprocess
import sys
import time
from decimal import Decimal

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import harness  # noqa: E402
from deposit_harness import ChainDaemon, wait_until  # noqa: E402
from fake_chain import FIXTURES, FakeChain, random_hex  # noqa: E402

TIMEOUT = 30

TRON_MASTER = "TXJTFuXzfoPbWKCnw47AYxMzgVPUyhJGRd"
TRON_SENDERS = ["TAxbLztoanFhYu4TuS5RabaJYGnUkfzNKG", "TGMTZMty79L9psKi5b4vwXZPJaiCb9k6mV"]
TON_USDT = "0:b113a994b5024a16719f69139328eb759596c38a25f59028b146fecdc3621dfe"
TON_MASTER = "0:169c9367c01c8b4e1471962db32e99e3e4473aafb47e1a6a643a4177a6758f16"
# The recorded transfer's sender: the fake answers get_wallet_address with its real jetton wallet.
TON_SENDERS = ["0:1f5806c73d03bbc96eb7eebf16067f1f2e8e270cfa16d57001aa9eaf7456f008",
               "0:ca6e321c7cce9ecedf0a8ca2492ec8592494aa5fb5ce0387dff96ef6af982a3e"]


def raw(amount):
    return int(Decimal(str(amount)) * 1_000_000)


class ChecksCase(harness.DaemonTestCase):
    KIND = None

    @classmethod
    def setUpClass(cls):
        harness.require_environment()
        cls.network = f"{cls.KIND}_checks_{harness.RUN_ID}"
        cls.chain = FakeChain().start()
        entry = {"id": cls.network, "kind": cls.KIND, "decimals": 6, "poll_interval_ms": 100,
                 "page_size": 2, "start": 0, "rpc_timeout_ms": 5000}
        entry.update(cls.network_keys())
        cls.daemon = ChainDaemon([entry], log={"level": "info"})
        try:
            cls.daemon.start()
        except BaseException:
            cls.daemon.cleanup()
            cls.chain.stop()
            raise

    @classmethod
    def tearDownClass(cls):
        try:
            super().tearDownClass()
        finally:
            cls.chain.stop()

    def deposits(self):
        return self.daemon.deposits(self.network)

    def rows_of(self, tx_id):
        return [r for r in self.deposits() if r["tx_id"] == tx_id]

    def wait_deposit(self, tx_id, count=1):
        return wait_until(lambda: (lambda rows: rows if len(rows) >= count else None)(
            self.rows_of(tx_id)), TIMEOUT, interval=0.2, what=f"deposit {tx_id} is recorded")

    def assertCountedOnce(self):
        keys = [(r["tx_id"], r["index"]) for r in self.deposits()]
        self.assertEqual(len(keys), len(set(keys)), "a transfer was recorded twice")

    def assertNeverCredited(self, txs, marker):
        """`marker`, sent after `txs`, is recorded: a poll read past them all."""
        self.wait_deposit(marker)
        recorded = {r["tx_id"] for r in self.deposits()}
        for tx in txs:
            self.assertNotIn(tx, recorded)


class TronChecksTest(ChecksCase):
    KIND = "tron"
    MODULE = "ton-tron-checks-tron"

    @classmethod
    def network_keys(cls):
        port = cls.chain.server.server_address[1]
        dead = f"http://127.0.0.1:{harness.free_port()}"
        # Two listing endpoints (one host by two names), and the full node apart from them.
        return {"token": "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t", "address": TRON_MASTER,
                "api_key": "grid-key",
                "rpc": [f"http://127.0.0.1:{port}", f"http://localhost:{port}"],
                "node_rpc": [dead, cls.chain.url + "/fullnode"]}

    def send(self, value, sender=0, **kw):
        return self.chain.tron_add(TRON_MASTER, value, TRON_SENDERS[sender], **kw)["transaction_id"]

    def test_1_failed_and_made_up_transactions_are_never_credited(self):
        revert = self.send(raw("5"), receipt="REVERT")
        energy = self.send(raw("6"), receipt="OUT_OF_ENERGY")
        made_up = self.send(raw("7"), listed_only=True)  # the receipt holds no such Transfer
        self.assertNeverCredited([revert, energy, made_up], self.send(raw("0.71")))
        self.assertCountedOnce()

    def test_2_equal_transfers_in_one_transaction_are_two_deposits(self):
        tx = random_hex()
        self.send(raw("3.3"), tx_id=tx)
        self.send(raw("3.3"), tx_id=tx, same_block=True)
        rows = self.wait_deposit(tx, count=2)
        self.assertEqual(sorted(r["index"] for r in rows), [0, 1])  # the logs' positions
        self.assertEqual([Decimal(str(r["amount_usdt"])) for r in rows], [Decimal("3.3")] * 2)
        self.assertCountedOnce()

    def test_3_the_full_node_is_asked_without_the_trongrid_key(self):
        self.wait_deposit(self.send(raw("0.73")))
        node_paths = [p for _, _, p in self.chain.tron_hosts if "gettransactioninfobyid" in p]
        self.assertTrue(node_paths)
        self.assertEqual({p for p in node_paths},
                         {"/fullnode/walletsolidity/gettransactioninfobyid"})
        self.assertEqual(set(self.chain.tron_node_keys), {None})

    def test_3b_with_node_rpc_no_warning_about_it(self):
        with open(self.daemon.log_path, "rb") as f:
            self.assertNotIn("no node_rpc", f.read().decode("utf-8", "replace"))

    def test_4_a_transaction_the_node_does_not_know_yet_holds_the_cursor(self):
        tx = random_hex()
        self.chain.tron_not_on_node.add(tx)
        self.send(raw("4.1"), tx_id=tx)
        after = self.send(raw("4.2"), sender=1)
        asked = lambda: sum(1 for _, _, p in self.chain.tron_hosts if "fullnode" in p)
        before = asked()
        wait_until(lambda: asked() >= before + 4, TIMEOUT, interval=0.1,
                   what="the node is asked again and again")
        self.assertEqual(self.rows_of(tx), [])
        self.assertEqual(self.rows_of(after), [])  # nothing recorded past it
        self.chain.tron_not_on_node.discard(tx)
        self.wait_deposit(tx)
        self.wait_deposit(after)
        self.assertCountedOnce()

    def test_5_a_record_listed_late_below_the_cursor_is_still_taken(self):
        self.wait_deposit(self.send(raw("0.75")))
        # Listed only now, 90 s below the newest block timestamp taken.
        late = self.send(raw("0.76"), sender=1, ms_behind=90_000)
        self.wait_deposit(late)
        self.assertCountedOnce()

    def test_6_429_with_retry_after_is_waited_out(self):
        served = self.chain.errors_served
        self.chain.tron_fail(2, 429, '{"Error": "too many requests"}', {"Retry-After": "1"})
        self.chain.tron_fail(1, 429, '{"Error": "too many requests"}', {"Retry-After": "1"},
                             node=True)
        tx = self.send(raw("0.77"))
        self.wait_deposit(tx)
        self.assertEqual(self.chain.errors_served - served, 3)
        self.assertCountedOnce()

    def test_7_trongrids_suspension_body_is_honoured_on_another_endpoint(self):
        with open(os.path.join(FIXTURES, "tron-rate-limit.json")) as f:
            body = f.read()  # "... the query server is suspended for 30s", 403
        failed = len(self.chain.tron_failed_hosts)
        self.chain.tron_fail(1, 403, body)
        tx = self.send(raw("0.78"))
        wait_until(lambda: len(self.chain.tron_failed_hosts) > failed, TIMEOUT, interval=0.1,
                   what="the suspension is served")
        since = time.monotonic()
        suspended = self.chain.tron_failed_hosts[-1]
        other = "localhost" if suspended == "127.0.0.1" else "127.0.0.1"
        self.wait_deposit(tx)
        after = self.send(raw("0.79"))
        self.wait_deposit(after)
        listing = lambda host: [p for p in self.chain.tron_requests_to(host, since)
                                if "/transactions/trc20" in p]
        self.assertEqual(listing(suspended), [])  # left alone for its 30 s
        self.assertGreater(len(listing(other)), 0)
        self.assertCountedOnce()


    def sql(self, query):
        url, env = harness.psql_target(harness.database_url())
        return subprocess.run(["psql", url, "-XAtq", "-v", "ON_ERROR_STOP=1", "-c", query],
                              env=env, check=True, capture_output=True, text=True).stdout.strip()

    def test_8_a_cursor_from_before_the_wider_window_takes_nothing_taken_before(self):
        # Written with a 60 s window, a cursor holds the keys of 60 s only: what lies further
        # below was taken then, under the old deposit key, and must not be taken again.
        self.wait_deposit(self.send(raw("0.87")))
        self.assertEqual(self.daemon.stop(), 0)
        where = "network = '%s'" % self.network
        position = int(self.sql(f"SELECT position FROM chain_cursors WHERE {where}"))
        state = self.sql(f"SELECT position_state FROM chain_cursors WHERE {where}")
        self.assertIn("~window180@", state)
        legacy = " ".join(e for e in state.split() if not e.startswith("~window180@"))
        self.sql(f"UPDATE chain_cursors SET position_state = '{legacy}' WHERE {where}")
        old = self.chain.tron_add(TRON_MASTER, raw("0.88"), TRON_SENDERS[1])
        with self.chain.lock:
            old["block_timestamp"] = position - 120_000  # in the new window, not in the old
        self.daemon.start()
        self.wait_deposit(self.send(raw("0.89")))
        self.assertEqual(self.rows_of(old["transaction_id"]), [])
        state = self.sql(f"SELECT position_state FROM chain_cursors WHERE {where}")
        self.assertTrue(re.search(r"~window180@\d+", state), state)


class TonChecksTest(ChecksCase):
    KIND = "ton"
    MODULE = "ton-tron-checks-ton"

    @classmethod
    def network_keys(cls):
        dead = f"http://127.0.0.1:{harness.free_port()}"
        return {"token": TON_USDT, "address": TON_MASTER, "rpc": [dead, cls.chain.url]}

    def send(self, amount, sender=0, **kw):
        return self.chain.ton_add(TON_MASTER, amount, TON_SENDERS[sender], TON_USDT,
                                  **kw)["transaction_hash"]

    def test_1_fake_jettons_aborted_and_bounced_transfers_are_never_credited(self):
        # Listed under USDT's master, sent from a wallet another master derived.
        fake = self.send(raw("5"), wallet_master="0:" + "cd" * 32)
        aborted = self.send(raw("6"), aborted=True)
        bounced = self.send(raw("7"), bounced=True)
        self.assertNeverCredited([fake, aborted, bounced], self.send(raw("0.81")))
        self.assertCountedOnce()

    def test_2_the_recorded_senders_real_jetton_wallet_is_credited(self):
        # Sender 0: the recorded transfer's, whose real jetton wallet the fake's master answers.
        tx = self.send(raw("0.82"), sender=0)
        self.assertEqual(self.chain.ton[-1]["source_wallet"],
                         "0:B7F5CD75F68A8F91A07E7E203CFC429F7A33F6E3F232282344C8A154B2F5EC7C")
        self.wait_deposit(tx)

    def test_3_equal_lt_transfers_across_pages_and_a_kill_count_once(self):
        self.assertEqual(self.daemon.stop(), 0)
        self.chain.ton_shuffle_ties = True
        # 20 at one lt: more than one poll's 8 pages of 2, listed in a new order every time.
        sent = [self.send(raw(f"1.{i:02d}"), sender=i % 2, same_lt=i > 0) for i in range(20)]
        self.chain.hold_pages_from(2)
        self.daemon.start()
        self.assertTrue(self.chain.wait_held(TIMEOUT), "the watcher never asked for page 2")
        self.daemon.sigkill()  # while its request for page 2 is held
        self.chain.release()
        self.daemon.start()
        for tx in sent:
            self.wait_deposit(tx)
        self.assertCountedOnce()
        rows = [r for r in self.deposits() if r["tx_id"] in sent]
        self.assertEqual(sorted(Decimal(str(r["amount_usdt"])) for r in rows),
                         [Decimal(f"1.{i:02d}") for i in range(20)])

    def test_4_a_lying_wallet_answer_does_not_drop_the_senders_later_deposits(self):
        sender = "0:" + "ab" * 32  # asked for the first time here
        self.chain.ton_wallet_lies = 1
        lied_about = self.chain.ton_add(TON_MASTER, raw("0.83"), sender,
                                        TON_USDT)["transaction_hash"]
        self.assertNeverCredited([lied_about], self.send(raw("0.84"), sender=0))
        self.assertEqual(self.chain.ton_wallet_lies, 0, "the lie was never asked for")
        # The mismatch was not cached: the sender's next deposit is asked again, and credited.
        self.wait_deposit(self.chain.ton_add(TON_MASTER, raw("0.85"), sender,
                                             TON_USDT)["transaction_hash"])

    def test_5_a_transfer_without_its_sender_holds_the_feed_until_the_index_names_it(self):
        record = self.chain.ton_add(TON_MASTER, raw("0.86"), TON_SENDERS[0], TON_USDT)
        with self.chain.lock:
            source = record.pop("source")  # the index left it out
        after = self.send(raw("0.87"))
        asked = self.chain.count("/api/v3/jetton/transfers")
        wait_until(lambda: self.chain.count("/api/v3/jetton/transfers") >= asked + 5, TIMEOUT,
                   interval=0.1, what="the listing is asked again")
        self.assertEqual(self.rows_of(record["transaction_hash"]), [])
        self.assertEqual(self.rows_of(after), [], "the feed went on past an unusable record")
        with self.chain.lock:
            record["source"] = source
        self.wait_deposit(record["transaction_hash"])
        self.wait_deposit(after)


del ChecksCase

if __name__ == "__main__":
    harness.main()
