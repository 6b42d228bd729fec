"""EVM nodes that lie, lag, are pruned or rate-limit: instamarketd against a ganache devnet
(devnet/devnet.js) behind devnet/fault_proxy.py, which rewrites the real answers.

What must hold whatever a node answers: the daemon stays up, nothing fake is credited, the
cursor never moves past blocks the answering node did not have, and every real deposit is
credited exactly once when an honest node answers again. Each class has its own devnet, proxies
and daemon (`python3 test_evm_node_faults.py LaggingNodeTest`).
"""

import time

import harness
import deposit_harness
from deposit_harness import ChainDaemon, ChainTestCase, FaultProxy, wait_until
from order_harness import psql


def setUpModule():
    harness.require_environment()
    deposit_harness.install_devnet()


def cursor_of(network):
    """The network's stored cursor position (the first block not yet scanned), or None."""
    rows = psql(f"SELECT position FROM chain_cursors WHERE network = '{network}'")
    return int(rows[0][0]) if rows else None


class ProxiedChainTest(ChainTestCase):
    """A ChainTestCase whose networks read the devnet through fault proxies (cls.proxies, made in
    make_networks with cls.proxy(...)), stopped with the class."""

    TOKENS = (6,)

    @classmethod
    def proxy(cls, devnet, **kw):
        p = FaultProxy(devnet.rpc, **kw).start()
        cls.proxies.append(p)
        return p

    @classmethod
    def setUpClass(cls):
        cls.proxies = []
        try:
            super().setUpClass()
        except BaseException:
            cls.stop_proxies()
            raise

    @classmethod
    def tearDownClass(cls):
        try:
            super().tearDownClass()
        finally:
            cls.stop_proxies()

    @classmethod
    def stop_proxies(cls):
        for p in cls.proxies:
            p.stop()

    def pay(self, name, amount=15, decimals=6):
        """A key with an intent on net(decimals), paid on the devnet; (key, intent, receipt)."""
        key = self.new_key(name)["api_key"]
        created = self.intent(key, amount, network=self.net(decimals))
        tx = self.devnet.transfer(str(created["amount_usdt"]), token=decimals, sender=1)
        return key, created, tx

    def assert_up(self, key):
        r = self.daemon.get("/health", key=key, timeout=5)
        self.assertEqual(r.status_code, 200, r.text)
        self.assertIsNone(self.daemon.proc.poll(), "the daemon exited")

    def wait_stat(self, proxy, counter, above, what):
        """Waits until proxy's `counter` exceeds `above` (the daemon asked and got that answer)."""
        return wait_until(lambda: proxy.stats()[counter] > above, 30, what=what)


class MalformedLogTest(ProxiedChainTest):
    """The proxy drops one field from every log of real eth_getLogs answers: the range is
    refused and asked again (never skipped, never a crash) until the answers are whole."""

    MODULE = "evm-malformed"
    NETWORK_PREFIX = "emal"

    @classmethod
    def make_networks(cls, devnet):
        cls.faulty = cls.proxy(devnet)
        return [deposit_harness.network_entry(devnet, cls.NETWORK_PREFIX, 6,
                                              rpc=[cls.faulty.url], rpc_timeout_ms=1000)]

    def test_a_log_without_a_field_is_retried_until_whole(self):
        for field in ("transactionHash", "logIndex", "address", "topics", "data", "blockHash",
                      "blockNumber"):
            with self.subTest(field=field):
                before = self.faulty.stats()["dropfield"]
                self.faulty.configure(fault_rate=1.0, faults=["dropfield"], drop_field=field)
                key, created, tx = self.pay(field)
                self.settle()
                self.wait_stat(self.faulty, "dropfield", before + 2,
                               f"the daemon read logs without {field} twice")
                self.assert_up(key)
                self.assertEqual(self.rows_of(tx["tx_hash"]), [])
                self.assertLessEqual(cursor_of(self.net()), tx["block_number"])
                self.faulty.configure(fault_rate=0.0)
                got = self.wait_status(key, created["topup_id"], "credited_auto")
                self.assertEqual(got["deposit"]["tx_id"], tx["tx_hash"])
                self.assertEqual(got["deposit"]["amount_usdt"], created["amount_usdt"])
                self.assertEqual(len(self.rows_of(tx["tx_hash"])), 1)


