"""--context-overflow: a chat conversation longer than the context is a 400
by default; with `truncate` the oldest whole turns after the system message
are dropped until the prompt fits with room for max_tokens, the response
says how many messages went (usage.prompt_tokens_details.truncated_messages),
and the shipped demo model still answers the last question of a 50-turn
conversation right."""

import json
import os
import random
import unittest

from keel_server import REPO, KeelServer

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


if __name__ == "__main__":
    unittest.main()
