// Element-wise, reduction, linear-algebra and shape operators. Unary and binary element-wise
// operators share one entry point each with an operator code (kept in sync with Native.cs).
#include "common.h"

using sft::dims;

// ---- element-wise ---------------------------------------------------------------------------

enum Unary {
  U_NEG = 0, U_EXP, U_LOG, U_SQRT, U_RSQRT, U_TANH, U_SIGMOID, U_SILU, U_GELU, U_GELU_TANH,
  U_RELU, U_ABS, U_SIN, U_COS, U_SQUARE, U_LOGICAL_NOT, U_ISNAN, U_ISFINITE, U_RECIPROCAL, U_FLOOR,
  U_CEIL, U_ROUND, U_SIGN, U_LOG1P, U_EXPM1
};

SFT_API TensorH sft_unary(TensorH t, int op) {
  try {
    const at::Tensor& x = *t;
    switch (op) {
      case U_NEG: return sft::wrap(at::neg(x));
      case U_EXP: return sft::wrap(at::exp(x));
      case U_LOG: return sft::wrap(at::log(x));
      case U_SQRT: return sft::wrap(at::sqrt(x));
      case U_RSQRT: return sft::wrap(at::rsqrt(x));
      case U_TANH: return sft::wrap(at::tanh(x));
      case U_SIGMOID: return sft::wrap(at::sigmoid(x));
      case U_SILU: return sft::wrap(at::silu(x));
      case U_GELU: return sft::wrap(at::gelu(x, "none"));
      case U_GELU_TANH: return sft::wrap(at::gelu(x, "tanh"));
      case U_RELU: return sft::wrap(at::relu(x));
      case U_ABS: return sft::wrap(at::abs(x));
      case U_SIN: return sft::wrap(at::sin(x));
      case U_COS: return sft::wrap(at::cos(x));
      case U_SQUARE: return sft::wrap(at::square(x));
      case U_LOGICAL_NOT: return sft::wrap(at::logical_not(x));
      case U_ISNAN: return sft::wrap(at::isnan(x));
      case U_ISFINITE: return sft::wrap(at::isfinite(x));
      case U_RECIPROCAL: return sft::wrap(at::reciprocal(x));
      case U_FLOOR: return sft::wrap(at::floor(x));
      case U_CEIL: return sft::wrap(at::ceil(x));
      case U_ROUND: return sft::wrap(at::round(x));
      case U_SIGN: return sft::wrap(at::sign(x));
      case U_LOG1P: return sft::wrap(at::log1p(x));
      case U_EXPM1: return sft::wrap(at::expm1(x));
      default: TORCH_CHECK(false, "unknown unary operator code ", op);
    }
  }
  SFT_CATCH(nullptr)
}

enum Binary {
  B_ADD = 0, B_SUB, B_MUL, B_DIV, B_POW, B_MAXIMUM, B_MINIMUM, B_EQ, B_NE, B_LT, B_LE, B_GT, B_GE,
  B_LOGICAL_AND, B_LOGICAL_OR, B_REMAINDER, B_FLOOR_DIVIDE, B_ATAN2
};

SFT_API TensorH sft_binary(TensorH a, TensorH b, int op) {
  try {
    const at::Tensor& x = *a;
    const at::Tensor& y = *b;
    switch (op) {
      case B_ADD: return sft::wrap(at::add(x, y));
      case B_SUB: return sft::wrap(at::sub(x, y));
      case B_MUL: return sft::wrap(at::mul(x, y));
      case B_DIV: return sft::wrap(at::div(x, y));
      case B_POW: return sft::wrap(at::pow(x, y));
      case B_MAXIMUM: return sft::wrap(at::maximum(x, y));
      case B_MINIMUM: return sft::wrap(at::minimum(x, y));
      case B_EQ: return sft::wrap(at::eq(x, y));
      case B_NE: return sft::wrap(at::ne(x, y));
      case B_LT: return sft::wrap(at::lt(x, y));
      case B_LE: return sft::wrap(at::le(x, y));
      case B_GT: return sft::wrap(at::gt(x, y));
      case B_GE: return sft::wrap(at::ge(x, y));
      case B_LOGICAL_AND: return sft::wrap(at::logical_and(x, y));
      case B_LOGICAL_OR: return sft::wrap(at::logical_or(x, y));
      case B_REMAINDER: return sft::wrap(at::remainder(x, y));
      case B_FLOOR_DIVIDE: return sft::wrap(at::floor_divide(x, y));
      case B_ATAN2: return sft::wrap(at::atan2(x, y));
      default: TORCH_CHECK(false, "unknown binary operator code ", op);
    }
  }
  SFT_CATCH(nullptr)
}

