#include "bench/synthetic_text.h"
#include "bench/workload_kinds.h"

namespace keel::bench {
namespace {

class RandomWorkload final : public Workload {
 public:
  explicit RandomWorkload(const WorkloadOptions& options) : options_(options) {}

  RequestSpec request(uint64_t index) const override {
    RequestSpec spec;
    SeededRandom random(options_.seed, {index, 1});
    const int32_t words = drawn_length(options_.input_len, options_.range_ratio, options_.seed, index, 2);
    spec.messages.push_back({"user", synthetic_text(random, words)});
    spec.output_tokens = drawn_length(options_.output_len, options_.range_ratio, options_.seed, index, 3);
    return spec;
  }

 private:
  WorkloadOptions options_;
};

}  // namespace

std::unique_ptr<Workload> make_random_workload(const WorkloadOptions& options) {
  return std::make_unique<RandomWorkload>(options);
}

}  // namespace keel::bench
