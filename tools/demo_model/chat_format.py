"""The demo model's chat format (GLM-4 style) and the conversations it is trained on.

chat_template.jinja is the template shipped in tokenizer_config.json; render()
is the same format written in Python so that the training data loader does not
need a Jinja environment per example. test_render_matches_template() checks the
two agree (run this file).

A conversation is rendered as
  [gMASK]<sop>[<|system|>\\n# Tools\\nTOOL...][<|system|>\\nSYSTEM]<|user|>\\nQ1<|assistant|>\\nA1 ...
  <|user|>\\nQ<|assistant|>\\n
and the model is trained to continue with the answer followed by <|endoftext|>,
the end-of-generation token every keel entry point stops at. Tools (OpenAI
function tools) are listed one per line as the JSON of their `function`; an
assistant turn that calls one is the GLM-4 format, `NAME\\n{arguments}`; a
tool's result comes back as `<|observation|>\\nRESULT`.
"""
from __future__ import annotations

import json
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


def tojson(value) -> str:
    """The tojson filter as transformers defines it for chat templates (keys in their order, no HTML escaping)."""
    return json.dumps(value, ensure_ascii=False)


def arguments_object(call: dict):
    """A call's arguments as the server hands them to the template: a JSON string becomes the object."""
    arguments = call["function"]["arguments"]
    return json.loads(arguments) if isinstance(arguments, str) else arguments


def render(messages: list[dict], add_generation_prompt: bool, tools: list | None = None) -> str:
    parts = ["[gMASK]<sop>"]
    if tools:
        parts.append("<|system|>\n# Tools\n" + "".join(tojson(tool["function"]) + "\n" for tool in tools))
    for message in messages:
        if message["role"] == "assistant" and message.get("tool_calls"):
            parts.append("<|assistant|>\n" + "".join(f"{call['function']['name']}\n{tojson(arguments_object(call))}"
                                                      for call in message["tool_calls"]))
        elif message["role"] == "tool":
            parts.append(f"<|observation|>\n{message['content']}")
        else:
            parts.append(f"<|{message['role']}|>\n{message['content']}")
    if add_generation_prompt:
        parts.append("<|assistant|>\n")
    return "".join(parts)


def training_conversation(rng: random.Random, example: tasks.Example) -> tuple[list[dict], list]:
    """Messages before the final assistant turn (optional system prompt, optional earlier turn, the
    question, the turns after it) and the tools offered. One in ten conversations without tools of
    their own offers the weather tool anyway, so that the model calls it only when asked the weather."""
    messages: list[dict] = []
    if rng.random() < 0.1:
        messages.append({"role": "system", "content": rng.choice(_SYSTEM_PROMPTS)})
    if rng.random() < 0.1:
        earlier = tasks.draw(rng)
        if not earlier.after:
            messages.append({"role": "user", "content": earlier.question})
            messages.append({"role": "assistant", "content": earlier.answer} if not earlier.tools else
                            {"role": "assistant", "content": None, "tool_calls": [
                                {"id": "call_0", "type": "function", "function": {
                                    "name": "get_weather", "arguments": earlier.answer.split("\n", 1)[1]}}]})
    messages.append({"role": "user", "content": example.question})
    messages.extend(example.after)
    tools = list(example.tools)
    if not tools and rng.random() < 0.1:
        tools = [tasks.WEATHER_TOOL]
    return messages, tools


def evaluation_conversation(row: dict) -> tuple[list[dict], list]:
    """A held-out row (heldout.jsonl) as the messages and tools it is asked with."""
    return [{"role": "user", "content": row["question"]}, *row.get("after", [])], row.get("tools", [])


def test_render_matches_template() -> None:
    import jinja2
    env = jinja2.Environment(trim_blocks=True, lstrip_blocks=True)  # as transformers configures it,
    env.filters["tojson"] = lambda value, indent=None: json.dumps(value, ensure_ascii=False, indent=indent)  # its tojson too
    template = env.from_string(TEMPLATE_PATH.read_text(encoding="utf-8"))
    rng = random.Random(7)
    drawn = [tasks.draw(rng) for _ in range(400)] + [make(rng) for make in tasks.TASKS.values()]
    for example in drawn:
        messages, tools = training_conversation(rng, example)
        # The template sees what the server gives it: call arguments as objects.
        shown = [dict(m, tool_calls=[dict(c, function=dict(c["function"], arguments=arguments_object(c)))
                                     for c in m["tool_calls"]]) if m.get("tool_calls") else m for m in messages]
        for generation_prompt in (True, False):
            expected = template.render(messages=shown, add_generation_prompt=generation_prompt, tools=tools)
            assert render(messages, generation_prompt, tools) == expected, (messages, expected)
    print("render() matches chat_template.jinja")


if __name__ == "__main__":
    test_render_matches_template()
