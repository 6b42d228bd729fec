"""X-API-Key authentication, revocation, the IP whitelist and X-Forwarded-For from trusted proxies.

The whitelisted address 10.1.2.3 is only ever written into headers and the key's whitelist; no
traffic goes anywhere but 127.0.0.1.
"""

import os
import sys
import time

import requests

import harness
from harness import DaemonTestCase

OTHER_IP = "10.1.2.3"


class AuthTest(DaemonTestCase):
    MODULE = "auth"

    def new_key(self, name, **kw):
        return self.daemon.create_key(harness.label(self.MODULE, name), **kw)

    def test_missing_key_is_401(self):
        for path in ("/health", "/products", "/categories", "/balance", "/usage", "/products/1"):
            with self.subTest(path=path):
                self.assertProblem(self.daemon.get(path), 401)

    def test_empty_and_unknown_keys_are_401(self):
        real = self.new_key("real")["api_key"]
        for bad in ("", "imk_", "imk_doesnotexist0000000000000000", real + "x", real[:-1],
                    real.upper(), "garbage with spaces"):
            with self.subTest(key=bad):
                self.assertProblem(self.daemon.get("/health", key=bad), 401)

    def test_valid_key_health(self):
        key = self.new_key("health")["api_key"]
        before = int(time.time())
        r = self.daemon.get("/health", key=key)
        after = int(time.time())
        body = self.assertJson(r)
        self.assertEqual(set(body), {"status", "timestamp"})
        self.assertEqual(body["status"], "ok")
        self.assertIs(type(body["timestamp"]), int)
        self.assertGreaterEqual(body["timestamp"], before - 1)
        self.assertLessEqual(body["timestamp"], after + 1)

    def test_header_name_is_case_insensitive(self):
        key = self.new_key("case")["api_key"]
        r = self.daemon.get("/health", headers={"x-api-key": key})
        self.assertEqual(r.status_code, 200, r.text)

    def test_revoked_key_is_401(self):
        created = self.new_key("revoke")
        key = created["api_key"]
        self.assertHealthy(key)
        out = self.daemon.admin("keys", "revoke", created["key_id"])
        self.assertEqual(out, {"key_id": created["key_id"], "revoked": True})
        self.daemon.wait_key_cache()
        for path in ("/health", "/balance", "/products"):
            with self.subTest(path=path):
                self.assertProblem(self.daemon.get(path, key=key), 401)

    def test_revoking_one_key_leaves_others(self):
        a = self.new_key("revoke-a")
        b = self.new_key("revoke-b")
        self.daemon.admin("keys", "revoke", a["key_id"])
        self.daemon.wait_key_cache()
        self.assertProblem(self.daemon.get("/health", key=a["api_key"]), 401)
        self.assertHealthy(b["api_key"])

    def test_ip_whitelist_add_and_remove(self):
        created = self.new_key("allow")
        key_id, key = created["key_id"], created["api_key"]
        self.assertHealthy(key)
        out = self.daemon.admin("keys", "allow-ip", key_id, OTHER_IP)
        self.assertEqual(out, {"key_id": key_id, "allowed_ips": [OTHER_IP]})
        self.daemon.wait_key_cache()
        self.assertProblem(self.daemon.get("/health", key=key), 403)
        self.assertProblem(self.daemon.get("/balance", key=key), 403)
        out = self.daemon.admin("keys", "deny-ip", key_id, OTHER_IP)
        self.assertEqual(out, {"key_id": key_id, "allowed_ips": []})
        self.daemon.wait_key_cache()
        self.assertHealthy(key)

    def test_whitelist_created_with_the_key(self):
        local = self.new_key("allow-local", allow_ips=["127.0.0.1"])
        self.assertHealthy(local["api_key"])
        remote = self.new_key("allow-remote", allow_ips=[OTHER_IP])
        self.assertProblem(self.daemon.get("/health", key=remote["api_key"]), 403)
        both = self.new_key("allow-both", allow_ips=[OTHER_IP, "127.0.0.1"])
        self.assertHealthy(both["api_key"])

    def test_forwarded_for_ignored_without_trusted_proxies(self):
        key = self.new_key("xff-untrusted", allow_ips=[OTHER_IP])["api_key"]
        r = self.daemon.get("/health", key=key, headers={"X-Forwarded-For": OTHER_IP})
        self.assertProblem(r, 403)
        r = self.daemon.get("/health", key=key,
                            headers={"X-Forwarded-For": f"{OTHER_IP}, {OTHER_IP}"})
        self.assertProblem(r, 403)

    def test_forwarded_for_cannot_lock_out_a_local_key(self):
        key = self.new_key("xff-local", allow_ips=["127.0.0.1"])["api_key"]
        r = self.daemon.get("/health", key=key, headers={"X-Forwarded-For": "10.9.9.9"})
        self.assertEqual(r.status_code, 200, r.text)


