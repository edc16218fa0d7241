"""The bad-input matrix: every malformed, oversized, unauthorised or slow
request gets its status (or is cut off by its timeout), while another
client keeps being served throughout."""

import json
import socket
import threading
import time
import unittest

from keel_server import (HOST, KeelServer, chat_body, completion_body, status_of, read_all)

KEY = "sk-test-matrix"
AUTH = {"Authorization": "Bearer " + KEY}
MAX_BODY = 64 * 1024

# (name, method, path, body bytes or object, extra headers, expected status)
def matrix():
    c, ch = completion_body, chat_body
    cases = [
        ("malformed JSON", "POST", "/v1/completions", b"{", {}, 400),
        ("truncated JSON", "POST", "/v1/completions", b'{"prompt": "abc", "max_tokens"', {}, 400),
        ("empty body", "POST", "/v1/completions", b"", {}, 400),
        ("body is an array", "POST", "/v1/completions", b"[1, 2]", {}, 400),
        ("body is a string", "POST", "/v1/chat/completions", b'"hello"', {}, 400),
        ("NaN literal", "POST", "/v1/completions", b'{"prompt": "a", "temperature": NaN}', {}, 400),
        ("trailing garbage", "POST", "/v1/completions", b'{"prompt": "a"} xyz', {}, 400),
        ("deeply nested JSON", "POST", "/v1/completions", b'{"prompt": ' + b"[" * 30000 + b"]" * 30000 + b"}", {}, 400),
        ("deeply nested tools", "POST", "/v1/chat/completions",
         b'{"messages": [{"role": "user", "content": "a"}], "tools": ' + b"[" * 30000 + b"]" * 30000 + b"}", {}, 400),
        ("invalid UTF-8", "POST", "/v1/completions", b'{"prompt": "\xff\xfe abc"}', {}, 400),
        ("invalid UTF-8 in chat", "POST", "/v1/chat/completions",
         b'{"messages": [{"role": "user", "content": "\xc3\x28"}]}', {}, 400),
        ("prompt is a number", "POST", "/v1/completions", {"prompt": 42}, {}, 400),
        ("prompt missing", "POST", "/v1/completions", {"max_tokens": 4}, {}, 400),
        ("prompt empty array", "POST", "/v1/completions", {"prompt": []}, {}, 400),
        ("prompt mixed array", "POST", "/v1/completions", {"prompt": [[1, 2], 7.5]}, {}, 400),
        ("token id outside vocabulary", "POST", "/v1/completions", c(prompt=[1, 2, 999999]), {}, 400),
        ("negative token id", "POST", "/v1/completions", c(prompt=[1, -2]), {}, 400),
        ("prompt longer than the context", "POST", "/v1/completions", c(prompt="hello " * 2000), {}, 400),
        ("messages missing", "POST", "/v1/chat/completions", {"max_tokens": 4}, {}, 400),
        ("messages not an array", "POST", "/v1/chat/completions", {"messages": "hi"}, {}, 400),
        ("messages empty", "POST", "/v1/chat/completions", {"messages": []}, {}, 400),
        ("unknown role", "POST", "/v1/chat/completions", {"messages": [{"role": "wizard", "content": "hi"}]}, {}, 400),
        ("content is a number", "POST", "/v1/chat/completions", {"messages": [{"role": "user", "content": 5}]}, {}, 400),
        ("message without role", "POST", "/v1/chat/completions", {"messages": [{"content": "hi"}]}, {}, 400),
        ("max_tokens negative", "POST", "/v1/completions", c(max_tokens=-1), {}, 400),
        ("max_tokens zero", "POST", "/v1/completions", c(max_tokens=0), {}, 400),
        ("max_tokens huge", "POST", "/v1/completions", c(max_tokens=10 ** 15), {}, 400),
        ("max_tokens beyond uint64", "POST", "/v1/completions", b'{"prompt": "a", "max_tokens": 1e400}', {}, 400),
        ("max_tokens a string", "POST", "/v1/completions", c(max_tokens="4"), {}, 400),
        ("max_tokens fractional", "POST", "/v1/completions", c(max_tokens=2.5), {}, 400),
        ("min_tokens over max_tokens", "POST", "/v1/completions", c(max_tokens=2, min_tokens=5), {}, 400),
        ("temperature negative", "POST", "/v1/chat/completions", ch(temperature=-0.5), {}, 400),
        ("temperature huge", "POST", "/v1/chat/completions", ch(temperature=1e30), {}, 400),
        ("temperature a string", "POST", "/v1/chat/completions", ch(temperature="hot"), {}, 400),
        ("top_p zero", "POST", "/v1/completions", c(top_p=0), {}, 400),
        ("top_p over one", "POST", "/v1/completions", c(top_p=1.5), {}, 400),
        ("frequency_penalty out of range", "POST", "/v1/completions", c(frequency_penalty=3), {}, 400),
        ("presence_penalty a list", "POST", "/v1/completions", c(presence_penalty=[1]), {}, 400),
        ("n = 10000", "POST", "/v1/completions", c(n=10000), {}, 400),
        ("n = 0", "POST", "/v1/chat/completions", ch(n=0), {}, 400),
        ("n negative", "POST", "/v1/chat/completions", ch(n=-3), {}, 400),
        ("seed fractional", "POST", "/v1/completions", c(seed=1.5), {}, 400),
        ("stop a number", "POST", "/v1/completions", c(stop=7), {}, 400),
        ("stop list with a number", "POST", "/v1/completions", c(stop=["a", 7]), {}, 400),
        ("stop empty string", "POST", "/v1/completions", c(stop=[""]), {}, 400),
        ("stream not a boolean", "POST", "/v1/completions", c(stream="yes"), {}, 400),
        ("stream_options without stream", "POST", "/v1/completions", c(stream_options={"include_usage": True}), {}, 400),
        ("logprobs too many", "POST", "/v1/completions", c(logprobs=1000), {}, 400),
        ("top_logprobs without logprobs", "POST", "/v1/chat/completions", ch(top_logprobs=2), {}, 400),
        ("unknown model", "POST", "/v1/completions", c(model="gpt-9"), {}, 404),
        ("body over --max-body-bytes", "POST", "/v1/completions", c(prompt="x" * (MAX_BODY + 10)), {}, 413),
        ("unknown path", "GET", "/v1/nope", None, {}, 404),
        ("unknown path POST", "POST", "/admin", {"a": 1}, {}, 404),
        ("GET on chat completions", "GET", "/v1/chat/completions", None, {}, 405),
        ("DELETE on models", "DELETE", "/v1/models", None, {}, 405),
        ("POST on health", "POST", "/health", {}, {}, 405),
        ("detokenize bad ids", "POST", "/detokenize", {"tokens": [1, "x"]}, {}, 400),
        ("tokenize without prompt", "POST", "/tokenize", {"text": 1}, {}, 400),
    ]
    return cases


