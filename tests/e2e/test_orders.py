"""POST/GET /api/v1/orders end to end: every error case with its status and body, fulfilment,
idempotency keys, 1,000 concurrent orders against a balance for 500, expiry, cancel and
refunds (also across kill -9), and the spec's Python example (section 12) run unchanged."""

import concurrent.futures
import json
import os
import subprocess
import sys
import time

import harness
from harness import DaemonTestCase, RUN_ID
import order_harness as oh
from spec_sdk_example import SDK_EXAMPLE  # the spec's Python example, steps 1 to 4


class OrderErrorsTest(DaemonTestCase):
    MODULE = "orders-errors"
    CONFIG = {"orders": {"min_order_usdt": "2.00"}}

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        d = cls.daemon
        cls.product, _ = oh.make_product(d, "err", price="0.5", min_quantity=5, stock=20)
        cls.key = oh.funded_key(d, "err", "3")

    def test_unknown_product_is_404(self):
        r = oh.place(self.daemon, self.key["api_key"], 999_999_999_999, 5)
        self.assertIn("999999999999", self.assertProblem(r, 404)["detail"])

    def test_bad_bodies_are_422_and_name_the_field(self):
        d, key = self.daemon, self.key["api_key"]
        cases = [
            ({"product_id": self.product, "quantity": 0}, ["quantity"]),
            ({"product_id": self.product, "quantity": 10001}, ["quantity"]),
            ({"product_id": self.product, "quantity": 1.5}, ["quantity"]),
            ({"product_id": self.product, "quantity": 5.0}, ["quantity"]),
            ({"product_id": self.product, "quantity": "5"}, ["quantity"]),
            ({"quantity": 5}, ["product_id"]),
            ({"product_id": -3, "quantity": 5}, ["product_id"]),
            ({"product_id": self.product, "quantity": 5, "webhook_url": "ftp://x.example/cb"}, ["webhook_url"]),
            ({"product_id": self.product, "quantity": 5, "webhook_url": "http://127.0.0.1:9/cb"}, ["webhook_url"]),
            ({"product_id": self.product, "quantity": 5, "webhook_url": "http://10.1.2.3/cb"}, ["webhook_url"]),
            ({"product_id": self.product, "quantity": 5, "webhook_url": "http://[::1]/cb"}, ["webhook_url"]),
            ({"product_id": self.product, "quantity": 5, "webhook_url": "https://localhost/cb"}, ["webhook_url"]),
            ({"product_id": self.product, "quantity": 5, "webhook_url": "https://169.254.169.254/x"}, ["webhook_url"]),
            ({"product_id": self.product, "quantity": 5, "webhook_url": "http://2130706433:9/cb"}, ["webhook_url"]),
            ({"product_id": self.product, "quantity": 5, "webhook_url": "http://0x7f.1:9/cb"}, ["webhook_url"]),
            ({"product_id": self.product, "quantity": 5, "webhook_url": "http://[2002:7f00:1::]/cb"}, ["webhook_url"]),
            ({"product_id": self.product, "quantity": 5, "webhook_url": "http://[64:ff9b::7f00:1]/cb"}, ["webhook_url"]),
            ({"product_id": self.product, "quantity": 5, "extra": 1}, ["extra"]),
        ]
        for body, fields in cases:
            with self.subTest(body=body):
                r = d.post("/orders", key=key, data=json.dumps(body))
                self.assertProblem(r, 422, fields)
        for raw in ["", "[]", "{", "null", '{"product_id": 1, "quantity": 5'] :
            with self.subTest(raw=raw):
                self.assertProblem(d.post("/orders", key=key, data=raw), 422)
        self.assertEqual(self.balance(), 3)

    def balance(self):
        return self.daemon.get("/balance", key=self.key["api_key"]).json()["balance_usdt"]

    def test_below_min_quantity_is_400_with_the_required_amount(self):
        r = oh.place(self.daemon, self.key["api_key"], self.product, 4)
        body = self.assertProblem(r, 400)
        self.assertEqual(body["min_quantity"], 5)
        self.assertEqual(body["required_quantity"], 5)
        self.assertIn("5", body["detail"])

    def test_below_min_order_value_is_400(self):
        other, _ = oh.make_product(self.daemon, "cheap", price="0.1", min_quantity=1, stock=5)
        r = oh.place(self.daemon, self.key["api_key"], other, 3)  # 0.3 < 2.00
        body = self.assertProblem(r, 400)
        self.assertEqual(body["min_order_usdt"], 2.0)
        self.assertEqual(body["price_usdt"], 0.3)

    def test_other_payment_methods_are_501(self):
        r = oh.place(self.daemon, self.key["api_key"], self.product, 5, payment_method="invoice")
        self.assertProblem(r, 501)
        self.assertEqual(self.balance(), 3)

    def test_insufficient_balance_is_402_with_what_to_do(self):
        r = oh.place(self.daemon, self.key["api_key"], self.product, 10)  # 5.0 > 3
        body = self.assertProblem(r, 402)
        self.assertEqual(body["balance_usdt"], 3.0)
        self.assertEqual(body["price_usdt"], 5.0)
        self.assertEqual(body["missing_usdt"], 2.0)
        self.assertEqual(body["topup"]["path"], "/api/v1/balance/topup")
        self.assertIn("/balance/topup", body["detail"])

    def test_total_beyond_int64_is_422_not_500(self):
        """A product priced before the catalog capped unit prices (price × 10000 must fit in
        int64): ordering 10000 of it overflows the total. That is the request's number, 422."""
        pid, _ = oh.make_product(self.daemon, "overflow", price="1.0", stock=0)
        oh.psql(f"UPDATE products SET price = 9000000000000000000 WHERE id = {pid}")
        before = self.balance()
        r = oh.place(self.daemon, self.key["api_key"], pid, 10000)
        self.assertProblem(r, 422)
        self.assertEqual(self.balance(), before)

    def test_insufficient_stock_is_409(self):
        rich = oh.funded_key(self.daemon, "rich", "1000")
        product, _ = oh.make_product(self.daemon, "few", price="0.5", min_quantity=5, stock=20)
        r = oh.place(self.daemon, rich["api_key"], product, 21)
        body = self.assertProblem(r, 409)
        self.assertEqual(body["stock"], 20)
        self.assertEqual(body["requested_quantity"], 21)
        self.assertEqual(self.daemon.get("/balance", key=rich["api_key"]).json()["balance_usdt"], 1000)

    def test_a_key_cannot_see_another_keys_order(self):
        rich = oh.funded_key(self.daemon, "owner", "10")
        r = oh.place(self.daemon, rich["api_key"], self.product, 5)
        order = self.assertJson(r, 201)
        self.assertProblem(self.daemon.get(f"/orders/{order['order_id']}", key=self.key["api_key"]), 404)
        self.assertProblem(self.daemon.get("/orders/abc", key=self.key["api_key"]), 404)
        self.assertProblem(self.daemon.get("/orders/0", key=self.key["api_key"]), 404)

    def test_webhook_host_that_resolves_inward_is_never_called(self):
        # A name this machine resolves to loopback (from /etc/hosts): the URL check at order time
        # cannot know where it points, the connect check at send time refuses the address.
        name = oh.name_resolving_to_loopback()
        if name is None:
            self.skipTest("no name other than localhost resolves to loopback here")
        receiver = oh.WebhookReceiver()
        try:
            port = receiver.url.rsplit(":", 1)[1].split("/")[0]
            key = oh.funded_key(self.daemon, "ssrf", "5")
            r = oh.place(self.daemon, key["api_key"], self.product, 5,
                         webhook_url=f"http://{name}:{port}/hook")
            order = self.assertJson(r, 201)
            deadline = time.monotonic() + 20
            while True:
                rows = [w for w in self.daemon.admin("webhooks", "list")
                        if w["order_id"] == order["order_id"] and w["attempts"] > 0]
                if rows:
                    break
                self.assertLess(time.monotonic(), deadline, "no delivery attempt")
                time.sleep(0.1)
            self.assertIn("refused to connect to non-public address 127.", rows[0]["last_error"])
            self.assertEqual(receiver.connections(), 0)
        finally:
            receiver.stop()

    def test_bad_idempotency_key_is_422(self):
        r = oh.place(self.daemon, self.key["api_key"], self.product, 5,
                     headers={"Idempotency-Key": "x" * 256})
        self.assertProblem(r, 422, ["Idempotency-Key"])


