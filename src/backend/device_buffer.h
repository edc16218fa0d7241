// DeviceBuffer: one block of memory a backend allocated on its device, owned
// by whoever holds the buffer and handed back to that backend when dropped.
//
// Host code never dereferences a buffer whose memory is not host_visible
// (a GPU's): it passes the pointer to the backend's ops and copies results
// out with Backend::copy_to_host.
#pragma once

#include <cstddef>
#include <utility>

namespace keel {

class DeviceBuffer {
 public:
  // Called once with the buffer's data when the buffer is dropped.
  using Release = void (*)(void* context, void* data);

  DeviceBuffer() = default;
  DeviceBuffer(void* data, size_t bytes, bool host_visible, Release release, void* context)
      : data_(data), bytes_(bytes), host_visible_(host_visible), release_(release), context_(context) {}
  ~DeviceBuffer() { reset(); }
  DeviceBuffer(DeviceBuffer&& other) noexcept { *this = std::move(other); }
  DeviceBuffer& operator=(DeviceBuffer&& other) noexcept {
    if (this != &other) {
      reset();
      data_ = other.data_;
      bytes_ = other.bytes_;
      host_visible_ = other.host_visible_;
      release_ = other.release_;
      context_ = other.context_;
      other.data_ = nullptr;
      other.bytes_ = 0;
    }
    return *this;
  }
  DeviceBuffer(const DeviceBuffer&) = delete;
  DeviceBuffer& operator=(const DeviceBuffer&) = delete;

  void* data() const { return data_; }
  template <class T>
  T* as() const { return static_cast<T*>(data_); }
  size_t bytes() const { return bytes_; }
  // True when host code may read and write the memory directly (CPU backends).
  bool host_visible() const { return host_visible_; }

 private:
  void reset() {
    if (data_ != nullptr && release_ != nullptr) release_(context_, data_);
    data_ = nullptr;
  }

  void* data_ = nullptr;
  size_t bytes_ = 0;
  bool host_visible_ = true;
  Release release_ = nullptr;
  void* context_ = nullptr;
};

}  // namespace keel
