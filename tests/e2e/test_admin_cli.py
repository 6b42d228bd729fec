"""The admin CLI (`instamarketd --config CFG admin ...`: one JSON document on stdout, errors as
{"error": ...} on stderr with exit code 1, or 2 for usage errors, and nothing changed on error)
and the admin HTTP API's audit log (GET /api/admin/api-audit with X-Admin-Token)."""

import json
import re
import time

import harness
from harness import ADMIN_TOKEN, DaemonTestCase, RUN_ID

KEY_LIST_FIELDS = {"key_id", "label", "prefix", "has_hmac", "allowed_ips", "created_at",
                   "revoked_at"}
AUDIT_FIELDS = {"id", "actor", "action", "target", "details", "created_at"}
UNKNOWN_KEY_ID = 2_000_000_001


class AdminCliTest(DaemonTestCase):
    MODULE = "admincli"

    def new_key(self, name, **kw):
        return self.daemon.create_key(harness.label(self.MODULE, name), **kw)

    def list_keys(self):
        p = self.daemon.run_cli("admin", "keys", "list")
        self.assertEqual(p.returncode, 0, p.stderr)
        keys = json.loads(p.stdout)
        self.assertIsInstance(keys, list)
        return {k["key_id"]: k for k in keys}, p.stdout

    def assertFails(self, args, code=1, codes=None):
        rc, err, p = self.daemon.admin_fail(*args)
        if codes is None:
            codes = (code,)
        self.assertIn(rc, codes, f"admin {args}: exit {rc}\nstdout: {p.stdout}\nstderr: "
                                 f"{p.stderr}")
        self.assertIsInstance(err, dict, f"stderr is not a JSON error: {p.stderr!r}")
        self.assertIsInstance(err.get("error"), str, err)
        self.assertTrue(err["error"])
        self.assertEqual(p.stdout.strip(), "", "a failed command printed a result")
        return err

    def balance(self, key):
        r = self.daemon.get("/balance", key=key)
        self.assertEqual(r.status_code, 200, r.text)
        return r.json()

    # ----- keys ----------------------------------------------------------------------------

    def test_keys_create(self):
        plain = self.new_key("create-plain")
        self.assertEqual(set(plain), {"key_id", "api_key", "hmac_secret", "webhook_secret"})
        self.assertIs(type(plain["key_id"]), int)
        self.assertTrue(plain["api_key"].startswith("imk_"), plain)
        self.assertGreaterEqual(len(plain["api_key"]), 4 + 20, "an API key needs entropy")
        self.assertIsNone(plain["hmac_secret"])
        signed = self.new_key("create-hmac", hmac=True)
        self.assertRegex(signed["hmac_secret"], r"^[0-9a-f]{64}$")
        # Every key signs its webhooks, with a secret of its own.
        self.assertRegex(plain["webhook_secret"], r"^whsec_[0-9a-f]{64}$")
        self.assertNotEqual(signed["webhook_secret"], plain["webhook_secret"])
        self.assertNotIn(signed["hmac_secret"], signed["webhook_secret"])
        self.assertNotEqual(signed["api_key"], plain["api_key"])
        self.assertNotEqual(signed["key_id"], plain["key_id"])

    def test_keys_list_never_shows_secrets(self):
        before = int(time.time())
        plain = self.new_key("list-plain")
        signed = self.new_key("list-hmac", hmac=True, allow_ips=["10.1.2.3", "127.0.0.1"])
        keys, text = self.list_keys()
        for created, has_hmac, ips, name in ((plain, False, [], "list-plain"),
                                             (signed, True, ["10.1.2.3", "127.0.0.1"],
                                              "list-hmac")):
            row = keys[created["key_id"]]
            self.assertEqual(set(row), KEY_LIST_FIELDS, row)
            self.assertEqual(row["label"], harness.label(self.MODULE, name))
            self.assertIs(row["has_hmac"], has_hmac)
            self.assertEqual(sorted(row["allowed_ips"]), sorted(ips))
            self.assertIsNone(row["revoked_at"])
            self.assertIs(type(row["created_at"]), int)
            self.assertTrue(before - 5 <= row["created_at"] <= time.time() + 5, row)
            self.assertTrue(created["api_key"].startswith(row["prefix"]), row)
            self.assertLess(len(row["prefix"]), len(created["api_key"]) - 16)
            self.assertNotIn(created["api_key"], text)
        self.assertNotIn(signed["hmac_secret"], text)

    def test_keys_revoke(self):
        created = self.new_key("revoke")
        out = self.daemon.admin("keys", "revoke", created["key_id"])
        self.assertEqual(out, {"key_id": created["key_id"], "revoked": True})
        keys, _ = self.list_keys()
        self.assertIs(type(keys[created["key_id"]]["revoked_at"]), int)
        self.daemon.wait_key_cache()
        self.assertProblem(self.daemon.get("/health", key=created["api_key"]), 401)

    def test_revoke_unknown_key_fails(self):
        self.assertFails(["keys", "revoke", UNKNOWN_KEY_ID])
        self.assertFails(["keys", "revoke", "abc"], codes=(1, 2))

    def test_rotate_secret(self):
        created = self.new_key("rotate", hmac=True)
        out = self.daemon.admin("keys", "rotate-secret", created["key_id"])
        self.assertEqual(set(out), {"key_id", "hmac_secret"})
        self.assertEqual(out["key_id"], created["key_id"])
        self.assertRegex(out["hmac_secret"], r"^[0-9a-f]{64}$")
        self.assertNotEqual(out["hmac_secret"], created["hmac_secret"])
        self.assertFails(["keys", "rotate-secret", UNKNOWN_KEY_ID])

    def test_allow_and_deny_ip(self):
        created = self.new_key("ips")
        kid = created["key_id"]
        self.assertEqual(self.daemon.admin("keys", "allow-ip", kid, "10.1.2.3"),
                         {"key_id": kid, "allowed_ips": ["10.1.2.3"]})
        out = self.daemon.admin("keys", "allow-ip", kid, "10.1.2.4")
        self.assertEqual(out["key_id"], kid)
        self.assertEqual(sorted(out["allowed_ips"]), ["10.1.2.3", "10.1.2.4"])
        out = self.daemon.admin("keys", "allow-ip", kid, "10.1.2.4")  # already there
        self.assertEqual(sorted(out["allowed_ips"]), ["10.1.2.3", "10.1.2.4"])
        self.assertEqual(self.daemon.admin("keys", "deny-ip", kid, "10.1.2.3"),
                         {"key_id": kid, "allowed_ips": ["10.1.2.4"]})
        # Bad input changes nothing.
        self.assertFails(["keys", "allow-ip", kid, "not-an-ip"], codes=(1, 2))
        self.assertFails(["keys", "allow-ip", kid, "10.1.2.300"], codes=(1, 2))
        self.assertFails(["keys", "allow-ip", UNKNOWN_KEY_ID, "10.1.2.3"])
        keys, _ = self.list_keys()
        self.assertEqual(keys[kid]["allowed_ips"], ["10.1.2.4"])
        self.assertEqual(self.daemon.admin("keys", "deny-ip", kid, "10.1.2.4"),
                         {"key_id": kid, "allowed_ips": []})

    def test_usage_errors_exit_2(self):
        for args in (["frobnicate"], ["keys", "frobnicate"], ["credit"],
                     ["credit", "1", "5"],  # --reason is required
                     ["keys", "create", "--label"]):
            with self.subTest(args=args):
                self.assertFails(args, code=2)

    # ----- credit --------------------------------------------------------------------------

    def test_credit_and_bad_amounts(self):
        created = self.new_key("credit")
        kid = created["key_id"]
        out = self.daemon.credit(kid, "1.5", reason="first")
        self.assertEqual(out["key_id"], kid)
        self.assertEqual(out["amount_usdt"], 1.5)
        self.assertEqual(out["balance_usdt"], 1.5)
        for amount in ("abc", "1.0000001", "0", "0.0", "", "1,5", "NaN", "1e999",
                       "99999999999999999999"):
            with self.subTest(amount=amount):
                self.assertFails(["credit", kid, amount, "--reason", "bad"])
        self.assertFails(["credit", kid, "-5", "--reason", "bad"], codes=(1, 2))
        self.assertFails(["credit", UNKNOWN_KEY_ID, "5", "--reason", "bad"])
        body = self.balance(created["api_key"])
        self.assertEqual(body["balance_usdt"], 1.5)
        self.assertEqual(body["total_topup_usdt"], 1.5)

    # ----- catalog and stock import --------------------------------------------------------

    def product(self, pid, tag, price="2.5", category=None):
        return {"id": pid, "sku": f"E2E-{RUN_ID}-CLI-{tag}", "name": f"CLI product {tag}",
                "category": category or f"e2e-cat-{RUN_ID}-cli", "price_usdt": price,
                "min_quantity": 1}

    def get_product(self, pid):
        return self.daemon.get(f"/products/{pid}", key=self.key())

    def key(self):
        if not hasattr(type(self), "_key"):
            type(self)._key = self.new_key("reader")["api_key"]
        return type(self)._key

    def test_catalog_import_upserts(self):
        ids = harness.unique_ids(4)
        ps = [self.product(ids[i], f"U{i}") for i in range(3)]
        self.assertEqual(self.daemon.import_catalog(ps), {"inserted": 3, "updated": 0})
        r = self.get_product(ids[1])
        self.assertEqual(r.status_code, 200, r.text)
        self.assertEqual(r.json(), {"id": ids[1], "sku": ps[1]["sku"], "name": ps[1]["name"],
                                    "category": ps[1]["category"], "price_usdt": 2.5,
                                    "min_quantity": 1, "stock": 0})
        changed = dict(ps[0], name="renamed", price_usdt="3.75", min_quantity=4)
        self.assertEqual(self.daemon.import_catalog([changed, self.product(ids[3], "U3")]),
                         {"inserted": 1, "updated": 1})
        body = self.get_product(ids[0]).json()
        self.assertEqual((body["name"], body["price_usdt"], body["min_quantity"]),
                         ("renamed", 3.75, 4))
        self.assertEqual(self.get_product(ids[3]).status_code, 200)

    def test_bad_catalog_line_changes_nothing(self):
        ids = harness.unique_ids(3)
        good = harness.catalog_line(self.product(ids[0], "G0"))
        bad_files = {
            "not json": [good, "{not json"],
            "missing price": [good, json.dumps({k: v for k, v in self.product(
                ids[1], "G1").items() if k != "price_usdt"})],
            "7 decimals": [good, harness.catalog_line(self.product(ids[1], "G1",
                                                                   price="1.0000001"))],
            "text id": [good, harness.catalog_line(dict(self.product(ids[1], "G1"),
                                                        id="abc"))],
        }
        for name, lines in bad_files.items():
            with self.subTest(case=name):
                path = self.daemon.write_lines("bad-catalog", lines)
                err = self.assertFails(["catalog", "import", path])
                self.assertRegex(err["error"], r"(?i)line\D{0,3}2\b", err)
                self.assertProblem(self.get_product(ids[0]), 404)
        self.assertFails(["catalog", "import", "/nonexistent/catalog.jsonl"])

    def test_stock_import_counts_duplicates(self):
        pid = harness.unique_ids(1)[0]
        self.daemon.import_catalog([self.product(pid, "S")])
        items = harness.stock_items(f"{RUN_ID}-stock", 4)
        self.assertEqual(self.daemon.import_stock(pid, items[:3]),
                         {"product_id": pid, "added": 3, "duplicates": 0, "stock": 3})
        self.assertEqual(self.daemon.import_stock(pid, items[:3]),
                         {"product_id": pid, "added": 0, "duplicates": 3, "stock": 3})
        self.assertEqual(self.daemon.import_stock(pid, items[1:] + [items[3]]),
                         {"product_id": pid, "added": 1, "duplicates": 3, "stock": 4})
        self.assertEqual(self.get_product(pid).json()["stock"], 4)
        self.assertFails(["stock", "import", UNKNOWN_KEY_ID,
                          self.daemon.write_lines("stock", [json.dumps(items[0])])])
        self.assertEqual(self.get_product(pid).json()["stock"], 4)

    # ----- audit log -----------------------------------------------------------------------

    def audit_rows(self):
        r = self.daemon.audit()
        body = self.assertJson(r)
        self.assertEqual(set(body), {"items"})
        rows = body["items"]
        self.assertLessEqual(len(rows), 50)
        for row in rows:
            self.assertEqual(set(row), AUDIT_FIELDS, row)
        ids = [row["id"] for row in rows]
        self.assertEqual(ids, sorted(ids, reverse=True), "audit rows are not newest first")
        return rows

    def assertAudited(self, action, key_id=None, since=0):
        rows = self.audit_rows()
        for row in rows:
            if row["action"] != action or row["created_at"] < since - 2:
                continue
            if key_id is not None and not re.search(
                    rf"\b{key_id}\b", json.dumps(row["target"]) + json.dumps(row["details"])):
                continue
            self.assertIsInstance(row["actor"], str)
            self.assertTrue(row["actor"])
            return row
        self.fail(f"no audit row {action} for key {key_id}; newest rows: "
                  f"{[(r['action'], r['target']) for r in rows[:10]]}")

    def test_audit_log_records_admin_actions(self):
        since = int(time.time())
        created = self.new_key("audit", hmac=True)
        kid = created["key_id"]
        self.assertAudited("keys.create", kid, since)
        self.daemon.credit(kid, "3", reason="audit")
        self.assertAudited("balance.credit", kid, since)
        self.daemon.admin("keys", "rotate-secret", kid)
        self.assertAudited("keys.rotate_secret", kid, since)
        self.daemon.admin("keys", "allow-ip", kid, "10.1.2.3")
        self.assertAudited("keys.allow_ip", kid, since)
        self.daemon.admin("keys", "deny-ip", kid, "10.1.2.3")
        self.assertAudited("keys.deny_ip", kid, since)
        self.daemon.admin("keys", "revoke", kid)
        self.assertAudited("keys.revoke", kid, since)
        pid = harness.unique_ids(1)[0]
        self.daemon.import_catalog([self.product(pid, "AUD")])
        self.assertAudited("catalog.import", since=since)
        self.daemon.import_stock(pid, harness.stock_items(f"{RUN_ID}-audit", 1))
        self.assertAudited("stock.import", since=since)
        # The audit log never holds a secret.
        text = self.daemon.audit().text
        self.assertNotIn(created["api_key"], text)
        self.assertNotIn(created["hmac_secret"], text)

    def test_failed_command_is_not_audited(self):
        self.assertFails(["credit", UNKNOWN_KEY_ID, "5", "--reason", f"{RUN_ID}-nope"])
        text = self.daemon.audit().text
        self.assertNotIn(f"{RUN_ID}-nope", text)

    def test_audit_needs_the_admin_token(self):
        key = self.new_key("audit-auth")["api_key"]
        for headers in ({}, {"X-Admin-Token": "wrong"}, {"X-Admin-Token": ADMIN_TOKEN + "x"},
                        {"X-Admin-Token": ""}, {"X-API-Key": key},
                        {"Authorization": f"Bearer {ADMIN_TOKEN}"}):
            with self.subTest(headers=list(headers)):
                r = harness.requests.get(self.daemon.base + "/api/admin/api-audit",
                                         headers=headers, timeout=10)
                self.assertProblem(r, 401)


if __name__ == "__main__":
    harness.main()
