#include "server/serving_model.h"

#include <spdlog/spdlog.h>

#include "server/reasoning_stream.h"

namespace keel::server {

std::shared_ptr<ServingModel> ServingModel::start(LoadedModel loaded, const ServerConfig& config) {
  std::shared_ptr<ServingModel> model(new ServingModel(std::move(loaded)));
  const std::optional<std::string>& source = model->files().chat_template;
  if (source) {
    auto parsed = ChatTemplate::parse(*source);
    if (parsed.ok())
      model->chat_template_ = std::move(parsed).value();
    else
      spdlog::warn("the model's chat template cannot be parsed ({}); /v1/chat/completions will refuse requests",
                   parsed.error().message);
  }
  std::string format = config.tool_call_parser;
  if (format == "auto") format = source ? std::string(tool_calls::format_for_template(*source)) : "";
  model->tool_format_ = tool_calls::make_tool_call_format(format);  // "none" or "": null
  if (model->tool_format_) spdlog::info("tool calls are parsed as {}", model->tool_format_->name());
  model->split_reasoning_ =
      config.reasoning_parser == "think" || (config.reasoning_parser == "auto" && source && template_thinks(*source));
  model->engine().start();
  model->supervisor_ =
      std::make_unique<EngineSupervisor>(model->engine(), model->tokenizer(), config.breaker, config.stall_timeout_s);
  return model;
}

ServingModel::~ServingModel() {
  supervisor_.reset();  // it may hold a probe request of the engine
  if (loaded_.engine) loaded_.engine->shutdown(std::chrono::steady_clock::now());
}

}  // namespace keel::server
