"""Reorgs on a real EVM chain (ganache, `confirmations: 2`), issue 14 item 3.

A reorg deeper than the finality (evm_snapshot, a deposit taken as final and credited,
evm_revert, a replacement chain with another deposit at the same height): the watcher's kept
block hashes (adapters/evm_block_hashes.h) no longer match, it walks back and re-scans; the
replacement deposit is credited, the vanished one is flagged (reorg_status, audit row) and the
alert fires (instamarket_deep_reorgs_total, /readyz chain_alerts, an error log). The same
transaction re-mined in another block stays one deposit, credited once. A daemon killed with -9
while the chain reorganizes ends the same way after its restart.

Every wait polls for an observable state (a status, a row, a metric); nothing relies on a sleep.
"""

import re
from decimal import Decimal

import harness
import deposit_harness
from deposit_harness import ChainTestCase, wait_until, CREDIT_TIMEOUT


def setUpModule():
    harness.require_environment()
    deposit_harness.install_devnet()


class DeepReorgTest(ChainTestCase):
    NETWORK_PREFIX = "reorg"
    TOKENS = (6,)
    MODULE = "evm_reorgs"

    def cursor_position(self):
        r = harness.requests.get(self.daemon.base + "/metrics", timeout=10)
        self.assertEqual(r.status_code, 200)
        m = re.search(r'instamarket_watcher_cursor\{network="%s"\} (\S+)' % self.net(), r.text)
        return int(float(m.group(1))) if m else None

    def deep_reorgs(self):
        r = harness.requests.get(self.daemon.base + "/metrics", timeout=10)
        m = re.search(r'instamarket_deep_reorgs_total\{network="%s"\} (\S+)' % self.net(), r.text)
        return int(float(m.group(1))) if m else 0

    def alert(self):
        r = harness.requests.get(self.daemon.base + "/readyz", timeout=10)
        self.assertEqual(r.status_code, 200, r.text)  # still ready: it serves
        for a in r.json().get("chain_alerts", []):
            if a["network"] == self.net():
                return a
        return None

    def wait_reorg_status(self, tx_hash, status):
        def check():
            rows = self.rows_of(tx_hash)
            return rows[0] if rows and rows[0]["reorg_status"] == status else None
        return wait_until(check, CREDIT_TIMEOUT, interval=0.2,
                          what=f"deposit {tx_hash} is flagged {status}")

    def scanned_past(self, block):
        """Waits until the watcher's cursor is above `block` (it was scanned as final)."""
        wait_until(lambda: (self.cursor_position() or 0) > block, CREDIT_TIMEOUT,
                   what=f"the cursor passed block {block}")

    def reorg_replacing(self, key_a, amount_a, key_b, amount_b, sender_a, sender_b, while_down):
        """A credited deposit of amount_a, then a reorg deeper than the finality replacing its
        block with one holding a deposit of amount_b. Returns (transfer a, transfer b)."""
        snap = self.devnet.snapshot()
        a = self.devnet.transfer(str(amount_a), token=6, sender=sender_a)
        self.settle()
        self.wait_status(key_a["api_key"], key_a["topup_id"], "credited_auto")
        self.scanned_past(a["block_number"])
        before = self.deep_reorgs()
        if while_down:
            self.daemon.sigkill()
        self.devnet.revert(snap)
        b = self.devnet.transfer(str(amount_b), token=6, sender=sender_b)
        self.assertEqual(b["block_number"], a["block_number"])  # the same height, another block
        self.devnet.mine(4)  # longer than the replaced chain: the kept block height exists again
        if while_down:
            self.daemon.start()  # its counters start again from 0
        return a, b, (0 if while_down else before)

    def new_intent(self, name, requested):
        k = self.new_key(name)
        created = self.intent(k["api_key"], requested)
        k["topup_id"] = created["topup_id"]
        k["amount"] = created["amount_usdt"]
        return k

    def check_vanished(self, a, b, key_a, key_b, reorgs_before):
        got_b = self.wait_status(key_b["api_key"], key_b["topup_id"], "credited_auto")
        self.assertEqual(got_b["deposit"]["tx_id"], b["tx_hash"])
        self.assertBalance(key_b["api_key"], key_b["amount"])
        self.assertEqual(len(self.rows_of(b["tx_hash"])), 1)  # credited once

        row_a = self.wait_reorg_status(a["tx_hash"], "vanished")
        # Flagged for finance, not silently kept as fine, and not reversed behind its back.
        self.assertEqual(row_a["status"], "credited")
        self.assertIn(row_a["id"], [r["id"] for r in self.daemon.admin(
            "deposits", "list", "--status", "reorged", "--limit", "1000000")])
        audits = [x for x in self.audit_items("deposits.vanished")
                  if x["details"].get("deposit_id") == row_a["id"]]
        self.assertEqual(len(audits), 1, audits)
        self.assertEqual(audits[0]["details"]["block_number"], a["block_number"])

        alert = self.alert()
        self.assertIsNotNone(alert)
        self.assertEqual(alert["alert"], "deep_reorg")
        self.assertGreaterEqual(alert["replaced_height"], a["block_number"])
        self.assertLess(alert["ancestor_height"], a["block_number"])
        self.assertNotEqual(alert["kept_hash"], alert["node_hash"])
        self.assertGreaterEqual(alert["vanished_deposits"], 1)
        self.assertGreater(self.deep_reorgs(), reorgs_before)
        with open(self.daemon.log_path, encoding="utf-8", errors="replace") as f:
            log = f.read()
        self.assertIn(f"{self.net()}: DEEP REORG: block {alert['replaced_height']}", log)
        self.assertIn(f"deposit {row_a['id']} ({a['tx_hash']}#", log)

    def test_a_replaced_final_block_flags_its_deposit_and_credits_the_replacement(self):
        key_a = self.new_intent("vanished", "31.00")
        key_b = self.new_intent("replacement", "32.00")
        a, b, reorgs_before = self.reorg_replacing(key_a, key_a["amount"], key_b, key_b["amount"],
                                    sender_a=1, sender_b=2, while_down=False)
        self.check_vanished(a, b, key_a, key_b, reorgs_before)

    def test_a_kill_9_during_the_reorg_ends_the_same(self):
        key_a = self.new_intent("vanished-kill", "33.00")
        key_b = self.new_intent("replacement-kill", "34.00")
        a, b, reorgs_before = self.reorg_replacing(key_a, key_a["amount"], key_b, key_b["amount"],
                                    sender_a=3, sender_b=4, while_down=True)
        self.check_vanished(a, b, key_a, key_b, reorgs_before)

    def send_fixed_transfer(self, amount, sender):
        """TestUSDT6 `amount` from sender to the master with fixed fees and gas, through the
        node's own eth_sendTransaction: sent again from the same nonce after a revert, it is the
        same signed transaction (the same hash), as a re-mined one is."""
        def rpc(method, params):
            r = harness.requests.post(self.devnet.rpc, json={"jsonrpc": "2.0", "id": 1,
                                                             "method": method, "params": params},
                                      timeout=30)
            body = r.json()
            self.assertNotIn("error", body, body)
            return body["result"]
        raw = int(Decimal(str(amount)) * 10**6)
        data = ("0xa9059cbb" + self.devnet.master[2:].lower().rjust(64, "0")
                + format(raw, "x").rjust(64, "0"))
        tx_hash = rpc("eth_sendTransaction", [{
            "from": self.devnet.sender(sender), "to": self.devnet.token(6), "data": data,
            "gas": hex(200_000), "maxFeePerGas": hex(50 * 10**9),
            "maxPriorityFeePerGas": hex(10**9)}])
        receipt = wait_until(lambda: rpc("eth_getTransactionReceipt", [tx_hash]), 30,
                             what="the transfer is mined")
        return {"tx_hash": tx_hash.lower(), "block_number": int(receipt["blockNumber"], 16)}

    def test_the_same_transfer_re_mined_in_another_block_is_credited_once(self):
        k = self.new_intent("remined", "35.00")
        snap = self.devnet.snapshot()
        a = self.send_fixed_transfer(k["amount"], sender=5)
        self.settle()
        self.wait_status(k["api_key"], k["topup_id"], "credited_auto")
        self.scanned_past(a["block_number"])
        before = self.deep_reorgs()
        self.devnet.revert(snap)
        self.devnet.mine(1)  # the transfer lands one block higher this time
        again = self.send_fixed_transfer(k["amount"], sender=5)
        # Same sender, nonce, fees and call: the node signs the same transaction again.
        self.assertEqual(again["tx_hash"], a["tx_hash"])
        self.assertEqual(again["block_number"], a["block_number"] + 1)
        self.devnet.mine(4)
        row = self.wait_reorg_status(a["tx_hash"], "remined")
        self.assertEqual((row["status"], row["block"]), ("credited", again["block_number"]))
        self.assertEqual(len(self.rows_of(a["tx_hash"])), 1)
        self.assertBalance(k["api_key"], k["amount"])
        self.assertEqual(len([x for x in self.audit_items("deposits.remined")
                              if x["details"].get("deposit_id") == row["id"]]), 1)
        self.assertGreater(self.deep_reorgs(), before)


if __name__ == "__main__":
    harness.main()
