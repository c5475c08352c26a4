// Tensor creation, metadata, copies to and from host memory, conversions and autograd.
#include "common.h"

#include <cstring>

using sft::dims;
using sft::options;

static at::Generator* gen_of(void* g) { return static_cast<at::Generator*>(g); }

// ---- creation -------------------------------------------------------------------------------

SFT_API TensorH sft_empty(const int64_t* shape, int ndim, int dtype, int dev, int idx) {
  SFT_TENSOR(at::empty(dims(shape, ndim), options(dtype, dev, idx)))
}

SFT_API TensorH sft_zeros(const int64_t* shape, int ndim, int dtype, int dev, int idx) {
  SFT_TENSOR(at::zeros(dims(shape, ndim), options(dtype, dev, idx)))
}

SFT_API TensorH sft_ones(const int64_t* shape, int ndim, int dtype, int dev, int idx) {
  SFT_TENSOR(at::ones(dims(shape, ndim), options(dtype, dev, idx)))
}

SFT_API TensorH sft_full(const int64_t* shape, int ndim, double value, int dtype, int dev, int idx) {
  SFT_TENSOR(at::full(dims(shape, ndim), value, options(dtype, dev, idx)))
}

SFT_API TensorH sft_arange(double start, double end, double step, int dtype, int dev, int idx) {
  SFT_TENSOR(at::arange(start, end, step, options(dtype, dev, idx)))
}

// Random tensors: drawn on the CPU with the given generator (or the default one when null),
// then moved to the device.
SFT_API TensorH sft_randn(const int64_t* shape, int ndim, void* gen, int dtype, int dev, int idx) {
  try {
    auto cpu = at::TensorOptions().dtype(static_cast<at::ScalarType>(dtype));
    at::Tensor t = gen ? at::randn(dims(shape, ndim), *gen_of(gen), cpu) : at::randn(dims(shape, ndim), cpu);
    return sft::wrap(t.to(sft::device(dev, idx)));
  }
  SFT_CATCH(nullptr)
}

SFT_API TensorH sft_rand(const int64_t* shape, int ndim, void* gen, int dtype, int dev, int idx) {
  try {
    auto cpu = at::TensorOptions().dtype(static_cast<at::ScalarType>(dtype));
    at::Tensor t = gen ? at::rand(dims(shape, ndim), *gen_of(gen), cpu) : at::rand(dims(shape, ndim), cpu);
    return sft::wrap(t.to(sft::device(dev, idx)));
  }
  SFT_CATCH(nullptr)
}

SFT_API TensorH sft_randint(int64_t low, int64_t high, const int64_t* shape, int ndim, void* gen, int dtype, int dev,
                            int idx) {
  try {
    auto cpu = at::TensorOptions().dtype(static_cast<at::ScalarType>(dtype));
    at::Tensor t = gen ? at::randint(low, high, dims(shape, ndim), *gen_of(gen), cpu)
                       : at::randint(low, high, dims(shape, ndim), cpu);
    return sft::wrap(t.to(sft::device(dev, idx)));
  }
  SFT_CATCH(nullptr)
}

// Copies `nbytes` of host memory into a new CPU tensor of the shape and dtype, then moves it.
SFT_API TensorH sft_from_data(const void* data, int64_t nbytes, const int64_t* shape, int ndim, int dtype, int dev,
                              int idx) {
  try {
    auto st = static_cast<at::ScalarType>(dtype);
    at::Tensor t = at::empty(dims(shape, ndim), at::TensorOptions().dtype(st));
    int64_t expected = t.numel() * static_cast<int64_t>(t.element_size());
    TORCH_CHECK(expected == nbytes, "data has ", nbytes, " bytes but shape ", t.sizes(), " of ", st, " needs ",
                expected);
    if (nbytes > 0) std::memcpy(t.data_ptr(), data, static_cast<size_t>(nbytes));
    return sft::wrap(t.to(sft::device(dev, idx)));
  }
  SFT_CATCH(nullptr)
}

// Copies the tensor's elements (row-major, its own dtype) into `out`, which holds `nbytes`.
SFT_API int sft_copy_to_host(TensorH t, void* out, int64_t nbytes) {
  try {
    at::Tensor c = t->detach().to(at::kCPU).contiguous();
    int64_t size = c.numel() * static_cast<int64_t>(c.element_size());
    TORCH_CHECK(size == nbytes, "buffer has ", nbytes, " bytes but the tensor needs ", size);
    if (size > 0) std::memcpy(out, c.data_ptr(), static_cast<size_t>(size));
    return 0;
  }
  SFT_CATCH(-1)
}

// ---- metadata -------------------------------------------------------------------------------

SFT_API int sft_ndim(TensorH t) { return static_cast<int>(t->dim()); }

