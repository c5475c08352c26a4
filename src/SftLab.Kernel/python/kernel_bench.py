#!/usr/bin/python3
"""Kernel benchmark for `sftlab kernel bench`: start time and trivial-cell round trip through Jupyter's own
client (jupyter_client), for the SftLab kernel and for a peer kernel (ipykernel, "python3") in the same run.

start time: from launching the kernel process to its kernel_info reply (median over --starts starts).
round trip: execute_request of a trivial cell until its execute_reply and the idle status on iopub
(median over -n cells, after a few warm-up cells).
"""
import argparse
import statistics
import sys
import time

from jupyter_client.manager import KernelManager

CELLS = {"sftlab-csharp": "1 + 1", "python3": "1 + 1"}


def start(name):
    km = KernelManager(kernel_name=name)
    t0 = time.perf_counter()
    km.start_kernel()
    kc = km.client()
    kc.start_channels()
    kc.wait_for_ready(timeout=120)  # sends kernel_info_request until the reply arrives
    return km, kc, time.perf_counter() - t0


def round_trip(kc, code):
    t0 = time.perf_counter()
    msg_id = kc.execute(code)
    reply = kc.get_shell_msg(timeout=60)
    assert reply["parent_header"]["msg_id"] == msg_id and reply["content"]["status"] == "ok", reply["content"]
    while True:
        m = kc.get_iopub_msg(timeout=60)
        if m["parent_header"].get("msg_id") == msg_id and m["msg_type"] == "status" and m["content"]["execution_state"] == "idle":
            break
    return time.perf_counter() - t0


def measure(name, n, starts):
    start_times = []
    for i in range(starts):
        km, kc, t = start(name)
        start_times.append(t)
        if i < starts - 1:
            kc.stop_channels()
            km.shutdown_kernel(now=True)
    code = CELLS.get(name, "1 + 1")
    first = round_trip(kc, code)
    for _ in range(5):
        round_trip(kc, code)
    trips = [round_trip(kc, code) for _ in range(n)]
    kc.stop_channels()
    km.shutdown_kernel(now=True)
    return statistics.median(start_times), first, statistics.median(trips), min(trips), max(trips)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--kernel", default="sftlab-csharp")
    ap.add_argument("--peer", default="python3")
    ap.add_argument("-n", type=int, default=50)
    ap.add_argument("--starts", type=int, default=3)
    args = ap.parse_args()
    rows = []
    for name in (args.kernel, args.peer):
        if not name:
            continue
        try:
            rows.append((name,) + measure(name, args.n, args.starts))
        except Exception as e:  # the peer may be missing
            print(f"{name}: not measured ({type(e).__name__}: {e})", file=sys.stderr)
    print(f"{'kernel':<16} {'start (median)':>15} {'first cell':>11} {'round trip median':>18} {'min':>8} {'max':>8}")
    for name, s, first, med, lo, hi in rows:
        print(f"{name:<16} {s*1000:>12.0f} ms {first*1000:>8.1f} ms {med*1000:>15.2f} ms {lo*1000:>6.2f} ms {hi*1000:>6.2f} ms")
    if len(rows) == 2:
        a, b = rows
        print(f"ratio {a[0]} / {b[0]}: start {a[1]/b[1]:.2f}x, round trip {a[3]/b[3]:.2f}x (lower is better)")
        print(f"goal: round trip median < 50 ms -> {'met' if a[3] < 0.050 else 'NOT met'} ({a[3]*1000:.2f} ms)")
    return 0 if rows else 1


if __name__ == "__main__":
    sys.exit(main())
