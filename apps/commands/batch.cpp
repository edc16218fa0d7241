// keel batch: runs every request of a JSONL file through the serving engine
// at once (continuous batching, prefix reuse) and prints one JSONL result
// per request, in input order, then {"stats": {...}}.
//
// Input, one object per line: "prompt" (text) or "prompt_ids" (array),
// "max_tokens" (16), "temperature" (1.0), "top_k", "top_p", "min_p", "seed",
// "stop" (string or array), "stop_token_ids", "min_tokens", "ignore_eos",
// "logprobs", "top_logprobs", and "arrival_ms" (submit that long after
// start; default 0).
#include "commands/commands.h"

#include <algorithm>
#include <chrono>
#include <fstream>
#include <iostream>
#include <memory>
#include <thread>

#include <nlohmann/json.hpp>

#include "engine/engine.h"
#include "engine/model_files.h"
#include "engine_flags.h"

namespace keel::cli {
namespace {

using nlohmann::ordered_json;

struct BatchOptions {
  std::string model, input;
  EngineFlags engine;
};

struct BatchItem {
  Request request;
  int64_t arrival_ms = 0;
  std::string error;  // set when the line could not be turned into a request
  RequestHandle handle;
  std::vector<int32_t> ids;
  std::string text;
  std::optional<Finish> finish;
  Usage usage;
  std::vector<TokenLogprob> logprobs;
  int32_t logprobs_stride = 0;
};

// One JSONL line -> a Request (errors are per line, reported in its result).
Status parse_line(const std::string& line, const Tokenizer& tokenizer, BatchItem& item) {
  const ordered_json j = ordered_json::parse(line, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object()) return Error{"not a JSON object"};
  try {
    Request& r = item.request;
    if (j.contains("prompt_ids")) r.prompt = j.at("prompt_ids").get<std::vector<int32_t>>();
    else if (j.contains("prompt")) r.prompt = tokenizer.encode(j.at("prompt").get<std::string>(), true, false);
    else return Error{"give \"prompt\" or \"prompt_ids\""};
    r.max_tokens = j.value("max_tokens", 16);
    r.min_tokens = j.value("min_tokens", 0);
    r.sampling.temperature = j.value("temperature", 1.0f);
    r.sampling.top_k = j.value("top_k", 0);
    r.sampling.top_p = j.value("top_p", 1.0f);
    r.sampling.min_p = j.value("min_p", 0.0f);
    r.sampling.seed = j.value("seed", uint64_t{0});
    r.sampling.top_logprobs = j.value("top_logprobs", 0);
    r.logprobs = j.value("logprobs", false) || r.sampling.top_logprobs > 0;
    r.ignore_eos = j.value("ignore_eos", false);
    if (j.contains("stop")) {
      if (j.at("stop").is_string()) r.stop = {j.at("stop").get<std::string>()};
      else r.stop = j.at("stop").get<std::vector<std::string>>();
    }
    if (j.contains("stop_token_ids")) r.stop_token_ids = j.at("stop_token_ids").get<std::vector<int32_t>>();
    item.arrival_ms = j.value("arrival_ms", int64_t{0});
  } catch (const nlohmann::json::exception& e) {
    return Error{std::string("bad field: ") + e.what()};
  }
  return ok_status();
}

ordered_json stats_json(const EngineStats& s) {
  return {{"running", s.running},
          {"waiting", s.waiting},
          {"submitted", s.submitted},
          {"rejected", s.rejected},
          {"finished", s.finished},
          {"cancelled", s.cancelled},
          {"preemptions", s.preemptions},
          {"blocks_total", s.blocks_total},
          {"blocks_free", s.blocks_free},
          {"blocks_used", s.blocks_used},
          {"blocks_cached", s.blocks_cached},
          {"block_size", s.block_size},
          {"evictions", s.evictions},
          {"fragmentation", s.fragmentation},
          {"prefix_query_tokens", s.prefix_query_tokens},
          {"prefix_hit_tokens", s.prefix_hit_tokens},
          {"steps", s.steps},
          {"tokens_computed", s.tokens_computed},
          {"tokens_generated", s.tokens_generated},
          {"mean_tokens_per_step", s.steps ? static_cast<double>(s.tokens_computed) / s.steps : 0.0},
          {"total_step_seconds", s.total_step_seconds},
          {"step_loop_allocations", s.step_loop_allocations}};
}

int run_batch(const BatchOptions& options) {
  auto engine_options = to_engine_options(options.engine);
  if (!engine_options.ok()) return fail(engine_options.error());
  const auto path = options.model.empty() ? default_model_path() : std::filesystem::path(options.model);
  auto model = load_model(path, to_load_options(options.engine));
  if (!model.ok()) return fail(model.error());
  auto files = load_model_files(**model);
  if (!files.ok()) return fail(files.error());

  std::ifstream input(options.input);
  if (!input) return fail("cannot open --input " + options.input);
  std::vector<BatchItem> items;
  for (std::string line; std::getline(input, line);) {
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    BatchItem& item = items.emplace_back();
    if (Status parsed = parse_line(line, files->tokenizer, item); !parsed.ok()) item.error = parsed.error().message;
  }

  auto engine = Engine::create(**model, files->tokenizer, *engine_options);
  if (!engine.ok()) return fail(engine.error());
  (*engine)->start();

  // Submit in arrival order, each at its arrival time.
  std::vector<size_t> order(items.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return items[a].arrival_ms < items[b].arrival_ms; });
  const auto start = std::chrono::steady_clock::now();
  for (size_t i : order) {
    BatchItem& item = items[i];
    if (!item.error.empty()) continue;
    std::this_thread::sleep_until(start + std::chrono::milliseconds(item.arrival_ms));
    auto handle = (*engine)->submit(item.request);
    if (handle.ok()) item.handle = *handle;
    else item.error = handle.error().message;
  }

