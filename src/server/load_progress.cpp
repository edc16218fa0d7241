#include "server/load_progress.h"

#include <algorithm>
#include <cmath>
#include <string>

namespace keel::server {

void LoadProgressDisplay::update(double fraction, std::string_view message) {
  const int percent = static_cast<int>(std::floor(std::clamp(fraction, 0.0, 1.0) * 100.0));
  if (terminal_) {
    if (percent == shown_percent_) return;
    shown_percent_ = percent;
    const int filled = percent * kBarWidth / 100;
    const std::string bar = std::string(static_cast<size_t>(filled), '#') +
                            std::string(static_cast<size_t>(kBarWidth - filled), '.');
    // \r back to the line start, \033[K clears what a longer message left.
    std::fprintf(out_, "\rkeel: loading [%s] %3d%% %.*s\033[K", bar.c_str(), percent,
                 static_cast<int>(std::min<size_t>(message.size(), 60)), message.data());
    bar_open_ = true;
  } else {
    const int step = percent / kLogStepPercent * kLogStepPercent;
    if (step <= shown_percent_) return;
    shown_percent_ = step;
    std::fprintf(out_, "keel: loading %d%% (%.*s)\n", step, static_cast<int>(message.size()), message.data());
  }
  std::fflush(out_);
}

void LoadProgressDisplay::finish() {
  if (!bar_open_) return;
  std::fputc('\n', out_);
  std::fflush(out_);
  bar_open_ = false;
}

}  // namespace keel::server
