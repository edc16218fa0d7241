#include "server/process_stats.h"

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace keel::server {
namespace {

// "VmRSS:     1234 kB" -> bytes.
int64_t status_kib_field(const std::string& status, const char* name) {
  size_t at = status.find(name);
  if (at == std::string::npos) return 0;
  return std::strtoll(status.c_str() + at + std::strlen(name), nullptr, 10) * 1024;
}

// Process start time, once: boot time + starttime ticks from /proc/self/stat.
double start_time_seconds(unsigned long long start_ticks) {
  std::ifstream stat("/proc/stat");
  std::string key;
  long long boot = 0;
  while (stat >> key) {
    if (key == "btime") {
      stat >> boot;
      break;
    }
  }
  return static_cast<double>(boot) + static_cast<double>(start_ticks) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

}  // namespace

ProcessStats read_process_stats() {
  ProcessStats stats;
  std::ifstream status_file("/proc/self/status");
  std::stringstream status;
  status << status_file.rdbuf();
  const std::string text = status.str();
  stats.resident_bytes = status_kib_field(text, "VmRSS:");
  stats.anon_and_swap_bytes = status_kib_field(text, "RssAnon:") + status_kib_field(text, "VmSwap:");

  std::ifstream stat_file("/proc/self/stat");
  std::string stat;
  std::getline(stat_file, stat);
  // Fields after the command name (which may hold spaces) start after ')'.
  size_t close = stat.rfind(')');
  if (close != std::string::npos) {
    std::istringstream fields(stat.substr(close + 2));
    std::string field;
    unsigned long long utime = 0, stime = 0, start_ticks = 0;
    for (int index = 3; fields >> field; ++index) {
      if (index == 14) utime = std::stoull(field);
      if (index == 15) stime = std::stoull(field);
      if (index == 22) {
        start_ticks = std::stoull(field);
        break;
      }
    }
    const double ticks = static_cast<double>(sysconf(_SC_CLK_TCK));
    stats.cpu_seconds = static_cast<double>(utime + stime) / ticks;
    static const double started = start_time_seconds(start_ticks);
    stats.start_time_seconds = started;
  }

  std::error_code error;
  for (auto it = std::filesystem::directory_iterator("/proc/self/fd", error);
       !error && it != std::filesystem::directory_iterator(); it.increment(error))
    ++stats.open_fds;
  return stats;
}

}  // namespace keel::server
