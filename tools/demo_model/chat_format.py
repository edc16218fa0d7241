"""The demo model's chat format (GLM-4 style) and the conversations it is trained on.

chat_template.jinja is the template shipped in tokenizer_config.json; render()
is the same format written in Python so that the training data loader does not
need a Jinja environment per example. test_render_matches_template() checks the
two agree (run this file).

A conversation is rendered as
  [gMASK]<sop>[<|system|>\\nSYSTEM]<|user|>\\nQ1<|assistant|>\\nA1 ... <|user|>\\nQ<|assistant|>\\n
and the model is trained to continue with the answer followed by <|endoftext|>,
the end-of-generation token every keel entry point stops at.
"""
from __future__ import annotations

import random
from pathlib import Path

import tasks

TEMPLATE_PATH = Path(__file__).resolve().parent / "chat_template.jinja"
END_OF_ANSWER = "<|endoftext|>"
SPECIAL_TOKENS = ["<|endoftext|>", "[MASK]", "[gMASK]", "[sMASK]", "<sop>", "<eop>", "<|system|>", "<|user|>",
                  "<|assistant|>", "<|observation|>"]

# Some training conversations carry a system prompt or an earlier turn, so that
# a client that sends one (as OpenAI clients often do) still gets an answer.
_SYSTEM_PROMPTS = ["You are a helpful assistant.", "You are a concise assistant. Answer briefly.",
                   "You are keel's demo model.", "Answer the question."]


def render(messages: list[dict], add_generation_prompt: bool) -> str:
    parts = ["[gMASK]<sop>"]
    for message in messages:
        parts.append(f"<|{message['role']}|>\n{message['content']}")
    if add_generation_prompt:
        parts.append("<|assistant|>\n")
    return "".join(parts)


def training_conversation(rng: random.Random, example: tasks.Example) -> list[dict]:
    """Messages before the final assistant turn: optional system prompt, optional earlier turn, the question."""
    messages: list[dict] = []
    if rng.random() < 0.1:
        messages.append({"role": "system", "content": rng.choice(_SYSTEM_PROMPTS)})
    if rng.random() < 0.1:
        earlier = tasks.draw(rng)
        messages.append({"role": "user", "content": earlier.question})
        messages.append({"role": "assistant", "content": earlier.answer})
    messages.append({"role": "user", "content": example.question})
    return messages


def test_render_matches_template() -> None:
    import jinja2
    env = jinja2.Environment(trim_blocks=True, lstrip_blocks=True)  # as transformers configures it
    template = env.from_string(TEMPLATE_PATH.read_text(encoding="utf-8"))
    rng = random.Random(7)
    for _ in range(200):
        messages = training_conversation(rng, tasks.draw(rng))
        for generation_prompt in (True, False):
            expected = template.render(messages=messages, add_generation_prompt=generation_prompt)
            assert render(messages, generation_prompt) == expected, (messages, expected)
    print("render() matches chat_template.jinja")


if __name__ == "__main__":
    test_render_matches_template()
