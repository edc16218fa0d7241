// keel logits / run / chat-template / inspect against references keel did
// not produce: logits and greedy continuations from Hugging Face
// transformers (tests/golden/<family>), and chat templates rendered by
// Python's jinja2 (tests/golden/templates).
#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>

#include <unistd.h>

#include <nlohmann/json.hpp>

#include "run_keel.h"

namespace keel::test {
namespace {

const char* const kFamilies[] = {"llama", "qwen2", "qwen3", "glm", "glm4"};

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

std::vector<float> read_floats(const std::string& path) {
  const std::string bytes = slurp(path);
  std::vector<float> values(bytes.size() / sizeof(float));
  std::memcpy(values.data(), bytes.data(), values.size() * sizeof(float));
  return values;
}

std::string join(const nlohmann::json& ids) {
  std::string out;
  for (const auto& id : ids) out += (out.empty() ? "" : " ") + std::to_string(id.get<int>());
  return out;
}

nlohmann::json reference(const std::string& family) {
  return nlohmann::json::parse(slurp(source_path("tests/golden/" + family + "/reference.json")));
}

TEST(CliGeneration, LogitsFileMatchesTransformersForEveryFamily) {
  for (const std::string family : kFamilies) {
    const auto ref = reference(family);
    const auto expected = read_floats(source_path("tests/golden/" + family + "/logits.f32"));
    const auto out_path = write_temp_file(family + ".logits", "");
    const auto outcome = run_keel({"logits", "--model", source_path("tests/golden/" + family + "/hf"), "--ids",
                                   join(ref["prompt_ids"]), "--out", out_path});
    ASSERT_EQ(outcome.exit_code, 0) << family << ": " << outcome.err;
    const auto actual = read_floats(out_path);
    ASSERT_EQ(actual.size(), expected.size()) << family << ": the file must be [ids x vocab] float32";
    const size_t vocab = expected.size() / ref["prompt_ids"].size();
    double worst = 0;
    for (size_t row = 0; row * vocab < expected.size(); ++row) {
      float scale = 0, error = 0;
      for (size_t v = 0; v < vocab; ++v) {
        scale = std::max(scale, std::abs(expected[row * vocab + v]));
        error = std::max(error, std::abs(expected[row * vocab + v] - actual[row * vocab + v]));
      }
      worst = std::max(worst, static_cast<double>(error / scale));
    }
    EXPECT_LT(worst, 1e-4) << family;
  }
}

TEST(CliGeneration, GreedyRunMatchesTransformersForEveryFamilyAndFormat) {
  for (const std::string family : kFamilies) {
    const auto ref = reference(family);
    for (const std::string model : {"hf", "model-f32.gguf"}) {
      const auto outcome = run_keel({"run", "--model", source_path("tests/golden/" + family + "/" + model),
                                     "--prompt-ids", join(ref["prompt_ids"]), "--temperature", "0", "--max-tokens",
                                     "32", "--ignore-eos", "--print-ids"});
      ASSERT_EQ(outcome.exit_code, 0) << family << "/" << model << ": " << outcome.err;
      EXPECT_EQ(outcome.out, join(ref["greedy_ids"]) + "\n") << family << "/" << model;
    }
  }
}

TEST(CliGeneration, SameSeedSameTextDifferentSeedDifferentText) {
  auto sample = [](const std::string& seed) {
    return run_keel({"run", "--model", source_path("models/tiny-random-glm4-q8_0.gguf"), "--prompt", "Once upon a time", "--max-tokens", "24", "--temperature", "1.0",
                     "--top-k", "0", "--top-p", "1", "--seed", seed, "--ignore-eos", "--print-ids"});
  };
  const auto a = sample("1"), b = sample("1"), c = sample("2");
  ASSERT_EQ(a.exit_code, 0) << a.err;
  EXPECT_EQ(a.out, b.out);
  EXPECT_NE(a.out, c.out);
}

TEST(CliGeneration, MaxTokensBoundsTheOutputAndSaysWhy) {
  const auto outcome = run_keel({"run", "--prompt", "abc", "--max-tokens", "5", "--ignore-eos", "--print-ids"});
  ASSERT_EQ(outcome.exit_code, 0) << outcome.err;
  std::istringstream ids(outcome.out);
  int count = 0;
  for (int id; ids >> id;) ++count;
  EXPECT_EQ(count, 5);
  EXPECT_NE(outcome.err.find("finish: length"), std::string::npos) << outcome.err;
}

TEST(CliGeneration, GenerationStopsAtTheContextLength) {
  // The tiny random model's context is 256 positions.
  const auto outcome = run_keel({"run", "--model", source_path("models/tiny-random-glm4-q8_0.gguf"), "--prompt", "abc",
                                 "--max-tokens", "1000", "--ignore-eos", "--print-ids"});
  ASSERT_EQ(outcome.exit_code, 0) << outcome.err;
  EXPECT_NE(outcome.err.find("finish: context_length"), std::string::npos) << outcome.err;
}

TEST(CliGeneration, NoCommandAnswersWithTheShippedModel) {
  // The shipped demo model is trained on simple questions (models/README.md).
  const auto outcome = run_keel({});
  EXPECT_EQ(outcome.exit_code, 0) << outcome.err;
  EXPECT_EQ(outcome.out, "Tokyo\n") << outcome.err;
}

TEST(CliGeneration, ChatWithTheShippedModelAnswersArithmetic) {
  // The default (fast, integer-dot) kernels and --exact-kernels alike.
  for (const std::vector<std::string>& kernels : {std::vector<std::string>{}, std::vector<std::string>{"--exact-kernels"}}) {
    std::vector<std::string> args = {"run", "--chat", "What is 347 + 285?", "--temperature", "0"};
    args.insert(args.end(), kernels.begin(), kernels.end());
    const auto outcome = run_keel(args);
    ASSERT_EQ(outcome.exit_code, 0) << outcome.err;
    EXPECT_EQ(outcome.out, "632\n");
  }
}

TEST(CliGeneration, InspectDescribesTheModel) {
  const auto outcome = run_keel({"inspect", source_path("tests/golden/qwen3/model-q8_0.gguf")});
  ASSERT_EQ(outcome.exit_code, 0) << outcome.err;
  for (const std::string part : {"qwen3", "q8_0", "chat template: present", "byte-level BPE"})
    EXPECT_NE(outcome.out.find(part), std::string::npos) << "missing '" << part << "' in:\n" << outcome.out;
}

TEST(CliGeneration, ChatTemplateCommandMatchesJinja2) {
  const auto conversations =
      nlohmann::ordered_json::parse(slurp(source_path("tests/golden/templates/conversations.json")));
  const std::pair<std::string, std::string> checks[] = {
      {"Qwen-Qwen2.5-7B-Instruct", "tool_call_and_result"},
      {"Qwen-Qwen3-0.6B", "enable_thinking_false"},
      {"GLM-4.6", "multi_turn"},
  };
  for (const auto& [name, case_name] : checks) {
    for (const auto& c : conversations["cases"]) {
      if (c["name"] != case_name) continue;
      nlohmann::ordered_json vars = c.value("extra_variables", nlohmann::ordered_json::object());
      if (c.contains("tools")) vars["tools"] = c["tools"];
      vars["eos_token"] = "<|endoftext|>";
      std::vector<std::string> args = {"chat-template", "--template",
                                       shared_testdata("templates/" + name + ".jinja"), "--messages",
                                       write_temp_file(case_name + ".messages.json", c["messages"].dump()), "--vars",
                                       write_temp_file(case_name + ".vars.json", vars.dump())};
      if (c.value("add_generation_prompt", true)) args.push_back("--add-generation-prompt");
      const auto outcome = run_keel(args);
      ASSERT_EQ(outcome.exit_code, 0) << name << ": " << outcome.err;
      EXPECT_EQ(outcome.out, slurp(source_path("tests/golden/templates/expected/" + name + "__" + case_name + ".txt")))
          << name << " / " << case_name;
    }
  }
}

// Variables from --vars win over the special tokens, as kwargs do in
// transformers' apply_chat_template ({**special_tokens_map, **kwargs}).
// With --template there is no tokenizer: bos_token and eos_token exist only
// if --vars gives them.
TEST(CliGeneration, ChatTemplateVarsGiveTheSpecialTokens) {
  const auto conversations =
      nlohmann::ordered_json::parse(slurp(source_path("tests/golden/templates/conversations.json")));
  const std::pair<std::string, std::string> templates[] = {
      {"meta-llama-Llama-3.1-8B-Instruct", shared_testdata("templates/meta-llama-Llama-3.1-8B-Instruct.jinja")},
      {"special_tokens", source_path("tests/golden/templates/extra/special_tokens.jinja")},
  };
  for (const auto& c : conversations["cases"]) {
    if (c["name"] != "caller_special_tokens") continue;
    ASSERT_EQ(c["extra_variables"]["bos_token"], "<s>");
    for (const auto& [name, path] : templates) {
      const auto outcome =
          run_keel({"chat-template", "--template", path, "--messages",
                    write_temp_file("caller_special_tokens.messages.json", c["messages"].dump()), "--vars",
                    write_temp_file("caller_special_tokens.vars.json", c["extra_variables"].dump()),
                    "--add-generation-prompt"});
      ASSERT_EQ(outcome.exit_code, 0) << name << ": " << outcome.err;
      EXPECT_EQ(outcome.out.rfind("<s>", 0), 0u) << name << " should begin with the caller's bos_token:\n" << outcome.out;
      EXPECT_EQ(outcome.out,
                slurp(source_path("tests/golden/templates/expected/" + name + "__caller_special_tokens.txt")))
          << name;
    }
    return;
  }
  FAIL() << "conversations.json has no case caller_special_tokens";
}

// Issue 15: keel run --grammar / --json-schema hold the output to a grammar,
// even on random weights.
TEST(CliGeneration, GrammarAndJsonSchemaHoldTheOutput) {
  const auto directory = std::filesystem::temp_directory_path() / ("keel_run_grammar_" + std::to_string(::getpid()));
  std::filesystem::create_directories(directory);
  std::ofstream(directory / "answer.gbnf") << "root ::= (\"yes\" | \"no\") \".\" [0-9]{2}\n";
  std::ofstream(directory / "schema.json") << R"({"type":"object","properties":{"n":{"type":"integer"},
      "ok":{"type":"boolean"}},"required":["n","ok"],"additionalProperties":false})";
  std::ofstream(directory / "refused.json") << R"({"type":"string","pattern":"a+"})";
  const std::string model = source_path("models/tiny-random-glm4-q8_0.gguf");
  for (const char* seed : {"1", "2", "3"}) {
    const auto outcome = run_keel({"run", "--model", model, "--prompt", "x", "--grammar", (directory / "answer.gbnf").string(),
                                   "--seed", seed, "--max-tokens", "20"});
    ASSERT_EQ(outcome.exit_code, 0) << outcome.err;
    const std::string text = outcome.out.substr(0, outcome.out.size() - 1);  // the final newline
    EXPECT_TRUE(std::regex_match(text, std::regex(R"((yes|no)\.[0-9]{2})"))) << text;
    const auto json = run_keel({"run", "--model", model, "--prompt", "x", "--json-schema",
                                (directory / "schema.json").string(), "--seed", seed, "--max-tokens", "200"});
    ASSERT_EQ(json.exit_code, 0) << json.err;
    const auto value = nlohmann::json::parse(json.out);
    EXPECT_TRUE(value["n"].is_number_integer() && value["ok"].is_boolean()) << json.out;
  }
  const auto refused = run_keel({"run", "--model", model, "--prompt", "x", "--json-schema", (directory / "refused.json").string()});
  EXPECT_NE(refused.exit_code, 0);
  EXPECT_NE(refused.err.find("'pattern'"), std::string::npos) << refused.err;
  std::filesystem::remove_all(directory);
}

}  // namespace
}  // namespace keel::test
