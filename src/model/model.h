// Model: a loaded checkpoint that can run forward steps.
//
//   auto model = load_model("qwen2.5-0.5b-q8_0.gguf");  // or an HF directory
//   auto cache = model->make_kv_cache(/*slots=*/1, /*capacity=*/4096);
//   model->forward(batch, *cache, logits);               // logits [rows wanting logits, vocab]
//
// The model owns the mapped file(s), the weight views, the backend and
// activation workspaces sized once for LoadOptions::max_batch_tokens; a
// forward step allocates nothing.
#pragma once

#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "backend/backend.h"
#include "core/result.h"
#include "format/gguf.h"
#include "format/safetensors.h"
#include "model/arch_registry.h"
#include "model/config.h"
#include "model/forward_batch.h"
#include "model/layers.h"
#include "model/weights.h"

namespace keel {

struct LoadOptions {
  int64_t max_batch_tokens = 512;  // most tokens one forward call may carry
};

// Told how far loading has come: `fraction` rises from 0 to 1 (1 once the
// model is ready) and `message` says what is being done ("binding
// blk.3.attn_q.weight"). Called on the loading thread, once per tensor, so
// a display should throttle itself.
using LoadProgress = std::function<void(double fraction, std::string_view message)>;

class Model {
 public:
  const ModelConfig& config() const { return config_; }
  const Weights& weights() const { return weights_; }
  const std::filesystem::path& source_path() const { return source_path_; }
  // The GGUF file (metadata, tokenizer arrays) or null for an HF directory.
  const GgufFile* gguf() const { return gguf_ ? &*gguf_ : nullptr; }
  int64_t max_batch_tokens() const { return max_batch_tokens_; }

  // Multi-line summary for `keel inspect`: config, parameters, dtypes.
  std::string description() const;

  // A cache shaped for this model: `slots` sequences of `capacity` positions.
  std::unique_ptr<KvCache> make_kv_cache(int32_t slots, int32_t capacity) const;

  // Runs the batch through every layer, storing its K/V in `cache`, and
  // writes one row of `vocab` logits for each token whose wants_logits is
  // set, in batch order. Errors (nothing is computed): mismatched span
  // lengths, more than max_batch_tokens tokens, a token id outside the
  // vocabulary, a slot or position the cache cannot hold, `logits` not
  // exactly [rows wanting logits × vocab], a cache of another shape.
  Status forward(const ForwardBatch& batch, KvCache& cache, std::span<float> logits);

 private:
  friend Result<std::unique_ptr<Model>> load_model(const std::filesystem::path&, const LoadOptions&,
                                                  const LoadProgress&);
  Model() = default;
  void reserve_workspace();
  Status check_batch(const ForwardBatch& batch, const KvCache& cache, std::span<float> logits) const;

  std::filesystem::path source_path_;
  std::optional<GgufFile> gguf_;
  std::optional<SafetensorsCheckpoint> safetensors_;
  ModelConfig config_;
  Weights weights_;
  const ArchSpec* spec_ = nullptr;
  std::vector<float> inv_frequency_;  // [rotary_dims / 2]
  RopeParams rope_;
  std::unique_ptr<Backend> backend_;
  int64_t max_batch_tokens_ = 0;
  std::vector<float> workspace_;  // every activation buffer, carved up in `act_`
  Activations act_;
};

// Loads a .gguf file or a Hugging Face model directory (config.json and
// model.safetensors or a sharded index). `progress`, when set, follows the
// tensors as they are bound.
Result<std::unique_ptr<Model>> load_model(const std::filesystem::path& path, const LoadOptions& options = {},
                                          const LoadProgress& progress = {});

}  // namespace keel
