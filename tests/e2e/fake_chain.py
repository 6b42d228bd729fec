"""A loopback fake of the three non-EVM chain APIs the adapters read, serving records built from
the real recorded answers in tests/fixtures/chains/ at the real paths:

- TronGrid v1   GET  /v1/accounts/{address}/transactions/trc20   (fingerprint paging)
- java-tron     POST [prefix]/walletsolidity/gettransactioninfobyid  (receipt and Transfer logs)
- toncenter v3  GET  /api/v3/jetton/transfers                    (start_lt, offset paging)
- toncenter v3  POST /api/v3/runGetMethod                        (get_public_key, and the
                                                                  master's get_wallet_address)
- Solana RPC    POST /  getSlot, getSignaturesForAddress, getTransaction, getSignatureStatuses

Pages hold `limit` records, as asked. Like the real services it lists what it holds whatever the token (contract_address and
jetton_master are not filtered here), so the adapter's own checks are what is tested. Faults:
fail(n, status, body) answers the next n requests with an error; hold_pages_from(k) makes
requests for page k and later wait until release().

    chain = FakeChain().start()     # chain.url
    chain.tron_add(to=..., value="10500000", sender=...)
    chain.ton_set_public_key("0:ab12...", "5f2c...")   # what get_public_key answers
"""

import base64
import copy
import hashlib
import json
import os
import random
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

FIXTURES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fixtures", "chains")

B58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"


def fixture(name):
    with open(os.path.join(FIXTURES, name)) as f:
        return json.load(f)


def b58encode(data):
    n = int.from_bytes(data, "big")
    out = ""
    while n:
        n, r = divmod(n, 58)
        out = B58[r] + out
    return "1" * (len(data) - len(data.lstrip(b"\0"))) + out


