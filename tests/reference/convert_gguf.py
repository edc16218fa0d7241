"""Run llama.cpp's own convert_hf_to_gguf.py on a fixture HF dir.

Our tokenizers are freshly trained, so the converter's hash-based detection of the
BPE pre-tokenizer cannot recognise them. This wrapper only pins the answer of
TextModel.get_vocab_base_pre to the family's pre-tokenizer name, then runs the
converter's main() unchanged, once per requested outtype.

usage: convert_gguf.py LLAMA_CPP_DIR HF_DIR OUT_DIR PRE MODEL_NAME [--vocab-only OUTFILE] [outtype ...]
(PRE '-' = leave the converter's detection alone)
"""
from __future__ import annotations

import sys
from pathlib import Path


def main() -> None:
    llama_cpp, hf_dir, out_dir, pre, name = sys.argv[1:6]
    rest = sys.argv[6:]
    sys.path.insert(0, str(Path(llama_cpp) / "gguf-py"))
    sys.path.insert(0, str(Path(llama_cpp)))
    import convert_hf_to_gguf as conv  # noqa: E402
    from conversion.base import TextModel  # noqa: E402

    if pre != "-":
        TextModel.get_vocab_base_pre = lambda self, tokenizer: pre  # type: ignore[method-assign]

    if rest and rest[0] == "--vocab-only":
        sys.argv = ["convert_hf_to_gguf.py", "--vocab-only", "--model-name", name, "--outfile", rest[1], hf_dir]
        conv.main()
        return
    for outtype in rest:
        out = Path(out_dir) / f"model-{outtype}.gguf"
        sys.argv = ["convert_hf_to_gguf.py", "--outtype", outtype, "--model-name", name, "--outfile", str(out),
                    hf_dir]
        conv.main()


if __name__ == "__main__":
    main()
