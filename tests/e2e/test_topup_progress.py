"""Top-up progress and notifications (issue 13 item 7) on a real chain: a transfer sighted
before finality makes its intent `confirming` (GET /balance/topup/{id} shows the tx id and the
confirmations so far and needed) until it is credited; a reorg that removes the sighting puts
the intent back to `pending`; the expiry sweeper expires intents on time. Each step is also a
signed topup.* webhook through the order webhooks' outbox, received on loopback.

The network has `confirmations: 3` and ganache mines only on demand (a block per transfer,
then `devnet.mine`), so each confirmation is observed. Amounts are read from the POST answer
and sent exactly (an intent's amount may be above the requested one).
"""

import json
import time
from decimal import Decimal

import harness
import deposit_harness
import order_harness as oh
from deposit_harness import ChainTestCase, exact, wait_until

WEBHOOKS = {"allow_private_addresses": "true", "backoff_base_ms": 100, "max_retries": 3,
            "timeout_ms": 2000}
EVENT_TIMEOUT = 30


def setUpModule():
    harness.require_environment()
    deposit_harness.install_devnet()


class ProgressTestCase(ChainTestCase):
    TOKENS = (6,)

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.receiver = oh.WebhookReceiver()

    @classmethod
    def tearDownClass(cls):
        try:
            cls.receiver.stop()
        finally:
            super().tearDownClass()

    def hooked_intent(self, key, amount, webhook=True):
        """POST /balance/topup with webhook_url; the answer with Decimal numbers."""
        body = {"amount_usdt": amount, "network": self.net()}
        if webhook:
            body["webhook_url"] = self.receiver.url
        r = self.daemon.post("/balance/topup", key=key, data=json.dumps(body),
                             headers={"Content-Type": "application/json"})
        self.assertJson(r)
        created = exact(r)
        # POST /balance/topup stores webhook_url on the intent (null without one).
        stored = oh.psql(f"SELECT coalesce(webhook_url, 'none') FROM topup_intents "
                         f"WHERE id = '{created['topup_id']}'")
        self.assertEqual(stored, [[self.receiver.url if webhook else "none"]])
        return created

    def events(self, topup_id):
        """(event name, body, headers) of every delivered webhook about `topup_id`, in order."""
        out = []
        for headers, body in self.receiver.delivered():
            payload = json.loads(body, parse_float=Decimal, parse_int=Decimal)
            if payload.get("topup_id") == topup_id:
                out.append((payload["event"], payload, headers, body))
        return out

    def wait_events(self, topup_id, names, timeout=EVENT_TIMEOUT):
        """Waits until the delivered events about `topup_id` are exactly `names`."""
        def check():
            got = self.events(topup_id)
            return got if [e[0] for e in got] == list(names) else None
        try:
            return wait_until(check, timeout, interval=0.1, what=f"events {names}")
        except AssertionError:
            raise AssertionError(f"events of {topup_id}: {[e[0] for e in self.events(topup_id)]}, "
                                 f"wanted {names}\n{self.daemon.log_tail()}")

    def assertSigned(self, key, event):
        _, _, headers, body = event
        self.assertTrue(oh.verify_signature(key["webhook_secret"], headers, body), headers)
        self.assertFalse(oh.verify_signature(key["webhook_secret"], headers, body + b" "))

    def wait_confirmations(self, key, topup_id, n):
        def check():
            t = self.topup(key, topup_id)
            c = t.get("confirming")
            return t if t["status"] == "confirming" and c and c["confirmations"] == n else None
        return wait_until(check, deposit_harness.CREDIT_TIMEOUT,
                          what=f"top-up {topup_id} is confirming with {n} confirmations")


