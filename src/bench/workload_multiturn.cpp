#include "bench/synthetic_text.h"
#include "bench/workload_kinds.h"

namespace keel::bench {
namespace {

// Requests go out turn by turn across a group of conversations (turn 1 of
// conversations 0..G-1, then turn 2 of each, ...), so a conversation's
// earlier turn has usually finished, and its prompt is cached, before the
// next turn re-sends it. The assistant replies in the history are seeded
// text, not what the server said, which keeps every run's prompts identical.
class MultiturnWorkload final : public Workload {
 public:
  explicit MultiturnWorkload(const WorkloadOptions& options) : options_(options) {}

  RequestSpec request(uint64_t index) const override {
    const auto group_size = static_cast<uint64_t>(options_.conversations);
    const auto per_group = group_size * static_cast<uint64_t>(options_.turns);
    const uint64_t within = index % per_group;
    const uint64_t conversation = index / per_group * group_size + within % group_size;
    const uint64_t turn = within / group_size;

    RequestSpec spec;
    spec.conversation = static_cast<int64_t>(conversation);
    for (uint64_t t = 0; t <= turn; ++t) {
      SeededRandom user(options_.seed, {conversation, t, 1});
      const int32_t words = drawn_length(options_.input_len, options_.range_ratio, options_.seed,
                                         conversation * 1000 + t, 2);
      spec.messages.push_back({"user", synthetic_text(user, words)});
      if (t == turn) break;
      SeededRandom reply(options_.seed, {conversation, t, 3});
      spec.messages.push_back({"assistant", synthetic_text(reply, options_.output_len)});
    }
    spec.output_tokens = options_.output_len;
    return spec;
  }

 private:
  WorkloadOptions options_;
};

}  // namespace

std::unique_ptr<Workload> make_multiturn_workload(const WorkloadOptions& options) {
  return std::make_unique<MultiturnWorkload>(options);
}

}  // namespace keel::bench
