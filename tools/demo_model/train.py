#!/usr/bin/env python3
"""Train keel's demo model: a small Glm4ForCausalLM that answers the task families of tasks.py.

Runs on one GPU (written for an H200) with torch + transformers + tokenizers:
  1. trains the byte-level BPE tokenizer (build_tokenizer.py),
  2. builds the model from MODEL_SHAPE with a fixed seed,
  3. trains on freshly generated chat examples (loss on the answer tokens only;
     held-out problems of tasks.HELD_OUT_EXCLUDED_FROM_TRAINING are never shown),
  4. measures greedy exact-match accuracy on heldout.jsonl in PyTorch,
  5. exports a Hugging Face directory (float32 safetensors) and training.json.

The step count is fixed by --steps, or, when --steps is 0, derived from
--train-seconds and the speed of the first steps (the chosen count is written
to training.json; rerun with --steps N to repeat a run exactly).

usage: train.py --out DIR [--steps N | --train-seconds S]
"""
from __future__ import annotations

import argparse
import json
import math
import os
import random
import time
from pathlib import Path

os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")  # the loader forks worker processes

import numpy as np
import torch

import build_tokenizer
import chat_format
import tasks

SEED = 1234
MODEL_SHAPE = dict(hidden_size=384, intermediate_size=1152, num_hidden_layers=6, num_attention_heads=6,
                   num_key_value_heads=2, head_dim=64, max_position_embeddings=1024)
BATCH_SIZE = 512
PEAK_LR = 1e-3
FINAL_LR_FRACTION = 0.05
WARMUP_STEPS = 200
WEIGHT_DECAY = 0.1
LOADER_WORKERS = 10
BATCHES_PER_LENGTH_GROUP = 8  # batches drawn together and grouped by length
HERE = Path(__file__).resolve().parent


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


def as_key(value):
    """JSON turns the tuple keys of heldout.jsonl into lists; turn them back."""
    return tuple(as_key(v) for v in value) if isinstance(value, list) else value


def load_held_out() -> list[dict]:
    rows = [json.loads(line) for line in (HERE / "heldout.jsonl").read_text(encoding="utf-8").splitlines()]
    for row in rows:
        row["key"] = as_key(row["key"])
    return rows


class ExampleBatches(torch.utils.data.IterableDataset):
    """Endless padded batches of (input_ids, labels), grouped by length; each worker draws from its own seeded generator."""

    def __init__(self, tokenizer_json: str, excluded_keys: set, end_id: int):
        self.tokenizer_json = tokenizer_json
        self.excluded_keys = excluded_keys
        self.end_id = end_id

    def __iter__(self):
        from tokenizers import Tokenizer
        tokenizer = Tokenizer.from_str(self.tokenizer_json)
        info = torch.utils.data.get_worker_info()
        rng = random.Random(SEED * 1000 + (info.id if info else 0))
        while True:
            prompts, answers = [], []
            while len(prompts) < BATCH_SIZE * BATCHES_PER_LENGTH_GROUP:
                example = tasks.draw(rng)
                if example.key in self.excluded_keys:
                    continue
                messages, tools = chat_format.training_conversation(rng, example)
                prompts.append(chat_format.render(messages, add_generation_prompt=True, tools=tools))
                answers.append(example.answer + chat_format.END_OF_ANSWER)
            pairs = list(zip([p.ids for p in tokenizer.encode_batch(prompts)],
                             [a.ids for a in tokenizer.encode_batch(answers)]))
            # A batch is padded to its longest conversation, and the ones that
            # list tools run to 3-4x the mean length: cut the group into
            # batches of similar length (shortest first), then yield those
            # batches in random order so the length does not follow the step.
            pairs.sort(key=lambda pair: len(pair[0]) + len(pair[1]))
            batches = [pairs[i:i + BATCH_SIZE] for i in range(0, len(pairs), BATCH_SIZE)]
            rng.shuffle(batches)
            for batch in batches:
                yield self._pad([p for p, _ in batch], [a for _, a in batch])

    def _pad(self, prompts: list[list[int]], answers: list[list[int]]):
        length = max(len(p) + len(a) for p, a in zip(prompts, answers))
        length = (length + 15) // 16 * 16  # few distinct shapes
        input_ids = np.full((len(prompts), length), self.end_id, dtype=np.int64)
        labels = np.full((len(prompts), length), -100, dtype=np.int64)
        for row, (p, a) in enumerate(zip(prompts, answers)):
            input_ids[row, :len(p)] = p
            input_ids[row, len(p):len(p) + len(a)] = a
            labels[row, len(p):len(p) + len(a)] = a  # loss on the answer and its end token only
        return torch.from_numpy(input_ids), torch.from_numpy(labels)


