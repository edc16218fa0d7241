#include "bench/quality_run.h"

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <sstream>

#include "backend/kv_storage.h"
#include "engine/model_files.h"
#include "engine/prompt_logits.h"
#include "model/model.h"

namespace keel::bench {
namespace {

// Used when no --dataset is given: plain prose, long enough for a few
// hundred positions, so the check runs anywhere without downloads.
constexpr const char* kDefaultText =
    "The river rises in the hills above the town and runs south through farmland for most of the year. "
    "In winter the water is high and fast, and the old stone bridge at the market square has been closed "
    "more than once after heavy storms. The people who live along its banks have learned to read the "
    "colour of the water: brown means rain in the hills, green means a quiet week. Every spring the "
    "school takes the children to the mill, where an engine older than anyone in the town still turns "
    "the wheel. They count the fish below the weir, write down the temperature of the water, and draw "
    "maps of the islands that appear when the level falls. Some of those maps hang in the library, next "
    "to photographs of the great flood, when boats were rowed down the main street and the bakery sold "
    "bread from an upstairs window. Nobody remembers who first planted the apple trees along the path, "
    "but every autumn the fruit is gathered and pressed, and the juice is shared at the harvest fair. "
    "Visitors often ask why the town never built a second bridge. The answer is simple: the first one "
    "has never failed, and the ferry that runs beside it in summer is the best way to see the valley.";

Result<std::string> load_text(const std::string& path) {
  if (path.empty()) return std::string(kDefaultText);
  std::ifstream in(path, std::ios::binary);
  if (!in) return Error{"cannot open dataset " + path};
  std::stringstream text;
  text << in.rdbuf();
  if (text.str().empty()) return Error{"dataset " + path + " is empty"};
  return text.str();
}

}  // namespace

namespace {

// Unicode characters in UTF-8 bytes: every byte that does not continue a
// sequence starts one. Summed over a text's tokens' bytes it is the text's
// count, however the tokens split a character.
size_t characters_in(std::string_view bytes) {
  return static_cast<size_t>(std::count_if(bytes.begin(), bytes.end(), [](char c) {
    return (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  }));
}

// The context a model can take, at most `wanted` (a model that states no
// context length imposes none).
size_t context_for(const Model& model, int32_t wanted) {
  int64_t limit = wanted;
  if (model.config().context_length > 1) limit = std::min<int64_t>(limit, model.config().context_length);
  return static_cast<size_t>(limit);
}

// The windows of `ids`: runs of `context` tokens, each predicted from its
// start (a window's first token is context only). Calls `visit(window)`.
template <class Visit>
Status for_each_window(const std::vector<int32_t>& ids, size_t context, Visit&& visit) {
  for (size_t begin = 0; begin + 1 < ids.size(); begin += context) {
    const std::span<const int32_t> window(ids.data() + begin, std::min(context, ids.size() - begin));
    if (window.size() < 2) break;
    KEEL_TRY(visit(window));
  }
  return ok_status();
}

// A model's text: its tokens and the characters each predicted one writes.
TextFit count_text(const Tokenizer& tokenizer, const std::vector<int32_t>& ids, size_t context, size_t characters) {
  TextFit fit;
  fit.characters = characters;
  fit.tokens = ids.size() - (tokenizer.bos_id() && !ids.empty() && ids.front() == *tokenizer.bos_id() ? 1 : 0);
  (void)for_each_window(ids, context, [&](std::span<const int32_t> window) -> Status {
    fit.predicted += window.size() - 1;
    for (size_t i = 1; i < window.size(); ++i) fit.predicted_characters += characters_in(tokenizer.token_bytes(window[i]));
    return ok_status();
  });
  return fit;
}

// One tokenizer, as far as KL can tell: the same bytes for every id (two
// vocabularies of one size, Llama 2's and Mistral's, differ here).
bool same_vocabulary(const Tokenizer& a, const Tokenizer& b, int64_t vocab) {
  for (int64_t id = 0; id < vocab; ++id)
    if (a.token_bytes(static_cast<int32_t>(id)) != b.token_bytes(static_cast<int32_t>(id))) return false;
  return true;
}

}  // namespace

Result<QualityReport> run_quality(const QualityOptions& options) {
  if (options.context < 2) return Error{"--ctx must be at least 2"};
  auto text = load_text(options.dataset);
  if (!text.ok()) return text.error();
  LoadOptions load_a, load_b;
  load_a.device = load_b.device = options.device;
  load_a.exact_kernels = options.exact_kernels_a;
  load_b.exact_kernels = options.exact_kernels_b;
  EngineOptions engine_a, engine_b;
  KEEL_ASSIGN_OR_RETURN(engine_a.kv_cache_dtype, parse_kv_dtype(options.kv_cache_dtype_a));
  KEEL_ASSIGN_OR_RETURN(engine_b.kv_cache_dtype, parse_kv_dtype(options.kv_cache_dtype_b));
  KEEL_ASSIGN_OR_RETURN(std::unique_ptr<Model> model_a, load_model(options.model_a, load_a));
  KEEL_ASSIGN_OR_RETURN(std::unique_ptr<Model> model_b, load_model(options.model_b, load_b));
  KEEL_ASSIGN_OR_RETURN(ModelFiles files_a, load_model_files(*model_a));
  KEEL_ASSIGN_OR_RETURN(ModelFiles files_b, load_model_files(*model_b));
  const Tokenizer& tokenizer_a = files_a.tokenizer;
  const Tokenizer& tokenizer_b = files_b.tokenizer;
  const std::vector<int32_t> ids_a = tokenizer_a.encode(*text, /*add_bos=*/true, /*parse_special=*/false);
  const std::vector<int32_t> ids_b = tokenizer_b.encode(*text, /*add_bos=*/true, /*parse_special=*/false);
  if (ids_a.size() < 2 || ids_b.size() < 2) return Error{"the text is shorter than two tokens"};
  const size_t characters = characters_in(*text);
  const int64_t vocab = model_a->config().vocab;

  QualityReport report;
  TextFit fit_a, fit_b;
  // One tokenizer (the same vocabulary, and so the same ids for this text):
  // both models predict the same tokens, compared position by position.
  if (model_b->config().vocab == vocab && ids_a == ids_b && same_vocabulary(tokenizer_a, tokenizer_b, vocab)) {
    const size_t context = std::min(context_for(*model_a, options.context), context_for(*model_b, options.context));
    QualityAccumulator accumulator;
    KEEL_TRY(for_each_window(ids_a, context, [&](std::span<const int32_t> window) -> Status {
      KEEL_ASSIGN_OR_RETURN(std::vector<float> logits_a, prompt_logits(*model_a, tokenizer_a, window, engine_a));
      KEEL_ASSIGN_OR_RETURN(std::vector<float> logits_b, prompt_logits(*model_b, tokenizer_b, window, engine_b));
      const auto row = static_cast<size_t>(vocab);
      for (size_t position = 0; position + 1 < window.size(); ++position)
        accumulator.add(std::span<const float>(logits_a.data() + position * row, row),
                        std::span<const float>(logits_b.data() + position * row, row), window[position + 1]);
      return ok_status();
    }));
    report = accumulator.report();
    fit_a = count_text(tokenizer_a, ids_a, context, characters);
    fit_b = fit_a;
    fit_a.nll = accumulator.nll_a();
    fit_b.nll = accumulator.nll_b();
  } else {
    // Two vocabularies: each model on its own tokens; only the measures per
    // character compare.
    auto fit = [&](Model& model, const Tokenizer& tokenizer, const std::vector<int32_t>& ids,
                   const EngineOptions& engine) -> Result<TextFit> {
      const size_t context = context_for(model, options.context);
      TextFit out = count_text(tokenizer, ids, context, characters);
      const auto row = static_cast<size_t>(model.config().vocab);
      KEEL_TRY(for_each_window(ids, context, [&](std::span<const int32_t> window) -> Status {
        KEEL_ASSIGN_OR_RETURN(std::vector<float> logits, prompt_logits(model, tokenizer, window, engine));
        for (size_t position = 0; position + 1 < window.size(); ++position)
          out.nll += next_token_nll(std::span<const float>(logits.data() + position * row, row), window[position + 1]);
        return ok_status();
      }));
      return out;
    };
    KEEL_ASSIGN_OR_RETURN(fit_a, fit(*model_a, tokenizer_a, ids_a, engine_a));
    KEEL_ASSIGN_OR_RETURN(fit_b, fit(*model_b, tokenizer_b, ids_b, engine_b));
  }
  report.characters = characters;
  report.a = fit_a.measures();
  report.b = fit_b.measures();
  return report;
}

std::string format_quality_report(const QualityOptions& options, const QualityReport& report) {
  std::string out;
  char line[1024];
  std::snprintf(line, sizeof line, "A: %s (KV %s, %s kernels)\nB: %s (KV %s, %s kernels)\n", options.model_a.c_str(),
                options.kv_cache_dtype_a.c_str(), options.exact_kernels_a ? "exact" : "fast", options.model_b.c_str(),
                options.kv_cache_dtype_b.c_str(), options.exact_kernels_b ? "exact" : "fast");
  out += line;
  if (report.same_vocabulary) {
    std::snprintf(line, sizeof line,
                  "positions            %zu\n"
                  "top-1 agreement      %.4f\n"
                  "KL(A||B) mean        %.6g\n"
                  "KL(A||B) P99         %.6g\n"
                  "KL(A||B) max         %.6g\n",
                  report.positions, report.top1_agreement, report.mean_kl, report.p99_kl, report.max_kl);
  } else {
    std::snprintf(line, sizeof line,
                  "the models' tokenizers differ: no position-by-position comparison (top-1, KL); "
                  "compare them per character\n");
  }
  out += line;
  const auto measures = [&](const char* name, const TextMeasures& m) {
    std::snprintf(line, sizeof line,
                  "perplexity %s         %.4f\n"
                  "tokens %s             %zu (%.4f per character of %zu)\n"
                  "perplexity/char %s    %.4f (%.4f bits per character)\n",
                  name, m.perplexity, name, m.tokens, m.tokens_per_character, report.characters, name,
                  m.perplexity_per_character, m.bits_per_character);
    out += line;
  };
  measures("A", report.a);
  measures("B", report.b);
  return out;
}

}  // namespace keel::bench
