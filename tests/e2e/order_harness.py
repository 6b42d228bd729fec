"""Helpers for the order tests: a product with stock, a funded key, order calls, SQL checks, and a
webhook receiver on loopback that can fail its first N requests."""

import hashlib
import hmac
import http.server
import json
import socket
import subprocess
import threading
import time

import harness

FINAL = ("completed", "partial", "failed", "expired", "cancelled")


def psql(sql, url=None):
    """Runs one query with psql against the test database; returns the rows as lists of text."""
    url, env = harness.psql_target(url or harness.database_url())
    p = subprocess.run(["psql", "-X", "-At", "-F", "\t", "-v", "ON_ERROR_STOP=1",
                        "-d", url, "-c", sql],
                       capture_output=True, text=True, timeout=60, env=env)
    if p.returncode != 0:
        raise AssertionError(f"psql failed: {p.stderr}\n{sql}")
    return [line.split("\t") for line in p.stdout.splitlines() if line]


def make_product(daemon, tag, price="1.0", min_quantity=1, stock=0):
    pid = harness.unique_ids(1)[0]
    daemon.import_catalog([{"id": pid, "sku": f"E2E-{harness.RUN_ID}-{tag}-{pid}",
                            "name": f"order test {tag}", "category": f"e2e-orders-{harness.RUN_ID}",
                            "price_usdt": price, "min_quantity": min_quantity}])
    items = harness.stock_items(f"{harness.RUN_ID}-{tag}-{pid}", stock)
    if stock:
        daemon.import_stock(pid, items)
    return pid, items


def funded_key(daemon, tag, amount, hmac_secret=False):
    created = daemon.create_key(harness.label("orders", tag), hmac=hmac_secret)
    if amount and amount != "0":
        daemon.credit(created["key_id"], amount, reason="order test funds")
    return created


def order_body(product_id, quantity, **extra):
    body = {"product_id": product_id, "quantity": quantity, "payment_method": "balance"}
    body.update(extra)
    return json.dumps(body)


def place(daemon, key, product_id, quantity, headers=None, **extra):
    h = {"Content-Type": "application/json"}
    h.update(headers or {})
    return daemon.post("/orders", key=key, data=order_body(product_id, quantity, **extra), headers=h)


def wait_final(daemon, key, order_id, timeout=20.0, refunded=None):
    deadline = time.monotonic() + timeout
    while True:
        r = daemon.get(f"/orders/{order_id}", key=key)
        body = r.json()
        if r.status_code == 200 and body["status"] in FINAL and \
                (refunded is None or body["refunded"] == refunded):
            return body
        if time.monotonic() > deadline:
            raise AssertionError(f"order {order_id} not final within {timeout} s: {body}\n"
                                 + daemon.log_tail())
        time.sleep(0.05)


def ledger_checks(testcase, key_id):
    """Every ledger transaction balances, and the key's balance is the sum of its postings and
    not negative."""
    unbalanced = psql("SELECT count(*) FROM (SELECT transaction_id FROM ledger_postings "
                      "GROUP BY transaction_id HAVING sum(amount) <> 0) t")
    testcase.assertEqual(unbalanced, [["0"]])
    row = psql(f"""SELECT a.balance, coalesce((SELECT sum(amount) FROM ledger_postings p
                   WHERE p.account_id = a.id), 0) FROM ledger_accounts a WHERE a.key_id = {key_id}""")
    testcase.assertEqual(row[0][0], row[0][1], "balance differs from the sum of postings")
    testcase.assertGreaterEqual(int(row[0][0]), 0)
    return int(row[0][0])


class WebhookReceiver:
    """A loopback HTTP server recording every POST; answers 500 to the first `fail_first`
    requests (or always when fail_first is None... see fail_always), then 200."""

    def __init__(self, fail_first=0, fail_always=False):
        self.fail_first = fail_first
        self.fail_always = fail_always
        self.requests = []  # (headers dict, body bytes, status answered)
        self.lock = threading.Lock()
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(length)
                with receiver.lock:
                    n = len(receiver.requests)
                    status = 500 if receiver.fail_always or n < receiver.fail_first else 200
                    receiver.requests.append(({k.lower(): v for k, v in self.headers.items()},
                                              body, status))
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        class CountingServer(http.server.ThreadingHTTPServer):
            def verify_request(self, request, client_address):
                with receiver.lock:
                    receiver.accepted += 1  # every TCP connection, even one never sent a request
                return True

        self.accepted = 0
        self.server = CountingServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"

    def stop(self):
        self.server.shutdown()
        self.server.server_close()

    def delivered(self):
        with self.lock:
            return [(h, b) for h, b, s in self.requests if s == 200]

    def all(self):
        with self.lock:
            return list(self.requests)

    def connections(self):
        with self.lock:
            return self.accepted


def name_resolving_to_loopback():
    """A host name other than localhost that resolves to 127.x only (from /etc/hosts or the
    machine's own name), or None."""
    candidates = [socket.gethostname()]
    try:
        with open("/etc/hosts") as hosts:
            for line in hosts:
                words = line.split("#")[0].split()
                if len(words) > 1 and words[0].startswith("127."):
                    candidates += words[1:]
    except OSError:
        pass
    for name in candidates:
        lower = name.lower().rstrip(".")
        if not lower or lower == "localhost" or lower.endswith(".localhost"):
            continue
        try:
            addresses = {a[4][0] for a in socket.getaddrinfo(name, None, type=socket.SOCK_STREAM)}
        except OSError:
            continue
        if addresses and all(a.startswith("127.") for a in addresses):
            return name
    return None


def webhook_signatures(headers):
    """The v1 signatures of an X-Webhook-Signature value ("v1=hex,v1=hex")."""
    out = []
    for part in headers.get("x-webhook-signature", "").split(","):
        scheme, _, value = part.strip().partition("=")
        if scheme == "v1":
            out.append(value)
    return out


def verify_signature(secret, headers, body):
    """As docs/api.md tells a receiver: any v1 signature made with `secret` is good."""
    message = f"{headers['x-webhook-id']}.{headers['x-webhook-timestamp']}.".encode() + body
    expected = hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()
    return any(hmac.compare_digest(expected, s) for s in webhook_signatures(headers))
