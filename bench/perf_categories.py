#!/usr/bin/env python3
"""Splits a `perf record` of keel into what a decode step spends its time on.

Reads `perf script -F pid,tid,ip,sym,dso` on stdin and prints, for the
engine thread (the process's main thread in `keel run` and `keel bench
model`), the pool's workers and both together, the share of samples whose
leaf function falls in each category: matmul, attention, the other forward
ops, sampling, detokenizer and stop checks, prefix-cache hashing, the
scheduler and engine loop, the thread pool's waits. Loading the model and
tokenizer, and `keel bench model`'s read-ceiling measurement, are left out
of the shares (they are not a decode step).

    perf record -e cpu-clock -F 2000 -o run.data -- keel run ... -n 64 --ignore-eos
    perf script -i run.data --time 10%-100% -F pid,tid,ip,sym,dso | python3 bench/perf_categories.py

The engine thread's shares are the ones that read as shares of a step's
wall time: it runs the whole step, the worker only the parallel parts.
"""
import collections
import re
import sys

# First match wins, so the specific patterns come before the general ones.
CATEGORIES = [
    ("startup (not counted)", r"index_vocabulary|BpeMerges|byte_level|_Hash_bytes|Tokenizer|TokenTexts::TokenTexts|"
                              r"Gguf|load_model|from_gguf|Engine::create|token_bytes|ld-linux|Weights::"),
    ("read ceiling (not counted)", r"sum_range|measured_read_bandwidth"),
    ("matmul", r"accumulate_avx|matmul|quantize_row|QuantizedActivations|integer_panel|panel|four_rows|decode_q|"
               r"gemm|row_decoder"),
    ("attention", r"attend|attention|decode_f16|decode_bf16|kv_store|f32_to_f16"),
    ("other forward ops", r"rms_norm|swiglu|rope|expf|sincos|nearbyint|embed|CpuBackend::|ModelRunner|_sublayer|"
                          r"decoder_layer|forward"),
    ("sampling", r"Sampler|argmax|softmax|weigh_block|uniform_real|mersenne|generate_canonical|MoreLikely|"
                 r"introsort|insertion_sort|nth_element|__adjust_heap|__heap_select|__move_median|__unguarded"),
    ("detokenize + stop checks", r"Utf8Stream|append_sanitized|utf8|StopChecker|TokenTexts::bytes|accept_token|"
                                 r"decode_at|incomplete_tail"),
    ("prefix-cache hashing", r"block_key|mix64|PrefixCache|BlockKeyIndex|commit_full_blocks"),
    ("scheduler + engine loop", r"Scheduler|BatchBuilder|ForwardBatch|BlockManager|BlockPool|BlockTable|Engine::|"
                                r"RequestStream|finish_request|update_usage|allocation_probe|CountedRegion|"
                                r"step_once|Eviction|SlruPolicy|LruPolicy|run_single_request|StreamUpdate"),
    ("thread pool waits", r"ThreadPool|wait_for_job|run_chunks|parallel_for|sched_yield|futex|pthread|lll_lock|"
                          r"__schedule|finish_task_switch|_raw_spin|do_syscall|irqentry|handle_softirqs|entry_SYSCALL"),
    ("kernel and libc, other", r"kallsyms|memset|memcpy|memmove|clock_gettime|steady_clock"),
]
NOT_COUNTED = {"startup (not counted)", "read ceiling (not counted)"}
RULES = [(name, re.compile(pattern)) for name, pattern in CATEGORIES]
NAMES = [name for name, _ in CATEGORIES] + ["other"]


def category(symbol):
    for name, rule in RULES:
        if rule.search(symbol):
            return name
    return "other"


def report(title, counts):
    counted = sum(n for name, n in counts.items() if name not in NOT_COUNTED)
    print(f"{title}: {counted} samples")
    for name in NAMES:
        if name in NOT_COUNTED or counts[name] == 0:
            continue
        print(f"  {name:28s} {counts[name]:8d} {100.0 * counts[name] / max(counted, 1):6.2f}%")


def main():
    threads = collections.defaultdict(collections.Counter)
    others = collections.Counter()
    for line in sys.stdin:
        match = re.match(r"\s*(\d+)/(\d+)\s+[0-9a-f]+\s+(.*)", line)
        if not match:
            continue
        pid, tid, symbol = int(match.group(1)), int(match.group(2)), match.group(3).strip()
        name = category(symbol)
        if name == "other":
            others[symbol] += 1
        threads["engine thread" if tid == pid else "pool workers"][name] += 1
    for title in ("engine thread", "pool workers"):
        if title in threads:
            report(title, threads[title])
    report("all threads", sum(threads.values(), collections.Counter()))
    if others:
        print("most frequent in other:", ", ".join(f"{s} ({n})" for s, n in others.most_common(5)))


if __name__ == "__main__":
    main()
