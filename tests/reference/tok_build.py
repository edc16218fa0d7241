"""Train the fixture tokenizers (byte-level BPE per family, and a SentencePiece BPE)
and write tokenizer reference data (expected.jsonl).

Needs: tokenizers, sentencepiece, transformers (for the SPM -> tokenizer.json step).
"""
from __future__ import annotations

import base64
import json
import shutil
from pathlib import Path

from corpus import hard_strings, training_corpus

# Pre-tokenizer regexes (tokenizer.json form, unescaped).
LLAMA3_PAT = (r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*"
              r"|\s*[\r\n]+|\s+(?!\S)|\s+")
QWEN2_PAT = (r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*"
             r"|\s*[\r\n]+|\s+(?!\S)|\s+")

BPE_VOCAB = 490  # trained part (256 byte symbols + merges); added tokens come after

TEMPLATES = Path(__file__).resolve().parents[2] / "shared" / "testdata" / "templates"
if not TEMPLATES.is_dir():  # developer checkout layout: the repo with shared/ beside it
    TEMPLATES = Path(__file__).resolve().parents[3] / "shared" / "testdata" / "templates"

FAMILY_TOK = {
    "llama": dict(
        pattern=LLAMA3_PAT, ignore_merges=True,
        specials=["<|begin_of_text|>", "<|end_of_text|>", "<|start_header_id|>", "<|end_header_id|>",
                  "<|eom_id|>", "<|eot_id|>", "<|python_tag|>"],
        added=[], bos="<|begin_of_text|>", eos="<|eot_id|>", pad=None, add_bos=True,
        gen_eos=["<|end_of_text|>", "<|eom_id|>", "<|eot_id|>"], cfg_eos="<|end_of_text|>",
        template="meta-llama-Llama-3.1-8B-Instruct.jinja", prompt_prefix=""),
    "qwen2": dict(
        pattern=QWEN2_PAT, ignore_merges=False,
        specials=["<|endoftext|>", "<|im_start|>", "<|im_end|>"],
        added=["<tool_call>", "</tool_call>"], bos=None, eos="<|im_end|>", pad="<|endoftext|>", add_bos=False,
        gen_eos=["<|im_end|>", "<|endoftext|>"], cfg_eos="<|im_end|>",
        template="Qwen-Qwen2.5-7B-Instruct.jinja", prompt_prefix=""),
    "qwen3": dict(
        pattern=QWEN2_PAT, ignore_merges=False,
        specials=["<|endoftext|>", "<|im_start|>", "<|im_end|>"],
        added=["<tool_call>", "</tool_call>", "<think>", "</think>"], bos=None, eos="<|im_end|>",
        pad="<|endoftext|>", add_bos=False,
        gen_eos=["<|im_end|>", "<|endoftext|>"], cfg_eos="<|im_end|>",
        template="Qwen-Qwen3-0.6B.jinja", prompt_prefix=""),
    "glm": dict(
        pattern=LLAMA3_PAT, ignore_merges=True,
        specials=["<|endoftext|>", "[MASK]", "[gMASK]", "[sMASK]", "<sop>", "<eop>", "<|system|>", "<|user|>",
                  "<|assistant|>", "<|observation|>"],
        added=[], bos=None, eos="<|endoftext|>", pad="<|endoftext|>", add_bos=False,
        gen_eos=["<|endoftext|>", "<|user|>", "<|observation|>"], cfg_eos="<|endoftext|>",
        template="GLM-4.6.jinja", prompt_prefix="[gMASK]<sop>"),
}
FAMILY_TOK["glm4"] = dict(FAMILY_TOK["glm"])
TOKENIZER_OF = {"llama": "llama", "qwen2": "qwen2", "qwen3": "qwen3", "glm": "glm", "glm4": "glm"}