def make_model(vocab_size: int, ids: dict):
    import transformers
    config = transformers.Glm4Config(
        vocab_size=vocab_size, rms_norm_eps=1e-5, tie_word_embeddings=False, hidden_act="silu",
        attention_dropout=0.0, attention_bias=True, partial_rotary_factor=0.5, bos_token_id=None,
        eos_token_id=[ids["<|endoftext|>"], ids["<|user|>"], ids["<|observation|>"]], pad_token_id=None,
        rope_parameters={"rope_type": "default", "rope_theta": 10000.0, "partial_rotary_factor": 0.5},
        **MODEL_SHAPE)
    config.architectures = ["Glm4ForCausalLM"]
    config._attn_implementation = "sdpa"
    torch.manual_seed(SEED)
    return transformers.Glm4ForCausalLM(config)


def learning_rate(step: int, total_steps: int) -> float:
    if step < WARMUP_STEPS:
        return PEAK_LR * (step + 1) / WARMUP_STEPS
    progress = min(1.0, (step - WARMUP_STEPS) / max(1, total_steps - WARMUP_STEPS))
    return PEAK_LR * (FINAL_LR_FRACTION + (1 - FINAL_LR_FRACTION) * 0.5 * (1 + math.cos(math.pi * progress)))


@torch.no_grad()
def greedy_answers(model, tokenizer, rows: list[dict], end_id: int, max_new_tokens: int = 40) -> list[str]:
    """Greedy decoding in float32, prompts grouped by length so no padding is needed."""
    model.eval()
    prompts = []
    for row in rows:
        messages, tools = chat_format.evaluation_conversation(row)
        prompts.append(tokenizer.encode(chat_format.render(messages, True, tools)).ids)
    answers: list[str] = [""] * len(rows)
    by_length: dict[int, list[int]] = {}
    for index, prompt in enumerate(prompts):
        by_length.setdefault(len(prompt), []).append(index)
    for indices in by_length.values():
        ids = torch.tensor([prompts[i] for i in indices], device="cuda")
        generated = torch.empty((len(indices), 0), dtype=torch.long, device="cuda")
        for _ in range(max_new_tokens):
            logits = model(input_ids=torch.cat([ids, generated], dim=1)).logits[:, -1, :]
            generated = torch.cat([generated, logits.argmax(-1, keepdim=True)], dim=1)
            if bool((generated == end_id).any(dim=1).all()):
                break
        for row, index in enumerate(indices):
            tokens = generated[row].tolist()
            tokens = tokens[:tokens.index(end_id)] if end_id in tokens else tokens
            answers[index] = tokenizer.decode(tokens, skip_special_tokens=False)
    model.train()
    return answers


def accuracy_by_task(rows: list[dict], answers: list[str]) -> dict:
    result: dict[str, list[int]] = {}
    for row, answer in zip(rows, answers):
        hits = result.setdefault(row["task"], [0, 0])
        hits[0] += int(answer.strip() == row["answer"])
        hits[1] += 1
    table = {task: hits[0] / hits[1] for task, hits in result.items()}
    table["overall"] = sum(h[0] for h in result.values()) / sum(h[1] for h in result.values())
    return table


def export(model, tokenizer, vocab: dict, out: Path) -> None:
    hf = out / "hf"
    model.float().save_pretrained(str(hf), safe_serialization=True)
    build_tokenizer.write_files(tokenizer, hf, MODEL_SHAPE["max_position_embeddings"])
    ids = vocab["ids"]
    generation = {"bos_token_id": None, "eos_token_id": [ids["<|endoftext|>"], ids["<|user|>"],
                                                         ids["<|observation|>"]],
                  "pad_token_id": ids["<|endoftext|>"], "do_sample": False}
    (hf / "generation_config.json").write_text(json.dumps(generation, indent=2) + "\n", encoding="utf-8")
    for extra in ("chat_template.jinja", "special_tokens_map.json"):
        if (hf / extra).exists():
            (hf / extra).unlink()


