#include "server/openai_response.h"

namespace keel::server {
namespace {

nlohmann::json bytes_json(const std::string& bytes) {
  nlohmann::json out = nlohmann::json::array();
  for (unsigned char c : bytes) out.push_back(static_cast<int>(c));
  return out;
}

// Chat: {"content": [{"token", "logprob", "bytes", "top_logprobs": [...]}]}.
nlohmann::json chat_logprobs(const ChoiceOutput& choice, const Tokenizer& tokenizer) {
  nlohmann::json content = nlohmann::json::array();
  const size_t stride = static_cast<size_t>(choice.logprobs_stride);
  for (size_t t = 0; t < choice.tokens.size() && (t + 1) * stride <= choice.logprobs.size(); ++t) {
    const TokenLogprob* row = &choice.logprobs[t * stride];
    auto entry_for = [&](const TokenLogprob& lp) {
      std::string text = tokenizer.token_bytes(lp.token);
      return nlohmann::json{{"token", text}, {"logprob", lp.logprob}, {"bytes", bytes_json(text)}};
    };
    nlohmann::json entry = entry_for(row[0]);
    nlohmann::json top = nlohmann::json::array();
    for (size_t k = 1; k < stride; ++k) top.push_back(entry_for(row[k]));
    entry["top_logprobs"] = std::move(top);
    content.push_back(std::move(entry));
  }
  return nlohmann::json{{"content", std::move(content)}};
}

// Completions: parallel arrays tokens / token_logprobs / top_logprobs / text_offset.
nlohmann::json completion_logprobs(const ChoiceOutput& choice, const Tokenizer& tokenizer, size_t text_offset) {
  nlohmann::json tokens = nlohmann::json::array(), token_logprobs = nlohmann::json::array(),
                 top_logprobs = nlohmann::json::array(), offsets = nlohmann::json::array();
  const size_t stride = static_cast<size_t>(choice.logprobs_stride);
  size_t offset = text_offset;
  for (size_t t = 0; t < choice.tokens.size() && (t + 1) * stride <= choice.logprobs.size(); ++t) {
    const TokenLogprob* row = &choice.logprobs[t * stride];
    std::string text = tokenizer.token_bytes(row[0].token);
    tokens.push_back(text);
    token_logprobs.push_back(row[0].logprob);
    nlohmann::json top = nlohmann::json::object();
    for (size_t k = 1; k < stride; ++k) top[tokenizer.token_bytes(row[k].token)] = row[k].logprob;
    top_logprobs.push_back(stride > 1 ? top : nlohmann::json(nullptr));
    offsets.push_back(offset);
    offset += text.size();
  }
  return nlohmann::json{{"tokens", tokens}, {"token_logprobs", token_logprobs}, {"top_logprobs", top_logprobs},
                        {"text_offset", offsets}};
}

nlohmann::json finish_json(const ChoiceOutput& choice) {
  return choice.finish_reason ? nlohmann::json(finish_reason_name(*choice.finish_reason)) : nlohmann::json(nullptr);
}

}  // namespace

std::string dump_json(const nlohmann::json& value) {
  return value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string_view finish_reason_name(FinishReason reason) {
  switch (reason) {
    case FinishReason::kStop: return "stop";
    case FinishReason::kLength: return "length";
    case FinishReason::kToolCalls: return "tool_calls";
    case FinishReason::kAbort: return "abort";
  }
  return "abort";
}

FinishReason finish_reason_of(FinishCause cause) {
  switch (cause) {
    case FinishCause::kEndOfGeneration:
    case FinishCause::kStopTokenId:
    case FinishCause::kStopString:
    case FinishCause::kGrammarComplete: return FinishReason::kStop;
    case FinishCause::kMaxTokens:
    case FinishCause::kContextFull: return FinishReason::kLength;
    case FinishCause::kCancelled:
    case FinishCause::kDeadline:
    case FinishCause::kShutdown:
    case FinishCause::kEngineError: return FinishReason::kAbort;
  }
  return FinishReason::kAbort;
}

nlohmann::json usage_json(const Usage& usage, int32_t truncated_messages, int32_t context_shifts) {
  nlohmann::json details = {{"cached_tokens", usage.cached_tokens}};
  if (truncated_messages > 0) details["truncated_messages"] = truncated_messages;
  nlohmann::json usage_object = {{"prompt_tokens", usage.prompt_tokens},
                                 {"completion_tokens", usage.completion_tokens},
                                 {"total_tokens", usage.prompt_tokens + usage.completion_tokens},
                                 {"prompt_tokens_details", std::move(details)}};
  if (context_shifts > 0) usage_object["completion_tokens_details"] = {{"context_shifts", context_shifts}};
  return usage_object;
}

nlohmann::json logprobs_json(Endpoint endpoint, const ChoiceOutput& choice, const Tokenizer& tokenizer,
                             size_t text_offset) {
  if (choice.logprobs_stride <= 0) return nullptr;
  return endpoint == Endpoint::kChat ? chat_logprobs(choice, tokenizer)
                                     : completion_logprobs(choice, tokenizer, text_offset);
}

nlohmann::json response_body(const ResponseIdentity& identity, const std::vector<ChoiceOutput>& choices,
                             const Usage& usage, bool want_logprobs, const Tokenizer& tokenizer) {
  const bool chat = identity.endpoint == Endpoint::kChat;
  nlohmann::json out_choices = nlohmann::json::array();
  for (const auto& choice : choices) {
    nlohmann::json entry = {{"index", choice.index}};
    if (chat) {
      entry["message"] = {{"role", "assistant"}, {"content", choice.text}};
      if (choice.split_reasoning)
        entry["message"]["reasoning_content"] = choice.reasoning.empty() ? nlohmann::json(nullptr) : nlohmann::json(choice.reasoning);
      if (!choice.tool_calls.empty()) {
        // As OpenAI: content is null when the answer is only calls.
        if (choice.text.empty()) entry["message"]["content"] = nullptr;
        nlohmann::json calls = nlohmann::json::array();
        for (const ToolCallOutput& c : choice.tool_calls)
          calls.push_back({{"id", c.id}, {"type", "function"},
                           {"function", {{"name", c.call.name}, {"arguments", c.call.arguments}}}});
        entry["message"]["tool_calls"] = std::move(calls);
      }
    } else {
      entry["text"] = choice.text;
    }
    entry["logprobs"] = want_logprobs ? logprobs_json(identity.endpoint, choice, tokenizer, 0) : nlohmann::json(nullptr);
    entry["finish_reason"] = finish_json(choice);
    out_choices.push_back(std::move(entry));
  }
  return {{"id", identity.id},
          {"object", chat ? "chat.completion" : "text_completion"},
          {"created", identity.created},
          {"model", identity.model},
          {"choices", std::move(out_choices)},
          {"usage", usage_json(usage, identity.truncated_messages, identity.context_shifts)}};
}

nlohmann::json stream_chunk(const ResponseIdentity& identity, const ChoiceOutput& delta, bool want_logprobs,
                            const Tokenizer& tokenizer, size_t text_offset, bool include_usage_field) {
  const bool chat = identity.endpoint == Endpoint::kChat;
  nlohmann::json entry = {{"index", delta.index}};
  if (chat) {
    nlohmann::json message = nlohmann::json::object();
    if (delta.first_delta) message["role"] = "assistant";
    if (!delta.reasoning.empty()) message["reasoning_content"] = delta.reasoning;
    if (!delta.text.empty() || (!delta.finish_reason && delta.reasoning.empty())) message["content"] = delta.text;
    if (!delta.tool_calls.empty()) {
      // Each call whole in one delta: OpenAI's incremental format, with the
      // arguments in a single fragment.
      nlohmann::json calls = nlohmann::json::array();
      for (size_t i = 0; i < delta.tool_calls.size(); ++i) {
        const ToolCallOutput& c = delta.tool_calls[i];
        calls.push_back({{"index", delta.tool_call_index + i}, {"id", c.id}, {"type", "function"},
                         {"function", {{"name", c.call.name}, {"arguments", c.call.arguments}}}});
      }
      message["tool_calls"] = std::move(calls);
    }
    entry["delta"] = std::move(message);
  } else {
    entry["text"] = delta.text;
  }
  entry["logprobs"] = want_logprobs && !delta.tokens.empty()
                          ? logprobs_json(identity.endpoint, delta, tokenizer, text_offset)
                          : nlohmann::json(nullptr);
  entry["finish_reason"] = finish_json(delta);
  nlohmann::json chunk = {{"id", identity.id},
                          {"object", chat ? "chat.completion.chunk" : "text_completion"},
                          {"created", identity.created},
                          {"model", identity.model},
                          {"choices", nlohmann::json::array({std::move(entry)})}};
  if (include_usage_field) chunk["usage"] = nullptr;
  return chunk;
}

nlohmann::json usage_chunk(const ResponseIdentity& identity, const Usage& usage) {
  const bool chat = identity.endpoint == Endpoint::kChat;
  return {{"id", identity.id},
          {"object", chat ? "chat.completion.chunk" : "text_completion"},
          {"created", identity.created},
          {"model", identity.model},
          {"choices", nlohmann::json::array()},
          {"usage", usage_json(usage, identity.truncated_messages, identity.context_shifts)}};
}

}  // namespace keel::server
