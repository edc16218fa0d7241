#!/usr/bin/env python3
"""Generate keel's model and tokenizer reference fixtures (tests/golden/).

Runs where torch + transformers + tokenizers + sentencepiece are installed (the GPU
machine; everything is computed on its CPU in float32 for determinism). See
tests/reference/README.md for the exact command.

For each family in FAMILIES it
  1. trains a byte-level BPE tokenizer (tok_build.py) and writes hf/ tokenizer files,
  2. builds a tiny random-weight model with transformers (fixed seed, O(1) activations),
     saves hf/ (config.json, model.safetensors F32, generation_config.json),
  3. writes reference.json (prompt ids, 32-token greedy continuation), logits.f32
     (prompt logits) and logits_full.f32 (prompt + greedy),
  4. converts hf/ with llama.cpp's convert_hf_to_gguf.py to f32/f16/bf16/q8_0 GGUFs
     (GLM: fuses q/k/v into attn_qkv afterwards),
  5. computes logits-<type>.f32: transformers forward on the GGUF's own weights as
     dequantized by gguf-py.
Then the quantized llama fixtures (llama-quantize --pure), the SentencePiece tokenizer
fixture, tokenizer expected.jsonl files and manifest.json.
"""
from __future__ import annotations

import argparse
import json
import math
import os
import shutil
import subprocess
import sys
import time
import traceback
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import tok_build  # noqa: E402
from corpus import PROMPT_TEXT  # noqa: E402

N_PROMPT = 20
N_GEN = 32

FAMILIES = {
    "llama": dict(
        arch="LlamaForCausalLM", config="LlamaConfig", seed=1001, hidden=256, heads=4, kv=2, head_dim=64,
        inter=512, layers=2, eps=1e-5, tie=True, pre="llama-bpe", gguf_arch="llama",
        rope={"rope_type": "llama3", "rope_theta": 500000.0, "factor": 8.0, "low_freq_factor": 1.0,
              "high_freq_factor": 4.0, "original_max_position_embeddings": 64},
        extra={"attention_bias": False, "mlp_bias": False}),
    "qwen2": dict(
        arch="Qwen2ForCausalLM", config="Qwen2Config", seed=1002, hidden=64, heads=4, kv=2, head_dim=16,
        inter=128, layers=2, eps=1e-6, tie=False, pre="qwen2", gguf_arch="qwen2",
        rope={"rope_type": "default", "rope_theta": 1000000.0}, extra={"use_sliding_window": False}),
    "qwen3": dict(
        arch="Qwen3ForCausalLM", config="Qwen3Config", seed=1003, hidden=64, heads=4, kv=2, head_dim=32,
        inter=128, layers=2, eps=1e-6, tie=True, pre="qwen2", gguf_arch="qwen3",
        rope={"rope_type": "default", "rope_theta": 20000.0},
        extra={"attention_bias": False, "use_sliding_window": False}),
    # GLM (GGUF arch chatglm): the converter hard-codes rope base 10000 (unless rope_ratio) and
    # layernorm eps 1e-5, and derives the rope dim from hidden/heads; the config matches all three.
    "glm": dict(
        arch="GlmForCausalLM", config="GlmConfig", seed=1004, hidden=64, heads=4, kv=2, head_dim=16,
        inter=128, layers=2, eps=1e-5, tie=False, pre="chatglm-bpe", gguf_arch="chatglm",
        rope={"rope_type": "default", "rope_theta": 10000.0, "partial_rotary_factor": 0.5},
        extra={"attention_bias": True, "partial_rotary_factor": 0.5}),
    "glm4": dict(
        arch="Glm4ForCausalLM", config="Glm4Config", seed=1005, hidden=64, heads=4, kv=2, head_dim=32,
        inter=128, layers=2, eps=1e-6, tie=False, pre="glm4", gguf_arch="glm4",
        rope={"rope_type": "default", "rope_theta": 25000.0, "partial_rotary_factor": 0.5},
        extra={"attention_bias": True, "partial_rotary_factor": 0.5}),
}
CONVERTER_TYPES = ["f32", "f16", "bf16", "q8_0"]
QUANT_TYPES = ["Q4_0", "Q4_1", "Q5_0", "Q8_0", "Q4_K", "Q5_K", "Q6_K"]