class LaggingNodeTest(ProxiedChainTest):
    """A node behind (blocks above head - 5 hidden, eth_blockNumber truthful, as behind a load
    balancer) answers [] for the hidden blocks: that answer never moves the cursor.

    6 decimals: [lagging proxy, healthy proxy]; 18 decimals: the lagging proxy alone."""

    MODULE = "evm-lagging"
    NETWORK_PREFIX = "elag"
    TOKENS = (6, 18)
    LAG = 5

    @classmethod
    def make_networks(cls, devnet):
        cls.lagging = cls.proxy(devnet)
        cls.lagging.configure(lag=cls.LAG)
        cls.healthy = cls.proxy(devnet, fault_rate=1.0, faults="500")  # down until a test says
        cls.lagging_alone = cls.proxy(devnet)
        cls.lagging_alone.configure(lag=cls.LAG)
        return [
            deposit_harness.network_entry(devnet, cls.NETWORK_PREFIX, 6,
                                          rpc=[cls.lagging.url, cls.healthy.url],
                                          rpc_timeout_ms=1000),
            deposit_harness.network_entry(devnet, cls.NETWORK_PREFIX, 18,
                                          rpc=[cls.lagging_alone.url], rpc_timeout_ms=1000),
        ]

    def test_1_the_next_endpoint_serves_what_the_lagging_one_hides(self):
        key, created, tx = self.pay("failover", decimals=6)
        self.settle()  # final now, and within the lagging node's hidden top 5
        hidden = self.lagging.stats()["hidden"]
        self.wait_stat(self.lagging, "hidden", hidden + 1, "the lagging node hid a block")
        # While only the lagging node answers, the cursor stays at or below the deposit's block.
        self.assertLessEqual(cursor_of(self.net(6)), tx["block_number"])
        self.assertEqual(self.rows_of(tx["tx_hash"], self.net(6)), [])
        self.healthy.configure(fault_rate=0.0)
        got = self.wait_status(key, created["topup_id"], "credited_auto")
        self.assertEqual(got["deposit"]["tx_id"], tx["tx_hash"])
        self.assertEqual(len(self.rows_of(tx["tx_hash"], self.net(6))), 1)
        self.assertGreater(cursor_of(self.net(6)), tx["block_number"])

    def test_2_alone_the_lagging_endpoint_never_moves_the_cursor_past_it(self):
        key, created, tx = self.pay("alone", decimals=18)
        self.settle()
        hidden = self.lagging_alone.stats()["hidden"]
        self.wait_stat(self.lagging_alone, "hidden", hidden + 2,
                       "the daemon asked the lagging node for hidden blocks twice")
        self.assert_up(key)
        self.assertLessEqual(cursor_of(self.net(18)), tx["block_number"])
        self.assertEqual(self.rows_of(tx["tx_hash"], self.net(18)), [])
        # The node catches up: the deposit was never skipped.
        self.lagging_alone.configure(lag=0)
        got = self.wait_status(key, created["topup_id"], "credited_auto")
        self.assertEqual(got["deposit"]["tx_id"], tx["tx_hash"])


