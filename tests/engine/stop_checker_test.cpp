#include "engine/stop_checker.h"

#include <gtest/gtest.h>

namespace keel {
namespace {

// Feeds `deltas` and returns everything released plus whether it stopped.
std::pair<std::string, bool> run(StopChecker& checker, const std::vector<std::string>& deltas) {
  std::string out;
  for (const auto& d : deltas) {
    auto step = checker.push(d);
    out += step.text;
    if (step.stopped) return {out, true};
  }
  return {out + checker.flush(), false};
}

TEST(StopChecker, NoStopStringsPassesEverythingThrough) {
  StopChecker checker({});
  EXPECT_EQ(run(checker, {"Hello", ", ", "world"}), std::make_pair(std::string("Hello, world"), false));
}

TEST(StopChecker, StopStringSplitAcrossDeltasIsFoundAndRemoved) {
  StopChecker checker({"END"});
  EXPECT_EQ(run(checker, {"abc E", "N", "Dxyz"}), std::make_pair(std::string("abc "), true));
}

TEST(StopChecker, PossiblePrefixIsHeldBackUntilResolved) {
  StopChecker checker({"</s>"});
  auto first = checker.push("a<");
  EXPECT_EQ(first.text, "a");
  auto second = checker.push("b");
  EXPECT_EQ(second.text, "<b");
  EXPECT_FALSE(second.stopped);
}

TEST(StopChecker, EarliestOfSeveralStopStringsWins) {
  StopChecker checker({"world", "lo"});
  EXPECT_EQ(run(checker, {"hello world"}), std::make_pair(std::string("hel"), true));
}

TEST(StopChecker, FlushReleasesHeldText) {
  StopChecker checker({"###"});
  EXPECT_EQ(checker.push("a##").text, "a");
  EXPECT_EQ(checker.flush(), "##");
}

}  // namespace
}  // namespace keel
