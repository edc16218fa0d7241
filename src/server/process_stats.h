// ProcessStats: what the kernel says about this process — resident memory,
// anonymous memory plus swap (the part that leaks show up in; swap hides
// leaks from RSS alone), CPU time and open file descriptors.
#pragma once

#include <cstdint>

namespace keel::server {

struct ProcessStats {
  int64_t resident_bytes = 0;
  int64_t anon_and_swap_bytes = 0;
  double cpu_seconds = 0.0;
  int64_t open_fds = 0;
  double start_time_seconds = 0.0;  // since the Unix epoch
};

// Reads /proc/self; fields that cannot be read stay 0.
ProcessStats read_process_stats();

}  // namespace keel::server
