#include "chat_template/chat_template.h"

#include "chat_template/jinja_evaluator.h"
#include "chat_template/jinja_parser.h"

namespace keel {

struct ChatTemplate::Program {
  jinja::StatementList statements;
};

ChatTemplate::ChatTemplate(std::string source, std::shared_ptr<const Program> program)
    : source_(std::move(source)), program_(std::move(program)) {}

Result<ChatTemplate> ChatTemplate::parse(std::string source) {
  auto statements = jinja::parse_template(source);
  if (!statements.ok()) return Error{"chat template: " + statements.error().message};
  auto program = std::make_shared<Program>();
  program->statements = std::move(statements).value();
  return ChatTemplate(std::move(source), std::move(program));
}

Result<std::string> ChatTemplate::render(const nlohmann::ordered_json& variables,
                                         const jinja::RenderLimits& limits) const {
  if (!variables.is_object()) return Error{"chat template: variables must be a JSON object"};
  jinja::Value converted = jinja::Value::from_json(variables);
  return jinja::render_program(program_->statements, converted.as_dict(), limits);
}

Result<std::string> render_chat(const ChatTemplate& tmpl, const nlohmann::ordered_json& messages,
                                const ChatRenderOptions& options) {
  if (!messages.is_array()) return Error{"chat template: messages must be a JSON array"};
  if (!options.extra_variables.is_object()) return Error{"chat template: extra_variables must be a JSON object"};
  // Same variables, in the same precedence, as transformers passes to render().
  // apply_chat_template merges {**special_tokens_map, **kwargs}: the
  // tokenizer's bos_token and eos_token go in first and a variable of the
  // caller's with the same name replaces them. messages, tools, documents and
  // add_generation_prompt are its named parameters, so they are set last.
  nlohmann::ordered_json variables = nlohmann::ordered_json::object();
  variables["bos_token"] = options.bos_token;
  variables["eos_token"] = options.eos_token;
  for (const auto& [name, value] : options.extra_variables.items()) variables[name] = value;
  variables["messages"] = messages;
  if (!variables.contains("tools")) variables["tools"] = nullptr;
  variables["documents"] = options.extra_variables.value("documents", nlohmann::ordered_json());
  variables["add_generation_prompt"] = options.add_generation_prompt;
  return tmpl.render(variables, options.limits);
}

}  // namespace keel
