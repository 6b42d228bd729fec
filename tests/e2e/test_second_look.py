"""The second look on a real chain (ganache): final blocks are read again
`second_look_delay_seconds` (here 2) after the watcher passed them, through the network's next
endpoint, and a transfer the watcher's scan missed is recorded and credited like any deposit.

The miss is made by moving the cursor past a paid transfer while the daemon is stopped (what a
lagging node that answered "no logs" once did). The network's endpoints are [ganache, a proxy in
front of ganache]: the watcher and reconciliation use ganache, so every request the proxy sees
is the second look's.
"""

import re
from decimal import Decimal

import harness
import deposit_harness
from deposit_harness import ChainDaemon, ChainTestCase, FaultProxy, network_entry, wait_until
from order_harness import psql

TIMEOUT = 30


def setUpModule():
    harness.require_environment()
    deposit_harness.install_devnet()


class SecondLookTest(ChainTestCase):
    MODULE = "second-look"
    NETWORK_PREFIX = "slook"
    TOKENS = (6,)

    @classmethod
    def make_networks(cls, devnet):
        cls.proxy = FaultProxy(devnet.rpc, fault_rate=0.0).start()
        return [network_entry(devnet, cls.NETWORK_PREFIX, 6, rpc=[devnet.rpc, cls.proxy.url],
                              second_look_delay_seconds=2)]

    @classmethod
    def tearDownClass(cls):
        try:
            super().tearDownClass()
        finally:
            cls.proxy.stop()

    def found_metric(self):
        text = harness.requests.get(self.daemon.base + "/metrics", timeout=10).text
        m = re.search(r'^instamarket_second_look_found_total\{network="%s"\} (\S+)$' % self.net(),
                      text, re.M)
        return Decimal(m.group(1)) if m else None

    def look_position(self):
        rows = psql(f"SELECT position FROM second_look_positions WHERE network = '{self.net()}'")
        return int(rows[0][0]) if rows else None

    def wait_logged(self, check, what):
        """wait_until, with the daemon's log in the failure (its warnings say why a pass failed)."""
        try:
            return wait_until(check, TIMEOUT, interval=0.3, what=what)
        except AssertionError as e:
            raise AssertionError(f"{e}\n{self.daemon.log_tail(60)}") from None

    def test_a_missed_transfer_is_found_and_credited(self):
        k = self.new_key("missed")
        key = k["api_key"]
        created = self.intent(key, 31)
        # Everything the watcher recorded so far has had its second look: nothing was missing.
        warm = self.devnet.transfer("3.3", token=6, sender=1)
        self.settle()
        self.wait_deposit(warm["tx_hash"])
        # The second look starts where the watcher was when it first looked (by then the watcher
        # may have scanned everything): blocks after that are read again once they are 2 s
        # behind the cursor.
        self.wait_logged(lambda: self.look_position() is not None, "the second look has started")
        first = self.look_position()
        self.devnet.mine(3)
        self.wait_logged(lambda: (self.look_position() or 0) > first and self.found_metric() == 0,
                         "the second look has read blocks again")

        self.daemon.sigkill()
        paid = self.devnet.transfer(str(created["amount_usdt"]), token=6, sender=2)
        head = self.settle()
        psql(f"UPDATE chain_cursors SET position = {head + 1}, position_state = '' "
             f"WHERE network = '{self.net()}'")
        before = self.proxy.stats()["requests"]
        self.daemon.start()

        got = self.wait_status(key, created["topup_id"], "credited_auto", timeout=TIMEOUT)
        self.assertEqual(got["deposit"]["tx_id"], paid["tx_hash"])
        self.assertBalance(key, created["amount_usdt"])
        rows = self.rows_of(paid["tx_hash"])
        self.assertEqual([(r["status"], r["key_id"]) for r in rows], [("credited", k["key_id"])])
        self.assertGreater(self.proxy.stats()["requests"], before)  # through the other endpoint
        self.wait_logged(lambda: self.found_metric() == 1, "found_total 1")
        audit = [i for i in self.audit_items("deposits.second_look")
                 if i["target"] == paid["tx_hash"]]
        self.assertEqual(len(audit), 1, audit)
        self.assertEqual(audit[0]["details"]["block"], paid["block_number"])

        # Once only: a restart reads the range again (the delay starts anew) and adds nothing.
        self.daemon.stop()
        self.daemon.start()
        self.assertGreater(self.look_position(), paid["block_number"])
        self.assertEqual(len(self.rows_of(paid["tx_hash"])), 1)
        self.assertBalance(key, created["amount_usdt"])
        # And reconciliation agrees: the wallet holds what the ledger says.
        run = self.daemon.admin("reconcile", "--network", self.net())[0]
        self.assertEqual(run["status"], "clean", run)


if __name__ == "__main__":
    harness.main()