// tensor (op) scalar; with `reverse`, scalar (op) tensor.
SFT_API TensorH sft_binary_scalar(TensorH a, double s, int op, int reverse) {
  try {
    const at::Tensor& x = *a;
    at::Scalar v(s);
    if (reverse) {
      switch (op) {
        case B_SUB: return sft::wrap(at::rsub(x, v));
        case B_DIV: return sft::wrap(at::mul(at::reciprocal(x), v));
        case B_POW: return sft::wrap(at::pow(v, x));
        default: break;  // commutative ones fall through to the forward form
      }
    }
    switch (op) {
      case B_ADD: return sft::wrap(at::add(x, v));
      case B_SUB: return sft::wrap(at::sub(x, v));
      case B_MUL: return sft::wrap(at::mul(x, v));
      case B_DIV: return sft::wrap(at::div(x, v));
      case B_POW: return sft::wrap(at::pow(x, v));
      case B_MAXIMUM: return sft::wrap(at::clamp_min(x, v));
      case B_MINIMUM: return sft::wrap(at::clamp_max(x, v));
      case B_EQ: return sft::wrap(at::eq(x, v));
      case B_NE: return sft::wrap(at::ne(x, v));
      case B_LT: return sft::wrap(reverse ? at::gt(x, v) : at::lt(x, v));
      case B_LE: return sft::wrap(reverse ? at::ge(x, v) : at::le(x, v));
      case B_GT: return sft::wrap(reverse ? at::lt(x, v) : at::gt(x, v));
      case B_GE: return sft::wrap(reverse ? at::le(x, v) : at::ge(x, v));
      case B_REMAINDER: return sft::wrap(at::remainder(x, v));
      case B_FLOOR_DIVIDE: return sft::wrap(at::floor_divide(x, v));
      default: TORCH_CHECK(false, "operator code ", op, " has no scalar form");
    }
  }
  SFT_CATCH(nullptr)
}

SFT_API TensorH sft_add_alpha(TensorH a, TensorH b, double alpha) { SFT_TENSOR(at::add(*a, *b, alpha)) }
SFT_API TensorH sft_clamp(TensorH t, double lo, double hi, int has_lo, int has_hi) {
  SFT_TENSOR(at::clamp(*t, has_lo ? c10::optional<at::Scalar>(lo) : c10::nullopt,
                       has_hi ? c10::optional<at::Scalar>(hi) : c10::nullopt))
}
SFT_API TensorH sft_where(TensorH cond, TensorH a, TensorH b) { SFT_TENSOR(at::where(*cond, *a, *b)) }
SFT_API TensorH sft_masked_fill(TensorH t, TensorH mask, double value) { SFT_TENSOR(t->masked_fill(*mask, value)) }
SFT_API TensorH sft_triu(TensorH t, int64_t k) { SFT_TENSOR(at::triu(*t, k)) }
SFT_API TensorH sft_tril(TensorH t, int64_t k) { SFT_TENSOR(at::tril(*t, k)) }
SFT_API TensorH sft_lerp(TensorH a, TensorH b, double w) { SFT_TENSOR(at::lerp(*a, *b, w)) }

// ---- linear algebra -------------------------------------------------------------------------

