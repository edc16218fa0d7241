// ServingModel: one loaded model and everything a request needs from it —
// its engine, tokenizer and chat template, the tool-call format and
// reasoning split its template implies, and the supervisor (circuit
// breaker) that watches its engine.
//
// It is shared: ServerState::serving() hands each request the model that
// serves when the request arrives, and the request holds it until it ends.
// A reload installs another; the old one is destroyed (engine shut down,
// weights unmapped) when the last request that holds it ends. So the
// switch is atomic for new requests, and running ones finish where they
// began.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "chat_template/chat_template.h"
#include "engine/engine.h"
#include "engine/model_files.h"
#include "server/engine_supervisor.h"
#include "server/server_config.h"
#include "tool_calls/tool_call_format.h"

namespace keel::server {

// --enable-test-hooks: what POST /debug/stall, /debug/fail-forward and
// /debug/poison-logits do.
// The app wires them to a fault-injecting backend under the engine, so
// that neither the server nor the engine carries test code.
struct TestHooks {
  std::function<void(bool stalled)> stall_engine;
  std::function<void(std::string cause, int64_t steps)> fail_next_step;
  std::function<void(int64_t row)> poison_logits;  // NaN in that logits row of the next step
};

// What the app loads (apps/commands/serve.cpp) and hands over.
struct LoadedModel {
  std::shared_ptr<void> weights;       // the Model the engine runs on; outlives the engine
  std::unique_ptr<ModelFiles> files;
  std::unique_ptr<Engine> engine;      // created, not started
  int32_t max_context = 0;
  std::string name;                    // what /v1/models lists and requests name
  std::string file_name;               // the model file's (or directory's) name
  std::string content_hash;            // content_hash_hex of its bytes
  std::string path;                    // where it was loaded from ...
  std::string identity;                // ... and that file's size and modification time, for "unchanged?"
  TestHooks test_hooks;
};

class ServingModel {
 public:
  // Parses the chat template, picks the tool-call format and reasoning
  // split (from `config`), starts the engine and its supervisor.
  static std::shared_ptr<ServingModel> start(LoadedModel loaded, const ServerConfig& config);
  ~ServingModel();  // shuts the engine down (what still runs ends) before the weights go
  ServingModel(const ServingModel&) = delete;
  ServingModel& operator=(const ServingModel&) = delete;

  Engine& engine() const { return *loaded_.engine; }
  const ModelFiles& files() const { return *loaded_.files; }
  const Tokenizer& tokenizer() const { return loaded_.files->tokenizer; }
  const std::string& name() const { return loaded_.name; }
  const std::string& file_name() const { return loaded_.file_name; }
  const std::string& content_hash() const { return loaded_.content_hash; }
  const std::string& path() const { return loaded_.path; }
  const std::string& identity() const { return loaded_.identity; }
  int32_t max_context() const { return loaded_.max_context; }
  const TestHooks& test_hooks() const { return loaded_.test_hooks; }

  const std::optional<ChatTemplate>& chat_template() const { return chat_template_; }
  const tool_calls::ToolCallFormat* tool_format() const { return tool_format_.get(); }  // null: calls stay content
  bool split_reasoning() const { return split_reasoning_; }  // chat output -> reasoning_content + content
  EngineSupervisor& supervisor() { return *supervisor_; }

 private:
  explicit ServingModel(LoadedModel loaded) : loaded_(std::move(loaded)) {}

  LoadedModel loaded_;  // declared first: destroyed after everything that uses the engine
  std::optional<ChatTemplate> chat_template_;
  std::unique_ptr<tool_calls::ToolCallFormat> tool_format_;
  bool split_reasoning_ = false;
  std::unique_ptr<EngineSupervisor> supervisor_;
};

}  // namespace keel::server
