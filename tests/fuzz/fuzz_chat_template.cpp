// libFuzzer entry point: ChatTemplate::parse on arbitrary bytes taken as a
// Jinja chat template. A template that parses is rendered with a small fixed
// conversation, so the evaluator, filters, tests and methods run too. The
// render limits must keep every input bounded in time, memory and stack: a
// timeout, an out-of-memory or a stack overflow here is a bug.
//
// The budgets are scaled down from the defaults, which allow about a second
// of release-build work, i.e. tens of seconds under the sanitizers: the
// fuzzer's per-input timeout would otherwise flag templates that are merely
// slow but bounded. Work that escapes the accounting still runs away at any
// scale. The macro depth keeps its default, so deep recursion is tried at the
// depth real renders allow.
#include <cstddef>
#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

#include "chat_template/chat_template.h"

namespace {

// The shape real servers pass: a system prompt, one exchange, a new user
// turn, and a message with a tool call so tool-aware templates take those
// branches as well.
const nlohmann::ordered_json& conversation() {
  static const nlohmann::ordered_json messages = nlohmann::ordered_json::parse(R"([
    {"role": "system", "content": "You are a helpful assistant."},
    {"role": "user", "content": "What is 2 + 2?"},
    {"role": "assistant", "content": "4", "tool_calls": [
      {"type": "function", "function": {"name": "add", "arguments": {"a": 2, "b": 2}}}]},
    {"role": "user", "content": "And caf\u00e9 \ud83d\ude00?"}
  ])");
  return messages;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto tmpl = keel::ChatTemplate::parse(std::string(reinterpret_cast<const char*>(data), size));
  if (!tmpl.ok()) return 0;
  keel::ChatRenderOptions options;
  options.add_generation_prompt = true;
  options.bos_token = "<s>";
  options.eos_token = "</s>";
  options.limits.max_output_bytes = size_t{1} << 20;
  options.limits.max_steps = 20'000;
  options.limits.max_work_bytes = size_t{8} << 20;
  // Text or an Error are both fine: the fuzzer looks for crashes, hangs,
  // runaway memory and sanitizer reports.
  (void)keel::render_chat(*tmpl, conversation(), options);
  return 0;
}