SFT_API TensorH sft_matmul(TensorH a, TensorH b) { SFT_TENSOR(at::matmul(*a, *b)) }
SFT_API TensorH sft_mm(TensorH a, TensorH b) { SFT_TENSOR(at::mm(*a, *b)) }
SFT_API TensorH sft_bmm(TensorH a, TensorH b) { SFT_TENSOR(at::bmm(*a, *b)) }
SFT_API TensorH sft_linear(TensorH x, TensorH w, TensorH b) { SFT_TENSOR(at::linear(*x, *w, sft::opt(b))) }
SFT_API TensorH sft_outer(TensorH a, TensorH b) { SFT_TENSOR(at::outer(*a, *b)) }

// ---- reductions -----------------------------------------------------------------------------

SFT_API TensorH sft_sum_all(TensorH t) { SFT_TENSOR(at::sum(*t)) }
SFT_API TensorH sft_mean_all(TensorH t) { SFT_TENSOR(at::mean(*t)) }
SFT_API TensorH sft_max_all(TensorH t) { SFT_TENSOR(at::max(*t)) }
SFT_API TensorH sft_min_all(TensorH t) { SFT_TENSOR(at::min(*t)) }

SFT_API TensorH sft_sum(TensorH t, const int64_t* d, int nd, int keepdim) {
  SFT_TENSOR(at::sum(*t, dims(d, nd), keepdim != 0))
}
SFT_API TensorH sft_mean(TensorH t, const int64_t* d, int nd, int keepdim) {
  SFT_TENSOR(at::mean(*t, dims(d, nd), keepdim != 0))
}
SFT_API TensorH sft_var(TensorH t, const int64_t* d, int nd, int64_t correction, int keepdim) {
#if TORCH_VERSION_MAJOR >= 2
  SFT_TENSOR(at::var(*t, at::OptionalIntArrayRef(dims(d, nd)), at::Scalar(correction), keepdim != 0))
#else
  SFT_TENSOR(at::var(*t, at::OptionalIntArrayRef(dims(d, nd)), c10::optional<int64_t>(correction), keepdim != 0))
#endif
}
SFT_API TensorH sft_logsumexp(TensorH t, const int64_t* d, int nd, int keepdim) {
  SFT_TENSOR(at::logsumexp(*t, dims(d, nd), keepdim != 0))
}
SFT_API TensorH sft_norm(TensorH t, double p) { SFT_TENSOR(at::norm(*t, p)) }

// max/min along a dimension: values and indices.
SFT_API int sft_max_dim(TensorH t, int64_t dim, int keepdim, TensorH* values, TensorH* indices) {
  try {
    auto r = at::max(*t, dim, keepdim != 0);
    *values = sft::wrap(std::move(std::get<0>(r)));
    *indices = sft::wrap(std::move(std::get<1>(r)));
    return 0;
  }
  SFT_CATCH(-1)
}
SFT_API int sft_min_dim(TensorH t, int64_t dim, int keepdim, TensorH* values, TensorH* indices) {
  try {
    auto r = at::min(*t, dim, keepdim != 0);
    *values = sft::wrap(std::move(std::get<0>(r)));
    *indices = sft::wrap(std::move(std::get<1>(r)));
    return 0;
  }
  SFT_CATCH(-1)
}
SFT_API TensorH sft_argmax(TensorH t, int64_t dim, int has_dim, int keepdim) {
  SFT_TENSOR(at::argmax(*t, has_dim ? c10::optional<int64_t>(dim) : c10::nullopt, keepdim != 0))
}
SFT_API TensorH sft_cumsum(TensorH t, int64_t dim) { SFT_TENSOR(at::cumsum(*t, dim)) }
SFT_API int sft_topk(TensorH t, int64_t k, int64_t dim, int largest, int sorted, TensorH* values, TensorH* indices) {
  try {
    auto r = at::topk(*t, k, dim, largest != 0, sorted != 0);
    *values = sft::wrap(std::move(std::get<0>(r)));
    *indices = sft::wrap(std::move(std::get<1>(r)));
    return 0;
  }
  SFT_CATCH(-1)
}
SFT_API int sft_sort(TensorH t, int64_t dim, int descending, TensorH* values, TensorH* indices) {
  try {
    auto r = at::sort(*t, dim, descending != 0);
    *values = sft::wrap(std::move(std::get<0>(r)));
    *indices = sft::wrap(std::move(std::get<1>(r)));
    return 0;
  }
  SFT_CATCH(-1)
}
SFT_API int sft_equal(TensorH a, TensorH b) {
  try {
    return at::equal(*a, *b) ? 1 : 0;
  }
  SFT_CATCH(-1)
}
SFT_API int sft_allclose(TensorH a, TensorH b, double rtol, double atol) {
  try {
    return at::allclose(*a, *b, rtol, atol) ? 1 : 0;
  }
  SFT_CATCH(-1)
}

