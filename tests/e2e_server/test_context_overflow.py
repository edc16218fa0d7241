"""--context-overflow: a chat conversation longer than the context is a 400
by default; with `truncate` the oldest whole turns after the system message
are dropped until the prompt fits with room for max_tokens, the response
says how many messages went (usage.prompt_tokens_details.truncated_messages),
and the shipped demo model still answers the last question of a 50-turn
conversation right. With `shift` the prompt is truncated the same way, and
generation runs past the context: the choice goes on from the system
message and the newest half of the rest, as one unbroken stream whose
usage counts the shifts."""

import json
import os
import random
import unittest

from keel_server import REPO, KeelServer
from stream_client import run_all, stream

DEMO = os.path.join(REPO, "models", "keel-demo-glm4-q8_0.gguf")


def conversation(turns, seed=1):
    """A system message and `turns` answered sums (as the demo model answers them)."""
    rng = random.Random(seed)
    messages = [{"role": "system", "content": "You answer arithmetic questions."}]
    for _ in range(turns):
        a, b = rng.randint(100, 999), rng.randint(100, 999)
        messages.append({"role": "user", "content": f"What is {a} + {b}?"})
        messages.append({"role": "assistant", "content": str(a + b)})
    return messages


def chat(server, messages, max_tokens=8):
    body = {"messages": messages, "max_tokens": max_tokens, "temperature": 0}
    status, _, raw = server.post("/v1/chat/completions", body)
    return status, json.loads(raw)


class ContextOverflow(unittest.TestCase):
    def test_default_is_an_error_that_names_the_context(self):
        server = KeelServer("--max-context", 96, "--access-log", "", model=DEMO)
        try:
            status, body = chat(server, conversation(50) + [{"role": "user", "content": "What is 347 + 285?"}])
            self.assertEqual(status, 400)
            self.assertIn("context", body["error"]["message"])
        finally:
            self.assertEqual(server.stop(), 0)

    def test_truncate_drops_the_oldest_turns_and_the_last_question_is_answered(self):
        server = KeelServer("--max-context", 96, "--context-overflow", "truncate", "--access-log", "", model=DEMO)
        try:
            history = conversation(50)
            for question, answer in [("What is 347 + 285?", "632"), ("What is 120 + 45?", "165"),
                                     ("What is the capital of Kenya?", "Nairobi")]:
                status, body = chat(server, history + [{"role": "user", "content": question}])
                self.assertEqual(status, 200, body)
                self.assertEqual(body["choices"][0]["message"]["content"], answer)
                usage = body["usage"]
                dropped = usage["prompt_tokens_details"]["truncated_messages"]
                self.assertGreater(dropped, 0)
                self.assertEqual(dropped % 2, 0, "whole turns (a question and its answer) are dropped")
                self.assertLessEqual(usage["prompt_tokens"] + 8, 96)
            # A conversation that fits is sent whole, and says nothing of truncation.
            status, body = chat(server, conversation(1) + [{"role": "user", "content": "What is 347 + 285?"}])
            self.assertEqual(status, 200, body)
            self.assertNotIn("truncated_messages", body["usage"]["prompt_tokens_details"])
            # A last question that alone does not fit is still an error.
            status, body = chat(server, [{"role": "user", "content": "What is 1 + 1? " * 60}])
            self.assertEqual(status, 400)
        finally:
            self.assertEqual(server.stop(), 0)

    def test_shift_answers_the_last_question_and_generates_past_the_context(self):
        server = KeelServer("--max-context", 96, "--context-overflow", "shift", "--access-log", "", model=DEMO)
        try:
            # Admission: as truncate.
            status, body = chat(server, conversation(50) + [{"role": "user", "content": "What is 347 + 285?"}])
            self.assertEqual(status, 200, body)
            self.assertEqual(body["choices"][0]["message"]["content"], "632")
            self.assertGreater(body["usage"]["prompt_tokens_details"]["truncated_messages"], 0)

            # Generation: 200 tokens through a 96-token context.
            messages = conversation(1) + [{"role": "user", "content": "What is 120 + 45?"}]
            request = {"messages": messages, "max_tokens": 200, "temperature": 0, "ignore_eos": True}
            status, body = chat_raw(server, request)
            self.assertEqual(status, 200, body)
            usage = body["usage"]
            self.assertEqual(usage["completion_tokens"], 200)
            self.assertGreaterEqual(usage["completion_tokens_details"]["context_shifts"], 2)
            self.assertLess(usage["prompt_tokens"], 96, "the prompt is the client's, counted once")
            self.assertEqual(body["choices"][0]["finish_reason"], "length")

            # The same as a stream: one unbroken run of deltas, one finish, the shifts in the usage chunk.
            streamed = dict(request, stream=True, stream_options={"include_usage": True})
            result = run_all([stream(server.port, "/v1/chat/completions", streamed, timeout=60)])[0]
            self.assertEqual((result.status, result.done, result.error), (200, True, None))
            self.assertEqual(result.finish_reasons(), ["length"])
            final = [event for event in result.events if event.get("usage")]
            self.assertEqual(len(final), 1)
            self.assertEqual(final[0]["usage"]["completion_tokens"], 200)
            self.assertEqual(final[0]["usage"]["completion_tokens_details"]["context_shifts"],
                             usage["completion_tokens_details"]["context_shifts"])
            text = "".join(event["choices"][0]["delta"].get("content", "") for event in result.events
                           if event.get("choices"))
            self.assertEqual(text, body["choices"][0]["message"]["content"], "greedy: the stream says the same")

            # A request held to a grammar does not slide: its max_tokens must fit, as under `error`.
            status, body = chat_raw(server, dict(request, response_format={"type": "json_object"}))
            self.assertEqual(status, 400, body)
            constrained = dict(request, max_tokens=50, response_format={"type": "json_object"})
            status, body = chat_raw(server, constrained)
            self.assertEqual(status, 200, body)
            self.assertNotIn("completion_tokens_details", body["usage"])
        finally:
            self.assertEqual(server.stop(), 0)


def chat_raw(server, body):
    status, _, raw = server.post("/v1/chat/completions", body, timeout=60)
    return status, json.loads(raw)


if __name__ == "__main__":
    unittest.main()