LOG = None


def log(msg: str) -> None:
    line = f"[{time.strftime('%H:%M:%S')}] {msg}"
    print(line, flush=True)
    if LOG is not None:
        LOG.write(line + "\n")
        LOG.flush()


def step(name: str, fn, *a, **kw):
    t0 = time.time()
    try:
        r = fn(*a, **kw)
        log(f"OK   {name} ({time.time() - t0:.1f}s)")
        return r
    except Exception:
        log(f"FAIL {name}\n{traceback.format_exc()}")
        return None


# ------------------------------------------------------------------ models

def make_config(fam: str, spec: dict, tinfo: dict):
    import transformers
    cls = getattr(transformers, spec["config"])
    kw = dict(
        vocab_size=tinfo["vocab_size"], hidden_size=spec["hidden"], intermediate_size=spec["inter"],
        num_hidden_layers=spec["layers"], num_attention_heads=spec["heads"], num_key_value_heads=spec["kv"],
        head_dim=spec["head_dim"], max_position_embeddings=256, rms_norm_eps=spec["eps"],
        tie_word_embeddings=spec["tie"], hidden_act="silu", attention_dropout=0.0,
        bos_token_id=tinfo["bos_id"], eos_token_id=tinfo["gen_eos_ids"], pad_token_id=None,
        rope_parameters=dict(spec["rope"]), **spec["extra"])
    try:
        cfg = cls(**kw)
    except TypeError as e:  # an extra kwarg this transformers version does not take
        log(f"  {spec['config']}(**kw) failed ({e}); retrying without extras")
        for k in spec["extra"]:
            kw.pop(k)
        cfg = cls(**kw)
    cfg.architectures = [spec["arch"]]
    cfg._attn_implementation = "eager"
    return cfg


def init_weights(model, spec: dict) -> None:
    """All terms O(1): Linear ~ N(0, 1/in), biases N(0, 0.1^2), norms 1 + N(0, 0.2^2), embeddings N(0, 1).
    Output scale: untied lm_head ~ N(0, (3/sqrt(H))^2), so logits have std ~3 (peaked, not one-hot).
    Tied models: with N(0, 1) embeddings the residual stream is dominated by the input token's own
    embedding, and the tied head then predicts the input token again with p ~ 1 (degenerate). So tied
    models use embeddings N(0, 1/H) (rows of norm ~1) and a final norm of 3 * (1 + N(0, 0.2^2))."""
    import torch
    g = torch.Generator().manual_seed(spec["seed"])
    H = spec["hidden"]
    with torch.no_grad():
        for name, p in model.named_parameters():
            n = torch.randn(p.shape, generator=g, dtype=torch.float32)
            if name.endswith("embed_tokens.weight"):
                v = n if not spec["tie"] else n / math.sqrt(H)
            elif name == "lm_head.weight":
                v = n * (3.0 / math.sqrt(H))
            elif p.ndim == 1 and "norm" in name:
                v = 1.0 + 0.2 * n
                if name == "model.norm.weight" and spec["tie"]:
                    v = v * 3.0
            elif name.endswith(".bias"):
                v = 0.1 * n
            elif p.ndim == 2:
                v = n / math.sqrt(p.shape[1])
            else:
                raise RuntimeError(f"unexpected parameter {name} {tuple(p.shape)}")
            p.copy_(v)


def forward_logits(model, ids: list[int]) -> np.ndarray:
    import torch
    with torch.no_grad():
        out = model(input_ids=torch.tensor([ids], dtype=torch.long), use_cache=False)
    return out.logits[0].float().numpy().astype("<f4")


def entropy_stats(logits: np.ndarray) -> dict:
    x = logits.astype(np.float64)
    x = x - x.max(axis=1, keepdims=True)
    p = np.exp(x)
    p /= p.sum(axis=1, keepdims=True)
    h = -(p * np.log(np.maximum(p, 1e-300))).sum(axis=1)
    return {"entropy_nats_mean": float(h.mean()), "entropy_nats_min": float(h.min()),
            "entropy_nats_max": float(h.max()), "max_prob_mean": float(p.max(axis=1).mean()),
            "max_prob_max": float(p.max(axis=1).max()), "logit_std": float(logits.std()),
            "uniform_entropy": float(math.log(logits.shape[1]))}


