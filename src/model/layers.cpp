#include "model/layers.h"

namespace keel {

void attention_sublayer(const LayerContext& c, const AttentionOptions& options) {
  Backend& b = c.backend;
  const ModelConfig& cfg = c.config;
  const LayerWeights& w = c.weights;
  const Activations& a = c.act;
  const int64_t n = c.n_tokens;

  b.rms_norm(a.x, n, cfg.hidden, w.attn_norm, cfg.rms_eps, a.normed);
  // q: [n, heads*hd]; k, v: [n, kv_heads*hd], from one pass over the input.
  const MatmulTarget qkv[] = {{&w.q, w.q_bias, a.q}, {&w.k, w.k_bias, a.k}, {&w.v, w.v_bias, a.v}};
  b.matmul_group(a.normed, n, qkv);
  if (options.per_head_qk_norm) {
    // Each head's hd-vector is one row of the norm; this comes before RoPE.
    b.rms_norm(a.q, n * cfg.heads, cfg.head_dim, w.q_norm, cfg.rms_eps, a.q);
    b.rms_norm(a.k, n * cfg.kv_heads, cfg.head_dim, w.k_norm, cfg.rms_eps, a.k);
  }
  b.rope(a.q, n, cfg.heads, cfg.head_dim, c.batch.positions.data(), c.rope);
  b.rope(a.k, n, cfg.kv_heads, cfg.head_dim, c.batch.positions.data(), c.rope);
  b.kv_store(a.k, a.v, n, c.batch.slot_mapping.data(), c.layer, c.kv);
  const AttentionShape shape{cfg.heads, cfg.kv_heads, cfg.head_dim};
  b.attention(a.q, c.batch, shape, c.layer, c.kv, a.attn);  // [n, heads*hd]
  b.matmul(a.attn, n, w.o, w.o_bias, a.sublayer);                  // [n, H]
}

void mlp_sublayer(const LayerContext& c) {
  Backend& b = c.backend;
  const ModelConfig& cfg = c.config;
  const LayerWeights& w = c.weights;
  const Activations& a = c.act;
  const int64_t n = c.n_tokens;

  b.rms_norm(a.x, n, cfg.hidden, w.ffn_norm, cfg.rms_eps, a.normed);
  // gate, up: [n, F], from one pass over the input.
  const MatmulTarget gate_up[] = {{&w.gate, w.gate_bias, a.gate}, {&w.up, w.up_bias, a.up}};
  b.matmul_group(a.normed, n, gate_up);
  b.swiglu(a.gate, a.up, n * cfg.ffn);
  b.matmul(a.gate, n, w.down, w.down_bias, a.sublayer);  // [n, H]
}

void norm_sublayer_output(const LayerContext& c, const float* weight) {
  c.backend.rms_norm(c.act.sublayer, c.n_tokens, c.config.hidden, weight, c.config.rms_eps, c.act.sublayer);
}

void add_to_residual(const LayerContext& c) { c.backend.add(c.act.x, c.act.sublayer, c.n_tokens * c.config.hidden); }

}  // namespace keel
