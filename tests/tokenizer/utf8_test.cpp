// UTF-8 repair must match Python's bytes.decode("utf-8", "replace") (one
// U+FFFD per maximal invalid subpart, Unicode 3-7); expectations below are
// the values Python documents and produces for these inputs.
#include <gtest/gtest.h>

#include "tokenizer/tokenizer.h"
#include "core/utf8.h"

namespace keel {
namespace {

const std::string kFffd = "\xEF\xBF\xBD";

TEST(Utf8Sanitize, MatchesPythonReplace) {
  EXPECT_EQ(utf8::sanitize("abc"), "abc");
  EXPECT_EQ(utf8::sanitize("\xFF"), kFffd);                           // b'\xff'
  EXPECT_EQ(utf8::sanitize("\xE2\x82" "A"), kFffd + "A");             // truncated 3-byte sequence: one U+FFFD
  EXPECT_EQ(utf8::sanitize("\xF0\x9F\x98"), kFffd);                   // truncated 4-byte sequence at end
  EXPECT_EQ(utf8::sanitize("\xED\xA0\x80"), kFffd + kFffd + kFffd);   // surrogate: three
  EXPECT_EQ(utf8::sanitize("\xC0\xAF"), kFffd + kFffd);               // overlong: two
  EXPECT_EQ(utf8::sanitize("\xF4\x90\x80\x80"), kFffd + kFffd + kFffd + kFffd);  // above U+10FFFF
  EXPECT_EQ(utf8::sanitize("\x80" "a\xC3\xA9"), kFffd + "a\xC3\xA9");
}

TEST(Utf8Sanitize, IncompleteTailIsOnlyAValidPrefix) {
  EXPECT_EQ(utf8::incomplete_tail_length("a\xF0\x9F\x98"), 3u);
  EXPECT_EQ(utf8::incomplete_tail_length("a\xE2"), 1u);
  EXPECT_EQ(utf8::incomplete_tail_length("a\xE0\x80"), 0u);  // E0 80 can never become valid
  EXPECT_EQ(utf8::incomplete_tail_length("a\xF0\x9F\x98\x80"), 0u);
  EXPECT_EQ(utf8::incomplete_tail_length("\x80\x80"), 0u);
}

}  // namespace
}  // namespace keel
