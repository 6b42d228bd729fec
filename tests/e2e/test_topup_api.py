"""POST /api/v1/balance/topup and GET /api/v1/balance/topup/{id}: the contract, validation (422),
the surcharge range running out (409), the pending cap per key (409), ownership (404) and HMAC
signing of the POST.

An intent gets a random free amount in (requested, requested + topups.max_surcharge_usdt] in 0.01
steps, never the requested amount itself (topups.offer_requested_amount is false by default), and
a key holds at most topups.max_pending_per_key (3 by default) pending intents per network: the
tests below keep those defaults and give each test that makes intents a key of its own.

The daemon watches a real devnet chain here, but nothing is paid: see test_deposits_chain.py.
"""

import json
import re
import time
import uuid
from decimal import Decimal

import harness
import deposit_harness
from deposit_harness import ChainTestCase, exact

UUID_RE = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
CREATE_FIELDS = {"topup_id", "payment_address", "payment_network", "amount_usdt",
                 "requested_amount_usdt", "payment_memo", "expires_at"}
GET_FIELDS = {"topup_id", "status", "payment_address", "payment_network", "amount_usdt",
              "requested_amount_usdt", "payment_memo", "created_at", "expires_at", "deposit",
              "confirming"}
CENT = Decimal("0.01")
JSON_HEADERS = {"Content-Type": "application/json"}



def setUpModule():
    harness.require_environment()
    deposit_harness.install_devnet()  # devnet/install.sh: a no-op when node_modules is current

