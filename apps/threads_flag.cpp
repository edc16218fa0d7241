#include "threads_flag.h"

#include <string>

#include "backend/cpu/thread_pool.h"

namespace keel::cli {

void add_threads_flag(CLI::App* app, int32_t& threads) {
  app->add_option("--threads,-t", threads,
                  "CPU compute threads, the engine's own included (default: the CPUs this process may run on)")
      ->check(CLI::Range(1, 1024))
      ->each([](const std::string& value) {
        if (!ThreadPool::set_global_size(static_cast<unsigned>(std::stoi(value))))
          throw CLI::ValidationError("--threads", "the compute threads are already running");
      });
}

}  // namespace keel::cli
