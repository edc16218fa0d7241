// The `keel serve --config FILE` format: TOML whose top-level keys are the
// long names of command-line flags (dashes or underscores), plus one
// [keys.NAME] table per API key:
//
//   port = 8080
//   max-queue = 128
//   [keys.alice]
//   key = "sk-..."
//   requests_per_second = 5
//   tokens_per_minute = 60000
//   max_concurrent = 4
//
// Flags given on the command line override the file. An unknown key is an
// error (a typo must not silently leave a setting at its default).
#pragma once

#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include "core/result.h"
#include "server/api_keys.h"

namespace keel::server {

struct ConfigFile {
  // Flag name (dashes, no leading --) and its value(s) as command-line text.
  std::vector<std::pair<std::string, std::vector<std::string>>> options;
  std::vector<KeyPolicy> keys;
};

Result<ConfigFile> parse_config_text(std::string_view text, const std::string& source_name);
Result<ConfigFile> load_config_file(const std::filesystem::path& path);

}  // namespace keel::server
