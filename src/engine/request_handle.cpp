#include "engine/request_handle.h"

#include "engine/request_state.h"

namespace keel {

RequestHandle::RequestHandle(std::shared_ptr<RequestState> state) : state_(std::move(state)) {}
uint64_t RequestHandle::id() const { return state_->id; }
RequestStream& RequestHandle::stream() const { return state_->stream; }
bool RequestHandle::finished() const { return state_->stream.finished(); }

}  // namespace keel
