#!/usr/bin/env python3
"""Measures a live `keel serve` on the shipped model (not a CTest test):
idle keep-alive connections held while serving, requests per second at
several concurrency levels, and resident memory before and after the load.

    KEEL_BINARY=build/release/apps/keel python3 tests/e2e_server/measure.py
"""

import asyncio
import json
import sys
import time

from keel_server import HOST, KeelServer, completion_body
from stream_client import raise_descriptor_limit


async def keep_alive_request(reader, writer, payload):
    """One POST on an open keep-alive connection; returns the status."""
    writer.write(payload)
    await writer.drain()
    status = int((await reader.readline()).split()[1])
    length = 0
    while True:
        line = await reader.readline()
        if line in (b"\r\n", b""):
            break
        if line.lower().startswith(b"content-length:"):
            length = int(line.split(b":")[1])
    await reader.readexactly(length)
    return status


def post_bytes(body):
    data = json.dumps(body).encode()
    return (f"POST /v1/completions HTTP/1.1\r\nHost: {HOST}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(data)}\r\n\r\n").encode() + data


async def requests_per_second(port, concurrency, seconds, max_tokens):
    payload = post_bytes(completion_body("Hello there", max_tokens=max_tokens, ignore_eos=True))
    done, failed = 0, 0
    deadline = time.monotonic() + seconds

    async def worker():
        nonlocal done, failed
        reader, writer = await asyncio.open_connection(HOST, port)
        while time.monotonic() < deadline:
            if await keep_alive_request(reader, writer, payload) == 200:
                done += 1
            else:
                failed += 1
        writer.close()
    start = time.monotonic()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return done / (time.monotonic() - start), failed


async def hold_idle_connections(port, count, serve_seconds):
    """Opens `count` keep-alive connections (each makes one request, then
    idles) and serves requests on another while they are held."""
    connections = []
    for _ in range(count):
        reader, writer = await asyncio.open_connection(HOST, port)
        writer.write(f"GET /health HTTP/1.1\r\nHost: {HOST}\r\n\r\n".encode())
        connections.append((reader, writer))
    for reader, writer in connections:
        await writer.drain()
        status_line = await reader.readline()
        assert b" 200 " in status_line, status_line
        while (await reader.readline()) != b"\r\n":
            pass
        await reader.readexactly(len(b'{"status":"ok"}'))
    rate, failed = await requests_per_second(port, 8, serve_seconds, 4)
    return connections, rate, failed


def main():
    limit = raise_descriptor_limit()
    server = KeelServer("--access-log", "", "--max-queue", 4096, "--idle-timeout", 120, "--max-seqs", 32)
    report = {}
    try:
        report["rss_idle_mib"] = server.metrics()["process_resident_memory_bytes"] / 2**20
        held = min(4000, limit - 200)
        opened, rate, failed, metrics = asyncio.run(_hold(server, held))
        report["idle_connections_opened"] = opened
        report["connections_open_per_metrics"] = int(metrics["keel:http_connections_open"])
        report["rps_while_holding (c=8, max_tokens=4)"] = round(rate, 1)
        report["failures_while_holding"] = failed
        report["rss_with_connections_mib"] = metrics["process_resident_memory_bytes"] / 2**20
        for max_tokens in (1, 16):
            for concurrency in (1, 8, 32, 128):
                rate, failed = asyncio.run(requests_per_second(server.port, concurrency, 3, max_tokens))
                report[f"rps c={concurrency} max_tokens={max_tokens}"] = round(rate, 1)
                assert failed == 0
        time.sleep(1)
        report["rss_after_load_mib"] = server.metrics()["process_resident_memory_bytes"] / 2**20
    finally:
        report["exit_status"] = server.stop()
    for name, value in report.items():
        print(f"{name}: {value:.1f}" if isinstance(value, float) else f"{name}: {value}")
    return 0


async def _hold(server, count):
    connections, rate, failed = await hold_idle_connections(server.port, count, 3)
    metrics = server.metrics()  # blocking is fine: the held connections are idle
    result = (len(connections), rate, failed, metrics)
    for _, writer in connections:
        writer.close()
    return result


if __name__ == "__main__":
    sys.exit(main())
