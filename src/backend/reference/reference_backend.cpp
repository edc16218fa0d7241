#include "backend/reference/reference_backend.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "core/check.h"
#include "core/dequantize.h"

namespace keel {
namespace {

void release_host(void* /*context*/, void* data) { std::free(data); }

// One row of a stored tensor (or KV row) as float32.
std::vector<float> decode(DType dtype, const std::byte* bytes, int64_t n) {
  std::vector<float> row(static_cast<size_t>(n));
  dequantize_row(dtype, bytes, row.data(), n);
  return row;
}

class ReferenceBackend final : public Backend {
 public:
  std::string_view name() const override { return "reference"; }

  Result<DeviceBuffer> allocate(size_t bytes) override {
    void* data = std::calloc(std::max<size_t>(bytes, 1), 1);
    if (data == nullptr) return Error{"out of host memory allocating " + std::to_string(bytes) + " bytes"};
    return DeviceBuffer(data, bytes, /*host_visible=*/true, release_host, nullptr);
  }
  Result<const std::byte*> make_resident(std::span<const std::byte> host) override { return host.data(); }
  void copy_to_device(const void* host, void* device, size_t bytes) override { std::memcpy(device, host, bytes); }
  void copy_to_host(const void* device, void* host, size_t bytes) override { std::memcpy(host, device, bytes); }
  Status synchronize() override { return ok_status(); }

  void matmul(const float* x, int64_t n_tokens, const TensorView& w, const float* bias, float* y) override {
    const int64_t in = w.cols(), out = w.rows();
    for (int64_t o = 0; o < out; ++o) {
      const std::vector<float> row = decode(w.dtype, w.row(o), in);
      for (int64_t t = 0; t < n_tokens; ++t) {
        double sum = bias ? bias[o] : 0.0;
        for (int64_t i = 0; i < in; ++i) sum += static_cast<double>(x[t * in + i]) * row[static_cast<size_t>(i)];
        y[t * out + o] = static_cast<float>(sum);
      }
    }
  }

  void embed(const TensorView& table, const int32_t* tokens, int64_t n_tokens, float* out) override {
    const int64_t dim = table.cols();
    for (int64_t t = 0; t < n_tokens; ++t) {
      KEEL_CHECK(tokens[t] >= 0 && tokens[t] < table.rows(), "token id outside the embedding table");
      dequantize_row(table.dtype, table.row(tokens[t]), out + t * dim, dim);
    }
  }

  void rms_norm(const float* x, int64_t rows, int64_t dim, const float* weight, float eps, float* y) override {
    for (int64_t r = 0; r < rows; ++r) {
      double sum_squares = 0.0;
      for (int64_t i = 0; i < dim; ++i) sum_squares += static_cast<double>(x[r * dim + i]) * x[r * dim + i];
      const double inv_rms = 1.0 / std::sqrt(sum_squares / static_cast<double>(dim) + eps);
      for (int64_t i = 0; i < dim; ++i) y[r * dim + i] = static_cast<float>(weight[i] * (x[r * dim + i] * inv_rms));
    }
  }

  void rope(float* x, int64_t n_tokens, int64_t n_heads, int64_t head_dim, const int32_t* positions,
            const RopeParams& params) override {
    const int64_t half = params.rotary_dims / 2;
    const bool neox = params.style == RopeStyle::kNeox;
    for (int64_t t = 0; t < n_tokens; ++t)
      for (int64_t h = 0; h < n_heads; ++h)
        for (int64_t j = 0; j < half; ++j) {
          // The angle in float32, as transformers forms it.
          const float angle = static_cast<float>(positions[t]) * params.inv_frequency[j];
          float* head = x + (t * n_heads + h) * head_dim;
          float& a = head[neox ? j : 2 * j];
          float& b = head[neox ? j + half : 2 * j + 1];
          const double a0 = a, b0 = b;
          a = static_cast<float>(a0 * std::cos(angle) - b0 * std::sin(angle));
          b = static_cast<float>(b0 * std::cos(angle) + a0 * std::sin(angle));
        }
  }

