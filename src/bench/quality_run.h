// `keel bench quality`: the same text through two models that share a
// vocabulary (two quantizations of one model, or two conversions of it),
// or through one model run two ways (KV dtypes, exact against fast
// kernels), compared position by position.
#pragma once

#include <string>

#include "bench/quality_metrics.h"
#include "core/result.h"

namespace keel::bench {

struct QualityOptions {
  std::string model_a;  // the reference
  std::string model_b;
  std::string dataset;  // a UTF-8 text file; empty: a built-in English passage
  int32_t context = 512;  // tokens per window; the text is cut into windows of this many
  std::string kv_cache_dtype_a = "f32";  // how each model's engine stores K and V
  std::string kv_cache_dtype_b = "f32";
  std::string device = "cpu";            // where both models run
  bool exact_kernels_a = false;          // --exact-kernels for A's backend, and for B's
  bool exact_kernels_b = false;
};

Result<QualityReport> run_quality(const QualityOptions& options);

std::string format_quality_report(const QualityOptions& options, const QualityReport& report);

}  // namespace keel::bench
