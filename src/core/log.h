// Logging goes through spdlog. keel writes human-readable lines to stderr;
// stdout is reserved for command output (ids, text, JSON) that scripts read.
#pragma once

#include <spdlog/spdlog.h>

namespace keel {

// Sets up the process-wide logger once: stderr, level from the KEEL_LOG
// environment variable (trace, debug, info, warn, error, off; default warn).
void init_logging();

}  // namespace keel
