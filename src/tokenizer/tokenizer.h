// Tokenizer: text <-> token ids for the model families keel serves.
//
// Two algorithms, loaded from GGUF (`tokenizer.ggml.*`) or from a Hugging
// Face tokenizer.json:
//   - byte-level BPE (GPT-2, Llama-3, Qwen2/3, GLM-4): regex pre-tokenizer,
//     bytes written in the GPT-2 alphabet, merges applied lowest rank first;
//   - SentencePiece BPE (Llama-2, Mistral): spaces as U+2581, merges by piece
//     score, <0xXX> byte fallback.
// The reference for every id is Hugging Face `tokenizers` (and llama.cpp,
// which matches it on the shared test vectors).
//
// Input text that is not valid UTF-8 is first repaired the way Python's
// bytes.decode("utf-8", "replace") does (each maximal invalid subpart becomes
// U+FFFD); the repaired text is what gets tokenized.
//
// A Tokenizer is immutable after loading; copies share the loaded tables and
// every const method may be called from several threads at once.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace keel {

class GgufFile;

enum class TokenKind : uint8_t { Normal, Unknown, Control, UserDefined, Unused, Byte };

namespace detail {
struct TokenizerModel;
}

class Tokenizer {
 public:
  static Result<Tokenizer> from_gguf(const GgufFile& file);
  // Reads dir/tokenizer.json and, when present, dir/tokenizer_config.json.
  static Result<Tokenizer> from_hf_dir(const std::filesystem::path& dir);
  // `tokenizer_config_json` may be empty. It supplies add_bos_token,
  // bos/eos tokens and clean_up_tokenization_spaces.
  static Result<Tokenizer> from_hf_json(std::string_view tokenizer_json, std::string_view tokenizer_config_json);

  // add_bos: prepend BOS when the model's files say so (add_bos_token).
  // parse_special: split special (control) token text out of `text` as
  // single ids. With false that text is tokenized as plain text; user-defined
  // added tokens are still split out, as HF and llama.cpp do.
  std::vector<int32_t> encode(std::string_view text, bool add_bos, bool parse_special) const;

  // The raw bytes this token contributes to generated text; may be part of
  // a UTF-8 sequence. Control and unknown tokens give "" (they are markup,
  // not text); out-of-range ids give "".
  std::string token_bytes(int32_t id) const;

  // Hugging Face compatible decode: byte-level tokens are joined and read as
  // UTF-8 with U+FFFD for invalid sequences; SentencePiece output loses the
  // one leading space of the dummy prefix and runs of <0xXX> tokens that are
  // not valid UTF-8 give one U+FFFD per byte. Ids out of range decode to
  // U+FFFD (decode_checked reports them instead).
  std::string decode(std::span<const int32_t> ids, bool skip_special = true) const;
  Result<std::string> decode_checked(std::span<const int32_t> ids, bool skip_special = true) const;

  int32_t vocab_size() const;
  std::optional<int32_t> bos_id() const;
  std::optional<int32_t> eos_id() const;
  bool adds_bos() const;
  // eos, eot, eom (and FIM end markers) plus tokens whose text is one of the
  // known end-of-turn markers (<|eot_id|>, <|im_end|>, <|endoftext|>, ...).
  bool is_end_of_generation(int32_t id) const;
  std::vector<int32_t> end_of_generation_ids() const;
  std::optional<int32_t> token_id(std::string_view text) const;  // exact vocab / added-token text
  std::string_view token_text(int32_t id) const;                  // as stored; "" when out of range
  TokenKind token_kind(int32_t id) const;                          // Unused when out of range
  std::string describe() const;  // e.g. "byte-level BPE (pre-tokenizer qwen2), 151936 tokens"

 private:
  explicit Tokenizer(std::shared_ptr<const detail::TokenizerModel> model);
  std::shared_ptr<const detail::TokenizerModel> model_;
};

// Streaming detokenization: feed generated ids one at a time; each call
// returns the new text. A UTF-8 sequence split across tokens is held back
// until it is complete, so every returned string is valid UTF-8. Token bytes
// are used as they are (no SentencePiece leading-space strip): a reply's
// first token keeps its space, as it should after a prompt.
class IncrementalDetokenizer {
 public:
  explicit IncrementalDetokenizer(const Tokenizer& tokenizer);
  std::string push(int32_t id);
  // Returns whatever is still held back (an unfinished sequence becomes U+FFFD).
  std::string flush();

 private:
  Tokenizer tokenizer_;  // a copy shares the tables, so no lifetime ties to the caller's
  std::string pending_;  // bytes not yet returned
};

}  // namespace keel
