"""Load: 1,000 concurrent streams all complete; 1,000 clients that hang up
(mid-stream in decode, right after sending while queued or in prefill, or
while waiting for a non-streaming answer) leave the KV pool exactly as it
was and resident memory within 1 MiB of where it was."""

import asyncio
import time
import unittest

from keel_server import HOST, SANITIZED, KeelServer, chat_body, completion_body, streaming_request
from stream_client import raise_descriptor_limit, run_all, stream


def kv_pool(metrics):
    return {state: metrics[f'keel:kv_blocks{{state="{state}"}}'] for state in ("free", "used", "cached")}


class Load(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.descriptors = raise_descriptor_limit()
        # No prefix cache: a finished request's blocks go back to "free", so
        # "exactly as it was" is exact (with the cache they would park in "cached").
        cls.server = KeelServer("--max-queue", 2000, "--max-seqs", 32, "--no-prefix-cache", "--access-log", "")
        cls.rss_before = cls.server.metrics()["process_resident_memory_bytes"]

    @classmethod
    def tearDownClass(cls):
        rss_after = cls.server.metrics()["process_resident_memory_bytes"]
        print(f"\nresident memory: {cls.rss_before / 2**20:.1f} MiB before the load, "
              f"{rss_after / 2**20:.1f} MiB after", flush=True)
        assert cls.server.stop() == 0

    def wait_idle(self):
        def idle():
            m = self.server.metrics()
            return (m["keel:requests_in_flight"] == 0 and m["keel:num_requests_running"] == 0
                    and m["keel:num_requests_waiting"] == 0)
        self.server.wait_until(idle, timeout=30, what="the engine to go idle")

    def test_1000_concurrent_streams(self):
        self.assertGreaterEqual(self.descriptors, 1100)
        count = 1000
        start = time.monotonic()
        coroutines = []
        for i in range(count):
            if i % 2:
                body = completion_body(f"request {i}", max_tokens=4, stream=True, ignore_eos=True)
                coroutines.append(stream(self.server.port, "/v1/completions", body, timeout=100))
            else:
                body = chat_body(f"request {i}", max_tokens=4, stream=True, ignore_eos=True)
                coroutines.append(stream(self.server.port, "/v1/chat/completions", body, timeout=100))
        results = run_all(coroutines)
        elapsed = time.monotonic() - start
        failures = [(r.status, r.error) for r in results if not (r.status == 200 and r.done)]
        self.assertEqual(failures, [], f"{len(failures)} of {count} streams failed")
        for r in results:
            self.assertEqual(r.finish_reasons(), ["length"])
        print(f"\n1000 concurrent streams completed in {elapsed:.1f} s", flush=True)
        self.wait_idle()

    def disconnect_round(self):
        """1,000 clients that hang up (plus 20 non-streaming ones); returns
        the metrics before and after, once the engine is idle again."""
        self.wait_idle()
        before = self.server.metrics()
        self.assertEqual(before['keel:kv_blocks{state="used"}'], 0)
        body = completion_body("a prompt long enough to fill more than one block of the cache " * 2,
                               max_tokens=150, stream=True, ignore_eos=True)
        chat = chat_body("hang up on me", max_tokens=150, stream=True, ignore_eos=True)
        quiet = completion_body("no stream", max_tokens=150, ignore_eos=True)

        async def hang_up_quietly(delay):
            # A non-streaming client that gives up before its answer.
            reader, writer = await asyncio.open_connection(HOST, self.server.port)
            writer.write(streaming_request("/v1/completions", quiet))
            await writer.drain()
            await asyncio.sleep(delay)
            writer.close()

        coroutines = []
        for i in range(1000):
            if i % 4 == 3:
                coroutines.append(stream(self.server.port, "/v1/chat/completions", chat, timeout=60,
                                         hang_up_after_events=2))
            elif i % 4 == 2:  # right after sending: while queued or in prefill
                coroutines.append(stream(self.server.port, "/v1/completions", body, timeout=60,
                                         hang_up_after_send=True))
            else:  # during decode
                coroutines.append(stream(self.server.port, "/v1/completions", body, timeout=60,
                                         hang_up_after_events=1 + i % 5))
        coroutines += [hang_up_quietly(0.01 * (i % 10)) for i in range(20)]
        results = run_all(coroutines)
        errors = [r.error for r in results[:1000] if r.error]
        self.assertEqual(errors, [])
        self.wait_idle()
        after = self.server.metrics()
        self.assertEqual(kv_pool(after), kv_pool(before))
        aborted = after['keel:request_success_total{finished_reason="abort"}'] - \
            before['keel:request_success_total{finished_reason="abort"}']
        # A few may finish before the server notices the hang-up; most must be cancelled.
        self.assertGreaterEqual(aborted, 750)
        return before, after

    def test_disconnects_free_kv_blocks_and_memory(self):
        # The first rounds raise the allocator's high-water mark (connection
        # buffers, per-thread arenas); the last must not move it.
        self.disconnect_round()
        self.disconnect_round()
        before, after = self.disconnect_round()
        rss_before, rss_after = before["process_resident_memory_bytes"], after["process_resident_memory_bytes"]
        print(f"\n1000 disconnects: resident memory {rss_before / 2**20:.2f} MiB before, "
              f"{rss_after / 2**20:.2f} MiB after", flush=True)
        if not SANITIZED:
            self.assertLess(rss_after - rss_before, 2**20, "resident memory grew by more than 1 MiB")
        # And the server still serves.
        status, _, _ = self.server.post("/v1/completions", completion_body(max_tokens=2))
        self.assertEqual(status, 200)


if __name__ == "__main__":
    unittest.main()
