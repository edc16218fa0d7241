// keel batch: many requests through the serving engine at once. The
// greedy continuations must equal what Hugging Face transformers produced
// for the same prompt (tests/golden/<family>/reference.json), however the
// engine batches, chunks or reuses prefixes.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "run_keel.h"

namespace keel::test {
namespace {

using nlohmann::json;

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

std::vector<json> parse_lines(const std::string& text) {
  std::vector<json> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);)
    if (!line.empty()) lines.push_back(json::parse(line));
  return lines;
}

TEST(CliBatch, ConcurrentGreedyRequestsMatchTransformers) {
  for (const std::string family : {"glm4", "llama", "qwen3"}) {
    const json ref = json::parse(slurp(source_path("tests/golden/" + family + "/reference.json")));
    const auto prompt = ref["prompt_ids"];
    const auto greedy = ref["greedy_ids"].get<std::vector<int>>();
    const json full = {{"prompt_ids", prompt}, {"max_tokens", 32}, {"temperature", 0}, {"ignore_eos", true}};
    json shorter = full;
    shorter["prompt_ids"] = json(std::vector<int>(prompt.begin(), prompt.begin() + 5));
    shorter["max_tokens"] = 3;
    json later = full;
    later["arrival_ms"] = 1500;  // after the first ones finished: its prefix is cached
    const std::string input = full.dump() + "\n" + shorter.dump() + "\n" + full.dump() + "\n" + later.dump() + "\n";
    const auto outcome = run_keel({"batch", "--model", source_path("tests/golden/" + family + "/model-f32.gguf"),
                                   "--input", write_temp_file(family + "-requests.jsonl", input),
                                   "--max-batch-tokens", "16", "--kv-block-size", "4"});
    ASSERT_EQ(outcome.exit_code, 0) << family << ": " << outcome.err;
    const auto lines = parse_lines(outcome.out);
    ASSERT_EQ(lines.size(), 5u) << outcome.out;
    for (size_t i : {0u, 2u, 3u}) {
      EXPECT_EQ(lines[i]["index"], i);
      EXPECT_EQ(lines[i]["ids"].get<std::vector<int>>(), greedy) << family << " request " << i;
      EXPECT_EQ(lines[i]["finish_reason"], "length");
      EXPECT_EQ(lines[i]["usage"]["prompt_tokens"], prompt.size());
      EXPECT_EQ(lines[i]["usage"]["completion_tokens"], 32);
    }
    EXPECT_EQ(lines[1]["ids"].get<std::vector<int>>().size(), 3u);
    // 20-token prompt, blocks of 4: the later request reuses whole blocks
    // and computes at least its last token.
    EXPECT_GE(lines[3]["usage"]["cached_tokens"].get<int>(), 16) << lines[3].dump();
    EXPECT_TRUE(lines[4].contains("stats")) << lines[4].dump();
  }
}

TEST(CliBatch, BadLinesAreReportedAndTheRestStillRun) {
  const std::string input = "{\"prompt\": \"hello\", \"max_tokens\": 2, \"ignore_eos\": true}\nnot json\n{\"max_tokens\": 2}\n";
  const auto outcome = run_keel({"batch", "--input", write_temp_file("bad-requests.jsonl", input)});
  ASSERT_LT(outcome.exit_code, 128) << outcome.err;
  const auto lines = parse_lines(outcome.out);
  ASSERT_GE(lines.size(), 3u) << outcome.out << outcome.err;
  EXPECT_EQ(lines[0]["ids"].size(), 2u);
  EXPECT_TRUE(lines[1].contains("error")) << lines[1].dump();
  EXPECT_TRUE(lines[2].contains("error")) << lines[2].dump();
}

}  // namespace
}  // namespace keel::test
