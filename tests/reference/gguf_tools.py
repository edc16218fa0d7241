"""GGUF helpers built on llama.cpp's gguf-py (must be importable as `gguf`).

- fuse_qkv: rewrite a GGUF so that blk.N.attn_{q,k,v}.{weight,bias} become one
  blk.N.attn_qkv.{weight,bias} (rows: Q, then K, then V), keeping all metadata.
- describe: list of (name, type, ne) for the README.
- hf_state_dict: dequantize every tensor and map it back to HF parameter names
  (undoing the llama Q/K row permutation), for reference logits on the file's own weights.
"""
from __future__ import annotations

import re
from pathlib import Path

import numpy as np


def _copy_fields(reader, writer, overrides: dict) -> None:
    import gguf
    for field in reader.fields.values():
        if field.name == gguf.Keys.General.ARCHITECTURE or field.name.startswith("GGUF."):
            continue
        vtype = field.types[0]
        sub = field.types[-1] if vtype == gguf.GGUFValueType.ARRAY else None
        val = overrides.get(field.name, field.contents())
        writer.add_key_value(field.name, val, vtype, sub_type=sub)


def fuse_qkv(src: Path, dst: Path, overrides: dict | None = None) -> list[str]:
    """overrides: {key: new value} for existing scalar keys (type kept)."""
    import gguf
    reader = gguf.GGUFReader(str(src))
    arch = reader.fields[gguf.Keys.General.ARCHITECTURE].contents()
    writer = gguf.GGUFWriter(str(dst), arch)
    _copy_fields(reader, writer, overrides or {})
    by_name = {t.name: t for t in reader.tensors}
    done = []
    for t in reader.tensors:
        m = re.fullmatch(r"blk\.(\d+)\.attn_([qkv])\.(weight|bias)", t.name)
        if m is None:
            writer.add_tensor(t.name, t.data, raw_shape=t.data.shape, raw_dtype=t.tensor_type)
            continue
        if m.group(2) != "q":
            continue
        b, kind = m.group(1), m.group(3)
        parts = [by_name[f"blk.{b}.attn_{x}.{kind}"] for x in "qkv"]
        assert len({p.tensor_type for p in parts}) == 1, [p.tensor_type for p in parts]
        data = np.concatenate([np.asarray(p.data) for p in parts], axis=0)
        name = f"blk.{b}.attn_qkv.{kind}"
        writer.add_tensor(name, data, raw_shape=data.shape, raw_dtype=t.tensor_type)
        done.append(name)
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return done


def describe(path: Path) -> list[tuple[str, str, list[int]]]:
    import gguf
    r = gguf.GGUFReader(str(path))
    return [(t.name, t.tensor_type.name, [int(x) for x in t.shape]) for t in r.tensors]


def metadata(path: Path) -> dict:
    import gguf
    r = gguf.GGUFReader(str(path))
    out = {}
    for f in r.fields.values():
        if f.name.startswith("GGUF."):
            continue
        if f.types and f.types[0] == gguf.GGUFValueType.ARRAY:
            out[f.name] = f"[array of {len(f.data)}]"
        else:
            v = f.contents()
            if isinstance(v, str) and len(v) > 80:
                v = v[:60] + f"... ({len(v)} chars)"
            out[f.name] = v
    return out


def _unpermute(w: np.ndarray, n_head: int) -> np.ndarray:
    """Inverse of the converter's llama Q/K permutation. GGUF row 2j+t of a head = HF row t*(hd/2)+j."""
    shape = w.shape
    hd = shape[0] // n_head
    x = w.reshape(n_head, hd // 2, 2, *shape[1:])
    x = np.swapaxes(x, 1, 2)
    return x.reshape(shape)


_COMMON = {
    "token_embd.weight": "model.embed_tokens.weight",
    "output_norm.weight": "model.norm.weight",
    "output.weight": "lm_head.weight",
}
_LAYER = {
    "attn_norm": "input_layernorm",
    "attn_q": "self_attn.q_proj",
    "attn_k": "self_attn.k_proj",
    "attn_v": "self_attn.v_proj",
    "attn_output": "self_attn.o_proj",
    "attn_q_norm": "self_attn.q_norm",
    "attn_k_norm": "self_attn.k_norm",
    "ffn_norm": "post_attention_layernorm",
    "ffn_gate": "mlp.gate_proj",
    "ffn_down": "mlp.down_proj",
    "post_attention_norm": "post_self_attn_layernorm",   # glm4 sandwich norm after attention
    "post_ffw_norm": "post_mlp_layernorm",               # glm4 sandwich norm after the MLP
}


def hf_state_dict(path: Path, family: str, n_head: int, n_kv: int) -> tuple[dict, dict]:
    """Dequantized GGUF tensors under HF names. Returns (state_dict of np.float32, info)."""
    import gguf
    from gguf.quants import dequantize
    r = gguf.GGUFReader(str(path))
    sd: dict[str, np.ndarray] = {}
    info = {"types": {}, "extra": []}
    for t in r.tensors:
        w = np.asarray(dequantize(t.data, t.tensor_type), dtype=np.float32)
        w = w.reshape([int(x) for x in reversed(t.shape)]) if w.size == int(np.prod(t.shape)) else w
        info["types"].setdefault(t.tensor_type.name, 0)
        info["types"][t.tensor_type.name] += 1
        if t.name in _COMMON:
            sd[_COMMON[t.name]] = w
            continue
        if t.name == "rope_freqs.weight":
            info["rope_freqs"] = w.tolist()
            continue
        m = re.fullmatch(r"blk\.(\d+)\.([a-z_]+)\.(weight|bias)", t.name)
        if m is None:
            info["extra"].append(t.name)
            continue
        b, base, kind = m.groups()
        pre = f"model.layers.{b}."
        if base == "attn_qkv":
            q_rows, kv_rows = n_head * (w.shape[0] // (n_head + 2 * n_kv)), n_kv * (w.shape[0] // (n_head + 2 * n_kv))
            sd[pre + f"self_attn.q_proj.{kind}"] = w[:q_rows]
            sd[pre + f"self_attn.k_proj.{kind}"] = w[q_rows:q_rows + kv_rows]
            sd[pre + f"self_attn.v_proj.{kind}"] = w[q_rows + kv_rows:]
            continue
        if base == "ffn_up":
            hf = "mlp.gate_up_proj" if family in ("glm", "glm4") else "mlp.up_proj"
        elif base in _LAYER:
            hf = _LAYER[base]
        else:
            info["extra"].append(t.name)
            continue
        if family == "llama" and base == "attn_q":
            w = _unpermute(w, n_head)
        if family == "llama" and base == "attn_k":
            w = _unpermute(w, n_kv)
        sd[pre + f"{hf}.{kind}"] = w
    return sd, info
