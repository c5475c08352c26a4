// Gradient checkpointing: run a function without keeping its intermediate activations, and run it
// again in the backward pass to get them back. Memory for activations drops from "every tensor of
// every layer" to "the input of every layer", for about one more forward pass of compute.
//
// The function is managed code, called back through a function pointer with the inputs (new handles
// it must not free) and returning one new handle (whose ownership passes to the shim), or nullptr after
// setting an error with sft_set_error. The recomputation in the backward pass is the reentrant kind
// (as torch.utils.checkpoint with use_reentrant=True): it builds a fresh graph for the function and
// backpropagates through it on the spot, which accumulates the parameters' gradients directly. The
// random generator of the inputs' device is put back to its state of the first run for the second, so
// dropout draws the same masks.
#include <ATen/Context.h>
#include <torch/csrc/autograd/autograd.h>
#include <torch/csrc/autograd/custom_function.h>

#include <string>

#include "common.h"

SFT_API void sft_free(TensorH t);  // common.cpp

namespace {

typedef TensorH (*sft_checkpoint_fn)(void* state, TensorH* inputs, int n);
typedef void (*sft_release_fn)(void* state);

at::Tensor call(sft_checkpoint_fn fn, void* state, const std::vector<at::Tensor>& inputs) {
  std::vector<TensorH> handles;
  handles.reserve(inputs.size());
  for (const auto& t : inputs) handles.push_back(sft::wrap(at::Tensor(t)));
  TensorH out = fn(state, handles.data(), static_cast<int>(handles.size()));
  for (auto h : handles) sft_free(h);
  if (out == nullptr) {
    std::string message = sft::take_error();
    TORCH_CHECK(false, "the checkpointed function failed: ", message.empty() ? "(no message)" : message);
  }
  at::Tensor result = *out;
  sft_free(out);
  return result;
}

at::Generator generator_for(const at::Tensor& t) {
  return at::globalContext().defaultGenerator(t.device());
}

struct Checkpoint : public torch::autograd::Function<Checkpoint> {
  // `inputs` is a TensorList so that Function::apply counts each tensor as an input of the graph node (a
  // std::vector would be taken for one opaque argument, and the output would not require gradients).
  static torch::autograd::variable_list forward(torch::autograd::AutogradContext* ctx, at::TensorList inputs, int64_t fn,
                                                int64_t state, at::Tensor owner) {
    // `owner` is an empty tensor whose deleter releases the managed state: kept in the context, it lives
    // exactly as long as this node of the graph.
    ctx->saved_data["owner"] = owner;
    ctx->saved_data["fn"] = fn;
    ctx->saved_data["state"] = state;
    auto gen = generator_for(inputs.at(0));
    {
      std::lock_guard<std::mutex> lock(gen.mutex());
      ctx->saved_data["rng"] = gen.get_state();
    }
    std::vector<at::Tensor> list = inputs.vec();
    ctx->save_for_backward(list);
    at::Tensor out;
    {
      at::NoGradGuard no_grad;
      out = call(reinterpret_cast<sft_checkpoint_fn>(fn), reinterpret_cast<void*>(state), list);
    }
    return {out};
  }

  static torch::autograd::variable_list backward(torch::autograd::AutogradContext* ctx, torch::autograd::variable_list grads) {
    auto saved = ctx->get_saved_variables();
    std::vector<at::Tensor> inputs;
    inputs.reserve(saved.size());
    for (auto& t : saved) {
      auto d = t.detach();
      if (t.requires_grad()) d.requires_grad_(true);
      inputs.push_back(d);
    }
    auto fn = reinterpret_cast<sft_checkpoint_fn>(ctx->saved_data["fn"].toInt());
    auto state = reinterpret_cast<void*>(ctx->saved_data["state"].toInt());
    auto gen = generator_for(inputs.at(0));
    at::Tensor now;
    {
      std::lock_guard<std::mutex> lock(gen.mutex());
      now = gen.get_state();
      gen.set_state(ctx->saved_data["rng"].toTensor());
    }
    at::Tensor out;
    try {
      at::AutoGradMode grad_mode(true);
      out = call(fn, state, inputs);
    } catch (...) {
      std::lock_guard<std::mutex> lock(gen.mutex());
      gen.set_state(now);
      throw;
    }
    {
      std::lock_guard<std::mutex> lock(gen.mutex());
      gen.set_state(now);
    }
    if (out.requires_grad() && grads.at(0).defined()) torch::autograd::backward({out}, {grads[0]});
    torch::autograd::variable_list result;
    for (auto& d : inputs) result.push_back(d.requires_grad() ? d.grad() : at::Tensor());
    result.push_back(at::Tensor());  // fn
    result.push_back(at::Tensor());  // state
    result.push_back(at::Tensor());  // owner
    return result;
  }
};

}  // namespace

// Records an error message for the shim to report (used by managed callbacks before returning nullptr).
SFT_API void sft_set_error(const char* message) { sft::set_error(message); }

// out = fn(inputs) with checkpointing. inputs[0] decides the device whose random generator is replayed.
// release(state) is called once the graph no longer needs fn (also when this call fails).
SFT_API TensorH sft_checkpoint(sft_checkpoint_fn fn, void* state, sft_release_fn release, TensorH* inputs, int n) {
  at::Tensor owner;
  try {
    owner = at::from_blob(state, {0}, [release](void* s) { release(s); }, at::TensorOptions().dtype(at::kByte));
  } catch (...) {
    release(state);
    sft::set_error("sft_checkpoint: could not register the function's state");
    return nullptr;
  }
  try {
    TORCH_CHECK(n >= 1, "checkpoint needs at least one input tensor");
    std::vector<at::Tensor> list;
    for (int i = 0; i < n; ++i) list.push_back(*inputs[i]);
    auto out = Checkpoint::apply(at::TensorList(list), reinterpret_cast<int64_t>(fn), reinterpret_cast<int64_t>(state), owner);
    return sft::wrap(std::move(out.at(0)));
  }
  SFT_CATCH(nullptr)
}
