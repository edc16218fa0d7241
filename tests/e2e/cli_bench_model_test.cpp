// keel bench model: its flags are checked with messages that name them, and
// a run on the tiny model writes the JSON other tools read, with positive
// figures. Timings themselves are never asserted: they depend on the machine.
#include <gtest/gtest.h>

#include <sched.h>

#include <fstream>

#include <nlohmann/json.hpp>

#include "run_keel.h"

namespace keel::test {
namespace {

using nlohmann::json;

const std::string kTinyModel = "models/tiny-random-glm4-q8_0.gguf";  // context 256

std::vector<std::string> bench_model(std::vector<std::string> flags) {
  std::vector<std::string> args = {"bench", "model", "--model", source_path(kTinyModel)};
  args.insert(args.end(), flags.begin(), flags.end());
  return args;
}

int usable_cpus() {
  cpu_set_t mask;
  CPU_ZERO(&mask);
  return sched_getaffinity(0, sizeof mask, &mask) == 0 ? CPU_COUNT(&mask) : 0;
}

TEST(CliBenchModel, TinyModelWritesTheResultShapeWithPositiveFigures) {
  const std::string output = write_temp_file("bench-model.json", "");
  const auto outcome = run_keel(bench_model({"-p", "32", "-n", "16", "-r", "3", "-t", "2", "--output", output}));
  ASSERT_EQ(outcome.exit_code, 0) << outcome.err;
  EXPECT_NE(outcome.out.find("| model | size | params | backend | threads | test |"), std::string::npos) << outcome.out;
  EXPECT_NE(outcome.out.find("| pp32 |"), std::string::npos) << outcome.out;
  EXPECT_NE(outcome.out.find("| tg16 |"), std::string::npos) << outcome.out;
  EXPECT_NE(outcome.out.find("weight read per decoded token"), std::string::npos) << outcome.out;

  std::ifstream in(output);
  const json result = json::parse(in);
  EXPECT_EQ(result["model"], "tiny-random-glm4-q8_0.gguf");
  EXPECT_EQ(result["device"], "cpu");
  EXPECT_EQ(result["threads"], 2);
  ASSERT_EQ(result["results"].size(), 2u) << result.dump();
  EXPECT_EQ(result["results"][0]["test"], "pp32");
  EXPECT_EQ(result["results"][1]["test"], "tg16");
  for (const auto& test : result["results"]) {
    const double median = test["median"], min = test["min"], max = test["max"];
    EXPECT_GT(min, 0) << test.dump();
    EXPECT_LE(min, median) << test.dump();
    EXPECT_LE(median, max) << test.dump();
    EXPECT_EQ(test["samples"].size(), 3u) << test.dump();
  }
  // 2 layers of Q8_0 matrices plus the output matrix and one embedding row.
  EXPECT_GT(result["weight_bytes_per_token"].get<double>(), 100'000) << result.dump();
  EXPECT_LT(result["weight_bytes_per_token"].get<double>(), 200'000) << result.dump();
  EXPECT_GT(result["tg_gbps"].get<double>(), 0) << result.dump();
  EXPECT_GT(result["read_ceiling_gbps"].get<double>(), 0) << result.dump();
}

TEST(CliBenchModel, DefaultThreadsAreTheCpusThisProcessMayUse) {
  const std::string output = write_temp_file("bench-model-threads.json", "");
  const auto outcome = run_keel(bench_model({"-p", "0", "-n", "4", "-r", "1", "--warmup", "0", "--output", output}));
  ASSERT_EQ(outcome.exit_code, 0) << outcome.err;
  std::ifstream in(output);
  const json result = json::parse(in);
  EXPECT_EQ(result["threads"], usable_cpus());
  ASSERT_EQ(result["results"].size(), 1u);
  EXPECT_EQ(result["results"][0]["test"], "tg4");
}

TEST(CliBenchModel, BadFlagsAreRefusedWithMessagesThatNameThem) {
  const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
      {{"-r", "0"}, "-r/--repetitions"},
      {{"-p", "-1"}, "-p/--n-prompt"},
      {{"-p", "0", "-n", "0"}, "nothing to measure"},
      {{"-p", "300"}, "context of 256"},
      {{"-p", "8", "-n", "250"}, "context of 256"},
      {{"-t", "0"}, "--threads"},
      {{"-t", "two"}, "--threads"},
      {{"--device", "bogus"}, "--device"},
      {{"--warmup", "-1"}, "--warmup"},
  };
  for (const auto& [flags, message] : cases) {
    const auto outcome = run_keel(bench_model(flags));
    EXPECT_NE(outcome.exit_code, 0) << flags.front() << " " << flags.back();
    EXPECT_NE(outcome.err.find(message), std::string::npos) << "flags " << flags.front() << " " << flags.back()
                                                            << ": " << outcome.err;
  }
}

TEST(CliBenchModel, ThreadsFlagIsSharedByTheCommandsThatRunAModel) {
  const auto run = run_keel({"run", "--model", source_path(kTinyModel), "--prompt-ids", "1 2 3", "-n", "2",
                             "--ignore-eos", "--print-ids", "--threads", "1"});
  EXPECT_EQ(run.exit_code, 0) << run.err;
  const auto bad = run_keel({"run", "--model", source_path(kTinyModel), "--prompt-ids", "1", "--threads", "0"});
  EXPECT_NE(bad.exit_code, 0);
  EXPECT_NE(bad.err.find("--threads"), std::string::npos) << bad.err;
  const auto serve_help = run_keel({"serve", "--help"});
  EXPECT_NE(serve_help.out.find("--threads"), std::string::npos) << serve_help.out;
}

}  // namespace
}  // namespace keel::test
