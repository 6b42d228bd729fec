"""Per-key rate limit (api.rate_limit_per_minute = 60 in any sliding 60 s window), exact under
concurrency: 1,000 concurrent requests with one key give exactly 60 x 200 and 940 x 429; and
one limit across instances: 300 requests of one key spread over 3 daemons on the same database
give exactly 60 x 200 and 240 x 429 (api.rate_limit_scope "database", the default)."""

import collections
import concurrent.futures
import threading
import unittest

import requests

import harness
from harness import DaemonTestCase

LIMIT = 60
WORKERS = 50


def fire(daemon, keys, path="/health"):
    """Sends one GET per entry of `keys` (an API key each) from WORKERS threads, each thread with
    its own requests.Session. Returns a list of (key, status, headers, text)."""
    return fire_spread([daemon], keys, path)


def fire_spread(daemons, keys, path="/health"):
    """As fire, request i going to daemons[i % len(daemons)] (round-robin)."""
    local = threading.local()
    sessions = []
    lock = threading.Lock()
    urls = [d.url(path) for d in daemons]

    def one(indexed):
        i, key = indexed
        s = getattr(local, "session", None)
        if s is None:
            s = local.session = requests.Session()
            with lock:
                sessions.append(s)
        r = s.get(urls[i % len(urls)], headers={"X-API-Key": key}, timeout=30)
        return key, r.status_code, r.headers, r.text

    try:
        with concurrent.futures.ThreadPoolExecutor(max_workers=WORKERS) as pool:
            return list(pool.map(one, enumerate(keys)))
    finally:
        for s in sessions:
            s.close()


def check_429(test, headers, text):
    test.assertIn("Retry-After", headers)
    retry = int(headers["Retry-After"])  # an integer number of seconds, not a date
    test.assertGreaterEqual(retry, 1)
    test.assertLessEqual(retry, 60)
    test.assertEqual(headers.get("RateLimit-Limit"), str(LIMIT))
    test.assertEqual(headers.get("RateLimit-Remaining"), "0")
    reset = int(headers["RateLimit-Reset"])
    test.assertGreaterEqual(reset, 0)
    test.assertLessEqual(reset, 60)
    test.assertIn('"retry_after":', text)


class RateLimitTest(DaemonTestCase):
    MODULE = "ratelimit"
    CONFIG = {"api": {"rate_limit_per_minute": LIMIT}}

    def new_key(self, name):
        return self.daemon.create_key(harness.label(self.MODULE, name))["api_key"]

    def check_429(self, headers, text):
        check_429(self, headers, text)

    def test_exact_limit_under_concurrency(self):
        key = self.new_key("burst")
        other = self.new_key("other")
        results = fire(self.daemon, [key] * 1000)
        counts = collections.Counter(status for _, status, _, _ in results)
        self.assertEqual(dict(counts), {200: LIMIT, 429: 1000 - LIMIT})
        for _, status, headers, text in results:
            if status == 429:
                self.check_429(headers, text)
        r = self.daemon.get("/health", key=key)
        self.assertProblem(r, 429)
        self.check_429(r.headers, r.text)
        # Another key has its own window.
        for _ in range(5):
            self.assertHealthy(other)
        self.assertAlive()

    def test_two_keys_at_once_are_each_exact(self):
        a = self.new_key("mix-a")
        b = self.new_key("mix-b")
        results = fire(self.daemon, [a, b] * 150)
        for key in (a, b):
            counts = collections.Counter(s for k, s, _, _ in results if k == key)
            self.assertEqual(dict(counts), {200: LIMIT, 429: 150 - LIMIT}, key[:8])

    def test_limit_applies_to_every_endpoint(self):
        key = self.new_key("mixed-endpoints")
        for i in range(LIMIT - 1):
            path = ("/health", "/products?page_size=1", "/categories", "/balance")[i % 4]
            r = self.daemon.get(path, key=key)
            self.assertEqual(r.status_code, 200, f"request {i + 1} {path}: {r.text[:200]}")
        r = self.daemon.get("/usage", key=key)
        self.assertEqual(r.status_code, 200, r.text)
        self.assertEqual(r.json()["request_count"], LIMIT)
        for path in ("/usage", "/balance", "/products"):
            r = self.daemon.get(path, key=key)
            self.assertProblem(r, 429)
            self.check_429(r.headers, r.text)

    def test_unauthenticated_requests_do_not_use_a_keys_budget(self):
        key = self.new_key("noauth")
        for _ in range(LIMIT + 10):
            self.assertEqual(self.daemon.get("/health", key=key + "x").status_code, 401)
        self.assertHealthy(key)


