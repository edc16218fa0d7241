#include "engine/stop_checker.h"

#include <algorithm>

namespace keel {

StopChecker::StopChecker(std::vector<std::string> stop_strings) : stops_(std::move(stop_strings)) {
  std::erase_if(stops_, [](const std::string& s) { return s.empty(); });
}

StopChecker::Step StopChecker::push(std::string_view delta) {
  Step step;
  if (stopped_) return step;
  pending_.append(delta);

  // The earliest complete match wins.
  size_t match = std::string::npos;
  for (const auto& stop : stops_) match = std::min(match, pending_.find(stop));
  if (match != std::string::npos) {
    step.text = pending_.substr(0, match);
    step.stopped = stopped_ = true;
    pending_.clear();
    return step;
  }

  // Hold back the longest suffix that is a proper prefix of some stop string.
  size_t hold = 0;
  for (const auto& stop : stops_) {
    const size_t longest = std::min(stop.size() - 1, pending_.size());
    for (size_t len = longest; len > hold; --len) {
      if (std::string_view(pending_).substr(pending_.size() - len) == std::string_view(stop).substr(0, len)) {
        hold = len;
        break;
      }
    }
  }
  step.text = pending_.substr(0, pending_.size() - hold);
  pending_.erase(0, pending_.size() - hold);
  return step;
}

std::string StopChecker::flush() {
  std::string rest;
  rest.swap(pending_);
  return rest;
}

}  // namespace keel
