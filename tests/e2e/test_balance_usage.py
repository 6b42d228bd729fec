"""GET /balance (exact decimal amounts after `admin credit`) and GET /usage (per-key counters)."""

import time

import harness
from harness import DaemonTestCase

BALANCE_FIELDS = {"balance_usdt", "total_spent_usdt", "total_topup_usdt", "total_refunded_usdt",
                  "currency"}
USAGE_FIELDS = {"request_count", "last_used_at", "first_used_at", "last_endpoint",
                "total_spent_usdt"}


class BalanceTest(DaemonTestCase):
    MODULE = "balance"

    def new_key(self, name):
        return self.daemon.create_key(harness.label(self.MODULE, name))

    def balance(self, key):
        r = self.daemon.get("/balance", key=key)
        body = self.assertJson(r)
        self.assertEqual(set(body), BALANCE_FIELDS, body)
        self.assertEqual(body["currency"], "USDT")
        return body, r.text

    def test_new_key_has_zero_balance(self):
        body, _ = self.balance(self.new_key("zero")["api_key"])
        self.assertEqual(body, {"balance_usdt": 0, "total_spent_usdt": 0, "total_topup_usdt": 0,
                                "total_refunded_usdt": 0, "currency": "USDT"})
        for name in BALANCE_FIELDS - {"currency"}:
            self.assertIn(type(body[name]), (int, float), name)

    def test_credit_is_exact(self):
        created = self.new_key("credit")
        out = self.daemon.credit(created["key_id"], "12.34", reason="x")
        self.assertLessEqual({"key_id", "amount_usdt", "balance_usdt", "transaction_id"},
                             set(out), out)
        self.assertEqual(out["key_id"], created["key_id"])
        self.assertEqual(out["amount_usdt"], 12.34)
        self.assertEqual(out["balance_usdt"], 12.34)
        self.assertIs(type(out["transaction_id"]), int)
        body, text = self.balance(created["api_key"])
        self.assertEqual(body, {"balance_usdt": 12.34, "total_spent_usdt": 0,
                                "total_topup_usdt": 12.34, "total_refunded_usdt": 0,
                                "currency": "USDT"})
        self.assertIn('"balance_usdt":12.34', text)
        self.assertIn('"total_topup_usdt":12.34', text)

        out2 = self.daemon.credit(created["key_id"], "0.66", reason="second")
        self.assertEqual(out2["balance_usdt"], 13.0)
        self.assertNotEqual(out2["transaction_id"], out["transaction_id"])
        body, text = self.balance(created["api_key"])
        self.assertIn('"balance_usdt":13.0', text)
        self.assertIn('"total_topup_usdt":13.0', text)
        self.assertEqual(body["total_spent_usdt"], 0)

    def test_smallest_unit_is_kept(self):
        created = self.new_key("micro")
        self.daemon.credit(created["key_id"], "0.000001")
        self.daemon.credit(created["key_id"], "0.000002")
        _, text = self.balance(created["api_key"])
        self.assertIn('"balance_usdt":0.000003', text)

    def test_large_amount_is_exact(self):
        created = self.new_key("large")
        self.daemon.credit(created["key_id"], "123456789.123456")
        body, text = self.balance(created["api_key"])
        self.assertIn('"balance_usdt":123456789.123456', text)
        self.assertEqual(body["total_topup_usdt"], 123456789.123456)

    def test_balances_are_per_key(self):
        a = self.new_key("iso-a")
        b = self.new_key("iso-b")
        self.daemon.credit(a["key_id"], "5")
        body_a, _ = self.balance(a["api_key"])
        body_b, _ = self.balance(b["api_key"])
        self.assertEqual(body_a["balance_usdt"], 5.0)
        self.assertEqual(body_b["balance_usdt"], 0)
        self.assertEqual(body_b["total_topup_usdt"], 0)

    def test_balance_needs_a_key(self):
        self.assertProblem(self.daemon.get("/balance"), 401)


class UsageTest(DaemonTestCase):
    MODULE = "usage"

    def usage(self, key):
        r = self.daemon.get("/usage", key=key)
        body = self.assertJson(r)
        self.assertEqual(set(body), USAGE_FIELDS, body)
        return body

    def test_counts_every_admitted_request(self):
        key = self.daemon.create_key(harness.label(self.MODULE, "count"))["api_key"]
        before = int(time.time())
        first = self.usage(key)
        after = int(time.time())
        self.assertEqual(first["request_count"], 1)
        self.assertEqual(first["last_endpoint"], "/api/v1/usage")
        self.assertIs(type(first["first_used_at"]), int)
        self.assertIs(type(first["last_used_at"]), int)
        self.assertTrue(before - 1 <= first["first_used_at"] <= after + 1, first)
        self.assertTrue(before - 1 <= first["last_used_at"] <= after + 1, first)
        self.assertEqual(first["total_spent_usdt"], 0)

        for _ in range(3):
            self.assertHealthy(key)
        self.assertEqual(self.daemon.get("/products", key=key,
                                         params={"page_size": 1}).status_code, 200)
        self.assertEqual(self.daemon.get("/balance", key=key).status_code, 200)
        # A 422 is still an admitted, authenticated request.
        self.assertProblem(self.daemon.get("/products", key=key, params={"page": "abc"}), 422)
        time.sleep(1.1)  # last_used_at must move on
        second = self.usage(key)
        self.assertEqual(second["request_count"], 8)
        self.assertEqual(second["last_endpoint"], "/api/v1/usage")
        self.assertEqual(second["first_used_at"], first["first_used_at"])
        self.assertGreater(second["last_used_at"], first["last_used_at"])

    def test_unauthenticated_requests_are_not_counted(self):
        created = self.daemon.create_key(harness.label(self.MODULE, "noauth"))
        key = created["api_key"]
        self.assertEqual(self.usage(key)["request_count"], 1)
        # Near misses of this key must not count for it.
        for bad in (key + "0", key[:-1]):
            self.assertProblem(self.daemon.get("/health", key=bad), 401)
        self.assertEqual(self.usage(key)["request_count"], 2)

    def test_keys_are_counted_separately(self):
        a = self.daemon.create_key(harness.label(self.MODULE, "sep-a"))["api_key"]
        b = self.daemon.create_key(harness.label(self.MODULE, "sep-b"))["api_key"]
        for _ in range(5):
            self.assertHealthy(a)
        self.assertEqual(self.usage(b)["request_count"], 1)
        self.assertEqual(self.usage(a)["request_count"], 6)

    def test_usage_survives_a_restart(self):
        key = self.daemon.create_key(harness.label(self.MODULE, "restart"))["api_key"]
        for _ in range(4):
            self.assertHealthy(key)
        first = self.usage(key)
        self.assertEqual(first["request_count"], 5)
        self.daemon.stop_and_check()
        self.daemon.start()
        second = self.usage(key)
        self.assertEqual(second["request_count"], 6)
        self.assertEqual(second["first_used_at"], first["first_used_at"])
        self.assertEqual(second["last_endpoint"], "/api/v1/usage")


if __name__ == "__main__":
    harness.main()