class PrunedNodeTest(ProxiedChainTest):
    """A pruned node (no blocks or logs below a height) answers [] for what it dropped: the
    scan from block 0 goes to the next endpoint, and never past the pruned blocks without it."""

    MODULE = "evm-pruned"
    NETWORK_PREFIX = "eprn"

    @classmethod
    def make_networks(cls, devnet):
        cls.pruned = cls.proxy(devnet)
        cls.pruned.configure(pruned_below=1000)  # everything the test makes
        cls.full = cls.proxy(devnet, fault_rate=1.0, faults="500")
        return [deposit_harness.network_entry(devnet, cls.NETWORK_PREFIX, 6,
                                              rpc=[cls.pruned.url, cls.full.url],
                                              rpc_timeout_ms=1000)]

    def test_pruned_blocks_are_read_from_the_full_node(self):
        key, created, tx = self.pay("pruned")
        self.settle()
        hidden = self.pruned.stats()["hidden"]
        self.wait_stat(self.pruned, "hidden", hidden + 2, "the pruned node hid blocks twice")
        self.assertEqual(cursor_of(self.net()), 0)  # `start: 0`, never moved
        self.full.configure(fault_rate=0.0)
        got = self.wait_status(key, created["topup_id"], "credited_auto")
        self.assertEqual(got["deposit"]["tx_id"], tx["tx_hash"])


class RateLimitTest(ProxiedChainTest):
    """The first endpoint answers every eth_getLogs with Infura's rate limit in an HTTP 200
    (Retry-After: 1): the request goes to the second endpoint with the range unchanged (before,
    the text read as "range too large" and the range shrank on the same endpoint to nothing)."""

    MODULE = "evm-ratelimit"
    NETWORK_PREFIX = "erl"

    @classmethod
    def make_networks(cls, devnet):
        cls.limited = cls.proxy(devnet, fault_rate=1.0, faults="ratelimit")
        cls.second = cls.proxy(devnet)
        return [deposit_harness.network_entry(devnet, cls.NETWORK_PREFIX, 6,
                                              rpc=[cls.limited.url, cls.second.url],
                                              rpc_timeout_ms=1000)]

    def test_a_rate_limit_fails_over_without_shrinking_the_range(self):
        key, created, tx = self.pay("limited")
        self.settle()
        got = self.wait_status(key, created["topup_id"], "credited_auto")
        self.assertEqual(got["deposit"]["tx_id"], tx["tx_hash"])
        self.assertGreater(self.limited.stats()["ratelimit"], 0)
        # The first scan (from `start: 0` to the final height the daemon saw at start, about
        # block 10: the devnet deploys and mints in 12) reached the second endpoint whole.
        ranges = self.second.stats()["logs_ranges"]
        self.assertTrue(ranges, "the second endpoint was never asked for logs")
        first = ranges[0]
        self.assertEqual(first[0], 0, ranges)
        self.assertGreaterEqual(first[1], 8, ranges)
        self.assertFalse(any(r[0] == 0 and r[1] < first[1] for r in ranges), ranges)


class RetryAfterTest(ProxiedChainTest):
    """An endpoint that answers HTTP 429 or a JSON-RPC rate limit in a 200 body, both with
    Retry-After: 1, is not asked again for that second (before, a rate limit in a 200 body
    benched it for the usual 100-200 ms)."""

    MODULE = "evm-retryafter"
    NETWORK_PREFIX = "era"

    @classmethod
    def make_networks(cls, devnet):
        cls.node = cls.proxy(devnet)
        return [deposit_harness.network_entry(devnet, cls.NETWORK_PREFIX, 6, rpc=[cls.node.url],
                                              rpc_timeout_ms=1000)]

    def test_retry_after_is_honoured(self):
        key, created, tx = self.pay("retry")
        # Every request refused (429), then every eth_getLogs (a rate limit in a 200 body;
        # each poll asks for logs, if only for the sightings above the final height).
        for kind in ("429", "ratelimit"):
            before = self.node.stats()[kind]
            self.node.configure(fault_rate=1.0, faults=[kind])
            self.wait_stat(self.node, kind, before + 3, f"three {kind} answers")
        self.node.configure(fault_rate=0.0)
        self.settle()
        self.wait_status(key, created["topup_id"], "credited_auto")
        events = self.node.stats()["events"]
        gaps = {"429": [], "ratelimit": []}
        for (t, kind), (t_next, _) in zip(events, events[1:]):
            if kind in gaps:
                gaps[kind].append(t_next - t)
        self.assertTrue(gaps["429"] and gaps["ratelimit"], events)
        for kind, after in gaps.items():
            self.assertGreaterEqual(min(after), 0.95, (kind, after))


