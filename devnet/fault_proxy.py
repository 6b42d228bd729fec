#!/usr/bin/env python3
"""JSON-RPC fault-injecting HTTP proxy for devnet tests (Python 3 stdlib only).

    python3 devnet/fault_proxy.py --upstream http://127.0.0.1:8545 --port 8546 \\
        --fault-rate 0.3 --seed 7 --faults 500,429,timeout,garbage,range

Every POST is forwarded to --upstream, except that with probability --fault-rate it
gets one fault drawn uniformly from the --faults kinds that apply to it:

  500      HTTP 500 with a plain-text body
  429      HTTP 429 with "Retry-After: 1"
  timeout  no answer: the connection hangs --hang-seconds (15) and is then closed
  garbage  HTTP 200 whose body is not JSON, or is the real answer cut in half
  range    only for eth_getLogs (also inside batches): JSON-RPC error
           {"code":-32005,"message":"query returned more than 10000 results"}

Requests to which no listed kind applies (e.g. only "range" listed, method eth_call)
are forwarded untouched. The draws come from one random.Random(--seed), so a
sequential client sees the same fault sequence on every run.

  GET  /stats   -> the counters as JSON
  POST /config  -> body {"fault_rate": 0.0, "faults": ["500"]} (either key) changes
                   the schedule at run time; answers the new config
  GET  /config  -> the current config

On start one JSON line {"listening": URL, ...} goes to stdout; on SIGTERM/SIGINT the
counters go to stderr as one JSON line and the proxy exits 0.
"""

import argparse
import json
import random
import signal
import sys
import threading
import time
import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

KINDS = ("500", "429", "timeout", "garbage", "range")
RANGE_ERROR = {"code": -32005, "message": "query returned more than 10000 results"}


class State:
    def __init__(self, upstream, fault_rate, faults, seed, hang_seconds, upstream_timeout):
        self.lock = threading.Lock()
        self.upstream = upstream
        self.fault_rate = fault_rate
        self.faults = list(faults)
        self.rng = random.Random(seed)
        self.seed = seed
        self.hang_seconds = hang_seconds
        self.upstream_timeout = upstream_timeout
        self.counts = {"requests": 0, "forwarded": 0, "upstream_errors": 0}
        for k in KINDS:
            self.counts[k] = 0

    def bump(self, key):
        with self.lock:
            self.counts[key] = self.counts.get(key, 0) + 1

    def snapshot(self):
        with self.lock:
            return dict(self.counts)

    def config(self):
        with self.lock:
            return {"upstream": self.upstream, "fault_rate": self.fault_rate,
                    "faults": list(self.faults), "seed": self.seed,
                    "hang_seconds": self.hang_seconds}

    def draw(self, applicable):
        """Returns (fault kind or None, garbage variant)."""
        with self.lock:
            self.counts["requests"] += 1
            hit = self.rng.random() < self.fault_rate
            kinds = [k for k in self.faults if k in applicable]
            if not hit or not kinds:
                return None, 0
            kind = self.rng.choice(kinds)
            self.counts[kind] += 1
            return kind, self.rng.randrange(2)


def parse_faults(text):
    faults = [f.strip() for f in text.split(",") if f.strip()]
    for f in faults:
        if f not in KINDS:
            raise ValueError("unknown fault kind %r (known: %s)" % (f, ",".join(KINDS)))
    return faults


