"""The examples of the public spec (shared/spec/instamarket-api-v1.txt), run as written against the
daemon with only KEY and the base URL replaced: the curl calls for health, products and balance,
the Quick Start catalog call, and the first two calls of the Python SDK example."""

import json
import subprocess
import sys
import time

import harness
from harness import DaemonTestCase, RUN_ID

from spec_sdk_example import FIRST_TWO_STEPS as SDK_EXAMPLE  # steps 1 and 2


class SpecExamplesTest(DaemonTestCase):
    MODULE = "spec"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        d = cls.daemon
        created = d.create_key(harness.label(cls.MODULE))
        cls.key = created["api_key"]
        d.credit(created["key_id"], "50", reason="spec example balance")
        pid = harness.unique_ids(1)[0]
        cls.product = {"id": pid, "sku": f"E2E-{RUN_ID}-SPEC", "name": "Spec example product",
                       "category": f"e2e-cat-{RUN_ID}-spec", "price_usdt": "1.5",
                       "min_quantity": 10}
        d.import_catalog([cls.product])
        d.import_stock(pid, harness.stock_items(f"{RUN_ID}-spec", 12))
        cls.base = d.base + "/api/v1"

    def curl(self, *args):
        p = subprocess.run(["curl", "-sS", "--max-time", "10", "-w", "\n%{http_code}", *args],
                           capture_output=True, text=True, timeout=30)
        self.assertEqual(p.returncode, 0, p.stderr)
        body, _, code = p.stdout.rpartition("\n")
        return int(code), body

    def test_curl_health(self):
        # curl -H "X-API-Key: $KEY" https://instamarket.pro/api/v1/health
        code, body = self.curl("-H", f"X-API-Key: {self.key}", f"{self.base}/health")
        self.assertEqual(code, 200, body)
        data = json.loads(body)
        self.assertEqual(set(data), {"status", "timestamp"})
        self.assertEqual(data["status"], "ok")
        self.assertLessEqual(abs(data["timestamp"] - time.time()), 5)

    def test_curl_products(self):
        # curl -H "X-API-Key: $KEY" "https://instamarket.pro/api/v1/products?min_price=1&page=1&page_size=50"
        code, body = self.curl("-H", f"X-API-Key: {self.key}",
                               f"{self.base}/products?min_price=1&page=1&page_size=50")
        self.assertEqual(code, 200, body)
        data = json.loads(body)
        self.assertEqual((data["page"], data["page_size"]), (1, 50))
        self.assertGreaterEqual(data["total"], 1)  # at least this module's product
        self.assertTrue(1 <= len(data["items"]) <= 50)
        for item in data["items"]:
            self.assertGreaterEqual(item["price_usdt"], 1)
            self.assertGreaterEqual(item["stock"], 1)
        # Section 12's curl: page_size=5.
        code, body = self.curl("-H", f"X-API-Key: {self.key}",
                               f"{self.base}/products?min_price=1&page_size=5")
        self.assertEqual(code, 200, body)
        self.assertTrue(1 <= len(json.loads(body)["items"]) <= 5)

    def test_quick_start_catalog_call(self):
        # Browse catalog: GET /v1/products?min_qty=10&max_price=2
        code, body = self.curl("-H", f"X-API-Key: {self.key}",
                               f"{self.base}/products?min_qty=10&max_price=2")
        self.assertEqual(code, 200, body)
        for item in json.loads(body)["items"]:
            self.assertGreaterEqual(item["stock"], 10)
            self.assertLessEqual(item["price_usdt"], 2)
        code, body = self.curl("-H", f"X-API-Key: {self.key}",
                               f"{self.base}/products?min_qty=10&max_price=2"
                               f"&sku={self.product['sku']}")
        self.assertEqual(json.loads(body)["items"],
                         [{"id": self.product["id"], "sku": self.product["sku"],
                           "name": self.product["name"], "category": self.product["category"],
                           "price_usdt": 1.5, "min_quantity": 10, "stock": 12}])

    def test_curl_balance(self):
        # curl -H "X-API-Key: $KEY" https://instamarket.pro/api/v1/balance
        code, body = self.curl("-H", f"X-API-Key: {self.key}", f"{self.base}/balance")
        self.assertEqual(code, 200, body)
        self.assertEqual(json.loads(body), {"balance_usdt": 50.0, "total_spent_usdt": 0,
                                            "total_topup_usdt": 50.0, "total_refunded_usdt": 0,
                                            "currency": "USDT"})
        self.assertIn('"balance_usdt":50.0', body)

    def test_curl_without_key_is_401(self):
        code, body = self.curl(f"{self.base}/health")
        self.assertEqual(code, 401, body)
        self.assertEqual(json.loads(body)["status"], 401)

    def test_python_sdk_example(self):
        code = (SDK_EXAMPLE.replace("YOUR_API_KEY", self.key)
                .replace("https://instamarket.pro/api/v1", self.base))
        self.assertNotEqual(code, SDK_EXAMPLE)
        code += ("\nimport json\nprint(json.dumps({'ids': [p['id'] for p in products['items']],"
                 " 'prices': [p['price_usdt'] for p in products['items']],"
                 " 'page_size': products['page_size']}))\n")
        p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                           timeout=60)
        self.assertEqual(p.returncode, 0, p.stderr)
        lines = p.stdout.splitlines()
        self.assertEqual(lines[0], "Balance: 50.0 USDT")
        listed = json.loads(lines[1])
        self.assertEqual(listed["page_size"], 50)
        self.assertTrue(1 <= len(listed["ids"]) <= 50)
        self.assertEqual(listed["ids"], sorted(listed["ids"]))
        self.assertTrue(all(price >= 1 for price in listed["prices"]))


if __name__ == "__main__":
    harness.main()
