#!/usr/bin/python3
"""Drives a kernel with Debian's jupyter_client (the reference client) and reports what it observed as JSON.

Usage: JUPYTER_PATH=DIR protocol_client.py --kernel sftlab-csharp OUT.json

Every message the kernel sends is checked by jupyter_client's Session (HMAC signature, wire format), so a
kernel that signs wrongly fails here. The scenarios only record observations (message types, contents,
timings); the C# tests decide what is right.
"""
import argparse
import json
import os
import queue
import signal
import sys
import tempfile
import time
import traceback

from jupyter_client.manager import KernelManager
from jupyter_client.session import Session


def drain_iopub(kc, msg_id, timeout=30):
    """Collects iopub messages of one request until its idle status."""
    msgs = []
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            m = kc.get_iopub_msg(timeout=max(0.01, deadline - time.time()))
        except queue.Empty:
            break
        if m["parent_header"].get("msg_id") != msg_id:
            continue
        msgs.append({"msg_type": m["msg_type"], "content": m["content"]})
        if m["msg_type"] == "status" and m["content"]["execution_state"] == "idle":
            break
    return msgs


def shell_reply(kc, msg_id, timeout=30):
    deadline = time.time() + timeout
    while True:
        m = kc.get_shell_msg(timeout=max(0.01, deadline - time.time()))
        if m["parent_header"].get("msg_id") == msg_id:
            return m


def run(kc, code, timeout=60, **kw):
    msg_id = kc.execute(code, **kw)
    reply = shell_reply(kc, msg_id, timeout)
    iopub = drain_iopub(kc, msg_id, timeout)
    return {"code": code, "reply": reply["content"], "iopub": iopub}


def scenario_kernel_info(km, kc):
    msg_id = kc.kernel_info()
    return shell_reply(kc, msg_id)["content"]


def scenario_bad_signature(km, kc):
    out = {}
    for label, key in (("wrong_key", b"not-the-connection-key"), ("unsigned", b"")):
        forged = Session(key=key, username="attacker")
        code = f'var forged_{label} = 1; Console.WriteLine("FORGED {label} RAN");'
        msg = forged.msg("execute_request", content={
            "code": code, "silent": False, "store_history": True, "user_expressions": {},
            "allow_stdin": False, "stop_on_error": True})
        forged.send(kc.shell_channel.socket, msg)
        forged_id = msg["header"]["msg_id"]
        replies, iopub = 0, 0
        deadline = time.time() + 1.5
        while time.time() < deadline:
            try:
                m = kc.get_shell_msg(timeout=0.1)
                if m["parent_header"].get("msg_id") == forged_id:
                    replies += 1
            except queue.Empty:
                pass
            try:
                m = kc.get_iopub_msg(timeout=0.05)
                if m["parent_header"].get("msg_id") == forged_id:
                    iopub += 1
            except queue.Empty:
                pass
        # Did it run? The variable would exist now.
        check = run(kc, f"forged_{label}")
        out[label] = {"replies": replies, "iopub": iopub, "followup": check["reply"]}
    out["alive"] = scenario_kernel_info(km, kc)["status"]
    return out


def scenario_errors(km, kc):
    return {
        "define": run(kc, "var kept = 41;")["reply"],
        "throw": run(kc, 'var before = 1;\nvar after = 2;\nthrow new InvalidOperationException("boom at line three");'),
        "compile": run(kc, "var fine = 1;\nvar broken = undefinedName + 1;"),
        "nested": run(kc, 'int Fail(int n) => n == 0 ? throw new ArgumentException("deep") : Fail(n - 1);\n\nFail(3)'),
        "after": run(kc, "kept + 1"),
        "partial": run(kc, "before + after"),
    }


def wait_busy(kc, msg_id, timeout=30):
    deadline = time.time() + timeout
    while time.time() < deadline:
        m = kc.get_iopub_msg(timeout=max(0.01, deadline - time.time()))
        if m["parent_header"].get("msg_id") == msg_id and m["msg_type"] == "execute_input":
            return


def interrupt_case(km, kc, code, how):
    msg_id = kc.execute(code)
    wait_busy(kc, msg_id)
    time.sleep(0.5)
    t0 = time.perf_counter()
    if how == "message":
        km.interrupt_kernel()  # kernelspec interrupt_mode "message": interrupt_request on the control channel
    else:
        km.signal_kernel(signal.SIGINT)
    reply = shell_reply(kc, msg_id, timeout=20)
    elapsed = time.perf_counter() - t0
    iopub = drain_iopub(kc, msg_id, timeout=5)
    return {"seconds": elapsed, "reply": reply["content"], "iopub": iopub}


def scenario_interrupt(km, kc):
    return {
        "loop": interrupt_case(km, kc, "long spins = 0;\nwhile (true) { spins++; }", "message"),
        "after_loop": run(kc, "spins > 0"),
        "training_loop": interrupt_case(km, kc, "var steps = 0;\nfor (var step = 0; step < int.MaxValue; step++)\n    steps++;", "message"),
        "sigint": interrupt_case(km, kc, "var n = 0L; while (true) n++;", "signal"),
        "sleep": interrupt_case(km, kc, "System.Threading.Thread.Sleep(60000);", "message"),
        "alive": run(kc, "1 + 2"),
    }


