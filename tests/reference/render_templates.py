#!/usr/bin/python3
"""Render the golden chat-template fixtures with Python jinja2, configured as
Hugging Face transformers configures it in apply_chat_template.

For every template (the real ones in shared/testdata/templates plus the
hand-written ones in tests/golden/templates/extra) and every case in
tests/golden/templates/conversations.json, writes
tests/golden/templates/expected/<template>__<case>.txt with the exact bytes,
or <template>__<case>.error holding the raise_exception / jinja error message.

Deterministic: strftime_now is pinned to a fixed date, nothing reads the clock.
Run with Debian's interpreter: /usr/bin/python3 tests/reference/render_templates.py
"""
import datetime
import json
import pathlib
import sys

import jinja2
from jinja2.ext import loopcontrols
from jinja2.sandbox import ImmutableSandboxedEnvironment

ROOT = pathlib.Path(__file__).resolve().parents[2]
SHARED_TEMPLATES = ROOT.parent / "shared" / "testdata" / "templates"
GOLDEN = ROOT / "tests" / "golden" / "templates"
FIXED_NOW = datetime.datetime(2024, 7, 26, 12, 0, 0)


class TemplateError(Exception):
    pass


def raise_exception(message):
    raise TemplateError(message)


def tojson(x, ensure_ascii=False, indent=None, separators=None, sort_keys=False):
    # transformers overrides jinja's HTML-safe tojson with plain json.dumps.
    return json.dumps(x, ensure_ascii=ensure_ascii, indent=indent,
                      separators=separators, sort_keys=sort_keys)


def strftime_now(fmt):
    return FIXED_NOW.strftime(fmt)


def make_environment():
    # transformers also registers an AssistantTracker extension for
    # {% generation %}; it renders its body unchanged, which none of the
    # templates here depend on.
    env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True,
                                        extensions=[loopcontrols])
    env.filters["tojson"] = tojson
    env.globals["raise_exception"] = raise_exception
    env.globals["strftime_now"] = strftime_now
    return env


def template_files():
    files = sorted(SHARED_TEMPLATES.glob("*.jinja")) + sorted((GOLDEN / "extra").glob("*.jinja"))
    return [(f.stem, f.read_text(encoding="utf-8")) for f in files]


def special_tokens(spec, template_name):
    for prefix, tokens in spec["special_tokens"].items():
        if template_name.startswith(prefix):
            return tokens
    return spec["special_tokens"]["default"]


def render(env, source, case, tokens):
    # apply_chat_template merges {**special_tokens_map, **kwargs}: a variable
    # the caller passes (bos_token included) wins over the tokenizer's.
    variables = dict(tokens)
    variables.update(case.get("extra_variables", {}))
    # apply_chat_template always passes tools and documents (None when absent).
    variables["messages"] = case["messages"]
    variables["tools"] = case.get("tools")
    variables["documents"] = None
    variables["add_generation_prompt"] = case.get("add_generation_prompt", True)
    return env.from_string(source).render(**variables)


def main():
    spec = json.loads((GOLDEN / "conversations.json").read_text(encoding="utf-8"))
    out_dir = GOLDEN / "expected"
    out_dir.mkdir(parents=True, exist_ok=True)
    for stale in out_dir.iterdir():
        stale.unlink()
    env = make_environment()
    count = 0
    for name, source in template_files():
        tokens = special_tokens(spec, name)
        for case in spec["cases"]:
            stem = f"{name}__{case['name']}"
            try:
                text = render(env, source, case, tokens)
                (out_dir / (stem + ".txt")).write_bytes(text.encode("utf-8"))
            except (TemplateError, jinja2.TemplateError) as error:
                (out_dir / (stem + ".error")).write_bytes(str(error).encode("utf-8"))
            count += 1
    print(f"wrote {count} expected renderings to {out_dir}", file=sys.stderr)


if __name__ == "__main__":
    main()
