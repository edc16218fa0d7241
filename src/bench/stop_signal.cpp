#include "bench/stop_signal.h"

#include <csignal>
#include <unistd.h>

namespace keel::bench {
namespace {

std::atomic<bool> g_stop{false};

extern "C" void on_stop_signal(int) {
  if (g_stop.exchange(true)) _exit(130);  // the second signal: the user means it
}

}  // namespace

const std::atomic<bool>& stop_requested_by_signal() {
  static const bool installed = [] {
    struct sigaction action {};
    action.sa_handler = on_stop_signal;
    sigemptyset(&action.sa_mask);
    sigaction(SIGINT, &action, nullptr);
    sigaction(SIGTERM, &action, nullptr);
    return true;
  }();
  (void)installed;
  return g_stop;
}

}  // namespace keel::bench
