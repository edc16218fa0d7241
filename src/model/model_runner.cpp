#include "model/model_runner.h"

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <optional>
#include <string>

namespace keel {
namespace {

std::string str(int64_t value) { return std::to_string(value); }

// Int32s a ForwardBatchBuilder of these limits packs at most.
int64_t max_packed_ints(const RunnerLimits& l) {
  return 4 * int64_t{l.max_batch_tokens} + 2 * int64_t{l.max_seqs} + 1 + int64_t{l.max_seqs} * l.max_blocks_per_seq;
}

// A fresh id for every runner the process makes, never reused.
uint64_t next_runner_id() {
  static std::atomic<uint64_t> next{1};
  return next.fetch_add(1);
}

}  // namespace

ModelRunner::ModelRunner(Model& model, const RunnerLimits& limits)
    : model_(model), limits_(limits), id_(next_runner_id()) {}

ModelRunner::~ModelRunner() { model_.backend().forget_steps(id_); }

namespace {

// The KV blocks that fit in what is left of `limits.kv_memory_fraction` of
// the device's memory now. At least one sequence at full length must fit.
Result<int32_t> blocks_for_memory_fraction(const Backend& backend, const KvStorageShape& shape,
                                           const RunnerLimits& limits) {
  const std::optional<DeviceMemory> memory = backend.device_memory();
  if (!memory) return Error{"--gpu-memory-utilization needs a GPU backend; on the " + std::string(backend.name()) +
                            " backend give --kv-cache-memory"};
  const int64_t in_use = memory->total_bytes - memory->free_bytes - limits.kv_memory_excluded_bytes;
  const auto budget = static_cast<int64_t>(limits.kv_memory_fraction * static_cast<double>(memory->total_bytes)) - in_use;
  const int64_t block_bytes = shape.bytes_per_block();
  const int64_t blocks = std::min<int64_t>(std::max<int64_t>(budget, 0) / block_bytes, INT32_MAX / 4);
  if (blocks < limits.max_blocks_per_seq) {
    constexpr double kGiB = 1024.0 * 1024.0 * 1024.0;
    char message[400];
    std::snprintf(message, sizeof message,
                  "--gpu-memory-utilization %.2f leaves %.2f GiB for the KV cache (%.2f GiB of %.2f GiB in use); one "
                  "sequence of %d blocks needs %.2f GiB: raise it, or lower --max-context",
                  limits.kv_memory_fraction, static_cast<double>(std::max<int64_t>(budget, 0)) / kGiB,
                  static_cast<double>(in_use) / kGiB, static_cast<double>(memory->total_bytes) / kGiB,
                  limits.max_blocks_per_seq, static_cast<double>(limits.max_blocks_per_seq * block_bytes) / kGiB);
    return Error{message};
  }
  return static_cast<int32_t>(blocks);
}

}  // namespace

Result<std::unique_ptr<ModelRunner>> ModelRunner::create(Model& model, const RunnerLimits& limits) {
  if (limits.max_batch_tokens <= 0 || limits.max_seqs <= 0 || limits.max_logit_rows <= 0 ||
      limits.max_blocks_per_seq <= 0 || limits.kv_blocks < 0 || limits.kv_block_size <= 0 ||
      (limits.kv_blocks == 0 && !(limits.kv_memory_fraction > 0 && limits.kv_memory_fraction <= 1)))
    return Error{"model runner limits must be positive (kv_blocks 0 needs a kv_memory_fraction in (0, 1])"};
  if (!is_kv_dtype(limits.kv_dtype))
    return Error{"the KV cache dtype must be f32, f16 or bf16, not " + std::string(dtype_info(limits.kv_dtype).name)};
  const ModelConfig& config = model.config();
  Backend& backend = model.backend();
  std::unique_ptr<ModelRunner> runner(new ModelRunner(model, limits));

  const int64_t n = limits.max_batch_tokens;
  const int64_t H = config.hidden, F = config.ffn;
  const int64_t q_width = config.heads * config.head_dim;
  const int64_t kv_width = config.kv_heads * config.head_dim;
  struct Slice {
    float** target;
    int64_t floats;
  };
  Activations& act = runner->act_;
  const Slice slices[] = {
      {&act.x, n * H},        {&act.normed, n * H},   {&act.q, n * q_width},
      {&act.k, n * kv_width}, {&act.v, n * kv_width}, {&act.attn, n * q_width},
      {&act.sublayer, n * H}, {&act.gate, n * F},     {&act.up, n * F},
  };
  // Each slice starts on a 64-byte boundary (16 floats).
  auto rounded = [](int64_t floats) { return (floats + 15) / 16 * 16; };
  int64_t total = 0;
  for (const Slice& s : slices) total += rounded(s.floats);
  KEEL_ASSIGN_OR_RETURN(runner->workspace_, backend.allocate(static_cast<size_t>(total) * sizeof(float)));
  float* next = runner->workspace_.as<float>();
  for (const Slice& s : slices) {
    *s.target = next;
    next += rounded(s.floats);
  }
  // The widest matmul input is the attention output (q_width), the FFN's
  // down projection (F) or the hidden state (H); the most rows, a step's
  // tokens (the logits matmul takes at most max_logit_rows of them).
  const int64_t widest_input = std::max({H, F, q_width});
  KEEL_TRY(backend.reserve_matmul_input(std::max<int64_t>(n, limits.max_logit_rows), widest_input));
  if (!runner->workspace_.host_visible()) {
    KEEL_ASSIGN_OR_RETURN(runner->logits_,
                          backend.allocate(static_cast<size_t>(limits.max_logit_rows) * config.vocab * sizeof(float)));
    KEEL_ASSIGN_OR_RETURN(runner->staging_,
                          backend.allocate(static_cast<size_t>(max_packed_ints(limits)) * sizeof(int32_t)));
    KEEL_ASSIGN_OR_RETURN(runner->argmax_, backend.allocate(static_cast<size_t>(limits.max_logit_rows) * sizeof(RowArgmax)));
  }

  // The KV pool last, so that a pool sized from the device's free memory
  // sees everything else already reserved.
  KvStorageShape shape{static_cast<int32_t>(config.layers), limits.kv_blocks, limits.kv_block_size,
                       static_cast<int32_t>(config.kv_heads), static_cast<int32_t>(config.head_dim),
                       limits.kv_dtype};
  if (shape.blocks == 0) {
    KEEL_ASSIGN_OR_RETURN(shape.blocks, blocks_for_memory_fraction(backend, shape, limits));
    runner->limits_.kv_blocks = shape.blocks;
  }
  const auto kv_bytes = static_cast<size_t>(shape.layers * shape.layer_bytes());
  KEEL_ASSIGN_OR_RETURN(DeviceBuffer keys, backend.allocate(kv_bytes));
  KEEL_ASSIGN_OR_RETURN(DeviceBuffer values, backend.allocate(kv_bytes));
  runner->kv_ = std::make_unique<KvStorage>(shape, std::move(keys), std::move(values));
  return runner;
}

size_t ModelRunner::reserved_bytes() const {
  return 2 * static_cast<size_t>(kv_->shape().layers * kv_->shape().layer_bytes()) + workspace_.bytes() +
         logits_.bytes() + staging_.bytes() + argmax_.bytes();
}

Status ModelRunner::check_batch(const ForwardBatch& b, std::span<float> logits) const {
  const ModelConfig& config = model_.config();
  const KvStorageShape& kv = kv_->shape();
  const int32_t n = b.n_tokens;
  if (n < 0 || b.n_seqs < 0 || b.tokens.size() != static_cast<size_t>(n) || b.positions.size() != b.tokens.size() ||
      b.slot_mapping.size() != b.tokens.size() || b.query_start.size() != static_cast<size_t>(b.n_seqs) + 1 ||
      b.seq_lens.size() != static_cast<size_t>(b.n_seqs) ||
      b.block_tables.size() != static_cast<size_t>(b.n_seqs) * static_cast<size_t>(b.max_blocks_per_seq))
    return Error{"forward batch: array lengths do not match n_tokens / n_seqs / max_blocks_per_seq"};
  if (n > limits_.max_batch_tokens)
    return Error{"forward batch of " + str(n) + " tokens exceeds max_batch_tokens " + str(limits_.max_batch_tokens)};
  if (b.n_seqs > limits_.max_seqs) return Error{"forward batch of " + str(b.n_seqs) + " sequences exceeds max_seqs " + str(limits_.max_seqs)};
  if (b.max_blocks_per_seq > limits_.max_blocks_per_seq)
    return Error{"forward batch block tables are " + str(b.max_blocks_per_seq) + " wide; the runner allows " +
                 str(limits_.max_blocks_per_seq)};
  if (b.n_logit_rows() > limits_.max_logit_rows)
    return Error{"forward batch wants " + str(b.n_logit_rows()) + " logit rows; the runner allows " + str(limits_.max_logit_rows)};
  if (staging_.bytes() != 0 && b.packed.size() * sizeof(int32_t) > staging_.bytes())
    return Error{"forward batch arrays do not fit the staging buffer"};
  for (int32_t t = 0; t < n; ++t)
    if (b.tokens[t] < 0 || b.tokens[t] >= config.vocab)
      return Error{"token id " + str(b.tokens[t]) + " outside the vocabulary of " + str(config.vocab)};
  if (b.query_start[0] != 0 || b.query_start[b.n_seqs] != n) return Error{"forward batch: query_start must run from 0 to n_tokens"};
  for (int32_t s = 0; s < b.n_seqs; ++s) {
    const int32_t first = b.query_start[s], end = b.query_start[s + 1];
    const int32_t seq_len = b.seq_lens[s];
    if (end <= first) return Error{"forward batch: sequence " + str(s) + " has no rows"};
    if (seq_len < end - first) return Error{"forward batch: sequence " + str(s) + " is shorter than its new rows"};
    if (int64_t{seq_len} > int64_t{b.max_blocks_per_seq} * kv.block_size)
      return Error{"position " + str(seq_len - 1) + " of sequence " + str(s) + " is beyond its block table"};
    const int32_t* table = b.block_tables.data() + int64_t{s} * b.max_blocks_per_seq;
    for (int32_t i = 0; i < (seq_len + kv.block_size - 1) / kv.block_size; ++i)
      if (table[i] < 0 || table[i] >= kv.blocks)
        return Error{"KV block " + str(table[i]) + " of sequence " + str(s) + " is outside the pool of " + str(kv.blocks)};
    for (int32_t row = first; row < end; ++row) {
      const int32_t position = seq_len - (end - first) + (row - first);
      if (b.positions[row] != position)
        return Error{"forward batch: row " + str(row) + " is at position " + str(b.positions[row]) + "; its sequence puts it at " + str(position)};
      const int32_t slot = table[position / kv.block_size] * kv.block_size + position % kv.block_size;
      if (b.slot_mapping[row] != slot)
        return Error{"forward batch: row " + str(row) + " maps to KV slot " + str(b.slot_mapping[row]) +
                     "; its block table puts it in slot " + str(slot)};
    }
  }
  for (int32_t i = 0; i < b.n_logit_rows(); ++i)
    if (b.logit_rows[i] < 0 || b.logit_rows[i] >= n || (i > 0 && b.logit_rows[i] <= b.logit_rows[i - 1]))
      return Error{"forward batch: logit rows must be ascending rows of the batch"};
  if (logits.size() != static_cast<size_t>(b.n_logit_rows()) * static_cast<size_t>(config.vocab))
    return Error{"logits span holds " + str(static_cast<int64_t>(logits.size())) + " floats; expected " +
                 str(b.n_logit_rows()) + " rows x " + str(config.vocab)};
  return ok_status();
}

ForwardBatch ModelRunner::stage(const ForwardBatch& batch) {
  if (staging_.bytes() == 0) return batch;
  model_.backend().copy_to_device(batch.packed.data(), staging_.data(), batch.packed.size() * sizeof(int32_t));
  return batch.rebased(staging_.as<int32_t>());
}

Status ModelRunner::forward(const ForwardBatch& batch, std::span<float> logits) { return forward(batch, logits, {}, {}); }

Status ModelRunner::forward(const ForwardBatch& host_batch, std::span<float> logits, std::span<RowArgmax> argmax,
                            const ExcludedIds& excluded) {
  KEEL_TRY(check_batch(host_batch, logits));
  const bool argmax_only = !argmax.empty();
  if (argmax_only && argmax.size() != static_cast<size_t>(host_batch.n_logit_rows()))
    return Error{"argmax span holds " + str(static_cast<int64_t>(argmax.size())) + " rows; the batch has " +
                 str(host_batch.n_logit_rows()) + " logit rows"};
  const int64_t n = host_batch.n_tokens;
  if (n == 0) return ok_status();
  const ModelConfig& config = model_.config();
  const Weights& weights = model_.weights();
  const int64_t H = config.hidden;
  Backend& b = model_.backend();
  const ForwardBatch batch = stage(host_batch);
  const int64_t rows = batch.n_logit_rows();
  // A backend whose memory the host reads writes the logits in place.
  float* out = logits_.bytes() == 0 ? logits.data() : logits_.as<float>();

  // A decode-sized step may replay the ops recorded for its shape: this
  // runner's staged batch, activations and logits sit at the same addresses
  // every step, so only the counts and the block-table width tell its steps
  // apart (and the runner's id tells runners apart).
  const StepShape shape{id_, batch.n_tokens, batch.n_seqs, batch.max_blocks_per_seq, static_cast<int32_t>(rows)};
  const bool graph = b.can_capture_step(n);
  if (!graph || !b.replay_step(shape)) {
    if (graph) b.begin_capture(shape);
    b.embed(weights.token_embedding, batch.tokens.data(), n, act_.x);  // x: [n, H]
    for (int64_t layer = 0; layer < config.layers; ++layer) {
      const LayerContext context{b, config, weights.layers[layer], model_.rope(), static_cast<int32_t>(layer), n,
                                 batch, *kv_, act_};
      model_.spec().decoder_layer(context);
    }
    // Only rows that want logits go through the final norm and the (large) output matrix.
    if (rows > 0) {
      b.gather_rows(act_.x, H, batch.logit_rows.data(), rows, act_.normed);  // [rows, H]
      b.rms_norm(act_.normed, rows, H, weights.output_norm, config.rms_eps, act_.normed);
      b.matmul(act_.normed, rows, weights.output, nullptr, out);  // [rows, vocab]
    }
    if (graph) b.end_capture();
  }
  // Outside the recorded step: a step's shape replays with either ending.
  if (rows > 0 && argmax_only) {
    RowArgmax* found = argmax_.bytes() == 0 ? argmax.data() : argmax_.as<RowArgmax>();
    b.argmax_rows(out, rows, config.vocab, excluded, found);
    if (argmax_.bytes() != 0) b.copy_to_host(found, argmax.data(), argmax.size() * sizeof(RowArgmax));
  } else if (rows > 0 && logits_.bytes() != 0) {
    b.copy_to_host(out, logits.data(), logits.size() * sizeof(float));
  }
  return b.synchronize();
}

}  // namespace keel
