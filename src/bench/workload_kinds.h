// The workloads make_workload can build; each lives in its own file.
#pragma once

#include <memory>
#include <vector>

#include "bench/workload.h"

namespace keel::bench {

// Independent prompts of drawn lengths: the plain throughput workload.
std::unique_ptr<Workload> make_random_workload(const WorkloadOptions& options);

// One long system prompt shared by every request, then a short unique
// question: measures what prefix caching saves.
std::unique_ptr<Workload> make_shared_prefix_workload(const WorkloadOptions& options);

// Conversations that re-send their whole history each turn.
std::unique_ptr<Workload> make_multiturn_workload(const WorkloadOptions& options);

// Prompts read from a JSONL file, sent in file order and repeated.
Result<std::unique_ptr<Workload>> make_jsonl_workload(const WorkloadOptions& options);

}  // namespace keel::bench
