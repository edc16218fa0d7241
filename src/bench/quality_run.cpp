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
  auto model_a = load_model(options.model_a, load_a);
  if (!model_a.ok()) return model_a.error();
  auto model_b = load_model(options.model_b, load_b);
  if (!model_b.ok()) return model_b.error();
  auto files = load_model_files(**model_a);
  if (!files.ok()) return files.error();
  const int64_t vocab = (*model_a)->config().vocab;
  if ((*model_b)->config().vocab != vocab)
    return Error{"the models' vocabularies differ (" + std::to_string(vocab) + " and " +
                 std::to_string((*model_b)->config().vocab) + " tokens); quality compares models of one tokenizer"};
  const std::vector<int32_t> ids = files->tokenizer.encode(*text, /*add_bos=*/true, /*parse_special=*/false);
  if (ids.size() < 2) return Error{"the text is shorter than two tokens"};
  int64_t context_limit = options.context;  // a model that states no context length imposes none
  for (const auto* model : {model_a->get(), model_b->get()})
    if (model->config().context_length > 1) context_limit = std::min(context_limit, model->config().context_length);
  const auto context = static_cast<size_t>(context_limit);

  QualityAccumulator accumulator;
  for (size_t begin = 0; begin + 1 < ids.size(); begin += context) {
    const std::span<const int32_t> window(ids.data() + begin, std::min(context, ids.size() - begin));
    if (window.size() < 2) break;
    auto logits_a = prompt_logits(**model_a, files->tokenizer, window, engine_a);
    if (!logits_a.ok()) return logits_a.error();
    auto logits_b = prompt_logits(**model_b, files->tokenizer, window, engine_b);
    if (!logits_b.ok()) return logits_b.error();
    const auto row = static_cast<size_t>(vocab);
    for (size_t position = 0; position + 1 < window.size(); ++position)
      accumulator.add(std::span<const float>(logits_a->data() + position * row, row),
                      std::span<const float>(logits_b->data() + position * row, row), window[position + 1]);
  }
  return accumulator.report();
}

std::string format_quality_report(const QualityOptions& options, const QualityReport& report) {
  char buffer[1024];
  std::snprintf(buffer, sizeof buffer,
                "A: %s (KV %s, %s kernels)\nB: %s (KV %s, %s kernels)\n"
                "positions            %zu\n"
                "top-1 agreement      %.4f\n"
                "KL(A||B) mean        %.6g\n"
                "KL(A||B) P99         %.6g\n"
                "KL(A||B) max         %.6g\n"
                "perplexity A         %.4f\n"
                "perplexity B         %.4f\n",
                options.model_a.c_str(), options.kv_cache_dtype_a.c_str(), options.exact_kernels_a ? "exact" : "fast",
                options.model_b.c_str(), options.kv_cache_dtype_b.c_str(), options.exact_kernels_b ? "exact" : "fast", report.positions, report.top1_agreement,
                report.mean_kl, report.p99_kl, report.max_kl, report.perplexity_a, report.perplexity_b);
  return buffer;
}

}  // namespace keel::bench
