// Renders every golden template x conversation with keel and compares the
// bytes with what Python jinja2 (configured like transformers) produced; see
// tests/reference/render_templates.py.
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
      ChatRenderOptions options;
      options.add_generation_prompt = test_case.value("add_generation_prompt", true);
      auto tokens = special_tokens(spec, name);
      options.bos_token = tokens["bos_token"].get<std::string>();
      options.eos_token = tokens["eos_token"].get<std::string>();
      options.extra_variables = test_case.value("extra_variables", nlohmann::ordered_json::object());
      if (test_case.contains("tools")) options.extra_variables["tools"] = test_case["tools"];
      auto rendered = render_chat(*tmpl, test_case["messages"], options);
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

}  // namespace
}  // namespace keel