class RangeLimitTest(ProxiedChainTest):
    """A node that refuses eth_getLogs over more than 3 blocks (as real nodes do, by the range
    asked): the scan shrinks to at most 3 blocks and still credits every deposit once."""

    MODULE = "evm-range"
    NETWORK_PREFIX = "erng"
    K = 3
    CONFIG = {"topups": {"max_pending_per_key": 10}}

    @classmethod
    def make_networks(cls, devnet):
        cls.node = cls.proxy(devnet)
        cls.node.configure(max_range=cls.K)
        return [deposit_harness.network_entry(devnet, cls.NETWORK_PREFIX, 6, rpc=[cls.node.url],
                                              rpc_timeout_ms=1000)]

    def test_the_scan_shrinks_to_what_the_node_serves(self):
        key = self.new_key("range")["api_key"]
        intents = [self.intent(key, 20 + i) for i in range(6)]
        self.daemon.stop()  # the transfers pile up: the next scan asks for all their blocks
        sent = [self.devnet.transfer(str(t["amount_usdt"]), token=6, sender=i % 5 + 1)
                for i, t in enumerate(intents)]
        self.settle()
        refused = self.node.stats()["range_refused"]
        self.daemon.start()
        for t, tx in zip(intents, sent):
            got = self.wait_status(key, t["topup_id"], "credited_auto")
            self.assertEqual(got["deposit"]["tx_id"], tx["tx_hash"])
        self.assertGreater(self.node.stats()["range_refused"], refused)
        served = [r for r in self.node.stats()["logs_ranges"] if r[1] - r[0] + 1 <= self.K]
        self.assertTrue(served)
        self.assertBalance(key, sum(t["amount_usdt"] for t in intents))
        for tx in sent:
            self.assertEqual(len(self.rows_of(tx["tx_hash"])), 1)


class IdentityTest(ProxiedChainTest):
    """The token's decimals() and the chain id are checked before the first scan: a proven
    mismatch stops `serve`; a node unreachable at start delays recording until it answers.
    Mints to the master count; zero-value transfers never do."""

    MODULE = "evm-identity"
    NETWORK_PREFIX = "eid"

    @classmethod
    def make_networks(cls, devnet):
        cls.node = cls.proxy(devnet)
        return [deposit_harness.network_entry(devnet, cls.NETWORK_PREFIX, 6, rpc=[cls.node.url],
                                              rpc_timeout_ms=1000)]

    def test_wrong_decimals_refuse_to_start(self):
        wrong = [dict(self.networks[0], id=self.networks[0]["id"] + "_dec", decimals=18)]
        d = ChainDaemon(wrong)
        self.addCleanup(d.cleanup)
        with self.assertRaises(AssertionError) as refused:
            d.start()
        self.assertIn("exited with 1", str(refused.exception))
        self.assertIn("says decimals() = 6, the config 18", str(refused.exception))

    def test_a_node_unreachable_at_start_records_once_it_answers(self):
        down = self.proxy(self.devnet, fault_rate=1.0, faults="500")
        net = dict(self.networks[0], id=self.networks[0]["id"] + "_late", rpc=[down.url],
                   address=self.devnet.other)
        d = ChainDaemon([net])
        self.addCleanup(d.cleanup)
        d.start()  # starts although nothing is verified
        tx = self.devnet.transfer("3.5", token=6, sender=2, to="other")
        self.devnet.mine(2)
        self.wait_stat(down, "500", 5, "the daemon kept asking the unreachable node")
        rows = lambda: [r for r in d.deposits(net["id"]) if r["tx_id"] == tx["tx_hash"]]
        self.assertEqual(rows(), [])
        with open(d.log_path, errors="replace") as f:
            self.assertIn("cannot verify the chain id and token decimals yet", f.read())
        series = f'instamarket_chain_identity_verified{{network="{net["id"]}"}}'
        self.assertIn(series + " 0", self.metrics(d))
        down.configure(fault_rate=0.0)
        got = wait_until(rows, 30, what="the deposit is recorded once the node answers")
        self.assertEqual(len(got), 1)
        self.assertIn(series + " 1", self.metrics(d))
        d.stop()

    @staticmethod
    def metrics(daemon):
        return harness.requests.get(daemon.base + "/metrics", timeout=10).text

    def test_a_mint_to_the_master_is_a_deposit(self):
        key = self.new_key("mint")["api_key"]
        created = self.intent(key, 12)
        minted = self.devnet.command("mint", "--token", 6, "--to", "master",
                                     "--amount", str(created["amount_usdt"]))
        self.assertEqual(minted["from"], "0x" + "0" * 40)
        self.settle()
        got = self.wait_status(key, created["topup_id"], "credited_auto")
        self.assertEqual(got["deposit"]["tx_id"], minted["tx_hash"])
        self.assertBalance(key, created["amount_usdt"])

    def test_a_zero_value_transfer_is_never_a_deposit(self):
        zero = self.devnet.transfer("0", token=6, sender=3)
        after = self.devnet.transfer("1.25", token=6, sender=3)  # a later block
        self.settle()
        self.wait_deposit(after["tx_hash"])  # so zero's block was scanned too
        self.assertEqual(self.rows_of(zero["tx_hash"]), [])


