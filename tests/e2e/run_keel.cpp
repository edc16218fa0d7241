#include "run_keel.h"

#include <sys/wait.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace keel::test {
namespace {

std::string quote(const std::string& arg) {
  std::string out = "'";
  for (char c : arg) {
    if (c == '\'') out += "'\\''";
    else out += c;
  }
  return out + "'";
}

std::string slurp(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

std::filesystem::path temp_dir() {
  static const std::filesystem::path dir = [] {
    auto d = std::filesystem::temp_directory_path() / ("keel-e2e-" + std::to_string(::getpid()));
    std::filesystem::create_directories(d);
    return d;
  }();
  return dir;
}

}  // namespace

Outcome run_keel(const std::vector<std::string>& args) {
  std::string command = quote(std::string(KEEL_BINARY_DIR) + "/apps/keel");
  for (const auto& a : args) command += " " + quote(a);
  const auto out_path = temp_dir() / "stdout";
  const auto err_path = temp_dir() / "stderr";
  command += " </dev/null >" + quote(out_path.string()) + " 2>" + quote(err_path.string());
  const int status = std::system(command.c_str());
  Outcome outcome;
  outcome.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  outcome.out = slurp(out_path);
  outcome.err = slurp(err_path);
  return outcome;
}

std::string source_path(const std::string& relative) { return std::string(KEEL_SOURCE_DIR) + "/" + relative; }

std::string shared_testdata(const std::string& relative) {
  return std::string(KEEL_SOURCE_DIR) + "/../shared/testdata/" + relative;
}

std::string write_temp_file(const std::string& name, const std::string& content) {
  const auto path = temp_dir() / name;
  std::ofstream(path, std::ios::binary) << content;
  return path.string();
}

}  // namespace keel::test
