#include "backend/registry.h"

#include "backend/cpu/cpu_backend.h"
#include "backend/reference/reference_backend.h"
#if KEEL_HAVE_CUDA
#include "backend/cuda/cuda_backend.h"
#endif

namespace keel {
namespace {

struct DeviceEntry {
  std::string_view name;
  bool (*present)();                     // is the hardware there?
  Result<std::unique_ptr<Backend>> (*make)();
  bool chosen_by_auto;
};

bool always() { return true; }

template <std::unique_ptr<Backend> (*kMake)()>
Result<std::unique_ptr<Backend>> infallible() {
  return kMake();
}

// In the order `auto` tries them. The CUDA backend's row goes first.
constexpr DeviceEntry kDevices[] = {
#if KEEL_HAVE_CUDA
    {"cuda", cuda_device_present, make_cuda_backend, true},
#endif
    {"cpu", always, infallible<make_cpu_backend>, true},
    {"reference", always, infallible<make_reference_backend>, false},
};

std::string device_list() {
  std::string names;
  for (const DeviceEntry& entry : kDevices) names += (names.empty() ? "" : ", ") + std::string(entry.name);
  return names;
}

}  // namespace

std::vector<std::string_view> built_devices() {
  std::vector<std::string_view> names;
  for (const DeviceEntry& entry : kDevices) names.push_back(entry.name);
  return names;
}

Result<std::unique_ptr<Backend>> create_backend(std::string_view device) {
  for (const DeviceEntry& entry : kDevices) {
    if (device == "auto" && entry.chosen_by_auto && entry.present()) return entry.make();
    if (device != entry.name) continue;
    if (!entry.present()) return Error{"--device " + std::string(device) + ": no such device is present on this machine"};
    return entry.make();
  }
  return Error{"unknown --device '" + std::string(device) + "': this build has " + device_list() + " (or auto)"};
}

}  // namespace keel