class KeyFloodTest(DaemonTestCase):
    """Random junk keys, sent without any credential, once filled the key cache and cost a
    database query each (12,000 requests of 8 KB keys grew the daemon by 743 MB). Keys not in the
    issued format are refused before the cache and the database."""
    MODULE = "auth"

    def rss_kib(self):
        with open(f"/proc/{self.daemon.proc.pid}/status") as f:
            return next(int(line.split()[1]) for line in f if line.startswith("VmRSS:"))

    def test_junk_keys_are_401_and_cost_no_memory(self):
        real = self.daemon.create_key(harness.label(self.MODULE, "flood-real"))["api_key"]
        self.assertRegex(real, r"^imk_[0-9a-f]{64}$")
        session = requests.Session()
        url = self.daemon.base + harness.API + "/health"
        before = self.rss_kib()
        count = 3000
        for i in range(count):
            junk = os.urandom(4096).hex()  # 8 KiB, under the 16 KiB header limit
            if i % 3 == 1:
                junk = "imk_" + junk[:64].upper()  # the right length, the wrong case
            elif i % 3 == 2:
                junk = "imk_" + junk[:63]  # one digit short
            r = session.get(url, headers={"X-API-Key": junk}, timeout=10)
            self.assertEqual(r.status_code, 401, r.text[:200])
        grown_mib = (self.rss_kib() - before) / 1024
        print(f"key flood: RSS grew by {grown_mib:.2f} MiB over {count} junk keys", file=sys.stderr)
        # Under ASan, freed memory sits in its quarantine (256 MB by default), so RSS counts every
        # request's buffers; the figure means something only in the plain build.
        if "ASAN_OPTIONS" not in os.environ:
            self.assertLess(grown_mib, 16, f"the daemon grew by {grown_mib:.1f} MiB")
        # The real key still works, and the rate limit was not spent by the junk.
        r = self.daemon.get("/health", key=real)
        self.assertEqual(r.status_code, 200, r.text)


class TrustedProxyTest(DaemonTestCase):
    MODULE = "auth"
    CONFIG = {"api": {"trusted_proxies": ["127.0.0.1"]}}

    def test_forwarded_for_from_trusted_proxy(self):
        key = self.daemon.create_key(harness.label(self.MODULE, "xff-trusted"),
                                     allow_ips=[OTHER_IP])["api_key"]
        r = self.daemon.get("/health", key=key, headers={"X-Forwarded-For": OTHER_IP})
        self.assertEqual(r.status_code, 200, r.text)
        self.assertEqual(r.json()["status"], "ok")
        r = self.daemon.get("/health", key=key, headers={"X-Forwarded-For": "10.9.9.9"})
        self.assertProblem(r, 403)
        # Without the header the peer (127.0.0.1) is the client, and it is not whitelisted.
        self.assertProblem(self.daemon.get("/health", key=key), 403)

    def raw_health(self, key, forwarded_lines):
        lines = "".join(f"X-Forwarded-For: {v}\r\n" for v in forwarded_lines)
        request = (f"GET /api/v1/health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-API-Key: {key}\r\n"
                   f"{lines}Connection: close\r\n\r\n").encode()
        answer = harness.raw_http(self.daemon.port, request)
        return int(answer.split(b" ", 2)[1])

    def test_every_forwarded_for_line_counts(self):
        """RFC 9110 joins repeated field lines with a comma. A client forges a line with the
        whitelisted address; the proxy adds the real one in a line of its own. The right-most
        address (the proxy's word) is the client, so the forgery gets 403."""
        key = self.daemon.create_key(harness.label(self.MODULE, "xff-lines"),
                                     allow_ips=[OTHER_IP])["api_key"]
        self.assertEqual(self.raw_health(key, [OTHER_IP]), 200)
        self.assertEqual(self.raw_health(key, [OTHER_IP, "198.51.100.7"]), 403)
        self.assertEqual(self.raw_health(key, ["198.51.100.7", OTHER_IP]), 200)
        # A trusted proxy's own address in the last line is skipped, as in one combined line.
        self.assertEqual(self.raw_health(key, ["198.51.100.7", f"{OTHER_IP}, 127.0.0.1"]), 200)


