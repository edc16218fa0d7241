// keel inspect MODEL: what a model file holds, without running it.
#include "commands/commands.h"

#include <cstdio>
#include <memory>

#include "engine/model_files.h"
#include "model/model.h"

namespace keel::cli {

Command add_inspect_command(CLI::App& root) {
  auto model = std::make_shared<std::string>();
  CLI::App* app = root.add_subcommand("inspect", "Describe a model: architecture, sizes, dtypes, tokenizer, template");
  app->add_option("MODEL", *model, "GGUF file or Hugging Face model directory")->required();

  return {app, [model]() -> int {
            auto files = load_model_files(*model);
            if (!files.ok()) return fail(files.error());
            auto loaded = load_model(*model);
            if (!loaded.ok()) return fail(loaded.error());
            const Tokenizer& tokenizer = files->tokenizer;
            std::printf("%s", (*loaded)->description().c_str());
            std::printf("tokenizer: %s\n", tokenizer.describe().c_str());
            if (auto bos = tokenizer.bos_id())
              std::printf("bos: %d %s%s\n", *bos, std::string(tokenizer.token_text(*bos)).c_str(),
                          tokenizer.adds_bos() ? " (added to prompts)" : " (not added)");
            std::string eog;
            for (int32_t id : tokenizer.end_of_generation_ids())
              eog += " " + std::to_string(id) + " " + std::string(tokenizer.token_text(id));
            std::printf("end of generation:%s\n", eog.empty() ? " (none)" : eog.c_str());
            std::printf("chat template: %s\n", files->chat_template ? "present" : "absent");
            return 0;
          }};
}

}  // namespace keel::cli
