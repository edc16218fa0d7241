// LoadProgressDisplay: model-loading progress for `keel serve` (the
// LoadProgress callback of load_model). On a terminal it redraws one bar in
// place; anywhere else (a log file, journald, a test harness) it writes a
// plain line every 10 %, because carriage returns make unreadable logs.
//
//   LoadProgressDisplay display(stderr, isatty(fileno(stderr)));
//   load_model(path, options, [&](double f, std::string_view m) { display.update(f, m); });
//   display.finish();
#pragma once

#include <cstdio>
#include <string_view>

namespace keel::server {

class LoadProgressDisplay {
 public:
  LoadProgressDisplay(std::FILE* out, bool terminal) : out_(out), terminal_(terminal) {}

  // `fraction` in [0, 1]. Draws only when the shown value changes, so a
  // call per tensor costs nothing much.
  void update(double fraction, std::string_view message);
  // Ends the bar's line (a terminal) so that later output starts clean.
  void finish();

 private:
  static constexpr int kBarWidth = 30;
  static constexpr int kLogStepPercent = 10;

  std::FILE* out_;
  bool terminal_;
  int shown_percent_ = -1;  // last value drawn (terminal) or logged (otherwise)
  bool bar_open_ = false;   // a bar line is on screen without its newline
};

}  // namespace keel::server
