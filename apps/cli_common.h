// Shared pieces of keel's subcommands: how they report errors, parse id
// lists and find the default model.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "core/read_file.h"
#include "core/result.h"

namespace keel::cli {

// A registered subcommand: its CLI11 node and what runs when it is chosen.
// `run` returns the process exit status.
struct Command {
  CLI::App* app = nullptr;
  std::function<int()> run;
};

// Prints "keel: error: MESSAGE" to stderr and returns exit status 1.
int fail(const std::string& message);
inline int fail(const Error& error) { return fail(error.message); }

// Parses "1 2 3" (spaces, commas or newlines between ids). Every id must be
// a non-negative integer below `vocab_size` (when vocab_size > 0).
Result<std::vector<int32_t>> parse_ids(const std::string& text, int64_t vocab_size = 0);


// The model that ships with keel (models/ in the source tree), used when a
// command is given no --model.
std::filesystem::path default_model_path();

// Adds the --model option to `app`, defaulting to the shipped model.
void add_model_option(CLI::App* app, std::string& model);

}  // namespace keel::cli
