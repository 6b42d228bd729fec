"""Claims of unmatched deposits on Tron, TON and Solana, end to end (docs/api.md, "Claiming an
unmatched deposit"): instamarketd watching the loopback fake of each chain (fake_chain.py, as in
test_chain_adapters.py), a transfer from a wallet made at test time recorded unmatched, and that
wallet proving it with a signature made by the wallet's own npm library:

- Tron    tronweb: generateAccount, Trx.signMessageV2 (TIP-191); the sender is the T… address
- Solana  tweetnacl sign.detached + bs58; the sender (the owner of the source token account, the
          transfer's authority unless a delegate signed) is the public key
- TON     @ton/crypto keyPairFromSeed + sign; the sender is a raw "0:…" address whose
          get_public_key the fake answers with the public key (fake.ton_set_public_key)

For each: the proof credits the deposit to the claiming key once (balance, deposit row
`claimed`), a second proof or claim is refused; another key's signature and the right key
signing another text are 422 and change nothing. TON also: a wallet whose key the chain does not
know (not deployed) is 422, and a wallet whose on-chain key is another pair's is 422.

The libraries come from tests/signatures (tests/signatures/install.sh, as scripts/test.sh runs
it); without Node the module skips, or fails under INSTAMARKET_E2E_REQUIRE=1."""

import json
import os
import shutil
import subprocess
import sys
from decimal import Decimal

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import harness  # noqa: E402
from deposit_harness import ChainDaemon, exact, wait_until  # noqa: E402
from fake_chain import FakeChain, associated_token_account, random_hex  # noqa: E402
from order_harness import psql  # noqa: E402
from test_chain_adapters import (SOL_OWNER, SOL_USDT, TON_MASTER, TON_USDT, TON_USDT_FRIENDLY,  # noqa: E402
                                 TRON_MASTER, TRON_USDT, raw)

TIMEOUT = 30
CHALLENGE_SECONDS = 120  # the proofs of a test are made well within it, even under load
SIGNATURES_DIR = os.path.join(harness.REPO_ROOT, "tests", "signatures")

# One node process per key pair or signature, run in tests/signatures so that its node_modules
# resolve. argv: new SCHEME | sign SCHEME SECRET (the message on stdin). Prints JSON.
WALLET_JS = r"""
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
const [cmd, scheme, secret] = process.argv.slice(1);
const message = cmd === "sign" ? readFileSync(0, "utf8") : null;
let out;
if (scheme === "tron") {
  const { TronWeb, Trx, utils } = await import("tronweb");
  if (cmd === "new") {
    const a = utils.accounts.generateAccount();
    if (TronWeb.address.fromPrivateKey(a.privateKey) !== a.address.base58) throw new Error("address");
    out = { secret: a.privateKey, address: a.address.base58 };
  } else {
    const signature = Trx.signMessageV2(message, secret);
    if (Trx.verifyMessageV2(message, signature) !== TronWeb.address.fromPrivateKey(secret))
      throw new Error("tronweb does not verify its own signature");
    out = { signature };
  }
} else if (scheme === "solana") {
  const nacl = (await import("tweetnacl")).default;
  const bs58 = (await import("bs58")).default;
  if (cmd === "new") {
    const kp = nacl.sign.keyPair();
    out = { secret: Buffer.from(kp.secretKey).toString("hex"), address: bs58.encode(kp.publicKey) };
  } else {
    const sig = nacl.sign.detached(new TextEncoder().encode(message), Uint8Array.from(Buffer.from(secret, "hex")));
    out = { signature: bs58.encode(sig) };
  }
} else if (scheme === "ton") {
  const { keyPairFromSeed, sign } = await import("@ton/crypto");
  if (cmd === "new") {
    const seed = randomBytes(32);
    out = { secret: seed.toString("hex"), public_key: keyPairFromSeed(seed).publicKey.toString("hex") };
  } else {
    const kp = keyPairFromSeed(Buffer.from(secret, "hex"));
    out = { signature: sign(Buffer.from(message, "utf8"), kp.secretKey).toString("base64") };
  }
} else {
  throw new Error("no scheme " + scheme);
}
console.log(JSON.stringify(out));
"""

_installed = False


