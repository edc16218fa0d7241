// keel serve: the OpenAI-compatible HTTP server (src/server/). This file
// only turns flags and the config file into settings, loads the model and
// hands the engine to the server; docs/operations.md describes the flags.
#include "commands/commands.h"

#include <chrono>
#include <cstdio>
#include <fstream>
#include <sstream>

#include <unistd.h>

#include "backend/cpu/thread_pool.h"
#include "engine/engine.h"
#include "backend/fault_injecting_backend.h"
#include "core/content_hash.h"
#include "engine/model_files.h"
#include "engine_flags.h"
#include "model/model.h"
#include "server/config_file.h"
#include "server/load_progress.h"
#include "server/server.h"

namespace keel::cli {
namespace {

struct ServeOptions {
  std::string model, config_path, api_key, api_key_file;
  EngineFlags engine;
  server::ServerConfig server;
};

void add_server_flags(CLI::App* app, ServeOptions& o) {
  auto& s = o.server;
  app->add_option("--config", o.config_path, "TOML file holding any of these flags (and [keys.NAME] tables)");
  app->add_option("--host", s.host, "address to listen on")->capture_default_str();
  app->add_option("--port", s.port, "port to listen on (0: any free port)")->capture_default_str();
  app->add_option("--served-model-name", s.served_model_name, "model id in the API (default: the file's name)");
  app->add_option("--io-threads", s.io_threads, "I/O threads")->capture_default_str()->check(CLI::Range(1, 64));
  app->add_option("--max-body-bytes", s.max_body_bytes, "largest request body")->capture_default_str();
  app->add_option("--max-header-bytes", s.max_header_bytes, "largest request head")->capture_default_str();
  app->add_option("--max-connections", s.max_connections, "open connections at most")->capture_default_str();
  app->add_option("--header-timeout", s.header_timeout_s, "seconds to receive a request head")->capture_default_str();
  app->add_option("--body-timeout", s.body_timeout_s, "seconds to receive a request body")->capture_default_str();
  app->add_option("--idle-timeout", s.idle_timeout_s, "seconds a kept-alive connection may idle")->capture_default_str();
  app->add_option("--max-queue", s.max_queue, "requests waiting for their first output at most (then 429)")
      ->capture_default_str();
  app->add_option("--context-overflow", s.context_overflow,
                  "a chat prompt too long for the context: error (400), truncate (drop the oldest whole turns "
                  "after the system message until it fits with room for max_tokens), or shift (truncate the "
                  "prompt until it fits, and when generation reaches the context keep the system message and "
                  "the newest half of the rest and go on)")
      ->check(CLI::IsMember({"error", "truncate", "shift"}))
      ->capture_default_str();
  app->add_option("--tool-call-parser", s.tool_call_parser,
                  "how the model writes tool calls, parsed into tool_calls: auto (from the chat template), none, "
                  "hermes (Qwen2.5/3), glm45 (GLM-4.5/4.6), glm4 (glm-4-9b-chat, GLM-4-0414), llama3_json (Llama 3.1+)")
      ->check(CLI::IsMember({"auto", "none", "hermes", "glm45", "glm4", "llama3_json"}))
      ->capture_default_str();
  app->add_option("--reasoning-parser", s.reasoning_parser,
                  "split a thinking model's <think>...</think> into message.reasoning_content: auto (when the chat "
                  "template writes <think>), think, or none")
      ->check(CLI::IsMember({"auto", "think", "none"}))
      ->capture_default_str();
  app->add_option("--max-requests-per-second", s.max_requests_per_second,
                  "server-wide cap on completion requests per second, bursts up to one second's worth (then 429; "
                  "0 = off)")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  app->add_option("--queue-timeout", s.queue_timeout_s, "seconds a request may wait in the queue (then 503)")
      ->capture_default_str();
  app->add_option("--stall-timeout", s.stall_timeout_s, "seconds without an engine step, with work pending, before /ready fails")
      ->capture_default_str();
  app->add_option("--breaker-failures", s.breaker.failures,
                  "failed engine steps (or stalls) within --breaker-window that open the circuit breaker")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  app->add_option("--breaker-window", s.breaker.window_s, "seconds over which --breaker-failures are counted")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  app->add_option("--breaker-cooldown", s.breaker.cooldown_s,
                  "seconds the open breaker refuses requests before one probe (doubled after a failed probe, up to 600)")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  app->add_option("--max-engine-restarts", s.breaker.max_engine_restarts,
                  "the breaker's opening number N within an hour rebuilds the engine in-process; one more exits "
                  "the process with status 3")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  app->add_option("--drain-timeout", s.drain_timeout_s, "seconds running requests get to finish on SIGTERM")
      ->capture_default_str();
  app->add_option("--slow-request-ms", s.slow_request_ms, "log requests slower than this (0: off)")->capture_default_str();
  app->add_option("--max-n", s.max_n, "largest n per request")->capture_default_str();
  app->add_option("--access-log", s.access_log, "access log: '-' for stderr, '' for none, or a file")
      ->capture_default_str();
  app->add_option("--api-key", o.api_key, "require this key (Authorization: Bearer KEY)");
  app->add_option("--admin-key", s.admin_key,
                  "allow POST /admin/reload with this key (Authorization: Bearer KEY); SIGHUP reloads regardless");
  app->add_option("--api-key-file", o.api_key_file, "require one of the keys in this file ('KEY' or 'NAME KEY' per line)");
  app->add_option("--otlp-endpoint", s.otlp_endpoint,
                  "export request spans over OTLP/HTTP (JSON) to this collector, e.g. http://127.0.0.1:4318 "
                  "(/v1/traces is added to a URL without a path); off by default");
  app->add_option("--trace-sample-ratio", s.trace_sample_ratio,
                  "share of new traces exported (a request's traceparent sampled flag decides its own)")
      ->check(CLI::Range(0.0, 1.0))
      ->capture_default_str();
  app->add_flag("--no-ui{false}", s.chat_page, "do not serve the chat page at /");
  // Hidden: POST /debug/stall and /debug/fail-forward (the live tests' hooks).
  app->add_flag("--enable-test-hooks", s.enable_test_hooks)->group("");
}

// Settings from the config file for every flag not given on the command line.
Status apply_config_file(CLI::App* app, ServeOptions& options) {
  if (options.config_path.empty()) return ok_status();
  KEEL_ASSIGN_OR_RETURN(server::ConfigFile file, server::load_config_file(options.config_path));
  for (const auto& [name, values] : file.options) {
    CLI::Option* option = app->get_option_no_throw("--" + name);
    if (!option || name == "config")
      return Error{options.config_path + ": unknown setting '" + name + "' (settings are serve's flag names)"};
    if (option->count() > 0) continue;  // the command line wins
    try {
      for (const auto& value : values) option->add_result(value);
      option->run_callback();
    } catch (const CLI::Error& error) {
      return Error{options.config_path + ": " + name + ": " + error.what()};
    }
  }
  for (auto& key : file.keys) options.server.keys.push_back(std::move(key));
  return ok_status();
}

Status collect_keys(ServeOptions& options) {
  if (!options.api_key.empty()) options.server.keys.push_back(server::KeyPolicy{"default", options.api_key, 0, 0, 0});
  if (!options.api_key_file.empty()) {
    KEEL_ASSIGN_OR_RETURN(std::string text, read_file(options.api_key_file));
    if (auto error = server::parse_api_key_file(text, options.server.keys))
      return Error{options.api_key_file + ": " + *error};
  }
  return ok_status();
}

void print_configuration(const ServeOptions& o, const EngineOptions& engine, uint16_t port, int32_t max_context,
                         std::string_view device) {
  const auto& s = o.server;
  std::fprintf(stderr,
               "keel: serving %s on http://%s:%u\n"
               "  io-threads %d, max-connections %lld, max-body-bytes %lld, timeouts header %.0fs body %.0fs idle %.0fs\n"
               "  max-queue %d, queue-timeout %.0fs, stall-timeout %.0fs, drain-timeout %.0fs, slow-request-ms %lld\n"
               "  engine: device %.*s, threads %u, max-seqs %d, max-batch-tokens %d, max-context %d, kv-block-size %d, kv-cache-dtype %s, prefix cache %s\n"
               "  api keys: %zu%s; tracing: %s\n",
               o.model.c_str(), s.host.c_str(), port, s.io_threads, static_cast<long long>(s.max_connections),
               static_cast<long long>(s.max_body_bytes), s.header_timeout_s, s.body_timeout_s, s.idle_timeout_s,
               s.max_queue, s.queue_timeout_s, s.stall_timeout_s, s.drain_timeout_s,
               static_cast<long long>(s.slow_request_ms), static_cast<int>(device.size()), device.data(), ThreadPool::global().size(), engine.max_seqs, engine.max_batch_tokens, max_context,
               engine.kv_block_size, std::string(dtype_info(engine.kv_cache_dtype).name).c_str(),
               engine.prefix_cache ? "on" : "off", s.keys.size(),
               s.keys.empty() ? " (open to anyone who can connect)" : "",
               s.otlp_endpoint.empty() ? "off" : (s.otlp_endpoint + ", sample ratio " +
                                                  std::to_string(s.trace_sample_ratio)).c_str());
  std::printf("http://%s:%u\n", s.host.c_str(), port);  // for scripts: the address, once ready
  std::fflush(stdout);
}

// What makes a reload see a model file as changed: its size and
// modification time (for a directory, their sum and latest over its files).
std::string file_identity(const std::filesystem::path& path) {
  std::error_code error;
  uintmax_t size = 0;
  // min(), not {}: file_clock's epoch lies in the future (2174 in libstdc++), so
  // every real modification time is negative and max() with zero would hide it.
  auto latest = std::filesystem::file_time_type::min();
  auto take = [&](const std::filesystem::path& file) {
    size += std::filesystem::file_size(file, error);
    latest = std::max(latest, std::filesystem::last_write_time(file, error));
  };
  if (std::filesystem::is_directory(path, error)) {
    for (const auto& entry : std::filesystem::directory_iterator(path, error))
      if (entry.is_regular_file()) take(entry.path());
  } else {
    take(path);
  }
  return std::to_string(size) + "@" + std::to_string(latest.time_since_epoch().count());
}

// Loads `path` for serving: the weights, the files around them, an engine
// (not started) and, with --enable-test-hooks, the fault hooks on a
// fault-injecting backend under this model.
Result<server::LoadedModel> load_for_serving(const std::filesystem::path& path, const ServeOptions& options,
                                            const EngineOptions& engine_options, server::LoadProgressDisplay* progress) {
  LoadOptions load = to_load_options(options.engine);
  FaultInjectingBackend* faults = nullptr;
  if (options.server.enable_test_hooks)
    load.wrap_backend = [&faults](std::unique_ptr<Backend> real) -> std::unique_ptr<Backend> {
      auto wrapped = std::make_unique<FaultInjectingBackend>(std::move(real));
      faults = wrapped.get();
      return wrapped;
    };
  server::LoadedModel loaded;
  loaded.identity = file_identity(path);  // before reading: a file replaced meanwhile is seen as changed next time
  KEEL_ASSIGN_OR_RETURN(std::unique_ptr<Model> model,
                        load_model(path, load, [progress](double fraction, std::string_view message) {
                          if (progress) progress->update(fraction, message);
                        }));
  if (progress) progress->finish();
  KEEL_ASSIGN_OR_RETURN(ModelFiles files, load_model_files(*model));
  KEEL_ASSIGN_OR_RETURN(loaded.engine, Engine::create(*model, files.tokenizer, engine_options));
  KEEL_ASSIGN_OR_RETURN(const uint64_t hash, content_hash(path));
  loaded.content_hash = content_hash_hex(hash);
  loaded.max_context = engine_options.max_context > 0 ? engine_options.max_context
                                                      : static_cast<int32_t>(model->config().context_length);
  loaded.file_name = path.filename().string();
  loaded.name = options.server.served_model_name.empty() ? loaded.file_name : options.server.served_model_name;
  loaded.path = path.string();
  if (faults != nullptr) {
    loaded.test_hooks.stall_engine = [faults](bool stalled) { faults->stall(stalled); };
    loaded.test_hooks.poison_logits = [faults, vocab = static_cast<int64_t>(model->config().vocab)](int64_t row) {
      faults->poison_logits(vocab, row);
    };
    loaded.test_hooks.fail_next_step = [faults](std::string cause, int64_t steps) {
      faults->fail_next(std::move(cause), steps);
    };
  }
  loaded.files = std::make_unique<ModelFiles>(std::move(files));
  loaded.weights = std::shared_ptr<Model>(std::move(model));
  return loaded;
}

// A reload's model path: the config file's `model` when it names one, else
// the path serve started with.
Result<std::filesystem::path> reload_path(const ServeOptions& options) {
  if (options.config_path.empty()) return std::filesystem::path(options.model);
  KEEL_ASSIGN_OR_RETURN(server::ConfigFile file, server::load_config_file(options.config_path));
  for (const auto& [name, values] : file.options)
    if (name == "model" && !values.empty()) return std::filesystem::path(values.front());
  return std::filesystem::path(options.model);
}

int run_serve(CLI::App* app, ServeOptions& options) {
  if (auto status = apply_config_file(app, options); !status.ok()) return fail(status.error());
  if (auto status = collect_keys(options); !status.ok()) return fail(status.error());
  auto engine_options = to_engine_options(options.engine);
  if (!engine_options.ok()) return fail(engine_options.error());
  engine_options->max_waiting = std::max(engine_options->max_waiting, options.server.max_queue * options.server.max_n);
  const std::filesystem::path path = options.model.empty() ? default_model_path() : std::filesystem::path(options.model);
  options.model = path.string();

  auto server = server::Server::start(options.server);
  if (!server.ok()) return fail(server.error());
  std::fprintf(stderr, "keel: listening on %s:%u; loading %s ...\n", options.server.host.c_str(), (*server)->port(),
               path.string().c_str());
  const auto load_start = std::chrono::steady_clock::now();
  // /ready stays 503 ("the model is loading") until set_model below.
  server::LoadProgressDisplay progress(stderr, isatty(fileno(stderr)) == 1);
  auto loaded = load_for_serving(path, options, *engine_options, &progress);
  if (!loaded.ok()) return fail(loaded.error());
  std::fprintf(stderr, "keel: model loaded in %.1f s (content hash %s)\n",
               std::chrono::duration<double>(std::chrono::steady_clock::now() - load_start).count(),
               loaded->content_hash.c_str());
  const int32_t max_context = loaded->max_context;
  // On a GPU: what was reserved on it, once (it does not change while serving).
  if (const EngineStats stats = loaded->engine->stats(); stats.device_memory_total > 0) {
    constexpr double kGiB = 1024.0 * 1024.0 * 1024.0;
    std::fprintf(stderr,
                 "keel: %s, %.1f GiB: weights %.2f GiB, KV cache %.2f GiB (%d blocks of %d tokens), "
                 "workspace %.2f GiB\n",
                 stats.device_name.c_str(), static_cast<double>(stats.device_memory_total) / kGiB,
                 static_cast<double>(stats.device_weight_bytes) / kGiB, static_cast<double>(stats.device_kv_bytes) / kGiB,
                 stats.blocks_total, stats.block_size, static_cast<double>(stats.device_workspace_bytes) / kGiB);
  }
  const std::string device(static_cast<Model*>(loaded->weights.get())->backend().name());

  // SIGHUP and POST /admin/reload: the model the configuration names now.
  auto reload = [&options, engine = *engine_options](const server::ServingModel& serving)
      -> Result<std::optional<server::LoadedModel>> {
    KEEL_ASSIGN_OR_RETURN(const std::filesystem::path next, reload_path(options));
    if (next.string() == serving.path() && file_identity(next) == serving.identity())
      return std::optional<server::LoadedModel>();
    std::fprintf(stderr, "keel: reload: loading %s ...\n", next.string().c_str());
    // On a GPU the new model gets the serving one's share: what the serving
    // one holds goes when it drains, so it does not count against the new one.
    EngineOptions next_engine = engine;
    const EngineStats serving_stats = serving.engine().stats();
    next_engine.gpu_memory_replaced_bytes =
        serving_stats.device_weight_bytes + serving_stats.device_kv_bytes + serving_stats.device_workspace_bytes;
    KEEL_ASSIGN_OR_RETURN(server::LoadedModel next_model, load_for_serving(next, options, next_engine, nullptr));
    return std::optional<server::LoadedModel>(std::move(next_model));
  };
  (*server)->set_model(std::move(loaded).value(), reload);
  print_configuration(options, *engine_options, (*server)->port(), max_context, device);
  int status = (*server)->wait_for_shutdown();
  server->reset();  // connections close, and the models go, before anything else
  return status;
}

}  // namespace

Command add_serve_command(CLI::App& root) {
  auto options = std::make_shared<ServeOptions>();
  CLI::App* app = root.add_subcommand("serve", "serve the model over an OpenAI-compatible HTTP API");
  add_model_option(app, options->model);
  add_engine_flags(app, options->engine);
  add_server_flags(app, *options);
  return Command{app, [app, options] { return run_serve(app, *options); }};
}

}  // namespace keel::cli
