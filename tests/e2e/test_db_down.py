"""The database goes away and comes back: requests that need it get 503 with Retry-After (never a
401 or a 500), and the daemon recovers by itself without a restart.

Needs a PostgreSQL cluster managed by scripts/pg.sh that this test may stop and start:
  INSTAMARKET_TEST_PG_STATE  its state directory (as given to `scripts/pg.sh start`)
  INSTAMARKET_TEST_PG_PORT   its port
INSTAMARKET_TEST_DATABASE_URL must point at that cluster. Skipped when either is missing (a
failure under INSTAMARKET_E2E_REQUIRE=1, as in CI).
"""

import os
import subprocess
import time

import harness
from harness import Daemon, DaemonTestCase

STATE = os.environ.get("INSTAMARKET_TEST_PG_STATE", "")
PORT = os.environ.get("INSTAMARKET_TEST_PG_PORT", "")


def pg(*args):
    p = subprocess.run(["bash", harness.PG_SCRIPT, *args], capture_output=True, text=True,
                       timeout=120)
    if p.returncode != 0:
        raise AssertionError(f"scripts/pg.sh {' '.join(args)} exited {p.returncode}: {p.stderr}")
    return p.stdout


def require_cluster():
    harness.require_environment()
    if not (STATE and PORT):
        harness.missing_prerequisite(
            "INSTAMARKET_TEST_PG_STATE and INSTAMARKET_TEST_PG_PORT are not set: the "
            "database-down test needs a scripts/pg.sh cluster it may stop")
    if f":{PORT}/" not in harness.database_url():
        raise AssertionError(f"INSTAMARKET_TEST_DATABASE_URL ({harness.database_url()}) is "
                             f"not on INSTAMARKET_TEST_PG_PORT {PORT}")


class DatabaseDownTest(DaemonTestCase):
    MODULE = "dbdown"

    @classmethod
    def setUpClass(cls):
        require_cluster()
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
            # (a key the daemon cannot check is not an unknown key) or 500; /usage may answer
            # from memory; /health is 503 (docs/api.md: "503 while the database is down").
            statuses = []
            for _ in range(8):
                for path in ("/balance", "/products", "/categories", "/usage", "/health"):
                    r = self.daemon.get(path, key=key, timeout=5)
                    statuses.append((path, r.status_code))
                    if r.status_code == 503:
                        self.assertGreaterEqual(int(r.headers["Retry-After"]), 1)
                time.sleep(0.1)
            bad = [s for s in statuses
                   if s[1] != 503 and not (s[0] == "/usage" and s[1] == 200)]
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


class HealthWhileDownTest(DaemonTestCase):
    """/health itself says 503 while the database is down, also for a key the daemon need not
    look up (cached for a minute here): above, the key lookup failing answers for it."""
    MODULE = "dbdown-health"
    CONFIG = {"api": {"key_cache_ttl_ms": 60000}}

    @classmethod
    def setUpClass(cls):
        require_cluster()
        super().setUpClass()

    def test_health_is_503_with_a_cached_key(self):
        d = self.daemon
        key = d.create_key(harness.label(self.MODULE))["api_key"]
        self.assertHealthy(key)  # the key is cached from here on
        pg("stop", STATE, PORT)
        try:
            deadline = time.monotonic() + 10
            while harness.requests.get(d.base + "/readyz", timeout=5).status_code != 503:
                self.assertLess(time.monotonic(), deadline, "/readyz stayed 200")
                time.sleep(0.1)
            r = d.get("/health", key=key, timeout=5)
            self.assertProblem(r, 503)
            self.assertGreaterEqual(int(r.headers["Retry-After"]), 1)
        finally:
            pg("start", STATE, PORT)
        deadline = time.monotonic() + 15
        while d.get("/health", key=key, timeout=5).status_code != 200:
            self.assertLess(time.monotonic(), deadline, "/health not 200 after the database came "
                            "back\n" + d.log_tail())
            time.sleep(0.25)


