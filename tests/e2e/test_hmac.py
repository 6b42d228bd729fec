"""HMAC body signing for POST requests of keys that have a secret (spec section 11.5).

X-Signature = hex(HMAC-SHA256(secret, f"{X-Timestamp}\\n{raw body}")), X-Timestamp within 300 s of
the server clock, and a signature is accepted once. v1 has no POST route yet, so a correctly
signed POST /api/v1/orders must get past authentication (anything but 401); every bad one is 401.
"""

import json
import re
import time
import unittest

import harness
import order_harness
from harness import DaemonTestCase, sign

# The request body of the spec's Python example.
SPEC_BODY = json.dumps({"product_id": 12345, "quantity": 1, "payment_method": "balance"})
ORDERS = "/orders"


class SignatureFormulaTest(unittest.TestCase):
    """A fixed vector for the spec's formula, checked independently with
    `printf '1779497200\\n{"product_id": 12345, "quantity": 1, "payment_method": "balance"}' |
     openssl dgst -sha256 -hmac s3cr3t`."""

    def test_fixed_vector(self):
        self.assertEqual(SPEC_BODY,
                         '{"product_id": 12345, "quantity": 1, "payment_method": "balance"}')
        want = "5b21f1a6da29b721a27cc14bf1b7cf21b52b26898b642462a357f214c791ad9d"
        self.assertEqual(sign("s3cr3t", "1779497200", SPEC_BODY), want)
        self.assertEqual(sign(b"s3cr3t", 1779497200, SPEC_BODY.encode()), want)
        # The empty body still has the newline after the timestamp.
        self.assertEqual(sign("s3cr3t", "1779497200", ""),
                         "ab8568d2874911a4337417dc0366600205297589e66980af898093635a08496e")