  StreamUpdate update;
  for (BatchItem& item : items) {
    while (item.handle.valid() && !item.finish) {
      if (!item.handle.stream().wait_and_read(update, std::chrono::milliseconds(200))) continue;
      item.ids.insert(item.ids.end(), update.tokens.begin(), update.tokens.end());
      item.text += update.text;
      item.logprobs.insert(item.logprobs.end(), update.logprobs.begin(), update.logprobs.end());
      item.logprobs_stride = update.logprobs_stride;
      item.usage = update.usage;
      if (update.finish) item.finish = update.finish;
    }
  }
  const EngineStats stats = (*engine)->stats();
  (*engine)->shutdown(std::chrono::steady_clock::now());

  for (size_t i = 0; i < items.size(); ++i) {
    const BatchItem& item = items[i];
    ordered_json out = {{"index", i}};
    if (!item.error.empty()) {
      out["error"] = item.error;
    } else {
      out["ids"] = item.ids;
      out["text"] = item.text;
      out["finish_reason"] = item.finish->reason();
      out["finish_cause"] = finish_cause_name(item.finish->cause);
      out["usage"] = {{"prompt_tokens", item.usage.prompt_tokens},
                      {"completion_tokens", item.usage.completion_tokens},
                      {"cached_tokens", item.usage.cached_tokens}};
      if (item.logprobs_stride > 0) {
        ordered_json lps = ordered_json::array();
        for (size_t t = 0; t * item.logprobs_stride < item.logprobs.size(); ++t) {
          const TokenLogprob* row = item.logprobs.data() + t * item.logprobs_stride;
          ordered_json top = ordered_json::array();
          for (int32_t k = 1; k < item.logprobs_stride; ++k) top.push_back({{"id", row[k].token}, {"logprob", row[k].logprob}});
          lps.push_back({{"id", row[0].token}, {"logprob", row[0].logprob}, {"top", top}});
        }
        out["logprobs"] = lps;
      }
    }
    std::cout << out.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
  }
  std::cout << ordered_json{{"stats", stats_json(stats)}}.dump() << "\n";
  return 0;
}

}  // namespace

Command add_batch_command(CLI::App& root) {
  auto options = std::make_shared<BatchOptions>();
  CLI::App* app = root.add_subcommand("batch", "run a JSONL file of requests through the serving engine concurrently");
  add_model_option(app, options->model);
  app->add_option("--input", options->input, "requests, one JSON object per line")->required();
  add_engine_flags(app, options->engine);
  return Command{app, [options] { return run_batch(*options); }};
}

}  // namespace keel::cli
