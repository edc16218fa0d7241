#include "test_paths.h"

#include <fstream>
#include <sstream>

namespace keel::test {

std::filesystem::path shared_vocab_dir() {
  return std::filesystem::path(KEEL_SOURCE_DIR) / ".." / "shared" / "testdata" / "vocab";
}

std::filesystem::path golden_dir() { return std::filesystem::path(KEEL_SOURCE_DIR) / "tests" / "golden"; }

std::optional<std::string> read_file(const std::filesystem::path& path) {
  std::ifstream file(path, std::ios::binary);
  if (!file) return std::nullopt;
  std::ostringstream contents;
  contents << file.rdbuf();
  return contents.str();
}

std::vector<VocabCase> read_vocab_cases(const std::filesystem::path& gguf_path) {
  const auto inputs = read_file(gguf_path.string() + ".inp");
  const auto outputs = read_file(gguf_path.string() + ".out");
  if (!inputs || !outputs) return {};

  static constexpr std::string_view kSeparator = "\n__ggml_vocab_test__\n";
  std::vector<VocabCase> cases;
  size_t pos = 0;
  for (size_t hit = inputs->find(kSeparator); hit != std::string::npos; hit = inputs->find(kSeparator, pos)) {
    cases.push_back({inputs->substr(pos, hit - pos), {}});
    pos = hit + kSeparator.size();
  }

  std::istringstream lines(*outputs);
  std::string line;
  for (VocabCase& vocab_case : cases) {
    if (!std::getline(lines, line)) break;
    std::istringstream numbers(line);
    int32_t id = 0;
    while (numbers >> id) vocab_case.ids.push_back(id);
  }
  return cases;
}

}  // namespace keel::test
