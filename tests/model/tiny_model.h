// A tiny random-weight model of any family, written to disk twice: as a
// Hugging Face directory (config.json + model.safetensors, HF names and
// layouts) and as a GGUF file laid out the way llama.cpp's converter does
// (GGUF names, llama Q/K rows permuted per head, optionally GLM's fused
// attn_qkv, matrices in a chosen dtype). Loading both must give the same
// logits, which checks every format-specific path of the loader.
#pragma once

#include <filesystem>

#include "core/dtype.h"
#include "core/result.h"
#include "model/config.h"

namespace keel::testing {

struct TinyModelOptions {
  Family family = Family::kQwen2;
  bool tie_embeddings = false;
  bool llama3_scaling = false;   // llama: rope_scaling in config.json, rope_freqs.weight in GGUF
  bool fused_qkv_in_gguf = false;  // write attn_qkv instead of attn_q/k/v
  DType gguf_matrix_dtype = DType::F32;
};

// Writes `dir`/hf/ and `dir`/model.gguf.
Status write_tiny_model(const TinyModelOptions& options, const std::filesystem::path& dir);

}  // namespace keel::testing
