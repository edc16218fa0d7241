// keel logits: the logits of every position of a prompt, as raw float32
// little-endian, row-major [ids × vocabulary] — the format the golden
// tests and external comparisons read. The prompt runs as one request
// through the serving engine; KV is f32 by default so that the output stays
// within 1e-4 of transformers.
#include "commands/commands.h"

#include <cstdio>
#include <fstream>
#include <memory>

#include "engine/model_files.h"
#include "engine/prompt_logits.h"
#include "engine_flags.h"

namespace keel::cli {

Command add_logits_command(CLI::App& root) {
  struct Options {
    std::string model, ids, out;
    EngineFlags engine;  // --device, --kv-cache-dtype
  };
  auto options = std::make_shared<Options>();
  CLI::App* app = root.add_subcommand("logits", "Write the logits of every prompt position to a file");
  add_model_option(app, options->model);
  app->add_option("--ids", options->ids, "prompt token ids separated by spaces")->required();
  app->add_option("--out", options->out, "output file: float32 LE [ids x vocab]")->required();
  add_device_flags(app, options->engine, "f32");

  return {app, [options]() -> int {
            const auto path = options->model.empty() ? default_model_path() : std::filesystem::path(options->model);
            auto model = load_model(path, to_load_options(options->engine));
            if (!model.ok()) return fail(model.error());
            auto files = load_model_files(**model);
            if (!files.ok()) return fail(files.error());
            auto ids = parse_ids(options->ids, (*model)->config().vocab);
            if (!ids.ok()) return fail(ids.error());
            auto engine_options = to_engine_options(options->engine);
            if (!engine_options.ok()) return fail(engine_options.error());
            auto logits = prompt_logits(**model, files->tokenizer, ids.value(), *engine_options);
            if (!logits.ok()) return fail(logits.error());
            std::ofstream out(options->out, std::ios::binary);
            out.write(reinterpret_cast<const char*>(logits->data()),
                      static_cast<std::streamsize>(logits->size() * sizeof(float)));
            if (!out) return fail("cannot write " + options->out);
            return 0;
          }};
}

}  // namespace keel::cli