def rope_check(model, spec: dict) -> dict:
    """Compare the model's inv_freq with the rope definition we intended."""
    rot = model.model.rotary_emb
    inv = rot.inv_freq.detach().double().numpy()
    prf = spec["rope"].get("partial_rotary_factor", 1.0)
    d_rot = int(spec["head_dim"] * prf)
    base = spec["rope"]["rope_theta"]
    want = 1.0 / base ** (np.arange(0, d_rot, 2, dtype=np.float64) / d_rot)
    if spec["rope"]["rope_type"] == "llama3":
        r = spec["rope"]
        lo = r["original_max_position_embeddings"] / r["low_freq_factor"]
        hi = r["original_max_position_embeddings"] / r["high_freq_factor"]
        out = []
        for f in want:
            wl = 2 * math.pi / f
            if wl < hi:
                out.append(f)
            elif wl > lo:
                out.append(f / r["factor"])
            else:
                s = (r["original_max_position_embeddings"] / wl - r["low_freq_factor"]) / (
                    r["high_freq_factor"] - r["low_freq_factor"])
                out.append((1 - s) * f / r["factor"] + s * f)
        want = np.array(out)
    ok = inv.shape == want.shape and np.allclose(inv, want, rtol=1e-5)
    return {"n_inv_freq": int(inv.shape[0]), "rotary_dims": d_rot, "matches_intended": bool(ok),
            "attention_scaling": float(getattr(rot, "attention_scaling", 1.0))}