def install_signing_libraries():
    """tests/signatures/install.sh once per process; no Node is a missing prerequisite."""
    global _installed
    if _installed:
        return
    if shutil.which("node") is None or shutil.which("npm") is None:
        harness.missing_prerequisite("node and npm are not installed (scripts/ensure-node.sh); "
                                     "the wallets' signing libraries need them")
    p = subprocess.run(["bash", os.path.join(SIGNATURES_DIR, "install.sh")], capture_output=True,
                       text=True, timeout=600)
    if p.returncode != 0:
        harness.missing_prerequisite(f"tests/signatures/install.sh exited with {p.returncode}:\n"
                                     f"{p.stdout}\n{p.stderr}")
    _installed = True


def wallet(cmd, scheme, secret=None, message=None):
    args = ["node", "--input-type=module", "-e", WALLET_JS, cmd, scheme]
    if secret is not None:
        args.append(secret)
    p = subprocess.run(args, input=message or "", capture_output=True, text=True, timeout=60,
                       cwd=SIGNATURES_DIR)
    if p.returncode != 0:
        raise AssertionError(f"node wallet {cmd} {scheme} failed: {p.stderr[-2000:]}")
    return json.loads(p.stdout)


class ClaimChainCase(harness.DaemonTestCase):
    """One fake chain and one daemon watching one network of KIND. Subclasses: `new_wallet`
    (a key pair and its sender address), `send` (a transfer from it to our master)."""

    KIND = None
    SCHEME = None

    @classmethod
    def setUpClass(cls):
        harness.require_environment()
        install_signing_libraries()
        cls.network = f"claims_{cls.KIND}_{harness.RUN_ID}"
        cls.chain = FakeChain().start()
        entry = {"id": cls.network, "kind": cls.KIND, "rpc": [cls.chain.url], "decimals": 6,
                 "poll_interval_ms": 100, "page_size": 20, "start": 0, "rpc_timeout_ms": 5000}
        entry.update(cls.network_keys())
        cls.daemon = ChainDaemon([entry], log={"level": "warn"},
                                 topups={"claim_challenge_seconds": CHALLENGE_SECONDS})
        try:
            cls.daemon.start()
        except BaseException:
            cls.daemon.cleanup()
            cls.chain.stop()
            raise

    @classmethod
    def tearDownClass(cls):
        try:
            super().tearDownClass()
        finally:
            cls.chain.stop()

    # ----- helpers -------------------------------------------------------------------------

    def new_wallet(self):
        """{"secret", "address"}: a fresh key pair of the wallet's library, and its address."""
        return wallet("new", self.KIND)

    def sign(self, w, message):
        return wallet("sign", self.KIND, w["secret"], message)["signature"]

    def new_key(self, name):
        return self.daemon.create_key(harness.label(f"claims-{self.KIND}", name))

    def post(self, key, path, body):
        return self.daemon.post(path, key=key["api_key"], data=json.dumps(body),
                                headers={"Content-Type": "application/json"})

    def row_of(self, tx_id):
        rows = [r for r in self.daemon.deposits(self.network) if r["tx_id"] == tx_id]
        return rows[0] if rows else None

    def unmatched_deposit(self, w, amount):
        """A transfer of `amount` from wallet `w` to our master; no intent asks for it, so it is
        recorded unmatched. Returns its deposits-list row."""
        tx = self.send(raw(amount), w["address"])
        row = wait_until(lambda: self.row_of(tx), TIMEOUT, interval=0.2,
                         what=f"deposit {tx} is recorded")
        self.assertEqual((row["status"], row["reason"]), ("unmatched", "no_intent"), row)
        self.assertEqual(row["from"], w["address"], row)
        self.assertEqual(Decimal(str(row["amount_usdt"])), Decimal(amount))
        return row

    def claim(self, key, row):
        r = self.post(key, "/balance/claims",
                      {"network": row["network"], "tx_id": row["tx_id"], "event_index": row["index"]})
        self.assertEqual(r.status_code, 201, r.text)
        claim = r.json()
        self.assertEqual(claim["status"], "awaiting_proof")
        self.assertEqual(claim["signature_scheme"], self.SCHEME)
        self.assertEqual(claim["deposit"]["from"], row["from"])
        self.assertIn(f"from: {row['from']}", claim["challenge"].split("\n"))
        return claim

    def prove(self, key, claim, signature):
        return self.post(key, f"/balance/claims/{claim['claim_id']}/proof",
                         {"signature": signature})

    def balance(self, key):
        return exact(self.daemon.get("/balance", key=key["api_key"]))["balance_usdt"]

    def ledger_entries(self, row):
        idem = f"deposit:{row['network']}:{row['tx_id']}:{row['index']}"
        return int(psql("SELECT count(*) FROM ledger_transactions WHERE idempotency_key = "
                        f"'{idem}'")[0][0])

    def assertRefused(self, key, claim, signature, row, detail=None):
        """The proof is a 422 on `signature` and changes nothing."""
        body = self.assertProblem(self.prove(key, claim, signature), 422, ["signature"])
        if detail:
            self.assertIn(detail, json.dumps(body))
        self.assertUnchanged(key, claim, row)
        return body

    def assertUnchanged(self, key, claim, row):
        self.assertEqual(self.balance(key), 0)
        now = self.row_of(row["tx_id"])
        self.assertEqual((now["status"], now.get("key_id")), ("unmatched", None), now)
        self.assertEqual(self.ledger_entries(row), 0)
        got = self.daemon.get(f"/balance/claims/{claim['claim_id']}", key=key["api_key"]).json()
        self.assertEqual(got["status"], "awaiting_proof", got)

    def assertCredited(self, key, claim, row, signature, amount):
        r = self.prove(key, claim, signature)
        self.assertEqual(r.status_code, 200, r.text)
        credited = r.json()
        self.assertEqual(credited["status"], "credited")
        self.assertIsInstance(credited["transaction_id"], int)
        self.assertEqual(self.balance(key), Decimal(amount))
        deposit = self.row_of(row["tx_id"])
        self.assertEqual((deposit["status"], deposit["key_id"]), ("claimed", key["key_id"]), deposit)
        self.assertEqual(self.ledger_entries(row), 1)

    # ----- tests ---------------------------------------------------------------------------

    def test_a_the_senders_wallet_proves_its_deposit_once(self):
        key = self.new_key("proof")
        mine = self.new_wallet()
        row = self.unmatched_deposit(mine, "12.34")
        claim = self.claim(key, row)

        # Another wallet of the same scheme signs the challenge: refused, nothing moves.
        stranger = self.new_wallet()
        self.assertRefused(key, claim, self.sign(stranger, claim["challenge"]), row)
        # The sender's wallet signs another text (the challenge with another nonce, and the
        # challenge with a line added): refused, nothing moves.
        lines = claim["challenge"].split("\n")
        other_nonce = "\n".join(f"nonce: {random_hex(16)}" if line.startswith("nonce: ") else line
                                for line in lines)
        self.assertNotEqual(other_nonce, claim["challenge"])
        self.assertRefused(key, claim, self.sign(mine, other_nonce), row)
        self.assertRefused(key, claim, self.sign(mine, claim["challenge"] + "\n"), row)

        signature = self.sign(mine, claim["challenge"])
        self.assertCredited(key, claim, row, signature, "12.34")

        # The same proof again, a new claim by this key or by another: refused, nothing moves.
        self.assertProblem(self.prove(key, claim, signature), 409)
        self.assertProblem(self.post(key, "/balance/claims",
                                     {"network": row["network"], "tx_id": row["tx_id"],
                                      "event_index": row["index"]}), 409)
        other = self.new_key("proof-other")
        self.assertProblem(self.post(other, "/balance/claims",
                                     {"network": row["network"], "tx_id": row["tx_id"],
                                      "event_index": row["index"]}), 409)
        self.assertEqual(self.balance(key), Decimal("12.34"))
        self.assertEqual(self.balance(other), 0)
        self.assertEqual(self.ledger_entries(row), 1)
        self.assertEqual(self.row_of(row["tx_id"])["key_id"], key["key_id"])

    def test_b_the_senders_signature_for_another_claim_proves_nothing_here(self):
        # Alice's and Mallory's claims of one deposit: the sender's signature of Alice's challenge
        # (which names her claim and key) does not prove Mallory's.
        alice, mallory = self.new_key("alice"), self.new_key("mallory")
        sender = self.new_wallet()
        row = self.unmatched_deposit(sender, "7.5")
        hers, theirs = self.claim(alice, row), self.claim(mallory, row)
        signature = self.sign(sender, hers["challenge"])
        self.assertRefused(mallory, theirs, signature, row)
        self.assertCredited(alice, hers, row, signature, "7.5")
        self.assertEqual(self.balance(mallory), 0)