def b58decode(text):
    n = 0
    for c in text:
        n = n * 58 + B58.index(c)
    body = n.to_bytes((n.bit_length() + 7) // 8, "big") if n else b""
    return b"\0" * (len(text) - len(text.lstrip("1"))) + body


def tron_address(payload20):
    raw = b"\x41" + payload20
    return b58encode(raw + hashlib.sha256(hashlib.sha256(raw).digest()).digest()[:4])


def _on_curve(compressed):
    p = 2**255 - 19
    d = (-121665 * pow(121666, p - 2, p)) % p
    y = int.from_bytes(compressed, "little") & ((1 << 255) - 1)
    y %= p
    u = (y * y - 1) % p
    v = (d * y * y + 1) % p
    if u == 0:
        return True
    x2 = u * pow(v, p - 2, p) % p
    return pow(x2, (p - 1) // 2, p) == 1


def associated_token_account(owner, mint,
                             token_program="TokenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5DA"):
    """An independent Python derivation of the ATA (the daemon has its own in C++)."""
    program = b58decode("ATokenGPvbdGVxr1b2hvZbsiqW5xWH25efTNsLJA8knL")
    for bump in range(255, -1, -1):
        h = hashlib.sha256(b58decode(owner) + b58decode(token_program) + b58decode(mint)
                           + bytes([bump]) + program + b"ProgramDerivedAddress").digest()
        if not _on_curve(h):
            return b58encode(h)
    raise ValueError("no bump")


def random_hex(n=32):
    return os.urandom(n).hex()


class FakeChain:
    def __init__(self):
        self.lock = threading.Condition()
        self.tron = []      # TronGrid records, in the order they were added
        self.ton = []       # toncenter jetton_transfers
        self.solana = []    # (signature entry, transaction result)
        self.ton_public_keys = {}  # raw TON address (lowercase) -> public key as hex
        # Block times are now: the matcher takes a transfer as made when its block says.
        self.slot = 300_000_000
        self.lt = 47_000_000_000_000
        self.ts_ms = int(time.time() * 1000)
        self._failures = []  # (status, body) for the next requests
        self._hold_from = None
        self.requests = []   # (path or method, page) of every request
        self.errors_served = 0
        self.held = 0
        self.agents = []  # (monotonic time, User-Agent) of every request
        self.api_keys_seen = set()  # TRON-PRO-API-KEY / X-API-Key header values
        self.tron_receipts = {}       # tx id -> receipt result ("SUCCESS", "REVERT", ...)
        self.tron_not_on_node = set()  # listed, but the node answers {} (not solidified there)
        self._tron_failures = []      # (status, body, headers) for the next Tron requests
        self.tron_hosts = []          # (monotonic time, Host, path) of every Tron request
        self.tron_node_keys = []      # TRON-PRO-API-KEY of every node request (None: none)
        self.tron_failed_hosts = []   # the Host of each Tron request answered with a failure
        # (master, owner) raw lowercase -> jetton wallet; the recorded transfer's pair is real.
        self.ton_wallets = {(_TON_TEMPLATE["jetton_master"].lower(), _TON_TEMPLATE["source"].lower()):
                            _TON_TEMPLATE["source_wallet"].lower()}
        self.ton_shuffle_ties = False  # equal-lt transfers listed in a new order every time
        self.ton_wallet_lies = 0  # the next N get_wallet_address answers name a made-up wallet
        self.server = None

    # ----- lifecycle -----------------------------------------------------------------------

    def start(self):
        chain = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                chain._handle(self, None)

            def do_POST(self):
                length = int(self.headers.get("Content-Length", 0))
                chain._handle(self, self.rfile.read(length))

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self):
        self.release()
        if self.server:
            self.server.shutdown()
            self.server.server_close()

    @property
    def url(self):
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    # ----- faults --------------------------------------------------------------------------

    def fail(self, n, status=429, body='{"Error": "rate limit"}'):
        with self.lock:
            self._failures.extend([(status, body)] * n)

    def hold_pages_from(self, page):
        with self.lock:
            self._hold_from = page
            self.held = 0

    def release(self):
        with self.lock:
            self._hold_from = None
            self.lock.notify_all()

    def count(self, what):
        with self.lock:
            return sum(1 for r in self.requests if r[0] == what)

    # ----- chain contents ------------------------------------------------------------------

    def tron_add(self, to, value, sender, token="TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t",
                 tx_id=None, same_block=False, unconfirmed=False, type_="Transfer",
                 receipt="SUCCESS", listed_only=False, ms_behind=0):
        """A TRC-20 record shaped like TronGrid's (a copy of a real confirmed one). Its
        transaction's receipt (gettransactioninfobyid) says `receipt` and holds one Transfer log
        per confirmed record of the transaction, in the order added, except `listed_only` ones (a
        listing that lies). `ms_behind`: listed now, with a block timestamp that far below the
        newest (an index filling in late)."""
        with self.lock:
            if not same_block:
                self.ts_ms = max(self.ts_ms + 3000, int(time.time() * 1000))
            record = copy.deepcopy(_TRON_TEMPLATE)
            record.update({"from": sender, "to": to, "value": str(value), "type": type_,
                           "block_timestamp": self.ts_ms - ms_behind,
                           "transaction_id": tx_id or random_hex()})
            record["token_info"]["address"] = token
            if unconfirmed:
                record["_unconfirmed"] = True
            if listed_only:
                record["_listed_only"] = True
            self.tron_receipts.setdefault(record["transaction_id"], receipt)
            self.tron.append(record)
            return record

    def tron_fail(self, n, status, body, headers=None, node=False):
        """The next n Tron listing requests (node requests with `node`) answer `status` with
        `body` and `headers` (e.g. {"Retry-After": "1"})."""
        with self.lock:
            self._tron_failures.extend([(status, body, headers or {}, node)] * n)

    def tron_requests_to(self, host, since=0):
        with self.lock:
            return [p for t, h, p in self.tron_hosts if h.split(":")[0] == host and t >= since]

    def ton_set_public_key(self, address, public_key_hex):
        """What the wallet at `address` (raw form, any case) answers to get_public_key."""
        with self.lock:
            self.ton_public_keys[address.lower()] = public_key_hex

    def ton_add(self, owner, amount, source, master, comment=None, aborted=False, tx_hash=None,
                lt_behind=0, same_lt=False, wallet_master=None, bounced=None):
        """`lt_behind`: listed now but with an lt that far below the newest (another shard's
        block reaching the index late); `same_lt`: the lt of the transfer added before (another
        shard, or another message of one transaction). The sending jetton wallet is the one
        `wallet_master` (default `master`) derives for `source`: another master's makes a fake
        jetton that the indexer still lists under `master`."""
        with self.lock:
            if not same_lt:
                self.lt += 1_000_003
            lt = self.lt - lt_behind
            record = copy.deepcopy(_TON_TEMPLATE)
            record.update({"destination": owner.upper().replace("0:", "0:", 1),
                           "source": source.upper(), "amount": str(amount),
                           "jetton_master": master.upper(),
                           "source_wallet": self._ton_wallet_of(wallet_master or master,
                                                                source).upper(),
                           "transaction_hash": tx_hash or base64.b64encode(os.urandom(32)).decode(),
                           "transaction_lt": str(lt), "transaction_now": int(time.time()),
                           "transaction_aborted": aborted,
                           "forward_payload": _comment_boc(comment) if comment else None})
            if bounced is not None:
                record["bounced"] = bounced
            self.ton.append(record)
            return record

    def _ton_wallet_of(self, master, owner):
        """The jetton wallet `master` derives for `owner`: the real one for the recorded
        transfer's sender, else a stable made-up address."""
        key = (master.lower(), owner.lower())
        if key not in self.ton_wallets:
            digest = hashlib.sha256(("%s|%s" % key).encode()).hexdigest()
            self.ton_wallets[key] = "0:" + digest
        return self.ton_wallets[key]

    def solana_add(self, token_account, owner, mint, amount, authority, failed=False,
                   memo=None, pre=0, source_owner=None, lost_pre=None):
        """A transferChecked into `token_account`, shaped like the recorded jsonParsed one.
        `authority` signs it and owns the source token account, unless `source_owner` is given:
        then the authority is a delegate of that owner (as in
        solana-getTransaction-jsonParsed-delegate.json). `lost_pre`: the account held that much
        before (it was not created here), but the answer has no pre token balance for it (a node
        that dropped it)."""
        with self.lock:
            self._sol.accounts.setdefault(token_account, (owner, mint))
            self.slot += 7
            signature = b58encode(os.urandom(64))
            text = json.dumps(_SOLANA_TEMPLATE)
            for old, new in ((_SOL_DEST, token_account), (_SOL_OWNER, owner), (_SOL_MINT, mint),
                             (_SOL_AUTHORITY, authority)):
                text = text.replace(old, new)
            tx = json.loads(text)
            tx["slot"] = self.slot
            tx["blockTime"] = int(time.time())
            tx["transaction"]["signatures"] = [signature]
            meta = tx["meta"]
            if source_owner:
                for b in meta["preTokenBalances"] + meta["postTokenBalances"]:
                    if b["accountIndex"] == 3:
                        b["owner"] = source_owner
            for b in meta["postTokenBalances"]:
                if b["accountIndex"] == 2:
                    b["uiTokenAmount"]["amount"] = str(pre + amount)
            if pre:
                entry = copy.deepcopy([b for b in meta["postTokenBalances"] if b["accountIndex"] == 2][0])
                entry["uiTokenAmount"]["amount"] = str(pre)
                meta["preTokenBalances"].append(entry)
            for ins in tx["transaction"]["message"]["instructions"]:
                if ins.get("program") == "spl-token":
                    ins["parsed"]["info"]["tokenAmount"]["amount"] = str(amount)
                if ins.get("program") == "spl-memo":
                    ins["parsed"] = memo or ""
            if lost_pre is not None:
                # Not created here: without the create instruction and its inner instructions.
                tx["transaction"]["message"]["instructions"] = [
                    ins for ins in tx["transaction"]["message"]["instructions"]
                    if ins.get("program") != "spl-associated-token-account"]
                meta["innerInstructions"] = []
                for b in meta["postTokenBalances"]:
                    if b["accountIndex"] == 2:
                        b["uiTokenAmount"]["amount"] = str(lost_pre + amount)
            if failed:
                meta["err"] = {"InstructionError": [0, {"Custom": 1}]}
                meta["status"] = {"Err": meta["err"]}
            entry = {"signature": signature, "slot": self.slot, "err": meta["err"], "memo": None,
                     "blockTime": tx["blockTime"], "confirmationStatus": "finalized"}
            self.solana.append((entry, tx))
            return entry

    def solana_add_recorded(self):
        """The real recorded mainnet transfer, verbatim: its getSignaturesForAddress entry
        (solana-getSignaturesForAddress-memo.json) and its getTransaction answer
        (solana-getTransaction-jsonParsed-token.json): 1000 units of USDC into
        H51DXRt3ubThhdhNeDMScfkbC5X4AWzYfHaZS3JKEfPh, the associated token account of
        3i476kTBBTy7pBGx4CXwJpJ6phuwLQgcwLTdHhU3c7ui, created in that transaction (slot
        184930610, far below this fake's own slots: use it on an account nothing else pays)."""
        entry = fixture("solana-getSignaturesForAddress-memo.json")["result"][0]
        tx = fixture("solana-getTransaction-jsonParsed-token.json")["result"]
        with self.lock:
            self._sol.accounts.setdefault(_SOL_DEST, (_SOL_OWNER, _SOL_MINT))
            self.solana.append((entry, tx))
        return entry

    # ----- serving -------------------------------------------------------------------------

    def _handle(self, handler, body):
        url = urlparse(handler.path)
        query = {k: v[-1] for k, v in parse_qs(url.query).items()}
        rpc = None
        if body is not None:
            try:
                rpc = json.loads(body)
            except ValueError:
                return self._send(handler, 400, {"error": "bad json"})
        with self.lock:
            for header in ("TRON-PRO-API-KEY", "X-API-Key"):
                if handler.headers.get(header):
                    self.api_keys_seen.add(handler.headers.get(header))
            ton_get_method = url.path == "/api/v3/runGetMethod"
            tron_node = url.path.endswith("/gettransactioninfobyid")
            what = _rpc_method(rpc) if rpc and not ton_get_method and not tron_node else url.path
            page = self._page_of(url.path, query, rpc)
            self.requests.append((what, page))
            self.agents.append((time.monotonic(), handler.headers.get("User-Agent", "")))
            if tron_node or "/transactions/trc20" in url.path:
                failure = self._tron_request(handler, url.path, tron_node)
                if failure:
                    return self._send_raw(handler, failure[0], failure[1].encode(), failure[2])
            if self._failures:
                status, text = self._failures.pop(0)
                self.errors_served += 1
                return self._send_raw(handler, status, text.encode())
            if self._hold_from is not None and page is not None and page >= self._hold_from:
                self.held += 1
                self.lock.notify_all()
                while self._hold_from is not None:
                    self.lock.wait()
            if ton_get_method:
                return self._send(handler, *self._ton_get_method(rpc))
            if tron_node:
                return self._send(handler, 200, self._tron_info(rpc))
            if rpc:
                return self._solana_reply(handler, rpc)
            if "/transactions/trc20" in url.path:
                return self._send(handler, 200, self._tron(url.path, query))
            if url.path == "/api/v3/jetton/transfers":
                return self._send(handler, 200, self._ton(query))
        return self._send(handler, 404, {"error": "no such path"})

    def agents_since(self, t):
        with self.lock:
            return {agent for when, agent in self.agents if when >= t}

    def wait_held(self, timeout=20):
        with self.lock:
            return self.lock.wait_for(lambda: self.held > 0, timeout)

    def _page_of(self, path, query, rpc):
        if "/transactions/trc20" in path:
            return int(base64.b64decode(query["fingerprint"]).decode()) // int(query["limit"]) \
                if "fingerprint" in query else 0
        if path == "/api/v3/jetton/transfers":
            return int(query.get("offset", 0)) // max(1, int(query.get("limit", 1)))
        # A Solana listing page: alone, or batched with getSlot (not the proof batch).
        calls = rpc if isinstance(rpc, list) else [rpc]
        methods = [c.get("method") for c in calls if isinstance(c, dict)]
        if "getSignaturesForAddress" in methods and (isinstance(rpc, dict) or "getSlot" in methods):
            listing = calls[methods.index("getSignaturesForAddress")]
            return 1 if listing["params"][1].get("before") else 0
        return None

    def _tron_request(self, handler, path, tron_node):
        """Notes a Tron request; the failure to answer it with, if one is queued."""
        self.tron_hosts.append((time.monotonic(), handler.headers.get("Host", ""), path))
        if tron_node:
            self.tron_node_keys.append(handler.headers.get("TRON-PRO-API-KEY"))
        if self._tron_failures and self._tron_failures[0][3] == tron_node:
            self.errors_served += 1
            self.tron_failed_hosts.append(handler.headers.get("Host", "").split(":")[0])
            return self._tron_failures.pop(0)
        return None

    def _tron_info(self, request):
        """java-tron's gettransactioninfobyid: {} for a transaction it does not know."""
        tx_id = str((request or {}).get("value", ""))
        records = [r for r in self.tron if r["transaction_id"] == tx_id]
        if not records or tx_id in self.tron_not_on_node:
            return {}
        first = records[0]
        result = self.tron_receipts.get(tx_id, "SUCCESS")
        info = {"id": tx_id, "fee": 13844850, "blockNumber": 60_000_000,
                "blockTimeStamp": first["block_timestamp"], "contractResult": [""],
                "contract_address": "41" + _tron_hex(first["token_info"]["address"]),
                "receipt": {"energy_fee": 13844850, "energy_usage_total": 65000,
                            "net_usage": 345, "result": result}}
        if result != "SUCCESS":
            info["result"] = "FAILED"
            info["resMessage"] = "REVERT opcode executed".encode().hex()
            return info
        info["log"] = [{"address": _tron_hex(r["token_info"]["address"]),
                        "topics": [_TRANSFER_TOPIC, "0" * 24 + _tron_hex(r["from"]),
                                   "0" * 24 + _tron_hex(r["to"])],
                        "data": "%064x" % int(r["value"])}
                       for r in records if not r.get("_unconfirmed")
                       and not r.get("_listed_only") and r.get("type") == "Transfer"]
        return info

    def _tron(self, path, query):
        address = path.split("/")[3]
        rows = [{k: v for k, v in r.items() if k != "_listed_only"} for r in self.tron
                if r["to"] == address or query.get("only_to") != "true"]
        rows = [r for r in rows if r["block_timestamp"] >= int(query.get("min_timestamp", 0))]
        rows.sort(key=lambda r: r["block_timestamp"], reverse=query.get("order_by", "").endswith("desc"))
        start = int(base64.b64decode(query["fingerprint"]).decode()) if "fingerprint" in query else 0
        size = int(query.get("limit", 20))
        data = rows[start:start + size]
        meta = {"at": self.ts_ms, "page_size": len(data)}
        # Like TronGrid (tests/fixtures/chains/tron-account-transactions-empty-page.json), a full
        # page gets a fingerprint even when nothing follows, and the empty page after it too.
        if len(data) == size or not data:
            meta["fingerprint"] = base64.b64encode(str(start + size).encode()).decode()
            meta["links"] = {"next": "https://api.trongrid.io" + path + "?fingerprint=" + meta["fingerprint"]}
        return {"success": True, "meta": meta, "data": data}

    def _ton_get_method(self, request):
        # toncenter v3 answers a get-method with gas_used, exit_code and a stack of
        # {"type", "value"} entries, numbers as "0x..." without leading zeros. An account with
        # no code (not deployed) fails with exit code -13, an unknown method with 11.
        if not isinstance(request, dict) or not request.get("address") or not request.get("method"):
            return 422, {"error": "address and method are required"}
        if request["method"] == "get_wallet_address":
            # A jetton master: the wallet it derives for the owner in the slice argument.
            try:
                owner = _ton_address_of_boc(request["stack"][0]["value"])
            except (KeyError, IndexError, TypeError, ValueError):
                return 200, {"gas_used": 0, "exit_code": 7, "stack": []}
            wallet = self._ton_wallet_of(str(request["address"]), owner)
            with self.lock:
                if self.ton_wallet_lies > 0:
                    self.ton_wallet_lies -= 1
                    wallet = "0:" + "ee" * 32
            return 200, {"gas_used": 2874, "exit_code": 0,
                         "stack": [{"type": "cell", "value": _ton_address_boc(wallet)}]}
        key = self.ton_public_keys.get(str(request["address"]).lower())
        if key is None:
            return 200, {"gas_used": 0, "exit_code": -13, "stack": []}
        if request["method"] != "get_public_key":
            return 200, {"gas_used": 0, "exit_code": 11, "stack": []}
        return 200, {"gas_used": 589, "exit_code": 0,
                     "stack": [{"type": "num", "value": hex(int(key, 16))}]}

    def _ton(self, query):
        owner = query.get("owner_address", "").upper()
        rows = [r for r in self.ton if r["destination"] == owner]
        rows = [r for r in rows if int(r["transaction_lt"]) >= int(query.get("start_lt", 0))]
        # Like an index sorting by lt alone: equal lts come in no particular order.
        tie = (lambda r: random.random()) if self.ton_shuffle_ties else (lambda r: 0)
        rows.sort(key=lambda r: (int(r["transaction_lt"]), tie(r)),
                  reverse=query.get("sort") == "desc")
        offset = int(query.get("offset", 0))
        limit = int(query.get("limit", 10))
        return {"jetton_transfers": rows[offset:offset + limit], "address_book": {}}

    # ----- Solana: nodes that fail like real ones ---------------------------------------------

    @property
    def _sol(self):
        """This server's Solana node state (kept apart from the other chains' fields)."""
        if "_sol_state" not in self.__dict__:
            self.__dict__["_sol_state"] = _SolanaNode()
        return self.__dict__["_sol_state"]

    def solana_node(self):
        """Another node of this Solana chain: its own server, faults and history cut-off, the
        same transactions and token accounts. Stop it with stop()."""
        node = FakeChain()
        node._sol.source = self
        return node.start()

    def solana_history_from(self, slot):
        """This node's history starts at `slot` (a short ledger): it lists no signature below it,
        answers getTransaction of one with null and getFirstAvailableBlock with `slot`."""
        with self.lock:
            self._sol.history_start = slot

    def solana_fault(self, method, n, kind, retry_after=1, account=None):
        """The next `n` requests calling `method` fail like real nodes: kind "null" (getTransaction
        answers null: the node has not got it yet), "min_context_slot" (JSON-RPC error -32016),
        "rate_limit" (HTTP 429 with Retry-After: `retry_after` seconds), "other_transaction" or
        "other_slot" (getTransaction answers another transaction, or this one at another slot),
        "foreign_account" or "other_mint_account" (getTokenAccountsByOwner also lists `account`,
        owned by someone else, or of another mint), "bad_signature_entry" or "future_slot_entry"
        (getSignaturesForAddress lists, newest, a failed entry whose signature is "a:b|c", or
        one at slot 10^15), "foreign_owner" (getAccountInfo names someone else as the owner)."""
        with self.lock:
            self._sol.faults.extend([(method, kind, retry_after, account)] * n)

    def solana_faults_served(self, kind):
        with self.lock:
            return self._sol.served.get(kind, 0)

    def solana_token_account(self, pubkey, owner, mint):
        """A token account `owner` holds for `mint`, as getTokenAccountsByOwner and getAccountInfo
        show it."""
        with self.lock:
            self._sol.accounts[pubkey] = (owner, mint)

    @property
    def solana_slot(self):
        return self._solana_source().slot

    def _solana_source(self):
        return self._sol.source or self

    def _solana_reply(self, handler, rpc):
        calls = rpc if isinstance(rpc, list) else [rpc]
        methods = {c.get("method") for c in calls if isinstance(c, dict)}
        fault = next((f for f in self._sol.faults if f[0] in methods), None)
        if fault:
            self._sol.faults.remove(fault)
            self._sol.served[fault[1]] = self._sol.served.get(fault[1], 0) + 1
            if fault[1] == "rate_limit":
                # As Solana RPC providers answer: 429, a JSON-RPC error body, Retry-After.
                body = {"jsonrpc": "2.0", "id": calls[0].get("id"),
                        "error": {"code": 429, "message": "Too many requests for a specific RPC call"}}
                return self._solana_send(handler, 429, body, {"Retry-After": str(fault[2])})
        answers = [self._solana_answer(c, fault) for c in calls]
        return self._solana_send(handler, 200, answers if isinstance(rpc, list) else answers[0])

    def _solana_answer(self, call, fault):
        if fault and fault[0] == call.get("method"):
            if fault[1] == "min_context_slot":
                return {"jsonrpc": "2.0", "id": call.get("id"),
                        "error": {"code": -32016, "message": "Minimum context slot has not been reached",
                                  "data": {"contextSlot": self._solana_source().slot}}}
            if fault[1] == "null":
                return {"jsonrpc": "2.0", "id": call.get("id"), "result": None}
            if fault[1] == "foreign_owner":
                # A lying node: the account is someone else's.
                result = self._solana(call)
                if result["value"]:
                    result["value"]["data"]["parsed"]["info"]["owner"] = _SOL_AUTHORITY
                return {"jsonrpc": "2.0", "id": call.get("id"), "result": result}
            if fault[1] in ("bad_signature_entry", "future_slot_entry"):
                # A hostile listing: a failed entry (never fetched) newest, whose signature would
                # break the cursor's separators, or at a slot far above the finalized one.
                bad = fault[1] == "bad_signature_entry"
                entry = {"signature": "a:b|c" if bad else b58encode(os.urandom(64)),
                         "slot": self._solana_source().slot if bad else 10**15,
                         "err": {"InstructionError": [0, {"Custom": 1}]}, "memo": None,
                         "blockTime": None, "confirmationStatus": "finalized"}
                listed = [entry] + self._solana(call)
                limit = call["params"][1].get("limit", 1000)
                return {"jsonrpc": "2.0", "id": call.get("id"), "result": listed[:limit]}
            if fault[1] in ("foreign_account", "other_mint_account"):
                result = self._solana(call)
                owner, mint = call["params"][0], call["params"][1].get("mint")
                if fault[1] == "foreign_account":
                    owner = _SOL_AUTHORITY
                else:
                    mint = _SOL_MINT
                result["value"].append({"pubkey": fault[3],
                                        "account": _solana_token_account_info(owner, mint)})
                return {"jsonrpc": "2.0", "id": call.get("id"), "result": result}
            if fault[1] in ("other_transaction", "other_slot"):
                # A lying node: another transaction (twice the amount) for the one asked for, or
                # the one asked for at another slot.
                tx = copy.deepcopy(self._solana(call))
                if tx and fault[1] == "other_slot":
                    tx["slot"] += 1
                elif tx:
                    tx["transaction"]["signatures"] = [b58encode(os.urandom(64))]
                    for b in tx["meta"]["postTokenBalances"]:
                        if b["accountIndex"] == 2:
                            b["uiTokenAmount"]["amount"] = str(2 * int(b["uiTokenAmount"]["amount"]))
                return {"jsonrpc": "2.0", "id": call.get("id"), "result": tx}
        return {"jsonrpc": "2.0", "id": call.get("id"), "result": self._solana(call)}

    def _solana_send(self, handler, status, obj, headers=()):
        data = json.dumps(obj).encode()
        try:
            handler.send_response(status)
            handler.send_header("Content-Type", "application/json")
            for name in headers:
                handler.send_header(name, headers[name])
            handler.send_header("Content-Length", str(len(data)))
            handler.end_headers()
            handler.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            pass

    def _solana(self, rpc):
        src = self._solana_source()
        with src.lock:  # re-entrant: a node serving its own chain holds it already
            held = [(e, tx) for e, tx in src.solana if e["slot"] >= self._sol.history_start]
            slot = src.slot
            accounts = dict(src._sol.accounts)
        method, params = rpc["method"], rpc.get("params", [])
        if method == "getSlot":
            return slot + 40
        if method == "getFirstAvailableBlock":
            return self._sol.history_start
        if method == "getSignaturesForAddress":
            account, options = params[0], params[1]
            # Newest first, like the RPC.
            listed = [e for e, tx in reversed(held)
                      if account in [k["pubkey"] for k in tx["transaction"]["message"]["accountKeys"]]]
            if options.get("before"):
                sigs = [e["signature"] for e in listed]
                listed = listed[sigs.index(options["before"]) + 1:] if options["before"] in sigs else []
            if options.get("until"):
                sigs = [e["signature"] for e in listed]
                if options["until"] in sigs:
                    listed = listed[:sigs.index(options["until"])]
            return listed[:options.get("limit", 1000)]
        if method == "getTransaction":
            for e, tx in held:
                if e["signature"] == params[0]:
                    return tx
            return None
        if method == "getSignatureStatuses":
            found = {e["signature"]: e for e, _ in held}
            return {"context": {"slot": slot},
                    "value": [{"slot": found[s]["slot"], "confirmations": None, "err": None,
                               "confirmationStatus": "finalized"} if s in found else None
                              for s in params[0]]}
        if method == "getTokenAccountsByOwner":
            owner, mint = params[0], params[1].get("mint")
            return {"context": {"slot": slot},
                    "value": [{"pubkey": k, "account": _solana_token_account_info(o, m)}
                              for k, (o, m) in accounts.items() if o == owner and m == mint]}
        if method == "getAccountInfo":
            known = accounts.get(params[0])
            return {"context": {"slot": slot},
                    "value": _solana_token_account_info(*known) if known else None}
        return None

    def _send(self, handler, status, obj):
        self._send_raw(handler, status, json.dumps(obj).encode())

    @staticmethod
    def _send_raw(handler, status, data, headers=None):
        try:
            handler.send_response(status)
            handler.send_header("Content-Type", "application/json")
            for name, value in (headers or {}).items():
                handler.send_header(name, value)
            handler.send_header("Content-Length", str(len(data)))
            handler.end_headers()
            handler.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client was killed while its request was held


class _SolanaNode:
    """One fake Solana node's own state: where its history starts, its pending faults."""

    def __init__(self):
        self.source = None       # the FakeChain whose transactions this node serves (None: its own)
        self.history_start = 0   # no signature below this slot is known here
        self.faults = []         # (method, kind, retry_after, account) for the next requests
        self.served = {}         # kind -> faults served
        self.accounts = {}       # token account -> (owner, mint)


def _solana_token_account_info(owner, mint):
    """A token account as getAccountInfo / getTokenAccountsByOwner (jsonParsed) show it, shaped
    like the example in Solana's RPC docs (getTokenAccountsByOwner)."""
    return {"data": {"program": "spl-token", "space": 165,
                     "parsed": {"type": "account",
                                "info": {"isNative": False, "mint": mint, "owner": owner,
                                         "state": "initialized",
                                         "tokenAmount": {"amount": "0", "decimals": 6,
                                                         "uiAmount": 0.0, "uiAmountString": "0"}}}},
            "executable": False, "lamports": 2039280,
            "owner": "TokenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5DA",
            "rentEpoch": 18446744073709551615, "space": 165}


def _rpc_method(rpc):
    """A JSON-RPC request's method; a batch's methods joined with '+'."""
    if isinstance(rpc, list):
        return "+".join(str(c.get("method")) for c in rpc if isinstance(c, dict))
    return rpc.get("method")


def _comment_boc(text):
    """A one-cell text comment (opcode 0 + text) as a bag of cells, like wallets send."""
    data = b"\0\0\0\0" + text.encode()
    assert len(data) <= 127
    cell = bytes([0, len(data) * 2]) + data
    header = bytes.fromhex("b5ee9c72") + bytes([0x01, 1, 1, 1, 0, len(cell), 0])
    return base64.b64encode(header + cell).decode()


_TRANSFER_TOPIC = "ddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef"


def _tron_hex(address):
    """The 20-byte account of a T... address, as logs write it."""
    return b58decode(address)[1:21].hex()


def _ton_address_boc(raw):
    """A raw TON address as a one-cell bag of cells holding addr_std (what get_wallet_address
    returns, and what its argument is)."""
    workchain, account = raw.split(":")
    bits = "100" + format(int(workchain) & 0xff, "08b") + "".join(
        format(b, "08b") for b in bytes.fromhex(account))
    n = len(bits)
    bits += "1"
    while len(bits) % 8:
        bits += "0"
    data = bytes(int(bits[i:i + 8], 2) for i in range(0, len(bits), 8))
    cell = bytes([0, n // 8 + (n + 7) // 8]) + data
    return base64.b64encode(bytes.fromhex("b5ee9c72") + bytes([0x01, 1, 1, 1, 0, len(cell), 0])
                            + cell).decode()


def _ton_address_of_boc(text):
    """The address in a one-cell bag of cells as _ton_address_boc makes it."""
    boc = base64.b64decode(text)
    if boc[:4] != bytes.fromhex("b5ee9c72") or boc[4] & 7 != 1 or boc[5] != 1:
        raise ValueError("not a one-byte-ref bag of cells")
    data = boc[13:13 + (boc[12] + 1) // 2]  # header, root index, the descriptors d1 d2
    bits = "".join(format(b, "08b") for b in data)
    if not bits.startswith("100") or len(bits) < 267:
        raise ValueError("no addr_std")
    workchain = int(bits[3:11], 2)
    workchain = workchain - 256 if workchain > 127 else workchain
    return "%d:%s" % (workchain, int(bits[11:267], 2).to_bytes(32, "big").hex())


_TRON_TEMPLATE = next(r for r in fixture("tron-trc20-transfers-blockatlas.json")["data"]
                      if not r.get("_unconfirmed"))
_TON_TEMPLATE = fixture("ton-jetton-transfers.json")["jetton_transfers"][0]
_SOLANA_TEMPLATE = fixture("solana-getTransaction-jsonParsed-token.json")["result"]
_SOL_DEST = "H51DXRt3ubThhdhNeDMScfkbC5X4AWzYfHaZS3JKEfPh"
_SOL_OWNER = "3i476kTBBTy7pBGx4CXwJpJ6phuwLQgcwLTdHhU3c7ui"
_SOL_MINT = "EPjFWdd5AufqSSqeM2qN1xzybapC8G4wEGGkZwyTDt1v"
_SOL_AUTHORITY = "8fusVwhgo4oS1fGpZKeRaXrJXQk9auKnAgcj9A97wR3t"
