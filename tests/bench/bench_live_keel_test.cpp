// The bench soak against a live `keel serve`, with the CI thresholds
// (the compare gate is bench_compare_gate_test.cpp).
#include <gtest/gtest.h>

#include <filesystem>

#include "background_process.h"
#include "live_keel.h"

namespace keel::test {
namespace {

// The CI soak: short, so its thresholds are per hour but generous; it still
// fails on any failed request and any step-loop allocation after warm-up.
TEST(BenchLiveKeel, ShortSoakStaysFlat) {
  BackgroundProcess server(keel_serve());
  ASSERT_TRUE(server.ready());
  const std::string dir = write_temp_file("live-soak.unused", "") + ".d";
  std::filesystem::remove_all(dir);
  const Outcome run = run_keel({"bench", "soak", "--url", server.url(), "--duration", "40s", "--interval", "2s",
                                "--warmup", "10s", "--max-concurrency", "4", "--workload", "multiturn",
                                // the shipped model's context is 256 tokens: two short turns fit
                                "--turns", "2", "--input-len", "8", "--output-len", "16", "--max-drift",
                                "rss=1000,latency=5000", "--output-dir", dir});
  EXPECT_EQ(run.exit_code, 0) << run.out << run.err;
  EXPECT_TRUE(std::filesystem::exists(dir + "/soak.svg"));
}

}  // namespace
}  // namespace keel::test
