// The serving engine's flags, shared by every command that runs an Engine
// (`keel batch`, `keel serve`): one place for their names, defaults and
// parsing, so that the CLI contract cannot drift between commands.
//
//   --kv-cache-memory BYTES     KV pool size (suffixes K, M, G = KiB, MiB, GiB);
//                               default: --max-context × --max-seqs worth of blocks
//   --kv-cache-dtype T          f16 (default) | bf16 | f32: how K and V are stored
//   --kv-block-size N           tokens per KV block (16)
//   --max-batch-tokens N        token rows per step (512)
//   --max-seqs N                running sequences at most (16)
//   --max-context N             positions per sequence (the model's context length)
//   --prefix-cache-policy P     slru (scan resistant, default) | lru
//   --no-prefix-cache           never reuse KV across requests
//   --device D                  auto (default) | cpu | reference | cuda (where built)
//   --exact-kernels             float products on exactly decoded weights (the
//                               transformers-exact path) instead of the fast
//                               integer-dot kernels
//   --threads N, -t N           CPU compute threads (threads_flag.h)
#pragma once

#include <cstdint>
#include <string>

#include <CLI/CLI.hpp>

#include "core/result.h"
#include "engine/engine_options.h"
#include "model/model.h"

namespace keel::cli {

struct EngineFlags {
  std::string kv_cache_memory;  // as typed; parsed by to_engine_options
  double gpu_memory_utilization = 0;  // on a GPU without --kv-cache-memory; 0 off (the serving commands: 0.9)
  int32_t kv_block_size = 16;
  int32_t max_batch_tokens = 512;
  int32_t max_seqs = 16;
  int32_t max_context = 0;
  std::string prefix_cache_policy = "slru";
  bool no_prefix_cache = false;
  std::string prefix_cache_ttl;  // as typed ("10m", "300"); "" = off
  std::string kv_cache_dtype = "f16";
  std::string device = "auto";
  bool exact_kernels = false;
  int32_t threads = 0;  // --threads; 0: one per usable CPU (the pool is sized when the flag is parsed)
};

void add_engine_flags(CLI::App* app, EngineFlags& flags);
// --device, --exact-kernels, --kv-cache-dtype and --threads alone, for the commands that run one
// request through the engine (`keel run`, `keel logits`, `bench quality`);
// `default_kv_dtype` is that command's default.
void add_device_flags(CLI::App* app, EngineFlags& flags, const std::string& default_kv_dtype);

// Errors name the flag at fault.
Result<EngineOptions> to_engine_options(const EngineFlags& flags);
// The model's load options: the --device and --exact-kernels.
LoadOptions to_load_options(const EngineFlags& flags);

// "1048576", "512M", "2G" -> bytes. Errors on anything else.
Result<int64_t> parse_byte_size(const std::string& text);

}  // namespace keel::cli
