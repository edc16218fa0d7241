#include "server/api_handlers.h"

#include <cmath>
#include <optional>
#include <random>

#include <spdlog/spdlog.h>

#include "engine/engine.h"
#include "server/admin_reload.h"
#include "server/chat_page.h"
#include "server/completion_session.h"
#include "server/model_reloader.h"
#include "server/json_fields.h"
#include "server/openai_response.h"
#include "server/prompt_builder.h"
#include "server/request_parser.h"
#include "server/session_accounting.h"
#include "server/trace_context.h"
#include "tool_calls/tool_choice_grammar.h"

namespace keel::server {
namespace {

using Clock = std::chrono::steady_clock;

HttpResponse json_response(int status, const nlohmann::json& body, const std::string& request_id) {
  HttpResponse response{status, "application/json", {}, dump_json(body), false};
  if (!request_id.empty()) response.headers.emplace_back("X-Request-Id", request_id);
  return response;
}

// X-Request-Id when it is short printable ASCII (it is echoed into headers
// and logs), otherwise a fresh one.
std::string request_id_for(ServerState& state, const HttpRequest& request) {
  std::string_view given = request.header("x-request-id");
  bool usable = !given.empty() && given.size() <= 128;
  for (char c : given) usable = usable && c > 0x20 && c < 0x7f && c != '"' && c != '\\';
  if (usable) return std::string(given);
  static thread_local std::mt19937_64 random{std::random_device{}()};
  char id[40];
  std::snprintf(id, sizeof id, "%llx%08llx", static_cast<unsigned long long>(state.next_request_number.fetch_add(1)),
                static_cast<unsigned long long>(random() & 0xffffffffu));
  return id;
}

struct Caller {
  std::string key_name = "anonymous";
  std::optional<size_t> key_index;
};

std::variant<Caller, ApiError> authenticate(const ServerState& state, const HttpRequest& request) {
  Caller caller;
  if (!state.keys.required()) return caller;
  const std::optional<std::string> basic = basic_auth_password(request.header("authorization"));
  std::string_view presented = basic ? std::string_view(*basic) : bearer_token(request.header("authorization"));
  if (presented.empty()) presented = request.header("x-api-key");
  if (presented.empty()) return unauthorized("missing API key: send 'Authorization: Bearer KEY'");
  auto index = state.keys.find(presented);
  if (!index) return unauthorized("invalid API key");
  // A browser sends Basic credentials by itself, so another site's page
  // could post a form to the API in its user's name. Such a form cannot set
  // Content-Type: application/json (that takes a CORS preflight, which keel
  // never grants), and the chat page always does: require it.
  if (basic && request.method == "POST" &&
      request.header("content-type").substr(0, std::string_view("application/json").size()) != "application/json")
    return ApiError{403, "a request signed in with Basic credentials must send Content-Type: application/json",
                    {}, std::nullopt};
  caller.key_index = index;
  caller.key_name = state.keys.policy(*index).name;
  return caller;
}

RejectReason reason_for(const ApiError& error) {
  switch (error.status) {
    case 401: return RejectReason::kUnauthorized;
    case 413: return RejectReason::kBodyTooLarge;
    case 429: return RejectReason::kQueueFull;
    case 503: return RejectReason::kNotReady;
    default: return RejectReason::kInvalidRequest;
  }
}

HttpResponse reject(ServerState& state, const HttpRequest& request, const std::string& request_id,
                    const TraceContext& trace, const std::string& key_name, const ApiError& error,
                    std::optional<RejectReason> reason = {}) {
  RejectReason why = reason.value_or(reason_for(error));
  if (error.status == 503 && state.phase.load() == Phase::kDraining) why = RejectReason::kDraining;
  state.metrics.count_rejection(why);
  state.metrics.count_response(error.status);
  AccessRecord record;
  record.request_id = request_id;
  record.method = request.method;
  record.path = std::string(request.path());
  record.key_name = key_name;
  record.status = error.status;
  record.total_seconds = std::chrono::duration<double>(Clock::now() - request.arrived).count();
  record.error = error.message;
  record_request_end(state, record, trace, request.arrived);
  return error_response(error, request_id);
}

HandlerResult handle_completion(ServerState& state, std::shared_ptr<ServingModel> model, HttpRequest& request,
                                Endpoint endpoint, const Caller& caller, const std::string& request_id,
                                const TraceContext& trace) {
  auto fail = [&](const ApiError& error, std::optional<RejectReason> reason = {}) -> HandlerResult {
    return reject(state, request, request_id, trace, caller.key_name, error, reason);
  };
  if (const auto refusal = model->supervisor().admission_problem(Clock::now()))
    return fail(unavailable(refusal->reason, refusal->retry_after_s), RejectReason::kBreakerOpen);
  if (std::string problem = readiness_problem(state); !problem.empty()) return fail(unavailable(problem, 1.0));
  // The server-wide rate comes before any parsing: a flood costs little.
  if (state.request_rate_limit)
    if (const auto wait = state.request_rate_limit->admit(RequestRateLimit::Clock::now()))
      return fail(too_many_requests("the server's request rate limit (" +
                                        std::to_string(state.request_rate_limit->requests_per_second()) +
                                        " per second, --max-requests-per-second) is reached; retry later",
                                    *wait),
                  RejectReason::kServerRateLimit);

  auto parsed = parse_completion_request(endpoint, request.body, state.limits);
  if (auto* error = std::get_if<ApiError>(&parsed)) return fail(*error);
  CompletionRequest completion = std::move(std::get<CompletionRequest>(parsed));
  if (!completion.model.empty() && completion.model != model->name())
    return fail(ApiError{404, "the model '" + completion.model + "' does not exist; this server serves '" +
                                  model->name() + "'", "model", std::nullopt});

  auto prompts = build_prompts(state, *model, completion);
  if (auto* error = std::get_if<ApiError>(&prompts)) return fail(*error);
  if (completion.tool_choice == ToolChoice::kRequired || completion.tool_choice == ToolChoice::kNamed) {
    if (!model->tool_format())
      return fail(bad_request("'tool_choice' asks for a tool call, but this model's chat template shows no tool-call "
                              "format; start keel serve with --tool-call-parser",
                              "tool_choice"));
    if (!completion.grammar_text.empty())
      return fail(bad_request("'response_format' and a required 'tool_choice' cannot be combined", "response_format"));
    const std::optional<std::string> named =
        completion.tool_choice == ToolChoice::kNamed ? std::optional(completion.tool_choice_name) : std::nullopt;
    auto grammar = tool_calls::tool_choice_gbnf(*model->tool_format(), completion.tools, named, completion.parallel_tool_calls);
    if (!grammar.ok()) return fail(bad_request(grammar.error().message, "tool_choice"));
    for (const std::string& loose : grammar->loose_tools)
      spdlog::warn("tool_choice: the arguments of {} are held to any JSON object only", loose);
    completion.grammar_text = std::move(grammar->gbnf);
  }
  if (!completion.grammar_text.empty()) {
    auto compiled = state.grammars.get(completion.grammar_text, model->engine().grammar_vocabulary());
    if (!compiled.ok()) {
      const bool tools = completion.tool_choice == ToolChoice::kRequired || completion.tool_choice == ToolChoice::kNamed;
      return fail(bad_request((tools ? "tool_choice: " : "response_format: ") + compiled.error().message,
                              tools ? "tool_choice" : "response_format"));
    }
    completion.grammar = std::move(compiled).value();
    state.metrics.constrained_requests.fetch_add(1);
  }
  auto& prepared = std::get<std::vector<PreparedPrompt>>(prompts);

  if (state.metrics.requests_queued.load() >= state.config.max_queue)
    return fail(too_many_requests("the server's queue is full (" + std::to_string(state.config.max_queue) +
                                      " requests waiting); retry later",
                                  1.0),
                RejectReason::kQueueFull);
  if (caller.key_index && state.limiter) {
    int64_t tokens = 0;
    for (const auto& prompt : prepared)
      tokens += (static_cast<int64_t>(prompt.ids.size()) +
                 completion.max_tokens.value_or(model->max_context() - static_cast<int32_t>(prompt.ids.size()))) *
                completion.n;
    if (auto refusal = state.limiter->admit(*caller.key_index, tokens)) {
      return fail(too_many_requests(refusal->message, refusal->retry_after), refusal->reason);
    }
  }

  SessionInfo info{request_id, request.method, std::string(request.path()), caller.key_name, caller.key_index,
                   request.arrived, trace};
  auto started = start_completion(state, std::move(model), std::move(completion), std::move(prepared), std::move(info));
  if (auto* error = std::get_if<ApiError>(&started)) {
    // The session already released its slot and logged the request.
    state.metrics.count_rejection(RejectReason::kEngineRejected);
    return error_response(*error, request_id);
  }
  return std::get<std::shared_ptr<DeferredResponse>>(std::move(started));
}

// OpenAI's model object, with vLLM's max_model_len and keel's own file and
// content_hash (which weights serve, across reloads).
// The chat page. With API keys it is behind one too: without a valid key the
// answer is 401 with a Basic challenge, so a browser asks for it (any user
// name, the key as password) and then sends it with the page's API calls.
HttpResponse handle_chat_page(const ServerState& state, const HttpRequest& request, const std::string& request_id) {
  if (std::holds_alternative<ApiError>(authenticate(state, request))) {
    HttpResponse challenge = error_response(unauthorized("the chat page needs an API key: give it as the password"),
                                            request_id);
    challenge.headers.emplace_back("WWW-Authenticate", "Basic realm=\"keel\", charset=\"UTF-8\"");
    return challenge;
  }
  HttpResponse page{200, "text/html; charset=utf-8", {}, std::string(chat_page_html()), false};
  // Its script and style are inline; it talks to this server only.
  page.headers.emplace_back("Content-Security-Policy",
                            "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; "
                            "connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; "
                            "frame-ancestors 'none'");
  page.headers.emplace_back("X-Content-Type-Options", "nosniff");
  page.headers.emplace_back("Cache-Control", "no-cache");
  page.headers.emplace_back("X-Request-Id", request_id);
  return page;
}

HttpResponse handle_models(const ServingModel& serving, const std::string& request_id) {
  auto created = std::chrono::duration_cast<std::chrono::seconds>(
                     std::chrono::system_clock::now().time_since_epoch()).count();
  nlohmann::json model = {{"id", serving.name()},          {"object", "model"},
                          {"created", created},            {"owned_by", "keel"},
                          {"max_model_len", serving.max_context()}, {"file", serving.file_name()},
                          {"content_hash", serving.content_hash()}};
  return json_response(200, {{"object", "list"}, {"data", nlohmann::json::array({model})}}, request_id);
}

HttpResponse handle_tokenize(ServerState& state, const ServingModel& model, const HttpRequest& request,
                             const std::string& request_id) {
  auto parsed = parse_json_object(request.body);
  if (auto* error = std::get_if<ApiError>(&parsed)) return error_response(*error, request_id);
  const auto& body = std::get<nlohmann::json>(parsed);
  std::vector<int32_t> ids;
  if (body.contains("messages")) {
    auto chat = parse_completion_request(Endpoint::kChat, request.body, state.limits);
    if (auto* error = std::get_if<ApiError>(&chat)) return error_response(*error, request_id);
    auto& chat_request = std::get<CompletionRequest>(chat);
    chat_request.max_tokens.reset();
    auto prompts = build_prompts(state, model, chat_request);
    if (auto* error = std::get_if<ApiError>(&prompts)) return error_response(*error, request_id);
    ids = std::get<std::vector<PreparedPrompt>>(prompts)[0].ids;
  } else {
    JsonFields fields(body);
    std::optional<std::string> prompt;
    bool add_special = true;
    if (auto error = fields.read_string("prompt", state.config.max_body_bytes, prompt)) return error_response(*error, request_id);
    if (auto error = fields.read_bool("add_special_tokens", add_special)) return error_response(*error, request_id);
    if (!prompt) return error_response(bad_request("'prompt' or 'messages' is required", "prompt"), request_id);
    ids = model.tokenizer().encode(*prompt, add_special, /*parse_special=*/false);
  }
  return json_response(200, {{"tokens", ids}, {"count", ids.size()}, {"max_model_len", model.max_context()}}, request_id);
}

HttpResponse handle_detokenize(const ServingModel& model, const HttpRequest& request, const std::string& request_id) {
  auto parsed = parse_json_object(request.body);
  if (auto* error = std::get_if<ApiError>(&parsed)) return error_response(*error, request_id);
  const auto& body = std::get<nlohmann::json>(parsed);
  auto tokens = body.find("tokens");
  if (tokens == body.end() || !tokens->is_array())
    return error_response(bad_request("'tokens' must be an array of token ids", "tokens"), request_id);
  std::vector<int32_t> ids;
  for (size_t i = 0; i < tokens->size(); ++i) {
    const auto& id = (*tokens)[i];
    if (!id.is_number_integer() || id.get<int64_t>() < 0 || id.get<int64_t>() >= model.tokenizer().vocab_size())
      return error_response(bad_request("'tokens[" + std::to_string(i) + "]' is not a token id of this model", "tokens"),
                            request_id);
    ids.push_back(static_cast<int32_t>(id.get<int64_t>()));
  }
  return json_response(200, {{"prompt", model.tokenizer().decode(ids)}}, request_id);
}

HttpResponse handle_metrics(const ServerState& state) {
  EngineStats stats;
  MetricsInputs inputs;
  const std::shared_ptr<ServingModel> model = state.serving();
  BreakerSnapshot breaker;
  if (model) {
    stats = model->engine().stats();
    inputs.engine = &stats;
    breaker = model->supervisor().snapshot();
    inputs.breaker = &breaker;
    inputs.model_file = model->file_name();
    inputs.model_hash = model->content_hash();
  }
  inputs.server = &state.metrics;
  SpanExporterStats tracing;
  if (state.span_exporter) {
    tracing = state.span_exporter->stats();
    inputs.tracing = &tracing;
  }
  inputs.grammar_compiles = state.grammars.compiles();
  inputs.grammar_cache_hits = state.grammars.hits();
  inputs.process = read_process_stats();
  inputs.version = KEEL_SERVER_VERSION;
  inputs.model_name = model ? model->name() : "";
  inputs.ready = readiness_problem(state).empty();
  return HttpResponse{200, "text/plain; version=0.0.4; charset=utf-8", {}, render_metrics(inputs), false};
}

}  // namespace

HttpResponse error_response(const ApiError& error, const std::string& request_id) {
  HttpResponse response{error.status, "application/json", {}, error.body(), false};
  if (error.retry_after)
    response.headers.emplace_back("Retry-After", std::to_string(static_cast<int64_t>(std::ceil(*error.retry_after))));
  if (!request_id.empty()) response.headers.emplace_back("X-Request-Id", request_id);
  if (error.status == 503) response.close_connection = true;
  return response;
}

std::string readiness_problem(const ServerState& state) {
  switch (state.phase.load()) {
    case Phase::kLoading: return "the model is loading";
    case Phase::kDraining: return "the server is shutting down";
    case Phase::kFailed: return "the engine failed: " + state.failure;
    case Phase::kServing: break;
  }
  const std::shared_ptr<ServingModel> model = state.serving();
  if (!model) return "the engine is not running";
  EngineStats stats = model->engine().stats();
  // Published by the engine the moment it fails; the phase follows once
  // the server's watcher has logged it (Server::wait_for_shutdown).
  if (stats.failed) return "the engine failed: " + stats.failure;
  if (const auto refusal = model->supervisor().admission_problem(Clock::now())) return refusal->reason;
  const bool work_pending = state.metrics.requests_in_flight.load() > 0 || stats.running + stats.waiting > 0;
  if (!work_pending || stats.heartbeat == Clock::time_point{}) return {};
  const double since = std::chrono::duration<double>(Clock::now() - stats.heartbeat).count();
  if (since > state.config.stall_timeout_s) {
    char text[160];
    std::snprintf(text, sizeof text, "the engine is stalled: no step completed for %.1f s with requests pending", since);
    return text;
  }
  return {};
}

HandlerResult handle_request(ServerState& state, HttpRequest& request) {
  const std::string request_id = request_id_for(state, request);
  const TraceContext trace = trace_context_for(request.header("traceparent"), state.config.trace_sample_ratio);
  const std::string_view path = request.path();
  const std::string& method = request.method;
  auto only = [&](const char* allowed) -> std::optional<HttpResponse> {
    if (method == allowed) return std::nullopt;
    HttpResponse response = error_response(method_not_allowed("use " + std::string(allowed) + " for " +
                                                              std::string(path)), request_id);
    response.headers.emplace_back("Allow", allowed);
    return response;
  };

  if (path == "/health") {
    if (auto wrong = only("GET")) return *wrong;
    return json_response(200, {{"status", "ok"}}, request_id);
  }
  if (path == "/ready") {
    if (auto wrong = only("GET")) return *wrong;
    std::string problem = readiness_problem(state);
    if (problem.empty()) return json_response(200, {{"status", "ready"}}, request_id);
    return json_response(503, {{"status", "not ready"}, {"reason", problem}}, request_id);
  }
  if (path == "/metrics") {
    if (auto wrong = only("GET")) return *wrong;
    return handle_metrics(state);
  }
  const std::shared_ptr<ServingModel> model = state.serving();
  const TestHooks* hooks = model && state.config.enable_test_hooks ? &model->test_hooks() : nullptr;
  if (path == "/debug/stall" && hooks && hooks->stall_engine) {
    if (auto wrong = only("POST")) return *wrong;
    // Every resident model: the serving one, and one a reload replaced
    // while it finishes its requests.
    const bool stalled = request.body.find("true") != std::string::npos;
    hooks->stall_engine(stalled);
    if (const auto replaced = state.reloader ? state.reloader->replaced() : nullptr)
      if (replaced->test_hooks().stall_engine) replaced->test_hooks().stall_engine(stalled);
    return json_response(200, {{"status", "ok"}}, request_id);
  }
  if (path == "/debug/poison-logits" && hooks && hooks->poison_logits) {
    if (auto wrong = only("POST")) return *wrong;
    hooks->poison_logits(0);  // the next step's first logits row
    return json_response(200, {{"status", "ok"}}, request_id);
  }
  if (path == "/debug/fail-forward" && hooks && hooks->fail_next_step) {
    if (auto wrong = only("POST")) return *wrong;
    // {"steps": N} fails the next N steps (default 1).
    int64_t steps = 1;
    const auto body = nlohmann::json::parse(request.body, nullptr, false);
    if (body.is_object() && body.contains("steps") && body["steps"].is_number_integer())
      steps = std::max<int64_t>(1, body["steps"].get<int64_t>());
    hooks->fail_next_step("injected backend error (POST /debug/fail-forward)", steps);
    return json_response(200, {{"status", "ok"}}, request_id);
  }

  if (path == "/admin/reload") {
    if (auto wrong = only("POST")) return *wrong;
    return handle_admin_reload(state, state.reloader, request, request_id);
  }

  if ((path == "/" || path == "/index.html") && state.config.chat_page) {
    if (auto wrong = only("GET")) return *wrong;
    return handle_chat_page(state, request, request_id);
  }

  const bool chat = path == "/v1/chat/completions", completions = path == "/v1/completions";
  const bool models = path == "/v1/models", tokenize = path == "/tokenize", detokenize = path == "/detokenize";
  if (!(chat || completions || models || tokenize || detokenize))
    return reject(state, request, request_id, trace, "", not_found("no route for " + std::string(path)),
                  RejectReason::kInvalidRequest);
  if (auto wrong = only(models ? "GET" : "POST")) return *wrong;

  auto caller = authenticate(state, request);
  if (auto* error = std::get_if<ApiError>(&caller)) return reject(state, request, request_id, trace, "", *error);
  if (state.phase.load() == Phase::kLoading || !model)
    return reject(state, request, request_id, trace, "", unavailable("the model is loading", 5.0));

  if (models) return handle_models(*model, request_id);
  if (tokenize) return handle_tokenize(state, *model, request, request_id);
  if (detokenize) return handle_detokenize(*model, request, request_id);
  return handle_completion(state, model, request, chat ? Endpoint::kChat : Endpoint::kCompletions,
                           std::get<Caller>(caller), request_id, trace);
}

}  // namespace keel::server