class SeveralInOneBlockTest(ChainTestCase):
    """Several Transfers in one block (separate transactions) and in one transaction (distinct
    log indexes): each credited once, and once only after kill -9 and a rescan of that block."""

    MODULE = "evm-oneblock"
    NETWORK_PREFIX = "eblk"
    TOKENS = (6,)
    CONFIG = {"topups": {"max_pending_per_key": 10}}

    def test_each_transfer_of_one_block_is_credited_once(self):
        key = self.new_key("oneblock")["api_key"]
        intents = [self.intent(key, 30 + i) for i in range(5)]
        amounts = [str(t["amount_usdt"]) for t in intents]
        block = self.devnet.command("transfers", "--token", 6, "--from", 1, "--to", "master",
                                    "--amounts", ",".join(amounts[:3]))
        one_tx = self.devnet.command("transfers", "--token", 6, "--from", 2, "--to", "master",
                                     "--amounts", ",".join(amounts[3:]), "--one-tx", "true")
        self.assertEqual(len({t["tx_hash"] for t in one_tx["transfers"]}), 1)
        self.assertEqual([t["log_index"] for t in block["transfers"]], [0, 1, 2])
        self.assertEqual([t["log_index"] for t in one_tx["transfers"]], [0, 1])
        sent = block["transfers"] + one_tx["transfers"]
        self.settle()
        for t, tx in zip(intents, sent):
            got = self.wait_status(key, t["topup_id"], "credited_auto")
            self.assertEqual((got["deposit"]["tx_id"], got["deposit"]["amount_usdt"]),
                             (tx["tx_hash"], t["amount_usdt"]))
        total = sum(t["amount_usdt"] for t in intents)
        self.assertBalance(key, total)
        rows = self.daemon.deposits(self.net())
        keys = sorted((r["tx_id"], r["index"]) for r in rows
                      if r["tx_id"] in {t["tx_hash"] for t in sent})
        self.assertEqual(keys, sorted((t["tx_hash"], t["log_index"]) for t in sent))
        # kill -9, and the cursor back before the block (as after a crash before the commit):
        # the rescan finds all five recorded.
        self.daemon.sigkill()
        first = min(block["block_number"], one_tx["block_number"])
        psql(f"UPDATE chain_cursors SET position = {first - 1} WHERE network = '{self.net()}'")
        self.daemon.start()
        wait_until(lambda: cursor_of(self.net()) > one_tx["block_number"], 30,
                   what="the restarted daemon rescanned the blocks")
        self.assertBalance(key, total)
        self.assertEqual(len([r for r in self.daemon.deposits(self.net())
                              if r["tx_id"] in {t["tx_hash"] for t in sent}]), 5)


if __name__ == "__main__":
    harness.main()
