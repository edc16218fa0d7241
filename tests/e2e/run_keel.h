// Runs the keel binary as a user would and captures what it printed.
#pragma once

#include <string>
#include <vector>

namespace keel::test {

struct Outcome {
  int exit_code = -1;
  std::string out;  // stdout
  std::string err;  // stderr
};

// Runs `keel ARGS...` (each argument shell-quoted) from the build tree.
Outcome run_keel(const std::vector<std::string>& args);

// Paths of the test data: the repository and ../shared/testdata beside it.
std::string source_path(const std::string& relative);
std::string shared_testdata(const std::string& relative);

// Writes `content` to a fresh file under the test's temp dir; returns its path.
std::string write_temp_file(const std::string& name, const std::string& content);

}  // namespace keel::test
