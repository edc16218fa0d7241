// Renders every golden template x conversation with keel and compares the
// bytes with what Python jinja2 (configured like transformers) produced; see
// tests/reference/render_templates.py.
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include <gtest/gtest.h>

#include "chat_template/chat_template.h"

namespace keel {
namespace {

namespace fs = std::filesystem;

const fs::path kGoldenDir = fs::path(KEEL_SOURCE_DIR) / "tests" / "golden" / "templates";
const fs::path kSharedTemplates = fs::path(KEEL_SOURCE_DIR) / ".." / "shared" / "testdata" / "templates";

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

std::vector<fs::path> template_files() {
  std::vector<fs::path> files;
  for (const fs::path& dir : {kSharedTemplates, kGoldenDir / "extra"}) {
    if (!fs::exists(dir)) continue;
    for (const auto& entry : fs::directory_iterator(dir)) {
      if (entry.path().extension() == ".jinja") files.push_back(entry.path());
    }
  }
  std::sort(files.begin(), files.end());
  return files;
}

nlohmann::ordered_json special_tokens(const nlohmann::ordered_json& spec, const std::string& template_name) {
  for (const auto& [prefix, tokens] : spec["special_tokens"].items()) {
    if (template_name.rfind(prefix, 0) == 0) return tokens;
  }
  return spec["special_tokens"]["default"];
}

// Renders one case the way tests/reference/render_templates.py does: the
// tokenizer's special tokens for this template, the case's variables.
Result<std::string> render_case(const ChatTemplate& tmpl, const std::string& template_name,
                                const nlohmann::ordered_json& spec, const nlohmann::ordered_json& test_case) {
  ChatRenderOptions options;
  options.add_generation_prompt = test_case.value("add_generation_prompt", true);
  auto tokens = special_tokens(spec, template_name);
  options.bos_token = tokens["bos_token"].get<std::string>();
  options.eos_token = tokens["eos_token"].get<std::string>();
  options.extra_variables = test_case.value("extra_variables", nlohmann::ordered_json::object());
  if (test_case.contains("tools")) options.extra_variables["tools"] = test_case["tools"];
  return render_chat(tmpl, test_case["messages"], options);
}

TEST(ChatTemplateGolden, EveryTemplateAndCaseMatchesJinja2) {
  auto spec = nlohmann::ordered_json::parse(read_file(kGoldenDir / "conversations.json"));
  auto files = template_files();
  ASSERT_FALSE(files.empty());
  int total_matches = 0;
  int total_cases = 0;
  for (const fs::path& file : files) {
    std::string name = file.stem().string();
    auto tmpl = ChatTemplate::parse(read_file(file));
    ASSERT_TRUE(tmpl.ok()) << name << ": " << tmpl.error().message;
    int matches = 0;
    int cases = 0;
    for (const auto& test_case : spec["cases"]) {
      std::string stem = name + "__" + test_case["name"].get<std::string>();
      auto rendered = render_case(*tmpl, name, spec, test_case);
      ++cases;
      fs::path expected_text = kGoldenDir / "expected" / (stem + ".txt");
      fs::path expected_error = kGoldenDir / "expected" / (stem + ".error");
      if (fs::exists(expected_error)) {
        std::string message = read_file(expected_error);
        EXPECT_FALSE(rendered.ok()) << stem << " should fail with: " << message;
        if (!rendered.ok()) {
          EXPECT_EQ(rendered.error().message, message) << stem;
          if (rendered.error().message == message) ++matches;
        }
        continue;
      }
      ASSERT_TRUE(fs::exists(expected_text)) << "missing golden file " << expected_text;
      std::string expected = read_file(expected_text);
      EXPECT_TRUE(rendered.ok()) << stem << ": " << (rendered.ok() ? "" : rendered.error().message);
      if (!rendered.ok()) continue;
      EXPECT_EQ(*rendered, expected) << stem;
      if (*rendered == expected) ++matches;
    }
    std::printf("[agreement] %-40s %d/%d\n", name.c_str(), matches, cases);
    total_matches += matches;
    total_cases += cases;
  }
  std::printf("[agreement] total %d/%d byte-identical\n", total_matches, total_cases);
}

// transformers merges {**special_tokens_map, **kwargs}: a bos_token or
// eos_token the caller passes as a variable wins over the tokenizer's. The
// case caller_special_tokens passes <s> and </s>; the tokenizer's tokens
// (conversations.json "special_tokens") are different, so a renderer that
// lets the tokenizer win prints the wrong ones.
TEST(ChatTemplateGolden, CallerSpecialTokensWinOverTheTokenizers) {
  auto spec = nlohmann::ordered_json::parse(read_file(kGoldenDir / "conversations.json"));
  const nlohmann::ordered_json* caller_case = nullptr;
  for (const auto& test_case : spec["cases"])
    if (test_case["name"] == "caller_special_tokens") caller_case = &test_case;
  ASSERT_NE(caller_case, nullptr);
  ASSERT_EQ((*caller_case)["extra_variables"]["bos_token"], "<s>");
  ASSERT_EQ((*caller_case)["extra_variables"]["eos_token"], "</s>");

  // Every real template, and the one that prints both tokens.
  std::vector<fs::path> files;
  for (const auto& entry : fs::directory_iterator(kSharedTemplates))
    if (entry.path().extension() == ".jinja") files.push_back(entry.path());
  files.push_back(kGoldenDir / "extra" / "special_tokens.jinja");
  std::sort(files.begin(), files.end());

  int printing_bos = 0;
  int printing_eos = 0;
  for (const fs::path& file : files) {
    std::string name = file.stem().string();
    std::string expected = read_file(kGoldenDir / "expected" / (name + "__caller_special_tokens.txt"));
    // The jinja2 renderings themselves show the caller's tokens where a template prints them.
    if (expected.rfind("<s>", 0) == 0) ++printing_bos;
    if (expected.find("</s>\n") != std::string::npos) ++printing_eos;
    auto tmpl = ChatTemplate::parse(read_file(file));
    ASSERT_TRUE(tmpl.ok()) << name << ": " << tmpl.error().message;
    auto rendered = render_case(*tmpl, name, spec, *caller_case);
    ASSERT_TRUE(rendered.ok()) << name << ": " << rendered.error().message;
    EXPECT_EQ(*rendered, expected) << name;
  }
  EXPECT_EQ(printing_bos, 2) << "Llama 3.1 and special_tokens.jinja print bos_token";
  EXPECT_EQ(printing_eos, 1) << "special_tokens.jinja prints eos_token";
}

}  // namespace
}  // namespace keel
