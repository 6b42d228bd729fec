"""Deposits credited to the right client only (issue 13): each attack on the shared wallet, tried
on a real daemon watching a real local chain (ganache), and shown to fail.

One master wallet per network serves every client and the website, so the amount tells deposits
apart. The attacks: squatting amounts with many intents, sniping a victim's round payment with
an intent that holds the round amount, an intent made for a transfer already seen on chain,
late and second payments taken by whoever holds the amount next, an exchange's withdrawal fee
making a payment unattributable, and squatting by letting intents expire and making new ones.
"""

import json
import time
from decimal import Decimal

import requests

import harness
import deposit_harness
from deposit_harness import ChainTestCase, exact, wait_until

QUIET_SECONDS = 1.5  # many watcher polls (100 ms): long enough to see a credit that must not come
ADMIN = {"X-Admin-Token": harness.ADMIN_TOKEN}


def D(text):
    return Decimal(str(text))


def setUpModule():
    harness.require_environment()
    deposit_harness.install_devnet()


class MatchingTestCase(ChainTestCase):
    TOKENS = (6,)

    def post_topup(self, key, amount, headers=None, extra=None):
        body = {"amount_usdt": amount, "network": self.net()}
        body.update(extra or {})
        h = {"Content-Type": "application/json"}
        h.update(headers or {})
        return self.daemon.post("/balance/topup", key=key, data=json.dumps(body), headers=h)

    def balance(self, key):
        return self.exact_balance(key)["balance_usdt"]

    def quiet(self):
        """Mines the blocks that make everything final and gives the watcher time to act."""
        self.settle()
        time.sleep(QUIET_SECONDS)