@torch.no_grad()
def write_reference_logits(model, tokenizer, row: dict, path: Path) -> list[int]:
    """float32 [ids x vocab] logits of one held-out conversation: a check on keel's forward of this model."""
    model.eval()
    text = chat_format.render([{"role": "user", "content": row["question"]}], True)
    ids = tokenizer.encode(text).ids + tokenizer.encode(row["answer"] + chat_format.END_OF_ANSWER).ids
    logits = model(input_ids=torch.tensor([ids], device="cuda")).logits[0].float().cpu().numpy()
    logits.astype("<f4").tofile(path)
    return ids


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--steps", type=int, default=0)
    parser.add_argument("--train-seconds", type=float, default=330.0)
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    random.seed(SEED)
    np.random.seed(SEED)
    torch.backends.cuda.matmul.allow_tf32 = True

    started = time.time()
    tokenizer = build_tokenizer.build()
    vocab = build_tokenizer.write_files(tokenizer, args.out / "tokenizer", MODEL_SHAPE["max_position_embeddings"])
    end_id = vocab["ids"][chat_format.END_OF_ANSWER]
    log(f"tokenizer: {vocab['vocab_size']} tokens in {time.time() - started:.1f}s; ids {vocab['ids']}")

    held_out = load_held_out()
    excluded = {row["key"] for row in held_out if row["task"] in tasks.HELD_OUT_EXCLUDED_FROM_TRAINING}
    model = make_model(vocab["vocab_size"], vocab["ids"]).cuda()
    parameters = sum(p.numel() for p in model.parameters())
    log(f"model: {parameters:,} parameters, {MODEL_SHAPE}")

    loader = torch.utils.data.DataLoader(ExampleBatches(tokenizer.to_str(), excluded, end_id), batch_size=None,
                                         num_workers=LOADER_WORKERS, prefetch_factor=4, persistent_workers=True)
    decay = [p for n, p in model.named_parameters() if p.dim() >= 2 and "embed" not in n]
    no_decay = [p for n, p in model.named_parameters() if p.dim() < 2 or "embed" in n]
    optimizer = torch.optim.AdamW([{"params": decay, "weight_decay": WEIGHT_DECAY},
                                   {"params": no_decay, "weight_decay": 0.0}],
                                  lr=PEAK_LR, betas=(0.9, 0.95), fused=True)
    total_steps = args.steps if args.steps > 0 else 10**9
    model.train()
    train_started, timed_from, losses = None, None, []
    step = 0
    for input_ids, labels in loader:
        if step >= total_steps:
            break
        if step == 0:
            train_started = time.time()
        if step == 20 and args.steps == 0:
            torch.cuda.synchronize()
            timed_from = time.time()
        if step == 120 and args.steps == 0:
            torch.cuda.synchronize()
            seconds_per_step = (time.time() - timed_from) / 100
            total_steps = int((args.train_seconds - (time.time() - train_started)) / seconds_per_step) + step
            log(f"{seconds_per_step * 1000:.1f} ms/step -> {total_steps} steps in {args.train_seconds:.0f}s")
        for group in optimizer.param_groups:
            group["lr"] = learning_rate(step, total_steps if total_steps < 10**9 else 5000)
        input_ids, labels = input_ids.cuda(non_blocking=True), labels.cuda(non_blocking=True)
        with torch.autocast("cuda", dtype=torch.bfloat16):
            loss = model(input_ids=input_ids, labels=labels).loss
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
        losses.append(loss.detach())
        step += 1
        if step % 250 == 0:
            log(f"step {step}/{total_steps} loss {torch.stack(losses).mean().item():.4f} "
                f"lr {optimizer.param_groups[0]['lr']:.2e}")
            losses = []
    train_seconds = time.time() - train_started
    log(f"trained {step} steps ({step * BATCH_SIZE:,} examples) in {train_seconds:.0f}s")

    torch.backends.cuda.matmul.allow_tf32 = False  # evaluation and reference logits in full float32
    answers = greedy_answers(model, tokenizer, held_out, end_id)
    accuracy = accuracy_by_task(held_out, answers)
    log("held-out exact match (PyTorch, float32, greedy): "
        + ", ".join(f"{task} {value:.3f}" for task, value in accuracy.items()))
    wrong = [(r["question"], r["answer"], a) for r, a in zip(held_out, answers) if a.strip() != r["answer"]]
    for question, expected, got in wrong[:40]:
        log(f"  wrong: {question!r} expected {expected!r} got {got!r}")

    export(model, tokenizer, vocab, args.out)
    reference_ids = write_reference_logits(model, tokenizer, held_out[0], args.out / "reference_logits.f32")
    info = {"seed": SEED, "steps": step, "batch_size": BATCH_SIZE,
            "batches_per_length_group": BATCHES_PER_LENGTH_GROUP, "train_seconds": round(train_seconds, 1),
            "parameters": parameters, "model_shape": MODEL_SHAPE, "vocab_size": vocab["vocab_size"],
            "peak_lr": PEAK_LR, "reference_ids": reference_ids, "held_out_accuracy_pytorch": accuracy,
            "torch": torch.__version__}
    (args.out / "training.json").write_text(json.dumps(info, indent=2) + "\n", encoding="utf-8")
    with open(args.out / "heldout_answers.jsonl", "w", encoding="utf-8") as f:
        for row, answer in zip(held_out, answers):
            f.write(json.dumps({"question": row["question"], "expected": row["answer"], "got": answer}) + "\n")
    log(f"exported to {args.out / 'hf'}; total {time.time() - started:.0f}s")


if __name__ == "__main__":
    main()
