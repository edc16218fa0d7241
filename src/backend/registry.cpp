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
  Result<std::unique_ptr<Backend>> (*make)(const BackendOptions&);
  bool chosen_by_auto;
};

bool always() { return true; }

Result<std::unique_ptr<Backend>> make_cpu(const BackendOptions& options) {
  return make_cpu_backend(CpuOptions{.exact_kernels = options.exact_kernels});
}
Result<std::unique_ptr<Backend>> make_reference(const BackendOptions& /*always exact*/) {
  return make_reference_backend();
}
#if KEEL_HAVE_CUDA
Result<std::unique_ptr<Backend>> make_cuda(const BackendOptions& options) {
  return make_cuda_backend(options.exact_kernels);
}
#endif

// In the order `auto` tries them. The CUDA backend's row goes first.
constexpr DeviceEntry kDevices[] = {
#if KEEL_HAVE_CUDA
    {"cuda", cuda_device_present, make_cuda, true},
#endif
    {"cpu", always, make_cpu, true},
    {"reference", always, make_reference, false},
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

Result<std::unique_ptr<Backend>> create_backend(std::string_view device, const BackendOptions& options) {
  for (const DeviceEntry& entry : kDevices) {
    if (device == "auto" && entry.chosen_by_auto && entry.present()) return entry.make(options);
    if (device != entry.name) continue;
    if (!entry.present()) return Error{"--device " + std::string(device) + ": no such device is present on this machine"};
    return entry.make(options);
  }
  return Error{"unknown --device '" + std::string(device) + "': this build has " + device_list() + " (or auto)"};
}

}  // namespace keel