class TronTest(ClaimChainCase):
    KIND = "tron"
    SCHEME = "tip191"
    MODULE = "claims-chain-tron"

    @classmethod
    def network_keys(cls):
        return {"token": TRON_USDT, "address": TRON_MASTER, "api_key": "test-key"}

    def send(self, value, sender):
        return self.chain.tron_add(TRON_MASTER, value, sender)["transaction_id"]


class SolanaTest(ClaimChainCase):
    KIND = "solana"
    SCHEME = "ed25519"
    MODULE = "claims-chain-solana"
    TOKEN_ACCOUNT = associated_token_account(SOL_OWNER, SOL_USDT)

    @classmethod
    def network_keys(cls):
        return {"token": SOL_USDT, "address": SOL_OWNER}

    def send(self, value, sender):
        # The wallet is the transfer's authority (it signs the transaction) and owns the source
        # token account.
        return self.chain.solana_add(self.TOKEN_ACCOUNT, SOL_OWNER, SOL_USDT, value,
                                     sender)["signature"]

    def test_c_a_delegates_transfer_is_proved_by_the_owner_not_the_delegate(self):
        """A delegate signs the transfer out of the owner's token account: the deposit's sender
        is the owner, whose wallet proves it; the delegate's signature proves nothing."""
        owner, delegate = self.new_wallet(), self.new_wallet()
        tx = self.chain.solana_add(self.TOKEN_ACCOUNT, SOL_OWNER, SOL_USDT, raw("5.5"),
                                   delegate["address"], source_owner=owner["address"])["signature"]
        row = wait_until(lambda: self.row_of(tx), TIMEOUT, interval=0.2,
                         what=f"deposit {tx} is recorded")
        self.assertEqual(row["from"], owner["address"], row)
        key = self.new_key("delegated")
        claim = self.claim(key, row)
        self.assertRefused(key, claim, self.sign(delegate, claim["challenge"]), row)
        self.assertCredited(key, claim, row, self.sign(owner, claim["challenge"]), "5.5")


