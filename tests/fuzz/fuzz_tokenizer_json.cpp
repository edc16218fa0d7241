// libFuzzer entry point: Tokenizer::from_hf_json on arbitrary bytes taken as
// a Hugging Face tokenizer.json. A file that loads is then used: a fixed
// string and the tail of the input itself are encoded and decoded, so the
// normalizer, pre-tokenizer regexes, added-token splitting, BPE merges and
// the decoder all run on whatever tables the input built.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "tokenizer/tokenizer.h"

namespace {

// Enough text to reach every encoder path, short enough to keep each run fast.
constexpr size_t kMaxSampleBytes = 256;

// A mix that touches ASCII words, digits, punctuation, runs of spaces,
// newlines, multi-byte UTF-8, an invalid byte and common special tokens.
constexpr std::string_view kFixedText =
    "Hello, world!  It's 2024 -- caf\xC3\xA9 \xE2\x96\x81x \xF0\x9F\x98\x80\n\tend\xFF"
    "<|im_end|><|endoftext|></s><s>";

size_t use_ids(const keel::Tokenizer& tokenizer, const std::vector<int32_t>& ids) {
  size_t sum = tokenizer.decode(ids, /*skip_special=*/true).size();
  sum += tokenizer.decode(ids, /*skip_special=*/false).size();
  auto checked = tokenizer.decode_checked(ids);
  if (checked.ok()) sum += checked->size();
  keel::IncrementalDetokenizer stream(tokenizer);
  for (int32_t id : ids) sum += stream.push(id).size();
  sum += stream.flush().size();
  for (int32_t id : ids) sum += tokenizer.token_text(id).size() + tokenizer.token_bytes(id).size();
  return sum;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  auto tokenizer = keel::Tokenizer::from_hf_json(input, /*tokenizer_config_json=*/"");
  if (!tokenizer.ok()) return 0;

  // The tail of the input: mutations of the file also mutate the text.
  const std::string_view sample = input.substr(size - std::min(size, kMaxSampleBytes));
  size_t sum = tokenizer->describe().size();
  for (std::string_view text : {kFixedText, sample}) {
    for (bool parse_special : {false, true}) {
      sum += use_ids(*tokenizer, tokenizer->encode(text, /*add_bos=*/true, parse_special));
    }
  }
  // Out-of-range and negative ids must decode to U+FFFD, not read outside the tables.
  const std::vector<int32_t> odd_ids = {-1, tokenizer->vocab_size(), INT32_MAX};
  sum += use_ids(*tokenizer, odd_ids);
  for (int32_t id : tokenizer->end_of_generation_ids()) sum += tokenizer->is_end_of_generation(id) ? 1 : 0;
  return sum == 1 ? 0 : 0;  // keep `sum` observable without affecting the result
}
