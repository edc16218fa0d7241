// Model: a loaded checkpoint, its weights resident on the backend it runs on.
//
//   auto model = load_model("qwen2.5-0.5b-q8_0.gguf", {.device = "cpu"});  // or an HF directory
//   auto runner = ModelRunner::create(*model, limits);   // per engine: KV, activations
//   runner->forward(batch, logits);
//
// The model owns the mapped file(s), the weight views and the backend. It
// holds no per-request state: each engine's ModelRunner reserves its own KV
// storage and workspaces on the model's backend.
#pragma once

#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "backend/backend.h"
#include "core/result.h"
#include "format/gguf.h"
#include "format/safetensors.h"
#include "model/arch_registry.h"
#include "model/config.h"
#include "model/weights.h"

namespace keel {

// Wraps the backend the registry made (tests inject faults this way).
using BackendWrapper = std::function<std::unique_ptr<Backend>(std::unique_ptr<Backend>)>;

struct LoadOptions {
  std::string device = "cpu";  // a --device name (backend/registry.h): cpu, reference, auto, ...
  bool exact_kernels = false;  // --exact-kernels (BackendOptions): exact float products instead of the fast kernels
  BackendWrapper wrap_backend;  // optional
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
  Backend& backend() const { return *backend_; }
  const ArchSpec& spec() const { return *spec_; }
  const RopeParams& rope() const { return rope_; }

  // Multi-line summary for `keel inspect`: config, parameters, dtypes.
  std::string description() const;

 private:
  friend Result<std::unique_ptr<Model>> load_model(const std::filesystem::path&, const LoadOptions&,
                                                  const LoadProgress&);
  Model() = default;

  std::filesystem::path source_path_;
  std::optional<GgufFile> gguf_;
  std::optional<SafetensorsCheckpoint> safetensors_;
  ModelConfig config_;
  Weights weights_;
  const ArchSpec* spec_ = nullptr;
  std::vector<float> inv_frequency_;  // [rotary_dims / 2], host
  RopeParams rope_;                   // its inv_frequency resident on the backend
  std::unique_ptr<Backend> backend_;
};

// Loads a .gguf file or a Hugging Face model directory (config.json and
// model.safetensors or a sharded index) onto the backend options.device
// names. `progress`, when set, follows the tensors as they are bound.
Result<std::unique_ptr<Model>> load_model(const std::filesystem::path& path, const LoadOptions& options = {},
                                          const LoadProgress& progress = {});

}  // namespace keel
