#!/usr/bin/python3
"""Executes a notebook headless through Jupyter's own client (nbclient), for `sftlab notebook run`.

Usage: run_notebook.py INPUT.ipynb OUTPUT.ipynb --kernel NAME [--timeout SECONDS] [--cwd DIR]

Runs every code cell in order on one kernel (found through JUPYTER_PATH like any Jupyter client does),
stops at the first cell that fails, writes the notebook with its outputs to OUTPUT.ipynb (also after a
failure), and prints one JSON line on stdout:
  {"ok": true, "cells": N}  or  {"ok": false, "cell": INDEX, "ename": ..., "evalue": ..., "traceback": [...]}
Exit code: 0 ok, 1 a cell failed, 2 the kernel or the client failed.
"""
import argparse
import json
import os
import sys
import tempfile

try:
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError
except ImportError as e:  # pragma: no cover - reported to the C# caller
    print(json.dumps({"ok": False, "fatal": f"{e}: install Debian's python3-nbclient (scripts/setup.sh does)"}))
    sys.exit(2)


def write_atomic(nb, path):
    directory = os.path.dirname(os.path.abspath(path)) or "."
    fd, tmp = tempfile.mkstemp(prefix=".nbrun-", suffix=".ipynb", dir=directory)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        nbformat.write(nb, f)
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes 0600 files; give the notebook the usual permissions
    os.replace(tmp, path)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("input")
    ap.add_argument("output")
    ap.add_argument("--kernel", required=True)
    ap.add_argument("--timeout", type=float, default=600)
    ap.add_argument("--cwd", default=None)
    args = ap.parse_args()

    nb = nbformat.read(args.input, as_version=4)
    cwd = args.cwd or os.path.dirname(os.path.abspath(args.input))
    client = NotebookClient(
        nb,
        kernel_name=args.kernel,
        timeout=max(1, int(round(args.timeout))),
        startup_timeout=120,
        allow_errors=False,
        record_timing=False,
        resources={"metadata": {"path": cwd}},
    )
    result = {"ok": True, "cells": len(nb.cells)}
    code = 0
    try:
        with client.setup_kernel():
            for index, cell in enumerate(nb.cells):
                try:
                    client.execute_cell(cell, index)
                except CellExecutionError as e:
                    error = next((o for o in cell.get("outputs", []) if o.get("output_type") == "error"), None)
                    result = {
                        "ok": False,
                        "cell": index,
                        "ename": (error or {}).get("ename", getattr(e, "ename", "CellExecutionError")),
                        "evalue": (error or {}).get("evalue", getattr(e, "evalue", str(e))),
                        "traceback": (error or {}).get("traceback", []),
                    }
                    code = 1
                    break
                except CellTimeoutError as e:
                    result = {"ok": False, "cell": index, "ename": "CellTimeoutError",
                              "evalue": f"the cell did not finish within {args.timeout:g} s", "traceback": [str(e)]}
                    code = 1
                    break
    except DeadKernelError as e:
        result = {"ok": False, "fatal": f"the kernel died: {e}"}
        code = 2
    except Exception as e:  # kernel not found, failed to start...
        result = {"ok": False, "fatal": f"{type(e).__name__}: {e}"}
        code = 2
    try:
        # Outputs this run produced are the user's own, as if run in Jupyter's UI: mark the notebook trusted so
        # its charts' scripts run when it is opened (Jupyter does the same when it saves a notebook it ran).
        from nbformat.sign import NotebookNotary
        NotebookNotary().sign(nb)
    except Exception:  # a read-only home, no sqlite: the notebook is still written, just not trusted
        pass
    write_atomic(nb, args.output)
    print(json.dumps(result), flush=True)
    return code


if __name__ == "__main__":
    sys.exit(main())
