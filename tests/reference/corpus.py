"""Deterministic text used to train the fixture tokenizers and to test them.

Everything here is generated from fixed word lists and a seeded random.Random,
so the same Python version always produces the same corpus.
"""
from __future__ import annotations

import random

_EN = (
    "the of and to in is was that for it with as his on be at by had are but from or have an they which one you "
    "were all she there would their we him been has when who will no more if out so up said what its about than "
    "into them can only other time new some could these two may first then do any like my now over such our man "
    "me even most made after also did many off before must well back through years much where your way down "
    "should because long each just state people those too how little good world very still own see men work "
    "model token server memory latency request batch cache block prefix decode prefill tensor weight layer "
    "attention rotary embedding vocabulary merge byte stream quick brown fox jumps lazy dog hello friend"
).split()

_CODE = [
    "def add(a, b):\n    return a + b\n",
    "for (int i = 0; i < n; ++i) {\n\tsum += x[i] * y[i];\n}\n",
    "if (err != nullptr) { return Status::Error(\"bad input\"); }\n",
    "import numpy as np\nx = np.zeros((4, 4), dtype=np.float32)\n",
    "class Cache:\n    def __init__(self, n):\n        self.n = n\n        self.blocks = []\n",
    "    while True:\n        line = f.readline()\n        if not line:\n            break\n",
    "const auto& t = tensors.at(\"blk.0.attn_q.weight\");\n",
    "SELECT id, name FROM users WHERE age >= 18 ORDER BY name;\n",
    "{\"role\": \"user\", \"content\": \"Hello!\"}\n",
    "std::vector<float> logits(vocab_size, 0.0f);\n",
    "  return x * 2 + 1; // double it\n",
    "x += 1234567; y = 0x7fff; z = 3.14159;\n",
]

_CJK = [
    "你好，世界！", "我想在苹果工作", "今天天气很好。", "模型推理服务器", "大语言模型", "中文分词测试",
    "こんにちは世界", "東京は大きい都市です。", "안녕하세요 세계", "机器学习和深度学习", "缓存命中率",
]

_EMOJI = ["🚀", "😀", "🦙", "✅", "👍🏽", "👨\u200d👩\u200d👧\u200d👦", "🇺🇸", "❤️", "😶\u200d🌫️", "🔥🔥", "🎉"]

_MISC = [
    "I'm sure it's fine, don't worry, they'll see, we've done it, you'd know.",
    "HE'LL say WE'VE got it; SHE'D agree.",
    "Numbers: 1 22 333 4444 55555 2024-06-01 3.5 1,000,000 42%.",
    "Café naïve résumé coöperate São Paulo Zürich",
    "Привет, мир! Это тест.",
    "Γειά σου Κόσμε",
    "مرحبا بالعالم",
    "नमस्ते दुनिया",
    "tabs\tand\tspaces   and\n\nnewlines\r\n",
    "email: someone@example.com, url: https://example.com/a?b=c&d=e",
    "------======= ...... !!!!!! ?????? '''''' ``````",
]


def training_corpus(n_lines: int = 4000, seed: int = 1234) -> list[str]:
    rng = random.Random(seed)
    lines: list[str] = []
    for i in range(n_lines):
        kind = rng.random()
        if kind < 0.55:
            n = rng.randint(4, 16)
            words = [rng.choice(_EN) for _ in range(n)]
            if rng.random() < 0.3:
                words[0] = words[0].capitalize()
            s = " ".join(words)
            s += rng.choice([".", ",", "!", "?", ";", ":", ""])
            if rng.random() < 0.2:
                s += " " + str(rng.randint(0, 99999))
            lines.append(s)
        elif kind < 0.75:
            lines.append(rng.choice(_CODE))
        elif kind < 0.87:
            lines.append(rng.choice(_CJK) + rng.choice(["", " ", "。", rng.choice(_EMOJI)]))
        elif kind < 0.93:
            lines.append(rng.choice(_EMOJI) + " " + rng.choice(_EN) + " " + rng.choice(_EMOJI))
        else:
            lines.append(rng.choice(_MISC))
    return lines


# The fixed sentence whose tokenization (truncated) is the model prompt.
PROMPT_TEXT = ("The quick brown fox said: \"I'm fine, don't worry!\" 你好，世界 🚀 "
               "def add(a, b): return a + b  # 1234567")


def hard_strings() -> list[bytes]:
    """Inputs for tokenizer expected.jsonl (bytes; some are invalid UTF-8)."""
    texts = [
        "", " ", "  ", "   ", "\t", "\t\t", "\n", "\n\n", "\n\n\n", "\r\n", "\r\n\r\n", " \n", "\n ", " \t\n ",
        "Hello", " Hello", "  Hello", "Hello world", "Hello  world", "Hello\tworld", "Hello\nworld",
        "hello   \n\n   world  ", "trailing spaces   ", "   leading spaces",
        "I'm don't HE'LL we've SHE'D you're it's", "'s 't 're 've 'm 'll 'd", "'S 'T 'RE 'VE 'M 'LL 'D",
        "don’t (curly apostrophe)",
        "1", "12", "123", "1234", "1234567", "3.14159", "1,000,000", "2024-06-01", "a1b2c3", "x=123456789012",
        "你好，世界！", "我想在apple工作1314151天～", "こんにちは世界", "안녕하세요", "東京タワー",
        "🚀", "🚀🚀🚀", "👍🏽", "👨\u200d👩\u200d👧\u200d👦", "😶\u200d🌫️", "🇺🇸🇯🇵", "❤️", "✅ done",
        "e\u0301", "Cafe\u0301 nai\u0308ve", "\u0915\u094d\u0937", "Zürich São Paulo",
        "Привет, мир!", "Γειά σου", "مرحبا", "\u00a0nbsp\u00a0", "\u3000ideographic space", "\u200bzero width",
        "def add(a, b):\n    return a + b\n", "for (int i = 0; i < n; ++i) {\n\tsum += x[i];\n}",
        "if (x != nullptr && y->z) { return 0; }", "<div class=\"a\">text</div>", "SELECT * FROM t;",
        "------======= ...... !!!!!! ?????? '''''' ``````", "\"\"\"docstring\"\"\"",
        "The quick brown fox jumps over the lazy dog.", "model token server memory latency",
        "<|im_start|>user\nHello<|im_end|>", "<|im_start|>assistant\n", "<|endoftext|>",
        "<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|>",
        "[gMASK]<sop><|user|>\nHello<|assistant|>", "<think>\nok\n</think>\n\n", "<tool_call>{}</tool_call>",
        "<s>[INST] hi [/INST]</s>", "text<|im_end|>more", " <|im_start|> spaced ",
        "\u2581already\u2581has\u2581metaspace", "~!@#$%^&*()_+`-=[]\\{}|;':\",./<>?",
        "a" * 40, "ab" * 20, " " * 17 + "x",
    ]
    out = [t.encode("utf-8") for t in texts]
    # invalid UTF-8
    out += [
        b"\xff", b"abc\xffdef", b"\xc3", b"\xc3(", b"\xe4\xbd", b"\xe4\xbd\xa0\xe5", b"\xed\xa0\x80",
        b"\xf0\x9f\x9a", b"\x80\x80hello", b"\xc0\xaf", b"ok \xfe\xfe ok",
    ]
    return out
