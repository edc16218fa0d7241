// Where the tokenizer tests find their reference data, and small readers.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace keel::test {

// ../shared/testdata/vocab next to the repository (llama.cpp's vocab GGUFs).
std::filesystem::path shared_vocab_dir();
// tests/golden in the repository.
std::filesystem::path golden_dir();

std::optional<std::string> read_file(const std::filesystem::path& path);

// One case of a llama.cpp .inp/.out pair.
struct VocabCase {
  std::string text;
  std::vector<int32_t> ids;
};
// Splits X.inp on "\n__ggml_vocab_test__\n" and pairs each text with the
// ids on the same line of X.out. Empty when the files are missing.
std::vector<VocabCase> read_vocab_cases(const std::filesystem::path& gguf_path);

}  // namespace keel::test
