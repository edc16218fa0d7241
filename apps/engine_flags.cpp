#include "engine_flags.h"

#include <cctype>

#include "bench/units.h"
#include "threads_flag.h"

namespace keel::cli {

void add_engine_flags(CLI::App* app, EngineFlags& flags) {
  flags.gpu_memory_utilization = 0.9;  // a server's KV pool fills the GPU, as vLLM's does
  app->add_option("--kv-cache-memory", flags.kv_cache_memory,
                  "bytes of KV cache (K/M/G suffixes); default: on a GPU, --gpu-memory-utilization; "
                  "otherwise --max-context x --max-seqs");
  app->add_option("--gpu-memory-utilization", flags.gpu_memory_utilization,
                  "on a GPU without --kv-cache-memory: the fraction of the device's memory keel may use in all; "
                  "the KV cache gets what the weights, activations and scratch leave of it (0: off)")
      ->check(CLI::Range(0.0, 1.0))
      ->capture_default_str();
  app->add_option("--kv-block-size", flags.kv_block_size, "tokens per KV block")->capture_default_str();
  app->add_option("--max-batch-tokens", flags.max_batch_tokens, "token rows per engine step")->capture_default_str();
  app->add_option("--max-seqs", flags.max_seqs, "running sequences at most")->capture_default_str();
  app->add_option("--max-context", flags.max_context, "positions per sequence (default: the model's context)");
  app->add_option("--prefix-cache-policy", flags.prefix_cache_policy, "eviction policy: slru (scan resistant) or lru")
      ->capture_default_str();
  app->add_flag("--no-prefix-cache", flags.no_prefix_cache, "never reuse KV blocks across requests");
  app->add_option("--prefix-cache-ttl", flags.prefix_cache_ttl,
                  "free cached KV blocks unused for this long (e.g. 300s, 10m, 1h; default: off)");
  add_device_flags(app, flags, "f16");
}

void add_device_flags(CLI::App* app, EngineFlags& flags, const std::string& default_kv_dtype) {
  flags.kv_cache_dtype = default_kv_dtype;
  app->add_option("--kv-cache-dtype", flags.kv_cache_dtype, "how the KV cache stores K and V: f16, bf16 or f32")
      ->capture_default_str();
  app->add_option("--device", flags.device, "where the model runs: auto (a GPU when built and present), cpu, ...")
      ->capture_default_str();
  app->add_flag("--exact-kernels", flags.exact_kernels,
                "exact float products on decoded weights (slower) instead of integer-dot kernels");
  add_threads_flag(app, flags.threads);
}

LoadOptions to_load_options(const EngineFlags& flags) {
  LoadOptions options;
  options.device = flags.device;
  options.exact_kernels = flags.exact_kernels;
  return options;
}

Result<int64_t> parse_byte_size(const std::string& text) {
  size_t digits = 0;
  while (digits < text.size() && std::isdigit(static_cast<unsigned char>(text[digits]))) ++digits;
  if (digits == 0 || digits > 15) return Error{"--kv-cache-memory: expected a byte count such as 536870912 or 512M, got '" + text + "'"};
  int64_t value = std::stoll(text.substr(0, digits));
  const std::string suffix = text.substr(digits);
  if (suffix == "K" || suffix == "KiB" || suffix == "k") value <<= 10;
  else if (suffix == "M" || suffix == "MiB") value <<= 20;
  else if (suffix == "G" || suffix == "GiB") value <<= 30;
  else if (!suffix.empty() && suffix != "B")
    return Error{"--kv-cache-memory: unknown unit '" + suffix + "' (use K, M or G)"};
  return value;
}

Result<EngineOptions> to_engine_options(const EngineFlags& flags) {
  EngineOptions options;
  if (!flags.kv_cache_memory.empty()) {
    KEEL_ASSIGN_OR_RETURN(options.kv_cache_memory, parse_byte_size(flags.kv_cache_memory));
    if (options.kv_cache_memory <= 0) return Error{"--kv-cache-memory must be positive"};
  }
  if (options.kv_cache_memory == 0) options.gpu_memory_utilization = flags.gpu_memory_utilization;
  options.kv_block_size = flags.kv_block_size;
  options.max_batch_tokens = flags.max_batch_tokens;
  options.max_seqs = flags.max_seqs;
  options.max_context = flags.max_context;
  const auto policy = parse_eviction_policy(flags.prefix_cache_policy);
  if (!policy) return Error{"--prefix-cache-policy: expected slru or lru, got '" + flags.prefix_cache_policy + "'"};
  options.prefix_cache_policy = *policy;
  options.prefix_cache = !flags.no_prefix_cache;
  if (!flags.prefix_cache_ttl.empty()) {
    auto ttl = bench::parse_duration_seconds(flags.prefix_cache_ttl);
    if (!ttl.ok() || *ttl <= 0)
      return Error{"--prefix-cache-ttl: expected a positive duration such as 300s, 10m or 1h, got '" +
                   flags.prefix_cache_ttl + "'"};
    options.prefix_cache_ttl_s = *ttl;
  }
  auto dtype = parse_kv_dtype(flags.kv_cache_dtype);
  if (!dtype.ok()) return Error{"--kv-cache-dtype: " + dtype.error().message};
  options.kv_cache_dtype = *dtype;
  return options;
}

}  // namespace keel::cli
