// The CPUs this process may run on: its affinity mask (taskset, cpusets,
// a container's --cpuset-cpus), not every CPU the machine has. A compute
// pool sized to the machine instead oversubscribes a process confined to
// fewer CPUs, and its spinning threads then take turns on them.
#pragma once

#include <vector>

namespace keel {

// The ids of the CPUs in this thread's affinity mask, ascending; when the
// mask cannot be read, 0 .. hardware_concurrency - 1.
std::vector<int> usable_cpus();

// usable_cpus().size(), at least 1.
unsigned usable_cpu_count();

}  // namespace keel