def build_family(fam: str, out: Path, manifest: dict) -> dict | None:
    import torch
    import transformers
    spec = FAMILIES[fam]
    d = out / fam
    hf = d / "hf"
    if d.exists():
        shutil.rmtree(d)
    hf.mkdir(parents=True)
    tname = tok_build.TOKENIZER_OF[fam]
    tok = tok_build.build_bpe(tname)
    tinfo = tok_build.write_bpe_files(tname, tok, hf, model_max_length=256)
    log(f"  {fam}: tokenizer vocab {tinfo['vocab_size']}, specials {tinfo['ids']}")

    cfg = make_config(fam, spec, tinfo)
    torch.manual_seed(spec["seed"])
    model = getattr(transformers, spec["arch"])(cfg).eval().float()
    init_weights(model, spec)
    if spec["tie"]:
        model.tie_weights()
        assert model.lm_head.weight.data_ptr() == model.model.embed_tokens.weight.data_ptr()
    try:
        rc = rope_check(model, spec)
    except Exception as e:
        rc = {"error": repr(e)}
    log(f"  {fam}: rope {rc}; attn impl {model.config._attn_implementation}")

    try:
        model.save_pretrained(str(hf), safe_serialization=True)
    except TypeError:
        model.save_pretrained(str(hf))
    for extra in ("chat_template.jinja", "special_tokens_map.json"):
        if (hf / extra).exists():
            (hf / extra).unlink()
    gen = {"bos_token_id": tinfo["bos_id"], "eos_token_id": tinfo["gen_eos_ids"], "pad_token_id": tinfo["pad_id"],
           "do_sample": False, "transformers_version": transformers.__version__}
    (hf / "generation_config.json").write_text(json.dumps(gen, indent=2) + "\n")

    # reload from disk: the references are computed from exactly what was saved
    model = getattr(transformers, spec["arch"]).from_pretrained(str(hf), dtype=torch.float32,
                                                                 attn_implementation="eager").eval()
    prompt = tok_build.prompt_ids(tname, tok, N_PROMPT)
    logits = forward_logits(model, prompt)
    logits.tofile(d / "logits.f32")

    ids = list(prompt)
    for _ in range(N_GEN):  # greedy = argmax of a full float32 forward at every step
        ids.append(int(np.argmax(forward_logits(model, ids)[-1])))
    greedy = ids[len(prompt):]
    full = forward_logits(model, ids)
    full.tofile(d / "logits_full.f32")
    margins = []
    for i in range(N_GEN):
        row = np.sort(full[len(prompt) - 1 + i])
        margins.append(float(row[-1] - row[-2]))
    argmax_ok = all(int(np.argmax(full[len(prompt) - 1 + i])) == greedy[i] for i in range(N_GEN))
    gen_ok = None
    try:
        with torch.no_grad():
            g = model.generate(torch.tensor([prompt]), max_new_tokens=N_GEN, do_sample=False,
                               pad_token_id=tinfo["gen_eos_ids"][0])
        g = g[0, len(prompt):].tolist()
        gen_ok = {"generate_ids": g, "is_prefix_of_greedy": greedy[:len(g)] == g, "len": len(g)}
    except Exception as e:
        gen_ok = {"error": repr(e)}
    ent = entropy_stats(logits)
    log(f"  {fam}: entropy {ent}; min greedy margin {min(margins):.4f}; generate {gen_ok}")

    ref = {
        "family": fam, "hf_architecture": spec["arch"], "prompt_text": tok_build.FAMILY_TOK[tname]["prompt_prefix"]
        + PROMPT_TEXT, "prompt_ids": prompt, "greedy_ids": greedy, "dtype": "float32",
        "vocab_size": int(logits.shape[1]), "logits_shape": list(logits.shape), "logits_full_shape": list(full.shape),
        "logits_full_ids": ids,
        "greedy_margins": margins, "entropy": ent, "rope": rc, "generate_check": gen_ok,
        "notes": ("prompt_ids = first %d ids of the tokenized prompt_text (tokenizer post-processor applied, so "
                  "llama starts with BOS). logits.f32 = little-endian float32 [len(prompt_ids) x vocab_size] from "
                  "one forward of prompt_ids (transformers %s, torch %s, CPU, float32, attn eager). greedy_ids = "
                  "argmax of a full float32 forward at every step (no EOS stop, exactly %d tokens); generate_check "
                  "compares with transformers generate(do_sample=False), which may stop early at an EOS id. "
                  "logits_full.f32 = one forward of logits_full_ids = prompt_ids + greedy_ids; row i predicts "
                  "token i+1. greedy_margins = top1-top2 logit gap at each generated step (from logits_full)."
                  % (N_PROMPT, transformers.__version__, torch.__version__, N_GEN)),
        "argmax_of_logits_full_matches_greedy": argmax_ok,
    }
    (d / "reference.json").write_text(json.dumps(ref, indent=1) + "\n")
    manifest["families"][fam] = {"config": json.loads((hf / "config.json").read_text()), "tokenizer": tinfo,
                                 "entropy": ent, "rope": rc, "min_greedy_margin": min(margins)}
    return {"model": model, "prompt": prompt, "logits": logits, "tinfo": tinfo}


# ------------------------------------------------------------------ GGUF

def convert_all(out: Path, llama_cpp: Path, fams: list[str]) -> None:
    procs = []
    for fam in fams:
        d = out / fam
        cmd = [sys.executable, str(HERE / "convert_gguf.py"), str(llama_cpp), str(d / "hf"), str(d),
               FAMILIES[fam]["pre"], f"keel-tiny-{fam}"] + CONVERTER_TYPES
        lf = open(d / "convert.log", "w")
        procs.append((fam, subprocess.Popen(cmd, stdout=lf, stderr=subprocess.STDOUT), lf))
    for fam, p, lf in procs:
        rc = p.wait()
        lf.close()
        log(f"  convert {fam}: rc={rc}")
        if rc != 0:
            log((out / fam / "convert.log").read_text()[-3000:])