class TonTest(ClaimChainCase):
    KIND = "ton"
    SCHEME = "ed25519"
    MODULE = "claims-chain-ton"

    @classmethod
    def network_keys(cls):
        return {"token": TON_USDT_FRIENDLY, "address": TON_MASTER}

    def new_wallet(self, publish=True):
        """A key pair and a raw address of our choosing for its wallet, whose get_public_key the
        fake answers with the pair's public key (unless `publish` is false)."""
        w = wallet("new", "ton")
        w["address"] = "0:" + random_hex(32)
        if publish:
            self.chain.ton_set_public_key(w["address"], w["public_key"])
        return w

    def send(self, value, sender):
        return self.chain.ton_add(TON_MASTER, value, sender, TON_USDT)["transaction_hash"]

    def test_c_a_wallet_whose_key_the_chain_does_not_know(self):
        key = self.new_key("undeployed")
        w = self.new_wallet(publish=False)
        row = self.unmatched_deposit(w, "3.3")
        claim = self.claim(key, row)
        body = self.assertRefused(key, claim, self.sign(w, claim["challenge"]), row,
                                  detail="has no public key on chain")
        self.assertIn(w["address"], json.dumps(body))
        # The failed lookup is remembered for a minute (docs/api.md), so repeating proofs
        # cannot make one chain call each: even once the chain knows the key, the same proof is
        # refused alike until then, and the claim is still open.
        self.chain.ton_set_public_key(w["address"], w["public_key"])
        self.assertRefused(key, claim, self.sign(w, claim["challenge"]), row,
                           detail="has no public key on chain")
        # A malformed signature is refused for its format, without a lookup.
        self.assertRefused(key, claim, "00" * 10, row, detail="not 64 bytes")

    def test_d_a_wallet_whose_key_on_chain_is_another_pairs(self):
        key = self.new_key("other-pair")
        w = self.new_wallet(publish=False)
        other = wallet("new", "ton")
        self.chain.ton_set_public_key(w["address"], other["public_key"])
        row = self.unmatched_deposit(w, "4.4")
        claim = self.claim(key, row)
        self.assertRefused(key, claim, self.sign(w, claim["challenge"]), row,
                           detail=other["public_key"])


del ClaimChainCase

if __name__ == "__main__":
    harness.main()
