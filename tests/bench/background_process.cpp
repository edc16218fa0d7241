#include "background_process.h"

#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>

namespace keel::test {

BackgroundProcess::BackgroundProcess(const std::vector<std::string>& argv, double timeout_s) {
  int pipe_fds[2];
  if (::pipe(pipe_fds) != 0) return;
  pid_ = ::fork();
  if (pid_ == 0) {
    ::dup2(pipe_fds[1], STDOUT_FILENO);
    ::close(pipe_fds[0]);
    ::close(pipe_fds[1]);
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    ::execvp(args[0], args.data());
    ::_exit(127);
  }
  ::close(pipe_fds[1]);
  stdout_fd_ = pipe_fds[0];
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(timeout_s);
  std::string line;
  while (std::chrono::steady_clock::now() < deadline) {
    pollfd entry{stdout_fd_, POLLIN, 0};
    if (::poll(&entry, 1, 100) <= 0) continue;
    char c;
    if (::read(stdout_fd_, &c, 1) != 1) return;  // exited before printing its port
    if (c != '\n') {
      line += c;
      continue;
    }
    const size_t digits = line.find_last_not_of("0123456789");
    const std::string tail = digits == std::string::npos ? line : line.substr(digits + 1);
    if (!tail.empty() && (digits == std::string::npos || line[digits] == ':')) {
      port_ = std::atoi(tail.c_str());
      return;
    }
    line.clear();
  }
}

BackgroundProcess::~BackgroundProcess() {
  if (pid_ > 0) {
    ::kill(pid_, SIGTERM);
    int status = 0;
    ::waitpid(pid_, &status, 0);
  }
  if (stdout_fd_ >= 0) ::close(stdout_fd_);
}

std::vector<std::string> stub_server_command(const std::vector<std::string>& extra) {
  std::vector<std::string> argv = {"python3", std::string(KEEL_SOURCE_DIR) + "/tests/bench/stub_openai_server.py"};
  argv.insert(argv.end(), extra.begin(), extra.end());
  return argv;
}

}  // namespace keel::test