class ConfirmingTest(ProgressTestCase):
    MODULE = "topup-progress"
    NETWORK_PREFIX = "tprog"
    NETWORK_OVERRIDES = {"confirmations": 3}
    CONFIG = {"webhooks": WEBHOOKS}

    def test_confirming_then_credited(self):
        k = self.new_key("confirm")
        key = k["api_key"]
        created = self.hooked_intent(key, 12)
        tid, amount = created["topup_id"], created["amount_usdt"]
        first = self.topup(key, tid)
        self.assertEqual((first["status"], first["confirming"]), ("pending", None))

        tx = self.devnet.transfer(str(amount), token=6, sender=1)
        block = tx["block_number"]
        got = self.wait_confirmations(key, tid, 0)  # in the head block: nothing on top yet
        self.assertEqual(got["confirming"], {
            "tx_id": tx["tx_hash"], "block_number": block, "amount_usdt": amount,
            "confirmations": 0, "confirmations_needed": 3, "finality": "confirmations",
            "expected_finality_seconds": None, "seen_at": got["confirming"]["seen_at"]})
        self.assertGreaterEqual(got["confirming"]["seen_at"], got["created_at"])
        self.assertIsNone(got["deposit"])
        self.assertBalance(key, 0)

        self.devnet.mine(1)
        self.wait_confirmations(key, tid, 1)
        self.devnet.mine(1)
        got = self.wait_confirmations(key, tid, 2)
        self.assertEqual(got["confirming"]["tx_id"], tx["tx_hash"])
        self.devnet.mine(1)  # 3 blocks on top: final
        got = self.wait_status(key, tid, "credited_auto")
        self.assertEqual(got["deposit"]["tx_id"], tx["tx_hash"])
        self.assertIsNone(got["confirming"])
        self.assertBalance(key, amount)

        confirming, credited = self.wait_events(tid, ["topup.confirming", "topup.credited"])
        for e in (confirming, credited):
            self.assertSigned(k, e)
        body = confirming[1]
        self.assertEqual(set(body), {"event", "topup_id", "status", "network", "amount_usdt",
                                     "requested_amount_usdt", "deposit", "confirming",
                                     "created_at", "expires_at", "timestamp"}, body)
        self.assertEqual((body["status"], body["network"], body["amount_usdt"],
                          body["requested_amount_usdt"], body["deposit"]),
                         ("confirming", self.net(), amount, Decimal(12), None))
        self.assertEqual((body["confirming"]["tx_id"], body["confirming"]["block_number"],
                          body["confirming"]["confirmations"],
                          body["confirming"]["confirmations_needed"]),
                         (tx["tx_hash"], block, 0, 3))
        body = credited[1]
        self.assertEqual((body["status"], body["confirming"], body["deposit"]["tx_id"],
                          body["deposit"]["amount_usdt"]),
                         ("credited_auto", None, tx["tx_hash"], amount))

        # The outbox rows are the top-up's, listed by the admin API with no order.
        rows = [r for r in self.daemon.admin("webhooks", "list", "--limit", "1000")
                if r.get("topup_id") == tid]
        self.assertEqual(sorted(r["event"] for r in rows), ["topup.confirming", "topup.credited"])
        self.assertTrue(all(r["order_id"] is None and r["status"] == "delivered" for r in rows),
                        rows)
        time.sleep(1.0)  # further scans of the same blocks send nothing more
        self.assertEqual(len(self.events(tid)), 2)

    def test_reorg_puts_the_intent_back_to_pending(self):
        k = self.new_key("reorg")
        key = k["api_key"]
        created = self.hooked_intent(key, 33)
        tid, amount = created["topup_id"], created["amount_usdt"]
        snap = self.devnet.snapshot()
        gone = self.devnet.transfer(str(amount), token=6, sender=5)
        self.devnet.mine(1)
        self.wait_confirmations(key, tid, 1)
        self.devnet.revert(snap)
        self.devnet.mine(6)  # the reorged block's height is final now, with other blocks

        confirming, reorged = self.wait_events(tid, ["topup.confirming", "topup.reorged"])
        self.assertSigned(k, reorged)
        body = reorged[1]
        self.assertEqual((body["status"], body["confirming"], body["deposit"]),
                         ("pending", None, None))
        self.assertEqual((body["reorged"]["tx_id"], body["reorged"]["block_number"]),
                         (gone["tx_hash"], gone["block_number"]))
        got = self.topup(key, tid)
        self.assertEqual((got["status"], got["confirming"], got["deposit"]),
                         ("pending", None, None))
        self.assertEqual(self.rows_of(gone["tx_hash"]), [])
        self.assertBalance(key, 0)

        # Paid again after the reorg: confirming again, then credited.
        paid = self.devnet.transfer(str(amount), token=6, sender=2)
        got = self.wait_confirmations(key, tid, 0)
        self.assertEqual(got["confirming"]["tx_id"], paid["tx_hash"])
        self.devnet.mine(3)
        got = self.wait_status(key, tid, "credited_auto")
        self.assertEqual(got["deposit"]["tx_id"], paid["tx_hash"])
        self.wait_events(tid, ["topup.confirming", "topup.reorged", "topup.confirming",
                               "topup.credited"])
        self.assertBalance(key, amount)

    def test_intent_without_webhook_url_queues_nothing(self):
        k = self.new_key("quiet")
        key = k["api_key"]
        created = self.hooked_intent(key, 21, webhook=False)
        tid, amount = created["topup_id"], created["amount_usdt"]
        self.devnet.transfer(str(amount), token=6, sender=3)
        self.wait_confirmations(key, tid, 0)
        self.devnet.mine(3)
        self.wait_status(key, tid, "credited_auto")
        rows = oh.psql(f"SELECT count(*) FROM webhook_deliveries WHERE topup_id = '{tid}'")
        self.assertEqual(rows, [["0"]])


class ExpiryTest(ProgressTestCase):
    MODULE = "topup-expiry"
    NETWORK_PREFIX = "texp"
    CONFIG = {"webhooks": WEBHOOKS,
              "topups": {"expiry_seconds": 10, "expiry_grace_seconds": 0}}

    def test_sweeper_expires_on_time_and_notifies_once(self):
        k = self.new_key("expire")
        key = k["api_key"]
        created = self.hooked_intent(key, 15)
        tid = created["topup_id"]
        quiet = self.hooked_intent(key, 16, webhook=False)["topup_id"]
        self.assertEqual(self.topup(key, tid)["status"], "pending")
        (expired,) = self.wait_events(tid, ["topup.expired"], timeout=10 + EVENT_TIMEOUT)
        self.assertSigned(k, expired)
        body = expired[1]
        self.assertEqual((body["status"], body["deposit"], body["confirming"]),
                         ("expired", None, None))
        self.assertGreaterEqual(body["timestamp"], body["expires_at"])
        # Marked in the database by the sweeper, not only shown as expired.
        status = oh.psql(f"SELECT id::text, status FROM topup_intents "
                         f"WHERE id IN ('{tid}', '{quiet}') ORDER BY id")
        self.assertEqual(sorted(s for _, s in status), ["expired", "expired"], status)
        self.assertEqual(oh.psql(f"SELECT count(*) FROM webhook_deliveries "
                                 f"WHERE topup_id = '{quiet}'"), [["0"]])
        time.sleep(2.5)  # more sweeper rounds: no second event
        self.assertEqual([e[0] for e in self.events(tid)], ["topup.expired"])
        self.assertEqual(self.topup(key, tid)["status"], "expired")


if __name__ == "__main__":
    harness.main()
