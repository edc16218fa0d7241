// Model-loading progress: a bar redrawn in place on a terminal, a plain
// line every 10 % anywhere else.
#include "server/load_progress.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <string>

namespace keel::server {
namespace {

// Runs `draw` against an in-memory FILE and returns what it wrote.
template <class Draw>
std::string captured(Draw draw) {
  char* buffer = nullptr;
  size_t size = 0;
  std::FILE* out = open_memstream(&buffer, &size);
  draw(out);
  std::fclose(out);
  std::string text(buffer, size);
  std::free(buffer);
  return text;
}

size_t count(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

TEST(LoadProgress, LogLinesEveryTenPercentWithoutTerminal) {
  const std::string text = captured([](std::FILE* out) {
    LoadProgressDisplay display(out, /*terminal=*/false);
    for (int i = 0; i <= 1000; ++i) display.update(i / 1000.0, "binding blk.0.attn_q.weight");
    display.finish();
  });
  EXPECT_EQ(count(text, "\n"), 11u) << text;  // 0, 10, ..., 100
  EXPECT_EQ(count(text, "\r"), 0u);
  EXPECT_NE(text.find("keel: loading 50% (binding blk.0.attn_q.weight)\n"), std::string::npos) << text;
  EXPECT_NE(text.find("keel: loading 100%"), std::string::npos) << text;
}

TEST(LoadProgress, BarRedrawsInPlaceOnTerminal) {
  const std::string text = captured([](std::FILE* out) {
    LoadProgressDisplay display(out, /*terminal=*/true);
    for (int i = 0; i <= 1000; ++i) display.update(i / 1000.0, "binding");
    display.finish();
  });
  EXPECT_EQ(count(text, "\r"), 101u);      // once per percent, not per call
  EXPECT_EQ(count(text, "\n"), 1u);        // finish() ends the line
  EXPECT_NE(text.find("[##############################] 100%"), std::string::npos) << text;
}

}  // namespace
}  // namespace keel::server