class DefaultRulesTest(MatchingTestCase):
    """The shipped defaults: random amounts, exact matching, 3 pending intents per key."""

    MODULE = "match-default"
    NETWORK_PREFIX = "mdef"
    NETWORK_OVERRIDES = {"withdrawal_fees_usdt": ["1.00"]}

    def test_squatting_is_capped_per_key(self):
        squatter = self.new_key("squatter")["api_key"]
        for _ in range(3):
            r = self.post_topup(squatter, 50)
            self.assertEqual(r.status_code, 200, r.text)
        r = self.post_topup(squatter, 50)
        self.assertEqual(r.status_code, 409, r.text)
        self.assertIn("application/problem+json", r.headers["Content-Type"])
        self.assertIn("at most 3", r.json()["detail"])
        # Everyone else is served: the squatter holds 3 amounts (and their fee shadows) of 99.
        other = self.new_key("other")["api_key"]
        self.assertEqual(self.post_topup(other, 50).status_code, 200)

    def test_amounts_are_random_above_the_request_and_never_round(self):
        amounts = []
        for i in range(6):
            key = self.new_key(f"rand{i}")["api_key"]
            for _ in range(3):
                r = self.post_topup(key, 100)
                self.assertEqual(r.status_code, 200, r.text)
                amounts.append(exact(r)["amount_usdt"])
        self.assertEqual(len(set(amounts)), len(amounts), amounts)
        for a in amounts:
            self.assertTrue(D("100") < a <= D("101"), a)
            self.assertNotEqual(a % 1, 0, f"{a} is a round amount")
        self.assertNotEqual(amounts, sorted(amounts), "amounts are handed out in order")

    def test_the_round_payment_of_a_victim_credits_nobody(self):
        """Sniping: the attacker holds what he can near 100; the victim, told to pay 100.xx,
        sends the round 100. Nobody holds 100.00, so nobody is credited: finance (or the victim's
        signed claim) decides."""
        attacker = self.new_key("sniper")["api_key"]
        for _ in range(3):  # bands 99.51..100.50: 100.00 among them, but never handed out
            self.assertEqual(self.post_topup(attacker, "99.50").status_code, 200)
        victim = self.new_key("victim")["api_key"]
        intent = exact(self.post_topup(victim, 100))
        self.assertNotEqual(intent["amount_usdt"], D("100"))
        tx = self.devnet.transfer("100", token=6, sender=2)
        self.settle()
        row = self.wait_deposit(tx["tx_hash"])
        self.assertEqual((row["status"], row["reason"]), ("unmatched", "amount_mismatch"), row)
        time.sleep(QUIET_SECONDS)
        self.assertEqual(self.balance(attacker), 0)
        self.assertEqual(self.balance(victim), 0)
        self.assertEqual(self.topup(victim, intent["topup_id"])["status"], "pending")

    def test_a_cent_off_is_nobodys(self):
        key = self.new_key("cent")["api_key"]
        intent = exact(self.post_topup(key, 20))
        off = intent["amount_usdt"] + D("0.01")
        tx = self.devnet.transfer(str(off), token=6, sender=1)
        self.settle()
        row = self.wait_deposit(tx["tx_hash"])
        self.assertEqual(row["status"], "unmatched", row)
        self.assertEqual(self.balance(key), 0)

    def test_a_withdrawal_less_the_exchange_fee_credits_short(self):
        key = self.new_key("short")["api_key"]
        intent = exact(self.post_topup(key, 30))
        arrived = intent["amount_usdt"] - D("1.00")
        tx = self.devnet.transfer(str(arrived), token=6, sender=1)
        self.settle()
        got = self.wait_status(key, intent["topup_id"], "credited_short")
        self.assertEqual(got["deposit"]["amount_usdt"], arrived)
        self.assertEqual(self.balance(key), arrived)
        row = self.wait_deposit(tx["tx_hash"])
        self.assertEqual((row["status"], row["matched_by"], row["credited_short"]),
                         ("credited", "fee", True), row)
        r = requests.get(self.daemon.base + "/api/admin/deposits?status=credited_short",
                         headers=ADMIN, timeout=10)
        self.assertEqual(r.status_code, 200, r.text)
        self.assertIn(tx["tx_hash"], [d["tx_id"] for d in r.json()["items"]])

    def test_a_second_payment_is_kept_not_given_to_the_next_holder(self):
        key = self.new_key("twice")["api_key"]
        intent = exact(self.post_topup(key, 40))
        amount = str(intent["amount_usdt"])
        self.devnet.transfer(amount, token=6, sender=1)
        self.settle()
        self.wait_status(key, intent["topup_id"], "credited_auto")
        second = self.devnet.transfer(amount, token=6, sender=1)
        self.settle()
        row = self.wait_deposit(second["tx_hash"])
        self.assertEqual((row["status"], row["reason"]), ("unmatched", "already_credited"), row)
        self.assertEqual(self.balance(key), intent["amount_usdt"])

    def test_idempotency_key_on_topup(self):
        key = self.new_key("idem")["api_key"]
        first = self.post_topup(key, 15, headers={"Idempotency-Key": "topup-abc"})
        self.assertEqual(first.status_code, 200, first.text)
        again = self.post_topup(key, 15, headers={"Idempotency-Key": "topup-abc"})
        self.assertEqual(again.status_code, 200, again.text)
        self.assertEqual(again.json()["topup_id"], first.json()["topup_id"])
        self.assertEqual(again.json()["amount_usdt"], first.json()["amount_usdt"])
        other = self.post_topup(key, 16, headers={"Idempotency-Key": "topup-abc"})
        self.assertEqual(other.status_code, 422, other.text)
        self.assertIn(first.json()["topup_id"], json.dumps(other.json()["errors"]))
        bad = self.post_topup(key, 15, headers={"Idempotency-Key": "x" * 256})
        self.assertEqual(bad.status_code, 422, bad.text)

    def test_webhook_url_is_validated(self):
        key = self.new_key("hook")["api_key"]
        r = self.post_topup(key, 15, extra={"webhook_url": "http://127.0.0.1:9/cb"})
        self.assertEqual(r.status_code, 422, r.text)
        self.assertIn("webhook_url", json.dumps(r.json()["errors"]))
        r = self.post_topup(key, 15, extra={"webhook_url": 7})
        self.assertEqual(r.status_code, 422, r.text)


