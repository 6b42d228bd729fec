"""Per-key rate limit (api.rate_limit_per_minute = 60 in any sliding 60 s window), exact under
concurrency: 1,000 concurrent requests with one key give exactly 60 x 200 and 940 x 429."""

import collections
import concurrent.futures
import threading

import requests

import harness
from harness import DaemonTestCase

LIMIT = 60
WORKERS = 50


def fire(daemon, keys, path="/health"):
    """Sends one GET per entry of `keys` (an API key each) from WORKERS threads, each thread with
    its own requests.Session. Returns a list of (key, status, headers)."""
    local = threading.local()
    sessions = []
    url = daemon.url(path)

    def one(key):
        s = getattr(local, "session", None)
        if s is None:
            s = local.session = requests.Session()
            sessions.append(s)
        r = s.get(url, headers={"X-API-Key": key}, timeout=30)
        return key, r.status_code, r.headers, r.text

    try:
        with concurrent.futures.ThreadPoolExecutor(max_workers=WORKERS) as pool:
            return list(pool.map(one, keys))
    finally:
        for s in sessions:
            s.close()


class RateLimitTest(DaemonTestCase):
    MODULE = "ratelimit"
    CONFIG = {"api": {"rate_limit_per_minute": LIMIT}}

    def new_key(self, name):
        return self.daemon.create_key(harness.label(self.MODULE, name))["api_key"]

    def check_429(self, headers, text):
        self.assertIn("Retry-After", headers)
        retry = int(headers["Retry-After"])  # an integer number of seconds, not a date
        self.assertGreaterEqual(retry, 1)
        self.assertLessEqual(retry, 60)
        self.assertEqual(headers.get("RateLimit-Limit"), str(LIMIT))
        self.assertEqual(headers.get("RateLimit-Remaining"), "0")
        reset = int(headers["RateLimit-Reset"])
        self.assertGreaterEqual(reset, 0)
        self.assertLessEqual(reset, 60)

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


if __name__ == "__main__":
    harness.main()
