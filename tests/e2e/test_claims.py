"""Claims of unmatched deposits on the real daemon and a ganache devnet (docs/api.md, "Claiming
an unmatched deposit"): a deposit sent without an intent is recorded unmatched; its sender's
wallet signs the claim's challenge (EIP-191 personal_sign, made at test time), and the proof
credits it to the claiming key once. Wrong wallets, other claims' signatures, garbage and expired
challenges are refused and change nothing; the review path goes to finance, who approve (CLI) or
refuse (admin API); every step is in the audit log with its actor.

Signatures: with ethers from tests/signatures/node_modules when that is installed, else by the
devnet node itself (ganache's eth_sign: the sender account's own key, the same EIP-191 prefix).
Both are independent of the daemon's verifier."""

import json
import warnings
import os
import subprocess
import sys
import time
import unittest
from decimal import Decimal

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import harness  # noqa: E402
import deposit_harness  # noqa: E402
from deposit_harness import exact, wait_until  # noqa: E402
from order_harness import psql  # noqa: E402

try:
    import jsonschema  # noqa: E402
    from test_openapi import DOC, resolve, template_of, documented_response  # noqa: E402
except ImportError:  # the schema check is a bonus here; test_openapi requires jsonschema
    jsonschema = None

# jsonschema 4.18+ deprecates RefResolver, which test_openapi also uses; the warning is noise here.
warnings.simplefilter("ignore", DeprecationWarning)

# Long enough for each test's proofs under load; test_an_expired_challenge_is_refused waits it out.
CHALLENGE_SECONDS = 15
SIGNATURES_DIR = os.path.join(harness.REPO_ROOT, "tests", "signatures")