class RoundFeeShadowTest(MatchingTestCase):
    """A withdrawal fee with cents (0.80): an intent for 10.80 would hold 10.80 - 0.80 = 10.00,
    so a victim's round payment of 10 would credit it as short. Such amounts are never given."""

    MODULE = "match-fee80"
    NETWORK_PREFIX = "mf80"
    NETWORK_OVERRIDES = {"withdrawal_fees_usdt": ["0.80"]}

    def test_no_amount_has_a_round_fee_shadow_and_a_round_payment_credits_nobody(self):
        amounts = []
        keys = []
        while True:  # fill the band of 10 until the registry refuses: every free amount given
            key = self.new_key(f"fill{len(keys)}")["api_key"]
            keys.append(key)
            refused = False
            for _ in range(3):
                r = self.post_topup(key, 10)
                if r.status_code == 409 and "held" in r.json()["detail"]:
                    refused = True
                    break
                self.assertEqual(r.status_code, 200, r.text)
                amounts.append(exact(r)["amount_usdt"])
            if refused:
                break
            self.assertLess(len(amounts), 100, "the band of 10 never filled")
        self.assertGreater(len(amounts), 30, amounts)
        self.assertNotIn(D("10.80"), amounts)
        for a in amounts:
            self.assertNotEqual((a - D("0.80")) % 1, 0, f"{a} less the fee 0.80 is round")
        tx = self.devnet.transfer("10", token=6, sender=2)
        self.settle()
        row = self.wait_deposit(tx["tx_hash"])
        self.assertEqual(row["status"], "unmatched", row)
        time.sleep(QUIET_SECONDS)
        for key in keys:
            self.assertEqual(self.balance(key), 0)


class PredictableAmountsTest(MatchingTestCase):
    """The worst case for the attacks that need a chosen amount: the operator lets intents get
    exactly the requested amount (offer_requested_amount, no surcharge). The window from
    creation and the cooldown must hold on their own."""

    MODULE = "match-exact"
    NETWORK_PREFIX = "mexa"
    CONFIG = {"topups": {"offer_requested_amount": True, "max_surcharge_usdt": "0",
                         "expiry_seconds": 10, "expiry_grace_seconds": 0}}

    def test_an_intent_made_for_a_transfer_already_on_chain_is_not_credited(self):
        """The attacker sees an unmatched transfer before it is final and creates an intent for
        exactly its amount. The transfer predates the intent: it is not the attacker's."""
        tx = self.devnet.transfer("77.77", token=6, sender=3)  # not final: confirmations 2
        time.sleep(6.5)  # more than topups.clock_skew_seconds (5) after the transfer's block
        attacker = self.new_key("latecomer")["api_key"]
        intent = exact(self.post_topup(attacker, "77.77"))
        self.assertEqual(intent["amount_usdt"], D("77.77"))
        self.settle()
        row = self.wait_deposit(tx["tx_hash"])
        self.assertEqual((row["status"], row["reason"]), ("unmatched", "before_intent"), row)
        time.sleep(QUIET_SECONDS)
        self.assertEqual(self.balance(attacker), 0)
        self.assertEqual(self.topup(attacker, intent["topup_id"])["status"], "pending")

    def test_a_late_payment_finds_its_expired_intent_not_a_new_one(self):
        first = self.new_key("late-first")["api_key"]
        intent = exact(self.post_topup(first, "66.66"))
        wait_until(lambda: self.topup(first, intent["topup_id"])["status"] == "expired", 20,
                   what="the intent expires")
        # Block times are whole seconds: a transfer in the second of the expiry is still in the
        # window (the benefit of the doubt goes to the intent). Pay clearly after it.
        time.sleep(2)
        # The amount stays held through the cooldown: nobody else gets it now.
        second = self.new_key("late-second")["api_key"]
        r = self.post_topup(second, "66.66")
        self.assertEqual(r.status_code, 409, r.text)
        tx = self.devnet.transfer("66.66", token=6, sender=1)
        self.settle()
        row = self.wait_deposit(tx["tx_hash"])
        self.assertEqual((row["status"], row["reason"]), ("unmatched", "expired"), row)
        # The deposit names the intent it came late for (a claim by its key credits both,
        # docs/api.md), and credits nobody by itself.
        self.assertEqual(row["topup_id"], intent["topup_id"])
        self.assertEqual(self.topup(first, intent["topup_id"])["status"], "expired")
        self.assertEqual(self.balance(first), 0)
        self.assertEqual(self.balance(second), 0)

    def test_the_websites_reserved_amount_is_never_an_intents(self):
        r = requests.post(self.daemon.base + "/api/admin/amount-reservations", headers=ADMIN,
                          json={"network": self.net(), "amount_usdt": "55.55",
                                "label": "web order 991"}, timeout=10)
        self.assertEqual(r.status_code, 201, r.text)
        reservation = r.json()
        again = requests.post(self.daemon.base + "/api/admin/amount-reservations", headers=ADMIN,
                              json={"network": self.net(), "amount_usdt": "55.55",
                                    "label": "web order 992"}, timeout=10)
        self.assertEqual(again.status_code, 409, again.text)
        client = self.new_key("web-neighbour")["api_key"]
        self.assertEqual(self.post_topup(client, "55.55").status_code, 409)
        tx = self.devnet.transfer("55.55", token=6, sender=1)
        self.settle()
        row = self.wait_deposit(tx["tx_hash"])
        self.assertEqual((row["status"], row["reason"]), ("external", None), row)
        got = requests.get(self.daemon.base +
                           f"/api/admin/amount-reservations/{reservation['reservation_id']}",
                           headers=ADMIN, timeout=10).json()
        self.assertEqual((got["status"], got["deposit"]["tx_id"]), ("paid", tx["tx_hash"]))
        self.assertEqual(self.balance(client), 0)
        # The CLI reserves in the same registry and lists it.
        made = self.daemon.admin("reservations", "create", "--network", self.net(),
                                 "--amount", "12.34", "--label", "web order 993")
        self.assertEqual((D(str(made["amount_usdt"])), made["status"]), (D("12.34"), "active"))
        self.assertTrue(made["actor"].startswith("cli:"), made)
        listed = self.daemon.admin("reservations", "list", "--network", self.net())
        self.assertIn(reservation["reservation_id"], [x["reservation_id"] for x in listed])
        released = self.daemon.admin("reservations", "release", str(made["reservation_id"]))
        self.assertEqual(released["status"], "released")


