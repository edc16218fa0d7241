"""Streaming clients on raw asyncio sockets: thousands of them fit in one
process, and each can hang up at any chosen moment."""

import asyncio
import json
import resource

from keel_server import HOST, streaming_request


def raise_descriptor_limit():
    """Lets this process hold a few thousand sockets."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


class StreamResult:
    def __init__(self):
        self.status = None
        self.headers = {}      # lower-case names
        self.body = b""        # the whole body of a non-200 answer
        self.events = []       # parsed JSON of each `data:` event
        self.done = False      # `data: [DONE]` arrived
        self.error = None

    def text(self):
        return "".join(choice.get("text", choice.get("delta", {}).get("content", "")) or ""
                       for event in self.events for choice in event.get("choices", []))

    def finish_reasons(self):
        return [choice["finish_reason"] for event in self.events for choice in event.get("choices", [])
                if choice.get("finish_reason")]


async def stream(port, path, body, timeout=60.0, hang_up_after_events=None, hang_up_after_send=False):
    """POSTs a streaming request and reads its SSE events.

    hang_up_after_events=k closes the socket once k events arrived;
    hang_up_after_send closes it as soon as the request is written."""
    result = StreamResult()
    writer = None
    try:
        reader, writer = await asyncio.wait_for(asyncio.open_connection(HOST, port), timeout)
        writer.write(streaming_request(path, body, "Connection: close\r\n"))
        await writer.drain()
        if hang_up_after_send:
            return result
        await asyncio.wait_for(_read(reader, result, hang_up_after_events), timeout)
    except (asyncio.TimeoutError, OSError) as error:
        result.error = repr(error)
    finally:
        if writer is not None:
            writer.close()
    return result


async def _read(reader, result, hang_up_after_events):
    status_line = await reader.readline()
    result.status = int(status_line.split()[1]) if status_line else None
    while True:
        line = await reader.readline()
        if line in (b"\r\n", b""):
            break
        name, _, value = line.decode("latin-1").partition(":")
        result.headers[name.strip().lower()] = value.strip()
    if result.status != 200:
        result.body = await reader.readexactly(int(result.headers.get("content-length", "0")))
        return
    # The body is chunked; SSE lines lie inside the chunks. Read whole
    # chunks and split events on blank lines.
    pending = b""
    while True:
        size_line = await reader.readline()
        if not size_line:
            return
        size = int(size_line.strip() or b"0", 16)
        if size == 0:
            return
        pending += await reader.readexactly(size)
        await reader.readexactly(2)
        while b"\n\n" in pending:
            event, pending = pending.split(b"\n\n", 1)
            data = event[len(b"data: "):]
            if data == b"[DONE]":
                result.done = True
            else:
                result.events.append(json.loads(data))
            if hang_up_after_events is not None and len(result.events) >= hang_up_after_events:
                return


def run_all(coroutines):
    async def gather():
        return await asyncio.gather(*coroutines)
    return asyncio.run(gather())
