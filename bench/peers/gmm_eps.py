"""Peer for bench/solvers.ts: the exact Gaussian-mixture noise prediction eps*(x, t) in numpy (float32),
the same formula as lib/analytic/mixture.ts: eps* = sum_k r_k sigma_t C_k^{-1} (x - alpha_t mu_k),
C_k = alpha_t^2 Sigma_k + sigma_t^2 (diagonal), r_k = softmax_k(log pi_k + log N(x; alpha_t mu_k, C_k)).
Reads a JSON job on stdin, prints JSON {label: points_per_second} on stdout."""
import json
import sys
import time

import numpy as np


def eps_star(x, alpha, sigma, logw, means, variances):
    c = alpha * alpha * variances + sigma * sigma  # [K, D]
    diff = x[:, None, :] - alpha * means[None, :, :]  # [B, K, D]
    logp = logw[None, :] - 0.5 * np.sum(diff * diff / c[None] + np.log(2 * np.pi * c)[None], axis=2)
    logp -= logp.max(axis=1, keepdims=True)
    r = np.exp(logp)
    r /= r.sum(axis=1, keepdims=True)
    return sigma * np.einsum("bk,bkd->bd", r, diff / c[None])


def main():
    job = json.load(sys.stdin)
    out = {}
    for case in job["cases"]:
        rng = np.random.default_rng(0)
        means = np.asarray(case["means"], dtype=np.float32)
        variances = np.asarray(case["variances"], dtype=np.float32)
        logw = np.log(np.asarray(case["weights"], dtype=np.float32) / np.sum(case["weights"])).astype(np.float32)
        x = rng.standard_normal((case["batch"], means.shape[1])).astype(np.float32)
        alpha, sigma = np.float32(case["alpha"]), np.float32(case["sigma"])
        eps_star(x, alpha, sigma, logw, means, variances)
        times = []
        for _ in range(case["repeats"]):
            t0 = time.perf_counter()
            eps_star(x, alpha, sigma, logw, means, variances)
            times.append(time.perf_counter() - t0)
        times.sort()
        out[case["label"]] = case["batch"] / times[len(times) // 2]
    json.dump({"numpy": np.__version__, "throughput": out}, sys.stdout)


if __name__ == "__main__":
    main()