def build_bpe(name: str):
    """Return a trained tokenizers.Tokenizer for tokenizer family `name`."""
    from tokenizers import AddedToken, Regex, Tokenizer, decoders, models, pre_tokenizers, processors, trainers

    spec = FAMILY_TOK[name]
    tok = Tokenizer(models.BPE(ignore_merges=spec["ignore_merges"]))
    tok.pre_tokenizer = pre_tokenizers.Sequence([
        pre_tokenizers.Split(Regex(spec["pattern"]), behavior="isolated", invert=False),
        pre_tokenizers.ByteLevel(add_prefix_space=False, trim_offsets=True, use_regex=False),
    ])
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=BPE_VOCAB, min_frequency=2, show_progress=False,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), special_tokens=[])
    tok.train_from_iterator(training_corpus(), trainer=trainer)
    tok.add_special_tokens([AddedToken(s, special=True, normalized=False) for s in spec["specials"]])
    if spec["added"]:
        tok.add_tokens([AddedToken(s, special=False, normalized=False) for s in spec["added"]])
    if spec["bos"]:
        bos_id = tok.token_to_id(spec["bos"])
        tok.post_processor = processors.Sequence([
            processors.ByteLevel(trim_offsets=False),
            processors.TemplateProcessing(single=f"{spec['bos']} $A", pair=f"{spec['bos']} $A {spec['bos']} $B",
                                          special_tokens=[(spec["bos"], bos_id)]),
        ])
    else:
        tok.post_processor = processors.ByteLevel(trim_offsets=False)
    return tok


def write_bpe_files(name: str, tok, out_dir: Path, model_max_length: int) -> dict:
    """Write tokenizer.json + tokenizer_config.json; return ids of interest."""
    spec = FAMILY_TOK[name]
    out_dir.mkdir(parents=True, exist_ok=True)
    tok.save(str(out_dir / "tokenizer.json"))
    added = {}
    for s in spec["specials"] + spec["added"]:
        i = tok.token_to_id(s)
        added[str(i)] = {"content": s, "lstrip": False, "normalized": False, "rstrip": False,
                         "single_word": False, "special": s in spec["specials"]}
    cfg = {
        "add_bos_token": spec["add_bos"],
        "add_eos_token": False,
        "added_tokens_decoder": added,
        "bos_token": spec["bos"],
        "eos_token": spec["eos"],
        "pad_token": spec["pad"],
        "unk_token": None,
        "clean_up_tokenization_spaces": False,
        "model_max_length": model_max_length,
        "model_input_names": ["input_ids", "attention_mask"],
        "tokenizer_class": "PreTrainedTokenizerFast",
        "chat_template": (TEMPLATES / spec["template"]).read_text(encoding="utf-8"),
    }
    (out_dir / "tokenizer_config.json").write_text(json.dumps(cfg, indent=2, ensure_ascii=False) + "\n",
                                                   encoding="utf-8")
    ids = {s: tok.token_to_id(s) for s in spec["specials"] + spec["added"]}
    return {
        "vocab_size": tok.get_vocab_size(with_added_tokens=True),
        "ids": ids,
        "bos_id": tok.token_to_id(spec["bos"]) if spec["bos"] else None,
        "cfg_eos_id": tok.token_to_id(spec["cfg_eos"]),
        "gen_eos_ids": [tok.token_to_id(s) for s in spec["gen_eos"]],
        "pad_id": tok.token_to_id(spec["pad"]) if spec["pad"] else None,
    }


def prompt_ids(name: str, tok, n: int = 20) -> list[int]:
    from corpus import PROMPT_TEXT
    spec = FAMILY_TOK[name]
    enc = tok.encode(spec["prompt_prefix"] + PROMPT_TEXT, add_special_tokens=True)
    ids = list(enc.ids)[:n]
    assert len(ids) >= 16, ids
    return ids


