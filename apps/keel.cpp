// keel: one binary, one subcommand per job. See README.md for the contract
// each subcommand keeps (flags and output formats that scripts rely on).
#include <cstdio>
#include <vector>

#include "commands/commands.h"
#include "core/log.h"

int main(int argc, char** argv) {
  keel::init_logging();
  CLI::App root{"keel: an LLM inference server that stays fast for as long as it runs"};
  root.set_version_flag("--version", std::string("keel ") + KEEL_VERSION);
  root.require_subcommand(0, 1);

  std::vector<keel::cli::Command> commands = {
      keel::cli::add_inspect_command(root),    keel::cli::add_tokenize_command(root),
      keel::cli::add_detokenize_command(root), keel::cli::add_logits_command(root),
      keel::cli::add_run_command(root),        keel::cli::add_chat_template_command(root),
      keel::cli::add_batch_command(root),      keel::cli::add_serve_command(root),
      keel::cli::add_convert_command(root),    keel::cli::add_quantize_command(root),
      keel::cli::add_bench_command(root),
  };

  try {
    root.parse(argc, argv);
  } catch (const CLI::ParseError& error) {
    return root.exit(error);
  }
  for (const auto& command : commands)
    if (command.app->parsed()) return command.run();
  return keel::cli::run_default();
}
