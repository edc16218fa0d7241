// Ctrl-C for long runs: the first SIGINT or SIGTERM asks the run to stop
// and still report; a second one exits at once.
#pragma once

#include <atomic>

namespace keel::bench {

// Installs the handlers (once) and returns the flag they set.
const std::atomic<bool>& stop_requested_by_signal();

}  // namespace keel::bench
