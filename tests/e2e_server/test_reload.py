"""Reload without dropping a request: SIGHUP (or POST /admin/reload with
the admin key) re-reads the config file and, when it names another model
file, validates that model and switches new requests to it while the
requests already running finish on the old one. A reload that fails keeps
the old model serving and says why; a SIGTERM during a reload still drains
and exits 0."""

import json
import os
import signal
import tempfile
import threading
import time
import unittest

from keel_server import MODEL, SANITIZED, KeelServer, completion_body
from stream_client import run_all, stream

DEMO = os.path.join(os.path.dirname(MODEL), "keel-demo-glm4-q8_0.gguf")
ADMIN = "sk-admin-reload-test"


def served(server):
    status, _, body = server.get("/v1/models")
    assert status == 200, body
    return json.loads(body)["data"][0]


def reloads(server, result):
    return server.metrics()['keel:model_reloads_total{result="%s"}' % result]


def set_config_model(server, path):
    with open(server.config_file.name, "w") as config:
        config.write('model = "%s"\naccess-log = ""\n' % path)


def copy_of(model, folder):
    """A copy of `model` as FOLDER/model.gguf, for a test to rewrite."""
    path = os.path.join(folder, "model.gguf")
    with open(model, "rb") as source, open(path, "wb") as copy:
        copy.write(source.read())
    return path


def rewrite_in_place(path):
    """What copying a new build over the file does to it: the same path and
    size, a later modification time."""
    stat = os.stat(path)
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))


def held_streams(server, prompt, count, max_tokens):
    """`count` streams, all in flight while the serving model's device is
    held (POST /debug/stall): the thread that runs them and the list their
    results go to. The caller lets the device go."""
    body = completion_body(prompt, max_tokens=max_tokens, stream=True, ignore_eos=True)
    results = []
    load = threading.Thread(target=lambda: results.extend(run_all(
        [stream(server.port, "/v1/completions", body, timeout=90) for _ in range(count)])))
    assert server.post("/debug/stall", {"stalled": True})[0] == 200
    load.start()
    server.wait_until(lambda: server.metrics()["keel:requests_in_flight"] >= count, timeout=20,
                      what="the streams to be in flight")
    return load, results


