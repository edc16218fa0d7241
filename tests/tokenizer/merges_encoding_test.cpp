// tokenizer.json merges come as legacy "a b" strings or, since tokenizers
// 0.20, as ["a", "b"] pairs. Both spellings of the same list must give the
// same ids. The tokenizer.json used is a golden fixture when one exists;
// otherwise a small hand-made byte-level vocabulary.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "test_paths.h"
#include "tokenizer/tokenizer.h"

namespace keel {
namespace {

using nlohmann::json;

// A tiny byte-level vocabulary: the printable ASCII letters plus "Ġ" and a
// few merges, enough to exercise rank order.
json tiny_tokenizer_json() {
  json vocab = json::object();
  int id = 0;
  for (char c = 'a'; c <= 'z'; ++c) vocab[std::string(1, c)] = id++;
  vocab["\xC4\xA0"] = id++;  // "Ġ" = space
  for (const char* merged : {"he", "ll", "llo", "hello", "\xC4\xA0w", "or", "\xC4\xA0wor", "ld", "\xC4\xA0world"}) {
    vocab[merged] = id++;
  }
  json merges = json::array(
      {"h e", "l l", "ll o", "he llo", "\xC4\xA0 w", "o r", "\xC4\xA0w or", "l d", "\xC4\xA0wor ld"});
  return json{{"version", "1.0"},
              {"added_tokens", json::array()},
              {"normalizer", nullptr},
              {"pre_tokenizer", {{"type", "ByteLevel"}, {"add_prefix_space", false}, {"use_regex", true}}},
              {"post_processor", nullptr},
              {"decoder", {{"type", "ByteLevel"}}},
              {"model", {{"type", "BPE"}, {"vocab", vocab}, {"merges", merges}}}};
}

json with_pair_merges(json tokenizer) {
  json pairs = json::array();
  for (const json& merge : tokenizer["model"]["merges"]) {
    if (merge.is_array()) return tokenizer;  // already pairs
    const std::string line = merge.get<std::string>();
    const size_t space = line.find(' ');
    pairs.push_back(json::array({line.substr(0, space), line.substr(space + 1)}));
  }
  tokenizer["model"]["merges"] = pairs;
  return tokenizer;
}

json with_legacy_merges(json tokenizer) {
  json lines = json::array();
  for (const json& merge : tokenizer["model"]["merges"]) {
    if (merge.is_string()) return tokenizer;
    lines.push_back(merge[0].get<std::string>() + " " + merge[1].get<std::string>());
  }
  tokenizer["model"]["merges"] = lines;
  return tokenizer;
}

void expect_same_ids(const json& tokenizer_json, const std::vector<std::string>& texts) {
  const auto legacy = Tokenizer::from_hf_json(with_legacy_merges(tokenizer_json).dump(), "");
  const auto pairs = Tokenizer::from_hf_json(with_pair_merges(tokenizer_json).dump(), "");
  ASSERT_TRUE(legacy.ok()) << legacy.error().message;
  ASSERT_TRUE(pairs.ok()) << pairs.error().message;
  for (const std::string& text : texts) {
    EXPECT_EQ(legacy->encode(text, false, true), pairs->encode(text, false, true)) << text;
  }
}

TEST(MergesEncoding, LegacyStringsAndPairsGiveTheSameIds) {
  const json tiny = tiny_tokenizer_json();
  expect_same_ids(tiny, {"hello world", "hellohello", "world"});
  // And the merges are really applied: "hello world" is two tokens.
  const auto tokenizer = Tokenizer::from_hf_json(tiny.dump(), "");
  ASSERT_TRUE(tokenizer.ok());
  EXPECT_EQ(tokenizer->encode("hello world", false, true).size(), 2u);
}

TEST(MergesEncoding, GoldenTokenizersGiveTheSameIdsInBothSpellings) {
  const auto root = test::golden_dir() / "tokenizers";
  if (!std::filesystem::is_directory(root)) GTEST_SKIP() << "no golden tokenizers yet";
  int checked = 0;
  for (const auto& entry : std::filesystem::directory_iterator(root)) {
    const auto text = test::read_file(entry.path() / "tokenizer.json");
    if (!text) continue;
    const json tokenizer = json::parse(*text, nullptr, false);
    if (tokenizer.is_discarded()) continue;
    // Legacy strings cannot spell merges whose parts contain a space.
    bool has_space = false;
    for (const json& merge : tokenizer["model"]["merges"]) {
      if (merge.is_array() && (merge[0].get<std::string>().find(' ') != std::string::npos ||
                               merge[1].get<std::string>().find(' ') != std::string::npos)) {
        has_space = true;
      }
    }
    if (has_space) continue;
    expect_same_ids(tokenizer, {"Hello world! 12345 éèà 你好 🦙", "  indented\n\tcode();"});
    ++checked;
  }
  if (checked == 0) GTEST_SKIP() << "no usable golden tokenizer.json";
}

}  // namespace
}  // namespace keel