def expected_records(tok, sp=None) -> list[dict]:
    """One record per hard string, computed with the `tokenizers` library (the HF fast tokenizer core)."""
    recs = []
    for raw in hard_strings():
        text = raw.decode("utf-8", "replace")
        tok.encode_special_tokens = False
        ids = tok.encode(text, add_special_tokens=False).ids
        tok.encode_special_tokens = True
        ids_plain = tok.encode(text, add_special_tokens=False).ids
        tok.encode_special_tokens = False
        rec = {
            "text_b64": base64.b64encode(raw).decode("ascii"),
            "text": text,
            "ids": ids,
            "ids_plain": ids_plain,
            "decoded": tok.decode(ids, skip_special_tokens=False),
        }
        if sp is not None:
            rec["ids_sp"] = sp.encode(text)
        recs.append(rec)
    return recs


def write_jsonl(path: Path, recs: list[dict]) -> None:
    with open(path, "w", encoding="utf-8") as f:
        for r in recs:
            f.write(json.dumps(r, ensure_ascii=False) + "\n")


def check_with_transformers(tok_dir: Path, recs: list[dict], log) -> int:
    """Cross-check expected ids against transformers.AutoTokenizer; returns #mismatches."""
    from transformers import AutoTokenizer
    at = AutoTokenizer.from_pretrained(str(tok_dir))
    bad = 0
    for r in recs:
        got = at.encode(r["text"], add_special_tokens=False)
        if got != r["ids"]:
            bad += 1
            if bad <= 5:
                log(f"  transformers mismatch for {r['text']!r}: {got} vs {r['ids']}")
    log(f"  AutoTokenizer class {type(at).__name__}: {bad} mismatches of {len(recs)}")
    return bad


# ---------------------------------------------------------------- SentencePiece

def build_spm(out_dir: Path, log) -> Path:
    """Train a Llama-2-style SentencePiece BPE model and make an HF dir out of it."""
    import io

    import sentencepiece as spm

    out_dir.mkdir(parents=True, exist_ok=True)
    lines = []
    for block in training_corpus():
        lines += [x for x in block.split("\n") if x.strip()]
    model = None
    for vs in (500, 560, 640, 800, 1000):
        buf = io.BytesIO()
        try:
            spm.SentencePieceTrainer.train(
                sentence_iterator=iter(lines), model_writer=buf, model_type="bpe", vocab_size=vs,
                byte_fallback=True, split_digits=True, add_dummy_prefix=True, normalization_rule_name="identity",
                remove_extra_whitespaces=False, allow_whitespace_only_pieces=True, character_coverage=0.98,
                unk_id=0, bos_id=1, eos_id=2, pad_id=-1, num_threads=1, max_sentencepiece_length=16,
                split_by_unicode_script=True, split_by_number=True, minloglevel=2)
            model = buf.getvalue()
            log(f"  spm trained with vocab_size={vs}")
            break
        except Exception as e:  # vocab too small for the required characters: try larger
            log(f"  spm vocab_size={vs} failed: {e}")
    assert model is not None
    (out_dir / "tokenizer.model").write_bytes(model)
    sp = spm.SentencePieceProcessor(model_proto=model)
    n = sp.get_piece_size()
    cfg = {
        "add_bos_token": True, "add_eos_token": False, "bos_token": "<s>", "eos_token": "</s>",
        "unk_token": "<unk>", "pad_token": None, "clean_up_tokenization_spaces": False, "legacy": True,
        "model_max_length": 256, "tokenizer_class": "LlamaTokenizer",
    }
    (out_dir / "tokenizer_config.json").write_text(json.dumps(cfg, indent=2) + "\n")
    (out_dir / "special_tokens_map.json").write_text(json.dumps(
        {"bos_token": "<s>", "eos_token": "</s>", "unk_token": "<unk>"}, indent=2) + "\n")
    # a minimal Llama-2 style config so convert_hf_to_gguf.py --vocab-only accepts the dir
    config = {
        "architectures": ["LlamaForCausalLM"], "model_type": "llama", "vocab_size": n, "hidden_size": 64,
        "intermediate_size": 128, "num_hidden_layers": 1, "num_attention_heads": 4, "num_key_value_heads": 4,
        "max_position_embeddings": 256, "rms_norm_eps": 1e-5, "rope_theta": 10000.0, "bos_token_id": 1,
        "eos_token_id": 2, "hidden_act": "silu", "tie_word_embeddings": False,
    }
    (out_dir / "config.json").write_text(json.dumps(config, indent=2) + "\n")
    # tokenizer.json in the layout of the real Llama-2 / Mistral-v0.1 files (legacy SPM-BPE layout).
    llama2_style_tokenizer_json(sp).save(str(out_dir / "tokenizer.json"))
    return out_dir


