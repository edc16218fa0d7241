// A description of the machine a result was measured on, so that two
// result files from different machines are not compared unawares.
#pragma once

#include <nlohmann/json.hpp>

namespace keel::bench {

// {hostname, os, cpu, cores, memory_bytes}: from uname, /proc/cpuinfo and /proc/meminfo.
nlohmann::json describe_machine();

}  // namespace keel::bench
