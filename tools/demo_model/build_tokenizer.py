"""Train the demo model's byte-level BPE tokenizer and write its Hugging Face files.

Runs where `tokenizers` is installed (the GPU machine). The layout follows the
GLM-4 fixture tokenizer of tests/reference/tok_build.py, so keel's `glm4`
pre-tokenizer preset and llama.cpp's CHATGLM4 one both split text exactly as
tokenizer.json does: Llama-3 regex split, then ByteLevel without its own regex.

One deliberate choice: the corpus the merges are learned from has a space
between adjacent digits. No merge of two digits is learned, so every number is
spelled one token per digit, which is what makes column-wise arithmetic
learnable for a model this small. (The regex still groups up to 3 digits into
one pre-token; with no digit merges each digit stays its own token.)
"""
from __future__ import annotations

import json
import random
import re
from pathlib import Path

import chat_format
import tasks

LLAMA3_PATTERN = (r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*"
                  r"|\s*[\r\n]+|\s+(?!\S)|\s+")
TRAINED_VOCAB = 1014  # byte symbols + merges; the 10 GLM-4 special tokens come after
CORPUS_SEED = 4242
CORPUS_EXAMPLES = 200_000


def corpus() -> list[str]:
    rng = random.Random(CORPUS_SEED)
    lines = list(chat_format._SYSTEM_PROMPTS)
    lines += [chat_format.tojson(tasks.WEATHER_TOOL["function"])]
    for _ in range(CORPUS_EXAMPLES):
        example = tasks.draw(rng)
        lines.append(example.question)
        lines.append(example.answer)
        lines += [message["content"] for message in example.after if message.get("content")]
    return [re.sub(r"(?<=\d)(?=\d)", " ", line) for line in lines]


def build():
    from tokenizers import AddedToken, Regex, Tokenizer, decoders, models, pre_tokenizers, processors, trainers

    tokenizer = Tokenizer(models.BPE(ignore_merges=True))
    tokenizer.pre_tokenizer = pre_tokenizers.Sequence([
        pre_tokenizers.Split(Regex(LLAMA3_PATTERN), behavior="isolated", invert=False),
        pre_tokenizers.ByteLevel(add_prefix_space=False, trim_offsets=True, use_regex=False),
    ])
    tokenizer.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=TRAINED_VOCAB, min_frequency=2, show_progress=False,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), special_tokens=[])
    tokenizer.train_from_iterator(corpus(), trainer=trainer)
    tokenizer.add_special_tokens([AddedToken(s, special=True, normalized=False)
                                  for s in chat_format.SPECIAL_TOKENS])
    tokenizer.post_processor = processors.ByteLevel(trim_offsets=False)
    return tokenizer


def write_files(tokenizer, out_dir: Path, model_max_length: int) -> dict:
    """tokenizer.json + tokenizer_config.json (with the chat template); returns the ids the model config needs."""
    out_dir.mkdir(parents=True, exist_ok=True)
    tokenizer.save(str(out_dir / "tokenizer.json"))
    added = {}
    for text in chat_format.SPECIAL_TOKENS:
        added[str(tokenizer.token_to_id(text))] = {"content": text, "lstrip": False, "normalized": False,
                                                   "rstrip": False, "single_word": False, "special": True}
    config = {
        "add_bos_token": False,
        "add_eos_token": False,
        "added_tokens_decoder": added,
        "bos_token": None,
        "eos_token": "<|endoftext|>",
        "pad_token": "<|endoftext|>",
        "unk_token": None,
        "clean_up_tokenization_spaces": False,
        "model_max_length": model_max_length,
        "model_input_names": ["input_ids", "attention_mask"],
        "tokenizer_class": "PreTrainedTokenizerFast",
        "chat_template": chat_format.TEMPLATE_PATH.read_text(encoding="utf-8"),
    }
    (out_dir / "tokenizer_config.json").write_text(json.dumps(config, indent=2, ensure_ascii=False) + "\n",
                                                   encoding="utf-8")
    ids = {text: tokenizer.token_to_id(text) for text in chat_format.SPECIAL_TOKENS}
    return {"vocab_size": tokenizer.get_vocab_size(with_added_tokens=True), "ids": ids}
