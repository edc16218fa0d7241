#include "server/request_parser.h"

#include <limits>
#include <string>

#include "core/json_text_scanner.h"
#include "server/json_fields.h"
#include "server/response_format.h"
#include "server/tool_request.h"

namespace keel::server {
namespace {

constexpr int64_t kInt32Max = std::numeric_limits<int32_t>::max();
constexpr size_t kMaxStopBytes = 1024;
constexpr size_t kMaxNameBytes = 512;
constexpr int kMaxJsonDepth = 64;  // messages need 4; tool schemas rarely exceed 20

// Sets `error` and returns true when `result` holds one, so that field reads
// chain as `if (failed(fields.read_x(...), error)) return error;`.
bool failed(std::optional<ApiError> result, ApiError& error) {
  if (!result) return false;
  error = std::move(*result);
  return true;
}

// stop: a string or an array of non-empty strings.
std::optional<ApiError> read_stop(const JsonFields& fields, const RequestLimits& limits,
                                  std::vector<std::string>& out) {
  const nlohmann::json* stop = fields.find("stop");
  if (!stop) return std::nullopt;
  auto add = [&](const nlohmann::json& value, const std::string& param) -> std::optional<ApiError> {
    if (!value.is_string()) return bad_request("'" + param + "' must be a string, got " + json_type_name(value), param);
    const auto& text = value.get_ref<const std::string&>();
    if (text.empty()) return bad_request("'" + param + "' must not be empty", param);
    if (text.size() > kMaxStopBytes)
      return bad_request("'" + param + "' is longer than " + std::to_string(kMaxStopBytes) + " bytes", param);
    out.push_back(text);
    return std::nullopt;
  };
  if (stop->is_string()) return add(*stop, "stop");
  if (!stop->is_array()) return bad_request("'stop' must be a string or an array of strings", "stop");
  if (stop->size() > static_cast<size_t>(limits.max_stop_strings))
    return bad_request("'stop' may hold at most " + std::to_string(limits.max_stop_strings) + " strings", "stop");
  for (size_t i = 0; i < stop->size(); ++i)
    if (auto error = add((*stop)[i], "stop[" + std::to_string(i) + "]")) return error;
  return std::nullopt;
}

// An array of token ids; the vocabulary bound is checked once the model is known.
std::optional<ApiError> read_ids(const nlohmann::json& array, const std::string& param, std::vector<int32_t>& out) {
  for (size_t i = 0; i < array.size(); ++i) {
    const auto& id = array[i];
    if (!id.is_number_integer() || id.get<int64_t>() < 0 || id.get<int64_t>() > kInt32Max)
      return bad_request("'" + param + "[" + std::to_string(i) + "]' must be a non-negative token id", param);
    out.push_back(static_cast<int32_t>(id.get<int64_t>()));
  }
  return std::nullopt;
}

// prompt: a string, an array of strings, an array of ids, or an array of id arrays.
std::optional<ApiError> read_prompts(const JsonFields& fields, const RequestLimits& limits,
                                     std::vector<PromptInput>& out) {
  const nlohmann::json* prompt = fields.find("prompt");
  if (!prompt) return bad_request("'prompt' is required", "prompt");
  if (prompt->is_string()) {
    out.push_back(PromptInput{prompt->get<std::string>(), {}});
    return std::nullopt;
  }
  if (!prompt->is_array())
    return bad_request("'prompt' must be a string, an array of strings or an array of token ids, got " +
                           json_type_name(*prompt),
                       "prompt");
  if (prompt->empty()) return bad_request("'prompt' must not be empty", "prompt");
  const auto& first = prompt->front();
  if (first.is_number()) {
    PromptInput input;
    if (auto error = read_ids(*prompt, "prompt", input.ids)) return error;
    out.push_back(std::move(input));
    return std::nullopt;
  }
  if (prompt->size() > static_cast<size_t>(limits.max_prompts))
    return bad_request("'prompt' may hold at most " + std::to_string(limits.max_prompts) + " prompts", "prompt");
  for (size_t i = 0; i < prompt->size(); ++i) {
    const auto& item = (*prompt)[i];
    const std::string param = "prompt[" + std::to_string(i) + "]";
    PromptInput input;
    if (item.is_string()) {
      input.text = item.get<std::string>();
    } else if (item.is_array() && !item.empty()) {
      if (auto error = read_ids(item, param, input.ids)) return error;
    } else {
      return bad_request("'" + param + "' must be a string or a non-empty array of token ids", param);
    }
    out.push_back(std::move(input));
  }
  return std::nullopt;
}

// Fields shared by both endpoints: sampling, lengths, stops, streaming.
std::optional<ApiError> read_common(const JsonFields& fields, const RequestLimits& limits, CompletionRequest& out) {
  ApiError error;
  std::optional<std::string> text;
  if (failed(fields.read_string("model", kMaxNameBytes, text), error)) return error;
  if (text) out.model = *text;
  text.reset();
  if (failed(fields.read_string("user", kMaxNameBytes, text), error)) return error;
  if (text) out.user = *text;

  std::optional<int64_t> integer;
  const char* max_tokens_name = fields.find("max_completion_tokens") ? "max_completion_tokens" : "max_tokens";
  if (failed(fields.read_int(max_tokens_name, 1, kInt32Max, integer), error)) return error;
  if (integer) out.max_tokens = static_cast<int32_t>(*integer);
  integer.reset();
  if (failed(fields.read_int("min_tokens", 0, kInt32Max, integer), error)) return error;
  if (integer) out.min_tokens = static_cast<int32_t>(*integer);
  if (out.max_tokens && out.min_tokens > *out.max_tokens)
    return bad_request("'min_tokens' must not exceed 'max_tokens'", "min_tokens");
  integer.reset();
  if (failed(fields.read_int("n", 1, limits.max_n, integer), error)) return error;
  if (integer) out.n = static_cast<int32_t>(*integer);
  integer.reset();
  if (failed(fields.read_int("seed", std::numeric_limits<int64_t>::min(), std::numeric_limits<int64_t>::max(),
                             integer), error))
    return error;
  if (integer) {
    out.sampling.seed = static_cast<uint64_t>(*integer);
    out.seed_given = true;
  }
  integer.reset();
  if (failed(fields.read_int("top_k", -1, kInt32Max, integer), error)) return error;
  if (integer) out.sampling.top_k = *integer < 0 ? 0 : static_cast<int32_t>(*integer);

  std::optional<double> number;
  auto read_float = [&](const char* name, double min, double max, float& target) -> bool {
    number.reset();
    if (failed(fields.read_float(name, min, max, number), error)) return false;
    if (number) target = static_cast<float>(*number);
    return true;
  };
  if (!read_float("temperature", 0.0, 2.0, out.sampling.temperature)) return error;
  if (!read_float("top_p", 0.0, 1.0, out.sampling.top_p)) return error;
  if (out.sampling.top_p <= 0.0f) return bad_request("'top_p' must be greater than 0", "top_p");
  if (!read_float("min_p", 0.0, 1.0, out.sampling.min_p)) return error;
  if (!read_float("presence_penalty", -2.0, 2.0, out.sampling.presence_penalty)) return error;
  if (!read_float("frequency_penalty", -2.0, 2.0, out.sampling.frequency_penalty)) return error;
  if (!read_float("repetition_penalty", 0.0, 10.0, out.sampling.repetition_penalty)) return error;
  if (out.sampling.repetition_penalty <= 0.0f)
    return bad_request("'repetition_penalty' must be greater than 0", "repetition_penalty");

  if (auto stop_error = read_stop(fields, limits, out.stop)) return stop_error;
  if (const nlohmann::json* ids = fields.find("stop_token_ids")) {
    if (!ids->is_array()) return bad_request("'stop_token_ids' must be an array of token ids", "stop_token_ids");
    if (auto ids_error = read_ids(*ids, "stop_token_ids", out.stop_token_ids)) return ids_error;
  }
  if (failed(fields.read_bool("ignore_eos", out.ignore_eos), error)) return error;
  if (failed(fields.read_bool("stream", out.stream), error)) return error;
  if (const nlohmann::json* options = fields.find("stream_options")) {
    if (!options->is_object()) return bad_request("'stream_options' must be an object", "stream_options");
    if (!out.stream) return bad_request("'stream_options' is only allowed when 'stream' is true", "stream_options");
    if (failed(JsonFields(*options).read_bool("include_usage", out.include_usage), error)) {
      error.param = "stream_options.include_usage";
      return error;
    }
  }
  return std::nullopt;
}

std::optional<ApiError> read_chat(const JsonFields& fields, const nlohmann::json& body, const RequestLimits& limits,
                                  CompletionRequest& out) {
  auto messages = body.find("messages");
  if (messages == body.end()) return bad_request("'messages' is required", "messages");
  auto validated = validate_chat_messages(*messages);
  if (auto* error = std::get_if<ApiError>(&validated)) return *error;
  out.messages = std::move(std::get<nlohmann::ordered_json>(validated));

  ApiError error;
  if (failed(fields.read_bool("logprobs", out.logprobs), error)) return error;
  std::optional<int64_t> top;
  if (failed(fields.read_int("top_logprobs", 0, limits.max_top_logprobs, top), error)) return error;
  if (top) {
    if (!out.logprobs) return bad_request("'top_logprobs' requires 'logprobs' to be true", "top_logprobs");
    out.sampling.top_logprobs = static_cast<int32_t>(*top);
  }
  if (failed(fields.read_bool("add_generation_prompt", out.add_generation_prompt), error)) return error;
  if (const nlohmann::json* kwargs = fields.find("chat_template_kwargs")) {
    if (!kwargs->is_object()) return bad_request("'chat_template_kwargs' must be an object", "chat_template_kwargs");
    for (const auto& [key, value] : kwargs->items())
      out.template_extras[key] = nlohmann::ordered_json::parse(value.dump());
  }
  return std::nullopt;
}

std::optional<ApiError> read_completion(const JsonFields& fields, const RequestLimits& limits, CompletionRequest& out) {
  if (auto error = read_prompts(fields, limits, out.prompts)) return error;
  if (static_cast<int64_t>(out.prompts.size()) * out.n > static_cast<int64_t>(limits.max_n) * limits.max_prompts)
    return bad_request("'prompt' × 'n' asks for too many completions", "n");
  ApiError error;
  std::optional<int64_t> logprobs;
  if (failed(fields.read_int("logprobs", 0, limits.max_top_logprobs, logprobs), error)) return error;
  if (logprobs) {
    out.logprobs = true;
    out.sampling.top_logprobs = static_cast<int32_t>(*logprobs);
  }
  if (failed(fields.read_bool("echo", out.echo), error)) return error;
  if (out.echo) return bad_request("'echo' is not supported", "echo");
  return std::nullopt;
}

// True when arrays and objects nest deeper than `limit`. nlohmann parses
// iteratively, but dump() and the chat template walk values recursively: a
// body of four million '[' would overflow the stack there. Brackets inside
// strings do not count.
bool nests_deeper_than(std::string_view body, int limit) {
  JsonTextScanner scanner;
  for (const char c : body)
    if (scanner.push(c) && scanner.depth() > limit) return true;
  return false;
}

}  // namespace

std::variant<nlohmann::json, ApiError> parse_json_object(std::string_view body) {
  if (nests_deeper_than(body, kMaxJsonDepth))
    return bad_request("the request body nests arrays and objects deeper than " + std::to_string(kMaxJsonDepth) +
                       " levels");
  // No exceptions: a parse failure becomes a discarded value, which also
  // covers invalid UTF-8 inside strings.
  nlohmann::json parsed = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (parsed.is_discarded()) return bad_request("the request body is not valid JSON (or not valid UTF-8)");
  if (!parsed.is_object()) return bad_request("the request body must be a JSON object, got " + json_type_name(parsed));
  return parsed;
}

ParsedRequest parse_completion_request(Endpoint endpoint, std::string_view body, const RequestLimits& limits) {
  auto parsed = parse_json_object(body);
  if (auto* error = std::get_if<ApiError>(&parsed)) return *error;
  const nlohmann::json& json = std::get<nlohmann::json>(parsed);

  CompletionRequest request;
  request.endpoint = endpoint;
  request.template_extras = nlohmann::ordered_json::object();
  JsonFields fields(json);
  if (auto error = read_common(fields, limits, request)) return *error;
  auto error = endpoint == Endpoint::kChat ? read_chat(fields, json, limits, request)
                                           : read_completion(fields, limits, request);
  if (error) return *error;
  if (auto format_error = read_response_format(json, body, request.grammar_text)) return *format_error;
  if (endpoint == Endpoint::kChat)
    if (auto tools_error = read_tools(json, body, request)) return *tools_error;
  return request;
}

}  // namespace keel::server
