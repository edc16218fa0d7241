#include "bench/weight_traffic.h"

namespace keel::bench {

int64_t weight_bytes_per_token(const Weights& weights) {
  int64_t bytes = 0;
  for (const LayerWeights& layer : weights.layers)
    for (const TensorView* matrix : {&layer.q, &layer.k, &layer.v, &layer.o, &layer.gate, &layer.up, &layer.down})
      bytes += static_cast<int64_t>(matrix->nbytes);  // a fused QKV or gate_up: its row ranges add up to the whole
  // The output projection reads every row (tied or not); the embedding one.
  bytes += static_cast<int64_t>(weights.output.nbytes);
  bytes += static_cast<int64_t>(weights.token_embedding.row_bytes());
  return bytes;
}

}  // namespace keel::bench
