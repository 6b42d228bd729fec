"""The database goes away and comes back: requests that need it get 503 with Retry-After (never a
401 or a 500), and the daemon recovers by itself without a restart.

Needs a PostgreSQL cluster managed by scripts/pg.sh that this test may stop and start:
  INSTAMARKET_TEST_PG_STATE  its state directory (as given to `scripts/pg.sh start`)
  INSTAMARKET_TEST_PG_PORT   its port
INSTAMARKET_TEST_DATABASE_URL must point at that cluster. Skipped when either is missing.
"""

import os
import subprocess
import time
import unittest

import harness
from harness import DaemonTestCase

STATE = os.environ.get("INSTAMARKET_TEST_PG_STATE", "")
PORT = os.environ.get("INSTAMARKET_TEST_PG_PORT", "")


def pg(*args):
    p = subprocess.run(["bash", harness.PG_SCRIPT, *args], capture_output=True, text=True,
                       timeout=120)
    if p.returncode != 0:
        raise AssertionError(f"scripts/pg.sh {' '.join(args)} exited {p.returncode}: {p.stderr}")
    return p.stdout


@unittest.skipUnless(STATE and PORT, "INSTAMARKET_TEST_PG_STATE and INSTAMARKET_TEST_PG_PORT are "
                     "not set: the database-down test needs a scripts/pg.sh cluster it may stop")
class DatabaseDownTest(DaemonTestCase):
    MODULE = "dbdown"

    @classmethod
    def setUpClass(cls):
        if f":{PORT}/" not in harness.database_url():
            raise AssertionError(f"INSTAMARKET_TEST_DATABASE_URL ({harness.database_url()}) is "
                                 f"not on INSTAMARKET_TEST_PG_PORT {PORT}")
        super().setUpClass()

    def poll(self, key, want, timeout):
        """Polls /balance until it answers `want`; returns (response, statuses seen)."""
        seen = []
        deadline = time.monotonic() + timeout
        while True:
            try:
                r = self.daemon.get("/balance", key=key, timeout=5)
                seen.append(r.status_code)
                if r.status_code == want:
                    return r, seen
            except harness.requests.RequestException as e:
                seen.append(type(e).__name__)
            if time.monotonic() > deadline:
                self.fail(f"/balance did not answer {want} within {timeout} s; seen {seen[-20:]}"
                          "\n" + self.daemon.log_tail())
            time.sleep(0.25)

    def test_503_while_down_then_recovers(self):
        created = self.daemon.create_key(harness.label(self.MODULE))
        key = created["api_key"]
        self.daemon.credit(created["key_id"], "7.5")
        r = self.daemon.get("/balance", key=key)
        self.assertEqual(r.status_code, 200, r.text)
        self.assertEqual(r.json()["balance_usdt"], 7.5)

        pg("stop", STATE, PORT)
        try:
            r, seen = self.poll(key, 503, timeout=10)
            self.assertProblem(r, 503)
            retry = int(r.headers["Retry-After"])
            self.assertGreaterEqual(retry, 1)
            self.assertTrue(set(seen) <= {200, 503}, f"statuses while going down: {seen}")
            # Keep asking for a while: endpoints that read the database answer 503, never 401
            # (a key the daemon cannot check is not an unknown key) or 500; the others may
            # answer from memory.
            statuses = []
            for _ in range(8):
                for path in ("/balance", "/products", "/categories", "/usage", "/health"):
                    r = self.daemon.get(path, key=key, timeout=5)
                    statuses.append((path, r.status_code))
                    if r.status_code == 503:
                        self.assertGreaterEqual(int(r.headers["Retry-After"]), 1)
                time.sleep(0.1)
            bad = [s for s in statuses
                   if s[1] != 503 and not (s[0] in ("/usage", "/health") and s[1] == 200)]
            self.assertEqual(bad, [], "wrong answers while the database is down")
            # Probes: alive, but not ready.
            live = harness.requests.get(self.daemon.base + "/livez", timeout=5)
            self.assertEqual((live.status_code, live.json()["status"]), (200, "alive"))
            ready = harness.requests.get(self.daemon.base + "/readyz", timeout=5)
            self.assertEqual(ready.status_code, 503, ready.text)
            self.assertEqual(ready.json()["reason"], "database unreachable")
            self.assertAlive()
        finally:
            pg("start", STATE, PORT)

        r, seen = self.poll(key, 200, timeout=15)
        self.assertTrue(set(seen) <= {200, 503}, f"statuses while coming back: {seen}")
        self.assertEqual(r.json()["balance_usdt"], 7.5)
        for path in ("/usage", "/products", "/categories", "/health"):
            self.assertEqual(self.daemon.get(path, key=key).status_code, 200, path)
        ready = harness.requests.get(self.daemon.base + "/readyz", timeout=5)
        self.assertEqual((ready.status_code, ready.json()["status"]), (200, "ready"))
        self.assertAlive()


if __name__ == "__main__":
    harness.main()