def llama2_style_tokenizer_json(sp):
    """Build the HF tokenizer.json of a SentencePiece BPE model the way the Llama-2 files are laid out:
    normalizer Prepend('▁') + Replace(' ', '▁'), no pre-tokenizer, BPE with byte_fallback and
    fuse_unk, decoder Replace + ByteFallback + Fuse + Strip(1 leading space), post-processor <s> $A.
    Merges are derived from the vocabulary: every split of a normal piece into two normal pieces,
    ordered by the id of the merged piece, then the ids of its parts (what HF's own extractor does)."""
    from tokenizers import AddedToken, Tokenizer, decoders, models, normalizers, processors

    n = sp.get_piece_size()
    vocab = {sp.id_to_piece(i): i for i in range(n)}
    normal = {sp.id_to_piece(i): i for i in range(n)
              if not (sp.is_control(i) or sp.is_unknown(i) or sp.is_byte(i) or sp.is_unused(i))}
    merges = []
    for piece, pid in normal.items():
        for k in range(1, len(piece)):
            a, b = piece[:k], piece[k:]
            if a in normal and b in normal:
                merges.append((pid, normal[a], normal[b], a, b))
    merges.sort()
    tok = Tokenizer(models.BPE(vocab=vocab, merges=[(a, b) for _, _, _, a, b in merges], unk_token="<unk>",
                               fuse_unk=True, byte_fallback=True))
    tok.normalizer = normalizers.Sequence([normalizers.Prepend("▁"), normalizers.Replace(" ", "▁")])
    tok.decoder = decoders.Sequence([decoders.Replace("▁", " "), decoders.ByteFallback(), decoders.Fuse(),
                                     decoders.Strip(" ", 1, 0)])
    tok.add_special_tokens([AddedToken(t, special=True, normalized=False) for t in ("<unk>", "<s>", "</s>")])
    tok.post_processor = processors.TemplateProcessing(single="<s> $A", pair="<s> $A <s> $B",
                                                       special_tokens=[("<s>", vocab["<s>"])])
    return tok


def transformers_spm_conversion(hf_dir: Path, recs: list[dict], log) -> dict:
    """Informational: what transformers itself makes of tokenizer.model alone (no tokenizer.json)."""
    import tempfile

    from transformers import AutoTokenizer
    with tempfile.TemporaryDirectory() as td:
        for f in ("tokenizer.model", "tokenizer_config.json", "special_tokens_map.json"):
            shutil.copy(hf_dir / f, Path(td) / f)
        t = AutoTokenizer.from_pretrained(td)
        same = sum(1 for r in recs if t.encode(r["text"], add_special_tokens=False) == r["ids"])
        same_sp = sum(1 for r in recs if t.encode(r["text"], add_special_tokens=False) == r["ids_sp"])
    res = {"class": type(t).__name__, "same_as_tokenizer_json": same, "same_as_sentencepiece": same_sp,
           "n": len(recs)}
    log(f"  transformers conversion of tokenizer.model alone: {res}")
    return res


def spm_processor(hf_dir: Path):
    import sentencepiece as spm
    return spm.SentencePieceProcessor(model_file=str(hf_dir / "tokenizer.model"))


def copy_tokenizer_files(src: Path, dst: Path) -> None:
    dst.mkdir(parents=True, exist_ok=True)
    for f in ("tokenizer.json", "tokenizer_config.json", "tokenizer.model", "special_tokens_map.json"):
        if (src / f).exists():
            shutil.copy(src / f, dst / f)
