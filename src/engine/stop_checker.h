// StopChecker: finds stop strings in streamed text.
//
// Generated text arrives in deltas; a stop string may straddle two of them.
// The checker releases text only when no stop string could still begin in
// it, and on a match releases the text before the stop string and nothing
// after (OpenAI semantics: the stop string itself is not returned).
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace keel {

class StopChecker {
 public:
  explicit StopChecker(std::vector<std::string> stop_strings);

  struct Step {
    std::string text;      // safe to send now
    bool stopped = false;  // a stop string matched; generation must end
  };

  // Adds a text delta; returns what may be released.
  Step push(std::string_view delta);
  // At the end of generation: releases whatever was held back.
  std::string flush();

  // The same without temporaries, for the serving engine's step loop:
  // appends the releasable text to `released` and returns true when a stop
  // string matched. Allocates nothing once `released` has room (the held
  // text is bounded by the longest stop string plus one delta).
  bool push_into(std::string_view delta, std::string& released);
  void flush_into(std::string& released);

 private:
  std::vector<std::string> stops_;
  std::string pending_;  // text not yet released
  bool stopped_ = false;
};

}  // namespace keel
