// Every keel subcommand registers itself on the root CLI11 app.
#pragma once

#include "cli_common.h"

namespace keel::cli {

Command add_inspect_command(CLI::App& root);
Command add_tokenize_command(CLI::App& root);
Command add_detokenize_command(CLI::App& root);
Command add_logits_command(CLI::App& root);
Command add_run_command(CLI::App& root);
Command add_chat_template_command(CLI::App& root);
Command add_batch_command(CLI::App& root);
Command add_serve_command(CLI::App& root);
Command add_convert_command(CLI::App& root);
Command add_quantize_command(CLI::App& root);
Command add_bench_command(CLI::App& root);
// `keel bench model`, a subcommand of `bench` (commands/bench_model.cpp).
Command add_bench_model_command(CLI::App* bench_app);

// `keel` with no subcommand: generate from the shipped model.
int run_default();

}  // namespace keel::cli