class ServeWhileDownTest(harness.unittest.TestCase):
    """docs/operations.md: `serve` starts while the database is down; requests that need it get
    503 with Retry-After (/health included), /livez is 200 and /readyz 503, and once the
    database is back the same process serves them."""
    MODULE = "dbdown-start"

    def setUp(self):
        require_cluster()
        self.daemon = Daemon()
        self.addCleanup(self.daemon.cleanup)
        self.daemon.run_cli("migrate")  # while the database is up; serve cannot, later
        created = self.daemon.create_key(harness.label(self.MODULE))
        self.key = created["api_key"]
        self.daemon.credit(created["key_id"], "2.5")

    def test_serve_starts_while_down_and_recovers_without_a_restart(self):
        d = self.daemon
        pg("stop", STATE, PORT)
        try:
            d.start(migrate=False)
            pid = d.proc.pid
            live = harness.requests.get(d.base + "/livez", timeout=5)
            self.assertEqual((live.status_code, live.json()["status"]), (200, "alive"))
            ready = harness.requests.get(d.base + "/readyz", timeout=5)
            self.assertEqual(ready.status_code, 503, ready.text)
            self.assertEqual(ready.json()["reason"], "database unreachable")
            for path in ("/health", "/balance", "/products", "/orders"):
                with self.subTest(path=path):
                    r = d.get(path, key=self.key, timeout=5)
                    self.assertEqual(r.status_code, 503, f"{path}: {r.text[:300]}")
                    self.assertEqual(r.headers["Content-Type"], harness.PROBLEM_CONTENT_TYPE)
                    self.assertGreaterEqual(int(r.headers["Retry-After"]), 1)
            self.assertIsNone(d.proc.poll(), "instamarketd died:\n" + d.log_tail())
        finally:
            pg("start", STATE, PORT)

        deadline = time.monotonic() + 15
        while True:
            r = d.get("/balance", key=self.key, timeout=5)
            if r.status_code == 200:
                break
            self.assertEqual(r.status_code, 503, r.text[:300])
            self.assertLess(time.monotonic(), deadline, "not serving 15 s after the database "
                            "came back\n" + d.log_tail())
            time.sleep(0.25)
        self.assertEqual(r.json()["balance_usdt"], 2.5)
        self.assertEqual(d.get("/health", key=self.key).status_code, 200)
        ready = harness.requests.get(d.base + "/readyz", timeout=5)
        self.assertEqual((ready.status_code, ready.json()["status"]), (200, "ready"))
        self.assertEqual(d.proc.pid, pid, "the same process")
        d.stop()


class LockHolder:
    """A psql session that holds `LOCK TABLE name IN ACCESS EXCLUSIVE MODE` until closed: what
    a long migration, a stuck transaction or a VACUUM FULL does to every request needing it."""

    def __init__(self, table, seconds=20):
        url, env = harness.psql_target(harness.database_url())
        self.app = f"e2e-lock-holder-{os.getpid()}"
        env["PGAPPNAME"] = self.app
        self.proc = subprocess.Popen(
            ["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", url, "-c",
             f"BEGIN; LOCK TABLE {table} IN ACCESS EXCLUSIVE MODE; SELECT pg_sleep({seconds});"],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
        import order_harness as oh
        deadline = time.monotonic() + 10
        while not oh.psql(f"SELECT 1 FROM pg_locks l JOIN pg_class c ON c.oid = l.relation "
                          f"WHERE c.relname = '{table}' AND l.mode = 'AccessExclusiveLock' "
                          f"AND l.granted"):
            if time.monotonic() > deadline:
                raise AssertionError("psql did not take the lock")
            time.sleep(0.05)

    def close(self):
        # The server notices a gone client only after pg_sleep: end the session from inside.
        import order_harness as oh
        oh.psql(f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                f"WHERE application_name = '{self.app}'")
        self.proc.wait(timeout=10)


class SlowDatabaseTest(DaemonTestCase):
    """A table held by someone else: requests needing it get 503 (with Retry-After) within the
    lock timeout, not a hung connection, not a 500, and everything else keeps working."""
    MODULE = "dbslow"
    CONFIG = {"database": {"lock_timeout_ms": 300, "statement_timeout_ms": 5000}}

    def test_locked_table_is_503_within_the_lock_timeout(self):
        d = self.daemon
        created = d.create_key(harness.label(self.MODULE))
        key = created["api_key"]
        self.assertEqual(d.get("/orders", key=key).status_code, 200)
        holder = LockHolder("orders")
        try:
            for _ in range(3):
                start = time.monotonic()
                r = d.get("/orders", key=key, timeout=10)
                waited = time.monotonic() - start
                self.assertProblem(r, 503)
                self.assertGreaterEqual(int(r.headers["Retry-After"]), 1)
                self.assertLess(waited, 2.0, "the lock timeout is 300 ms")
            # What does not need the table is not held up.
            self.assertEqual(d.get("/balance", key=key).status_code, 200)
        finally:
            holder.close()
        self.assertEqual(d.get("/orders", key=key).status_code, 200)
        self.assertAlive()


class SlowStatementTest(DaemonTestCase):
    """With no lock timeout, the statement timeout cuts the wait the same way."""
    MODULE = "dbslow"
    CONFIG = {"database": {"lock_timeout_ms": 0, "statement_timeout_ms": 400}}

    def test_statement_timeout_is_503(self):
        d = self.daemon
        key = d.create_key(harness.label(self.MODULE))["api_key"]
        holder = LockHolder("orders")
        try:
            start = time.monotonic()
            r = d.get("/orders", key=key, timeout=10)
            self.assertProblem(r, 503)
            self.assertLess(time.monotonic() - start, 2.0)
        finally:
            holder.close()
        self.assertEqual(d.get("/orders", key=key).status_code, 200)


if __name__ == "__main__":
    harness.main()
