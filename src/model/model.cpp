#include "model/model.h"

#include <algorithm>
#include <cstring>
#include <memory>
#include <sstream>

#include "backend/cpu/contiguous_kv_cache.h"
#include "model/config_gguf.h"
#include "model/config_hf.h"
#include "model/rope_frequencies.h"

namespace keel {

namespace {

// Share of the progress bar for opening the file and for what follows the
// tensors (workspaces); binding the tensors is the rest.
constexpr double kOpenedFraction = 0.02;
constexpr double kBoundFraction = 0.95;

// Wraps `lookup` so that every tensor found reports progress: `found` of
// `total` tensors in the file (a model may leave some unused, so the bar
// is clamped rather than trusted to reach its end).
TensorLookup reporting_lookup(TensorLookup lookup, size_t total, const LoadProgress& progress) {
  if (!progress) return lookup;
  auto found = std::make_shared<size_t>(0);
  return [lookup = std::move(lookup), total, found, &progress](std::string_view name) {
    const TensorView* view = lookup(name);
    if (view) {
      const double share = total > 0 ? std::min(1.0, static_cast<double>(++*found) / static_cast<double>(total)) : 1.0;
      progress(kOpenedFraction + (kBoundFraction - kOpenedFraction) * share, "binding " + std::string(name));
    }
    return view;
  };
}

}  // namespace

Result<std::unique_ptr<Model>> load_model(const std::filesystem::path& path, const LoadOptions& options,
                                          const LoadProgress& progress) {
  if (options.max_batch_tokens <= 0) return Error{"max_batch_tokens must be positive"};
  auto report = [&](double fraction, std::string_view message) {
    if (progress) progress(fraction, message);
  };
  report(0.0, "opening " + path.filename().string());
  std::unique_ptr<Model> model(new Model());
  model->source_path_ = path;
  TensorLookup lookup;
  size_t tensors = 0;
  if (std::filesystem::is_directory(path)) {
    KEEL_ASSIGN_OR_RETURN(model->config_, config_from_hf_dir(path));
    KEEL_ASSIGN_OR_RETURN(model->safetensors_, SafetensorsCheckpoint::open_dir(path));
    lookup = [checkpoint = &*model->safetensors_](std::string_view name) { return checkpoint->find(name); };
    tensors = model->safetensors_->names().size();
  } else {
    KEEL_ASSIGN_OR_RETURN(model->gguf_, GgufFile::open(path));
    KEEL_ASSIGN_OR_RETURN(model->config_, config_from_gguf(*model->gguf_));
    lookup = [file = &*model->gguf_](std::string_view name) -> const TensorView* {
      const GgufTensorInfo* info = file->find_tensor(name);
      return info ? &info->view : nullptr;
    };
    tensors = model->gguf_->tensors().size();
  }
  report(kOpenedFraction, "binding tensors");
  const ModelConfig& config = model->config_;
  KEEL_ASSIGN_OR_RETURN(model->weights_, Weights::load(reporting_lookup(std::move(lookup), tensors, progress), config));
  report(kBoundFraction, "reserving workspaces");
  model->spec_ = &arch_spec(config.family);
  model->inv_frequency_ = rope_inverse_frequencies(config, model->weights_.rope_divisors);
  model->rope_ = RopeParams{config.rope_style, config.rotary_dims, model->inv_frequency_};
  model->max_batch_tokens_ = options.max_batch_tokens;
  const int64_t longest_row = std::max({config.hidden, config.heads * config.head_dim, config.ffn});
  model->backend_ = make_cpu_backend(BackendLimits{longest_row});
  model->reserve_workspace();
  report(1.0, "loaded");
  return model;
}

void Model::reserve_workspace() {
  const int64_t n = max_batch_tokens_;
  const int64_t H = config_.hidden, F = config_.ffn;
  const int64_t q_width = config_.heads * config_.head_dim;
  const int64_t kv_width = config_.kv_heads * config_.head_dim;
  struct Slice {
    float** target;
    int64_t floats;
  };
  const Slice slices[] = {
      {&act_.x, n * H},         {&act_.normed, n * H},    {&act_.q, n * q_width},
      {&act_.k, n * kv_width},  {&act_.v, n * kv_width},  {&act_.attn, n * q_width},
      {&act_.sublayer, n * H},  {&act_.gate, n * F},      {&act_.up, n * F},
  };
  int64_t total = 0;
  for (const Slice& s : slices) total += s.floats;
  workspace_.assign(static_cast<size_t>(total), 0.0f);
  float* next = workspace_.data();
  for (const Slice& s : slices) {
    *s.target = next;
    next += s.floats;
  }
}

std::unique_ptr<KvCache> Model::make_kv_cache(int32_t slots, int32_t capacity) const {
  return std::make_unique<ContiguousKvCache>(slots, static_cast<int32_t>(config_.layers), capacity,
                                             config_.kv_heads * config_.head_dim);
}

Status Model::check_batch(const ForwardBatch& batch, const KvCache& cache, std::span<float> logits) const {
  const size_t n = batch.tokens.size();
  if (batch.positions.size() != n || batch.sequence_slot.size() != n || batch.wants_logits.size() != n)
    return Error{"forward batch: tokens, positions, sequence_slot and wants_logits differ in length"};
  if (static_cast<int64_t>(n) > max_batch_tokens_)
    return Error{"forward batch of " + std::to_string(n) + " tokens exceeds max_batch_tokens " +
                 std::to_string(max_batch_tokens_)};
  if (cache.layers() != config_.layers || cache.row_width() != config_.kv_heads * config_.head_dim)
    return Error{"KV cache shape does not match the model"};
  size_t logit_rows = 0;
  for (size_t t = 0; t < n; ++t) {
    if (batch.tokens[t] < 0 || batch.tokens[t] >= config_.vocab)
      return Error{"token id " + std::to_string(batch.tokens[t]) + " outside the vocabulary of " +
                   std::to_string(config_.vocab)};
    if (batch.sequence_slot[t] < 0 || batch.sequence_slot[t] >= cache.slots())
      return Error{"sequence slot " + std::to_string(batch.sequence_slot[t]) + " outside the KV cache"};
    if (batch.positions[t] < 0 || batch.positions[t] >= cache.capacity())
      return Error{"position " + std::to_string(batch.positions[t]) + " beyond the KV cache capacity " +
                   std::to_string(cache.capacity())};
    if (batch.wants_logits[t]) ++logit_rows;
  }
  if (logits.size() != logit_rows * static_cast<size_t>(config_.vocab))
    return Error{"logits span holds " + std::to_string(logits.size()) + " floats; expected " +
                 std::to_string(logit_rows) + " rows x " + std::to_string(config_.vocab)};
  return ok_status();
}

Status Model::forward(const ForwardBatch& batch, KvCache& cache, std::span<float> logits) {
  KEEL_TRY(check_batch(batch, cache, logits));
  const int64_t n = static_cast<int64_t>(batch.tokens.size());
  if (n == 0) return ok_status();
  const int64_t H = config_.hidden;
  Backend& b = *backend_;
  const TokenPlacement placement{batch.positions, batch.sequence_slot};

  b.embed(weights_.token_embedding, batch.tokens, act_.x);  // x: [n, H]
  for (int64_t layer = 0; layer < config_.layers; ++layer) {
    const LayerContext context{b,     config_, weights_.layers[layer], rope_, static_cast<int32_t>(layer),
                               n,     placement, cache,                act_};
    spec_->decoder_layer(context);
  }

  // Only rows that want logits go through the final norm and the (large) output matrix.
  int64_t rows = 0;
  for (int64_t t = 0; t < n; ++t)
    if (batch.wants_logits[t]) std::memcpy(act_.normed + (rows++) * H, act_.x + t * H, sizeof(float) * H);
  if (rows == 0) return ok_status();
  b.rms_norm(act_.normed, rows, H, weights_.output_norm, config_.rms_eps, act_.normed);
  b.matmul(act_.normed, rows, weights_.output, nullptr, logits.data());  // [rows, vocab]
  return ok_status();
}

std::string Model::description() const {
  std::ostringstream out;
  out << "source: " << source_path_.string() << "\n"
      << "model: " << describe_config(config_) << "\n"
      << "parameters: " << weights_.parameter_count() << "\n"
      << "dtypes: " << weights_.describe_dtypes() << "\n";
  if (config_.bos_id) out << "bos: " << *config_.bos_id << "\n";
  out << "eos:";
  for (int32_t id : config_.eos_ids) out << " " << id;
  out << "\n";
  return out.str();
}

}  // namespace keel
