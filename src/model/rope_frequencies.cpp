#include "model/rope_frequencies.h"

#include <cmath>
#include <numbers>

#include "core/check.h"

namespace keel {
namespace {

double llama3_adjusted(double inv_frequency, const Llama3RopeScaling& s) {
  const double wavelength = 2.0 * std::numbers::pi / inv_frequency;
  const double low_freq_wavelength = s.original_context / s.low_freq_factor;
  const double high_freq_wavelength = s.original_context / s.high_freq_factor;
  if (wavelength < high_freq_wavelength) return inv_frequency;
  if (wavelength > low_freq_wavelength) return inv_frequency / s.factor;
  const double smooth =
      (s.original_context / wavelength - s.low_freq_factor) / (s.high_freq_factor - s.low_freq_factor);
  return (1.0 - smooth) * inv_frequency / s.factor + smooth * inv_frequency;
}

}  // namespace

std::vector<float> rope_inverse_frequencies(const ModelConfig& config, std::span<const float> gguf_divisors) {
  const int64_t pairs = config.rotary_dims / 2;
  KEEL_CHECK(gguf_divisors.empty() || static_cast<int64_t>(gguf_divisors.size()) == pairs,
             "rope divisors must have one entry per rotated pair");
  std::vector<float> inv(static_cast<size_t>(pairs));
  const float base = static_cast<float>(config.rope_theta);
  for (int64_t j = 0; j < pairs; ++j) {
    // Float32, in the order HF evaluates 1 / base^(2j / dim), so angles match bit for bit where possible.
    const float exponent = static_cast<float>(2 * j) / static_cast<float>(config.rotary_dims);
    double value = 1.0f / std::pow(base, exponent);
    if (config.llama3_scaling) value = llama3_adjusted(value, *config.llama3_scaling);
    if (!gguf_divisors.empty()) value /= gguf_divisors[j];
    value /= config.rope_linear_factor;
    inv[j] = static_cast<float>(value);
  }
  return inv;
}

}  // namespace keel
