#include "model/model.h"

#include <algorithm>
#include <memory>
#include <sstream>

#include "backend/registry.h"
#include "model/config_gguf.h"
#include "model/config_hf.h"
#include "model/model_format.h"
#include "model/rope_frequencies.h"

namespace keel {

namespace {

// Share of the progress bar for opening the file and for what follows the
// tensors (workspaces); binding the tensors is the rest.
constexpr double kOpenedFraction = 0.02;
constexpr double kBoundFraction = 0.95;

// Wraps `lookup` so that every tensor found reports progress: `found` of
// `total` tensors in the file (a model may leave some unused, so the bar
// is clamped rather than trusted to reach its end).
TensorLookup reporting_lookup(TensorLookup lookup, size_t total, const LoadProgress& progress) {
  if (!progress) return lookup;
  auto found = std::make_shared<size_t>(0);
  return [lookup = std::move(lookup), total, found, &progress](std::string_view name) {
    const TensorView* view = lookup(name);
    if (view) {
      const double share = total > 0 ? std::min(1.0, static_cast<double>(++*found) / static_cast<double>(total)) : 1.0;
      progress(kOpenedFraction + (kBoundFraction - kOpenedFraction) * share, "binding " + std::string(name));
    }
    return view;
  };
}

}  // namespace

Result<std::unique_ptr<Model>> load_model(const std::filesystem::path& path, const LoadOptions& options,
                                          const LoadProgress& progress) {
  auto report = [&](double fraction, std::string_view message) {
    if (progress) progress(fraction, message);
  };
  report(0.0, "opening " + path.filename().string());
  std::unique_ptr<Model> model(new Model());
  model->source_path_ = path;
  KEEL_ASSIGN_OR_RETURN(model->backend_, create_backend(options.device, BackendOptions{.exact_kernels = options.exact_kernels}));
  if (options.wrap_backend) model->backend_ = options.wrap_backend(std::move(model->backend_));
  TensorLookup lookup;
  size_t tensors = 0;
  KEEL_ASSIGN_OR_RETURN(const ModelFormat format, detect_model_format(path));
  if (format == ModelFormat::kHuggingFaceDir) {
    KEEL_ASSIGN_OR_RETURN(model->config_, config_from_hf_dir(path));
    KEEL_ASSIGN_OR_RETURN(model->safetensors_, SafetensorsCheckpoint::open_dir(path));
    lookup = [checkpoint = &*model->safetensors_](std::string_view name) { return checkpoint->find(name); };
    tensors = model->safetensors_->names().size();
  } else {
    KEEL_ASSIGN_OR_RETURN(model->gguf_, GgufFile::open(path));
    KEEL_ASSIGN_OR_RETURN(model->config_, config_from_gguf(*model->gguf_));
    lookup = [file = &*model->gguf_](std::string_view name) -> const TensorView* {
      const GgufTensorInfo* info = file->find_tensor(name);
      return info ? &info->view : nullptr;
    };
    tensors = model->gguf_->tensors().size();
  }
  report(kOpenedFraction, "binding tensors");
  const ModelConfig& config = model->config_;
  KEEL_ASSIGN_OR_RETURN(model->weights_, Weights::load(reporting_lookup(std::move(lookup), tensors, progress), config));
  report(kBoundFraction, "placing weights on " + std::string(model->backend_->name()));
  Backend& backend = *model->backend_;
  model->spec_ = &arch_spec(config.family);
  model->inv_frequency_ = rope_inverse_frequencies(config, model->weights_.rope_divisors);
  KEEL_TRY(model->weights_.make_resident(backend));
  KEEL_ASSIGN_OR_RETURN(const std::byte* inv_frequency,
                        backend.make_resident(std::as_bytes(std::span<const float>(model->inv_frequency_))));
  model->rope_ = RopeParams{config.rope_style, config.rotary_dims, reinterpret_cast<const float*>(inv_frequency)};
  report(1.0, "loaded");
  return model;
}

std::string Model::description() const {
  std::ostringstream out;
  out << "source: " << source_path_.string() << "\n"
      << "model: " << describe_config(config_) << "\n"
      << "parameters: " << weights_.parameter_count() << "\n"
      << "dtypes: " << weights_.describe_dtypes() << "\n";
  if (config_.bos_id) out << "bos: " << *config_.bos_id << "\n";
  out << "eos:";
  for (int32_t id : config_.eos_ids) out << " " << id;
  out << "\n";
  return out.str();
}

}  // namespace keel
