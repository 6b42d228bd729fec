"""The OpenAPI document against the running daemon: GET /api/v1/openapi.json serves
docs/openapi.json without a key, and the answers of the real server (successes and errors, on
every route) validate against the schemas the document gives for their status code.
(That every route is in the document is checked by tests/unit/openapi_test.cpp.)

Needs python3-jsonschema (scripts/install-deps.sh installs it)."""

import json
import os
import re
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import harness  # noqa: E402
from deposit_harness import ChainDaemon  # noqa: E402

import jsonschema  # noqa: E402
import requests  # noqa: E402

DOC_PATH = os.path.join(harness.REPO_ROOT, "docs", "openapi.json")
with open(DOC_PATH) as f:
    DOC = json.load(f)


def resolve(obj):
    """Follows a local $ref (#/components/...)."""
    while isinstance(obj, dict) and "$ref" in obj:
        node = DOC
        for part in obj["$ref"].lstrip("#/").split("/"):
            node = node[part]
        obj = node
    return obj


def template_of(path):
    """The document's path template that `path` matches, e.g. /api/v1/orders/{id}."""
    for template in DOC["paths"]:
        pattern = "^" + re.sub(r"\{[^/]+\}", "[^/]+", template) + "$"
        if re.match(pattern, path):
            return template
    raise AssertionError(f"{path} matches no path of the document")


def documented_response(responses, status):
    """The response object the document gives for `status`: its own code, else its range (2XX).
    `default` counts only for an operation that documents no code of its own (the webhook
    receiver): otherwise any status would pass through it."""
    spec = responses.get(str(status)) or responses.get(f"{status // 100}XX")
    if spec is None and all(not code.isdigit() for code in responses):
        spec = responses.get("default")
    return spec


