#include "server/prompt_builder.h"

#include <algorithm>
#include <optional>
#include <string>
#include <utility>

namespace keel::server {
namespace {

std::variant<std::vector<int32_t>, ApiError> chat_ids(const ServingModel& model, const CompletionRequest& request,
                                                      const nlohmann::ordered_json& messages) {
  if (!model.chat_template())
    return bad_request("this model has no chat template; use /v1/completions", "messages");
  ChatRenderOptions options;
  options.add_generation_prompt = request.add_generation_prompt;
  options.bos_token = model.files().bos_token;
  options.eos_token = model.files().eos_token;
  options.extra_variables = request.template_extras;
  auto text = render_chat(*model.chat_template(), messages, options);
  if (!text.ok()) return bad_request("the chat template refused the messages: " + text.error().message, "messages");
  // The template writes BOS itself; special-token text in it is markup.
  return model.files().tokenizer.encode(*text, /*add_bos=*/false, /*parse_special=*/true);
}

// `slides`: --context-overflow shift applies, so generation may run past
// the context and only the prompt itself must fit.
std::optional<ApiError> check_lengths(const ServingModel& model, const CompletionRequest& request,
                                      const std::vector<int32_t>& ids, const std::string& param, bool slides) {
  if (ids.empty()) return bad_request("'" + param + "' is empty after tokenization", param);
  const int64_t prompt = static_cast<int64_t>(ids.size());
  if (prompt >= model.max_context())
    return bad_request("the prompt is " + std::to_string(prompt) + " tokens; this model's context is " +
                           std::to_string(model.max_context()) + " tokens",
                       param);
  if (!slides && request.max_tokens && prompt + *request.max_tokens > model.max_context())
    return bad_request("the prompt (" + std::to_string(prompt) + " tokens) plus max_tokens (" +
                           std::to_string(*request.max_tokens) + ") exceeds this model's context of " +
                           std::to_string(model.max_context()) + " tokens",
                       "max_tokens");
  return std::nullopt;
}

// --context-overflow truncate: the oldest whole turn after the leading
// system message(s) — a user message and everything up to the next user
// message (the reply, tool calls and results) — as [first, end) indexes,
// or nullopt when only the last user turn is left.
std::optional<std::pair<size_t, size_t>> oldest_turn(const nlohmann::ordered_json& messages) {
  size_t first = 0;
  while (first < messages.size() && messages[first].value("role", "") == "system") ++first;
  size_t end = first + 1;
  while (end < messages.size() && messages[end].value("role", "") != "user") ++end;
  if (end >= messages.size()) return std::nullopt;
  return std::pair{first, end};
}

// How many leading tokens of `ids` are the leading system message(s): the
// template rendered with those alone, when that is a prefix of the whole.
// 0 when there is none or the template does not render it as a prefix.
int32_t system_prefix_tokens(const ServingModel& model, const CompletionRequest& request,
                             const nlohmann::ordered_json& messages, const std::vector<int32_t>& ids) {
  nlohmann::ordered_json system = nlohmann::ordered_json::array();
  for (const auto& message : messages) {
    if (message.value("role", "") != "system") break;
    system.push_back(message);
  }
  if (system.empty()) return 0;
  CompletionRequest alone = request;
  alone.add_generation_prompt = false;
  auto rendered = chat_ids(model, alone, system);
  const auto* prefix = std::get_if<std::vector<int32_t>>(&rendered);
  if (prefix == nullptr || prefix->size() >= ids.size() || !std::equal(prefix->begin(), prefix->end(), ids.begin()))
    return 0;
  return static_cast<int32_t>(prefix->size());
}

// The chat prompt, with the oldest turns dropped one at a time while it
// does not fit and --context-overflow truncate allows it.
std::variant<PreparedPrompt, ApiError> chat_prompt(const ServerState& state, const ServingModel& model, const CompletionRequest& request) {
  const std::string& overflow = state.config.context_overflow;
  const bool slides = slides_context(state, request);
  nlohmann::ordered_json messages = request.messages;
  int32_t dropped = 0;
  while (true) {
    auto ids = chat_ids(model, request, messages);
    if (auto* error = std::get_if<ApiError>(&ids)) return *error;
    PreparedPrompt prompt{std::move(std::get<std::vector<int32_t>>(ids)), dropped};
    auto error = check_lengths(model, request, prompt.ids, "messages", slides);
    if (!error) {
      if (slides) prompt.pinned_tokens = system_prefix_tokens(model, request, messages, prompt.ids);
      return prompt;
    }
    const auto turn = overflow == "truncate" || overflow == "shift" ? oldest_turn(messages) : std::nullopt;
    if (!turn) return *error;
    messages.erase(messages.begin() + static_cast<std::ptrdiff_t>(turn->first),
                   messages.begin() + static_cast<std::ptrdiff_t>(turn->second));
    dropped += static_cast<int32_t>(turn->second - turn->first);
  }
}

}  // namespace

// A grammar's matcher cannot follow a shifted context, so a constrained
// request (response_format, a forced tool call) stops at the context.
bool slides_context(const ServerState& state, const CompletionRequest& request) {
  return request.endpoint == Endpoint::kChat && state.config.context_overflow == "shift" &&
         request.grammar_text.empty() && request.tool_choice != ToolChoice::kRequired &&
         request.tool_choice != ToolChoice::kNamed;
}

std::variant<std::vector<PreparedPrompt>, ApiError> build_prompts(const ServerState& state,
                                                                  const ServingModel& model,
                                                                  const CompletionRequest& request) {
  std::vector<PreparedPrompt> prompts;
  const Tokenizer& tokenizer = model.files().tokenizer;
  if (request.endpoint == Endpoint::kChat) {
    auto prompt = chat_prompt(state, model, request);
    if (auto* error = std::get_if<ApiError>(&prompt)) return *error;
    prompts.push_back(std::move(std::get<PreparedPrompt>(prompt)));
    return prompts;
  }
  for (size_t i = 0; i < request.prompts.size(); ++i) {
    const auto& input = request.prompts[i];
    const std::string param = request.prompts.size() == 1 ? "prompt" : "prompt[" + std::to_string(i) + "]";
    PreparedPrompt prompt;
    if (input.text) {
      prompt.ids = tokenizer.encode(*input.text, /*add_bos=*/true, /*parse_special=*/false);
    } else {
      for (int32_t id : input.ids)
        if (id >= tokenizer.vocab_size())
          return bad_request("'" + param + "' holds token id " + std::to_string(id) + ", outside the vocabulary of " +
                                 std::to_string(tokenizer.vocab_size()),
                             param);
      prompt.ids = input.ids;
    }
    if (auto error = check_lengths(model, request, prompt.ids, param, /*slides=*/false)) return *error;
    prompts.push_back(std::move(prompt));
  }
  return prompts;
}

}  // namespace keel::server
