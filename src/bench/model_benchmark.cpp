#include "bench/model_benchmark.h"

#include <algorithm>
#include <chrono>

#include "bench/statistics.h"
#include "engine/engine.h"

namespace keel::bench {
namespace {

using Clock = std::chrono::steady_clock;

// Ids spread over the vocabulary, the same every run. What they say does
// not matter to the speed of a forward; that they are not all one id keeps
// the embedding lookups honest.
std::vector<int32_t> benchmark_prompt(int32_t length, int64_t vocab) {
  std::vector<int32_t> ids(static_cast<size_t>(length));
  for (int32_t i = 0; i < length; ++i) ids[static_cast<size_t>(i)] = static_cast<int32_t>((int64_t{i} * 7919 + 1) % vocab);
  return ids;
}

Request benchmark_request(int32_t prompt_length, int32_t max_tokens, int64_t vocab) {
  Request request;
  request.prompt = benchmark_prompt(prompt_length, vocab);
  request.max_tokens = max_tokens;
  request.ignore_eos = true;           // every repetition does the same work
  request.sampling.temperature = 0.0f;  // greedy: the step's sampling is an argmax
  return request;
}

// Submits `request` and returns its handle, or the engine's refusal.
Result<RequestHandle> submit(Engine& engine, Request request) {
  SubmitResult submitted = engine.submit(std::move(request));
  if (!submitted.ok()) return Error{"the engine refused the benchmark request: " + submitted.error().message};
  return std::move(submitted).value();
}

// Reads everything the request produced; the benchmark only checks that
// it finished with the tokens it asked for.
Status expect_finished(const RequestHandle& handle, int32_t tokens, const std::string& test) {
  StreamUpdate update;
  int64_t generated = 0;
  std::string failure;
  while (handle.stream().read(update)) {
    generated += static_cast<int64_t>(update.tokens.size());
    if (update.finish && update.finish->cause == FinishCause::kEngineError) failure = update.finish->error;
  }
  if (!failure.empty()) return Error{test + ": the engine failed: " + failure};
  if (!handle.finished() || generated != tokens)
    return Error{test + ": the request did not finish in the steps it should take (" + std::to_string(generated) +
                 " of " + std::to_string(tokens) + " tokens)"};
  return ok_status();
}

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// pp: the whole prompt in one step.
Result<double> prompt_rate(Engine& engine, int32_t tokens, int64_t vocab, const std::string& test) {
  KEEL_ASSIGN_OR_RETURN(RequestHandle handle, submit(engine, benchmark_request(tokens, 1, vocab)));
  const auto start = Clock::now();
  engine.step_once();
  const double seconds = seconds_since(start);
  KEEL_TRY(expect_finished(handle, 1, test));
  return tokens / seconds;
}

// tg: the short prompt's step (untimed; it samples the first token), then
// `tokens` steps of one token each.
Result<double> decode_rate(Engine& engine, int32_t tokens, int64_t vocab, const std::string& test) {
  KEEL_ASSIGN_OR_RETURN(RequestHandle handle, submit(engine, benchmark_request(kDecodePromptTokens, tokens + 1, vocab)));
  engine.step_once();
  const auto start = Clock::now();
  for (int32_t step = 0; step < tokens; ++step) engine.step_once();
  const double seconds = seconds_since(start);
  KEEL_TRY(expect_finished(handle, tokens + 1, test));
  return tokens / seconds;
}

template <class Run>
Result<TestResult> repeat(const std::string& test, const ModelBenchmarkOptions& options, const Run& run) {
  TestResult result;
  result.test = test;
  for (int32_t i = 0; i < options.warmups; ++i) {
    KEEL_ASSIGN_OR_RETURN(const double untimed, run());
    (void)untimed;
  }
  for (int32_t i = 0; i < options.repetitions; ++i) {
    KEEL_ASSIGN_OR_RETURN(const double rate, run());
    result.tokens_per_second.push_back(rate);
  }
  std::vector<double> sorted = result.tokens_per_second;
  std::sort(sorted.begin(), sorted.end());
  result.median = percentile_of_sorted(sorted, 50);
  result.min = sorted.front();
  result.max = sorted.back();
  return result;
}

}  // namespace

Status validate(const ModelBenchmarkOptions& options, const ModelConfig& config) {
  if (options.prompt_tokens < 0) return Error{"-p/--n-prompt must not be negative"};
  if (options.generated_tokens < 0) return Error{"-n/--n-gen must not be negative"};
  if (options.prompt_tokens == 0 && options.generated_tokens == 0)
    return Error{"nothing to measure: -p and -n are both 0"};
  if (options.repetitions < 1) return Error{"-r/--repetitions must be at least 1"};
  if (options.warmups < 0) return Error{"--warmup must not be negative"};
  const int64_t context = config.context_length > 0 ? config.context_length : INT32_MAX;
  if (options.prompt_tokens + int64_t{1} > context)
    return Error{"-p " + std::to_string(options.prompt_tokens) + " does not fit the model's context of " +
                 std::to_string(context) + " tokens"};
  if (options.generated_tokens > 0 && kDecodePromptTokens + options.generated_tokens + int64_t{1} > context)
    return Error{"-n " + std::to_string(options.generated_tokens) + " (after a " + std::to_string(kDecodePromptTokens) +
                 "-token prompt) does not fit the model's context of " + std::to_string(context) + " tokens"};
  return ok_status();
}

Result<std::vector<TestResult>> run_model_benchmark(Model& model, const Tokenizer& tokenizer,
                                                    const ModelBenchmarkOptions& options) {
  KEEL_TRY(validate(options, model.config()));
  const int32_t pp = options.prompt_tokens, tg = options.generated_tokens;
  EngineOptions engine_options = options.engine;
  engine_options.max_seqs = 1;
  engine_options.max_waiting = 1;
  engine_options.prefix_cache = false;  // every pp repetition computes its whole prompt
  engine_options.kv_cache_memory = 0;   // room for the one sequence at max_context
  engine_options.max_batch_tokens = std::max(pp, kDecodePromptTokens);  // pp in one step
  engine_options.max_context = std::max(pp + 1, tg > 0 ? kDecodePromptTokens + tg + 1 : 0);
  KEEL_ASSIGN_OR_RETURN(auto engine, Engine::create(model, tokenizer, engine_options));
  const int64_t vocab = model.config().vocab;

  std::vector<TestResult> results;
  if (pp > 0) {
    const std::string test = "pp" + std::to_string(pp);
    KEEL_ASSIGN_OR_RETURN(TestResult result,
                          repeat(test, options, [&] { return prompt_rate(*engine, pp, vocab, test); }));
    results.push_back(std::move(result));
  }
  if (tg > 0) {
    const std::string test = "tg" + std::to_string(tg);
    KEEL_ASSIGN_OR_RETURN(TestResult result,
                          repeat(test, options, [&] { return decode_rate(*engine, tg, vocab, test); }));
    results.push_back(std::move(result));
  }
  return results;
}

}  // namespace keel::bench
