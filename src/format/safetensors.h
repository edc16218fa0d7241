// safetensors files and Hugging Face sharded checkpoints.
//
// SafetensorsFile maps one file and validates its JSON header (dtypes,
// shapes, offsets inside the buffer, no overlaps, sizes that match). The
// dtypes keel computes with are F32, F16 and BF16; a tensor of another
// dtype is an Error naming it. SafetensorsCheckpoint opens a directory's
// model.safetensors or every shard listed by model.safetensors.index.json.
#pragma once

#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/mapped_file.h"
#include "core/result.h"
#include "core/tensor.h"

namespace keel {

class SafetensorsFile {
 public:
  static Result<SafetensorsFile> open(const std::filesystem::path& path);
  // Parses an in-memory image (fuzzer, tests); `bytes` must outlive the object.
  static Result<SafetensorsFile> parse(const std::byte* bytes, size_t size, std::string source_name);

  // name -> view into the mapping, sorted by name.
  const std::map<std::string, TensorView, std::less<>>& tensors() const { return tensors_; }
  const std::map<std::string, std::string, std::less<>>& metadata() const { return metadata_; }

 private:
  std::unique_ptr<MappedFile> file_;
  std::map<std::string, TensorView, std::less<>> tensors_;
  std::map<std::string, std::string, std::less<>> metadata_;
};

class SafetensorsCheckpoint {
 public:
  // `dir` holds model.safetensors, or model.safetensors.index.json and its shards.
  static Result<SafetensorsCheckpoint> open_dir(const std::filesystem::path& dir);

  const TensorView* find(std::string_view name) const;
  std::vector<std::string> names() const;

 private:
  std::vector<SafetensorsFile> files_;
  std::map<std::string, TensorView, std::less<>> tensors_;
};

}  // namespace keel
