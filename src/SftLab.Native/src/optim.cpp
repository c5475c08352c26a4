// Optimizer updates done in one pass over memory.
//
// AdamW composed from tensor ops (mul_, add_, addcmul_, sqrt, div_, add_, addcdiv_) reads and writes
// the parameter and its two moment buffers several times per step and allocates a temporary the size
// of the parameter. On a CPU that update is memory-bound: for a 135M-parameter model it moves a few GB
// per step. sft_adamw_update does the same arithmetic, element by element, in a single sweep (split
// across libtorch's intra-op threads). Off the CPU, or for layouts the loop does not handle, it falls
// back to the composed ops, in the order of torch's _single_tensor_adamw.
#include <ATen/Parallel.h>
#include <c10/core/GradMode.h>
#include <c10/util/BFloat16.h>
#include <c10/util/Half.h>

#include <cmath>
#include <type_traits>

#include "common.h"

namespace {

struct AdamWStep {
  double lr, beta1, beta2, weight_decay, eps, step_size, bias_correction2_sqrt;
};

// One AdamW update of the elements [begin, end). T: the storage type; A: the type the arithmetic is done
// in (float for 16-bit and 32-bit floats, double for double), as libtorch's CPU kernels do for these ops.
// The pointers are restrict-qualified function parameters so the compiler may vectorize the loop.
template <typename T>
inline void adamw_range(T* __restrict p, const T* __restrict g, T* __restrict m, T* __restrict v, int64_t begin, int64_t end,
                        const AdamWStep& s) {
  using A = std::conditional_t<std::is_same_v<T, double>, double, float>;
  const A decay = static_cast<A>(1 - s.lr * s.weight_decay);
  const A beta1 = static_cast<A>(s.beta1), one_minus_beta1 = static_cast<A>(1 - s.beta1);
  const A beta2 = static_cast<A>(s.beta2), one_minus_beta2 = static_cast<A>(1 - s.beta2);
  const A bc2 = static_cast<A>(s.bias_correction2_sqrt), eps = static_cast<A>(s.eps);
  const A neg_step = static_cast<A>(-s.step_size);
  for (int64_t i = begin; i < end; ++i) {
    const A gi = static_cast<A>(g[i]);
    const A mi = static_cast<A>(m[i]) * beta1 + one_minus_beta1 * gi;
    const A vi = static_cast<A>(v[i]) * beta2 + one_minus_beta2 * (gi * gi);
    const A denom = std::sqrt(vi) / bc2 + eps;
    const A pi = static_cast<A>(p[i]) * decay;
    p[i] = static_cast<T>(pi + neg_step * (mi / denom));
    m[i] = static_cast<T>(mi);
    v[i] = static_cast<T>(vi);
  }
}

// float32, the common case, compiled for the CPU's widest vectors (on x86-64 the loader picks the clone).
#if defined(__x86_64__) && defined(__GNUC__)
#define SFT_VECTOR_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define SFT_VECTOR_CLONES
#endif
SFT_VECTOR_CLONES void adamw_range_f32(float* __restrict p, const float* __restrict g,
                                                                                 float* __restrict m, float* __restrict v,
                                                                                 int64_t begin, int64_t end, const AdamWStep& s) {
  adamw_range(p, g, m, v, begin, end, s);
}

template <typename T>
void adamw_loop(T* p, const T* g, T* m, T* v, int64_t n, const AdamWStep& s) {
  at::parallel_for(0, n, 32768, [=, &s](int64_t begin, int64_t end) {
    if constexpr (std::is_same_v<T, float>)
      adamw_range_f32(p, g, m, v, begin, end, s);
    else
      adamw_range(p, g, m, v, begin, end, s);
  });
}

void adamw_composed(at::Tensor& p, const at::Tensor& g, at::Tensor& m, at::Tensor& v, const AdamWStep& s) {
  p.mul_(1 - s.lr * s.weight_decay);
  m.mul_(s.beta1).add_(g, 1 - s.beta1);
  v.mul_(s.beta2).addcmul_(g, g, 1 - s.beta2);
  auto denom = v.sqrt().div_(s.bias_correction2_sqrt).add_(s.eps);
  p.addcdiv_(m, denom, -s.step_size);
}

}  // namespace

// One AdamW step (decoupled weight decay) of one parameter, in place: param, exp_avg and exp_avg_sq
// are updated; grad is read. step is the 1-based count of updates including this one.
// Returns 1 when the single-pass CPU loop ran, 0 when the composed ops did, -1 on error.
SFT_API int sft_adamw_update(TensorH param, TensorH grad, TensorH exp_avg, TensorH exp_avg_sq, double lr, double beta1,
                             double beta2, double weight_decay, double eps, double step) {
  try {
    c10::AutoGradMode no_grad(false);
    at::Tensor& p = *param;
    const at::Tensor& g = *grad;
    at::Tensor& m = *exp_avg;
    at::Tensor& v = *exp_avg_sq;
    TORCH_CHECK(g.sizes() == p.sizes(), "AdamW: the gradient's shape ", g.sizes(), " differs from the parameter's ", p.sizes());
    TORCH_CHECK(m.sizes() == p.sizes() && v.sizes() == p.sizes(), "AdamW: the moment buffers' shapes ", m.sizes(), " and ",
                v.sizes(), " differ from the parameter's ", p.sizes());
    const double bias_correction1 = 1 - std::pow(beta1, step);
    const double bias_correction2 = 1 - std::pow(beta2, step);
    const AdamWStep s{lr, beta1, beta2, weight_decay, eps, lr / bias_correction1, std::sqrt(bias_correction2)};

    const auto type = p.scalar_type();
    const bool fast = p.device().is_cpu() && g.device().is_cpu() && m.device().is_cpu() && v.device().is_cpu() &&
                      g.scalar_type() == type && m.scalar_type() == type && v.scalar_type() == type && p.is_contiguous() &&
                      g.is_contiguous() && m.is_contiguous() && v.is_contiguous() && !p.is_neg() && !p.is_conj() &&
                      (type == at::kFloat || type == at::kDouble || type == at::kBFloat16 || type == at::kHalf);
    if (!fast) {
      adamw_composed(p, g, m, v, s);
      return 0;
    }
    const int64_t n = p.numel();
    switch (type) {
      case at::kFloat:
        adamw_loop(p.data_ptr<float>(), g.data_ptr<float>(), m.data_ptr<float>(), v.data_ptr<float>(), n, s);
        break;
      case at::kDouble:
        adamw_loop(p.data_ptr<double>(), g.data_ptr<double>(), m.data_ptr<double>(), v.data_ptr<double>(), n, s);
        break;
      case at::kBFloat16:
        adamw_loop(p.data_ptr<c10::BFloat16>(), g.data_ptr<c10::BFloat16>(), m.data_ptr<c10::BFloat16>(),
                   v.data_ptr<c10::BFloat16>(), n, s);
        break;
      default:
        adamw_loop(p.data_ptr<c10::Half>(), g.data_ptr<c10::Half>(), m.data_ptr<c10::Half>(), v.data_ptr<c10::Half>(), n, s);
        break;
    }
    return 1;
  }
  SFT_CATCH(-1)
}
