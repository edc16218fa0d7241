// Hugging Face `tokenizers` reference fixtures in tests/golden/tokenizers/
// <name>/ (tokenizer.json, tokenizer_config.json, expected.jsonl with one
// {"text_b64", "ids", "ids_plain", "decoded"} object per line), and the GGUF
// files llama.cpp converted from the same tokenizers in
// tests/golden/<name>/model-f32.gguf. Skips when no fixtures exist yet.
#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>

#include "format/gguf.h"
#include "test_paths.h"
#include "tokenizer/tokenizer.h"

namespace keel {
namespace {

using nlohmann::json;

std::string base64_decode(std::string_view text) {
  auto value = [](char c) -> int {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+' || c == '-') return 62;
    if (c == '/' || c == '_') return 63;
    return -1;
  };
  std::string out;
  uint32_t buffer = 0;
  int bits = 0;
  for (char c : text) {
    const int v = value(c);
    if (v < 0) continue;  // padding
    buffer = (buffer << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((buffer >> bits) & 0xFF));
    }
  }
  return out;
}

struct GoldenCase {
  std::string text;
  std::vector<int32_t> ids;
  std::vector<int32_t> ids_plain;
  std::optional<std::string> decoded;
};

std::vector<GoldenCase> read_cases(const std::filesystem::path& path) {
  std::vector<GoldenCase> cases;
  std::ifstream file(path);
  std::string line;
  while (std::getline(file, line)) {
    const json entry = json::parse(line, nullptr, false);
    if (entry.is_discarded() || !entry.is_object() || !entry.contains("text_b64")) continue;
    GoldenCase golden;
    golden.text = base64_decode(entry["text_b64"].get<std::string>());
    golden.ids = entry.value("ids", std::vector<int32_t>());
    golden.ids_plain = entry.value("ids_plain", golden.ids);
    if (entry.contains("decoded") && entry["decoded"].is_string()) golden.decoded = entry["decoded"];
    cases.push_back(std::move(golden));
  }
  return cases;
}

std::vector<std::filesystem::path> fixture_dirs() {
  std::vector<std::filesystem::path> dirs;
  const auto root = test::golden_dir() / "tokenizers";
  if (!std::filesystem::is_directory(root)) return dirs;
  for (const auto& entry : std::filesystem::directory_iterator(root)) {
    if (std::filesystem::exists(entry.path() / "tokenizer.json") &&
        std::filesystem::exists(entry.path() / "expected.jsonl")) {
      dirs.push_back(entry.path());
    }
  }
  std::sort(dirs.begin(), dirs.end());
  return dirs;
}

std::string show(const std::vector<int32_t>& ids) {
  std::string out;
  for (int32_t id : ids) out += " " + std::to_string(id);
  return out;
}

struct Agreement {
  size_t ids = 0, plain = 0, decoded = 0, decoded_total = 0, total = 0;
};

Agreement check(const Tokenizer& tokenizer, const std::vector<GoldenCase>& cases, bool check_decode) {
  Agreement agreement;
  for (const GoldenCase& golden : cases) {
    ++agreement.total;
    const auto ids = tokenizer.encode(golden.text, false, true);
    if (ids == golden.ids) ++agreement.ids;
    else ADD_FAILURE() << "ids for \"" << golden.text << "\"\n  expected" << show(golden.ids) << "\n  got     " << show(ids);
    const auto plain = tokenizer.encode(golden.text, false, false);
    if (plain == golden.ids_plain) ++agreement.plain;
    else ADD_FAILURE() << "ids_plain for \"" << golden.text << "\"\n  expected" << show(golden.ids_plain) << "\n  got     " << show(plain);
    if (check_decode && golden.decoded) {
      ++agreement.decoded_total;
      const std::string decoded = tokenizer.decode(golden.ids, /*skip_special=*/false);
      if (decoded == *golden.decoded) ++agreement.decoded;
      else ADD_FAILURE() << "decode of" << show(golden.ids) << "\n  expected \"" << *golden.decoded << "\"\n  got      \"" << decoded << "\"";
    }
  }
  return agreement;
}

TEST(HfGolden, TokenizerJsonMatchesHuggingFace) {
  const auto dirs = fixture_dirs();
  if (dirs.empty()) GTEST_SKIP() << "no fixtures in " << test::golden_dir() / "tokenizers";
  for (const auto& dir : dirs) {
    SCOPED_TRACE(dir.string());
    const auto tokenizer = Tokenizer::from_hf_dir(dir);
    ASSERT_TRUE(tokenizer.ok()) << tokenizer.error().message;
    const Agreement a = check(*tokenizer, read_cases(dir / "expected.jsonl"), true);
    std::printf("[ agreement ] %s (tokenizer.json): ids %zu/%zu, ids_plain %zu/%zu, decoded %zu/%zu\n",
                dir.filename().c_str(), a.ids, a.total, a.plain, a.total, a.decoded, a.decoded_total);
  }
}

TEST(HfGolden, ConvertedGgufMatchesHuggingFace) {
  int checked = 0;
  for (const auto& dir : fixture_dirs()) {
    const auto gguf_path = test::golden_dir() / dir.filename() / "model-f32.gguf";
    if (!std::filesystem::exists(gguf_path)) continue;
    SCOPED_TRACE(gguf_path.string());
    const auto file = GgufFile::open(gguf_path);
    ASSERT_TRUE(file.ok()) << file.error().message;
    const auto tokenizer = Tokenizer::from_gguf(*file);
    ASSERT_TRUE(tokenizer.ok()) << tokenizer.error().message;
    // Decoding from GGUF has no clean_up_tokenization_spaces setting, so
    // only ids are compared here.
    const Agreement a = check(*tokenizer, read_cases(dir / "expected.jsonl"), false);
    std::printf("[ agreement ] %s (GGUF): ids %zu/%zu, ids_plain %zu/%zu\n", dir.filename().c_str(), a.ids, a.total,
                a.plain, a.total);
    ++checked;
  }
  if (checked == 0) GTEST_SKIP() << "no converted GGUF next to the fixtures";
}

// The SentencePiece fixture: a BPE model trained with the sentencepiece
// library (byte fallback, split digits, dummy prefix), converted to a
// vocab-only GGUF by llama.cpp. "ids_sp" are sentencepiece's own ids (it
// knows no special-token text); "ids" are Hugging Face's, which split out
// special tokens.
TEST(HfGolden, SentencePieceGgufMatchesSentencePiece) {
  const auto dir = test::golden_dir() / "tokenizers" / "spm";
  if (!std::filesystem::exists(dir / "vocab.gguf")) GTEST_SKIP() << "no SentencePiece fixture in " << dir;
  const auto file = GgufFile::open(dir / "vocab.gguf");
  ASSERT_TRUE(file.ok()) << file.error().message;
  const auto tokenizer = Tokenizer::from_gguf(*file);
  ASSERT_TRUE(tokenizer.ok()) << tokenizer.error().message;

  std::ifstream lines(dir / "expected.jsonl");
  std::string line;
  size_t cases = 0, agree_sp = 0, agree_hf = 0;
  while (std::getline(lines, line)) {
    const json entry = json::parse(line);
    const std::string text = base64_decode(entry["text_b64"].get<std::string>());
    const auto sp_ids = entry["ids_sp"].get<std::vector<int32_t>>();
    const auto hf_ids = entry["ids"].get<std::vector<int32_t>>();
    ++cases;
    agree_sp += tokenizer->encode(text, /*add_bos=*/false, /*parse_special=*/false) == sp_ids;
    agree_hf += tokenizer->encode(text, /*add_bos=*/false, /*parse_special=*/true) == hf_ids;
  }
  std::printf("spm: %zu/%zu cases equal to sentencepiece, %zu/%zu equal to Hugging Face\n", agree_sp, cases,
              agree_hf, cases);
  EXPECT_GT(cases, 50u);
  EXPECT_EQ(agree_sp, cases);
  EXPECT_EQ(agree_hf, cases);
}

}  // namespace
}  // namespace keel
