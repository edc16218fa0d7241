#include "server/prompt_builder.h"

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

std::optional<ApiError> check_lengths(const ServingModel& model, const CompletionRequest& request,
                                      const std::vector<int32_t>& ids, const std::string& param) {
  if (ids.empty()) return bad_request("'" + param + "' is empty after tokenization", param);
  const int64_t prompt = static_cast<int64_t>(ids.size());
  if (prompt >= model.max_context())
    return bad_request("the prompt is " + std::to_string(prompt) + " tokens; this model's context is " +
                           std::to_string(model.max_context()) + " tokens",
                       param);
  if (request.max_tokens && prompt + *request.max_tokens > model.max_context())
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

// The chat prompt, with the oldest turns dropped one at a time while it
// does not fit and --context-overflow truncate allows it.
std::variant<PreparedPrompt, ApiError> chat_prompt(const ServerState& state, const ServingModel& model, const CompletionRequest& request) {
  nlohmann::ordered_json messages = request.messages;
  int32_t dropped = 0;
  while (true) {
    auto ids = chat_ids(model, request, messages);
    if (auto* error = std::get_if<ApiError>(&ids)) return *error;
    PreparedPrompt prompt{std::move(std::get<std::vector<int32_t>>(ids)), dropped};
    auto error = check_lengths(model, request, prompt.ids, "messages");
    if (!error) return prompt;
    const auto turn = state.config.context_overflow == "truncate" ? oldest_turn(messages) : std::nullopt;
    if (!turn) return *error;
    messages.erase(messages.begin() + static_cast<std::ptrdiff_t>(turn->first),
                   messages.begin() + static_cast<std::ptrdiff_t>(turn->second));
    dropped += static_cast<int32_t>(turn->second - turn->first);
  }
}

}  // namespace

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
    if (auto error = check_lengths(model, request, prompt.ids, param)) return *error;
    prompts.push_back(std::move(prompt));
  }
  return prompts;
}

}  // namespace keel::server