class OrderFlowTest(DaemonTestCase):
    MODULE = "orders-flow"
    CONFIG = {"api": {"rate_limit_per_minute": 1000000}}

    def test_order_completes_with_its_items_and_is_debited_exactly(self):
        d = self.daemon
        product, items = oh.make_product(d, "flow", price="1.25", min_quantity=2, stock=6)
        key = oh.funded_key(d, "flow", "10")
        r = oh.place(d, key["api_key"], product, 4)
        created = self.assertJson(r, 201)
        self.assertEqual(created["status"], "processing")
        self.assertEqual(created["price_usdt"], 5.0)
        self.assertEqual(created["quantity"], 4)
        self.assertIs(created["refunded"], False)
        self.assertNotIn("items", created)
        for field in ("order_id", "created_at", "updated_at"):
            self.assertIs(type(created[field]), int)
        done = oh.wait_final(d, key["api_key"], created["order_id"])
        self.assertEqual(done["status"], "completed")
        self.assertEqual(done["items"], items[:4])
        bal = d.get("/balance", key=key["api_key"]).json()
        self.assertEqual((bal["balance_usdt"], bal["total_spent_usdt"]), (5.0, 5.0))
        self.assertEqual(d.get("/usage", key=key["api_key"]).json()["total_spent_usdt"], 5.0)
        listed = self.assertJson(d.get("/orders", key=key["api_key"]))
        self.assertEqual(listed["total"], 1)
        self.assertEqual(listed["items"][0]["order_id"], created["order_id"])
        self.assertNotIn("items", listed["items"][0])
        product_view = d.get(f"/products/{product}", key=key["api_key"]).json()
        self.assertEqual(product_view["stock"], 2)
        oh.ledger_checks(self, key["key_id"])

    def test_idempotency_key_returns_the_same_order(self):
        d = self.daemon
        product, _ = oh.make_product(d, "idem", price="1", stock=5)
        key = oh.funded_key(d, "idem", "10")
        h = {"Idempotency-Key": f"order-{RUN_ID}-1"}
        first = self.assertJson(oh.place(d, key["api_key"], product, 2, headers=h), 201)
        again = oh.place(d, key["api_key"], product, 2, headers=h)
        self.assertEqual(self.assertJson(again, 200)["order_id"], first["order_id"])
        self.assertEqual(again.headers.get("Idempotent-Replayed"), "true")
        other = oh.place(d, key["api_key"], product, 3, headers=h)
        self.assertProblem(other, 422, ["Idempotency-Key"])
        # Scoped per key: another key may use the same value.
        key2 = oh.funded_key(d, "idem2", "10")
        self.assertJson(oh.place(d, key2["api_key"], product, 2, headers=h), 201)
        self.assertEqual(d.get("/balance", key=key["api_key"]).json()["balance_usdt"], 8.0)

    def test_concurrent_orders_never_overspend_or_oversell(self):
        d = self.daemon
        # 1,000 orders of 1.00 against a balance of 500.00 and enough stock: exactly 500 pass.
        product, _ = oh.make_product(d, "race", price="1", stock=1200)
        key = oh.funded_key(d, "race", "500")
        results = self.fire(key["api_key"], product, 1000)
        self.assertEqual(results.get(201, 0), 500, results)
        self.assertEqual(results.get(402, 0), 500, results)
        self.assertEqual(d.get("/balance", key=key["api_key"]).json()["balance_usdt"], 0)
        self.assertEqual(oh.ledger_checks(self, key["key_id"]), 0)
        # Stock is the limit now: 300 items, balance for 500.
        product2, _ = oh.make_product(d, "race2", price="1", stock=300)
        key2 = oh.funded_key(d, "race2", "500")
        results = self.fire(key2["api_key"], product2, 1000)
        self.assertEqual(results.get(201, 0), 300, results)
        self.assertEqual(results.get(201, 0) + results.get(402, 0) + results.get(409, 0), 1000, results)
        self.assertEqual(d.get("/balance", key=key2["api_key"]).json()["balance_usdt"], 200)
        oh.ledger_checks(self, key2["key_id"])
        # Every accepted order gets its own items, none twice, and stock never goes below zero.
        deadline = time.monotonic() + 60
        while oh.psql(f"SELECT count(*) FROM orders WHERE product_id IN ({product}, {product2}) "
                      "AND status = 'processing'") != [["0"]]:
            self.assertLess(time.monotonic(), deadline, "orders still processing")
            time.sleep(0.2)
        rows = oh.psql(f"""SELECT p.id, p.stock,
                                  (SELECT count(*) FROM stock_items s WHERE s.product_id = p.id AND s.order_id IS NULL),
                                  (SELECT count(*) FROM orders o WHERE o.product_id = p.id AND o.status = 'completed')
                             FROM products p WHERE p.id IN ({product}, {product2}) ORDER BY p.id""")
        expected = {product: ("700", "700", "500"), product2: ("0", "0", "300")}
        for pid, stock, unsold, completed in rows:
            self.assertEqual((stock, unsold, completed), expected[int(pid)])

    def fire(self, key, product, count):
        body = oh.order_body(product, 1)
        session_url = self.daemon.url("/orders")
        import requests

        def one(_):
            return requests.post(session_url, data=body, timeout=60,
                                 headers={"X-API-Key": key, "Content-Type": "application/json"}).status_code

        with concurrent.futures.ThreadPoolExecutor(max_workers=100) as pool:
            codes = list(pool.map(one, range(count)))
        out = {}
        for c in codes:
            out[c] = out.get(c, 0) + 1
        return out


