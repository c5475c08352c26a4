// Neural-network functions: activations over a dimension, losses, embedding, dropout, sampling,
// normalization, attention, and gradient clipping.
#include "common.h"

#include <c10/core/GradMode.h>

#include <cmath>
#include <limits>

SFT_API TensorH sft_softmax(TensorH t, int64_t dim) { SFT_TENSOR(at::softmax(*t, dim)) }
SFT_API TensorH sft_log_softmax(TensorH t, int64_t dim) { SFT_TENSOR(at::log_softmax(*t, dim)) }

// reduction: 0 none, 1 mean, 2 sum (at::Reduction).
SFT_API TensorH sft_cross_entropy(TensorH input, TensorH target, TensorH weight, int reduction, int64_t ignore_index,
                                  double label_smoothing) {
  SFT_TENSOR(at::cross_entropy_loss(*input, *target, sft::opt(weight), reduction, ignore_index, label_smoothing))
}

SFT_API TensorH sft_mse_loss(TensorH input, TensorH target, int reduction) {
  SFT_TENSOR(at::mse_loss(*input, *target, reduction))
}

SFT_API TensorH sft_embedding(TensorH weight, TensorH indices, int64_t padding_idx) {
  SFT_TENSOR(at::embedding(*weight, *indices, padding_idx))
}

SFT_API TensorH sft_dropout(TensorH t, double p, int train) { SFT_TENSOR(at::dropout(*t, p, train != 0)) }

SFT_API TensorH sft_multinomial(TensorH probs, int64_t n, int replacement, void* gen) {
  try {
    if (gen == nullptr) return sft::wrap(at::multinomial(*probs, n, replacement != 0));
    // Generators live on the CPU (see sft_randn): sample there and move the indices back.
    at::Tensor idx = at::multinomial(probs->to(at::kCPU), n, replacement != 0, *static_cast<at::Generator*>(gen));
    return sft::wrap(idx.to(probs->device()));
  }
  SFT_CATCH(nullptr)
}

SFT_API TensorH sft_layer_norm(TensorH x, const int64_t* shape, int n, TensorH w, TensorH b, double eps) {
  SFT_TENSOR(at::layer_norm(*x, sft::dims(shape, n), sft::opt(w), sft::opt(b), eps))
}

// RMSNorm over the last dimension, computed in at least float32 as Llama does, then cast back.
SFT_API TensorH sft_rms_norm(TensorH x, TensorH w, double eps) {
  try {
    at::Tensor h = x->to(at::promote_types(x->scalar_type(), at::kFloat));
    h = h * at::rsqrt(h.pow(2).mean(-1, true) + eps);
    h = h.to(x->scalar_type());
    return sft::wrap(w ? h * *w : h);
  }
  SFT_CATCH(nullptr)
}

namespace {

// softmax(q kᵀ / sqrt(d) + mask) v. q: [..., L, d], k/v: [..., S, d]. mask (may be undefined) is boolean
// (true = may attend) or additive float. libtorch 2.x has a fused kernel; 1.13 composes it.
at::Tensor attention(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v, const c10::optional<at::Tensor>& mask,
                     double dropout_p, bool is_causal) {
#if TORCH_VERSION_MAJOR >= 2
  return at::scaled_dot_product_attention(q, k, v, mask, dropout_p, is_causal);
#else
  // The scale goes on q ([..., L, d]) rather than on the scores ([..., L, S]), and the masks are applied in
  // place: the matmul's backward does not need its output, so the scores can be overwritten. Fewer passes
  // over the largest tensor of attention, forward and backward.
  const int64_t L = q.size(-2), S = k.size(-2);
  at::Tensor scores = at::matmul(q * (1.0 / std::sqrt(static_cast<double>(q.size(-1)))), k.transpose(-2, -1));
  if (is_causal) {
    at::Tensor future = at::ones({L, S}, q.options().dtype(at::kBool)).triu(1);
    scores.masked_fill_(future, -std::numeric_limits<double>::infinity());
  }
  if (mask.has_value() && mask->defined()) {
    if (mask->scalar_type() == at::kBool)
      scores.masked_fill_(mask->logical_not(), -std::numeric_limits<double>::infinity());
    else
      scores.add_(*mask);
  }
  at::Tensor p = at::softmax(scores, -1);
  if (dropout_p > 0) p = at::dropout(p, dropout_p, true);
  return at::matmul(p, v);
#endif
}

}  // namespace

