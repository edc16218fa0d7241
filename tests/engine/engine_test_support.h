// Shared helpers for the engine tests: the tiny golden model, an engine
// driven step by step on the test thread, and reference generation.
#pragma once

#include <gtest/gtest.h>

#include <limits>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "../model/forward_helpers.h"
#include "backend/fault_injecting_backend.h"
#include "backend/kv_storage.h"
#include "engine/engine.h"
#include "engine/model_files.h"
#include "engine/sampler.h"
#include "model/model.h"

namespace keel::testing {

struct TinyModel {
  std::unique_ptr<Model> model;
  ModelFiles files;
};

// The qwen2 golden model (2 layers, vocab 495, context 256), loaded once on
// $KEEL_TEST_DEVICE (test_load_options), so the engine's guarantees can be
// checked on a GPU too.
inline TinyModel& tiny_model() {
  static TinyModel* fixture = [] {
    const std::string path = std::string(KEEL_SOURCE_DIR) + "/tests/golden/qwen2/model-q8_0.gguf";
    std::unique_ptr<Model> model = load_model(path, keel::testing::test_load_options()).value();
    ModelFiles files = load_model_files(*model).value();
    auto* t = new TinyModel{std::move(model), std::move(files)};
    return t;
  }();
  return *fixture;
}

// The same model on a backend that tests can stall or fail
// (FaultInjectingBackend), loaded once.
struct FaultyTinyModel {
  std::unique_ptr<Model> model;
  FaultInjectingBackend* faults = nullptr;
};

inline FaultyTinyModel& faulty_tiny_model() {
  static FaultyTinyModel* fixture = [] {
    auto* f = new FaultyTinyModel;
    LoadOptions options = keel::testing::test_load_options();
    options.wrap_backend = [f](std::unique_ptr<Backend> real) -> std::unique_ptr<Backend> {
      auto wrapped = std::make_unique<FaultInjectingBackend>(std::move(real));
      f->faults = wrapped.get();
      return wrapped;
    };
    f->model = load_model(std::string(KEEL_SOURCE_DIR) + "/tests/golden/qwen2/model-q8_0.gguf", options).value();
    return f;
  }();
  return *fixture;
}

// The KV dtype the engine tests run on: $KEEL_TEST_KV_DTYPE where it is set
// (f16 or bf16 on a GPU machine: the guarantees then hold on the fast
// 16-bit attention too), else the library default, f32.
inline DType test_kv_dtype() {
  const char* kv = std::getenv("KEEL_TEST_KV_DTYPE");
  return kv != nullptr && *kv != '\0' ? parse_kv_dtype(kv).value() : DType::F32;
}

// The options a test gave, on the test KV dtype. A pool the test sized in
// bytes keeps its block count: the bytes scale with the element size, so
// tests of capacity see the pool they asked for.
inline EngineOptions with_test_kv_dtype(EngineOptions options) {
  if (std::getenv("KEEL_TEST_KV_DTYPE") == nullptr) return options;  // as the test gave them
  const DType dtype = test_kv_dtype();
  options.kv_cache_memory = options.kv_cache_memory * static_cast<int64_t>(dtype_info(dtype).block_bytes) /
                            static_cast<int64_t>(dtype_info(options.kv_cache_dtype).block_bytes);
  options.kv_cache_dtype = dtype;
  return options;
}

inline std::unique_ptr<Engine> make_faulty_engine(const EngineOptions& options) {
  return Engine::create(*faulty_tiny_model().model, tiny_model().files.tokenizer, with_test_kv_dtype(options)).value();
}

inline std::unique_ptr<Engine> make_engine(const EngineOptions& options) {
  TinyModel& tiny = tiny_model();
  return Engine::create(*tiny.model, tiny.files.tokenizer, with_test_kv_dtype(options)).value();
}

inline std::vector<int32_t> random_prompt(std::mt19937& rng, int32_t length) {
  std::uniform_int_distribution<int32_t> id(3, 490);
  std::vector<int32_t> prompt(static_cast<size_t>(length));
  for (auto& token : prompt) token = id(rng);
  return prompt;
}

inline Request greedy_request(std::vector<int32_t> prompt, int32_t max_tokens, bool ignore_eos = true) {
  Request request;
  request.prompt = std::move(prompt);
  request.max_tokens = max_tokens;
  request.sampling.temperature = 0.0f;
  request.ignore_eos = ignore_eos;
  return request;
}

// Everything one request produced, read from its stream.
struct Outcome {
  std::vector<int32_t> ids;
  std::string text;
  std::optional<Finish> finish;
  Usage usage;
};

inline void drain(const RequestHandle& handle, Outcome& outcome) {
  StreamUpdate update;
  while (handle.stream().read(update)) {
    outcome.ids.insert(outcome.ids.end(), update.tokens.begin(), update.tokens.end());
    outcome.text += update.text;
    outcome.usage = update.usage;
    if (update.finish) outcome.finish = update.finish;
  }
}

// Steps `engine` (no loop thread) until every handle has finished.
inline std::vector<Outcome> run_to_completion(Engine& engine, const std::vector<RequestHandle>& handles) {
  std::vector<Outcome> outcomes(handles.size());
  for (int guard = 0; guard < 100000; ++guard) {
    bool all_done = true;
    for (size_t i = 0; i < handles.size(); ++i) {
      drain(handles[i], outcomes[i]);
      all_done = all_done && outcomes[i].finish.has_value();
    }
    if (all_done) return outcomes;
    engine.step_once();
  }
  ADD_FAILURE() << "requests did not finish";
  return outcomes;
}

// The single-sequence reference, a small oracle apart from the engine: the
// prompt through a ModelRunner of its own (consecutive KV blocks), then one
// token per forward, sampled by the request's own Sampler settings (with
// the end-of-generation ids masked under ignore_eos). No scheduler, no
// block manager, no batching.
inline std::vector<int32_t> generate_alone(const Request& request) {
  TinyModel& tiny = tiny_model();
  Model& model = *tiny.model;
  const int64_t vocab = model.config().vocab;
  const auto capacity = static_cast<int32_t>(request.prompt.size()) + request.max_tokens;
  TestRunner runner(model, 1, capacity, test_kv_dtype());
  Sampler sampler(static_cast<int32_t>(vocab), request.sampling);
  std::vector<int32_t> output;
  std::vector<float> logits = prefill_all_logits(model, runner, request.prompt);
  std::vector<float> last(logits.end() - vocab, logits.end());
  for (int32_t step = 0; step < request.max_tokens; ++step) {
    if (request.ignore_eos)  // ignore_eos: end-of-generation ids are never drawn
      for (const int32_t id : tiny.files.tokenizer.end_of_generation_ids())
        if (id >= 0 && id < vocab) last[static_cast<size_t>(id)] = -std::numeric_limits<float>::infinity();
    const int32_t token = sampler.sample(last, request.prompt, output);
    output.push_back(token);
    if (!request.ignore_eos && tiny.files.tokenizer.is_end_of_generation(token)) break;
    if (step + 1 == request.max_tokens) break;
    last = prefill_all_logits(model, runner, {token}, static_cast<int32_t>(request.prompt.size() + output.size() - 1));
  }
  return output;
}

}  // namespace keel::testing