class AdminTokenTest(DaemonTestCase):
    """Named admin tokens, each its own actor in the audit log; guessing is cut to
    admin.max_failures_per_minute per address, audited and counted."""
    MODULE = "auth"
    CONFIG = {"admin": {"tokens": [{"name": "alice", "token": "alice-admin-token-0123456789"},
                                   {"name": "ops-bot", "token": "ops-bot-admin-token-98765"}],
                        "max_failures_per_minute": 10},
              # Each request comes "from" the address in X-Forwarded-For, so one test process
              # can be several clients.
              "api": {"trusted_proxies": ["127.0.0.1"]},
              # Orders stay processing long enough to be cancelled (only another instance on
              # the database could fulfil one first; the test retries then).
              "orders": {"fulfil": False}}

    def admin_get(self, path, token, client):
        return requests.get(self.daemon.base + path, timeout=10,
                            headers={"X-Admin-Token": token, "X-Forwarded-For": client})

    def test_each_token_is_its_own_actor(self):
        d = self.daemon
        import order_harness as oh
        key = d.create_key(harness.label("auth", "admin-actor"))
        d.credit(key["key_id"], "5")
        # A fulfilment worker (of any daemon on the database) may finish the order before the
        # cancel lands (409): try a few.
        for _ in range(5):
            product, _ = oh.make_product(d, "admin-actor", price="1", stock=1)
            order = d.post("/orders", key=key["api_key"], data=oh.order_body(product, 1)).json()
            r = requests.post(f"{d.base}/api/admin/orders/{order['order_id']}/cancel",
                              timeout=10, headers={"X-Admin-Token": "ops-bot-admin-token-98765",
                                                   "X-Forwarded-For": "198.51.100.7"})
            if r.status_code == 200:
                break
            self.assertEqual(r.status_code, 409, r.text)
        self.assertEqual(r.status_code, 200, r.text)
        r = self.admin_get("/api/admin/api-audit", "alice-admin-token-0123456789", "198.51.100.7")
        self.assertEqual(r.status_code, 200, r.text)
        rows = [a for a in r.json()["items"] if a["action"] == "orders.cancel"
                and a["target"] == f"key:{key['key_id']}"]
        self.assertEqual([a["actor"] for a in rows], ["admin:ops-bot"])
        self.assertNotIn("admin-api", {a["actor"] for a in r.json()["items"]})

    def test_guessing_is_locked_out_audited_and_counted(self):
        d = self.daemon
        import random
        # Fresh addresses each run: the audit log outlives the test database's other runs.
        attacker = f"10.{random.randrange(256)}.{random.randrange(256)}.{random.randrange(256)}"
        bystander = "203.0.113.78"
        statuses = []
        start = time.monotonic()
        with requests.Session() as s:  # one connection, as fast as it goes
            for i in range(2000):
                r = s.get(d.base + "/api/admin/api-audit", timeout=10,
                          headers={"X-Admin-Token": f"guess-{i:016d}",
                                   "X-Forwarded-For": attacker})
                statuses.append(r.status_code)
        elapsed = time.monotonic() - start
        self.assertEqual(statuses[:10], [401] * 10)
        self.assertEqual(set(statuses[10:]), {429})
        print(f"\n  2000 guesses in {elapsed:.1f} s: 10 compared, 1990 refused unread (429)",
              flush=True)
        locked = self.admin_get("/api/admin/api-audit", "alice-admin-token-0123456789", attacker)
        self.assertProblem(locked, 429)
        self.assertGreaterEqual(int(locked.headers["Retry-After"]), 1)
        # Another address with the right token is served.
        ok = self.admin_get("/api/admin/api-audit", "alice-admin-token-0123456789", bystander)
        self.assertEqual(ok.status_code, 200, ok.text)
        rows = [a for a in ok.json()["items"] if a["target"] == f"ip:{attacker}"]
        self.assertEqual(sorted(a["action"] for a in rows),
                         ["admin.auth_failed", "admin.locked_out"])
        self.assertEqual({a["actor"] for a in rows}, {"anonymous"})
        metrics = requests.get(d.base + "/metrics", timeout=10).text
        counts = {}
        for line in metrics.splitlines():
            if line.startswith("instamarket_admin_auth_failures_total{"):
                outcome = line.split('outcome="')[1].split('"')[0]
                counts[outcome] = float(line.rsplit(" ", 1)[1])
        self.assertGreaterEqual(counts.get("bad_token", 0), 10)
        self.assertGreaterEqual(counts.get("locked_out", 0), 1990)


class AdminListenTest(DaemonTestCase):
    """admin.listen: the admin API on its own address only (a port the firewall keeps
    internal), absent from the public listener, and serving nothing else."""
    MODULE = "auth"

    @classmethod
    def setUpClass(cls):
        cls.admin_port = harness.free_port()
        cls.CONFIG = {"admin": {"listen": f"127.0.0.1:{cls.admin_port}"}}
        super().setUpClass()

    def test_the_admin_api_answers_on_its_own_listener_only(self):
        d = self.daemon
        admin = {"X-Admin-Token": harness.ADMIN_TOKEN}
        admin_base = f"http://127.0.0.1:{self.admin_port}"
        public = requests.get(d.base + "/api/admin/api-audit", headers=admin, timeout=10)
        self.assertProblem(public, 404)
        own = requests.get(admin_base + "/api/admin/api-audit", headers=admin, timeout=10)
        self.assertEqual(own.status_code, 200, own.text)
        self.assertIsInstance(own.json()["items"], list)
        # Still guarded by the token there.
        self.assertEqual(requests.get(admin_base + "/api/admin/api-audit", timeout=10)
                         .status_code, 401)
        key = d.create_key(harness.label("auth", "admin-listen"))["api_key"]
        self.assertEqual(d.get("/health", key=key).status_code, 200)
        other = requests.get(admin_base + harness.API + "/health",
                             headers={"X-API-Key": key}, timeout=10)
        self.assertProblem(other, 404)
        self.assertEqual(requests.get(admin_base + "/livez", timeout=10).status_code, 404)


if __name__ == "__main__":
    harness.main()
