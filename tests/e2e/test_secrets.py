"""Secrets at rest: the database keeps API keys' HMAC and webhook secrets sealed (AES-256-GCM
under a master key outside it), so a pg_dump alone reveals none of them; clear-text secrets
from before the upgrade are sealed by `migrate`; the master key rotates without downtime
(`secrets.previous_master_key_files`, `admin secrets reseal`), and a daemon that lacks the key
a secret is sealed under refuses to start with the key named."""

import os
import subprocess
import time
import urllib.parse
import uuid

import harness
from harness import Daemon
import order_harness as oh

NEW_MASTER_KEY = "9e8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b3a2f1e0d9c8b7a6f5e4d3c2b1a0f9e8d"


def signed_order_status(daemon, key, secret):
    """A signed POST /orders for a product nobody has: 404 once the signature is accepted,
    401 when it is not."""
    body = oh.order_body(2_100_000_000 + harness.unique_ids(1)[0] % 1000, 1)
    return daemon.signed_post("/orders", key, secret, body).status_code


def with_database(url, name):
    parts = urllib.parse.urlparse(url)
    return urllib.parse.urlunparse(parts._replace(path="/" + name))


class DumpTest(harness.DaemonTestCase):
    MODULE = "secrets"

    def test_a_database_dump_reveals_no_secret(self):
        d = self.daemon
        keys = [d.create_key(harness.label("secrets", f"dump{i}"), hmac=True) for i in range(3)]
        plain = d.create_key(harness.label("secrets", "dump-plain"))
        rotated_hmac = d.admin("keys", "rotate-secret", keys[1]["key_id"])["hmac_secret"]
        rotated_hook = d.admin("keys", "rotate-webhook-secret", keys[2]["key_id"],
                               "--grace-seconds", "600")["webhook_secret"]
        d.wait_key_cache()
        # The sealed secrets work: the signature check opens them.
        self.assertEqual(signed_order_status(d, keys[0]["api_key"], keys[0]["hmac_secret"]), 404)
        self.assertEqual(signed_order_status(d, keys[1]["api_key"], rotated_hmac), 404)
        self.assertEqual(signed_order_status(d, keys[1]["api_key"], keys[1]["hmac_secret"]), 401)

        url, env = harness.psql_target(harness.database_url())
        dump = subprocess.run(["pg_dump", "--no-owner", "-d", url], capture_output=True,
                              text=True, timeout=120, env=env)
        self.assertEqual(dump.returncode, 0, dump.stderr)
        text = dump.stdout
        # The dump is the real thing: it holds these keys' rows, sealed.
        for k in keys + [plain]:
            self.assertIn(k["api_key"][:12], text)
        self.assertIn("v1:", text)
        secrets = [harness.TEST_MASTER_KEY, rotated_hmac, rotated_hook]
        for k in keys + [plain]:
            secrets += [k["api_key"], k["webhook_secret"]]
            if k["hmac_secret"]:
                secrets.append(k["hmac_secret"])
        for secret in secrets:
            self.assertNotIn(secret, text)
            self.assertNotIn(secret.upper(), text)
        print(f"\n  pg_dump of {len(text) // 1024} KiB holds none of {len(secrets)} secrets",
              flush=True)

    def test_clear_text_secrets_from_before_the_upgrade_are_sealed_by_migrate(self):
        d = self.daemon
        key = d.create_key(harness.label("secrets", "legacy"), hmac=True)
        legacy = "ab" * 32
        # What a database written by the previous release holds: the secret in clear, no
        # sealed one, no webhook secret.
        oh.psql(f"UPDATE api_keys SET hmac_secret = '{legacy}', hmac_secret_sealed = NULL, "
                f"webhook_secret_sealed = NULL WHERE id = {key['key_id']}")
        d.run_cli("migrate")
        row = oh.psql("SELECT hmac_secret IS NULL, hmac_secret_sealed, webhook_secret_sealed "
                      f"FROM api_keys WHERE id = {key['key_id']}")[0]
        self.assertEqual(row[0], "t")
        self.assertTrue(row[1].startswith("v1:") and legacy not in row[1], row)
        self.assertTrue(row[2].startswith("v1:"), row)
        d.wait_key_cache()
        self.assertEqual(signed_order_status(d, key["api_key"], legacy), 404)
        actions = [a["action"] for a in d.audit().json()["items"]]
        self.assertIn("secrets.seal", actions)


