"""Several daemon instances over one database: the API answers on all of them, exactly one
watches each network (a PostgreSQL advisory-lock lease), and when that one is killed (kill -9)
another takes over within two poll intervals, crediting what arrives after, once.

The fake chain (fake_chain.py) tells instances apart by User-Agent ("instamarketd (pid N)")."""

import os
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import harness  # noqa: E402
from deposit_harness import ChainDaemon, wait_until  # noqa: E402
from fake_chain import FakeChain  # noqa: E402

POLL_MS = 500
MASTER = "TXJTFuXzfoPbWKCnw47AYxMzgVPUyhJGRd"
SENDER = "TAxbLztoanFhYu4TuS5RabaJYGnUkfzNKG"


class WatcherLeaseTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        harness.require_environment()
        cls.chain = FakeChain().start()
        cls.network = f"lease_{harness.RUN_ID}"
        entry = {"id": cls.network, "kind": "tron", "rpc": [cls.chain.url], "decimals": 6,
                 "token": "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t", "address": MASTER,
                 "poll_interval_ms": POLL_MS, "start": 0}
        cls.daemons = []
        try:
            for _ in range(2):
                d = ChainDaemon([entry], log={"level": "info"})
                cls.daemons.append(d)
                d.start()
        except BaseException:
            cls.tearDownClass()
            raise

    @classmethod
    def tearDownClass(cls):
        try:
            for d in cls.daemons:
                d.stop()  # exit 0 after SIGTERM; the leader a test killed is gone already
        finally:
            for d in cls.daemons:
                d.cleanup()
            cls.chain.stop()

    def agent(self, daemon):
        return f"instamarketd (pid {daemon.proc.pid})"

    def watchers_during(self, seconds):
        start = time.monotonic()
        time.sleep(seconds)
        return self.chain.agents_since(start)

    def deposits(self, daemon):
        return [r["tx_id"] for r in daemon.deposits(self.network)]

    def test_one_instance_watches_and_another_takes_over_when_it_dies(self):
        a, b = self.daemons
        wait_until(lambda: self.chain.agents_since(0), 20, what="some instance polls the chain")
        # Exactly one instance polls, over many poll intervals; both serve the API.
        watching = self.watchers_during(POLL_MS * 6 / 1000)
        self.assertEqual(len(watching), 1, watching)
        leader, follower = (a, b) if self.agent(a) in watching else (b, a)
        self.assertEqual(watching, {self.agent(leader)})
        for d in (a, b):
            self.assertEqual(d.get("/health", key=d.create_key(harness.label("lease"))["api_key"])
                             .status_code, 200)
        first = self.chain.tron_add(MASTER, 1_230_000, SENDER)["transaction_id"]
        wait_until(lambda: first in self.deposits(follower), 20, what="the leader records it")

        # kill -9 the leader: its session ends, the lock with it; the follower's next poll
        # takes over.
        leader.kill()
        killed_at = time.monotonic()
        wait_until(lambda: self.agent(follower) in self.chain.agents_since(killed_at), 10,
                   interval=0.02, what="the follower polls the chain")
        took = time.monotonic() - killed_at
        self.assertLess(took, 2 * POLL_MS / 1000, f"takeover took {took:.3f} s")
        second = self.chain.tron_add(MASTER, 4_560_000, SENDER)["transaction_id"]
        wait_until(lambda: second in self.deposits(follower), 20, what="the new leader records it")
        got = self.deposits(follower)
        self.assertEqual((got.count(first), got.count(second)), (1, 1))
        print(f"takeover after kill -9: {took * 1000:.0f} ms (poll interval {POLL_MS} ms)")


if __name__ == "__main__":
    harness.main()
