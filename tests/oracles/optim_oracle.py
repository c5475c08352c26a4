#!/usr/bin/python3
"""Reference trajectories for SftLab's optimizers and learning-rate schedulers (OptimizerTests).

Runs torch.optim (Debian's python3-torch 1.13) on the inputs the C# test sends as JSON on stdin and
prints the results as JSON on stdout. Floats go through JSON as repr()/"R" text, so float64 values
arrive bit for bit.

Input:
  {
    "optimizer": "adamw" | "sgd" | null,          # null: scheduler only (one dummy parameter per group)
    "defaults": {...},                            # keyword arguments of the optimizer's constructor
    "groups": [{"params": [{"shape": [..], "data": [..]}], "options": {...}}],
    "grads": [[[flat values | null per parameter] per group] per step],
    "steps": n,                                   # scheduler only: number of steps
    "scheduler": null | {"name": "constant" | "constant_with_warmup" | "linear" | "cosine" | "exp",
                         "warmup": n, "total": n, "num_cycles": 0.5, "gamma": 0.9}
  }
Output:
  {"params": [[[flat values per parameter] per group] after each step],
   "lrs": [[lr per group] used by each step]}          (scheduler only: "lrs" after construction and each step)
"""
import json
import math
import sys

import torch


# The multipliers of transformers' optimization.py (get_*_schedule_with_warmup), verbatim.
def _constant(current_step):
    return 1.0


def _constant_with_warmup(num_warmup_steps):
    def lr_lambda(current_step):
        if current_step < num_warmup_steps:
            return float(current_step) / float(max(1.0, num_warmup_steps))
        return 1.0
    return lr_lambda


def _linear_with_warmup(num_warmup_steps, num_training_steps):
    def lr_lambda(current_step):
        if current_step < num_warmup_steps:
            return float(current_step) / float(max(1, num_warmup_steps))
        return max(
            0.0, float(num_training_steps - current_step) / float(max(1, num_training_steps - num_warmup_steps))
        )
    return lr_lambda


def _cosine_with_warmup(num_warmup_steps, num_training_steps, num_cycles=0.5):
    def lr_lambda(current_step):
        if current_step < num_warmup_steps:
            return float(current_step) / float(max(1, num_warmup_steps))
        progress = float(current_step - num_warmup_steps) / float(max(1, num_training_steps - num_warmup_steps))
        return max(0.0, 0.5 * (1.0 + math.cos(math.pi * float(num_cycles) * 2.0 * progress)))
    return lr_lambda


def make_scheduler(optimizer, spec):
    if spec is None:
        return None
    name = spec["name"]
    if name == "constant":
        fn = _constant
    elif name == "constant_with_warmup":
        fn = _constant_with_warmup(spec["warmup"])
    elif name == "linear":
        fn = _linear_with_warmup(spec["warmup"], spec["total"])
    elif name == "cosine":
        fn = _cosine_with_warmup(spec["warmup"], spec["total"], spec.get("num_cycles", 0.5))
    elif name == "exp":
        gamma = spec["gamma"]
        fn = lambda step: gamma ** step
    else:
        raise ValueError("unknown scheduler " + name)
    return torch.optim.lr_scheduler.LambdaLR(optimizer, fn)


def options(raw):
    out = dict(raw)
    if "betas" in out:
        out["betas"] = tuple(out["betas"])
    return out


def main():
    spec = json.load(sys.stdin)
    kind = spec.get("optimizer")
    groups = []
    for g in spec["groups"]:
        if kind is None:
            params = [torch.zeros(1, dtype=torch.float64, requires_grad=True)]
        else:
            params = [torch.tensor(p["data"], dtype=torch.float64).reshape(p["shape"]).requires_grad_()
                      for p in g["params"]]
        groups.append(dict(params=params, **options(g.get("options", {}))))
    defaults = options(spec.get("defaults", {}))
    if kind == "adamw":
        opt = torch.optim.AdamW(groups, **defaults)
    elif kind == "sgd" or kind is None:
        opt = torch.optim.SGD(groups, **(defaults if kind else {"lr": 1.0}))
    else:
        raise ValueError("unknown optimizer " + str(kind))
    sched = make_scheduler(opt, spec.get("scheduler"))

    if kind is None:
        lrs = [sched.get_last_lr()]
        for _ in range(spec["steps"]):
            opt.step()
            sched.step()
            lrs.append(sched.get_last_lr())
        json.dump({"lrs": lrs}, sys.stdout)
        return

    trajectory, lrs = [], []
    for step_grads in spec["grads"]:
        for group, grads in zip(opt.param_groups, step_grads):
            for p, g in zip(group["params"], grads):
                p.grad = None if g is None else torch.tensor(g, dtype=torch.float64).reshape(p.shape)
        lrs.append([group["lr"] for group in opt.param_groups])
        opt.step()
        if sched is not None:
            sched.step()
        trajectory.append([[p.detach().reshape(-1).tolist() for p in group["params"]] for group in opt.param_groups])
    json.dump({"params": trajectory, "lrs": lrs}, sys.stdout)


if __name__ == "__main__":
    main()