def gguf_logits(fam: str, gguf_path: Path, ref: dict, name: str, out_file: Path | None) -> dict:
    import torch

    import gguf_tools
    spec = FAMILIES[fam]
    sd, info = gguf_tools.hf_state_dict(gguf_path, fam, spec["heads"], spec["kv"])
    model = ref["model"]
    m2 = type(model)(model.config).eval().float()
    tsd = {k: torch.from_numpy(np.ascontiguousarray(v)) for k, v in sd.items()}
    missing, unexpected = m2.load_state_dict(tsd, strict=False)
    missing = [k for k in missing if not (spec["tie"] and k == "lm_head.weight")]
    if missing or unexpected or info["extra"]:
        raise RuntimeError(f"{name}: missing {missing} unexpected {unexpected} unmapped {info['extra']}")
    if spec["tie"]:
        m2.tie_weights()
    lg = forward_logits(m2, ref["prompt"])
    if out_file is not None:
        lg.tofile(out_file)
    base = ref["logits"]
    res = {"file": gguf_path.name, "tensor_types": info["types"],
           "max_abs_diff_vs_hf_logits": float(np.abs(lg - base).max()),
           "top1_agreement_vs_hf": float((lg.argmax(1) == base.argmax(1)).mean())}
    if "rope_freqs" in info:
        res["rope_freqs"] = info["rope_freqs"]
    log(f"  {fam} {name}: {res}")
    return res


def quantize_llama(out: Path, qbin: Path, ref: dict, manifest: dict) -> None:
    d = out / "llama"
    src = d / "model-f32.gguf"
    for qt in QUANT_TYPES:
        dst = d / f"model-{qt}.gguf"
        r = subprocess.run([str(qbin), "--pure", str(src), str(dst), qt], capture_output=True, text=True)
        if r.returncode != 0:
            log(f"  quantize {qt} failed:\n{r.stdout[-1500:]}\n{r.stderr[-1500:]}")
            continue
        res = step(f"llama logits-{qt}", gguf_logits, "llama", dst, ref, qt, d / f"logits-{qt}.f32")
        manifest["quantized"][qt] = res


# ------------------------------------------------------------------ tokenizers

def tokenizer_fixtures(out: Path, llama_cpp: Path, manifest: dict) -> None:
    from tokenizers import Tokenizer
    tdir = out / "tokenizers"
    for name in ("llama", "qwen2", "qwen3", "glm"):
        src = out / ("glm" if name == "glm" else name) / "hf"
        dst = tdir / name
        tok_build.copy_tokenizer_files(src, dst)
        tok = Tokenizer.from_file(str(dst / "tokenizer.json"))
        recs = tok_build.expected_records(tok)
        tok_build.write_jsonl(dst / "expected.jsonl", recs)
        bad = step(f"transformers cross-check {name}", tok_build.check_with_transformers, dst, recs, log)
        manifest["tokenizers"][name] = {"n_cases": len(recs), "transformers_mismatches": bad}
    # SentencePiece
    spm_dir = tdir / "spm"
    hf = tok_build.build_spm(spm_dir / "hf", log)
    sp = tok_build.spm_processor(hf)
    tok = Tokenizer.from_file(str(hf / "tokenizer.json"))
    recs = tok_build.expected_records(tok, sp)
    tok_build.write_jsonl(spm_dir / "expected.jsonl", recs)
    n_diff = sum(1 for r in recs if r["ids"] != r["ids_sp"])
    log(f"  spm: {len(recs)} cases, {n_diff} where tokenizer.json ids != sentencepiece ids")
    for r in recs:
        if r["ids"] != r["ids_sp"]:
            log(f"    differs: {r['text']!r}: tokenizer.json {r['ids']} sentencepiece {r['ids_sp']}")
    bad = step("transformers cross-check spm", tok_build.check_with_transformers, hf, recs, log)
    conv = step("transformers spm conversion", tok_build.transformers_spm_conversion, hf, recs, log)
    manifest["tokenizers"]["spm"] = {"n_cases": len(recs), "hf_vs_sentencepiece_diffs": n_diff,
                                     "transformers_mismatches": bad, "vocab_size": sp.get_piece_size(),
                                     "transformers_conversion_of_tokenizer_model": conv}
    r = subprocess.run([sys.executable, str(HERE / "convert_gguf.py"), str(llama_cpp), str(hf), str(spm_dir), "-",
                        "keel-tiny-spm", "--vocab-only", str(spm_dir / "vocab.gguf")], capture_output=True, text=True)
    log(f"  spm vocab.gguf: rc={r.returncode}" + ("" if r.returncode == 0 else "\n" + r.stderr[-3000:]))


# ------------------------------------------------------------------ main

