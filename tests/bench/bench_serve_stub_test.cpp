// `keel bench serve` and `keel bench compare` against the Python stub
// server: a valid result file, and misbehaving responses counted as failed.
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "../e2e/run_keel.h"
#include "background_process.h"

namespace keel::test {
namespace {

nlohmann::json read_json(const std::string& path) {
  std::ifstream in(path);
  return nlohmann::json::parse(in, nullptr, false);
}

Outcome bench_serve(const std::string& url, const std::string& mode, const std::string& output,
                    std::vector<std::string> extra = {}) {
  std::vector<std::string> args = {"bench", "serve", "--url", url, "--model", mode, "--input-len", "8",
                                   "--output-len", "12", "--output", output};
  args.insert(args.end(), extra.begin(), extra.end());
  return run_keel(args);
}

TEST(BenchServeStub, WritesAValidResultFile) {
  BackgroundProcess stub(stub_server_command());
  ASSERT_TRUE(stub.ready());
  const std::string out = write_temp_file("ok.json", "");
  const Outcome run = bench_serve(stub.url(), "ok", out,
                                  {"--num-requests", "20", "--max-concurrency", "4", "--slo", "ttft=2s,tpot=1s"});
  ASSERT_EQ(run.exit_code, 0) << run.out << run.err;
  EXPECT_NE(run.out.find("Successful requests:"), std::string::npos);
  const auto result = read_json(out);
  ASSERT_FALSE(result.is_discarded());
  EXPECT_EQ(result["kind"], "keel-bench-serve");
  const auto& m = result["metrics"];
  EXPECT_EQ(m["completed"], 20);
  EXPECT_EQ(m["failed"], 0);
  EXPECT_EQ(m["total_output_tokens"], 20 * 12);
  EXPECT_EQ(m["cached_tokens"], 20 * 7);
  EXPECT_GT(m["ttft_ms"]["median"].get<double>(), 4.0);  // the stub waits 5 ms before the first token
  EXPECT_GT(m["itl_ms"]["p99"].get<double>(), 0.5);
  for (const char* latency : {"ttft_ms", "itl_ms", "e2e_ms"}) {  // p95 beside p50/p90/p99
    EXPECT_GE(m[latency]["p95"].get<double>(), m[latency]["p90"].get<double>()) << latency;
    EXPECT_LE(m[latency]["p95"].get<double>(), m[latency]["p99"].get<double>()) << latency;
  }
  EXPECT_GT(m["output_token_throughput"].get<double>(), 0);
  EXPECT_GT(m["goodput"].get<double>(), 0);
  EXPECT_EQ(result["config"]["num_requests"], 20);
  EXPECT_EQ(result["config"]["max_concurrency"], 4);
  EXPECT_FALSE(result["keel"]["git_commit"].get<std::string>().empty());
  EXPECT_GT(result["machine"]["cores"].get<int>(), 0);
}

TEST(BenchServeStub, BrokenResponsesAreFailuresNeverFastSuccesses) {
  BackgroundProcess stub(stub_server_command());
  ASSERT_TRUE(stub.ready());
  const std::vector<std::pair<std::string, std::string>> modes = {
      {"http500", "http 500"}, {"truncate", "truncated"}, {"empty", "empty"},
      {"error-event", "error event"}, {"short", "short output"}};
  for (const auto& [mode, category] : modes) {
    const std::string out = write_temp_file(mode + ".json", "");
    const Outcome run = bench_serve(stub.url(), mode, out, {"--num-requests", "4"});
    EXPECT_EQ(run.exit_code, 1) << mode << run.out << run.err;
    const auto result = read_json(out);
    ASSERT_FALSE(result.is_discarded()) << mode;
    EXPECT_EQ(result["metrics"]["completed"], 0) << mode;
    EXPECT_EQ(result["metrics"]["failed"], 4) << mode;
    EXPECT_EQ(result["metrics"]["failures"][category], 4) << mode << result["metrics"]["failures"].dump();
  }
}

TEST(BenchServeStub, CountsSomeFailuresAmongSuccesses) {
  BackgroundProcess stub(stub_server_command());
  ASSERT_TRUE(stub.ready());
  const std::string out = write_temp_file("flaky.json", "");
  const Outcome run = bench_serve(stub.url(), "flaky", out, {"--num-requests", "9", "--max-concurrency", "1"});
  EXPECT_EQ(run.exit_code, 1);
  const auto result = read_json(out);
  EXPECT_EQ(result["metrics"]["completed"], 6);
  EXPECT_EQ(result["metrics"]["failures"]["http 503"], 3);
}

TEST(BenchServeStub, OpenLoopForADurationOnCompletions) {
  BackgroundProcess stub(stub_server_command());
  ASSERT_TRUE(stub.ready());
  const std::string out = write_temp_file("rate.json", "");
  const Outcome run = bench_serve(stub.url(), "ok", out,
                                  {"--endpoint", "completions", "--request-rate", "40", "--burstiness", "0.5",
                                   "--duration", "1s", "--workload", "shared-prefix", "--prefix-len", "50"});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  const auto result = read_json(out);
  EXPECT_GT(result["metrics"]["completed"].get<int>(), 15);
  EXPECT_LT(result["metrics"]["completed"].get<int>(), 90);
}

TEST(BenchServeStub, RefusedConnectionsAreFailures) {
  const std::string out = write_temp_file("refused.json", "");
  const Outcome run = bench_serve("http://127.0.0.1:1", "ok", out, {"--num-requests", "2"});
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_EQ(read_json(out)["metrics"]["failures"]["connection"], 2);
}

TEST(BenchCompare, FlagsASlowerServerAndPassesTheSameOne) {
  BackgroundProcess fast(stub_server_command({"--token-delay-ms", "1"}));
  BackgroundProcess slow(stub_server_command({"--token-delay-ms", "30", "--first-token-delay-ms", "60"}));
  ASSERT_TRUE(fast.ready() && slow.ready());
  const std::string base = write_temp_file("base.json", ""), again = write_temp_file("again.json", ""),
                    worse = write_temp_file("worse.json", "");
  const std::vector<std::string> load = {"--num-requests", "12", "--max-concurrency", "4"};
  ASSERT_EQ(bench_serve(fast.url(), "ok", base, load).exit_code, 0);
  ASSERT_EQ(bench_serve(fast.url(), "ok", again, load).exit_code, 0);
  ASSERT_EQ(bench_serve(slow.url(), "ok", worse, load).exit_code, 0);
  const Outcome same = run_keel({"bench", "compare", base, again, "--max-regression", "400%"});
  EXPECT_EQ(same.exit_code, 0) << same.out;
  const Outcome regressed = run_keel({"bench", "compare", base, worse, "--max-regression", "50%"});
  EXPECT_EQ(regressed.exit_code, 1) << regressed.out;
  EXPECT_NE(regressed.out.find("REGRESSION"), std::string::npos);
  EXPECT_NE(run_keel({"bench", "compare", base, "/nonexistent.json"}).exit_code, 0);
}

}  // namespace
}  // namespace keel::test
