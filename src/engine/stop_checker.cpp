#include "engine/stop_checker.h"

#include <algorithm>

namespace keel {

StopChecker::StopChecker(std::vector<std::string> stop_strings) : stops_(std::move(stop_strings)) {
  std::erase_if(stops_, [](const std::string& s) { return s.empty(); });
  size_t longest = 0;
  for (const auto& stop : stops_) longest = std::max(longest, stop.size());
  pending_.reserve(longest + 64);  // held text: < one stop string, plus the delta being checked
}

StopChecker::Step StopChecker::push(std::string_view delta) {
  Step step;
  step.stopped = push_into(delta, step.text);
  return step;
}

std::string StopChecker::flush() {
  std::string rest;
  flush_into(rest);
  return rest;
}

bool StopChecker::push_into(std::string_view delta, std::string& released) {
  if (stopped_) return false;
  pending_.append(delta);

  // The earliest complete match wins.
  size_t match = std::string::npos;
  for (const auto& stop : stops_) match = std::min(match, pending_.find(stop));
  if (match != std::string::npos) {
    released.append(pending_, 0, match);
    stopped_ = true;
    pending_.clear();
    return true;
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
  released.append(pending_, 0, pending_.size() - hold);
  pending_.erase(0, pending_.size() - hold);
  return false;
}

void StopChecker::flush_into(std::string& released) {
  released.append(pending_);
  pending_.clear();
}

}  // namespace keel
