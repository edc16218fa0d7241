// SafetensorsCheckpoint: the tensors of a Hugging Face model directory,
// from model.safetensors or from the shards named by
// model.safetensors.index.json. The index is untrusted input too: shard
// names must be plain file names inside the directory, and every tensor it
// lists must really be in the shard it names.
#include <fstream>
#include <iterator>
#include <set>
#include <utility>

#include <nlohmann/json.hpp>

#include "format/safetensors.h"

namespace keel {
namespace {

constexpr uintmax_t kMaxIndexBytes = 100'000'000;

// A shard name is a single path component: no separators, no "." or "..",
// so nothing outside the model directory can be opened through the index.
bool is_plain_file_name(const std::string& name) {
  if (name.empty() || name == "." || name == "..") return false;
  return name.find_first_of(std::string("/\\\0", 3)) == std::string::npos;
}

Result<nlohmann::json> read_json_file(const std::filesystem::path& path) {
  std::error_code error;
  const uintmax_t size = std::filesystem::file_size(path, error);
  if (error) return Error{"cannot read " + path.string() + ": " + error.message()};
  if (size > kMaxIndexBytes) return Error{path.string() + " is larger than 100 MB"};
  std::ifstream in(path, std::ios::binary);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (!in.good() && !in.eof()) return Error{"cannot read " + path.string()};
  nlohmann::json json = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (json.is_discarded()) return Error{path.string() + " is not valid JSON"};
  return json;
}

}  // namespace

Status SafetensorsCheckpoint::add_file(SafetensorsFile file) {
  for (const auto& [name, view] : file.tensors())
    if (!tensors_.emplace(name, view).second || unsupported_.contains(name))
      return Error{file.source_name() + ": tensor '" + name + "' also appears in another shard"};
  for (const auto& [name, reason] : file.unsupported())
    if (tensors_.contains(name) || !unsupported_.emplace(name, file.source_name() + ": " + reason).second)
      return Error{file.source_name() + ": tensor '" + name + "' also appears in another shard"};
  files_.push_back(std::move(file));  // views point into the file's mapping, which stays put
  return ok_status();
}

Result<SafetensorsCheckpoint> SafetensorsCheckpoint::open_dir(const std::filesystem::path& dir) {
  SafetensorsCheckpoint checkpoint;
  checkpoint.dir_ = dir;
  const std::filesystem::path index_path = dir / "model.safetensors.index.json";
  const std::filesystem::path single_path = dir / "model.safetensors";
  std::error_code error;
  if (!std::filesystem::exists(index_path, error)) {
    if (!std::filesystem::exists(single_path, error))
      return Error{dir.string() + ": neither model.safetensors nor model.safetensors.index.json exists"};
    KEEL_ASSIGN_OR_RETURN(SafetensorsFile file, SafetensorsFile::open(single_path));
    KEEL_TRY(checkpoint.add_file(std::move(file)));
    return checkpoint;
  }

  KEEL_ASSIGN_OR_RETURN(nlohmann::json index, read_json_file(index_path));
  const std::string where = index_path.string() + ": ";
  if (!index.is_object()) return Error{where + "not a JSON object"};
  const auto weight_map = index.find("weight_map");
  if (weight_map == index.end() || !weight_map->is_object()) return Error{where + "missing object \"weight_map\""};

  std::set<std::string> shards;
  for (const auto& [tensor, shard] : weight_map->items()) {
    if (!shard.is_string()) return Error{where + "weight_map entry '" + tensor + "' is not a file name"};
    const std::string& shard_name = shard.get_ref<const std::string&>();
    if (!is_plain_file_name(shard_name))
      return Error{where + "shard name '" + shard_name + "' for tensor '" + tensor +
                   "' is not a plain file name inside the model directory"};
    shards.insert(shard_name);
  }
  for (const std::string& shard_name : shards) {
    const std::filesystem::path shard_path = dir / shard_name;
    if (!std::filesystem::exists(shard_path, error))
      return Error{where + "lists shard " + shard_name + ", which does not exist"};
    KEEL_ASSIGN_OR_RETURN(SafetensorsFile file, SafetensorsFile::open(shard_path));
    // Every tensor the index assigns to this shard must be in it.
    for (const auto& [tensor, shard] : weight_map->items())
      if (shard.get_ref<const std::string&>() == shard_name && !file.tensors().contains(tensor) &&
          !file.unsupported().contains(tensor))
        return Error{where + "lists tensor '" + tensor + "' in shard " + shard_name + ", which does not contain it"};
    KEEL_TRY(checkpoint.add_file(std::move(file)));
  }
  return checkpoint;
}

const TensorView* SafetensorsCheckpoint::find(std::string_view name) const {
  const auto it = tensors_.find(name);
  return it == tensors_.end() ? nullptr : &it->second;
}

Result<const TensorView*> SafetensorsCheckpoint::require(std::string_view name) const {
  if (const TensorView* view = find(name)) return view;
  const auto it = unsupported_.find(name);
  if (it != unsupported_.end()) return Error{"tensor '" + std::string(name) + "' cannot be used: " + it->second};
  return Error{dir_.string() + ": tensor '" + std::string(name) + "' is not in the checkpoint"};
}

std::vector<std::string> SafetensorsCheckpoint::names() const {
  std::vector<std::string> out;
  out.reserve(tensors_.size());
  for (const auto& [name, view] : tensors_) out.push_back(name);
  return out;
}

}  // namespace keel