def methods_of(body):
    """JSON-RPC method names in a request body (single or batch); [] if unparsable."""
    try:
        req = json.loads(body)
    except ValueError:
        return [], None
    items = req if isinstance(req, list) else [req]
    return [i.get("method") for i in items if isinstance(i, dict)], req


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, like real RPC providers
    server_version = "fault-proxy/1"
    state = None  # set in main()

    def log_message(self, fmt, *args):  # quiet: no per-request lines
        pass

    def send(self, status, body, content_type="application/json", extra=None):
        if isinstance(body, str):
            body = body.encode()
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for k, v in (extra or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        path = self.path.split("?", 1)[0]
        if path == "/stats":
            self.send(200, json.dumps(self.state.snapshot()))
        elif path == "/config":
            self.send(200, json.dumps(self.state.config()))
        else:
            self.send(404, json.dumps({"error": "not found; POST JSON-RPC to /"}))

    def read_body(self):
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n > 0 else b""

    def forward(self, body):
        st = self.state
        req = urllib.request.Request(st.upstream, data=body, method="POST",
                                     headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(req, timeout=st.upstream_timeout) as r:
                return r.status, r.read(), r.headers.get("Content-Type", "application/json")
        except urllib.error.HTTPError as e:
            return e.code, e.read(), e.headers.get("Content-Type", "text/plain")

    def do_POST(self):
        st = self.state
        body = self.read_body()
        if self.path.split("?", 1)[0] == "/config":
            return self.post_config(body)

        methods, parsed = methods_of(body)
        applicable = {"500", "429", "timeout", "garbage"}
        if "eth_getLogs" in methods:
            applicable.add("range")
        kind, variant = st.draw(applicable)

        if kind == "500":
            return self.send(500, "internal server error (injected)\n", "text/plain")
        if kind == "429":
            return self.send(429, "too many requests (injected)\n", "text/plain", {"Retry-After": "1"})
        if kind == "timeout":
            time.sleep(st.hang_seconds)
            self.close_connection = True  # close without any response
            return
        if kind == "range" and not isinstance(parsed, list):
            err = {"jsonrpc": "2.0", "id": parsed.get("id"), "error": RANGE_ERROR}
            return self.send(200, json.dumps(err))

        try:
            status, rbody, ctype = self.forward(body)
        except Exception as e:  # upstream down, timeout, reset
            st.bump("upstream_errors")
            return self.send(502, "upstream error: %s\n" % e, "text/plain")
        st.bump("forwarded")

        if kind == "range":  # batch: replace the eth_getLogs answers only
            try:
                answers = json.loads(rbody)
                log_ids = {json.dumps(i.get("id")) for i in parsed
                           if isinstance(i, dict) and i.get("method") == "eth_getLogs"}
                for a in answers:
                    if json.dumps(a.get("id")) in log_ids:
                        a.pop("result", None)
                        a["error"] = RANGE_ERROR
                rbody = json.dumps(answers).encode()
            except (ValueError, AttributeError, TypeError):
                pass
        elif kind == "garbage":
            if variant == 0:
                rbody = b"<html><body>502 Bad Gateway (injected garbage)</body></html>"
                ctype = "text/html"
            else:
                rbody = rbody[: max(1, len(rbody) // 2)]  # truncated JSON, honest Content-Length
            status = 200
        self.send(status, rbody, ctype)

    def post_config(self, body):
        st = self.state
        try:
            cfg = json.loads(body or b"{}")
            with st.lock:
                if "fault_rate" in cfg:
                    rate = float(cfg["fault_rate"])
                    if not 0.0 <= rate <= 1.0:
                        raise ValueError("fault_rate must be in [0, 1]")
                    st.fault_rate = rate
                if "faults" in cfg:
                    f = cfg["faults"]
                    st.faults = parse_faults(",".join(f) if isinstance(f, list) else str(f))
        except (ValueError, TypeError) as e:
            return self.send(400, json.dumps({"error": str(e)}))
        self.send(200, json.dumps(st.config()))


class Server(ThreadingHTTPServer):
    daemon_threads = True  # hanging 'timeout' threads must not block shutdown
    allow_reuse_address = True

    def handle_error(self, request, client_address):
        # Clients that give up (their own timeout) are expected here; stay quiet about them.
        if isinstance(sys.exc_info()[1], (ConnectionError, TimeoutError)):
            return
        super().handle_error(request, client_address)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--upstream", required=True, help="upstream JSON-RPC URL")
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, required=True, help="listen port (0 = any free port)")
    ap.add_argument("--fault-rate", type=float, default=0.0, help="probability in [0,1] (default 0)")
    ap.add_argument("--seed", type=int, default=None, help="RNG seed for a repeatable schedule")
    ap.add_argument("--faults", default="500,429,timeout,garbage,range",
                    help="comma list of: " + ",".join(KINDS))
    ap.add_argument("--hang-seconds", type=float, default=15.0, help="how long 'timeout' hangs")
    ap.add_argument("--upstream-timeout", type=float, default=30.0)
    a = ap.parse_args()
    if not 0.0 <= a.fault_rate <= 1.0:
        ap.error("--fault-rate must be in [0, 1]")
    try:
        faults = parse_faults(a.faults)
    except ValueError as e:
        ap.error(str(e))

    Handler.state = State(a.upstream, a.fault_rate, faults, a.seed, a.hang_seconds, a.upstream_timeout)
    httpd = Server((a.host, a.port), Handler)
    port = httpd.server_address[1]

    def stop(signum, _frame):
        sys.stderr.write(json.dumps(Handler.state.snapshot()) + "\n")
        sys.stderr.flush()
        # shutdown() blocks until serve_forever returns: call it from another thread.
        threading.Thread(target=httpd.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    print(json.dumps({"listening": "http://%s:%d" % (a.host, port), "port": port, **Handler.state.config()}),
          flush=True)
    httpd.serve_forever()
    httpd.server_close()


if __name__ == "__main__":
    main()
