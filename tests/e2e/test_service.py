"""Running as a service: systemd's Type=notify protocol (READY=1 once listening, STOPPING=1 on
SIGTERM) over a NOTIFY_SOCKET datagram socket, and `config check` printing what would run."""

import json
import os
import socket
import tempfile

import harness


class ServiceTest(harness.unittest.TestCase):
    def test_notifies_ready_and_stopping(self):
        harness.require_environment()
        tmp = tempfile.mkdtemp(prefix="instamarket-notify-")
        path = os.path.join(tmp, "notify.sock")
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        sock.bind(path)
        sock.settimeout(20)
        os.environ["NOTIFY_SOCKET"] = path
        daemon = harness.Daemon()
        try:
            daemon.start()
            self.assertEqual(sock.recv(256), b"READY=1")
            daemon.stop_and_check()
            self.assertEqual(sock.recv(256), b"STOPPING=1")
        finally:
            del os.environ["NOTIFY_SOCKET"]
            daemon.cleanup()
            sock.close()

    def test_metrics_count_requests_by_route_and_status(self):
        harness.require_environment()
        daemon = harness.Daemon(api={"rate_limit_per_minute": 2})
        try:
            daemon.start()
            key = daemon.create_key(harness.label("service", "metrics"))["api_key"]
            statuses = [daemon.get("/health", key=key).status_code for _ in range(3)]
            self.assertEqual(statuses, [200, 200, 429])
            r = harness.requests.get(daemon.base + "/metrics", timeout=10)
            self.assertEqual(r.status_code, 200)
            self.assertTrue(r.headers["Content-Type"].startswith("text/plain; version=0.0.4"))
            text = r.text
            self.assertIn('instamarket_http_requests_total{route="GET /api/v1/health",status="200"} 2', text)
            self.assertIn('instamarket_http_requests_total{route="GET /api/v1/health",status="429"} 1', text)
            self.assertIn("instamarket_rate_limited_total 1", text)
            # The harness's start-up probe (no key, 401) is a /health request too.
            self.assertIn('instamarket_http_requests_total{route="GET /api/v1/health",status="401"} 1', text)
            self.assertIn('instamarket_http_request_duration_seconds_count{route="GET /api/v1/health"} 4', text)
            self.assertNotIn(key, text)
            self.assertNotIn("key_id", text)
        finally:
            daemon.stop()
            daemon.cleanup()

    def test_logs_are_json_lines_with_the_request_id(self):
        harness.require_environment()
        daemon = harness.Daemon(log={"level": "debug", "format": "json"})
        try:
            daemon.start()
            key = daemon.create_key(harness.label("service", "logs"))["api_key"]
            r = daemon.get("/health", key=key, headers={"X-Request-Id": "e2e-req-42"})
            self.assertEqual(r.status_code, 200)
            self.assertEqual(r.headers.get("X-Request-Id"), "e2e-req-42")  # echoed
            # An id the server would not log as is (too long, odd characters) is not echoed.
            r = daemon.get("/health", key=key, headers={"X-Request-Id": "a b" * 40})
            self.assertNotIn("X-Request-Id", r.headers)
            self.assertEqual(daemon.stop(), 0)
            with open(daemon.log_path) as f:
                lines = [line for line in f.read().splitlines() if line.strip()]
            records = [json.loads(line) for line in lines]  # every line is one JSON object
            for rec in records:
                self.assertEqual(set(rec), {"time", "level", "logger", "thread", "request_id",
                                            "msg"}, rec)
            mine = [rec for rec in records if rec["request_id"] == "e2e-req-42"]
            self.assertEqual(len(mine), 1, records[-5:])
            self.assertEqual(mine[0]["level"], "debug")
            self.assertIn("GET /api/v1/health 200", mine[0]["msg"])
            self.assertTrue(any(rec["msg"].startswith("listening on") for rec in records))
        finally:
            daemon.stop()
            daemon.cleanup()

    def test_config_check_prints_what_would_run(self):
        daemon = harness.Daemon(database={"url": "postgresql://u:hunter2@127.0.0.1:1/nowhere"})
        try:
            p = daemon.run_cli("config", "check")
            self.assertEqual(p.returncode, 0, p.stderr)
            report = json.loads(p.stdout)
            self.assertIs(report["ok"], True)
            self.assertEqual(report["database"]["url"], "postgresql://u:***@127.0.0.1:1/nowhere")
            self.assertNotIn("hunter2", p.stdout)
            self.assertEqual(report["admin_api"], "enabled")
            self.assertEqual(report["networks"], [])
            daemon.sections["api"]["threads"] = "many"
            daemon.write_config()
            bad = daemon.run_cli("config", "check")
            self.assertEqual(bad.returncode, 1)
            self.assertIn("api.threads", json.loads(bad.stderr.strip().splitlines()[-1])["error"])
        finally:
            daemon.cleanup()


if __name__ == "__main__":
    harness.main()