class OrderExpiryAndRefundTest(DaemonTestCase):
    """No fulfilment on this instance (orders.fulfil: false): orders stay processing until they
    expire or are cancelled, and the refund job pays them back once."""
    MODULE = "orders-refund"
    CONFIG = {"orders": {"fulfil": "false", "fulfilment_deadline_seconds": 2,
                         "refund_interval_seconds": 1},
              "api": {"rate_limit_per_minute": 1000000}}

    def test_expired_order_is_refunded_once(self):
        d = self.daemon
        product, _ = oh.make_product(d, "exp", price="2", stock=3)
        key = oh.funded_key(d, "exp", "5")
        order = self.assertJson(oh.place(d, key["api_key"], product, 2), 201)
        self.assertEqual(d.get(f"/products/{product}", key=key["api_key"]).json()["stock"], 1)
        done = oh.wait_final(d, key["api_key"], order["order_id"], refunded=True)
        self.assertEqual(done["status"], "expired")
        self.assertNotIn("items", done)
        self.assertTrue(done["error_message"])
        bal = d.get("/balance", key=key["api_key"]).json()
        self.assertEqual((bal["balance_usdt"], bal["total_spent_usdt"], bal["total_refunded_usdt"]),
                         (5.0, 4.0, 4.0))
        self.assertEqual(d.get(f"/products/{product}", key=key["api_key"]).json()["stock"], 3)
        time.sleep(1.5)  # another refund pass: nothing more
        self.assertEqual(d.get("/balance", key=key["api_key"]).json()["balance_usdt"], 5.0)
        oh.ledger_checks(self, key["key_id"])

    def test_cancel_refunds_and_cannot_repeat(self):
        d = self.daemon
        product, _ = oh.make_product(d, "cancel", price="1.5", stock=2)
        key = oh.funded_key(d, "cancel", "3")
        order = self.assertJson(oh.place(d, key["api_key"], product, 2), 201)
        out = d.admin("orders", "cancel", order["order_id"])
        self.assertEqual(out["status"], "cancelled")
        code, err, _ = d.admin_fail("orders", "cancel", order["order_id"])
        self.assertNotEqual(code, 0)
        self.assertEqual(err["code"], "failed_precondition")
        done = oh.wait_final(d, key["api_key"], order["order_id"], refunded=True)
        self.assertEqual(done["status"], "cancelled")
        self.assertEqual(d.get("/balance", key=key["api_key"]).json()["balance_usdt"], 3.0)
        audit = [row for row in d.audit().json()["items"] if row["action"] == "orders.cancel"]
        self.assertTrue(audit)

    def test_refunds_survive_kill_9_exactly_once(self):
        d = self.daemon
        product, _ = oh.make_product(d, "kill", price="1", stock=150)
        key = oh.funded_key(d, "kill", "150")
        ids = []
        for _ in range(150):
            ids.append(self.assertJson(oh.place(d, key["api_key"], product, 1), 201)["order_id"])
        self.assertEqual(d.get("/balance", key=key["api_key"]).json()["balance_usdt"], 0)
        # Expiry is 2 s away: kill -9 six times while orders expire and refunds are paid,
        # restarting each time, then let it finish.
        in_list = ",".join(map(str, ids))
        progress = []
        for _ in range(6):
            time.sleep(0.5)
            d.kill()
            progress.append(int(oh.psql(f"SELECT count(*) FROM orders WHERE id IN ({in_list}) AND refunded")[0][0]))
            d.start()
        deadline = time.monotonic() + 60
        while int(oh.psql(f"SELECT count(*) FROM orders WHERE id IN ({in_list}) AND refunded")[0][0]) < len(ids):
            self.assertLess(time.monotonic(), deadline, f"not all refunded; at the kills: {progress}")
            time.sleep(0.2)
        refunds = oh.psql(f"""SELECT count(*), count(DISTINCT t.idempotency_key) FROM ledger_transactions t
                               WHERE t.kind = 'refund' AND t.idempotency_key IN
                               ({','.join(f"'refund:order:{i}'" for i in ids)})""")
        self.assertEqual(refunds, [[str(len(ids)), str(len(ids))]])
        self.assertEqual(d.get("/balance", key=key["api_key"]).json()["balance_usdt"], 150)
        oh.ledger_checks(self, key["key_id"])