class ClaimsTest(deposit_harness.ChainTestCase):
    MODULE = "claims"
    NETWORK_PREFIX = "claims"
    TOKENS = (6,)
    CONFIG = {"topups": {"claim_challenge_seconds": CHALLENGE_SECONDS}, "log": {"level": "warn"}}

    # ----- helpers -------------------------------------------------------------------------

    def sign(self, sender, message):
        """EIP-191 personal_sign of `message` by devnet sender `sender` (1..5)."""
        account = self.devnet.state["senders"][sender - 1]
        ethers = os.path.join(SIGNATURES_DIR, "node_modules", "ethers")
        if os.path.isdir(ethers):
            script = ("const {Wallet} = require(process.argv[1]);"
                      "new Wallet(process.argv[2]).signMessage(require('fs').readFileSync(0, 'utf8'))"
                      ".then((s) => console.log(s));")
            p = subprocess.run(["node", "-e", script, ethers, account["private_key"]],
                               input=message, capture_output=True, text=True, timeout=60)
            self.assertEqual(p.returncode, 0, p.stderr)
            return p.stdout.strip()
        r = harness.requests.post(self.devnet.rpc, json={
            "jsonrpc": "2.0", "id": 1, "method": "eth_sign",
            "params": [account["address"], "0x" + message.encode().hex()]}, timeout=30)
        body = r.json()
        self.assertIn("result", body, body)
        return body["result"]

    def check(self, response):
        """The answer validates against docs/openapi.json; returns its JSON."""
        if jsonschema is not None:
            method = response.request.method.lower()
            path = response.request.path_url.split("?")[0]
            operation = DOC["paths"][template_of(path)][method]
            spec = documented_response(operation["responses"], response.status_code)
            self.assertIsNotNone(spec, f"{method} {path}: {response.status_code} undocumented")
            media = resolve(spec)["content"]
            ctype = response.headers.get("Content-Type", "").split(";")[0]
            schema = media[ctype]["schema"]
            validator = jsonschema.Draft202012Validator(
                schema, resolver=jsonschema.RefResolver.from_schema(DOC))
            errors = list(validator.iter_errors(response.json()))
            self.assertFalse(errors, f"{method} {path}: {[e.message for e in errors[:3]]}")
        return response.json()

    def post(self, key, path, body):
        return self.daemon.post(path, key=key["api_key"], data=json.dumps(body),
                                headers={"Content-Type": "application/json"})

    def admin_post(self, path, body):
        return self.daemon.post(path, data=json.dumps(body),
                                headers={"X-Admin-Token": harness.ADMIN_TOKEN,
                                         "Content-Type": "application/json"})

    def admin_get(self, path):
        return self.daemon.get(path, headers={"X-Admin-Token": harness.ADMIN_TOKEN})

    def unmatched_deposit(self, amount, sender):
        """A transfer of `amount` from devnet sender `sender` without any intent, recorded
        unmatched; returns its deposits-list row."""
        sent = self.devnet.transfer(amount, token=6, sender=sender)
        self.settle()
        row = self.wait_deposit(sent["tx_hash"])
        self.assertEqual(row["status"], "unmatched", row)
        self.assertEqual(row["from"].lower(), self.devnet.sender(sender))
        return row

    def claim(self, key, row):
        r = self.post(key, "/balance/claims",
                      {"network": row["network"], "tx_id": row["tx_id"], "event_index": row["index"]})
        self.assertEqual(r.status_code, 201, r.text)
        return self.check(r)

    def prove(self, key, claim, signature):
        return self.post(key, f"/balance/claims/{claim['claim_id']}/proof",
                         {"signature": signature})

    def ledger_entries(self, row):
        key = f"deposit:{row['network']}:{row['tx_id']}:{row['index']}"
        return int(psql("SELECT count(*) FROM ledger_transactions WHERE idempotency_key = "
                        f"'{key}'")[0][0])

    def audit_of(self, claim_id):
        """The audit rows of a claim, oldest first, as (action, actor)."""
        rows = psql("SELECT action, actor FROM api_audit_log WHERE target = "
                    f"'claim:{claim_id}' ORDER BY id")
        return [tuple(r) for r in rows]

    def assertUnchanged(self, key, row):
        self.assertEqual(exact(self.daemon.get("/balance", key=key["api_key"]))["balance_usdt"], 0)
        self.assertEqual(self.rows_of(row["tx_id"])[0]["status"], "unmatched")
        self.assertEqual(self.ledger_entries(row), 0)

    # ----- tests ---------------------------------------------------------------------------

    def test_a_valid_proof_credits_the_deposit_once(self):
        key = self.new_key("proof")
        row = self.unmatched_deposit("12.34", sender=1)
        claim = self.claim(key, row)
        self.assertEqual(claim["status"], "awaiting_proof")
        self.assertEqual(claim["signature_scheme"], "eip191")
        self.assertEqual(claim["deposit"], {"network": row["network"], "tx_id": row["tx_id"],
                                            "event_index": row["index"], "amount_usdt": 12.34,
                                            "from": row["from"]})
        lines = claim["challenge"].split("\n")
        self.assertEqual(lines[0], "instamarket deposit claim")
        self.assertEqual(lines[1:8], [f"claim: {claim['claim_id']}", f"key: {key['key_id']}",
                                      f"network: {row['network']}", f"tx: {row['tx_id']}",
                                      f"index: {row['index']}", "amount: 12.34 USDT",
                                      f"from: {row['from']}"])
        self.assertRegex(lines[8], r"^expires: \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
        self.assertRegex(lines[9], r"^nonce: [0-9a-f]{32}$")
        self.assertNotIn(key["api_key"], claim["challenge"])
        self.assertLessEqual(claim["expires_at"] - claim["created_at"], CHALLENGE_SECONDS)

        signature = self.sign(1, claim["challenge"])
        r = self.prove(key, claim, signature)
        credited = self.check(r)
        self.assertEqual(r.status_code, 200, r.text)
        self.assertEqual(credited["status"], "credited")
        self.assertIsInstance(credited["transaction_id"], int)
        self.assertBalance(key["api_key"], "12.34")
        deposit = self.rows_of(row["tx_id"])[0]
        self.assertEqual((deposit["status"], deposit["key_id"]), ("claimed", key["key_id"]))
        self.assertEqual(self.ledger_entries(row), 1)

        # The same proof again, a new claim, finance's assign: all refused, nothing moves.
        again = self.prove(key, claim, signature)
        self.assertProblem(again, 409)
        self.check(again)
        self.assertProblem(self.post(key, "/balance/claims",
                                     {"network": row["network"], "tx_id": row["tx_id"]}), 409)
        assign = self.admin_post(f"/api/admin/deposits/{row['id']}/assign",
                                 {"key_id": key["key_id"], "reason": "twice?"})
        self.assertProblem(assign, 409)
        self.assertBalance(key["api_key"], "12.34")
        self.assertEqual(self.ledger_entries(row), 1)
        self.assertEqual(self.check(self.daemon.get(f"/balance/claims/{claim['claim_id']}",
                                                    key=key["api_key"]))["status"], "credited")
        listed = self.check(self.daemon.get("/balance/claims", key=key["api_key"]))["items"]
        self.assertEqual([c["claim_id"] for c in listed], [claim["claim_id"]])
        actor = f"key:{key['key_id']}"
        self.assertEqual(self.audit_of(claim["claim_id"]),
                         [("claims.created", actor), ("claims.credited", actor)])

    def test_signatures_that_prove_nothing_change_nothing(self):
        alice, mallory = self.new_key("alice"), self.new_key("mallory")
        row = self.unmatched_deposit("7.5", sender=2)
        other = self.unmatched_deposit("3.25", sender=2)  # before the claims: their clock runs
        mine = self.claim(alice, row)
        theirs = self.claim(mallory, row)
        self.assertNotEqual(mine["challenge"], theirs["challenge"])

        # Mallory signs her own challenge with her own wallet (not the sender): refused.
        wrong_wallet = self.prove(mallory, theirs, self.sign(3, theirs["challenge"]))
        body = self.assertProblem(wrong_wallet, 422, ["signature"])
        self.check(wrong_wallet)
        self.assertIn(self.devnet.sender(3), body["detail"])
        self.assertIn("not by the sender", body["detail"])
        # Alice's real signature (the sender's wallet) replayed on Mallory's claim: the challenge
        # names the claim and the key, so it recovers another address.
        alice_signature = self.sign(2, mine["challenge"])
        self.assertProblem(self.prove(mallory, theirs, alice_signature), 422, ["signature"])
        # Mallory cannot prove Alice's claim (not hers), whatever she sends.
        self.assertProblem(self.prove(mallory, mine, alice_signature), 404)
        # The right wallet signing for another deposit: useless here.
        other_claim = self.claim(alice, other)
        self.assertProblem(self.prove(alice, mine, self.sign(2, other_claim["challenge"])), 422)
        # Garbage of every shape: clear 422s.
        for garbage in ["", "zz", "0x" + "00" * 65, "0x" + "ab" * 64, "0x" + "11" * 66,
                        "x" * 5000, alice_signature[:-2]]:
            r = self.prove(alice, mine, garbage)
            self.assertProblem(r, 422, ["signature"])
            self.check(r)
        self.assertProblem(self.post(alice, f"/balance/claims/{mine['claim_id']}/proof",
                                     {"signature": 12}), 422, ["signature"])
        self.assertProblem(self.post(alice, f"/balance/claims/{mine['claim_id']}/proof",
                                     {"signature": alice_signature, "extra": 1}), 422, ["extra"])
        self.assertUnchanged(alice, row)
        self.assertUnchanged(mallory, row)

        # Alice's proof works; Mallory's open claim is refused with it.
        self.assertEqual(self.check(self.prove(alice, mine, alice_signature))["status"], "credited")
        self.assertBalance(alice["api_key"], "7.5")
        loser = self.check(self.daemon.get(f"/balance/claims/{theirs['claim_id']}",
                                           key=mallory["api_key"]))
        self.assertEqual(loser["status"], "refused")
        self.assertProblem(self.prove(mallory, theirs, self.sign(3, theirs["challenge"])), 409)
        self.assertEqual(self.ledger_entries(row), 1)

    def test_an_expired_challenge_is_refused(self):
        key = self.new_key("late")
        row = self.unmatched_deposit("4.2", sender=4)
        claim = self.claim(key, row)
        signature = self.sign(4, claim["challenge"])
        time.sleep(claim["expires_at"] - time.time() + 1.2)
        r = self.prove(key, claim, signature)
        self.assertProblem(r, 410)
        self.check(r)
        self.assertProblem(self.post(key, f"/balance/claims/{claim['claim_id']}/review", {}), 410)
        self.assertUnchanged(key, row)
        self.assertEqual(self.check(self.daemon.get(f"/balance/claims/{claim['claim_id']}",
                                                    key=key["api_key"]))["status"], "expired")
        # A new claim gets a new challenge, which works.
        fresh = self.claim(key, row)
        self.assertNotEqual(fresh["claim_id"], claim["claim_id"])
        self.assertEqual(self.check(self.prove(key, fresh, self.sign(4, fresh["challenge"])))
                         ["status"], "credited")
        self.assertBalance(key["api_key"], "4.2")

    def test_review_then_approval_by_the_cli(self):
        key = self.new_key("review")
        row = self.unmatched_deposit("20.01", sender=5)
        claim = self.claim(key, row)
        r = self.post(key, f"/balance/claims/{claim['claim_id']}/review",
                      {"note": "sent from my exchange account"})
        reviewed = self.check(r)
        self.assertEqual((reviewed["status"], reviewed["note"]),
                         ("in_review", "sent from my exchange account"))
        # In review: a proof is no longer taken; finance's queue lists it.
        self.assertProblem(self.prove(key, claim, self.sign(5, claim["challenge"])), 409)
        queue = self.check(self.admin_get("/api/admin/claims?status=in_review"))["items"]
        mine = [c for c in queue if c["claim_id"] == claim["claim_id"]]
        self.assertEqual(len(mine), 1, queue)
        self.assertEqual((mine[0]["key_id"], mine[0]["deposit"]["tx_id"]),
                         (key["key_id"], row["tx_id"]))
        cli_queue = self.daemon.admin("claims", "list", "--status", "in_review")
        self.assertIn(claim["claim_id"], [c["claim_id"] for c in cli_queue])

        approved = self.daemon.admin("claims", "approve", claim["claim_id"], "--reason",
                                     "exchange statement checked")
        self.assertEqual(approved["status"], "credited")
        self.assertTrue(approved["decided_by"].startswith("cli:"), approved)
        self.assertEqual(approved["reason"], "exchange statement checked")
        self.assertBalance(key["api_key"], "20.01")
        self.assertEqual(self.rows_of(row["tx_id"])[0]["status"], "claimed")
        self.assertEqual(self.ledger_entries(row), 1)
        code, err, _ = self.daemon.admin_fail("claims", "approve", claim["claim_id"], "--reason",
                                              "again")
        self.assertNotEqual(code, 0)
        code, err, _ = self.daemon.admin_fail("claims", "approve", claim["claim_id"])
        self.assertNotEqual(code, 0)  # --reason is required
        actor = f"key:{key['key_id']}"
        self.assertEqual(self.audit_of(claim["claim_id"]),
                         [("claims.created", actor), ("claims.review_requested", actor),
                          ("claims.approved", approved["decided_by"])])

    def test_finance_sees_a_shared_sender_and_a_contest(self):
        """A claim in review shows finance how the sender's other deposits went and who else
        claims the deposit; approving one refuses the other, audited."""
        owner, claimant, rival = (self.new_key(n) for n in ("shared-1", "shared-2", "shared-3"))
        first = self.unmatched_deposit("2.22", sender=4)
        second = self.unmatched_deposit("3.33", sender=4)
        # The sender's wallet proves the first deposit for its owner's key.
        c1 = self.claim(owner, first)
        self.assertEqual(self.check(self.prove(owner, c1, self.sign(4, c1["challenge"])))
                         ["status"], "credited")
        # Two other keys claim the second without a proof.
        mine = self.claim(claimant, second)
        theirs = self.claim(rival, second)
        self.check(self.post(claimant, f"/balance/claims/{mine['claim_id']}/review",
                             {"note": "from my exchange"}))
        self.assertNotIn("review", self.check(self.daemon.get(
            f"/balance/claims/{mine['claim_id']}", key=claimant["api_key"])))
        queue = self.check(self.admin_get("/api/admin/claims?status=in_review"))["items"]
        seen = [c for c in queue if c["claim_id"] == mine["claim_id"]][0]
        review = seen["review"]
        self.assertGreaterEqual(review["sender_deposits"], 2)
        self.assertGreaterEqual(review["sender_credited_to_other_keys"], 1)
        self.assertTrue(review["contested"])
        self.assertIn({"claim_id": theirs["claim_id"], "key_id": rival["key_id"],
                       "status": "awaiting_proof"}, review["other_claims"])
        self.assertEqual(review["warnings"][:2], ["shared_sender", "contested"])
        cli = [c for c in self.daemon.admin("claims", "list", "--status", "in_review")
               if c["claim_id"] == mine["claim_id"]][0]
        self.assertEqual(cli["review"], review)

        approved = self.check(self.admin_post(f"/api/admin/claims/{mine['claim_id']}/approve",
                                              {"reason": "withdrawal record shown"}))
        self.assertEqual(approved["status"], "credited")
        self.assertIn("review", approved)
        loser = self.check(self.daemon.get(f"/balance/claims/{theirs['claim_id']}",
                                           key=rival["api_key"]))
        self.assertEqual((loser["status"], loser["reason"]),
                         ("refused", "the deposit was credited through another claim"))
        self.assertEqual([a for a, _ in self.audit_of(theirs["claim_id"])],
                         ["claims.created", "claims.refused"])
        self.assertBalance(claimant["api_key"], "3.33")
        self.assertBalance(rival["api_key"], "0")

    def test_refusal_by_the_admin_api(self):
        key = self.new_key("refused")
        row = self.unmatched_deposit("6.66", sender=3)
        claim = self.claim(key, row)
        self.check(self.post(key, f"/balance/claims/{claim['claim_id']}/review", {}))
        self.assertProblem(self.admin_post(f"/api/admin/claims/{claim['claim_id']}/refuse", {}),
                           422, ["reason"])
        r = self.admin_post(f"/api/admin/claims/{claim['claim_id']}/refuse",
                            {"reason": "the sender is not the client"})
        refused = self.check(r)
        self.assertEqual(refused["status"], "refused")
        self.assertEqual(refused["decided_by"], "admin:default")
        self.assertUnchanged(key, row)
        self.assertProblem(self.admin_post(f"/api/admin/claims/{claim['claim_id']}/approve",
                                           {"reason": "changed my mind"}), 409)
        client_view = self.check(self.daemon.get(f"/balance/claims/{claim['claim_id']}",
                                                 key=key["api_key"]))
        self.assertEqual((client_view["status"], client_view["reason"]),
                         ("refused", "the sender is not the client"))
        self.assertNotIn("decided_by", client_view)
        self.assertIn(claim["claim_id"],
                      [c["claim_id"] for c in self.daemon.admin("claims", "list", "--status",
                                                                "refused")])
        actor = f"key:{key['key_id']}"
        self.assertEqual(self.audit_of(claim["claim_id"]),
                         [("claims.created", actor), ("claims.review_requested", actor),
                          ("claims.refused", "admin:default")])

    def test_requests_that_claim_nothing(self):
        key, other = self.new_key("errors"), self.new_key("errors-other")
        net = self.net()
        for body, fields in [({}, ["network", "tx_id"]),
                             ({"network": "nope", "tx_id": "0x1"}, ["network"]),
                             ({"network": net, "tx_id": ""}, ["tx_id"]),
                             ({"network": net, "tx_id": "0x1", "event_index": -1}, ["event_index"]),
                             ({"network": net, "tx_id": "0x1", "event_index": 1.5}, ["event_index"]),
                             ({"network": net, "tx_id": "0x" + "f" * 300}, ["tx_id"]),
                             ({"network": net, "tx_id": "0x1", "key_id": 1}, ["key_id"])]:
            r = self.post(key, "/balance/claims", body)
            self.assertProblem(r, 422, fields)
            self.check(r)
        r = self.post(key, "/balance/claims", {"network": net, "tx_id": "0x" + "0" * 64})
        self.assertProblem(r, 404)
        self.check(r)
        for path in ["/balance/claims/not-a-uuid", "/balance/claims/" + "0" * 8 + "-0000-0000-0000-" + "0" * 12]:
            self.assertProblem(self.daemon.get(path, key=key["api_key"]), 404)
        self.assertProblem(self.post(key, "/balance/claims/not-a-uuid/proof", {"signature": "0x"}), 404)
        row = self.unmatched_deposit("1.01", sender=1)
        claim = self.claim(key, row)
        self.assertProblem(self.daemon.get(f"/balance/claims/{claim['claim_id']}",
                                           key=other["api_key"]), 404)
        self.assertProblem(self.post(other, f"/balance/claims/{claim['claim_id']}/review", {}), 404)
        self.assertEqual(self.post(key, "/balance/claims", {"network": net, "tx_id": row["tx_id"]})
                         .status_code, 409)  # this key's claim is open
        # A key with an HMAC secret signs its POSTs here as everywhere.
        signed = self.new_key("errors-hmac", hmac=True)
        body = json.dumps({"network": net, "tx_id": row["tx_id"]})
        self.assertProblem(self.daemon.post("/balance/claims", key=signed["api_key"], data=body,
                                            headers={"Content-Type": "application/json"}), 401)
        r = self.daemon.signed_post("/balance/claims", signed["api_key"], signed["hmac_secret"], body)
        self.assertEqual(r.status_code, 201, r.text)
        self.assertProblem(self.admin_get("/api/admin/claims?status=nope"), 422, ["status"])
        self.assertProblem(self.admin_post("/api/admin/claims/not-a-uuid/approve", {"reason": "x"}), 404)


if __name__ == "__main__":
    harness.main()
