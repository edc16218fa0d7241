#include "bench/synthetic_text.h"
#include "bench/workload_kinds.h"

namespace keel::bench {
namespace {

class SharedPrefixWorkload final : public Workload {
 public:
  explicit SharedPrefixWorkload(const WorkloadOptions& options) : options_(options) {
    SeededRandom random(options.seed, {0x5157});
    system_prompt_ = synthetic_text(random, options.prefix_len);
  }

  RequestSpec request(uint64_t index) const override {
    RequestSpec spec;
    SeededRandom random(options_.seed, {index, 1});
    const int32_t words = drawn_length(options_.input_len, options_.range_ratio, options_.seed, index, 2);
    spec.messages.push_back({"system", system_prompt_});
    spec.messages.push_back({"user", synthetic_text(random, words)});
    spec.output_tokens = drawn_length(options_.output_len, options_.range_ratio, options_.seed, index, 3);
    return spec;
  }

 private:
  WorkloadOptions options_;
  std::string system_prompt_;
};

}  // namespace

std::unique_ptr<Workload> make_shared_prefix_workload(const WorkloadOptions& options) {
  return std::make_unique<SharedPrefixWorkload>(options);
}

}  // namespace keel::bench
