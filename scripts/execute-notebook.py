#!/usr/bin/python3
"""Execute one notebook with nbclient and report what it produced, as one JSON line on stdout.

    /usr/bin/python3 scripts/execute-notebook.py IN.ipynb OUT.ipynb [--kernel splam-tslab] [--timeout 600]

Run by `splam notebook run` (lib/notebook/jupyter.ts) with JUPYTER_PATH pointing at the project's kernelspec.
The executed notebook is written to OUT even when a cell fails, so the failure can be read there.
Report fields: ok, seconds, cells, errors (error outputs and stderr text, with the cell index), figures (the
`layout.meta.splamFigure` names of plotly outputs, in order), plotly, png (counts of those outputs).
Exit status: 0 when the notebook ran and produced no error output, 1 otherwise, 2 on bad arguments.
"""
import argparse
import json
import sys
import time

try:
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError
except ImportError as e:  # pragma: no cover - environment problem, said clearly
    print(json.dumps({"ok": False, "errors": [{"cell": None, "text": f"{e}; install: apt-get install -y jupyter-nbconvert python3-nbclient jupyter-client"}]}))
    sys.exit(1)

PLOTLY = "application/vnd.plotly.v1+json"


def scan(nb):
    errors, figures, plotly, png = [], [], 0, 0
    for i, c in enumerate(nb.cells):
        if c.cell_type != "code":
            continue
        for o in c.get("outputs", []):
            t = o.get("output_type")
            if t == "error":
                errors.append({"cell": i, "text": f"{o.get('ename')}: {o.get('evalue')}"})
            elif t == "stream" and o.get("name") == "stderr":
                errors.append({"cell": i, "text": "".join(o.get("text", ""))[:2000]})
            elif t in ("display_data", "execute_result"):
                data = o.get("data", {})
                if PLOTLY in data:
                    plotly += 1
                    fig = data[PLOTLY]
                    if isinstance(fig, str):
                        fig = json.loads(fig)
                    name = ((fig.get("layout") or {}).get("meta") or {}).get("splamFigure")
                    if name:
                        figures.append(name)
                if "image/png" in data:
                    png += 1
    return errors, figures, plotly, png


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("input")
    ap.add_argument("output")
    ap.add_argument("--kernel", default="splam-tslab")
    ap.add_argument("--timeout", type=int, default=600, help="seconds per cell")
    ap.add_argument("--cwd", default=None, help="working directory of the kernel (default: the notebook's folder)")
    a = ap.parse_args()
    nb = nbformat.read(a.input, as_version=4)
    client = NotebookClient(nb, timeout=a.timeout, kernel_name=a.kernel, allow_errors=False,
                            resources={"metadata": {"path": a.cwd or __import__("os").path.dirname(__import__("os").path.abspath(a.input))}})
    t0 = time.time()
    failure = None
    try:
        client.execute()
    except (CellExecutionError, CellTimeoutError, DeadKernelError) as e:
        failure = str(e).strip().splitlines()[-1][:2000] if str(e).strip() else type(e).__name__
    seconds = time.time() - t0
    nbformat.write(nb, a.output)
    errors, figures, plotly, png = scan(nb)
    if failure and not errors:
        errors.append({"cell": None, "text": failure})
    report = {"ok": not errors, "seconds": round(seconds, 1), "cells": len(nb.cells), "errors": errors,
              "figures": figures, "plotly": plotly, "png": png}
    print(json.dumps(report))
    sys.exit(0 if report["ok"] else 1)


if __name__ == "__main__":
    main()
