// keel chat-template: renders an OpenAI-style messages array with a model's
// chat template (or a template file), exactly as Hugging Face transformers
// would, and prints the bytes unchanged.
#include "commands/commands.h"

#include <cstdio>
#include <memory>

#include <nlohmann/json.hpp>

#include "chat_template/chat_template.h"
#include "engine/model_files.h"

namespace keel::cli {
namespace {

Result<nlohmann::ordered_json> read_json(const std::string& path, const char* what) {
  KEEL_ASSIGN_OR_RETURN(std::string text, read_file(path));
  auto value = nlohmann::ordered_json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (value.is_discarded()) return Error{std::string(what) + " " + path + " is not valid JSON"};
  return value;
}

}  // namespace

Command add_chat_template_command(CLI::App& root) {
  struct Options {
    std::string model, template_file, messages, vars;
    bool add_generation_prompt = false;
  };
  auto options = std::make_shared<Options>();
  CLI::App* app = root.add_subcommand("chat-template", "Render a conversation with a chat template");
  auto* model = app->add_option("--model,-m", options->model, "model whose chat template to use");
  auto* tmpl = app->add_option("--template", options->template_file, "Jinja template file");
  model->excludes(tmpl);
  app->add_option("--messages", options->messages, "JSON file with an OpenAI-style messages array")->required();
  app->add_flag("--add-generation-prompt", options->add_generation_prompt, "end with the assistant's turn header");
  app->add_option("--vars", options->vars,
                  "JSON file with extra template variables (tools, enable_thinking, ...); a bos_token or eos_token "
                  "here wins over the model's");

  return {app, [options, tmpl]() -> int {
            ChatRenderOptions render;
            render.add_generation_prompt = options->add_generation_prompt;
            std::string source;
            if (*tmpl) {
              auto text = read_file(options->template_file);
              if (!text.ok()) return fail(text.error());
              source = std::move(text).value();
            } else {
              auto files = load_model_files(options->model.empty() ? default_model_path() : std::filesystem::path(options->model));
              if (!files.ok()) return fail(files.error());
              if (!files->chat_template) return fail("the model " + files->path.string() + " has no chat template");
              source = *files->chat_template;
              render.bos_token = files->bos_token;
              render.eos_token = files->eos_token;
            }
            auto messages = read_json(options->messages, "messages file");
            if (!messages.ok()) return fail(messages.error());
            if (!messages->is_array()) return fail("messages file " + options->messages + " must hold a JSON array");
            if (!options->vars.empty()) {
              auto vars = read_json(options->vars, "variables file");
              if (!vars.ok()) return fail(vars.error());
              if (!vars->is_object()) return fail("variables file " + options->vars + " must hold a JSON object");
              render.extra_variables = std::move(vars).value();
            }
            auto parsed = ChatTemplate::parse(source);
            if (!parsed.ok()) return fail(parsed.error());
            auto text = render_chat(parsed.value(), messages.value(), render);
            if (!text.ok()) return fail(text.error());
            std::fwrite(text->data(), 1, text->size(), stdout);
            return 0;
          }};
}

}  // namespace keel::cli