class MasterKeyRotationTest(harness.unittest.TestCase):
    """On a database of its own: a rotation re-seals every secret in it, which the shared
    test database's other users (with the usual test key) must not see."""

    @classmethod
    def setUpClass(cls):
        harness.require_environment()
        cls.db_name = "instamarket_rotation_" + uuid.uuid4().hex[:8]
        oh.psql(f"CREATE DATABASE {cls.db_name}")
        cls.url = with_database(harness.database_url(), cls.db_name)

    @classmethod
    def tearDownClass(cls):
        oh.psql(f"DROP DATABASE IF EXISTS {cls.db_name} WITH (FORCE)")

    def daemon(self, current, previous=()):
        d = Daemon()
        d.sections["database"]["url"] = self.url
        current_path = os.path.join(d.tmpdir, "current.key")
        harness.write_key_file(current_path, current)
        files = []
        for i, key in enumerate(previous):
            path = os.path.join(d.tmpdir, f"previous{i}.key")
            harness.write_key_file(path, key)
            files.append(path)
        d.sections["secrets"] = {"master_key_file": current_path,
                                 "previous_master_key_files": files}
        self.addCleanup(d.cleanup)
        return d

    def test_rotation_reseals_everything_and_the_old_key_can_go(self):
        old = self.daemon(harness.TEST_MASTER_KEY).start()
        try:
            key = old.create_key("rotation", hmac=True)
            self.assertEqual(signed_order_status(old, key["api_key"], key["hmac_secret"]), 404)
            old_id = old.admin("secrets", "status")["current_master_key"]
        finally:
            self.assertEqual(old.stop(), 0)

        # The new key alone cannot open what the old one sealed: refused at start, key named.
        new_only = self.daemon(NEW_MASTER_KEY)
        p = new_only.run_cli("config", "check")
        self.assertEqual(p.returncode, 0, p.stderr)
        with self.assertRaises(harness.AdminError) as refused:
            new_only.run_cli("migrate")
        self.assertIn(f"master key {old_id}, which is not configured", str(refused.exception))

        both = self.daemon(NEW_MASTER_KEY, previous=[harness.TEST_MASTER_KEY]).start()
        try:
            # Both keys configured: the old secrets open while nothing is resealed yet.
            self.assertEqual(signed_order_status(both, key["api_key"], key["hmac_secret"]), 404)
            status = both.admin("secrets", "status")
            new_id = status["current_master_key"]
            self.assertNotEqual(new_id, old_id)
            self.assertEqual(status["by_master_key"], {old_id: 2})  # hmac + webhook secret
            report = both.admin("secrets", "reseal")
            self.assertEqual((report["resealed"], report["by_master_key"]), (2, {new_id: 2}))
            self.assertEqual(both.admin("secrets", "reseal")["resealed"], 0)  # idempotent
        finally:
            self.assertEqual(both.stop(), 0)

        # Resealed: the old key can be dropped, and the secrets still work.
        new_only = self.daemon(NEW_MASTER_KEY).start()
        try:
            new_only.wait_key_cache()
            self.assertEqual(signed_order_status(new_only, key["api_key"], key["hmac_secret"]),
                             404)
            self.assertEqual(signed_order_status(new_only, key["api_key"], "00" * 32), 401)
        finally:
            self.assertEqual(new_only.stop(), 0)
        # ...and the old key alone no longer opens anything.
        with self.assertRaises(harness.AdminError) as refused:
            self.daemon(harness.TEST_MASTER_KEY).run_cli("migrate")
        self.assertIn(f"master key {new_id}", str(refused.exception))

    def test_a_key_file_others_can_read_is_refused(self):
        d = self.daemon(NEW_MASTER_KEY)
        os.chmod(d.sections["secrets"]["master_key_file"], 0o644)
        p = d.run_cli("config", "check")
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("chmod 600", p.stderr)
        d.sections["secrets"] = {}
        d.write_config()
        p = d.run_cli("config", "check")
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("secrets.master_key_file: is required", p.stderr)


if __name__ == "__main__":
    harness.main()
