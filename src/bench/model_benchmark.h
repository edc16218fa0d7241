// `keel bench model`: llama-bench's two tests, run through the serving
// engine's own step (Engine::step_once, the path `keel serve` runs), so a
// figure here is what a server would get from the same kernels.
//
//   pp N: one prompt of N tokens, computed in one step (one forward of N
//         token rows), then its first token sampled; t/s = N / the step.
//   tg N: one sequence decoding N tokens, one per step, after a short
//         prompt that is not timed; t/s = N / the N steps.
//
// Every test runs `warmups` untimed times, then `repetitions` timed times;
// the report gives each repetition's rate and their median, min and max.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/result.h"
#include "engine/engine_options.h"
#include "model/model.h"

namespace keel {
class Tokenizer;  // the engine's (engine/engine.h includes it)
}  // namespace keel

namespace keel::bench {

// The prompt a tg test decodes after: long enough to be a real prompt,
// short enough that decoding reads KV at about the positions llama-bench's
// tg (which starts from an empty context) does.
inline constexpr int32_t kDecodePromptTokens = 8;

struct ModelBenchmarkOptions {
  int32_t prompt_tokens = 512;     // pp; 0 skips it
  int32_t generated_tokens = 128;  // tg; 0 skips it
  int32_t repetitions = 5;
  int32_t warmups = 1;
  // The KV cache dtype and block size come from here; the engine's sizes
  // (one sequence, a step as large as the prompt) are the benchmark's own.
  EngineOptions engine;
};

struct TestResult {
  std::string test;                        // "pp512", "tg128"
  std::vector<double> tokens_per_second;   // one per timed repetition, in run order
  double median = 0, min = 0, max = 0;
};

// Errors name the flag at fault: no test asked for, repetitions < 1, or a
// test longer than the model's context.
Status validate(const ModelBenchmarkOptions& options, const ModelConfig& config);

// Runs pp then tg on one engine made for them. Never allocates more KV
// than the longer test needs.
Result<std::vector<TestResult>> run_model_benchmark(Model& model, const Tokenizer& tokenizer,
                                                    const ModelBenchmarkOptions& options);

}  // namespace keel::bench
