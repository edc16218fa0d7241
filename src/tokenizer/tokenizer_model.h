// TokenizerModel: everything a Tokenizer needs, filled in by a loader
// (gguf_loader.cpp, hf_json_loader.cpp) and read by the encoder and
// decoder. Private to src/tokenizer/.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "core/result.h"
#include "tokenizer/added_tokens.h"
#include "tokenizer/bpe_merges.h"
#include "tokenizer/regex_splitter.h"
#include "tokenizer/tokenizer.h"

namespace keel::detail {

// Lets an unordered_map<std::string, ...> be searched with a string_view.
struct StringHash {
  using is_transparent = void;
  size_t operator()(std::string_view text) const { return std::hash<std::string_view>{}(text); }
};
using TokenIdMap = std::unordered_map<std::string, int32_t, StringHash, std::equal_to<>>;

// How a BPE word is merged.
enum class MergeStyle {
  RankedMerges,   // merge list, lowest rank first (tokenizer.json BPE, GGUF gpt2)
  PieceScores,    // SentencePiece: highest piece score first (GGUF llama)
};

// One normalizer step of tokenizer.json (applied to text between added tokens).
struct NormalizerStep {
  enum class Kind { Nfc, Prepend, Replace };
  Kind kind = Kind::Nfc;
  std::string pattern;      // Replace: literal text to find; Prepend: text to put in front
  std::string replacement;  // Replace
};

// One pre-tokenizer step; each re-splits every piece made by the previous one.
struct PreTokenizerStep {
  enum class Kind { Regex, ByteLevel, Metaspace };
  Kind kind = Kind::Regex;
  std::optional<RegexSplitter> regex;  // Regex; ByteLevel with use_regex (GPT-2 pattern)
  bool add_prefix_space = false;       // ByteLevel: prepend ' ' to a piece not starting with one
  // Metaspace: ' ' -> replacement; prepend it to the first piece ("first")
  // or to every piece ("always").
  std::string replacement;
  bool prepend_first = false;
  bool prepend_always = false;
  bool split_at_replacement = false;   // Metaspace split:true: a new piece at every replacement
};

enum class DecoderStyle {
  ByteLevel,     // map the GPT-2 alphabet back to bytes
  SentencePiece  // U+2581 -> ' ', <0xXX> runs -> bytes, strip one leading space
};

struct TokenizerModel {
  // --- vocabulary -------------------------------------------------------
  std::vector<std::string> texts;  // by id; "" for ids no file names
  std::vector<TokenKind> kinds;
  std::vector<float> scores;       // PieceScores only
  TokenIdMap ids;                  // text -> id (vocab and added tokens)
  std::array<int32_t, 256> byte_tokens{};  // id of <0xXX>, -1 when absent
  std::optional<int32_t> unk_id;

  // --- encoding ---------------------------------------------------------
  MergeStyle merge_style = MergeStyle::RankedMerges;
  bool byte_level = false;      // pieces are written in the GPT-2 alphabet before BPE
  BpeMerges merges;
  bool ignore_merges = false;   // a pre-token that is a vocab entry skips merging
  bool byte_fallback = false;   // unknown characters become <0xXX> tokens
  bool fuse_unk = false;        // consecutive unknowns give one unk id
  bool add_space_prefix = false;  // PieceScores: dummy prefix at start and after specials
  std::vector<NormalizerStep> normalizer;
  std::vector<PreTokenizerStep> pre_tokenizer;
  AddedTokens added_tokens;

  // --- special ids --------------------------------------------------------
  std::optional<int32_t> bos_id;
  std::optional<int32_t> eos_id;
  bool add_bos = false;
  std::unordered_set<int32_t> end_of_generation;

  // --- decoding -----------------------------------------------------------
  DecoderStyle decoder = DecoderStyle::ByteLevel;
  bool strip_leading_space = false;  // SentencePiece decoders drop the dummy-prefix space
  bool clean_up_spaces = false;      // transformers' clean_up_tokenization_spaces

  std::string description;

  int32_t size() const { return static_cast<int32_t>(texts.size()); }
  bool valid_id(int32_t id) const { return id >= 0 && id < size(); }
};

// Shared loader steps ------------------------------------------------------

// Records <0xXX> byte tokens and adds every token text to `ids`.
void index_vocabulary(TokenizerModel& model);

// Adds ids whose text is a known end-of-turn marker to the EOG set, plus
// `eos_id`.
void collect_end_of_generation(TokenizerModel& model);

}  // namespace keel::detail