def scenario_complete(km, kc):
    def complete(code, cursor=None):
        msg_id = kc.complete(code, len(code) if cursor is None else cursor)
        return shell_reply(kc, msg_id)["content"]
    run(kc, "var t = Tensor.Zeros(2, 3);")
    return {
        "static": complete("Tensor."),
        "static_prefix": complete("Tensor.Ze"),
        "instance": complete("t."),
        "console": complete("Console.Wri"),
        "global": complete("var q = Ten"),
        "mid": complete("var a = Tensor.Ze + 1;", len("var a = Tensor.Ze")),
    }


def scenario_inspect(km, kc):
    msg_id = kc.inspect("Tensor.Zeros", len("Tensor.Zeros"))
    a = shell_reply(kc, msg_id)["content"]
    msg_id = kc.inspect("Console.WriteLine", len("Console.WriteLine"))
    b = shell_reply(kc, msg_id)["content"]
    return {"tensor_zeros": a, "console_writeline": b}


def scenario_is_complete(km, kc):
    out = {}
    for code in ("for (var i = 0; i < 3; i++) {", "var x = 1;", "var s = \"open", "if (true) { }"):
        msg_id = kc.is_complete(code)
        out[code] = shell_reply(kc, msg_id)["content"]
    return out


def scenario_update_display(km, kc):
    return run(kc, "var d = display(1);\nfor (var i = 2; i <= 4; i++)\n    d.Update(i);")


def scenario_rich(km, kc):
    return {
        "html": run(kc, 'display(HTML("<b>bold</b>"));'),
        "markdown": run(kc, 'Markdown("*md*")'),
        "table": run(kc, 'new[] { new { Name = "a", Count = 1 }, new { Name = "b", Count = 2 } }'),
        "extension": run(kc, '"shown".Display();'),
        "mime": run(kc, 'display("<i>x</i>", "text/html");'),
        "tensor": run(kc, "Tensor.Arange(12).Reshape(3, 4)"),
        "tensor_big": run(kc, "Tensor.Arange(600).Reshape(20, 30).To(DType.Float32) / 7.0"),
        "tensor_3d": run(kc, "Tensor.Arange(24).Reshape(2, 3, 4)"),
    }


def scenario_torch_reference(km, kc):
    """The values the tensors of scenario_rich hold, computed by python3-torch (the reference)."""
    import torch
    return {
        "tensor": torch.arange(12).reshape(3, 4).tolist(),
        "tensor_big": (torch.arange(600).reshape(20, 30).to(torch.float32) / 7.0).tolist(),
        "tensor_3d": torch.arange(24).reshape(2, 3, 4).tolist(),
    }


def scenario_stream(km, kc):
    path = os.path.join(tempfile.mkdtemp(prefix="sftlab-stream-"), "go")
    code = ('Console.WriteLine("ready");\n'
            f'while (!System.IO.File.Exists(@"{path}")) System.Threading.Thread.Sleep(10);\n'
            'Console.WriteLine("done");')
    msg_id = kc.execute(code)
    seen_ready_before_reply = False
    deadline = time.time() + 20
    msgs = []
    while time.time() < deadline:
        try:
            m = kc.get_iopub_msg(timeout=0.5)
        except queue.Empty:
            continue
        if m["parent_header"].get("msg_id") != msg_id:
            continue
        msgs.append({"msg_type": m["msg_type"], "content": m["content"]})
        if m["msg_type"] == "stream" and "ready" in m["content"]["text"]:
            seen_ready_before_reply = True
            open(path, "w").close()  # only now may the cell finish
            break
    reply = shell_reply(kc, msg_id, timeout=20)
    msgs += drain_iopub(kc, msg_id)
    return {"ready_streamed_while_running": seen_ready_before_reply, "reply": reply["content"], "iopub": msgs}


def scenario_stdin(km, kc):
    msg_id = kc.execute('var who = Console.ReadLine();\nConsole.WriteLine($"hello {who}");', allow_stdin=True)
    req = kc.get_stdin_msg(timeout=20)
    kc.input("Ada")
    reply = shell_reply(kc, msg_id)
    return {"request": req["content"], "reply": reply["content"], "iopub": drain_iopub(kc, msg_id)}


def scenario_restart(km, kc):
    run(kc, "var beforeRestart = 7;")
    km.restart_kernel(now=False)
    kc.wait_for_ready(timeout=60)
    return {"after": run(kc, "beforeRestart")["reply"], "fresh": run(kc, "6 * 7")}


SCENARIOS = [
    scenario_kernel_info, scenario_bad_signature, scenario_errors, scenario_rich, scenario_torch_reference, scenario_update_display,
    scenario_complete, scenario_inspect, scenario_is_complete, scenario_stream, scenario_stdin,
    scenario_interrupt, scenario_restart,
]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--kernel", default="sftlab-csharp")
    ap.add_argument("out")
    args = ap.parse_args()
    km = KernelManager(kernel_name=args.kernel)
    km.start_kernel()
    kc = km.client()
    kc.start_channels()
    kc.wait_for_ready(timeout=120)
    results = {}
    try:
        for s in SCENARIOS:
            name = s.__name__[len("scenario_"):]
            try:
                results[name] = s(km, kc)
            except Exception as e:
                results[name] = {"exception": f"{type(e).__name__}: {e}", "trace": traceback.format_exc()}
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=False)
    with open(args.out, "w") as f:
        json.dump(results, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