class CyclingTest(MatchingTestCase):
    """Squatting by cycling: intents left to expire keep their amounts held through the grace and
    the cooldown (6 h), so without a cap a key could create 2, let them expire, create 2 more, ...
    and hold hundreds of amounts. topups.max_unpaid_held_per_key caps the intents not paid in
    full whose amounts are held, pending ones included."""

    MODULE = "match-cycle"
    NETWORK_PREFIX = "mcyc"
    CONFIG = {"topups": {"expiry_seconds": 10, "expiry_grace_seconds": 0,
                         "max_pending_per_key": 2, "max_unpaid_held_per_key": 4}}

    def test_letting_intents_expire_does_not_squat_more_amounts(self):
        cycler = self.new_key("cycler")["api_key"]
        created = []
        refused = None
        for _ in range(4):  # rounds: create up to the pending cap, let them expire, again
            mine = []
            for _ in range(2):
                r = self.post_topup(cycler, 40)
                if r.status_code == 409:
                    refused = r
                    break
                self.assertEqual(r.status_code, 200, r.text)
                mine.append(r.json()["topup_id"])
            created += mine
            if refused is not None:
                break
            for tid in mine:
                wait_until(lambda: self.topup(cycler, tid)["status"] == "expired", 25,
                           what=f"top-up {tid} expires")
        # Rounds 1 and 2 went through (2 + 2 expired unpaid, still held): 4 held, the cap; round 3
        # is refused.
        self.assertEqual(len(created), 4, created)
        self.assertIsNotNone(refused, "never refused")
        self.assertIn("application/problem+json", refused.headers["Content-Type"])
        detail = refused.json()["detail"]
        self.assertIn(f"4 top-ups on {self.net()} not paid in full", detail)
        self.assertIn("(at most 4)", detail)
        self.assertIn("the first of those holds ends at 20", detail)
        # Not the pending cap: nothing of the key is pending.
        for tid in created:
            self.assertEqual(self.topup(cycler, tid)["status"], "expired")
        # Everyone else is served.
        other = self.new_key("cycle-other")["api_key"]
        self.assertEqual(self.post_topup(other, 40).status_code, 200)


if __name__ == "__main__":
    harness.main()