class BackgroundClient(threading.Thread):
    """Sends small completions in a loop and records every failure."""

    def __init__(self, server):
        super().__init__(daemon=True)
        self.server, self.stop, self.served, self.failures = server, threading.Event(), 0, []

    def run(self):
        deadline = time.monotonic() + 120
        while not self.stop.is_set() and time.monotonic() < deadline:
            try:
                status, _, body = self.server.post("/v1/completions", completion_body(max_tokens=2), AUTH, timeout=20)
                if status == 200:
                    self.served += 1
                else:
                    self.failures.append((status, body[:200]))
            except OSError as error:
                self.failures.append(("error", str(error)))
            time.sleep(0.02)


class BadInputMatrix(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = KeelServer("--api-key", KEY, "--max-body-bytes", MAX_BODY, "--header-timeout", 2,
                                "--body-timeout", 2, "--idle-timeout", 5, "--max-n", 16, "--access-log", "")
        cls.background = BackgroundClient(cls.server)
        cls.background.start()

    @classmethod
    def tearDownClass(cls):
        cls.background.stop.set()
        cls.background.join(timeout=30)
        status = cls.server.stop()
        if cls.background.failures or cls.background.served == 0:
            raise AssertionError(f"the background client was disturbed: served {cls.background.served}, "
                                 f"failures {cls.background.failures[:5]}")
        assert status == 0, status

    def check_error_shape(self, body, status):
        error = json.loads(body)["error"]
        for field in ("message", "type", "param", "code"):
            self.assertIn(field, error)
        self.assertIsInstance(error["message"], str)
        if status == 400:
            self.assertEqual(error["type"], "invalid_request_error")

    def test_matrix(self):
        cases = matrix()
        self.assertGreaterEqual(len(cases), 40)
        for name, method, path, body, headers, expected in cases:
            with self.subTest(name):
                all_headers = dict(AUTH)
                all_headers.update(headers)
                status, _, data = self.server.request(method, path, body, all_headers)
                self.assertEqual(status, expected, f"{name}: {data[:300]!r}")
                self.check_error_shape(data, status)

    def test_keys(self):
        body = completion_body()
        for name, headers in [("missing key", {}), ("wrong key", {"Authorization": "Bearer sk-wrong"}),
                              ("key prefix", {"Authorization": "Bearer " + KEY[:-1]}),
                              ("basic auth", {"Authorization": "Basic " + KEY}),
                              ("empty bearer", {"Authorization": "Bearer "})]:
            with self.subTest(name):
                status, _, data = self.server.post("/v1/completions", body, headers)
                self.assertEqual(status, 401, data)
                self.check_error_shape(data, status)
                self.assertNotIn(KEY.encode(), data)
        status, _, _ = self.server.post("/v1/completions", body, {"X-Api-Key": KEY})
        self.assertEqual(status, 200)
        # Probes and metrics answer without a key (they are for the orchestrator).
        self.assertEqual(self.server.get("/health")[0], 200)
        self.assertEqual(self.server.get("/metrics")[0], 200)
        self.assertNotIn(KEY, self.server.stderr_text())

    def test_header_flood(self):
        flood = "".join(f"X-Flood-{i}: {'v' * 40}\r\n" for i in range(2000))
        reply = self.server.raw(f"GET /health HTTP/1.1\r\nHost: x\r\n{flood}\r\n".encode())
        self.assertEqual(status_of(reply), 431, reply[:200])
        reply = self.server.raw(b"GET /health HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 100000 + b"\r\n\r\n")
        self.assertEqual(status_of(reply), 431, reply[:200])

    def test_malformed_http(self):
        for raw in [b"NONSENSE\r\n\r\n", b"GET / HTTP/9.9\r\n\r\n", b"\x00\x01\x02\x03\r\n\r\n",
                    b"POST /v1/completions HTTP/1.1\r\nContent-Length: -5\r\n\r\n",
                    b"POST /v1/completions HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n"]:
            with self.subTest(raw[:20]):
                reply = self.server.raw(raw)
                self.assertEqual(status_of(reply), 400, reply[:200])

    def test_chunked_body_over_limit(self):
        head = b"POST /v1/completions HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
        chunk = b"%x\r\n" % (MAX_BODY + 100) + b"a" * (MAX_BODY + 100) + b"\r\n0\r\n\r\n"
        reply = self.server.raw(head + chunk)
        self.assertEqual(status_of(reply), 413, reply[:200])

    def slow_send(self, prefix, trickle):
        """Sends `prefix`, then one byte of `trickle` per second; returns
        (seconds until the server closed, bytes sent, reply)."""
        start = time.monotonic()
        with socket.create_connection((HOST, self.server.port), timeout=10) as sock:
            sock.sendall(prefix)
            sent = 0
            for byte in trickle[:15]:  # bounded: the timeout is 2 s
                try:
                    sock.sendall(bytes([byte]))
                    sent += 1
                except OSError:
                    break
                sock.settimeout(1.0)
                try:
                    data = sock.recv(65536)
                except socket.timeout:
                    continue
                except ConnectionResetError:
                    data = b""
                elapsed = time.monotonic() - start
                return elapsed, sent, data + read_all(sock, 2)
            return time.monotonic() - start, sent, b""

    def test_slow_header_is_cut_off(self):
        elapsed, sent, reply = self.slow_send(b"", b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
        self.assertLess(elapsed, 6, "the server kept a one-byte-per-second client")
        self.assertLess(sent, 10)
        self.assertNotEqual(status_of(reply), 200)

    def test_slow_body_is_cut_off(self):
        body = json.dumps(completion_body()).encode()
        head = (f"POST /v1/completions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {KEY}\r\n"
                f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n").encode()
        elapsed, sent, reply = self.slow_send(head, body)
        self.assertLess(elapsed, 6, "the server kept a one-byte-per-second body")
        self.assertLess(sent, 10)
        self.assertNotEqual(status_of(reply), 200)

    def test_idle_connection_is_closed(self):
        with socket.create_connection((HOST, self.server.port), timeout=10) as sock:
            start = time.monotonic()
            self.assertEqual(read_all(sock, 8), b"")
            self.assertLess(time.monotonic() - start, 6)

    def test_keep_alive_and_expect_continue(self):
        connection = self.server.connection()
        for _ in range(5):
            connection.request("GET", "/health")
            response = connection.getresponse()
            response.read()
            self.assertEqual(response.status, 200)
        connection.close()
        body = json.dumps(completion_body(max_tokens=1)).encode()
        head = (f"POST /v1/completions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {KEY}\r\n"
                f"Content-Length: {len(body)}\r\nExpect: 100-continue\r\nConnection: close\r\n\r\n").encode()
        with socket.create_connection((HOST, self.server.port), timeout=10) as sock:
            sock.sendall(head)
            interim = sock.recv(100)
            self.assertTrue(interim.startswith(b"HTTP/1.1 100"), interim)
            sock.sendall(body)
            reply = interim + read_all(sock, 10)
        self.assertIn(b"HTTP/1.1 200", reply)


if __name__ == "__main__":
    unittest.main()
