"""HAProxy (deploy/haproxy/keel.cfg, Debian's haproxy) over two keel serve
instances and a spare, on loopback. Under a streaming load one instance is
stopped (SIGTERM: it drains, then exits) and the other's engine stalls past
--stall-timeout for a few seconds. No request fails: HAProxy takes both out
of the pool on their /ready, retries the requests they refuse on another
instance, and the spare serves while neither is up; its stats show it."""

import asyncio
import csv
import io
import os
import shutil
import signal
import socket
import subprocess
import time
import unittest
import urllib.request

from keel_server import HOST, REPO, KeelServer, completion_body
from stream_client import stream

CONFIG = os.path.join(REPO, "deploy", "haproxy", "keel.cfg")


def free_port():
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def haproxy_stats(port):
    """Rows of HAProxy's CSV stats by server name."""
    with urllib.request.urlopen(f"http://{HOST}:{port}/stats;csv", timeout=5) as response:
        text = response.read().decode().lstrip("# ")
    return {row["svname"]: row for row in csv.DictReader(io.StringIO(text)) if row["pxname"] == "keel"}


async def load(lb_port, servers, seconds, workers=6):
    """Streams through HAProxy for `seconds`; stops keel1 at 2 s, stalls
    keel2 from 3 s to 7 s. Returns every request's result."""
    results = []
    deadline = time.monotonic() + seconds
    body = completion_body("load", max_tokens=24, stream=True, ignore_eos=True)

    async def worker():
        while time.monotonic() < deadline:
            results.append(await stream(lb_port, "/v1/completions", body, timeout=60))

    async def faults():
        loop = asyncio.get_running_loop()
        await asyncio.sleep(2)
        servers[0].signal(signal.SIGTERM)
        await asyncio.sleep(1)
        await loop.run_in_executor(None, lambda: servers[1].post("/debug/stall", {"stalled": True}))
        await asyncio.sleep(4)
        await loop.run_in_executor(None, lambda: servers[1].post("/debug/stall", {"stalled": False}))

    await asyncio.gather(faults(), *(worker() for _ in range(workers)))
    return results


class HaproxyDrainAndStall(unittest.TestCase):
    def test_no_request_fails_while_instances_drain_and_stall(self):
        haproxy = shutil.which("haproxy") or "/usr/sbin/haproxy"
        self.assertTrue(os.path.exists(haproxy), "haproxy (Debian package haproxy) is not installed")
        servers = [KeelServer("--enable-test-hooks", "--stall-timeout", 1, "--drain-timeout", 20,
                              "--access-log", "") for _ in range(3)]
        lb_port, stats_port = free_port(), free_port()
        env = dict(os.environ, KEEL_LB_MAXCONN="400", KEEL_LB_BIND=f"{HOST}:{lb_port}", KEEL_LB_STATS=f"{HOST}:{stats_port}",
                   KEEL_1=f"{HOST}:{servers[0].port}", KEEL_2=f"{HOST}:{servers[1].port}",
                   KEEL_SPARE=f"{HOST}:{servers[2].port}")
        proxy = subprocess.Popen([haproxy, "-db", "-f", CONFIG], env=env, stdin=subprocess.DEVNULL,
                                 stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        try:
            deadline = time.monotonic() + 20
            while True:
                try:
                    stats = haproxy_stats(stats_port)
                    if stats["keel1"]["status"] == "UP" and stats["keel2"]["status"] == "UP":
                        break
                except OSError:
                    pass
                self.assertLess(time.monotonic(), deadline, "HAProxy did not see both instances up")
                time.sleep(0.1)

            results = asyncio.run(load(lb_port, servers, seconds=10))
            failed = [(r.status, r.done, r.body[:200] if hasattr(r, "body") else "") for r in results
                      if r.status != 200 or not r.done]
            self.assertEqual(failed, [], f"{len(failed)} of {len(results)} requests failed")
            self.assertGreater(len(results), 30)

            stats = haproxy_stats(stats_port)
            self.assertTrue(stats["keel1"]["status"].startswith("DOWN"), stats["keel1"]["status"])
            self.assertGreater(int(stats["spare"]["stot"]), 0, "the spare never served")
            self.assertEqual(servers[0].wait(timeout=30), 0, "the stopped instance did not drain and exit 0")
        finally:
            proxy.terminate()
            proxy.wait(timeout=10)
            servers[0].kill()  # stopped by the test when it got that far; never left running
            for server in servers[1:]:
                self.assertEqual(server.stop(), 0)


if __name__ == "__main__":
    unittest.main()