// softmax(q kᵀ / sqrt(d) + mask) v. q: [..., L, d], k/v: [..., S, d]. mask (optional) is boolean
// (true = may attend) or additive float.
SFT_API TensorH sft_scaled_dot_product_attention(TensorH q, TensorH k, TensorH v, TensorH mask, double dropout_p,
                                                 int is_causal) {
  try {
    return sft::wrap(attention(*q, *k, *v, sft::opt(mask), dropout_p, is_causal != 0));
  }
  SFT_CATCH(nullptr)
}

// Causal attention within segments of the rows of a packed batch: the same result as a block-diagonal
// causal mask, without computing the scores between documents that may not see each other. q, k, v:
// [B, H, T, d]. segments: n triples (row, start, length), in order, covering every row exactly.
SFT_API TensorH sft_segment_attention(TensorH q, TensorH k, TensorH v, const int64_t* segments, int n, double dropout_p) {
  try {
    const int64_t B = q->size(0), T = q->size(2);
    std::vector<std::vector<at::Tensor>> rows(static_cast<size_t>(B));
    std::vector<int64_t> covered(static_cast<size_t>(B), 0);
    for (int i = 0; i < n; ++i) {
      const int64_t row = segments[3 * i], start = segments[3 * i + 1], length = segments[3 * i + 2];
      TORCH_CHECK(row >= 0 && row < B, "segment ", i, ": row ", row, " is outside the batch of ", B);
      TORCH_CHECK(start == covered[row] && length > 0 && start + length <= T, "segment ", i, " (row ", row, ", start ", start,
                  ", length ", length, ") does not continue its row, which is covered up to ", covered[row], " of ", T);
      covered[row] = start + length;
      auto slice = [&](const at::Tensor& t) { return t.select(0, row).narrow(1, start, length); };  // [H, length, d]
      rows[row].push_back(attention(slice(*q), slice(*k), slice(*v), c10::nullopt, dropout_p, length > 1));
    }
    std::vector<at::Tensor> out;
    out.reserve(static_cast<size_t>(B));
    for (int64_t r = 0; r < B; ++r) {
      TORCH_CHECK(covered[r] == T, "the segments cover row ", r, " up to ", covered[r], ", not its ", T, " tokens");
      out.push_back(rows[r].size() == 1 ? rows[r][0] : at::cat(rows[r], 1));
    }
    return sft::wrap(at::stack(out, 0));
  }
  SFT_CATCH(nullptr)
}

// Scales the gradients of `params` in place so that their global norm is at most max_norm.
// Writes the norm before clipping to *total_norm. Parameters without a gradient are skipped.
SFT_API int sft_clip_grad_norm(TensorH* params, int n, double max_norm, double norm_type, double* total_norm) {
  try {
    c10::AutoGradMode no_grad(false);  // restores the previous mode on every exit path
    std::vector<at::Tensor> grads;
    for (int i = 0; i < n; ++i) {
      const at::Tensor& g = params[i]->grad();
      if (g.defined()) grads.push_back(g);
    }
    if (grads.empty()) {
      *total_norm = 0.0;
      return 0;
    }
    std::vector<at::Tensor> norms;
    norms.reserve(grads.size());
    for (auto& g : grads) norms.push_back(at::norm(g.to(at::kFloat), norm_type));
    double tn = at::norm(at::stack(norms), norm_type).item<double>();
    *total_norm = tn;
    double coef = max_norm / (tn + 1e-6);
    if (coef < 1.0)
      for (auto& g : grads) g.mul_(coef);
    return 0;
  }
  SFT_CATCH(-1)
}
