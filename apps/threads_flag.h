// --threads / -t: how many threads the CPU backend computes with, the
// thread that runs the engine's step included (default: one per CPU this
// process may run on). Shared by every command that runs a model.
#pragma once

#include <cstdint>

#include <CLI/CLI.hpp>

namespace keel::cli {

// The pool is process-wide and made when the first model loads, so the
// flag sizes it as soon as it is parsed (also when `keel serve --config`
// sets it): no command has to remember to, and none can do it too late.
void add_threads_flag(CLI::App* app, int32_t& threads);

}  // namespace keel::cli
