// `keel bench soak` against the stub: a flat server passes, and each way a
// server can degrade (memory growth, failed requests, step-loop
// allocations) fails the soak.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "../e2e/run_keel.h"
#include "background_process.h"

namespace keel::test {
namespace {

Outcome soak(const std::string& url, const std::string& mode, const std::string& dir) {
  return run_keel({"bench", "soak", "--url", url, "--model", mode, "--duration", "5s", "--interval", "500ms",
                   "--warmup", "1s", "--max-concurrency", "2", "--input-len", "4", "--output-len", "4",
                   "--max-drift", "rss=50", "--output-dir", dir});
}

std::string fresh_dir(const std::string& name) {
  const std::string dir = write_temp_file(name + ".unused", "") + ".d";
  std::filesystem::remove_all(dir);
  return dir;
}

TEST(BenchSoakStub, FlatServerPassesAndLeavesItsFiles) {
  BackgroundProcess stub(stub_server_command());
  ASSERT_TRUE(stub.ready());
  const std::string dir = fresh_dir("flat");
  const Outcome run = soak(stub.url(), "ok", dir);
  EXPECT_EQ(run.exit_code, 0) << run.out << run.err;
  EXPECT_NE(run.out.find("soak passed"), std::string::npos);
  for (const char* file : {"soak.csv", "soak.json", "soak.svg"})
    EXPECT_TRUE(std::filesystem::exists(dir + "/" + file)) << file;
  std::ifstream in(dir + "/soak.json");
  const auto report = nlohmann::json::parse(in, nullptr, false);
  ASSERT_FALSE(report.is_discarded());
  EXPECT_EQ(report["passed"], true);
  EXPECT_GE(report["window_end_s"].size(), 9u);
  EXPECT_EQ(report["series"]["rss_bytes"][0], 50000000 + 0.0);  // the stub's memory is flat
}

TEST(BenchSoakStub, GrowingMemoryFails) {
  BackgroundProcess stub(stub_server_command({"--leak-bytes-per-request", "100000"}));
  ASSERT_TRUE(stub.ready());
  const Outcome run = soak(stub.url(), "ok", fresh_dir("leak"));
  EXPECT_EQ(run.exit_code, 1) << run.out;
  EXPECT_NE(run.out.find("FAIL: rss_bytes drifts"), std::string::npos) << run.out;
}

TEST(BenchSoakStub, FailedRequestsFail) {
  BackgroundProcess stub(stub_server_command());
  ASSERT_TRUE(stub.ready());
  const std::string dir = fresh_dir("flaky");
  const Outcome run = soak(stub.url(), "flaky", dir);
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_NE(run.out.find("request(s) failed"), std::string::npos) << run.out;
  // failures.jsonl holds every failed request, each the stub's 503, and as
  // many as the windows counted.
  const auto report = nlohmann::json::parse(std::ifstream(dir + "/soak.json"), nullptr, false);
  ASSERT_FALSE(report.is_discarded());
  double failed_in_windows = 0;
  for (const auto& count : report["series"]["requests_failed"]) failed_in_windows += count.get<double>();
  std::ifstream failures(dir + "/failures.jsonl");
  std::string line;
  int lines = 0;
  while (std::getline(failures, line)) {
    const auto failure = nlohmann::json::parse(line, nullptr, false);
    ASSERT_TRUE(failure.is_object()) << line;
    EXPECT_EQ(failure["http_status"], 503) << line;
    EXPECT_EQ(failure["failure"], "http 503") << line;
    EXPECT_GE(failure["ended_s"].get<double>(), failure["sent_s"].get<double>()) << line;
    ++lines;
  }
  EXPECT_GT(lines, 0);
  EXPECT_GE(lines, failed_in_windows);  // requests still in flight at the end belong to no window
}

TEST(BenchSoakStub, StepLoopAllocationsAfterWarmupFail) {
  BackgroundProcess stub(stub_server_command({"--alloc-after", "40"}));
  ASSERT_TRUE(stub.ready());
  const Outcome run = soak(stub.url(), "ok", fresh_dir("alloc"));
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_NE(run.out.find("step-loop allocation(s) after warm-up"), std::string::npos) << run.out;
}

TEST(BenchSoakStub, RejectsBadFlags) {
  EXPECT_NE(run_keel({"bench", "soak", "--duration", "10s", "--interval", "20s"}).exit_code, 0);
  EXPECT_NE(run_keel({"bench", "soak", "--duration", "ten"}).exit_code, 0);
  EXPECT_NE(run_keel({"bench", "soak", "--duration", "10s", "--max-drift", "colour=5"}).exit_code, 0);
}

}  // namespace
}  // namespace keel::test
