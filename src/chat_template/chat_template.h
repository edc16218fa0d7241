// Chat templates: the Jinja programs shipped with HF models that turn an
// OpenAI-style message list into the prompt string. Rendering matches
// transformers' apply_chat_template byte for byte for the supported subset.
#pragma once

#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "chat_template/jinja_render_limits.h"
#include "core/result.h"

namespace keel {

namespace jinja { struct Statement; }

class ChatTemplate {
 public:
  // Parses a template; unsupported syntax is an Error naming the construct and line.
  static Result<ChatTemplate> parse(std::string source);

  // Renders with `variables` (a JSON object) as the template's variables,
  // plus the globals raise_exception, strftime_now, namespace and range.
  // raise_exception(msg) makes this return an Error whose message is msg,
  // and so does a template that exceeds `limits`.
  Result<std::string> render(const nlohmann::ordered_json& variables, const jinja::RenderLimits& limits = {}) const;

  const std::string& source() const { return source_; }

 private:
  struct Program;
  ChatTemplate(std::string source, std::shared_ptr<const Program> program);

  std::string source_;
  std::shared_ptr<const Program> program_;  // shared: templates are copied cheaply, never mutated
};

struct ChatRenderOptions {
  bool add_generation_prompt = true;
  std::string bos_token, eos_token;  // the tokenizer's special tokens
  // Extra template variables (tools, enable_thinking, date_string, ...). A
  // bos_token or eos_token here wins over the fields above, as the caller's
  // kwargs win over the tokenizer's special tokens in transformers.
  nlohmann::ordered_json extra_variables = nlohmann::ordered_json::object();
  jinja::RenderLimits limits;
};

// HF apply_chat_template semantics: `messages` (OpenAI shape), `tools` taken
// from extra_variables (None when absent), documents None, bos/eos strings
// (extra_variables first) and add_generation_prompt.
Result<std::string> render_chat(const ChatTemplate& tmpl, const nlohmann::ordered_json& messages,
                                const ChatRenderOptions& options);

}  // namespace keel
