#include "cli_common.h"

#include <charconv>
#include <cstdio>
#include <cstdlib>

namespace keel::cli {

int fail(const std::string& message) {
  std::fprintf(stderr, "keel: error: %s\n", message.c_str());
  return 1;
}

Result<std::vector<int32_t>> parse_ids(const std::string& text, int64_t vocab_size) {
  std::vector<int32_t> ids;
  size_t i = 0;
  while (i < text.size()) {
    const char c = text[i];
    if (c == ' ' || c == ',' || c == '\n' || c == '\t' || c == '\r') {
      ++i;
      continue;
    }
    size_t end = i;
    while (end < text.size() && text[end] != ' ' && text[end] != ',' && text[end] != '\n' &&
           text[end] != '\t' && text[end] != '\r')
      ++end;
    const std::string token = text.substr(i, end - i);
    int64_t value = 0;
    auto [ptr, ec] = std::from_chars(token.data(), token.data() + token.size(), value);
    if (ec != std::errc() || ptr != token.data() + token.size() || value < 0 || value > INT32_MAX)
      return Error{"invalid token id '" + token + "': ids are non-negative integers separated by spaces"};
    if (vocab_size > 0 && value >= vocab_size)
      return Error{"token id " + token + " is out of range: the vocabulary has " + std::to_string(vocab_size) +
                   " tokens"};
    ids.push_back(static_cast<int32_t>(value));
    i = end;
  }
  return ids;
}

std::filesystem::path default_model_path() {
  if (const char* env = std::getenv("KEEL_DEFAULT_MODEL")) return env;
  return KEEL_DEFAULT_MODEL_PATH;
}

void add_model_option(CLI::App* app, std::string& model) {
  app->add_option("--model,-m", model, "GGUF file or Hugging Face model directory (default: the shipped model)");
}

}  // namespace keel::cli
