"""Matmul peak of this machine for bench/engine.ts: float32 GEMM (numpy -> the system BLAS) at a few square sizes,
best median GFLOP/s. The thread count is fixed by the caller through OPENBLAS_NUM_THREADS / OMP_NUM_THREADS
(they must be set before numpy loads the BLAS). Prints JSON: numpy version, the BLAS library actually loaded
(from /proc/self/maps), and GFLOP/s per size.
Run with Debian's /usr/bin/python3 (python3-numpy; OpenBLAS via libopenblas0-pthread)."""
import json
import os
import sys
import time

import numpy as np


def loaded_blas():
    try:
        with open("/proc/self/maps") as f:
            libs = {line.split()[-1] for line in f if "blas" in line.lower() or "lapack" in line.lower()}
        return sorted(os.path.realpath(p) for p in libs if p.startswith("/"))
    except OSError:
        return []


def main():
    sizes = [int(s) for s in (sys.argv[1:] or ["512", "1024", "2048"])]
    rng = np.random.default_rng(0)
    out = {}
    for n in sizes:
        a = rng.standard_normal((n, n), dtype=np.float32)
        b = rng.standard_normal((n, n), dtype=np.float32)
        a @ b
        times = []
        budget = time.perf_counter() + 2.0
        while len(times) < 3 or (len(times) < 9 and time.perf_counter() < budget):
            t0 = time.perf_counter()
            a @ b
            times.append(time.perf_counter() - t0)
        times.sort()
        out[str(n)] = 2 * n**3 / times[len(times) // 2] / 1e9
    json.dump(
        {
            "numpy": np.__version__,
            "blas": loaded_blas(),
            "threadsEnv": os.environ.get("OPENBLAS_NUM_THREADS"),
            "gflops": out,
            "peak": max(out.values()),
        },
        sys.stdout,
    )


if __name__ == "__main__":
    main()