class Reload(unittest.TestCase):
    def test_sighup_switches_new_requests_while_32_streams_finish_on_the_old_model(self):
        server = KeelServer("--max-seqs", 8, "--enable-test-hooks",
                            config='model = "%s"\naccess-log = ""\n' % MODEL)
        try:
            before = served(server)
            self.assertEqual(before["file"], os.path.basename(MODEL))
            self.assertRegex(before["content_hash"], "^[0-9a-f]{16}$")
            # The old model's device is held still (the hooks' stall) while
            # the 32 arrive and the reload runs, so that all of them are in
            # flight across the switch however fast this machine is.
            load, results = held_streams(server, "reload", 32, max_tokens=120)
            set_config_model(server, DEMO)
            server.signal(signal.SIGHUP)
            server.wait_until(lambda: served(server)["file"] == os.path.basename(DEMO), timeout=60,
                              what="the new model to serve")
            self.assertEqual(server.metrics()["keel:requests_in_flight"], 32)
            after = served(server)
            self.assertNotEqual(after["content_hash"], before["content_hash"])
            self.assertEqual(after["id"], os.path.basename(DEMO))
            # New requests run on the new model at once ...
            # (a client that names the old model id gets 404 now)
            new_body = dict(completion_body(max_tokens=3), model=os.path.basename(DEMO))
            status, _, answer = server.post("/v1/completions", new_body)
            self.assertEqual(status, 200, answer)
            self.assertEqual(json.loads(answer)["model"], os.path.basename(DEMO))
            self.assertEqual(server.post("/v1/completions", completion_body(max_tokens=3))[0], 404)
            # ... while every stream that began on the old one finishes there.
            self.assertEqual(server.post("/debug/stall", {"stalled": False})[0], 200)
            load.join(timeout=90)
            self.assertEqual(len(results), 32)
            for result in results:
                self.assertEqual((result.status, result.done, result.error), (200, True, None))
                self.assertEqual(result.finish_reasons(), ["length"])
                models = {event["model"] for event in result.events if "model" in event}
                self.assertEqual(models, {os.path.basename(MODEL)})
            self.assertEqual(reloads(server, "success"), 1)
            metrics = server.metrics()
            self.assertEqual(metrics["keel:requests_in_flight"], 0)
            build = [name for name in metrics if name.startswith("keel:build_info")]
            self.assertEqual(len(build), 1)
            self.assertIn('model_hash="%s"' % after["content_hash"], build[0])
            self.assertIn("reload done", server.stderr_text())
            # The same configuration again: nothing to do.
            server.signal(signal.SIGHUP)
            server.wait_until(lambda: reloads(server, "unchanged") == 1, timeout=20, what="the unchanged reload")
            self.assertEqual(server.stop(timeout=15), 0, server.stderr_text()[-2000:])
        finally:
            server.kill()

    def test_admin_reload_needs_the_key_and_a_failure_keeps_the_old_model(self):
        server = KeelServer("--admin-key", ADMIN, config='model = "%s"\naccess-log = ""\n' % MODEL)
        try:
            before = served(server)
            self.assertEqual(server.post("/admin/reload", {})[0], 401)
            self.assertEqual(server.post("/admin/reload", {}, headers={"Authorization": "Bearer wrong"})[0], 401)
            admin = {"Authorization": "Bearer " + ADMIN}
            self.assertEqual(server.get("/admin/reload", headers=admin)[0], 405)

            status, _, body = server.post("/admin/reload", {}, headers=admin)
            self.assertEqual(status, 200, body)
            self.assertEqual(json.loads(body)["status"], "unchanged")

            # A file that is no model: the load fails, the old model serves on.
            with tempfile.NamedTemporaryFile(suffix=".gguf", delete=False) as broken:
                broken.write(b"GGUF" + b"\x00" * 60)
            try:
                set_config_model(server, broken.name)
                status, _, body = server.post("/admin/reload", {}, headers=admin, timeout=60)
                self.assertEqual(status, 500, body)
                message = json.loads(body)["error"]["message"]
                self.assertIn("the previous model keeps serving", message)
                self.assertIn(os.path.basename(broken.name), message)
            finally:
                os.unlink(broken.name)
            after = served(server)
            self.assertEqual((after["id"], after["file"], after["content_hash"]),
                             (before["id"], before["file"], before["content_hash"]))
            self.assertEqual(server.get("/ready")[0], 200)
            status, _, answer = server.post("/v1/completions", completion_body(max_tokens=3))
            self.assertEqual(status, 200, answer)
            self.assertEqual(reloads(server, "failure"), 1)
            self.assertIn("reload failed", server.stderr_text())

            set_config_model(server, DEMO)
            status, _, body = server.post("/admin/reload", {}, headers=admin, timeout=60)
            self.assertEqual(status, 200, body)
            reply = json.loads(body)
            self.assertEqual(reply["status"], "reloaded")
            self.assertEqual(reply["model"]["file"], os.path.basename(DEMO))
            self.assertEqual(served(server)["content_hash"], reply["model"]["content_hash"])
            self.assertNotIn(ADMIN, server.stderr_text(), "the admin key is never logged")
            self.assertEqual(server.stop(timeout=15), 0, server.stderr_text()[-2000:])
        finally:
            server.kill()

    def test_a_model_file_rewritten_in_place_is_reloaded(self):
        # The same path and size, a new modification time: an operator who
        # copies a new build of the model over the old file and sends SIGHUP.
        with tempfile.TemporaryDirectory() as folder:
            server = KeelServer("--access-log", "", model=(path := copy_of(MODEL, folder)))
            try:
                before = reloads(server, "success")
                server.signal(signal.SIGHUP)
                server.wait_until(lambda: reloads(server, "unchanged") >= 1, what="an unchanged file left alone")
                self.assertEqual(reloads(server, "success"), before)
                rewrite_in_place(path)
                server.signal(signal.SIGHUP)
                server.wait_until(lambda: reloads(server, "success") == before + 1, what="the rewritten file reloaded")
                self.assertEqual(server.post("/v1/completions", completion_body("Hi", max_tokens=2, model="model.gguf"))[0], 200)
                self.assertEqual(server.stop(timeout=15), 0)
            finally:
                server.kill()

    @unittest.skipIf(SANITIZED, "resident memory is the sanitizer's as much as keel's")
    def test_reloads_give_the_replaced_models_memory_back(self):
        # Each reload swaps in a new copy of the model and drops the old one
        # once it drains; the old one's buffers (KV pool, workspace) must go
        # back to the system, not stay in the allocator: anonymous memory
        # after ten reloads is within a few MB of where it was after one.
        with tempfile.TemporaryDirectory() as folder:
            server = KeelServer("--access-log", "", model=(path := copy_of(DEMO, folder)))
            try:
                def anonymous_kb():
                    with open(f"/proc/{server.process.pid}/status") as status:
                        return next(int(line.split()[1]) for line in status if line.startswith("RssAnon:"))

                def reload(count):
                    for _ in range(count):
                        body = completion_body("What is 1 + 1?", max_tokens=4, model="model.gguf")
                        self.assertEqual(server.post("/v1/completions", body)[0], 200)
                        before = reloads(server, "success")
                        rewrite_in_place(path)
                        server.signal(signal.SIGHUP)
                        server.wait_until(lambda: reloads(server, "success") == before + 1, what="the reload")
                        # The replaced model goes once its last request ends (none runs).
                        time.sleep(0.3)

                reload(1)
                after_one = anonymous_kb()
                reload(9)
                grown_mb = (anonymous_kb() - after_one) / 1024
                # Before the CPU backend mapped its large buffers, ten reloads of
                # this model held about 85 MB more.
                self.assertLess(grown_mb, 16, f"anonymous memory grew {grown_mb:.1f} MB over nine reloads")
                self.assertEqual(server.stop(timeout=15), 0)
            finally:
                server.kill()

    def test_admin_reload_is_off_without_an_admin_key(self):
        server = KeelServer("--access-log", "")
        try:
            status, _, body = server.post("/admin/reload", {}, headers={"Authorization": "Bearer x"})
            self.assertEqual(status, 403, body)
            self.assertIn("--admin-key", json.loads(body)["error"]["message"])
            self.assertEqual(server.stop(timeout=15), 0)
        finally:
            server.kill()

    def test_sigterm_during_a_reload_drains_and_exits_0(self):
        server = KeelServer("--max-seqs", 4, "--enable-test-hooks",
                            config='model = "%s"\naccess-log = ""\n' % MODEL)
        try:
            load, results = held_streams(server, "term", 8, max_tokens=80)
            set_config_model(server, DEMO)
            server.signal(signal.SIGHUP)
            server.signal(signal.SIGTERM)
            # Draining: the streams are still held; let them go.
            server.wait_until(lambda: "draining" in server.stderr_text(), timeout=20, what="the drain")
            self.assertEqual(server.post("/debug/stall", {"stalled": False})[0], 200)
            self.assertEqual(server.wait(timeout=40), 0, server.stderr_text()[-2000:])
            load.join(timeout=30)
            self.assertEqual(len(results), 8)
            for result in results:
                self.assertEqual((result.status, result.done, result.error), (200, True, None))
                self.assertEqual(result.finish_reasons(), ["length"])
        finally:
            server.kill()


if __name__ == "__main__":
    unittest.main()
