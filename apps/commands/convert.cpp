// keel convert / keel quantize: write GGUF files with keel's own writer.
//   keel convert --model HF_DIR --out FILE.gguf [--type f16] [--name NAME]
//   keel quantize IN.gguf OUT.gguf TYPE
#include "commands/commands.h"

#include <cstdio>
#include <memory>

#include "convert/hf_to_gguf.h"
#include "convert/requantize.h"
#include "core/dtype.h"

namespace keel::cli {
namespace {

Result<DType> parse_type(const std::string& name) {
  const auto type = dtype_from_name(name);
  if (!type) return Error{"unknown type '" + name + "' (f32, f16, bf16, q8_0, q4_0, q4_1, q5_0)"};
  return *type;
}

}  // namespace

Command add_convert_command(CLI::App& root) {
  auto options = std::make_shared<ConvertOptions>();
  auto type_name = std::make_shared<std::string>("f16");
  auto model = std::make_shared<std::string>();
  auto out = std::make_shared<std::string>();
  CLI::App* app = root.add_subcommand("convert", "Convert a Hugging Face model directory to a GGUF file");
  app->add_option("--model", *model, "Hugging Face model directory (glm4, qwen2, qwen3)")->required();
  app->add_option("--out", *out, "GGUF file to write")->required();
  app->add_option("--type", *type_name, "type of the 2-D tensors: f32, f16, bf16, q8_0, q4_0, q4_1, q5_0");
  app->add_option("--name", options->name, "general.name (default: the directory's name)");

  return {app, [options, type_name, model, out]() -> int {
            auto type = parse_type(*type_name);
            if (!type.ok()) return fail(type.error());
            options->hf_dir = *model;
            options->out = *out;
            options->type = *type;
            auto summary = convert_hf_to_gguf(*options);
            if (!summary.ok()) return fail(summary.error());
            std::printf("wrote %s: %lld tensors, %lld parameters, %ju bytes\n", out->c_str(),
                        static_cast<long long>(summary->tensors), static_cast<long long>(summary->parameters),
                        summary->file_bytes);
            return 0;
          }};
}

Command add_quantize_command(CLI::App& root) {
  auto in = std::make_shared<std::string>();
  auto out = std::make_shared<std::string>();
  auto type_name = std::make_shared<std::string>();
  CLI::App* app = root.add_subcommand("quantize", "Rewrite a GGUF file with its 2-D tensors in another type");
  app->add_option("IN", *in, "GGUF file to read")->required();
  app->add_option("OUT", *out, "GGUF file to write")->required();
  app->add_option("TYPE", *type_name, "f32, f16, bf16, q8_0, q4_0, q4_1, q5_0")->required();

  return {app, [in, out, type_name]() -> int {
            auto type = parse_type(*type_name);
            if (!type.ok()) return fail(type.error());
            auto bytes = requantize_gguf(*in, *out, *type);
            if (!bytes.ok()) return fail(bytes.error());
            std::printf("wrote %s: %ju bytes\n", out->c_str(), *bytes);
            return 0;
          }};
}

}  // namespace keel::cli
