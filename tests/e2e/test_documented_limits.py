"""What docs/api.md promises about limits, checked on the wire: the RateLimit-* headers on every
answer to an admitted request, the 429 answer (problem JSON with `retry_after`, and Retry-After),
431 for headers over 16 KiB (one big field or many small ones), and 400 for malformed HTTP."""

import time

import harness
from harness import DaemonTestCase, raw_http, status_of

LIMIT = 12
HEADER_LIMIT = 16 * 1024


def parse_raw(raw):
    """(status, {lower-case header: value}, body bytes) of a raw HTTP/1.1 response."""
    head, _, body = raw.partition(b"\r\n\r\n")
    headers = {}
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        headers[name.strip().lower().decode()] = value.strip().decode()
    return status_of(raw), headers, body


class RateLimitHeadersTest(DaemonTestCase):
    MODULE = "limits-rate"
    CONFIG = {"api": {"rate_limit_per_minute": LIMIT}}

    def test_every_admitted_answer_counts_down_and_the_429_says_when(self):
        d = self.daemon
        key = d.create_key(harness.label(self.MODULE))["api_key"]
        # Successes and refusals alike: each admitted request carries the headers.
        calls = [("get", "/health", 200), ("get", "/products?page_size=1", 200),
                 ("get", "/products/999999999999", 404), ("get", "/no/such/route", 404),
                 ("get", "/products?page_size=0", 422), ("get", "/balance", 200),
                 ("post", "/orders", 422), ("get", "/usage", 200)]
        first = time.monotonic()
        for i, (method, path, status) in enumerate(calls):
            if method == "get":
                r = d.get(path, key=key)
            else:
                r = d.post(path, key=key, data=b"{}", headers={"Content-Type": "application/json"})
            with self.subTest(path=path):
                self.assertEqual(r.status_code, status, r.text[:300])
                self.assertEqual(r.headers.get("RateLimit-Limit"), str(LIMIT))
                self.assertEqual(r.headers.get("RateLimit-Remaining"), str(LIMIT - 1 - i))
                # Seconds until the oldest counted request (the first) leaves the 60 s window.
                reset = int(r.headers["RateLimit-Reset"])
                left = 60 - (time.monotonic() - first)
                self.assertTrue(left - 2 <= reset <= 60, f"RateLimit-Reset {reset}, ~{left:.0f}")
                self.assertNotIn("Retry-After", r.headers)
        for _ in range(LIMIT - len(calls)):
            self.assertEqual(d.get("/health", key=key).status_code, 200)

        r = d.get("/health", key=key)
        body = self.assertProblem(r, 429)
        self.assertEqual(body["type"], "https://instamarket.pro/problems/rate-limited")
        self.assertEqual(body["title"], "Too many requests")
        self.assertIs(type(body["retry_after"]), int)
        retry = int(r.headers["Retry-After"])  # seconds, not a date
        self.assertEqual(body["retry_after"], retry)
        left = 60 - (time.monotonic() - first)
        self.assertTrue(max(1, left - 2) <= retry <= 60, f"Retry-After {retry}, ~{left:.0f} s")
        self.assertEqual(r.headers.get("RateLimit-Limit"), str(LIMIT))
        self.assertEqual(r.headers.get("RateLimit-Remaining"), "0")
        self.assertLessEqual(int(r.headers["RateLimit-Reset"]), retry)

    def test_requests_without_a_valid_key_carry_no_budget(self):
        r = self.daemon.get("/health", key="imk_" + "0" * 64)
        self.assertProblem(r, 401)
        for name in ("RateLimit-Limit", "RateLimit-Remaining", "RateLimit-Reset"):
            self.assertNotIn(name, r.headers)


class HttpLimitsTest(DaemonTestCase):
    MODULE = "limits-http"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.key = cls.daemon.create_key(harness.label(cls.MODULE))["api_key"]

    def tearDown(self):
        self.assertAlive()
        self.assertHealthy(self.key)

    def request(self, extra=b""):
        return (b"GET /api/v1/health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-API-Key: " +
                self.key.encode() + b"\r\n" + extra + b"\r\n")

    def assertRawProblem(self, raw, status, type_suffix):
        got, headers, body = parse_raw(raw)
        self.assertEqual(got, status, raw[:400])
        self.assertEqual(headers.get("content-type"), harness.PROBLEM_CONTENT_TYPE)
        # The request could not be read to its end: the connection is not reused.
        self.assertEqual(headers.get("connection"), "close")
        problem = harness.json.loads(body)
        self.assertEqual(problem["status"], status)
        self.assertEqual(problem["type"], "https://instamarket.pro/problems/" + type_suffix)
        for name in ("title", "detail"):
            self.assertIsInstance(problem[name], str)
        return problem

    def test_headers_under_16_kib_are_read(self):
        head = self.request()
        for extra in (b"X-Big: " + b"a" * (HEADER_LIMIT - len(head) - 200) + b"\r\n",
                      b"".join(b"X-H%03d: %s\r\n" % (i, b"v" * 90) for i in range(150))):
            with self.subTest(size=len(extra)):
                self.assertLess(len(head) + len(extra), HEADER_LIMIT)
                self.assertEqual(status_of(raw_http(self.daemon.port, self.request(extra))), 200)

    def test_one_field_over_16_kib_is_431(self):
        raw = raw_http(self.daemon.port, self.request(b"X-Big: " + b"a" * HEADER_LIMIT + b"\r\n"))
        self.assertRawProblem(raw, 431, "headers-too-large")

    def test_many_fields_over_16_kib_together_are_431(self):
        # 200 fields of 100 bytes: each read of the socket holds less than 16 KiB of them, the
        # header as a whole is 21 KiB.
        extra = b"".join(b"X-H%03d: %s\r\n" % (i, b"v" * 100) for i in range(200))
        self.assertGreater(len(extra), HEADER_LIMIT)
        raw = raw_http(self.daemon.port, self.request(extra))
        self.assertRawProblem(raw, 431, "headers-too-large")

    def test_malformed_requests_are_400(self):
        for extra in (b"No colon here\r\n", b"Content-Length: abc\r\n",
                      b"Content-Length: 1\r\nContent-Length: 2\r\n"):
            with self.subTest(extra=extra):
                problem = self.assertRawProblem(raw_http(self.daemon.port, self.request(extra)),
                                                400, "bad-request")
                self.assertTrue(problem["detail"].startswith("malformed HTTP request"), problem)


if __name__ == "__main__":
    harness.main()
