"""A live `keel serve` on loopback for the end-to-end tests, and small
clients to talk to it. Standard library only.

The binary comes from $KEEL_BINARY and the model from $KEEL_MODEL (CTest
sets both). Every wait here is bounded: a server that does not come up, a
request that does not answer, a process that does not exit all fail the
test instead of hanging it.
"""

import http.client
import json
import os
import re
import signal
import socket
import subprocess
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
BINARY = os.environ.get("KEEL_BINARY", os.path.join(REPO, "build", "release", "apps", "keel"))
MODEL = os.environ.get("KEEL_MODEL", os.path.join(REPO, "models", "tiny-random-glm4-q8_0.gguf"))
MODEL_NAME = os.path.basename(MODEL)
# KEEL_SANITIZED=1: the binary is a sanitizer build (scripts/sanitize.sh),
# whose resident memory is the sanitizer's as much as keel's: memory
# checks skip, everything else holds.
SANITIZED = os.environ.get("KEEL_SANITIZED") == "1"
HOST = "127.0.0.1"


class KeelServer:
    """Starts `keel serve --port 0` with extra flags; stop() ends it."""

    def __init__(self, *flags, config=None, start_timeout=60.0, model=None):
        self.log = tempfile.TemporaryFile()
        command = [BINARY, "serve", "--model", model or MODEL, "--host", HOST, "--port", "0"]
        self.config_file = None
        if config is not None:
            self.config_file = tempfile.NamedTemporaryFile("w", suffix=".toml", delete=False)
            self.config_file.write(config)
            self.config_file.close()
            command += ["--config", self.config_file.name]
        command += [str(flag) for flag in flags]
        self.process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=self.log,
                                        stdin=subprocess.DEVNULL)
        self.port = self._read_port(start_timeout)

    def _read_port(self, timeout):
        # The server prints its address on stdout once the model is loaded.
        deadline = time.monotonic() + timeout
        line = b""
        os.set_blocking(self.process.stdout.fileno(), False)
        while time.monotonic() < deadline and b"\n" not in line:
            if self.process.poll() is not None:
                raise RuntimeError("keel serve exited early:\n" + self.stderr_text())
            chunk = self.process.stdout.read()
            if chunk:
                line += chunk
            else:
                time.sleep(0.02)
        match = re.match(rb"http://[0-9.]+:(\d+)", line)
        if not match:
            self.kill()
            raise RuntimeError("keel serve printed no address in time:\n" + self.stderr_text())
        return int(match.group(1))

    def stderr_text(self):
        self.log.seek(0)
        return self.log.read().decode("utf-8", "replace")

    def signal(self, signum=signal.SIGTERM):
        self.process.send_signal(signum)

    def wait(self, timeout):
        return self.process.wait(timeout=timeout)

    def kill(self):
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)

    def stop(self, timeout=30.0):
        """SIGTERM, then the exit status (SIGKILL after `timeout`)."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.kill()
        if self.config_file:
            os.unlink(self.config_file.name)
            self.config_file = None
        self.process.stdout.close()
        return self.process.returncode

    # --- clients -----------------------------------------------------------

    def connection(self, timeout=30.0):
        return http.client.HTTPConnection(HOST, self.port, timeout=timeout)

    def request(self, method, path, body=None, headers=None, timeout=30.0):
        """One request on a fresh connection: (status, headers dict, body bytes)."""
        if isinstance(body, (dict, list)):
            body = json.dumps(body).encode()
        elif isinstance(body, str):
            body = body.encode()
        all_headers = {"Content-Type": "application/json"} if body is not None else {}
        all_headers.update(headers or {})
        connection = self.connection(timeout)
        try:
            connection.request(method, path, body=body, headers=all_headers)
            response = connection.getresponse()
            data = response.read()
            return response.status, {k.lower(): v for k, v in response.getheaders()}, data
        finally:
            connection.close()

    def post(self, path, body, headers=None, timeout=30.0):
        return self.request("POST", path, body, headers, timeout)

    def get(self, path, headers=None, timeout=30.0):
        return self.request("GET", path, None, headers, timeout)

    def raw(self, data, timeout=10.0, read_until_close=True):
        """Sends raw bytes on a fresh socket; returns what came back."""
        with socket.create_connection((HOST, self.port), timeout=timeout) as sock:
            sock.sendall(data)
            return read_all(sock, timeout) if read_until_close else sock.recv(65536)

    def metrics(self):
        status, _, body = self.get("/metrics", timeout=10)
        assert status == 200, status
        return parse_metrics(body.decode())

    def wait_until(self, predicate, timeout=20.0, what="condition"):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if predicate():
                return
            time.sleep(0.05)
        raise AssertionError("timed out waiting for " + what)


def read_all(sock, timeout):
    """Reads until the peer closes or `timeout` passes."""
    sock.settimeout(timeout)
    deadline = time.monotonic() + timeout
    data = b""
    while time.monotonic() < deadline:
        try:
            chunk = sock.recv(65536)
        except (socket.timeout, ConnectionResetError):
            break
        if not chunk:
            break
        data += chunk
    return data


def status_of(raw_response):
    match = re.match(rb"HTTP/1\.[01] (\d{3})", raw_response)
    return int(match.group(1)) if match else None


_SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})?\s+(\S+)$')


def parse_metrics(text):
    """{'name{labels}': value} for every sample of a Prometheus exposition."""
    samples = {}
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        match = _SAMPLE.match(line)
        if match:
            samples[match.group(1) + (match.group(2) or "")] = float(match.group(3))
    return samples


def chat_body(content="Hello", max_tokens=4, **extra):
    body = {"model": MODEL_NAME, "messages": [{"role": "user", "content": content}], "max_tokens": max_tokens}
    body.update(extra)
    return body


def completion_body(prompt="Hello", max_tokens=4, **extra):
    body = {"model": MODEL_NAME, "prompt": prompt, "max_tokens": max_tokens}
    body.update(extra)
    return body


def streaming_request(path, body, extra_headers=""):
    """The raw bytes of an HTTP/1.1 POST that asks for a stream."""
    payload = json.dumps(body).encode()
    head = (f"POST {path} HTTP/1.1\r\nHost: {HOST}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(payload)}\r\n{extra_headers}\r\n").encode()
    return head + payload
