#include "bench/build_identity.h"

// Both come from src/bench/CMakeLists.txt; only this file sees them, so a new
// commit recompiles one translation unit.
namespace keel::bench {

std::string keel_version() { return KEEL_BENCH_VERSION; }
std::string keel_git_commit() { return KEEL_GIT_COMMIT; }

}  // namespace keel::bench