class ThreeInstances(unittest.TestCase):
    """Three daemons on the shared test database, with the api settings in API."""
    INSTANCES = 3
    REQUESTS = 300
    API = {"rate_limit_per_minute": LIMIT}

    @classmethod
    def setUpClass(cls):
        harness.require_environment()
        cls.daemons = []
        try:
            for _ in range(cls.INSTANCES):
                cls.daemons.append(harness.Daemon(api=dict(cls.API)).start())
        except BaseException:
            for d in cls.daemons:
                d.cleanup()
            raise

    @classmethod
    def tearDownClass(cls):
        try:
            for d in cls.daemons:
                d.stop_and_check()
        finally:
            for d in cls.daemons:
                d.cleanup()

    def new_key(self, name):
        return self.daemons[0].create_key(harness.label("ratelimit-shared", name))["api_key"]


class SharedLimitTest(ThreeInstances):
    """Three daemons on one database share each key's window: the limit is per key, not per
    key and process (issue 12, item 15)."""

    def test_one_limit_across_three_instances(self):
        key = self.new_key("spread")
        results = fire_spread(self.daemons, [key] * self.REQUESTS)
        counts = collections.Counter(status for _, status, _, _ in results)
        per_daemon = collections.Counter(
            i % self.INSTANCES for i, (_, status, _, _) in enumerate(results) if status == 200)
        print(f"\nadmitted {counts.get(200, 0)} of {self.REQUESTS} over {self.INSTANCES} "
              f"instances (per instance {dict(sorted(per_daemon.items()))}); statuses "
              f"{dict(counts)}")
        self.assertEqual(dict(counts), {200: LIMIT, 429: self.REQUESTS - LIMIT})
        remaining = []
        for _, status, headers, text in results:
            if status == 429:
                check_429(self, headers, text)
                continue
            self.assertEqual(headers.get("RateLimit-Limit"), str(LIMIT))
            remaining.append(int(headers["RateLimit-Remaining"]))
            reset = int(headers["RateLimit-Reset"])
            self.assertGreaterEqual(reset, 1)
            self.assertLessEqual(reset, 60)
        # Admissions are counted one after another across the instances: each admitted
        # request saw a different number of slots left, 59 down to 0.
        self.assertEqual(sorted(remaining), list(range(LIMIT)))
        # Every instance now refuses the key, and another key has its own window.
        other = self.new_key("spread-other")
        for d in self.daemons:
            r = d.get("/health", key=key)
            self.assertEqual(r.status_code, 429, r.text)
            check_429(self, r.headers, r.text)
            self.assertEqual(d.get("/health", key=other).status_code, 200)


class ProcessScopeTest(ThreeInstances):
    """api.rate_limit_scope: process keeps the old per-daemon limit, with no database work."""
    API = {"rate_limit_per_minute": LIMIT, "rate_limit_scope": "process"}

    def test_each_instance_counts_alone(self):
        key = self.new_key("per-process")
        results = fire_spread(self.daemons, [key] * self.REQUESTS)
        per_daemon = collections.Counter(
            i % self.INSTANCES for i, (_, status, _, _) in enumerate(results) if status == 200)
        self.assertEqual(dict(per_daemon), {i: LIMIT for i in range(self.INSTANCES)})


if __name__ == "__main__":
    harness.main()
