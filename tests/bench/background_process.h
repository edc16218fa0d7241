// A server the bench tests start and stop: the Python stub or `keel serve`.
// It is started with its stdout on a pipe and is ready once it prints a
// line holding its port.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

namespace keel::test {

class BackgroundProcess {
 public:
  // Runs argv[0] with argv; waits (at most timeout_s) for a stdout line that
  // ends in a port number ("8080" or "http://127.0.0.1:8080").
  BackgroundProcess(const std::vector<std::string>& argv, double timeout_s = 60);
  ~BackgroundProcess();  // SIGTERM, then waits
  BackgroundProcess(const BackgroundProcess&) = delete;
  BackgroundProcess& operator=(const BackgroundProcess&) = delete;

  bool ready() const { return port_ > 0; }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }

 private:
  pid_t pid_ = -1;
  int stdout_fd_ = -1;
  int port_ = 0;
};

// The Python stub of tests/bench with extra arguments.
std::vector<std::string> stub_server_command(const std::vector<std::string>& extra = {});

}  // namespace keel::test
