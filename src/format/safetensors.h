// safetensors files and Hugging Face sharded checkpoints.
//
// SafetensorsFile maps one file and validates its JSON header (dtypes,
// shapes, offsets inside the buffer, no overlaps, sizes that match), with
// the rules of the reference parser (huggingface/safetensors tensor.rs).
//
// The dtypes keel computes with are F32, F16 and BF16. A well-formed tensor
// of any other valid safetensors dtype (an I64 position buffer, say), of
// rank above 4, or with a zero dimension does not fail the file: it is
// listed in unsupported() with the reason, and an Error names it only when
// a caller asks for it (SafetensorsCheckpoint::require). An unknown dtype
// string is malformed input and fails open().
//
// SafetensorsCheckpoint opens a directory's model.safetensors or every
// shard listed by model.safetensors.index.json.
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
  // name -> why keel cannot use it ("dtype I64 is not supported", ...).
  const std::map<std::string, std::string, std::less<>>& unsupported() const { return unsupported_; }
  const std::string& source_name() const { return source_name_; }

 private:
  std::string source_name_;
  std::unique_ptr<MappedFile> file_;  // null when parsed from memory
  std::map<std::string, TensorView, std::less<>> tensors_;
  std::map<std::string, std::string, std::less<>> metadata_;
  std::map<std::string, std::string, std::less<>> unsupported_;
};

class SafetensorsCheckpoint {
 public:
  // `dir` holds model.safetensors, or model.safetensors.index.json and its shards.
  static Result<SafetensorsCheckpoint> open_dir(const std::filesystem::path& dir);

  // Null when the name is absent or its tensor is unsupported.
  const TensorView* find(std::string_view name) const;
  // The tensor, or an Error saying it is missing or why keel cannot use it.
  Result<const TensorView*> require(std::string_view name) const;
  // Names of the usable tensors, sorted.
  std::vector<std::string> names() const;
  const std::map<std::string, std::string, std::less<>>& unsupported() const { return unsupported_; }

 private:
  Status add_file(SafetensorsFile file);

  std::filesystem::path dir_;
  std::vector<SafetensorsFile> files_;
  std::map<std::string, TensorView, std::less<>> tensors_;
  std::map<std::string, std::string, std::less<>> unsupported_;
};

}  // namespace keel
