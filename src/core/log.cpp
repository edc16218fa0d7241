#include "core/log.h"

#include <cstdlib>

#include <spdlog/sinks/stdout_color_sinks.h>

namespace keel {

void init_logging() {
  static bool initialised = false;
  if (initialised) return;
  initialised = true;
  auto logger = spdlog::stderr_color_mt("keel");
  logger->set_pattern("[%H:%M:%S.%e] [%^%l%$] %v");
  spdlog::set_default_logger(logger);
  const char* level = std::getenv("KEEL_LOG");
  spdlog::set_level(level ? spdlog::level::from_str(level) : spdlog::level::warn);
}

}  // namespace keel
