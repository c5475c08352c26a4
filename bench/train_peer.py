"""The peer of `sftlab bench-train`: the same training step in plain python3-torch (Debian's 1.13,
the libtorch the SftLab shim links), on the same checkpoint and the same batch, so the C# figures can
be printed as ratios from one run.

The model is tests/oracles/models/llama_reference.py (an independent plain-torch Llama, written
without transformers): its weights are made leaf tensors that require gradients, so autograd trains
them. One step is what a PyTorch user writes:

    opt.zero_grad(set_to_none=True)
    logits = model(ids)                                   # [B, T, V]
    loss = cross_entropy(logits[:, :-1], ids[:, 1:], reduction="sum") / label_tokens
    loss.backward()
    clip_grad_norm_(params, max_grad_norm)
    opt.step()                                            # torch.optim.AdamW
    opt.zero_grad(set_to_none=True)

It runs as a small server so the C# side can interleave its steps with the peer's (one step each in
turn), which keeps the comparison fair on a machine whose load changes during the run. Protocol: one
JSON object per line on stdin, one JSON reply per line on stdout:

    {"cmd": "setup", "model": DIR, "batch": B, "seq": T, "threads": N, "lr": 1e-4, "weight_decay": 0.01,
     "max_grad_norm": 1.0}
        -> {"version", "threads", "parameters"}
    {"cmd": "steps", "n": K}    -> {"seconds": [K floats], "losses": [K floats]}
    {"cmd": "quit"}

Errors: {"error": "..."} and exit status 2.
"""
import json
import os
import sys
import time

import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "oracles", "models"))
import llama_reference as ref  # noqa: E402


def batch_ids(batch, seq, vocab):
    """The benchmark's batch: a deterministic pseudo-random token grid, the same formula as the C# side."""
    rows = []
    for b in range(batch):
        rows.append([((b * 1000003 + t * 7919 + 17) * 2654435761) % vocab for t in range(seq)])
    return torch.tensor(rows, dtype=torch.int64)


class Peer:
    def __init__(self, req):
        torch.set_num_threads(int(req["threads"]))
        torch.manual_seed(0)
        cfg, weights = ref.load_checkpoint(req["model"])
        for t in weights.values():
            t.requires_grad_(True)
        self.model = ref.LlamaReference(cfg, weights, torch.float32)
        # The reference keeps the float32 tensors it was given (and the tied head is the embedding tensor
        # itself), so these are the leaves autograd fills.
        unique = {}
        for name, t in self.model.w.items():
            if id(t) not in unique:
                unique[id(t)] = (name, t)
        if not all(t.requires_grad for _, t in unique.values()):
            raise ValueError("the reference model copied its weights: they would not train")
        self.params = [t for _, t in unique.values()]
        no_decay = [t for n, t in unique.values() if t.dim() < 2]
        decay = [t for n, t in unique.values() if t.dim() >= 2]
        wd = float(req.get("weight_decay", 0.0))
        self.opt = torch.optim.AdamW([{"params": decay, "weight_decay": wd}, {"params": no_decay, "weight_decay": 0.0}],
                                     lr=float(req.get("lr", 1e-4)), betas=(0.9, 0.999), eps=1e-8)
        self.max_grad_norm = float(req.get("max_grad_norm", 1.0))
        self.vocab = cfg.vocab_size
        self.ids = batch_ids(int(req["batch"]), int(req["seq"]), cfg.vocab_size)
        self.parameters = sum(t.numel() for t in self.params)

    def step(self):
        ids = self.ids
        B, T = ids.shape
        self.opt.zero_grad(set_to_none=True)
        positions = torch.arange(T, dtype=torch.int64).expand(B, T)
        allowed = ref.build_allowed(T, B=B)
        logits = self.model.forward(ids, positions, allowed)
        labels = ids[:, 1:].reshape(-1)
        loss_sum = F.cross_entropy(logits[:, :-1].reshape(-1, self.vocab).float(), labels, reduction="sum")
        (loss_sum / labels.numel()).backward()
        if self.max_grad_norm > 0:
            torch.nn.utils.clip_grad_norm_(self.params, self.max_grad_norm)
        self.opt.step()
        self.opt.zero_grad(set_to_none=True)
        return loss_sum.item() / labels.numel()


def main():
    peer = None
    for line in sys.stdin:
        if not line.strip():
            continue
        try:
            req = json.loads(line)
            cmd = req.get("cmd")
            if cmd == "setup":
                peer = Peer(req)
                out = {"version": torch.__version__, "threads": torch.get_num_threads(), "parameters": peer.parameters}
            elif cmd == "steps":
                if peer is None:
                    raise ValueError("'steps' before 'setup'")
                seconds, losses = [], []
                for _ in range(int(req.get("n", 1))):
                    t0 = time.perf_counter()
                    losses.append(peer.step())
                    seconds.append(time.perf_counter() - t0)
                out = {"seconds": seconds, "losses": losses}
            elif cmd == "quit":
                return 0
            else:
                raise ValueError(f"unknown cmd {cmd!r}")
        except Exception as e:  # reported to the C# side, which names this script in its error
            print(json.dumps({"error": f"{type(e).__name__}: {e}"}), flush=True)
            return 2
        print(json.dumps(out), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