  void kv_store(const float* keys, const float* values, int64_t n_tokens, const int32_t* slot_mapping, int32_t layer,
                KvStorage& kv) override {
    const KvStorageShape& shape = kv.shape();
    for (int64_t t = 0; t < n_tokens; ++t) {
      const int64_t offset = int64_t{slot_mapping[t]} * shape.row_bytes();
      quantize_row(shape.dtype, keys + t * shape.row_elems(), kv.keys(layer) + offset, shape.row_elems());
      quantize_row(shape.dtype, values + t * shape.row_elems(), kv.values(layer) + offset, shape.row_elems());
    }
  }

  void attention(const float* q, const ForwardBatch& batch, const AttentionShape& shape, int32_t layer,
                 const KvStorage& kv, float* out) override {
    const KvStorageShape& kv_shape = kv.shape();
    const int64_t hd = shape.head_dim;
    const int64_t group = shape.query_heads / shape.kv_heads;
    const int32_t bs = kv_shape.block_size;
    for (int32_t s = 0; s < batch.n_seqs; ++s) {
      const int32_t* table = batch.block_tables.data() + int64_t{s} * batch.max_blocks_per_seq;
      for (int32_t row = batch.query_start[s]; row < batch.query_start[s + 1]; ++row) {
        const int32_t last = batch.positions[static_cast<size_t>(row)];
        for (int64_t head = 0; head < shape.query_heads; ++head) {
          const float* query = q + (row * shape.query_heads + head) * hd;
          const int64_t kv_offset = (head / group) * hd;
          std::vector<std::vector<float>> values;
          std::vector<double> scores;
          for (int32_t p = 0; p <= last; ++p) {
            const int64_t slot = int64_t{table[p / bs]} * bs + p % bs;
            const std::vector<float> key_row = decode(kv_shape.dtype, kv.keys(layer) + slot * kv_shape.row_bytes(),
                                                      kv_shape.row_elems());
            values.push_back(decode(kv_shape.dtype, kv.values(layer) + slot * kv_shape.row_bytes(),
                                    kv_shape.row_elems()));
            double dot = 0.0;
            for (int64_t d = 0; d < hd; ++d) dot += static_cast<double>(query[d]) * key_row[static_cast<size_t>(kv_offset + d)];
            scores.push_back(dot / std::sqrt(static_cast<double>(hd)));
          }
          const double max_score = *std::max_element(scores.begin(), scores.end());
          double total = 0.0;
          for (double& score : scores) total += (score = std::exp(score - max_score));
          for (int64_t d = 0; d < hd; ++d) {
            double sum = 0.0;
            for (size_t p = 0; p < scores.size(); ++p) sum += scores[p] * values[p][static_cast<size_t>(kv_offset + d)];
            out[(row * shape.query_heads + head) * hd + d] = static_cast<float>(sum / total);
          }
        }
      }
    }
  }

  void swiglu(float* gate, const float* up, int64_t n) override {
    for (int64_t i = 0; i < n; ++i) {
      const double z = gate[i];
      gate[i] = static_cast<float>(z / (1.0 + std::exp(-z)) * up[i]);
    }
  }

  void add(float* dst, const float* src, int64_t n) override {
    for (int64_t i = 0; i < n; ++i) dst[i] += src[i];
  }

  void gather_rows(const float* src, int64_t width, const int32_t* rows, int64_t n_rows, float* dst) override {
    for (int64_t i = 0; i < n_rows; ++i)
      for (int64_t j = 0; j < width; ++j) dst[i * width + j] = src[int64_t{rows[i]} * width + j];
  }
};

}  // namespace

std::unique_ptr<Backend> make_reference_backend() { return std::make_unique<ReferenceBackend>(); }

}  // namespace keel
