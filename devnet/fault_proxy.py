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

  ratelimit  only for requests with eth_getLogs (the call compute-unit budgets refuse
           first): a JSON-RPC rate limit in an HTTP 200 body for every call of the request
           (batches too): {"code":-32005,"message":"daily request count exceeded, request
           rate limited"}, with "Retry-After: 1"
  dropfield  only for eth_getLogs: every log of the real answer loses the field named by
           --drop-field (default transactionHash)

Besides the random faults, modes that shape every answer, like nodes do (0 = off):

  --lag N           a node behind (or behind a load balancer): blocks above the real head - N
                    do not exist: eth_getBlockByNumber answers null, eth_getLogs leaves their
                    logs out, eth_blockNumber tells the real head (--lag-head truthful, the
                    default) or head - N (--lag-head lagging)
  --pruned-below P  a pruned node: no block or log below P
  --max-range K     eth_getLogs over more than K blocks (toBlock - fromBlock + 1) answers
                    {"code":-32000,"message":"exceed maximum block range: K"}

Requests to which no listed kind applies (e.g. only "range" listed, method eth_call)
are forwarded untouched. The draws come from one random.Random(--seed), so a
sequential client sees the same fault sequence on every run.

  GET  /stats   -> the counters as JSON, "logs_ranges": the last 200 eth_getLogs
                   [fromBlock, toBlock] asked (numbers), and "events": the last 1000
                   requests as [monotonic seconds, fault kind or "forwarded"], oldest first
  POST /config  -> body {"fault_rate": 0.0, "faults": ["500"], "lag": 0, "lag_head":
                   "truthful", "pruned_below": 0, "max_range": 0, "drop_field": "data"}
                   (any keys) changes the schedule at run time; answers the new config
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

KINDS = ("500", "429", "timeout", "garbage", "range", "ratelimit", "dropfield")
RANGE_ERROR = {"code": -32005, "message": "query returned more than 10000 results"}
# Infura's text (with its code), as providers send it inside an HTTP 200.
RATE_LIMIT_ERROR = {"code": -32005, "message": "daily request count exceeded, request rate limited"}
MODE_KEYS = ("lag", "lag_head", "pruned_below", "max_range", "drop_field")


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
        self.counts = {"requests": 0, "forwarded": 0, "upstream_errors": 0, "hidden": 0,
                       "range_refused": 0}
        for k in KINDS:
            self.counts[k] = 0
        self.modes = {"lag": 0, "lag_head": "truthful", "pruned_below": 0, "max_range": 0,
                      "drop_field": "transactionHash"}
        self.logs_ranges = []
        self.events = []

    def bump(self, key):
        with self.lock:
            self.counts[key] = self.counts.get(key, 0) + 1

    def snapshot(self):
        with self.lock:
            return dict(self.counts, logs_ranges=list(self.logs_ranges), events=list(self.events))

    def config(self):
        with self.lock:
            return {"upstream": self.upstream, "fault_rate": self.fault_rate,
                    "faults": list(self.faults), "seed": self.seed,
                    "hang_seconds": self.hang_seconds, **self.modes}

    def set_modes(self, cfg):
        """Validates and applies the MODE_KEYS of cfg (call with the lock held)."""
        for key in MODE_KEYS:
            if key not in cfg:
                continue
            value = cfg[key]
            if key == "lag_head":
                if value not in ("truthful", "lagging"):
                    raise ValueError("lag_head must be truthful or lagging")
            elif key == "drop_field":
                value = str(value)
            else:
                value = int(value)
                if value < 0:
                    raise ValueError(key + " must be >= 0")
            self.modes[key] = value

    def note_range(self, first, last):
        with self.lock:
            self.logs_ranges.append([first, last])
            del self.logs_ranges[:-200]

    def draw(self, applicable):
        """Returns (fault kind or None, garbage variant)."""
        with self.lock:
            self.counts["requests"] += 1
            hit = self.rng.random() < self.fault_rate
            kinds = [k for k in self.faults if k in applicable]
            kind = self.rng.choice(kinds) if hit and kinds else None
            self.events.append([round(time.monotonic(), 3), kind or "forwarded"])
            del self.events[:-1000]
            if kind is None:
                return None, 0
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


def quantity(value):
    """A JSON-RPC hex quantity as an int, or None (a tag such as "latest", garbage)."""
    if isinstance(value, str) and value.startswith("0x"):
        try:
            return int(value, 16)
        except ValueError:
            return None
    return None


def logs_range(item):
    """(fromBlock, toBlock) of an eth_getLogs request item, as ints or None."""
    params = item.get("params")
    if not isinstance(params, list) or not params or not isinstance(params[0], dict):
        return None, None
    return quantity(params[0].get("fromBlock")), quantity(params[0].get("toBlock"))


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
            applicable.update({"range", "ratelimit", "dropfield"})
        kind, variant = st.draw(applicable)
        items = parsed if isinstance(parsed, list) else [parsed] if isinstance(parsed, dict) else []
        for item in items:
            if isinstance(item, dict) and item.get("method") == "eth_getLogs":
                first, last = logs_range(item)
                if first is not None and last is not None:
                    st.note_range(first, last)

        if kind == "ratelimit":
            errors = [{"jsonrpc": "2.0", "id": i.get("id") if isinstance(i, dict) else None,
                       "error": RATE_LIMIT_ERROR} for i in items]
            return self.send(200, json.dumps(errors if isinstance(parsed, list) else errors[0]),
                             extra={"Retry-After": "1"})

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

        rbody = self.shape(items, parsed, rbody, drop=(kind == "dropfield"))
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

    def upstream_head(self):
        answer = json.loads(self.forward(json.dumps(
            {"jsonrpc": "2.0", "id": 0, "method": "eth_blockNumber", "params": []}).encode())[1])
        return int(answer["result"], 16)

    def shape(self, items, parsed, rbody, drop):
        """Applies the modes (lag, pruned_below, max_range) and a dropfield fault to the real
        answer `rbody` of the request `items`; returns the body to send."""
        st = self.state
        with st.lock:
            modes = dict(st.modes)
        if not (drop or modes["lag"] or modes["pruned_below"] or modes["max_range"]):
            return rbody
        try:
            answers = json.loads(rbody)
            single = not isinstance(answers, list)
            by_id = {json.dumps(a.get("id")): a for a in ([answers] if single else answers)
                     if isinstance(a, dict)}
            limit = self.upstream_head() - modes["lag"] if modes["lag"] else None
            floor = modes["pruned_below"]
            for item in items:
                if not isinstance(item, dict):
                    continue
                a = by_id.get(json.dumps(item.get("id")))
                if a is None or "result" not in a:
                    continue
                method, params = item.get("method"), item.get("params") or []
                if method == "eth_blockNumber" and limit is not None and modes["lag_head"] == "lagging":
                    a["result"] = hex(max(0, limit))
                elif method == "eth_getBlockByNumber" and params:
                    n = quantity(params[0])
                    if n is not None and ((limit is not None and n > limit) or n < floor):
                        a["result"] = None
                        st.bump("hidden")
                elif method == "eth_getLogs" and isinstance(a["result"], list):
                    first, last = logs_range(item)
                    if modes["max_range"] and first is not None and last is not None \
                            and last - first + 1 > modes["max_range"]:
                        a.pop("result")
                        a["error"] = {"code": -32000, "message": "exceed maximum block range: %d"
                                      % modes["max_range"]}
                        st.bump("range_refused")
                        continue
                    kept = []
                    for log in a["result"]:
                        n = quantity(log.get("blockNumber")) if isinstance(log, dict) else None
                        if n is not None and ((limit is not None and n > limit) or n < floor):
                            st.bump("hidden")
                            continue
                        if drop and isinstance(log, dict):
                            log.pop(modes["drop_field"], None)
                        kept.append(log)
                    a["result"] = kept
            return json.dumps(answers).encode()
        except (ValueError, KeyError, TypeError, AttributeError, OSError):
            return rbody

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
                st.set_modes(cfg)
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
    ap.add_argument("--lag", type=int, default=0, help="hide blocks above head - N (0 = off)")
    ap.add_argument("--lag-head", default="truthful", choices=("truthful", "lagging"))
    ap.add_argument("--pruned-below", type=int, default=0, help="no blocks or logs below P")
    ap.add_argument("--max-range", type=int, default=0, help="refuse getLogs over > K blocks")
    ap.add_argument("--drop-field", default="transactionHash", help="what 'dropfield' removes")
    a = ap.parse_args()
    if not 0.0 <= a.fault_rate <= 1.0:
        ap.error("--fault-rate must be in [0, 1]")
    try:
        faults = parse_faults(a.faults)
    except ValueError as e:
        ap.error(str(e))

    Handler.state = State(a.upstream, a.fault_rate, faults, a.seed, a.hang_seconds, a.upstream_timeout)
    try:
        Handler.state.set_modes({"lag": a.lag, "lag_head": a.lag_head, "pruned_below": a.pruned_below,
                                 "max_range": a.max_range, "drop_field": a.drop_field})
    except ValueError as e:
        ap.error(str(e))
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
