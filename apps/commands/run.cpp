// keel run: generate text (or ids) from a prompt, as one request through the
// serving engine stepped on this thread.
#include "commands/commands.h"

#include <cstdio>
#include <memory>

#include <nlohmann/json.hpp>

#include "chat_template/chat_template.h"
#include "core/read_file.h"
#include "engine/model_files.h"
#include "engine/single_request.h"
#include "grammar/gbnf_parser.h"
#include "grammar/json_schema.h"
#include "engine_flags.h"

namespace keel::cli {
namespace {

struct RunOptions {
  std::string model, prompt, prompt_ids, chat;
  int32_t max_tokens = 128;
  float temperature = 0.8f;
  int32_t top_k = 40;
  float top_p = 0.95f;
  uint64_t seed = 0;
  bool ignore_eos = false, print_ids = false;
  std::string grammar_file, json_schema_file;  // constrained output (docs/agents.md)
  EngineFlags engine;  // --device, --kv-cache-dtype
};

// The GBNF text of --grammar FILE or --json-schema FILE ("" for neither).
Result<std::string> constraint_text(const RunOptions& options) {
  if (!options.grammar_file.empty()) return read_file(options.grammar_file);
  if (options.json_schema_file.empty()) return std::string();
  KEEL_ASSIGN_OR_RETURN(const std::string text, read_file(options.json_schema_file));
  const auto schema = nlohmann::ordered_json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (schema.is_discarded()) return Error{options.json_schema_file + " is not JSON"};
  return grammar::json_schema_to_gbnf(schema);
}

// The finish as `keel run` has always named it: stop, length, or
// context_length when the model's context ran out first.
const char* finish_name(FinishCause cause, bool context_bound) {
  switch (cause) {
    case FinishCause::kMaxTokens: return context_bound ? "context_length" : "length";
    case FinishCause::kContextFull: return "context_length";
    default: return finish_reason(cause).data();  // "stop" or "abort", literals
  }
}

// The prompt ids for whichever of --prompt, --prompt-ids or --chat was given.
Result<std::vector<int32_t>> prompt_ids(const RunOptions& options, const ModelFiles& files, int64_t vocab) {
  const Tokenizer& tokenizer = files.tokenizer;
  if (!options.prompt_ids.empty()) return parse_ids(options.prompt_ids, vocab);
  if (!options.chat.empty()) {
    if (!files.chat_template) return Error{"the model has no chat template; use --prompt instead of --chat"};
    KEEL_ASSIGN_OR_RETURN(ChatTemplate tmpl, ChatTemplate::parse(*files.chat_template));
    nlohmann::ordered_json messages = nlohmann::ordered_json::array();
    messages.push_back({{"role", "user"}, {"content", options.chat}});
    ChatRenderOptions render;
    render.add_generation_prompt = true;
    render.bos_token = files.bos_token;
    render.eos_token = files.eos_token;
    KEEL_ASSIGN_OR_RETURN(std::string text, render_chat(tmpl, messages, render));
    // The template already holds BOS (or [gMASK]<sop>): add nothing, parse specials.
    return tokenizer.encode(text, /*add_bos=*/false, /*parse_special=*/true);
  }
  return tokenizer.encode(options.prompt, /*add_bos=*/true, /*parse_special=*/false);
}

int run_generation(const RunOptions& options) {
  const auto path = options.model.empty() ? default_model_path() : std::filesystem::path(options.model);
  auto model = load_model(path, to_load_options(options.engine));
  if (!model.ok()) return fail(model.error());
  auto files = load_model_files(**model);
  if (!files.ok()) return fail(files.error());
  auto ids = prompt_ids(options, files.value(), (*model)->config().vocab);
  if (!ids.ok()) return fail(ids.error());
  auto engine_options = to_engine_options(options.engine);
  if (!engine_options.ok()) return fail(engine_options.error());

  // Generation ends where the model's context does.
  const int64_t prompt_length = static_cast<int64_t>(ids->size());
  const int64_t context = (*model)->config().context_length > 0 ? (*model)->config().context_length : INT32_MAX;
  if (prompt_length >= context)
    return fail("the prompt has " + std::to_string(prompt_length) + " tokens; the model's context length is " +
                std::to_string(context));
  const int64_t max_tokens = std::min<int64_t>(options.max_tokens, context - prompt_length);
  const bool context_bound = max_tokens < options.max_tokens;
  if (max_tokens == 0) {
    std::printf("\n");
    std::fprintf(stderr, "[%zu prompt tokens, 0 generated, finish: length]\n", ids->size());
    return 0;
  }

  Request request;
  request.prompt = std::move(ids).value();
  request.max_tokens = static_cast<int32_t>(max_tokens);
  request.ignore_eos = options.ignore_eos;
  request.sampling.temperature = options.temperature;
  request.sampling.top_k = options.top_k;
  request.sampling.top_p = options.top_p;
  request.sampling.seed = options.seed;
  auto engine = Engine::create(**model, files->tokenizer,
                               single_request_options(**model, prompt_length, max_tokens, *engine_options));
  if (!engine.ok()) return fail(engine.error());
  auto constraint = constraint_text(options);
  if (!constraint.ok()) return fail(constraint.error());
  if (!constraint->empty()) {
    auto parsed = grammar::parse_gbnf(*constraint);
    if (!parsed.ok()) return fail(parsed.error());
    auto compiled = grammar::CompiledGrammar::compile(std::move(parsed).value(), (*engine)->grammar_vocabulary());
    if (!compiled.ok()) return fail(compiled.error());
    request.grammar = std::move(compiled).value();
  }
  auto on_update = [&](const StreamUpdate& update) {
    if (options.print_ids || update.text.empty()) return;
    std::fwrite(update.text.data(), 1, update.text.size(), stdout);
    std::fflush(stdout);
  };
  auto result = run_single_request(**engine, std::move(request), on_update);
  if (!result.ok()) return fail(result.error());
  if (options.print_ids) {
    std::string line;
    for (size_t i = 0; i < result->tokens.size(); ++i) line += (i ? " " : "") + std::to_string(result->tokens[i]);
    std::printf("%s\n", line.c_str());
  } else {
    std::printf("\n");
  }
  std::fprintf(stderr, "[%lld prompt tokens, %zu generated, finish: %s]\n", static_cast<long long>(prompt_length),
               result->tokens.size(), finish_name(result->finish.cause, context_bound));
  return 0;
}

}  // namespace

Command add_run_command(CLI::App& root) {
  auto options = std::make_shared<RunOptions>();
  CLI::App* app = root.add_subcommand("run", "Generate from a prompt");
  add_model_option(app, options->model);
  auto* prompt = app->add_option("--prompt,-p", options->prompt, "prompt text (BOS added where the model asks)");
  auto* ids = app->add_option("--prompt-ids", options->prompt_ids, "prompt as token ids separated by spaces");
  auto* chat = app->add_option("--chat", options->chat, "one user message, rendered with the model's chat template");
  prompt->excludes(ids, chat);
  ids->excludes(chat);
  app->add_option("--max-tokens,-n", options->max_tokens, "most tokens to generate")->check(CLI::NonNegativeNumber);
  app->add_option("--temperature", options->temperature, "0 = greedy")->check(CLI::Range(0.0, 100.0));
  app->add_option("--top-k", options->top_k, "0 = off")->check(CLI::NonNegativeNumber);
  app->add_option("--top-p", options->top_p)->check(CLI::Range(0.0, 1.0));
  app->add_option("--seed", options->seed, "random seed (same seed, same output)");
  app->add_flag("--ignore-eos", options->ignore_eos, "do not stop at end-of-generation tokens");
  app->add_flag("--print-ids", options->print_ids, "print the generated ids on one line instead of text");
  auto* grammar = app->add_option("--grammar", options->grammar_file,
                                  "a GBNF grammar file the output must match (docs/agents.md)");
  app->add_option("--json-schema", options->json_schema_file, "a JSON schema file the output must validate against")
      ->excludes(grammar);
  add_device_flags(app, options->engine, "f16");

  return {app, [options, prompt, ids, chat]() -> int {
            if (!*prompt && !*ids && !*chat) return fail("run needs --prompt, --prompt-ids or --chat");
            return run_generation(*options);
          }};
}

int run_default() {
  RunOptions options;
  options.engine.kv_cache_dtype = "f16";
  // A question the shipped demo model was trained to answer (models/README.md).
  options.chat = "What is the capital of Japan?";
  options.temperature = 0.0f;
  options.max_tokens = 32;
  std::fprintf(stderr, "keel: no command given; generating from the shipped model %s\n",
               default_model_path().c_str());
  return run_generation(options);
}

}  // namespace keel::cli
