"""Order webhooks end to end: a receiver on loopback that fails its first deliveries gets exactly
one successful delivery per status change after retries, each with a valid signature; one
that never answers 2xx ends as failed and is delivered after an admin redelivers it."""

import json
import time

import harness
from harness import DaemonTestCase
import order_harness as oh


class WebhookTest(DaemonTestCase):
    MODULE = "webhooks"
    CONFIG = {"webhooks": {"allow_private_addresses": "true", "backoff_base_ms": 100,
                           "max_retries": 3, "timeout_ms": 2000},
              "orders": {"refund_interval_seconds": 1},
              "api": {"rate_limit_per_minute": 1000000}}

    def wait_for(self, fn, what, timeout=30.0):
        deadline = time.monotonic() + timeout
        while not fn():
            self.assertLess(time.monotonic(), deadline, f"timed out waiting for {what}\n"
                            + self.daemon.log_tail())
            time.sleep(0.05)

    def signed_order(self, key, product, quantity, url):
        body = oh.order_body(product, quantity, webhook_url=url)
        return self.daemon.signed_post("/orders", key["api_key"], key["hmac_secret"], body)

    def test_retries_until_delivered_once_with_a_valid_signature(self):
        d = self.daemon
        receiver = oh.WebhookReceiver(fail_first=3)
        try:
            product, items = oh.make_product(d, "hook", price="1", stock=2)
            key = oh.funded_key(d, "hook", "5", hmac_secret=True)
            order = self.assertJson(self.signed_order(key, product, 2, receiver.url), 201)
            self.wait_for(lambda: len(receiver.delivered()) >= 1, "a delivered webhook")
            time.sleep(1.0)  # nothing more may come
            everything = receiver.all()
            self.assertEqual([s for _, _, s in everything], [500, 500, 500, 200])
            ids = {h["x-webhook-id"] for h, _, _ in everything}
            self.assertEqual(len(ids), 1, "retries reuse the delivery id")
            headers, body = receiver.delivered()[0]
            self.assertTrue(oh.verify_signature(key["hmac_secret"], headers, body))
            self.assertFalse(oh.verify_signature(key["hmac_secret"], headers, body + b" "))
            self.assertLess(abs(int(headers["x-webhook-timestamp"]) - time.time()), 60)
            payload = json.loads(body)
            self.assertEqual(set(payload), {"order_id", "status", "price_usdt", "quantity",
                                            "product_id", "items", "error_message", "refunded",
                                            "fired_at"})
            self.assertEqual((payload["order_id"], payload["status"], payload["price_usdt"],
                              payload["quantity"], payload["product_id"], payload["refunded"]),
                             (order["order_id"], "completed", 2.0, 2, product, False))
            self.assertEqual(payload["items"], items)
            self.assertIsNone(payload["error_message"])
        finally:
            receiver.stop()

    def test_every_status_change_is_one_delivery(self):
        d = self.daemon
        receiver = oh.WebhookReceiver(fail_first=1)
        try:
            product, _ = oh.make_product(d, "hook2", price="3", stock=1)
            key = oh.funded_key(d, "hook2", "3", hmac_secret=True)
            order = self.assertJson(self.signed_order(key, product, 1, receiver.url), 201)
            oh.wait_final(d, key["api_key"], order["order_id"])
            # A cancelled order (through the admin API) fires "cancelled", then "refunded".
            product2, _ = oh.make_product(d, "hook3", price="1", stock=0)
            key2 = oh.funded_key(d, "hook3", "1", hmac_secret=True)
            oh.psql(f"UPDATE products SET stock = 1 WHERE id = {product2}")  # reserved, no item
            order2 = self.assertJson(self.signed_order(key2, product2, 1, receiver.url), 201)
            # The worker finds no item: failed, then the refund job: refunded.
            done = oh.wait_final(d, key2["api_key"], order2["order_id"], refunded=True)
            self.assertEqual(done["status"], "failed")
            self.wait_for(lambda: len(receiver.delivered()) >= 3, "three delivered webhooks")
            time.sleep(1.0)
            events = [(json.loads(b)["order_id"], json.loads(b)["status"], json.loads(b)["refunded"])
                      for _, b in receiver.delivered()]
            self.assertEqual(sorted(events), sorted([(order["order_id"], "completed", False),
                                                     (order2["order_id"], "failed", False),
                                                     (order2["order_id"], "failed", True)]))
            self.assertEqual(d.get("/balance", key=key2["api_key"]).json()["balance_usdt"], 1.0)
        finally:
            receiver.stop()

    def test_failed_delivery_is_listed_and_redelivered_by_admin(self):
        d = self.daemon
        receiver = oh.WebhookReceiver(fail_always=True)
        try:
            product, _ = oh.make_product(d, "hook4", price="1", stock=1)
            key = oh.funded_key(d, "hook4", "1", hmac_secret=True)
            order = self.assertJson(self.signed_order(key, product, 1, receiver.url), 201)

            def failed():
                rows = d.admin("webhooks", "list", "--failed")
                return [r for r in rows if r["order_id"] == order["order_id"]]

            self.wait_for(lambda: failed(), "the delivery to be marked failed")
            row = failed()[0]
            self.assertEqual(row["attempts"], 4)  # the first try and 3 retries
            self.assertEqual(row["last_http_status"], 500)
            self.assertEqual(len(receiver.all()), 4)
            receiver.fail_always = False
            out = d.admin("webhooks", "redeliver", row["id"])
            self.assertEqual(out["status"], "pending")
            self.wait_for(lambda: len(receiver.delivered()) == 1, "the redelivery")
            code, err, _ = d.admin_fail("webhooks", "redeliver", row["id"])
            self.assertNotEqual(code, 0)
        finally:
            receiver.stop()

    def test_admin_http_api_lists_webhooks(self):
        r = harness.requests.get(self.daemon.base + "/api/admin/webhooks?status=delivered",
                                 headers={"X-Admin-Token": harness.ADMIN_TOKEN}, timeout=10)
        self.assertEqual(r.status_code, 200, r.text)
        self.assertIsInstance(r.json()["items"], list)
        r = harness.requests.get(self.daemon.base + "/api/admin/webhooks?status=bogus",
                                 headers={"X-Admin-Token": harness.ADMIN_TOKEN}, timeout=10)
        self.assertEqual(r.status_code, 422)


if __name__ == "__main__":
    harness.main()
