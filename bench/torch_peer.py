"""The peer of `sftlab bench torch`: the same measurements in python3-torch (Debian's 1.13, the
same libtorch the shim links), so the C# figures can be printed as ratios from one run.
Prints one JSON object: {"version", "threads", "matmul_gflops", "dispatch_us": {op: microseconds}}.
"""
import json
import sys
import time

import torch


def best_of(fn, repeats):
    best = float("inf")
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def main():
    threads = int(sys.argv[1])
    n = int(sys.argv[2])          # matmul size
    iters = int(sys.argv[3])      # small-op iterations per repeat
    repeats = int(sys.argv[4])
    torch.set_num_threads(threads)
    torch.manual_seed(0)

    a = torch.randn(n, n)
    b = torch.randn(n, n)
    for _ in range(2):
        torch.matmul(a, b)
    t = best_of(lambda: torch.matmul(a, b), repeats)
    gflops = 2.0 * n * n * n / t / 1e9

    x = torch.randn(4, 4)
    y = torch.randn(4, 4)
    ops = {
        "add": lambda: x + y,
        "mul_scalar": lambda: x * 2.0,
        "matmul_4x4": lambda: torch.matmul(x, y),
        "softmax": lambda: torch.softmax(x, -1),
        "reshape": lambda: x.reshape(16),
        "sum": lambda: x.sum(),
    }
    dispatch = {}
    for name, op in ops.items():
        def loop(op=op):
            for _ in range(iters):
                op()
        loop()
        dispatch[name] = best_of(loop, repeats) / iters * 1e6

    print(json.dumps({"version": torch.__version__, "threads": torch.get_num_threads(),
                      "matmul_gflops": gflops, "dispatch_us": dispatch}))


if __name__ == "__main__":
    main()
