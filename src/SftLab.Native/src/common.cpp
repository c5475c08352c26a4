// Runtime-wide functions: errors, live-tensor count, versions, threads, seeds, grad mode.
#include "common.h"

#include <ATen/CPUGeneratorImpl.h>
#include <ATen/Parallel.h>
#include <c10/core/GradMode.h>

#include <cstring>

namespace sft {

std::atomic<int64_t> live_tensors{0};
static thread_local std::string last_error;
static thread_local bool has_error = false;

void set_error(const char* message) {
  last_error = message ? message : "";
  has_error = true;
}

void clear_error() { has_error = false; }

std::string take_error() {
  if (!has_error) return std::string();
  has_error = false;
  return last_error;
}

}  // namespace sft

// The message of the last failed call on this thread, or nullptr. Reading it clears it.
SFT_API const char* sft_last_error() {
  if (!sft::has_error) return nullptr;
  sft::has_error = false;
  return sft::last_error.c_str();
}

SFT_API int64_t sft_live_tensors() { return sft::live_tensors.load(std::memory_order_relaxed); }

SFT_API void sft_free(TensorH t) {
  if (t == nullptr) return;
  delete t;
  sft::live_tensors.fetch_sub(1, std::memory_order_relaxed);
}

SFT_API int sft_torch_version(int* major, int* minor, int* patch) {
  *major = TORCH_VERSION_MAJOR;
  *minor = TORCH_VERSION_MINOR;
  *patch = TORCH_VERSION_PATCH;
  return 0;
}

SFT_API int sft_cuda_is_available() {
  try {
    return at::hasCUDA() ? 1 : 0;
  }
  SFT_CATCH(0)
}

SFT_API int sft_cuda_device_count() {
  try {
    return at::hasCUDA() ? static_cast<int>(at::getNumGPUs()) : 0;
  }
  SFT_CATCH(0)
}

SFT_API int sft_set_num_threads(int n) { SFT_STATUS(at::set_num_threads(n)) }
SFT_API int sft_get_num_threads() { return at::get_num_threads(); }

SFT_API int sft_manual_seed(uint64_t seed) { SFT_STATUS(at::manual_seed(seed)) }

// Returns the previous state.
SFT_API int sft_set_grad_enabled(int enabled) {
  bool prev = c10::GradMode::is_enabled();
  c10::GradMode::set_enabled(enabled != 0);
  return prev ? 1 : 0;
}

SFT_API int sft_is_grad_enabled() { return c10::GradMode::is_enabled() ? 1 : 0; }

// ---- generators: CPU generators; random tensors for other devices are drawn on the CPU and
// moved, so a seed gives the same numbers on every device.

SFT_API void* sft_generator_new(uint64_t seed) {
  try {
    return new at::Generator(at::make_generator<at::CPUGeneratorImpl>(seed));
  }
  SFT_CATCH(nullptr)
}

SFT_API void sft_generator_free(void* g) { delete static_cast<at::Generator*>(g); }

SFT_API int sft_generator_get_state(void* g, uint8_t* out, int64_t capacity, int64_t* size) {
  try {
    auto* gen = static_cast<at::Generator*>(g);
    std::lock_guard<std::mutex> lock(gen->mutex());
    at::Tensor state = gen->get_state();
    *size = state.numel();
    if (out != nullptr) {
      TORCH_CHECK(capacity >= state.numel(), "generator state buffer too small");
      std::memcpy(out, state.data_ptr(), static_cast<size_t>(state.numel()));
    }
    return 0;
  }
  SFT_CATCH(-1)
}

SFT_API int sft_generator_set_state(void* g, const uint8_t* data, int64_t size) {
  try {
    auto* gen = static_cast<at::Generator*>(g);
    at::Tensor state = at::empty({size}, at::kByte);
    std::memcpy(state.data_ptr(), data, static_cast<size_t>(size));
    std::lock_guard<std::mutex> lock(gen->mutex());
    gen->set_state(state);
    return 0;
  }
  SFT_CATCH(-1)
}
