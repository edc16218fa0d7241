// DepthGuard: counts how deeply the Jinja parser and evaluator have recursed
// on the C++ stack (blocks inside blocks, expressions inside expressions,
// macro calls), so that each can refuse a template before the stack runs
// out. Increments the counter for its lifetime.
#pragma once

namespace keel::jinja {

class DepthGuard {
 public:
  explicit DepthGuard(int& depth) : depth_(depth) { ++depth_; }
  ~DepthGuard() { --depth_; }
  DepthGuard(const DepthGuard&) = delete;
  DepthGuard& operator=(const DepthGuard&) = delete;

 private:
  int& depth_;
};

}  // namespace keel::jinja