// ---- shapes and indexing --------------------------------------------------------------------

SFT_API TensorH sft_reshape(TensorH t, const int64_t* s, int n) { SFT_TENSOR(t->reshape(dims(s, n))) }
SFT_API TensorH sft_view(TensorH t, const int64_t* s, int n) { SFT_TENSOR(t->view(dims(s, n))) }
SFT_API TensorH sft_expand(TensorH t, const int64_t* s, int n) { SFT_TENSOR(t->expand(dims(s, n))) }
SFT_API TensorH sft_permute(TensorH t, const int64_t* s, int n) { SFT_TENSOR(t->permute(dims(s, n))) }
SFT_API TensorH sft_repeat(TensorH t, const int64_t* s, int n) { SFT_TENSOR(t->repeat(dims(s, n))) }
SFT_API TensorH sft_transpose(TensorH t, int64_t d0, int64_t d1) { SFT_TENSOR(t->transpose(d0, d1)) }
SFT_API TensorH sft_unsqueeze(TensorH t, int64_t d) { SFT_TENSOR(t->unsqueeze(d)) }
SFT_API TensorH sft_squeeze(TensorH t, int64_t d, int has_dim) { SFT_TENSOR(has_dim ? t->squeeze(d) : t->squeeze()) }
SFT_API TensorH sft_flatten(TensorH t, int64_t start, int64_t end) { SFT_TENSOR(t->flatten(start, end)) }
SFT_API TensorH sft_narrow(TensorH t, int64_t dim, int64_t start, int64_t length) {
  SFT_TENSOR(t->narrow(dim, start, length))
}
SFT_API TensorH sft_slice(TensorH t, int64_t dim, int64_t start, int64_t end, int64_t step) {
  SFT_TENSOR(t->slice(dim, start, end, step))
}
SFT_API TensorH sft_select(TensorH t, int64_t dim, int64_t index) { SFT_TENSOR(t->select(dim, index)) }
SFT_API TensorH sft_index_select(TensorH t, int64_t dim, TensorH index) { SFT_TENSOR(t->index_select(dim, *index)) }
SFT_API TensorH sft_gather(TensorH t, int64_t dim, TensorH index) { SFT_TENSOR(t->gather(dim, *index)) }
SFT_API TensorH sft_scatter(TensorH t, int64_t dim, TensorH index, TensorH src) {
  SFT_TENSOR(t->scatter(dim, *index, *src))
}
SFT_API TensorH sft_masked_select(TensorH t, TensorH mask) { SFT_TENSOR(t->masked_select(*mask)) }
SFT_API TensorH sft_nonzero(TensorH t) { SFT_TENSOR(t->nonzero()) }
SFT_API TensorH sft_cat(TensorH* ts, int n, int64_t dim) { SFT_TENSOR(at::cat(sft::tensors(ts, n), dim)) }
SFT_API TensorH sft_stack(TensorH* ts, int n, int64_t dim) { SFT_TENSOR(at::stack(sft::tensors(ts, n), dim)) }

// Splits into pieces of `size` (the last may be smaller). Writes up to `capacity` handles to `out`
// and returns how many pieces there are; call with capacity 0 to count.
SFT_API int sft_split(TensorH t, int64_t size, int64_t dim, TensorH* out, int capacity) {
  try {
    auto parts = t->split(size, dim);
    int n = static_cast<int>(parts.size());
    if (capacity >= n)
      for (int i = 0; i < n; ++i) out[i] = sft::wrap(std::move(parts[static_cast<size_t>(i)]));
    return n;
  }
  SFT_CATCH(-1)
}