SFT_API int sft_shape(TensorH t, int64_t* out) {
  auto s = t->sizes();
  for (size_t i = 0; i < s.size(); ++i) out[i] = s[i];
  return static_cast<int>(s.size());
}

SFT_API int sft_strides(TensorH t, int64_t* out) {
  auto s = t->strides();
  for (size_t i = 0; i < s.size(); ++i) out[i] = s[i];
  return static_cast<int>(s.size());
}

SFT_API int64_t sft_numel(TensorH t) { return t->numel(); }
SFT_API int sft_dtype(TensorH t) { return static_cast<int>(t->scalar_type()); }
SFT_API int sft_device_type(TensorH t) { return static_cast<int>(t->device().type()); }
SFT_API int sft_device_index(TensorH t) { return static_cast<int>(t->device().index()); }
SFT_API int sft_is_contiguous(TensorH t) { return t->is_contiguous() ? 1 : 0; }
SFT_API int sft_element_size(TensorH t) { return static_cast<int>(t->element_size()); }

SFT_API int sft_item_double(TensorH t, double* out) { SFT_STATUS(*out = t->item<double>()) }
SFT_API int sft_item_long(TensorH t, int64_t* out) { SFT_STATUS(*out = t->item<int64_t>()) }

// ---- conversions ----------------------------------------------------------------------------

SFT_API TensorH sft_to_dtype(TensorH t, int dtype) { SFT_TENSOR(t->to(static_cast<at::ScalarType>(dtype))) }

SFT_API TensorH sft_to_device(TensorH t, int dev, int idx, int non_blocking) {
  SFT_TENSOR(t->to(sft::device(dev, idx), non_blocking != 0))
}

SFT_API TensorH sft_clone(TensorH t) { SFT_TENSOR(t->clone()) }
SFT_API TensorH sft_detach(TensorH t) { SFT_TENSOR(t->detach()) }
SFT_API TensorH sft_contiguous(TensorH t) { SFT_TENSOR(t->contiguous()) }
// A second handle to the same tensor (shares storage and autograd identity).
SFT_API TensorH sft_alias(TensorH t) { SFT_TENSOR(at::Tensor(*t)) }

// ---- autograd -------------------------------------------------------------------------------

SFT_API int sft_set_requires_grad(TensorH t, int on) { SFT_STATUS(t->set_requires_grad(on != 0)) }
SFT_API int sft_requires_grad(TensorH t) { return t->requires_grad() ? 1 : 0; }
SFT_API int sft_is_leaf(TensorH t) { return t->is_leaf() ? 1 : 0; }

SFT_API int sft_backward(TensorH t, TensorH grad, int retain_graph) {
  SFT_STATUS(t->backward(grad ? *grad : at::Tensor(), retain_graph != 0 ? c10::optional<bool>(true) : c10::nullopt))
}

// The accumulated gradient, or nullptr (and no error) when there is none.
SFT_API TensorH sft_grad(TensorH t) {
  try {
    const at::Tensor& g = t->grad();
    if (!g.defined()) return nullptr;
    return sft::wrap(at::Tensor(g));
  }
  SFT_CATCH(nullptr)
}

SFT_API int sft_set_grad(TensorH t, TensorH grad) {
  SFT_STATUS(t->mutable_grad() = grad ? *grad : at::Tensor())
}

// ---- in-place updates (used by optimizers, under no_grad) -------------------------------------

SFT_API int sft_zero_(TensorH t) { SFT_STATUS(t->zero_()) }
SFT_API int sft_fill_(TensorH t, double v) { SFT_STATUS(t->fill_(v)) }
SFT_API int sft_copy_(TensorH t, TensorH src) { SFT_STATUS(t->copy_(*src)) }
SFT_API int sft_add_(TensorH t, TensorH other, double alpha) { SFT_STATUS(t->add_(*other, alpha)) }
SFT_API int sft_add_scalar_(TensorH t, double v) { SFT_STATUS(t->add_(v)) }
SFT_API int sft_mul_(TensorH t, TensorH other) { SFT_STATUS(t->mul_(*other)) }
SFT_API int sft_mul_scalar_(TensorH t, double v) { SFT_STATUS(t->mul_(v)) }
SFT_API int sft_div_scalar_(TensorH t, double v) { SFT_STATUS(t->div_(v)) }
SFT_API int sft_lerp_(TensorH t, TensorH end, double weight) { SFT_STATUS(t->lerp_(*end, weight)) }
SFT_API int sft_addcmul_(TensorH t, TensorH a, TensorH b, double value) { SFT_STATUS(t->addcmul_(*a, *b, value)) }
SFT_API int sft_addcdiv_(TensorH t, TensorH a, TensorH b, double value) { SFT_STATUS(t->addcdiv_(*a, *b, value)) }
SFT_API int sft_clamp_(TensorH t, double lo, double hi) { SFT_STATUS(t->clamp_(lo, hi)) }
