"""HTTP/1.x on the wire, over raw sockets: pipelined requests answered in order, HTTP/1.0 with
and without keep-alive, a request that arrives in pieces, idle keep-alive connections closed
after api.idle_timeout_ms, and each response framed by Content-Length."""

import os
import socket
import subprocess
import time

import harness
from harness import DaemonTestCase


def read_responses(sock, count, timeout=5.0):
    """Reads `count` Content-Length framed responses; returns them as (head, body) pairs."""
    sock.settimeout(timeout)
    buf = b""
    out = []
    while len(out) < count:
        head, sep, rest = buf.partition(b"\r\n\r\n")
        if sep:
            length = 0
            for line in head.split(b"\r\n")[1:]:
                name, _, value = line.partition(b":")
                if name.strip().lower() == b"content-length":
                    length = int(value.strip())
            if len(rest) >= length:
                out.append((head.decode(), rest[:length]))
                buf = rest[length:]
                continue
        chunk = sock.recv(65536)
        if not chunk:
            raise AssertionError(f"connection closed after {len(out)} responses")
        buf += chunk
    return out


class HttpWireTest(DaemonTestCase):
    MODULE = "wire"
    CONFIG = {"api": {"idle_timeout_ms": 400}}

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.key = cls.daemon.create_key(harness.label(cls.MODULE))["api_key"]

    def connect(self):
        return socket.create_connection(("127.0.0.1", self.daemon.port), timeout=5)

    def request(self, path, version="1.1", extra=""):
        return (f"GET /api/v1{path} HTTP/{version}\r\nHost: x\r\nX-API-Key: {self.key}\r\n"
                f"{extra}\r\n").encode()

    def test_pipelined_requests_are_answered_in_order(self):
        with self.connect() as s:
            s.sendall(self.request("/health") + self.request("/nope") + self.request("/balance"))
            answers = read_responses(s, 3)
        self.assertEqual([h.split(" ")[1] for h, _ in answers], ["200", "404", "200"])
        self.assertIn(b'"status":"ok"', answers[0][1])
        self.assertIn(b'"balance_usdt"', answers[2][1])

    def test_head_has_no_body_and_keeps_the_connection_in_step(self):
        """A body after a HEAD answer is read by the client as its next response."""
        with self.connect() as s:
            s.sendall(b"HEAD /livez HTTP/1.1\r\nHost: x\r\n\r\n" + b"GET /livez HTTP/1.1\r\nHost: x\r\n\r\n")
            s.settimeout(5)
            buf = b""
            while buf.count(b"\r\n\r\n") < 2 or not buf.endswith(b'"alive"}'):
                chunk = s.recv(65536)
                if not chunk:
                    break
                buf += chunk
        head, sep, rest = buf.partition(b"\r\n\r\n")
        self.assertTrue(head.startswith(b"HTTP/1.1 200"), buf[:200])
        self.assertIn(b"Content-Length: 18", head)
        # Straight after the HEAD answer's headers comes the GET's status line, not a body.
        self.assertTrue(rest.startswith(b"HTTP/1.1 200"), rest[:200])
        self.assertTrue(rest.endswith(b'{"status":"alive"}'), rest[-100:])

    def test_probes_answer_get_and_head_only(self):
        for path in ("/livez", "/readyz", "/metrics"):
            for method in ("POST", "PUT", "DELETE", "PATCH"):
                with self.subTest(path=path, method=method), self.connect() as s:
                    s.sendall(f"{method} {path} HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n".encode())
                    head, _ = read_responses(s, 1)[0]
                    self.assertTrue(head.startswith("HTTP/1.1 405"), head)
                    self.assertIn("Allow: GET, HEAD", head)
            with self.subTest(path=path, method="HEAD"), self.connect() as s:
                s.sendall(f"HEAD {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode())
                s.settimeout(5)
                buf = b""
                while chunk := s.recv(65536):
                    buf += chunk
                head, _, body = buf.partition(b"\r\n\r\n")
                self.assertTrue(head.startswith(b"HTTP/1.1 200"), head)
                self.assertEqual(body, b"")

    def test_http_1_0_closes_unless_asked_to_keep_alive(self):
        with self.connect() as s:
            s.sendall(self.request("/health", "1.0"))
            (head, _), = read_responses(s, 1)
            self.assertTrue(head.startswith("HTTP/1.0 200"), head)
            self.assertEqual(s.recv(1), b"", "an HTTP/1.0 connection stays open")
        with self.connect() as s:
            s.sendall(self.request("/health", "1.0", "Connection: keep-alive\r\n"))
            (head, _), = read_responses(s, 1)
            self.assertIn("Connection: keep-alive", head)
            s.sendall(self.request("/health", "1.0", "Connection: keep-alive\r\n"))
            self.assertEqual(len(read_responses(s, 1)), 1)

    def test_connection_close_is_honoured(self):
        with self.connect() as s:
            s.sendall(self.request("/health", "1.1", "Connection: close\r\n"))
            (head, _), = read_responses(s, 1)
            self.assertIn("Connection: close", head)
            self.assertEqual(s.recv(1), b"")

    def test_a_request_in_pieces_is_put_together(self):
        body = b'{"amount_usdt": 5, "network": "nope"}'
        raw = (f"POST /api/v1/balance/topup HTTP/1.1\r\nHost: x\r\nX-API-Key: {self.key}\r\n"
               f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n").encode() + body
        with self.connect() as s:
            for i in range(0, len(raw), 7):
                s.sendall(raw[i:i + 7])
                time.sleep(0.005)
            (head, answer), = read_responses(s, 1)
        self.assertTrue(head.startswith("HTTP/1.1 422"), head)  # the body was read whole
        self.assertIn(b"network", answer)

    def test_idle_connections_are_closed(self):
        with self.connect() as s:
            s.sendall(self.request("/health"))
            read_responses(s, 1)
            started = time.monotonic()
            s.settimeout(5)
            self.assertEqual(s.recv(1), b"")
            waited = time.monotonic() - started
        # 400 ms idle timeout, checked by a sweep every 250 ms.
        self.assertGreater(waited, 0.3)
        self.assertLess(waited, 1.5)
        self.assertAlive()


class DescriptorExhaustionTest(DaemonTestCase):
    """Out of file descriptors, accept fails at once and again: the loop once spun a core and
    wrote about 4.5 million "accept failed" lines in 11 s. It now backs off and warns once a
    second, and serves again as soon as descriptors are free."""
    MODULE = "wire"

    def open_fds(self):
        return len(os.listdir(f"/proc/{self.daemon.proc.pid}/fd"))

    def test_accept_backs_off_when_descriptors_run_out(self):
        if "ASAN_OPTIONS" in os.environ:
            # UBSan's vptr check probes memory through a pipe: with no descriptor free it reports
            # every virtual call as an invalid object and halts. The plain build runs this test.
            self.skipTest("needs a build without sanitizers (they need free descriptors themselves)")
        key = self.daemon.create_key(harness.label(self.MODULE, "fds"))["api_key"]
        self.assertHealthy(key)
        pid = self.daemon.proc.pid
        limit = self.open_fds() + 8
        soft_hard = subprocess.run(["prlimit", f"--pid={pid}", "--nofile", "--output=SOFT,HARD",
                                    "--noheadings"], capture_output=True, text=True, check=True)
        soft, hard = soft_hard.stdout.split()
        subprocess.run(["prlimit", f"--pid={pid}", f"--nofile={limit}:{hard}"], check=True)
        with open(self.daemon.log_path, "rb") as f:
            log_before = f.read().count(b"accept failed")
        cpu_before = self.cpu_seconds(pid)
        sockets = []
        try:
            for _ in range(40):
                sockets.append(socket.create_connection(("127.0.0.1", self.daemon.port), timeout=5))
            time.sleep(3)
            cpu = self.cpu_seconds(pid) - cpu_before
        finally:
            for s in sockets:
                s.close()
            subprocess.run(["prlimit", f"--pid={pid}", f"--nofile={soft}:{hard}"], check=True)
        with open(self.daemon.log_path, "rb") as f:
            warnings = f.read().count(b"accept failed") - log_before
        self.assertGreaterEqual(warnings, 1, "the test never ran the daemon out of descriptors")
        self.assertLessEqual(warnings, 5, f"{warnings} accept warnings in 3 s")
        self.assertLess(cpu, 1.0, f"the daemon used {cpu:.2f} s of CPU in 3 s while out of descriptors")
        deadline = time.monotonic() + 10
        while True:
            try:
                if self.daemon.get("/health", key=key).status_code == 200:
                    break
            except OSError:
                pass
            self.assertLess(time.monotonic(), deadline, "no health answer after descriptors were freed")
            time.sleep(0.2)

    @staticmethod
    def cpu_seconds(pid):
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


if __name__ == "__main__":
    harness.main()
