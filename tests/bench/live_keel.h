// Helpers of the bench tests that run against a live `keel serve`.
#pragma once

#include <string>
#include <vector>

#include "../e2e/run_keel.h"

namespace keel::test {

// `model`: the tiny random model by default; the compare gate uses the
// shipped demo model, whose steps cost enough that batching shows.
inline std::vector<std::string> keel_serve(const std::vector<std::string>& extra = {},
                                           const std::string& model = "models/tiny-random-glm4-q8_0.gguf") {
  std::vector<std::string> argv = {std::string(KEEL_BINARY_DIR) + "/apps/keel", "serve", "--port", "0",
                                   "--access-log", "", "--model", source_path(model)};
  argv.insert(argv.end(), extra.begin(), extra.end());
  return argv;
}

inline Outcome bench_serve(const std::string& url, const std::string& output) {
  return run_keel({"bench", "serve", "--url", url, "--num-requests", "32", "--max-concurrency", "8",
                   "--input-len", "32", "--output-len", "32", "--output", output});
}

inline const char* const kDemoModel = "models/keel-demo-glm4-q8_0.gguf";

}  // namespace keel::test
