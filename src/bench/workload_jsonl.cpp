#include <fstream>

#include <nlohmann/json.hpp>

#include "bench/workload_kinds.h"

namespace keel::bench {
namespace {

// One request per line: {"prompt": "..."} or {"messages": [{"role", "content"}...]},
// optionally with "output_tokens" (or "max_tokens"); --output-len otherwise.
Result<RequestSpec> parse_line(const std::string& line, int32_t default_output, size_t line_number) {
  const std::string where = "dataset line " + std::to_string(line_number) + ": ";
  nlohmann::json item = nlohmann::json::parse(line, nullptr, false);
  if (item.is_discarded() || !item.is_object()) return Error{where + "not a JSON object"};
  RequestSpec spec;
  spec.output_tokens = default_output;
  for (const char* key : {"output_tokens", "max_tokens"})
    if (item.contains(key)) {
      if (!item[key].is_number_integer() || item[key].get<int64_t>() < 1 || item[key].get<int64_t>() > 1 << 20)
        return Error{where + "'" + key + "' must be a positive integer"};
      spec.output_tokens = item[key].get<int32_t>();
    }
  if (item.contains("prompt") && item["prompt"].is_string()) {
    spec.messages.push_back({"user", item["prompt"].get<std::string>()});
  } else if (item.contains("messages") && item["messages"].is_array() && !item["messages"].empty()) {
    for (const auto& message : item["messages"]) {
      if (!message.is_object() || !message.contains("role") || !message["role"].is_string() ||
          !message.contains("content") || !message["content"].is_string())
        return Error{where + "each message needs string 'role' and 'content'"};
      spec.messages.push_back({message["role"].get<std::string>(), message["content"].get<std::string>()});
    }
  } else {
    return Error{where + "needs a string 'prompt' or a non-empty 'messages' array"};
  }
  return spec;
}

class JsonlWorkload final : public Workload {
 public:
  explicit JsonlWorkload(std::vector<RequestSpec> requests) : requests_(std::move(requests)) {}
  RequestSpec request(uint64_t index) const override { return requests_[index % requests_.size()]; }
  std::optional<uint64_t> size() const override { return requests_.size(); }

 private:
  std::vector<RequestSpec> requests_;
};

}  // namespace

Result<std::unique_ptr<Workload>> make_jsonl_workload(const WorkloadOptions& options) {
  if (options.dataset.empty()) return Error{"the jsonl workload needs --dataset FILE"};
  std::ifstream in(options.dataset);
  if (!in) return Error{"cannot open dataset " + options.dataset};
  std::vector<RequestSpec> requests;
  std::string line;
  for (size_t number = 1; std::getline(in, line); ++number) {
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    auto spec = parse_line(line, options.output_len, number);
    if (!spec.ok()) return spec.error();
    requests.push_back(std::move(spec.value()));
  }
  if (requests.empty()) return Error{"dataset " + options.dataset + " holds no requests"};
  return std::unique_ptr<Workload>(std::make_unique<JsonlWorkload>(std::move(requests)));
}

}  // namespace keel::bench
