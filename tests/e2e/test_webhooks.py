"""Order webhooks end to end: a receiver on loopback that fails its first deliveries gets exactly
one successful delivery per status change after retries, each with a valid signature; one
that never answers 2xx ends as failed and is delivered after an admin redelivers it. Every
webhook is signed with the key's own webhook secret (never its request-signing one), a rotated
secret keeps signing alongside the new one for its grace period, items never go to a plain
http:// URL unless the config allows it, and a final delivery's stored body keeps no items.
Retries follow backoff_base_ms x 2^(n-1) and an attempt is cut at timeout_ms, measured at the
receiver. (That redirects are not followed is tests/unit/webhook_connect_test.cpp's
RedirectsAreNotFollowed.)"""

import http.server
import json
import os
import re
import threading
import time

import harness
from harness import DaemonTestCase
import order_harness as oh


def documented_verify():
    """The receiver's verify() exactly as docs/api.md prints it."""
    with open(os.path.join(harness.REPO_ROOT, "docs", "api.md")) as f:
        text = f.read()
    code = re.search(r"Verifying in Python.*?```python\n(.*?)```", text, re.S).group(1)
    scope = {}
    exec(code, scope)
    return scope["verify"]


class WebhookTest(DaemonTestCase):
    MODULE = "webhooks"
    CONFIG = {"webhooks": {"allow_private_addresses": "true", "backoff_base_ms": 100,
                           "max_retries": 3, "timeout_ms": 2000,
                           "allow_items_over_http": "true"},
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
            self.assertRegex(headers["x-webhook-signature"], r"^v1=[0-9a-f]{64}$")
            self.assertTrue(oh.verify_signature(key["webhook_secret"], headers, body))
            self.assertFalse(oh.verify_signature(key["webhook_secret"], headers, body + b" "))
            # The request-signing secret signs requests only.
            self.assertFalse(oh.verify_signature(key["hmac_secret"], headers, body))
            # What the docs tell receivers to run agrees.
            verify = documented_verify()
            as_sent = harness.requests.structures.CaseInsensitiveDict(headers)
            self.assertTrue(verify(key["webhook_secret"], as_sent, body))
            self.assertFalse(verify(key["webhook_secret"], as_sent, body + b" "))
            self.assertFalse(verify(key["hmac_secret"], as_sent, body))
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

    def test_keys_without_hmac_get_signed_webhooks_and_final_bodies_drop_items(self):
        d = self.daemon
        receiver = oh.WebhookReceiver()
        try:
            product, items = oh.make_product(d, "hook5", price="1", stock=1)
            key = oh.funded_key(d, "hook5", "1")
            self.assertIsNone(key["hmac_secret"])
            self.assertRegex(key["webhook_secret"], r"^whsec_[0-9a-f]{64}$")
            body = oh.order_body(product, 1, webhook_url=receiver.url)
            order = self.assertJson(d.post("/orders", key=key["api_key"], data=body), 201)
            self.wait_for(lambda: receiver.delivered(), "the webhook")
            headers, sent = receiver.delivered()[0]
            self.assertTrue(oh.verify_signature(key["webhook_secret"], headers, sent))
            self.assertEqual(json.loads(sent)["items"], items)
            # Delivered, so final: what the database keeps of it holds no credential.
            self.wait_for(lambda: oh.psql(
                f"SELECT status FROM webhook_deliveries WHERE order_id = {order['order_id']}")
                == [["delivered"]], "the delivery to be recorded")
            stored = oh.psql(
                f"SELECT body FROM webhook_deliveries WHERE order_id = {order['order_id']}")[0][0]
            for item in items:
                for value in item.values():
                    self.assertNotIn(str(value), stored)
            self.assertEqual(json.loads(stored)["items"], [])
            self.assertIs(json.loads(stored)["items_withheld"], True)
            # The order itself still has them.
            got = d.get(f"/orders/{order['order_id']}", key=key["api_key"]).json()
            self.assertEqual(got["items"], items)
        finally:
            receiver.stop()

    def test_rotated_webhook_secret_signs_alongside_the_old_one_for_the_grace(self):
        d = self.daemon
        receiver = oh.WebhookReceiver()
        try:
            product, _ = oh.make_product(d, "hook6", price="1", stock=3)
            key = oh.funded_key(d, "hook6", "3")
            old = key["webhook_secret"]
            rotated = d.admin("keys", "rotate-webhook-secret", key["key_id"], "--grace-seconds",
                              "3600")
            new = rotated["webhook_secret"]
            self.assertNotEqual(new, old)
            self.assertLess(abs(rotated["previous_valid_until"] - (time.time() + 3600)), 60)

            def one_delivery(n):
                body = oh.order_body(product, 1, webhook_url=receiver.url)
                self.assertJson(d.post("/orders", key=key["api_key"], data=body), 201)
                self.wait_for(lambda: len(receiver.delivered()) >= n, f"webhook {n}")
                return receiver.delivered()[n - 1]

            headers, sent = one_delivery(1)
            self.assertEqual(len(oh.webhook_signatures(headers)), 2, headers)
            as_sent = harness.requests.structures.CaseInsensitiveDict(headers)
            self.assertTrue(documented_verify()(old, as_sent, sent))
            self.assertTrue(oh.verify_signature(new, headers, sent))
            self.assertTrue(oh.verify_signature(old, headers, sent))
            # Without a grace the old one stops at once.
            newest = d.admin("keys", "rotate-webhook-secret", key["key_id"], "--grace-seconds",
                             "0")
            self.assertIsNone(newest["previous_valid_until"])
            headers, sent = one_delivery(2)
            self.assertEqual(len(oh.webhook_signatures(headers)), 1, headers)
            self.assertTrue(oh.verify_signature(newest["webhook_secret"], headers, sent))
            self.assertFalse(oh.verify_signature(new, headers, sent))
            audit = [a["action"] for a in d.audit().json()["items"]
                     if a["target"] == f"key:{key['key_id']}"]
            self.assertEqual(audit.count("keys.rotate_webhook_secret"), 2)
            code, err, _ = d.admin_fail("keys", "rotate-webhook-secret", key["key_id"],
                                        "--grace-seconds", "-1")
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


class PlainHttpItemsTest(DaemonTestCase):
    """The default: a webhook to an http:// URL carries no items (credentials in clear)."""
    MODULE = "webhooks"
    CONFIG = {"webhooks": {"allow_private_addresses": "true", "backoff_base_ms": 100},
              "api": {"rate_limit_per_minute": 1000000}}

    def test_items_are_withheld_from_plain_http_urls(self):
        d = self.daemon
        receiver = oh.WebhookReceiver()
        try:
            product, items = oh.make_product(d, "plain", price="1", stock=2)
            key = oh.funded_key(d, "plain", "2")
            body = oh.order_body(product, 2, webhook_url=receiver.url)
            order = self.assertJson(d.post("/orders", key=key["api_key"], data=body), 201)
            deadline = time.monotonic() + 30
            while not receiver.delivered():
                self.assertLess(time.monotonic(), deadline, d.log_tail())
                time.sleep(0.05)
            headers, sent = receiver.delivered()[0]
            payload = json.loads(sent)
            self.assertEqual(payload["status"], "completed")
            self.assertEqual(payload["items"], [])
            self.assertIs(payload["items_withheld"], True)
            for item in items:
                for value in item.values():
                    self.assertNotIn(str(value).encode(), sent)
            self.assertTrue(oh.verify_signature(key["webhook_secret"], headers, sent))
            got = d.get(f"/orders/{order['order_id']}", key=key["api_key"]).json()
            self.assertEqual(got["items"], items)
        finally:
            receiver.stop()


class TimedReceiver:
    """A loopback receiver that notes when each POST arrived (monotonic seconds) and answers
    with `answer(n)` for the n-th one (0-based): a status, or ("sleep", seconds, status)."""

    def __init__(self, answer):
        self.arrivals = []
        self.lock = threading.Lock()
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                arrived = time.monotonic()
                self.rfile.read(int(self.headers.get("Content-Length", "0")))
                with receiver.lock:
                    n = len(receiver.arrivals)
                    receiver.arrivals.append(arrived)
                what = answer(n)
                if isinstance(what, tuple):
                    time.sleep(what[1])
                    what = what[2]
                try:
                    self.send_response(what)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                except OSError:
                    pass  # the daemon gave up on this attempt already

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"

    def times(self):
        with self.lock:
            return list(self.arrivals)

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


class WebhookScheduleTest(DaemonTestCase):
    """docs/api.md: a failed attempt is retried after backoff_base_ms x 2^(n-1), max_retries
    times, and an attempt that gets no answer within timeout_ms has failed. Measured from when
    the receiver saw each attempt."""
    MODULE = "webhooks-schedule"
    BASE = 0.3
    RETRIES = 4
    TIMEOUT = 0.5
    # The dispatcher looks for due deliveries every 200 ms; sending and recording take a little.
    SLACK = 0.2 + 0.35
    CONFIG = {"webhooks": {"allow_private_addresses": "true", "backoff_base_ms": int(BASE * 1000),
                           "max_retries": RETRIES, "timeout_ms": int(TIMEOUT * 1000),
                           "allow_items_over_http": "true"},
              "api": {"rate_limit_per_minute": 1000000}}

    def order_to(self, url, tag):
        d = self.daemon
        product, _ = oh.make_product(d, tag, price="1", stock=1)
        key = oh.funded_key(d, tag, "1")
        return self.assertJson(oh.place(d, key["api_key"], product, 1, webhook_url=url), 201)

    def wait_arrivals(self, receiver, count, timeout):
        deadline = time.monotonic() + timeout
        while len(receiver.times()) < count:
            self.assertLess(time.monotonic(), deadline,
                            f"{len(receiver.times())} of {count} attempts arrived\n"
                            + self.daemon.log_tail())
            time.sleep(0.02)
        return receiver.times()

    def test_retries_back_off_exponentially_then_give_up(self):
        receiver = TimedReceiver(lambda n: 500)
        try:
            order = self.order_to(receiver.url, "backoff")
            times = self.wait_arrivals(receiver, 1 + self.RETRIES, timeout=20)
            time.sleep(2 * self.BASE * 2 ** self.RETRIES)  # longer than a fifth retry would wait
            self.assertEqual(len(receiver.times()), 1 + self.RETRIES, "max_retries is 4")
            gaps = [b - a for a, b in zip(times, times[1:])]
            print("retry gaps: " + ", ".join(f"{g:.3f}" for g in gaps) + " s")
            for n, gap in enumerate(gaps, start=1):
                want = self.BASE * 2 ** (n - 1)
                self.assertTrue(want - 0.05 <= gap <= want + self.SLACK,
                                f"retry {n} came {gap:.3f} s after the attempt before, "
                                f"want {want:.1f} s (+ up to {self.SLACK} s); all: "
                                + ", ".join(f"{g:.3f}" for g in gaps))
            rows = [r for r in self.daemon.admin("webhooks", "list", "--failed")
                    if r["order_id"] == order["order_id"]]
            self.assertEqual([(r["attempts"], r["last_http_status"]) for r in rows],
                             [(1 + self.RETRIES, 500)])
        finally:
            receiver.stop()

    def test_an_attempt_without_an_answer_within_the_timeout_is_retried(self):
        hang = 4 * self.TIMEOUT + 1
        receiver = TimedReceiver(lambda n: ("sleep", hang, 200) if n == 0 else 200)
        try:
            self.order_to(receiver.url, "timeout")
            first, second = self.wait_arrivals(receiver, 2, timeout=20)[:2]
            gap = second - first
            print(f"retry after a hung attempt: {gap:.3f} s")
            # Cut at timeout_ms, then the first backoff; not after the receiver's late answer.
            self.assertTrue(self.TIMEOUT + self.BASE - 0.05 <= gap
                            <= self.TIMEOUT + self.BASE + self.SLACK,
                            f"the retry came {gap:.3f} s after the hung attempt (timeout "
                            f"{self.TIMEOUT} s + backoff {self.BASE} s; the receiver hung {hang} s)")
            time.sleep(hang)
            self.assertEqual(len(receiver.times()), 2, "delivered by the retry: nothing more")
        finally:
            receiver.stop()


if __name__ == "__main__":
    harness.main()