class HmacTest(DaemonTestCase):
    MODULE = "hmac"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.created = cls.daemon.create_key(harness.label(cls.MODULE, "signed"), hmac=True)
        cls.key = cls.created["api_key"]
        cls.secret = cls.created["hmac_secret"]
        cls.plain = cls.daemon.create_key(harness.label(cls.MODULE, "plain"))

    def body(self, n):
        """A distinct body per request, so no two good requests share a signature."""
        return json.dumps({"product_id": 12345, "quantity": n, "payment_method": "balance"})

    def assertPassesAuth(self, r):
        self.assertNotIn(r.status_code, (401, 403), r.text[:300])
        self.assertLess(r.status_code, 500, r.text[:300])

    def post(self, body, headers, key=None):
        h = {"Content-Type": "application/json"}
        h.update(headers)
        return self.daemon.post(ORDERS, key=key or self.key, data=body.encode(), headers=h)

    def test_secrets_are_64_hex(self):
        self.assertRegex(self.secret, r"^[0-9a-f]{64}$")
        self.assertIsNone(self.plain["hmac_secret"])

    def test_spec_example_request_passes(self):
        ts = str(int(time.time()))
        r = self.post(SPEC_BODY, {"X-Timestamp": ts, "X-Signature": sign(self.secret, ts,
                                                                          SPEC_BODY)})
        self.assertPassesAuth(r)

    def test_replay_is_rejected(self):
        body = self.body(2)
        ts = str(int(time.time()))
        headers = {"X-Timestamp": ts, "X-Signature": sign(self.secret, ts, body)}
        self.assertPassesAuth(self.post(body, headers))
        self.assertProblem(self.post(body, headers), 401)
        self.assertProblem(self.post(body, headers), 401)

    def test_replay_in_another_spelling_is_rejected_and_debits_once(self):
        """Hex is case-insensitive, so every upper/lower-case variant of a signature is the same
        signature: a captured signed order replayed with its case changed must not debit again."""
        funded = order_harness.funded_key(self.daemon, "hmac-case", "10", hmac_secret=True)
        product, _ = order_harness.make_product(self.daemon, "hmac-case", price="1.0", stock=10)
        body = order_harness.order_body(product, 1)
        ts = str(int(time.time()))
        good = sign(funded["hmac_secret"], ts, body)
        letters = [i for i, c in enumerate(good) if c in "abcdef"]
        self.assertGreaterEqual(len(letters), 3)
        variants = [good.upper(), good[:letters[0]] + good[letters[0]].upper() + good[letters[0] + 1:],
                    "".join(c.upper() if i % 2 else c for i, c in enumerate(good))]
        h = {"Content-Type": "application/json", "X-Timestamp": ts}
        first = self.daemon.post(ORDERS, key=funded["api_key"], data=body.encode(),
                                 headers=dict(h, **{"X-Signature": good.upper()}))
        self.assertEqual(first.status_code, 201, first.text[:300])
        for variant in [good] + variants:
            with self.subTest(signature=variant):
                r = self.daemon.post(ORDERS, key=funded["api_key"], data=body.encode(),
                                     headers=dict(h, **{"X-Signature": variant}))
                self.assertProblem(r, 401)
        balance = self.daemon.get("/balance", key=funded["api_key"]).json()
        self.assertEqual((balance["balance_usdt"], balance["total_spent_usdt"]), (9.0, 1.0))

    def test_wrong_signatures_are_rejected(self):
        body = self.body(3)
        ts = str(int(time.time()))
        good = sign(self.secret, ts, body)
        flipped = good[:-1] + ("0" if good[-1] != "0" else "1")
        cases = {
            "flipped": {"X-Timestamp": ts, "X-Signature": flipped},
            "wrong secret": {"X-Timestamp": ts, "X-Signature": sign("0" * 64, ts, body)},
            "other body": {"X-Timestamp": ts, "X-Signature": sign(self.secret, ts,
                                                                  self.body(4))},
            "other ts": {"X-Timestamp": ts, "X-Signature": sign(self.secret, int(ts) - 1,
                                                                body)},
            "no newline": {"X-Timestamp": ts, "X-Signature": harness.hmac.new(
                self.secret.encode(), (ts + body).encode(), "sha256").hexdigest()},
            "truncated": {"X-Timestamp": ts, "X-Signature": good[:32]},
            "empty": {"X-Timestamp": ts, "X-Signature": ""},
            "not hex": {"X-Timestamp": ts, "X-Signature": "z" * 64},
            "missing signature": {"X-Timestamp": ts},
            "missing timestamp": {"X-Signature": good},
            "missing both": {},
        }
        for name, headers in cases.items():
            with self.subTest(case=name):
                self.assertProblem(self.post(body, headers), 401)
        # None of the failures burnt the good signature.
        self.assertPassesAuth(self.post(body, {"X-Timestamp": ts, "X-Signature": good}))

    def test_timestamp_window(self):
        now = int(time.time())
        for name, ts in (("stale", now - 400), ("future", now + 400), ("far past", 1),
                         ("not a number", "abc"), ("fraction", f"{now}.5"),
                         ("negative", -now), ("int64 min", "-9223372036854775808"),
                         ("int64 max", "9223372036854775807")):
            with self.subTest(case=name):
                body = self.body(10)
                self.assertProblem(self.post(body, {"X-Timestamp": str(ts),
                                                    "X-Signature": sign(self.secret, ts, body)}),
                                   401)
        for n, ts in enumerate((now - 200, now + 200, now - 30)):
            with self.subTest(ts_offset=ts - now):
                body = self.body(20 + n)
                self.assertPassesAuth(self.post(body, {"X-Timestamp": str(ts),
                                                       "X-Signature": sign(self.secret, ts,
                                                                           body)}))

    def test_get_needs_no_signature(self):
        self.assertHealthy(self.key)
        r = self.daemon.get("/balance", key=self.key)
        self.assertEqual(r.status_code, 200, r.text)

    def test_key_without_secret_needs_no_signature(self):
        r = self.post(SPEC_BODY, {}, key=self.plain["api_key"])
        self.assertPassesAuth(r)

    def test_signature_does_not_help_a_bad_key(self):
        ts = str(int(time.time()))
        body = self.body(30)
        r = self.post(body, {"X-Timestamp": ts, "X-Signature": sign(self.secret, ts, body)},
                      key=self.key + "x")
        self.assertProblem(r, 401)

    def test_rotate_secret(self):
        created = self.daemon.create_key(harness.label(self.MODULE, "rotate"), hmac=True)
        key, old = created["api_key"], created["hmac_secret"]
        body = self.body(40)
        ts = str(int(time.time()))
        self.assertPassesAuth(self.post(body, {"X-Timestamp": ts,
                                               "X-Signature": sign(old, ts, body)}, key=key))
        out = self.daemon.admin("keys", "rotate-secret", created["key_id"])
        self.assertEqual(set(out), {"key_id", "hmac_secret"})
        self.assertEqual(out["key_id"], created["key_id"])
        new = out["hmac_secret"]
        self.assertTrue(re.fullmatch(r"[0-9a-f]{64}", new), new)
        self.assertNotEqual(new, old)
        self.daemon.wait_key_cache()
        body = self.body(41)
        ts = str(int(time.time()))
        self.assertProblem(self.post(body, {"X-Timestamp": ts,
                                            "X-Signature": sign(old, ts, body)}, key=key), 401)
        self.assertPassesAuth(self.post(body, {"X-Timestamp": ts,
                                               "X-Signature": sign(new, ts, body)}, key=key))


if __name__ == "__main__":
    harness.main()
