// ReasoningStream: <think>...</think> at the start of a turn becomes
// reasoning, the rest content, however the text is cut into pieces.
#include "server/reasoning_stream.h"

#include <gtest/gtest.h>

namespace keel::server {
namespace {

// Feeds `output` in pieces of `step` bytes; returns {reasoning, content}.
ReasoningSplit split(const std::string& output, size_t step) {
  ReasoningStream stream;
  ReasoningSplit all;
  for (size_t at = 0; at < output.size(); at += step) {
    const ReasoningSplit part = stream.push(std::string_view(output).substr(at, step));
    all.reasoning += part.reasoning;
    all.content += part.content;
  }
  const ReasoningSplit rest = stream.finish();
  all.reasoning += rest.reasoning;
  all.content += rest.content;
  return all;
}

TEST(ReasoningStream, SplitsThinkingFromTheAnswerAtAnyCut) {
  struct Case {
    std::string output, reasoning, content;
  };
  const Case cases[] = {
      {"<think>Paris is the capital.</think>\n\nParis.", "Paris is the capital.", "Paris."},
      {"\n<think>a < b, so </thin k></think>x", "a < b, so </thin k>", "x"},
      {"<think></think>\nNo thought.", "", "No thought."},
      {"Just an answer <think>not at the start</think>", "", "Just an answer <think>not at the start</think>"},
      {"<think>cut off before the end", "cut off before the end", ""},
      {"<thi", "", "<thi"},
      {"", "", ""},
  };
  for (const Case& c : cases)
    for (size_t step = 1; step <= c.output.size() + 1; ++step) {
      const ReasoningSplit out = split(c.output, step);
      EXPECT_EQ(out.reasoning, c.reasoning) << c.output << " in pieces of " << step;
      EXPECT_EQ(out.content, c.content) << c.output << " in pieces of " << step;
    }
}

TEST(ReasoningStream, ReleasesReasoningBeforeTheTurnEnds) {
  ReasoningStream stream;
  EXPECT_EQ(stream.push("<think>step one, ").reasoning, "step one, ");
  EXPECT_EQ(stream.push("step two</th").reasoning, "step two");  // "</th" may be the end tag: held
  const ReasoningSplit last = stream.push("ink>answer");
  EXPECT_EQ(last.reasoning, "");
  EXPECT_EQ(last.content, "answer");
}

TEST(ReasoningStream, KnowsWhichTemplatesThink) {
  EXPECT_TRUE(template_thinks("{{ '<think>\\n' }}"));
  EXPECT_FALSE(template_thinks("{{ messages[0].content }}"));
}

}  // namespace
}  // namespace keel::server
