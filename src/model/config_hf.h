// ModelConfig from a Hugging Face model directory: config.json (both the
// transformers 4.x form with top-level rope_theta / rope_scaling /
// partial_rotary_factor and the 5.x form with a nested `rope_parameters`)
// and, when present, generation_config.json for extra eos ids.
#pragma once

#include <filesystem>

#include <nlohmann/json.hpp>

#include "core/result.h"
#include "model/config.h"

namespace keel {

// `generation_config` may be null.
Result<ModelConfig> config_from_hf_json(const nlohmann::json& config, const nlohmann::json* generation_config);

// Reads `dir`/config.json and `dir`/generation_config.json.
Result<ModelConfig> config_from_hf_dir(const std::filesystem::path& dir);

}  // namespace keel
