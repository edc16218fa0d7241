// Comparisons of two GGUF files, for checking keel's converter against
// llama.cpp's output: metadata entries, tensor lists and tensor contents.
#pragma once

#include <string>
#include <vector>

#include "format/gguf.h"

namespace keel::testing {

// "key: reason" for every metadata entry that differs, is missing or is extra.
std::vector<std::string> metadata_differences(const GgufFile& actual, const GgufFile& expected);

// "name: reason" for every tensor whose name, position, type or shape differs.
std::vector<std::string> tensor_list_differences(const GgufFile& actual, const GgufFile& expected);

// Largest |a - b| over all elements of tensors of the same name, both decoded to float32.
double max_tensor_difference(const GgufFile& actual, const GgufFile& expected);

// Number of tensors whose stored bytes differ.
int count_tensors_with_different_bytes(const GgufFile& actual, const GgufFile& expected);

}  // namespace keel::testing
