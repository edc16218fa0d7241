// ModelRunner: what one engine needs on the model's device to run forward
// steps, reserved once when the engine starts: the KV storage, the
// activation workspace, the logits buffer and (on a device whose memory the
// host cannot read) a staging buffer for the step's ForwardBatch.
//
//   auto runner = ModelRunner::create(model, limits).value();
//   runner->forward(batch, logits);   // logits: [batch.n_logit_rows(), vocab] on the host
//
// A forward step allocates nothing. Several runners may share one model
// (each has its own KV), but one runner runs one step at a time.
#pragma once

#include <cstdint>
#include <memory>
#include <span>

#include "backend/backend.h"
#include "backend/device_buffer.h"
#include "backend/forward_batch.h"
#include "backend/kv_storage.h"
#include "core/result.h"
#include "model/layers.h"
#include "model/model.h"

namespace keel {

struct RunnerLimits {
  int32_t max_batch_tokens = 512;   // rows per step
  int32_t max_seqs = 16;            // sequences per step
  int32_t max_logit_rows = 16;      // rows per step whose logits are wanted
  int32_t max_blocks_per_seq = 0;   // widest block table
  int32_t kv_blocks = 0;            // KV storage: blocks of kv_block_size tokens; 0: from kv_memory_fraction
  // With kv_blocks 0 on a backend with its own device memory (a GPU): the
  // KV pool takes what is left of this fraction of the device's total once
  // everything else is reserved (weights, activations, scratch, and other
  // processes' use): --gpu-memory-utilization.
  double kv_memory_fraction = 0;
  // Device memory in use that the fraction does not count: a model a
  // reload is about to replace, whose memory goes when it drains.
  int64_t kv_memory_excluded_bytes = 0;
  int32_t kv_block_size = 16;
  DType kv_dtype = DType::F32;      // f32, f16 or bf16
};

class ModelRunner {
 public:
  // Errors: limits that are not positive, a KV dtype that is not f32, f16
  // or bf16, the device out of memory.
  static Result<std::unique_ptr<ModelRunner>> create(Model& model, const RunnerLimits& limits);

  // Runs the batch through every layer, storing its K/V in the KV storage,
  // and writes one row of `vocab` logits for each of batch.logit_rows, in
  // order, into `logits` (host memory). Errors (nothing is computed): a
  // batch that breaks the limits or the ForwardBatch rules (lengths, token
  // ids, positions, slots, block ids), `logits` not exactly [n_logit_rows ×
  // vocab]; and whatever the device reports.
  Status forward(const ForwardBatch& batch, std::span<float> logits);
  // The same step for a caller that samples every logits row greedily: for
  // each row only its argmax and whether it is finite come back
  // (row_argmax.h), 8 bytes where the row is 4 × vocab — on a GPU the copy
  // and the host's scans of a large batch's logits cost as much as the step.
  // `argmax` must hold n_logit_rows entries; `logits` is as above, its
  // contents afterwards unspecified (a host-memory backend still writes the
  // logits there, a device backend leaves them on the device). `excluded`:
  // the ids RowArgmax::index_among_allowed passes over.
  Status forward(const ForwardBatch& batch, std::span<float> logits, std::span<RowArgmax> argmax,
                 const ExcludedIds& excluded = {});

  // Tells the backend to drop the steps it recorded for this runner: their
  // launches name this runner's buffers, which go with it.
  ~ModelRunner();
  ModelRunner(const ModelRunner&) = delete;
  ModelRunner& operator=(const ModelRunner&) = delete;

  Model& model() const { return model_; }
  const RunnerLimits& limits() const { return limits_; }
  const KvStorage& kv() const { return *kv_; }
  // Bytes the runner reserved on the device (KV included).
  size_t reserved_bytes() const;

 private:
  ModelRunner(Model& model, const RunnerLimits& limits);
  Status check_batch(const ForwardBatch& batch, std::span<float> logits) const;
  // The batch as the backend reads it: itself on a host-memory backend, else
  // its arrays copied to the staging buffer in one transfer.
  ForwardBatch stage(const ForwardBatch& batch);

  Model& model_;
  RunnerLimits limits_;
  uint64_t id_;  // unique in the process (never reused): whose recorded steps are whose
  std::unique_ptr<KvStorage> kv_;
  DeviceBuffer workspace_;  // every activation buffer, carved up in act_
  DeviceBuffer logits_;     // [max_logit_rows, vocab]; unused when the host can write the output itself
  DeviceBuffer staging_;    // the ForwardBatch's arrays; empty on host-memory backends
  DeviceBuffer argmax_;     // [max_logit_rows] RowArgmax; empty on host-memory backends
  Activations act_;
};

}  // namespace keel