def main() -> None:
    global LOG
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True, type=Path)
    ap.add_argument("--llama-cpp", required=True, type=Path,
                    help="dir with convert_hf_to_gguf.py, conversion/ and gguf-py/")
    ap.add_argument("--templates", type=Path, default=None, help="dir with the chat template .jinja files")
    ap.add_argument("--quantize", type=Path, default=None, help="llama-quantize binary")
    ap.add_argument("--families", default=",".join(FAMILIES))
    args = ap.parse_args()

    import torch
    import transformers
    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)
    sys.path.insert(0, str(args.llama_cpp / "gguf-py"))
    if args.templates:
        tok_build.TEMPLATES = args.templates

    args.out.mkdir(parents=True, exist_ok=True)
    LOG = open(args.out / "generate.log", "w")
    import gguf
    import sentencepiece
    import tokenizers
    manifest = {"versions": {"torch": torch.__version__, "transformers": transformers.__version__,
                             "tokenizers": tokenizers.__version__, "sentencepiece": sentencepiece.__version__,
                             "numpy": np.__version__, "python": sys.version.split()[0]},
                "families": {}, "gguf": {}, "quantized": {}, "tokenizers": {}}
    log(f"versions {manifest['versions']}; gguf-py from {gguf.__file__}")
    fams = args.families.split(",")
    refs = {}
    for fam in fams:
        r = step(f"build {fam}", build_family, fam, args.out, manifest)
        if r is not None:
            refs[fam] = r
    step("convert", convert_all, args.out, args.llama_cpp, list(refs))

    import gguf_tools
    for fam in refs:
        d = args.out / fam
        if FAMILIES[fam]["gguf_arch"] == "chatglm":
            for t in CONVERTER_TYPES:
                p = d / f"model-{t}.gguf"
                if p.exists():
                    unf = d / f"unfused-{t}.gguf"
                    p.rename(unf)
                    fused = step(f"fuse qkv {fam} {t}", gguf_tools.fuse_qkv, unf, p,
                                 {"chatglm.context_length": 256})
                    if fused is None:
                        continue
                    if t == "f32":
                        unf.rename(d / "model-f32-unfused.gguf")
                    else:
                        unf.unlink()
        fam_g = manifest["gguf"][fam] = {}
        for t in CONVERTER_TYPES:
            p = d / f"model-{t}.gguf"
            if not p.exists():
                log(f"  missing {p}")
                continue
            fam_g[t] = {"tensors": gguf_tools.describe(p), "metadata": gguf_tools.metadata(p)}
            out_file = None if t == "f32" else d / f"logits-{t}.f32"
            fam_g[t]["logits"] = step(f"{fam} logits-{t}", gguf_logits, fam, p, refs[fam], t, out_file)
        if (d / "model-f32-unfused.gguf").exists():
            fam_g["f32-unfused"] = {"tensors": gguf_tools.describe(d / "model-f32-unfused.gguf")}
            fam_g["f32-unfused"]["logits"] = step(f"{fam} logits-f32-unfused", gguf_logits, fam,
                                                  d / "model-f32-unfused.gguf", refs[fam], "f32-unfused", None)

    if args.quantize and "llama" in refs:
        step("quantize llama", quantize_llama, args.out, args.quantize, refs["llama"], manifest)
        for qt in QUANT_TYPES:
            p = args.out / "llama" / f"model-{qt}.gguf"
            if p.exists():
                manifest["quantized"].setdefault(qt, {})
                if manifest["quantized"][qt] is None:
                    manifest["quantized"][qt] = {}
                manifest["quantized"][qt]["tensors"] = gguf_tools.describe(p)

    step("tokenizer fixtures", tokenizer_fixtures, args.out, args.llama_cpp, manifest)
    if (args.out / "tokenizers" / "spm" / "vocab.gguf").exists():
        manifest["gguf"]["spm-vocab"] = {"metadata": gguf_tools.metadata(args.out / "tokenizers/spm/vocab.gguf")}
    (args.out / "manifest.json").write_text(json.dumps(manifest, indent=1, default=str) + "\n")
    log("done")


if __name__ == "__main__":
    main()
