// Shared plumbing of the shim: handles, the thread-local error slot, and the TRY macros that
// make every exported function exception-safe.
#pragma once

#include <ATen/ATen.h>
#include <torch/version.h>

#include <atomic>
#include <cstdint>
#include <string>
#include <vector>

#define SFT_API extern "C" __attribute__((visibility("default")))

// A tensor handle is a heap-allocated at::Tensor (a reference-counted pointer to a TensorImpl).
// The managed side owns it through a SafeHandle and frees it with sft_free.
typedef at::Tensor* TensorH;

namespace sft {

extern std::atomic<int64_t> live_tensors;
void set_error(const char* message);
void clear_error();
// The pending message of this thread (empty if none), cleared.
std::string take_error();

inline TensorH wrap(at::Tensor&& t) {
  live_tensors.fetch_add(1, std::memory_order_relaxed);
  return new at::Tensor(std::move(t));
}

inline at::IntArrayRef dims(const int64_t* p, int n) { return at::IntArrayRef(p, static_cast<size_t>(n)); }

inline std::vector<at::Tensor> tensors(TensorH* hs, int n) {
  std::vector<at::Tensor> v;
  v.reserve(static_cast<size_t>(n));
  for (int i = 0; i < n; ++i) v.push_back(*hs[i]);
  return v;
}

inline c10::optional<at::Tensor> opt(TensorH h) {
  if (h == nullptr) return c10::nullopt;
  return *h;
}

inline at::Device device(int type, int index) {
  return at::Device(static_cast<c10::DeviceType>(type), static_cast<c10::DeviceIndex>(index));
}

inline at::TensorOptions options(int dtype, int device_type, int device_index) {
  return at::TensorOptions().dtype(static_cast<at::ScalarType>(dtype)).device(device(device_type, device_index));
}

}  // namespace sft

// c10::Error carries a C++ backtrace in what(); the message alone is what a user needs.
#define SFT_CATCH(ret)                                                    \
  catch (const c10::Error& e) {                                           \
    sft::set_error(e.what_without_backtrace());                           \
    return ret;                                                           \
  }                                                                       \
  catch (const std::exception& e) {                                       \
    sft::set_error(e.what());                                             \
    return ret;                                                           \
  }                                                                       \
  catch (...) {                                                           \
    sft::set_error("unknown native exception");                           \
    return ret;                                                           \
  }

// Returns a new handle for the tensor expression, or nullptr with the error set.
#define SFT_TENSOR(expr)    \
  try {                     \
    return sft::wrap(expr); \
  }                         \
  SFT_CATCH(nullptr)

// Runs the statements; returns 0, or -1 with the error set.
#define SFT_STATUS(stmts) \
  try {                   \
    stmts;                \
    return 0;             \
  }                       \
  SFT_CATCH(-1)