class TopupApiTest(ChainTestCase):
    MODULE = "topup-api"
    NETWORK_PREFIX = "tapi"
    TOKENS = (6,)
    # 2 amounts per requested amount: X+0.01, X+0.02 (never X itself).
    CONFIG = {"topups": {"max_surcharge_usdt": "0.02"}}

    @classmethod
    def make_networks(cls, devnet):
        nets = deposit_harness.networks_config(devnet, cls.NETWORK_PREFIX, (6,))
        # A configured but disabled network (same chain, the 18-decimals token).
        disabled = deposit_harness.network_entry(devnet, cls.NETWORK_PREFIX, 18, enabled=False)
        return nets + [disabled]

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.owner = cls.daemon.create_key(harness.label(cls.MODULE, "owner"))
        cls.key = cls.owner["api_key"]

    def fresh_key(self, name):
        """A key of the test's own, so the pending cap (3 per key and network) counts only the
        test's intents."""
        return self.daemon.create_key(harness.label(self.MODULE, name))["api_key"]

    def assertAmountAbove(self, body, requested):
        """amount_usdt is requested + 0.01 or + 0.02 (max_surcharge_usdt 0.02), in 0.01 steps."""
        requested = Decimal(str(requested))
        self.assertEqual(body["requested_amount_usdt"], requested, body)
        self.assertIn(body["amount_usdt"], (requested + CENT, requested + 2 * CENT), body)
        return body["amount_usdt"]

    def post_raw(self, body, key=None, headers=JSON_HEADERS):
        data = body if isinstance(body, (bytes, str)) else json.dumps(body)
        return self.daemon.post("/balance/topup", key=key or self.key, data=data,
                                headers=headers)

    # ----- the happy path ------------------------------------------------------------------

    def test_create_and_get(self):
        key = self.fresh_key("create")
        before = int(time.time())
        r = self.post_raw({"amount_usdt": 10.5, "network": self.net()}, key=key)
        created = self.assertJson(r)
        after = int(time.time())
        self.assertEqual(set(created), CREATE_FIELDS, created)
        self.assertRegex(created["topup_id"], UUID_RE)
        self.assertEqual(created["payment_address"], self.devnet.master)
        self.assertEqual(created["payment_network"], self.net())
        body = exact(r)
        amount = self.assertAmountAbove(body, "10.5")
        self.assertIsNone(created["payment_memo"])  # an EVM network: no memo
        self.assertIs(type(created["expires_at"]), int)
        # topups.expiry_seconds defaults to 3600.
        self.assertGreaterEqual(created["expires_at"], before + 3600 - 1)
        self.assertLessEqual(created["expires_at"], after + 3600 + 1)

        r = self.daemon.get(f"/balance/topup/{created['topup_id']}", key=key)
        got = self.assertJson(r)
        self.assertEqual(set(got), GET_FIELDS, got)
        self.assertEqual(got["topup_id"], created["topup_id"])
        self.assertEqual(got["status"], "pending")
        self.assertEqual(got["payment_address"], self.devnet.master)
        self.assertEqual(got["payment_network"], self.net())
        self.assertEqual(exact(r)["amount_usdt"], amount)
        self.assertEqual(exact(r)["requested_amount_usdt"], Decimal("10.5"))
        self.assertIsNone(got["payment_memo"])
        self.assertEqual(got["expires_at"], created["expires_at"])
        self.assertIs(type(got["created_at"]), int)
        self.assertGreaterEqual(got["created_at"], before - 1)
        self.assertLessEqual(got["created_at"], after + 1)
        self.assertEqual(got["expires_at"] - got["created_at"], 3600)
        self.assertIsNone(got["deposit"])

    def test_bounds_and_two_decimals_are_accepted(self):
        # 99999.99 before 100000: its band (100000.00 is round, so 100000.01 only) must not be
        # taken by the 100000 intent first; 100000 then gets 100000.02.
        for amount, text in ((1, "1.0"), (99999.99, "99999.99"), (100000, "100000.0"),
                             (1.01, "1.01")):
            with self.subTest(amount=amount):
                # One key per amount: four intents would pass the cap of 3 pending per key.
                r = self.post_raw({"amount_usdt": amount, "network": self.net()},
                                  key=self.fresh_key(f"bounds-{text}"))
                self.assertJson(r)
                self.assertAmountAbove(exact(r), text)
                self.assertIn(f'"requested_amount_usdt":{text}', r.text)

    # ----- 422 -----------------------------------------------------------------------------

    def test_invalid_amounts(self):
        cases = [
            ("missing", {"network": self.net()}),
            ("zero", {"amount_usdt": 0, "network": self.net()}),
            ("half", {"amount_usdt": 0.5, "network": self.net()}),
            ("too big", {"amount_usdt": 100000.01, "network": self.net()}),
            ("3 decimals", {"amount_usdt": 1.234, "network": self.net()}),
            ("negative", {"amount_usdt": -5, "network": self.net()}),
            ("text", {"amount_usdt": "abc", "network": self.net()}),
            ("null", {"amount_usdt": None, "network": self.net()}),
            ("bool", {"amount_usdt": True, "network": self.net()}),
        ]
        for name, body in cases:
            with self.subTest(name):
                self.assertProblem(self.post_raw(body), 422, ["amount_usdt"])

    def test_invalid_networks(self):
        disabled = deposit_harness.network_id(self.NETWORK_PREFIX, 18)
        cases = [
            ("missing", {"amount_usdt": 10}),
            ("unknown", {"amount_usdt": 10, "network": "no_such_network"}),
            ("disabled", {"amount_usdt": 10, "network": disabled}),
            ("not a string", {"amount_usdt": 10, "network": 6}),
            ("empty", {"amount_usdt": 10, "network": ""}),
            ("case", {"amount_usdt": 10, "network": self.net().upper()}),
        ]
        for name, body in cases:
            with self.subTest(name):
                self.assertProblem(self.post_raw(body), 422, ["network"])

    def test_every_invalid_field_is_listed(self):
        r = self.post_raw({"amount_usdt": "abc", "network": "nope"})
        self.assertProblem(r, 422, ["amount_usdt", "network"])

    def test_body_that_is_not_an_object(self):
        for name, body in (("not json", "amount_usdt=10&network=x"), ("truncated", '{"amount_usdt": 10'),
                           ("array", json.dumps([{"amount_usdt": 10, "network": self.net()}])),
                           ("string", '"10"'), ("empty", "")):
            with self.subTest(name):
                self.assertProblem(self.post_raw(body), 422, ["body"])

    def test_invalid_requests_create_nothing(self):
        # A rejected request must not take an amount: both amounts of 70.77 (70.78 and 70.79)
        # are still there for the next two valid requests, and only then is the range used up.
        key = self.fresh_key("invalid-nothing")
        self.assertProblem(self.post_raw({"amount_usdt": 70.77, "network": "nope"}, key=key), 422)
        self.assertProblem(self.post_raw({"amount_usdt": "70.777", "network": self.net()},
                                         key=key), 422)
        amounts = set()
        for _ in range(2):
            r = self.post_raw({"amount_usdt": 70.77, "network": self.net()}, key=key)
            self.assertJson(r)
            amounts.add(self.assertAmountAbove(exact(r), "70.77"))
        self.assertEqual(amounts, {Decimal("70.78"), Decimal("70.79")})
        self.assertProblem(self.post_raw({"amount_usdt": 70.77, "network": self.net()}, key=key),
                           409)

    # ----- 409 -----------------------------------------------------------------------------

    def test_surcharge_range_exhausted(self):
        mine = self.fresh_key("409-mine")
        other = self.fresh_key("409-other")
        amounts = set()
        for key in (mine, other):  # the range is per network, not per key
            r = self.post_raw({"amount_usdt": 10, "network": self.net()}, key=key)
            self.assertJson(r)
            amounts.add(self.assertAmountAbove(exact(r), "10"))
        # 10 itself is never given (offer_requested_amount: false): 10.01 and 10.02 are the range.
        self.assertEqual(amounts, {Decimal("10.01"), Decimal("10.02")})
        problem = self.assertProblem(self.post_raw({"amount_usdt": 10, "network": self.net()},
                                                   key=mine), 409)
        self.assertIn("10", problem["detail"])
        self.assertIn("held", problem["detail"])  # the range, not the pending cap (2 < 3)
        # Again: still 409 (nothing was taken by the refused request).
        self.assertProblem(self.post_raw('{"amount_usdt": 10.00, "network": "%s"}' % self.net(), key=other),
                           409)
        # 10.01 requested: its range is 10.02 (taken) and 10.03 (free).
        r = self.post_raw({"amount_usdt": 10.01, "network": self.net()}, key=mine)
        self.assertJson(r)
        self.assertEqual(exact(r)["amount_usdt"], Decimal("10.03"))
        self.assertEqual(exact(r)["requested_amount_usdt"], Decimal("10.01"))

    def test_pending_intents_per_key_are_capped(self):
        # topups.max_pending_per_key: 3 by default, per key and network.
        key = self.fresh_key("cap")
        for amount in (20, 21, 22):
            self.assertJson(self.post_raw({"amount_usdt": amount, "network": self.net()}, key=key))
        problem = self.assertProblem(self.post_raw({"amount_usdt": 23, "network": self.net()},
                                                   key=key), 409)
        self.assertIn("3 pending", problem["detail"])
        # The refused request took no amount: another key gets one of 23's two amounts, and the
        # other is still free for a third key.
        amounts = set()
        for name in ("cap-other-1", "cap-other-2"):
            r = self.post_raw({"amount_usdt": 23, "network": self.net()}, key=self.fresh_key(name))
            self.assertJson(r)
            amounts.add(self.assertAmountAbove(exact(r), "23"))
        self.assertEqual(amounts, {Decimal("23.01"), Decimal("23.02")})
        # Still capped: the key's three intents are pending.
        self.assertProblem(self.post_raw({"amount_usdt": 24, "network": self.net()}, key=key), 409)

    # ----- 404 -----------------------------------------------------------------------------

    def test_other_keys_intent_is_not_found(self):
        created = self.assertJson(self.post_raw({"amount_usdt": 11, "network": self.net()}))
        stranger = self.daemon.create_key(harness.label(self.MODULE, "stranger"))["api_key"]
        r = self.daemon.get(f"/balance/topup/{created['topup_id']}", key=stranger)
        self.assertProblem(r, 404)
        # The owner still sees it.
        self.assertJson(self.daemon.get(f"/balance/topup/{created['topup_id']}", key=self.key))

    def test_unknown_and_garbage_ids(self):
        for tid in (str(uuid.uuid4()), "00000000-0000-0000-0000-000000000000", "abc", "123",
                    str(uuid.uuid4()).upper().replace("-", ""), "zzzzzzzz-zzzz-zzzz-zzzz-zzzzzzzzzzzz",
                    "%27%3B--", "x" * 300):
            with self.subTest(tid=tid[:40]):
                self.assertProblem(self.daemon.get(f"/balance/topup/{tid}", key=self.key), 404)

    # ----- auth ----------------------------------------------------------------------------

    def test_needs_a_key(self):
        body = json.dumps({"amount_usdt": 10, "network": self.net()})
        r = harness.requests.post(self.daemon.url("/balance/topup"), data=body,
                                  headers=JSON_HEADERS, timeout=10)
        self.assertProblem(r, 401)
        r = harness.requests.get(self.daemon.url(f"/balance/topup/{uuid.uuid4()}"), timeout=10)
        self.assertProblem(r, 401)

    def test_hmac_key_must_sign(self):
        created = self.daemon.create_key(harness.label(self.MODULE, "hmac"), hmac=True)
        key, secret = created["api_key"], created["hmac_secret"]
        self.assertTrue(secret)
        body = json.dumps({"amount_usdt": 12.34, "network": self.net()})
        self.assertProblem(self.post_raw(body, key=key), 401)
        # A wrong signature is refused too.
        ts = str(int(time.time()))
        r = self.post_raw(body, key=key, headers={**JSON_HEADERS, "X-Timestamp": ts,
                                                   "X-Signature": harness.sign("wrong", ts, body)})
        self.assertProblem(r, 401)
        r = self.daemon.signed_post("/balance/topup", key, secret, body)
        created_topup = self.assertJson(r)
        self.assertAmountAbove(exact(r), "12.34")
        # GET needs no signature.
        got = self.assertJson(self.daemon.get(f"/balance/topup/{created_topup['topup_id']}", key=key))
        self.assertEqual(got["status"], "pending")


if __name__ == "__main__":
    harness.main()