class OpenApiTest(harness.DaemonTestCase):
    MODULE = "openapi"

    @classmethod
    def setUpClass(cls):
        harness.require_environment()
        cls.network = f"oas_{harness.RUN_ID}"
        # A network so that top-ups can be created; nothing listens at its endpoint.
        entry = {"id": cls.network, "kind": "tron", "rpc": [f"http://127.0.0.1:{harness.free_port()}"],
                 "token": "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t", "decimals": 6,
                 "address": "TXJTFuXzfoPbWKCnw47AYxMzgVPUyhJGRd", "poll_interval_ms": 1000}
        cls.daemon = ChainDaemon([entry], log={"level": "error"})
        try:
            cls.daemon.start()
            cls.product = harness.unique_ids(1)[0]
            cls.category = f"oas-{harness.RUN_ID}"
            cls.daemon.import_catalog([{"id": cls.product, "sku": f"oas-{cls.product}",
                                        "name": "OpenAPI test accounts", "category": cls.category,
                                        "price_usdt": "1.25", "min_quantity": 1}])
            cls.daemon.import_stock(cls.product, harness.stock_items(f"oas{cls.product}", 5))
            cls.key = cls.daemon.create_key(harness.label("openapi"))
            cls.daemon.credit(cls.key["key_id"], "10")
        except BaseException:
            cls.daemon.cleanup()
            raise

    def check(self, response, path=None):
        """Validates `response` against the document; returns its JSON body."""
        method = response.request.method.lower()
        path = path or response.request.path_url.split("?")[0]
        operation = DOC["paths"][template_of(path)].get(method)
        self.assertIsNotNone(operation, f"{method.upper()} {path} is not documented")
        spec = documented_response(operation["responses"], response.status_code)
        self.assertIsNotNone(spec, f"{method.upper()} {path}: status {response.status_code} "
                                   f"is not documented: {response.text[:300]}")
        spec = resolve(spec)
        ctype = response.headers.get("Content-Type", "").split(";")[0].strip()
        content = spec.get("content", {})
        media = next((v for k, v in content.items() if k.split(";")[0].strip() == ctype), None)
        self.assertIsNotNone(media, f"{method.upper()} {path} {response.status_code}: "
                                    f"{ctype} is not documented (have {list(content)})")
        body = response.json()
        schema = media.get("schema", {})
        validator = jsonschema.Draft202012Validator(
            schema, resolver=jsonschema.RefResolver.from_schema(DOC))
        errors = sorted(validator.iter_errors(body), key=lambda e: list(e.path))
        self.assertFalse(errors, f"{method.upper()} {path} {response.status_code}: " +
                         "; ".join(f"{list(e.path)}: {e.message}" for e in errors[:5]))
        return body

    def get(self, path, key=True, **kw):
        return self.daemon.get(path, key=self.key["api_key"] if key else None, **kw)

    def post(self, path, body, **kw):
        return self.daemon.post(path, key=self.key["api_key"], data=json.dumps(body),
                                headers={"Content-Type": "application/json"}, **kw)

    def admin_get(self, path):
        return self.daemon.get(path, headers={"X-Admin-Token": harness.ADMIN_TOKEN})

    def admin_post(self, path, body=None):
        return self.daemon.post(path, data=json.dumps(body or {}),
                                headers={"X-Admin-Token": harness.ADMIN_TOKEN,
                                         "Content-Type": "application/json"})

    # ----- tests ---------------------------------------------------------------------------

    def test_the_document_is_served_without_a_key(self):
        r = self.daemon.get("/openapi.json")
        self.assertEqual(r.status_code, 200, r.text[:200])
        self.assertEqual(r.json(), DOC)

    def test_committed_documents_are_what_the_generators_write(self):
        out = tempfile.mkdtemp(prefix="instamarket-docs-")
        for script in ("gen_openapi.py", "gen_postman.py"):
            subprocess.run([sys.executable, os.path.join(harness.REPO_ROOT, "scripts", script)],
                           check=True, env=dict(os.environ, INSTAMARKET_DOCS_OUT=out))
        for name in ("openapi.json", "postman_collection.json"):
            with open(os.path.join(out, name)) as a, \
                    open(os.path.join(harness.REPO_ROOT, "docs", name)) as b:
                self.assertEqual(a.read(), b.read(), f"docs/{name} is stale: run scripts/gen_*.py")

    def test_the_docs_page_is_served_and_self_contained(self):
        r = requests.get(self.daemon.base + "/api/docs", timeout=10)
        self.assertEqual(r.status_code, 200)
        self.assertTrue(r.headers["Content-Type"].startswith("text/html"))
        self.assertIn("default-src 'self'", r.headers["Content-Security-Policy"])
        # Not framed by another site (it holds a pasted key), not sniffed as another type.
        self.assertIn("frame-ancestors 'none'", r.headers["Content-Security-Policy"])
        self.assertEqual(r.headers["X-Content-Type-Options"], "nosniff")
        self.assertEqual(r.headers["X-Frame-Options"], "DENY")
        page = r.text
        for needle in ('id="api-key"', 'id="api-secret"', 'href="/api/v1/openapi.json"',
                       'href="/api/docs/postman.json"', "crypto.subtle"):
            self.assertIn(needle, page)
        # Nothing from elsewhere: no external script, style, font or image.
        self.assertFalse(re.findall(r'(?:src|href)\s*=\s*["\']?(?:https?:)?//', page))
        self.assertNotIn("@import", page)

    def test_the_postman_collection_has_every_operation(self):
        r = requests.get(self.daemon.base + "/api/docs/postman.json", timeout=10)
        self.assertEqual(r.status_code, 200)
        self.assertIn("attachment", r.headers["Content-Disposition"])
        collection = r.json()
        self.assertEqual(collection["info"]["schema"],
                         "https://schema.getpostman.com/json/collection/v2.1.0/collection.json")
        requests_in = {(i["request"]["method"], i["request"]["url"]["raw"])
                       for folder in collection["item"] for i in folder["item"]}
        operations = {(m.upper(), "{{base_url}}" + re.sub(r"\{([^}]+)\}", r":\1", p))
                      for p, item in DOC["paths"].items() for m in item if m in ("get", "post")}
        self.assertEqual(requests_in, operations)
        signing = "\n".join(collection["event"][0]["script"]["exec"])
        self.assertIn("HmacSHA256", signing)

    def test_catalog_and_account_answers_match(self):
        self.check(self.get("/health"))
        products = self.check(self.get("/products", params={"category": self.category}))
        self.assertEqual(products["total"], 1)
        self.check(self.get(f"/products/{self.product}"))
        self.check(self.get("/products/999999999999"))  # 404
        self.check(self.get("/products", params={"page_size": 0}))  # 422
        self.check(self.get("/categories"))
        self.check(self.get("/balance"))
        self.check(self.get("/usage"))
        self.check(self.get("/balance", key=False))  # 401

    def test_topup_and_order_answers_match(self):
        topup = self.check(self.post("/balance/topup", {"amount_usdt": 25, "network": self.network}))
        self.check(self.get(f"/balance/topup/{topup['topup_id']}"))
        self.check(self.post("/balance/topup", {"amount_usdt": 0, "network": "nope"}))  # 422
        order = self.check(self.post("/orders", {"product_id": self.product, "quantity": 1}))
        self.check(self.get(f"/orders/{order['order_id']}"))
        self.check(self.get("/orders"))
        self.check(self.post("/orders", {"product_id": self.product, "quantity": 100}))  # 409
        self.check(self.post("/orders", {"product_id": 1, "quantity": 1}))  # 404

    def test_claim_answers_match(self):
        # The successes and the proof errors on a real deposit: tests/e2e/test_claims.py.
        self.check(self.get("/balance/claims"))
        self.check(self.post("/balance/claims", {"network": self.network, "tx_id": "0xnone"}))  # 404
        self.check(self.post("/balance/claims", {"network": "nope", "tx_id": ""}))  # 422
        missing = "00000000-0000-0000-0000-000000000000"
        self.check(self.get(f"/balance/claims/{missing}"))  # 404
        self.check(self.post(f"/balance/claims/{missing}/proof", {"signature": "0x00"}))  # 404
        self.check(self.post(f"/balance/claims/{missing}/review", {"note": 1}))  # 422

    def test_default_absorbs_no_status(self):
        health = DOC["paths"]["/api/v1/health"]["get"]["responses"]
        self.assertIn("default", health)
        self.assertIsNotNone(documented_response(health, 503))
        # Before, any status of an operation passed through its `default`.
        self.assertIsNone(documented_response(health, 418))
        self.assertIsNone(documented_response(health, 500))
        # The webhook receiver documents 2XX and `default` only, on purpose: any other answer
        # is retried.
        receiver = DOC["webhooks"]["orderStatusChanged"]["post"]["responses"]
        self.assertIsNotNone(documented_response(receiver, 204))
        self.assertIsNotNone(documented_response(receiver, 500))

    def test_refusals_match(self):
        poor = self.daemon.create_key(harness.label("openapi", "poor"))
        r = self.daemon.post("/orders", key=poor["api_key"],
                             data=json.dumps({"product_id": self.product, "quantity": 1}),
                             headers={"Content-Type": "application/json"})
        self.assertEqual(r.status_code, 402, r.text)
        self.check(r)
        r = self.daemon.post("/orders", key=self.key["api_key"], data=b"x" * 70000,
                             headers={"Content-Type": "application/json"})
        self.assertEqual(r.status_code, 413, r.text)
        self.check(r, path="/api/v1/orders")

    def test_admin_and_probe_answers_match(self):
        self.check(self.admin_get("/api/admin/api-audit"))
        self.check(self.admin_get("/api/admin/deposits"))
        self.check(self.admin_get("/api/admin/webhooks"))
        order = self.post("/orders", {"product_id": self.product, "quantity": 1}).json()
        self.check(self.admin_post(f"/api/admin/orders/{order['order_id']}/cancel"))
        self.check(self.admin_post("/api/admin/deposits/999999999/assign",
                                   {"key_id": self.key["key_id"], "reason": "test"}))  # 404
        self.check(self.admin_post("/api/admin/webhooks/999999999/redeliver"))  # 404
        self.check(self.admin_get("/api/admin/claims?status=in_review"))
        # Other modules' runs share the database: real rows when they ran first.
        self.check(self.admin_get("/api/admin/reconciliation"))
        self.check(self.admin_get("/api/admin/reconciliation?limit=0"))  # 422
        missing = "00000000-0000-0000-0000-000000000000"
        self.check(self.admin_post(f"/api/admin/claims/{missing}/approve", {"reason": "x"}))  # 404
        self.check(self.admin_post(f"/api/admin/claims/{missing}/refuse", {}))  # 422
        self.check(requests.get(self.daemon.base + "/livez", timeout=10))
        self.check(requests.get(self.daemon.base + "/readyz", timeout=10))


if __name__ == "__main__":
    harness.main()
