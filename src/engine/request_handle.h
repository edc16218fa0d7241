// RequestHandle: the client's grip on a submitted request. Copyable; the
// request's memory lives until the engine has finished it and every handle
// is gone.
#pragma once

#include <cstdint>
#include <memory>

#include "engine/request_stream.h"

namespace keel {

struct RequestState;  // engine-private per-request state (engine/request_state.h)

class RequestHandle {
 public:
  RequestHandle() = default;
  explicit RequestHandle(std::shared_ptr<RequestState> state);

  uint64_t id() const;            // unique per engine, increasing in submit order
  RequestStream& stream() const;  // read(), wait_and_read(), finished()
  bool finished() const;
  bool valid() const { return state_ != nullptr; }

 private:
  friend class Engine;
  std::shared_ptr<RequestState> state_;
};

}  // namespace keel
