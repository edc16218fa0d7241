// keel tokenize / keel detokenize: text <-> token ids with a model's own
// tokenizer.
#include "commands/commands.h"

#include <cstdio>
#include <memory>

#include "engine/model_files.h"

namespace keel::cli {

Command add_tokenize_command(CLI::App& root) {
  struct Options {
    std::string model, text, file;
    bool no_bos = false, special = false;
  };
  auto options = std::make_shared<Options>();
  CLI::App* app = root.add_subcommand("tokenize", "Print the token ids of a text, separated by spaces");
  add_model_option(app, options->model);
  auto* text = app->add_option("--text", options->text, "text to tokenize");
  auto* file = app->add_option("--file", options->file, "file whose bytes to tokenize");
  text->excludes(file);
  app->add_flag("--no-bos", options->no_bos, "do not add BOS even where the model's files ask for it");
  app->add_flag("--special", options->special, "parse special-token text (e.g. <|im_start|>) as special tokens");

  return {app, [options, text, file]() -> int {
            if (!*text && !*file) return fail("tokenize needs --text or --file");
            std::string input = options->text;
            if (*file) {
              auto bytes = read_file(options->file);
              if (!bytes.ok()) return fail(bytes.error());
              input = std::move(bytes).value();
            }
            auto files = load_model_files(options->model.empty() ? default_model_path() : std::filesystem::path(options->model));
            if (!files.ok()) return fail(files.error());
            const auto ids = files->tokenizer.encode(input, !options->no_bos, options->special);
            std::string line;
            for (size_t i = 0; i < ids.size(); ++i) {
              if (i) line += ' ';
              line += std::to_string(ids[i]);
            }
            std::printf("%s\n", line.c_str());
            return 0;
          }};
}

Command add_detokenize_command(CLI::App& root) {
  struct Options {
    std::string model, ids;
  };
  auto options = std::make_shared<Options>();
  CLI::App* app = root.add_subcommand("detokenize", "Print the text of a list of token ids");
  add_model_option(app, options->model);
  app->add_option("--ids", options->ids, "token ids separated by spaces")->required();

  return {app, [options]() -> int {
            auto files = load_model_files(options->model.empty() ? default_model_path() : std::filesystem::path(options->model));
            if (!files.ok()) return fail(files.error());
            auto ids = parse_ids(options->ids, files->tokenizer.vocab_size());
            if (!ids.ok()) return fail(ids.error());
            const std::string text = files->tokenizer.decode(ids.value(), /*skip_special=*/false);
            std::fwrite(text.data(), 1, text.size(), stdout);
            std::printf("\n");
            return 0;
          }};
}

}  // namespace keel::cli
