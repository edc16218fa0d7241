"""Tracing: `keel serve --otlp-endpoint` exports each request's spans over
OTLP/HTTP (JSON) to a collector. A small OTLP receiver in this file plays
the collector; the tests check the span tree, its attributes, W3C
traceparent propagation and sampling, the access log's trace ids, and that a
collector that is down costs spans, never requests."""

import http.server
import json
import os
import socket
import tempfile
import threading
import time
import unittest

from keel_server import KeelServer, chat_body, completion_body

TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
PARENT_ID = "00f067aa0ba902b7"


class OtlpReceiver:
    """An OTLP/HTTP collector on loopback: keeps every span it is sent."""

    def __init__(self):
        self.spans = []
        self.requests = []  # (path, content type) of each export
        self.lock = threading.Lock()
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                document = json.loads(body)
                with receiver.lock:
                    receiver.requests.append((self.path, self.headers.get("Content-Type")))
                    for resource in document["resourceSpans"]:
                        service = {a["key"]: a["value"] for a in resource["resource"]["attributes"]}
                        for scope in resource["scopeSpans"]:
                            for span in scope["spans"]:
                                span["service"] = service["service.name"]["stringValue"]
                                receiver.spans.append(span)
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"{}")

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()

    def spans_of(self, trace_id, count, timeout=10.0):
        """The spans of one trace, once `count` of them have arrived."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                found = [s for s in self.spans if s["traceId"] == trace_id]
            if len(found) >= count:
                return found
            time.sleep(0.05)
        raise AssertionError(f"{len(found)} of {count} spans of trace {trace_id} arrived")


def attributes(span):
    out = {}
    for attribute in span.get("attributes", []):
        (kind, value), = attribute["value"].items()
        out[attribute["key"]] = int(value) if kind == "intValue" else value
    return out


def access_log_lines(path):
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


class Tracing(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.collector = OtlpReceiver()
        cls.log_path = tempfile.NamedTemporaryFile(suffix=".jsonl", delete=False).name
        # Sample ratio 0: a request is traced only when its traceparent says
        # so, which makes every test here deterministic.
        cls.server = KeelServer("--otlp-endpoint", f"http://127.0.0.1:{cls.collector.port}",
                                "--trace-sample-ratio", "0", "--access-log", cls.log_path)

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()
        cls.collector.stop()
        os.unlink(cls.log_path)

    def traced_chat(self, trace_id, flags="01", max_tokens=5):
        status, _, body = self.server.post("/v1/chat/completions", chat_body("Hello there", max_tokens=max_tokens),
                                           headers={"traceparent": f"00-{trace_id}-{PARENT_ID}-{flags}"})
        self.assertEqual(status, 200, body)
        return json.loads(body)

    def test_a_traced_request_has_a_server_span_with_queued_prefill_and_decode(self):
        answer = self.traced_chat(TRACE_ID)
        spans = self.collector.spans_of(TRACE_ID, 4)
        self.assertEqual(len(spans), 4)
        by_name = {s["name"]: s for s in spans}
        self.assertEqual(set(by_name), {"POST /v1/chat/completions", "queued", "prefill", "decode"})
        root = by_name["POST /v1/chat/completions"]
        # The caller's span is the parent of the server span; the stages are its children.
        self.assertEqual(root["parentSpanId"], PARENT_ID)
        self.assertEqual(root["kind"], 2)  # SERVER
        self.assertEqual(root["service"], "keel")
        for name in ("queued", "prefill", "decode"):
            self.assertEqual(by_name[name]["parentSpanId"], root["spanId"], name)
            self.assertEqual(by_name[name]["kind"], 1, name)  # INTERNAL
        self.assertEqual(len({s["spanId"] for s in spans}), 4)
        for span in spans:
            self.assertRegex(span["spanId"], r"^[0-9a-f]{16}$")
        # The stages tile the request: queued, then prefill, then decode, inside the server span.
        start = {n: int(s["startTimeUnixNano"]) for n, s in by_name.items()}
        end = {n: int(s["endTimeUnixNano"]) for n, s in by_name.items()}
        self.assertLessEqual(start["POST /v1/chat/completions"], start["queued"])
        self.assertLessEqual(end["queued"], start["prefill"])
        self.assertLessEqual(end["prefill"], start["decode"])
        self.assertLessEqual(end["decode"], end["POST /v1/chat/completions"])
        self.assertLess(abs(start["queued"] / 1e9 - time.time()), 60)  # Unix time, not a steady clock
        # Token counts as attributes, equal to the response's usage.
        usage = answer["usage"]
        root_attributes = attributes(root)
        self.assertEqual(root_attributes["http.response.status_code"], 200)
        self.assertEqual(root_attributes["gen_ai.usage.input_tokens"], usage["prompt_tokens"])
        self.assertEqual(root_attributes["gen_ai.usage.output_tokens"], usage["completion_tokens"])
        self.assertEqual(attributes(by_name["prefill"])["gen_ai.usage.input_tokens"], usage["prompt_tokens"])
        self.assertEqual(attributes(by_name["decode"])["gen_ai.usage.output_tokens"], usage["completion_tokens"])
        self.assertNotIn("status", root)  # not an error
        with self.collector.lock:
            self.assertIn(("/v1/traces", "application/json"), self.collector.requests)

    def test_the_access_log_names_the_callers_trace_and_new_ones(self):
        trace_id = "0af7651916cd43dd8448eb211c80319c"
        self.traced_chat(trace_id, flags="00")  # not sampled: logged, not exported
        status, _, _ = self.server.post("/v1/completions", completion_body("Hi", max_tokens=2))
        self.assertEqual(status, 200)
        self.server.wait_until(lambda: len(access_log_lines(self.log_path)) >= 2, what="access log lines")
        lines = access_log_lines(self.log_path)
        ids = [line["trace_id"] for line in lines]
        self.assertIn(trace_id, ids)
        fresh = [line["trace_id"] for line in lines if line["path"] == "/v1/completions"]
        self.assertTrue(fresh)
        for trace in fresh:
            self.assertRegex(trace, r"^[0-9a-f]{32}$")
            self.assertNotEqual(trace, "0" * 32)
        time.sleep(1.5)  # past the exporter's flush interval
        with self.collector.lock:
            exported = {s["traceId"] for s in self.collector.spans}
        self.assertNotIn(trace_id, exported)  # the caller said not sampled
        for trace in fresh:
            self.assertNotIn(trace, exported)  # sample ratio 0

    def test_a_malformed_traceparent_starts_a_new_trace(self):
        bad = "00-" + "0" * 32 + "-" + PARENT_ID + "-01"  # an all-zero trace id is invalid
        status, _, _ = self.server.post("/v1/chat/completions", chat_body("Hi", max_tokens=2),
                                        headers={"traceparent": bad})
        self.assertEqual(status, 200)
        self.server.wait_until(lambda: any(line["trace_id"] != "0" * 32 and line["path"] == "/v1/chat/completions"
                                           for line in access_log_lines(self.log_path)), what="a logged chat")
        self.assertNotIn("0" * 32, [line["trace_id"] for line in access_log_lines(self.log_path)])

    def test_a_rejected_request_is_a_lone_error_span(self):
        trace_id = "b7ad6b7169203331b7ad6b7169203331"
        status, _, _ = self.server.post("/v1/chat/completions", {"messages": "not a list"},
                                        headers={"traceparent": f"00-{trace_id}-{PARENT_ID}-01"})
        self.assertEqual(status, 400)
        spans = self.collector.spans_of(trace_id, 1)
        time.sleep(1.5)
        spans = self.collector.spans_of(trace_id, 1)
        self.assertEqual(len(spans), 1)
        self.assertEqual(attributes(spans[0])["http.response.status_code"], 400)
        self.assertNotIn("status", spans[0])  # a 4xx is the client's error, not the server's

    def test_metrics_count_exported_spans(self):
        self.traced_chat("c0ffee00c0ffee00c0ffee00c0ffee00")
        self.collector.spans_of("c0ffee00c0ffee00c0ffee00c0ffee00", 4)
        samples = self.server.metrics()
        self.assertGreaterEqual(samples["keel:trace_spans_exported_total"], 4)
        self.assertEqual(samples['keel:trace_spans_dropped_total{reason="queue_full"}'], 0)


class TracingWithoutCollector(unittest.TestCase):
    def test_a_collector_that_is_down_costs_spans_not_requests(self):
        # A port nobody listens on: every export fails, every request is served.
        probe = OtlpReceiver()
        dead_port = probe.port
        probe.stop()
        server = KeelServer("--otlp-endpoint", f"http://127.0.0.1:{dead_port}", "--trace-sample-ratio", "1",
                            "--access-log", "")
        try:
            for _ in range(5):
                status, _, _ = server.post("/v1/completions", completion_body("Hi", max_tokens=2))
                self.assertEqual(status, 200)
            server.wait_until(
                lambda: server.metrics().get('keel:trace_spans_dropped_total{reason="export_failed"}', 0)
                >= 5, timeout=15, what="failed exports counted")
            self.assertEqual(server.metrics()["keel:trace_spans_exported_total"], 0)
        finally:
            server.stop()

    def test_a_collector_that_never_answers_costs_one_timeout_per_export(self):
        # It accepts connections and reads, but never writes a byte back.
        silent = socket.socket()
        silent.bind(("127.0.0.1", 0))
        silent.listen(64)
        held = []
        stop = threading.Event()

        def accept():
            silent.settimeout(0.2)
            while not stop.is_set():
                try:
                    held.append(silent.accept()[0])
                except OSError:
                    pass

        acceptor = threading.Thread(target=accept, daemon=True)
        acceptor.start()
        server = KeelServer("--otlp-endpoint", f"http://127.0.0.1:{silent.getsockname()[1]}",
                            "--trace-sample-ratio", "1", "--access-log", "")
        try:
            for _ in range(3):
                self.assertEqual(server.post("/v1/completions", completion_body("Hi", max_tokens=2))[0], 200)
            # The first export times out (3 s) and its spans count as dropped.
            server.wait_until(
                lambda: server.metrics().get('keel:trace_spans_dropped_total{reason="export_failed"}', 0) >= 1,
                timeout=12, what="the silent collector's export to time out")
            # Shutdown is not held up by the exporter.
            started = time.monotonic()
            self.assertEqual(server.stop(timeout=20), 0)
            self.assertLess(time.monotonic() - started, 10)
        finally:
            server.kill()
            stop.set()
            acceptor.join()
            for connection in held:
                connection.close()
            silent.close()

    def test_a_bad_endpoint_is_refused_at_start(self):
        with self.assertRaises(RuntimeError) as raised:
            KeelServer("--otlp-endpoint", "https://collector:4318")
        self.assertIn("--otlp-endpoint must be an http:// URL", str(raised.exception))

    def test_without_the_flag_there_are_no_tracing_metrics(self):
        server = KeelServer("--access-log", "")
        try:
            self.assertNotIn("keel:trace_spans_exported_total", server.get("/metrics")[2].decode())
        finally:
            server.stop()


if __name__ == "__main__":
    unittest.main()
