#include "bench/machine_info.h"

#include <sys/utsname.h>
#include <unistd.h>

#include <fstream>
#include <string>
#include <thread>

namespace keel::bench {
namespace {

// The value of the first "key : value" line of a /proc file that starts with `key`.
std::string proc_field(const char* path, const std::string& key) {
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    if (!line.starts_with(key)) continue;
    const size_t colon = line.find(':');
    if (colon == std::string::npos) continue;
    const size_t start = line.find_first_not_of(" \t", colon + 1);
    return start == std::string::npos ? std::string() : line.substr(start);
  }
  return {};
}

}  // namespace

nlohmann::json describe_machine() {
  nlohmann::json machine;
  utsname names{};
  if (::uname(&names) == 0) {
    machine["hostname"] = names.nodename;
    machine["os"] = std::string(names.sysname) + " " + names.release + " " + names.machine;
  }
  machine["cpu"] = proc_field("/proc/cpuinfo", "model name");
  machine["cores"] = std::thread::hardware_concurrency();
  const std::string total = proc_field("/proc/meminfo", "MemTotal");  // "131072000 kB"
  machine["memory_bytes"] = total.empty() ? 0 : std::stoll(total) * 1024;
  return machine;
}

}  // namespace keel::bench