class FulfilmentKillTest(DaemonTestCase):
    MODULE = "orders-kill"
    CONFIG = {"api": {"rate_limit_per_minute": 1000000}}

    def test_kill_9_during_fulfilment_delivers_each_item_once(self):
        d = self.daemon
        product, items = oh.make_product(d, "fkill", price="1", stock=400)
        key = oh.funded_key(d, "fkill", "400")
        ids = []
        for i in range(200):
            ids.append(self.assertJson(oh.place(d, key["api_key"], product, 2), 201)["order_id"])
            if i in (60, 140):
                d.kill()
                d.start()
        for order_id in ids:
            done = oh.wait_final(d, key["api_key"], order_id)
            self.assertEqual(done["status"], "completed")
            self.assertEqual(len(done["items"]), 2)
        delivered = oh.psql(f"SELECT count(*), count(DISTINCT order_id) FROM stock_items WHERE product_id = {product}")
        self.assertEqual(delivered, [["400", "200"]])
        self.assertEqual(oh.ledger_checks(self, key["key_id"]), 0)



class SpecOrderExampleTest(DaemonTestCase):
    """The whole SDK example on a database of its own, so its first product is ours."""
    MODULE = "orders-spec"

    @classmethod
    def setUpClass(cls):
        harness.require_environment()
        state = os.environ["INSTAMARKET_TEST_PG_STATE"]
        port = os.environ["INSTAMARKET_TEST_PG_PORT"]
        url = subprocess.run([harness.PG_SCRIPT, "createdb", state, port, f"spec_orders_{RUN_ID}"],
                             capture_output=True, text=True, check=True).stdout.strip()
        cls.CONFIG = {"database": {"url": url}}
        super().setUpClass()
        d = cls.daemon
        d.run_cli("migrate")
        d.import_catalog([{"id": 777, "sku": "spec-1", "name": "Spec product", "category": "spec",
                           "price_usdt": "2.5", "min_quantity": 1}])
        cls.items = harness.stock_items("spec", 3)
        d.import_stock(777, cls.items)
        created = d.create_key("spec-example")
        d.credit(created["key_id"], "10", reason="spec example")
        cls.key = created["api_key"]

    def test_python_sdk_example_runs_unchanged(self):
        code = (SDK_EXAMPLE.replace("YOUR_API_KEY", self.key)
                .replace("https://instamarket.pro/api/v1", self.daemon.base + "/api/v1"))
        p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
        self.assertEqual(p.returncode, 0, p.stderr)
        lines = p.stdout.splitlines()
        self.assertEqual(lines[0], "Balance: 10.0 USDT")
        self.assertRegex(lines[1], r"^Order #\d+ processing$")
        self.assertEqual(lines[2], f"Final: completed, items={[self.items[0]]}, refunded=False")


if __name__ == "__main__":
    harness.main()
