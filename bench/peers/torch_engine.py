"""PyTorch CPU peer for bench/engine.ts: the same three networks (lib/nn/mlp.ts, lib/nn/unet.ts), the same
shapes, batch, loss and optimiser, timed with the same protocol.

Reads one JSON job on stdin (built by bench/engine.ts), prints one JSON report on stdout.
  job = {"threads": int, "nets": [{"name", "kind": "mlp" | "unet", "config": {...}, "batch", "trainRepeats",
         "sampleRepeats", "warmup"}], "sampler": {"timesteps", "alpha", "sigma", "cSkip", "cOut"},
         "adam": {"lr", "beta1", "beta2", "eps", "weightDecay", "gradClip"}}
Training step: loss = mean((eps_hat(x_t, t, gamma, label) - eps)^2); backward; clip the global gradient norm;
AdamW; loss.item(). Sampling: the LCM multistep sampler at gamma = 1 with the coefficients given by the job
(so both sides do the same arithmetic). Times: median wall-clock ms after `warmup` calls.

Layouts follow each framework's native choice (NCHW here, NHWC in tfjs); the architectures and parameter counts
are identical (bench/engine.ts asserts the counts). Run with Debian's /usr/bin/python3 (python3-torch).
"""
import json
import math
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


def sinusoidal(v, dim, shift=0.0, flip=False, max_period=10000.0):
    """[B] -> [B, dim], as lib/nn/embeddings.ts `sinusoidal`."""
    half = dim // 2
    j = torch.arange(half, dtype=torch.float32)
    freqs = torch.exp(-j * math.log(max_period) / (half - shift))
    args = v.float()[:, None] * freqs[None, :]
    parts = [torch.cos(args), torch.sin(args)] if flip else [torch.sin(args), torch.cos(args)]
    return torch.cat(parts, dim=1)


class Conditioning(nn.Module):
    """lib/nn/conditioning.ts: time MLP, optional gamma projection and class embedding."""

    def __init__(self, E, T, num_classes, gamma_dim, gamma_scale):
        super().__init__()
        self.E, self.gamma_dim, self.gamma_scale = E, gamma_dim, gamma_scale
        self.linear1 = nn.Linear(E, T)
        self.linear2 = nn.Linear(T, T)
        self.cond_proj = nn.Linear(gamma_dim, E, bias=False) if gamma_dim > 0 else None
        self.class_embedding = nn.Embedding(num_classes + 1, T) if num_classes > 0 else None

    def forward(self, t, gamma, labels):
        temb = sinusoidal(t, self.E, flip=True)
        if self.cond_proj is not None:
            g = (10.0 - 10.0 * gamma) * self.gamma_scale
            temb = temb + self.cond_proj(sinusoidal(g, self.gamma_dim, shift=1.0))
        te = self.linear2(F.silu(self.linear1(temb)))
        if self.class_embedding is not None:
            te = te + self.class_embedding(labels + 1)
        return te


class Mlp(nn.Module):
    """lib/nn/mlp.ts (its conditioning has width H)."""

    def __init__(self, c):
        super().__init__()
        D, H = c["dim"], c["hidden"]
        self.cond = Conditioning(c["timeEmbedDim"], H, c["numClasses"], c["gammaEmbedDim"], c["gammaEmbedScale"])
        self.inp = nn.Linear(D, H)
        self.blocks = nn.ModuleList(
            nn.ModuleDict({"l1": nn.Linear(H, H), "lt": nn.Linear(H, H), "l2": nn.Linear(H, H)}) for _ in range(c["blocks"])
        )
        self.out = nn.Linear(H, D)

    def forward(self, x, t, gamma, labels):
        te = self.cond(t, gamma, labels)
        h = self.inp(x)
        for b in self.blocks:
            u = b["l1"](F.silu(h)) + b["lt"](F.silu(te))
            h = h + b["l2"](F.silu(u))
        return self.out(F.silu(h))


class ResBlock(nn.Module):
    def __init__(self, ci, co, T, groups):
        super().__init__()
        self.norm1 = nn.GroupNorm(groups, ci)
        self.conv1 = nn.Conv2d(ci, co, 3, padding=1)
        self.time = nn.Linear(T, co)
        self.norm2 = nn.GroupNorm(groups, co)
        self.conv2 = nn.Conv2d(co, co, 3, padding=1)
        self.skip = nn.Conv2d(ci, co, 1) if ci != co else None

    def forward(self, x, emb_act):
        r = self.conv1(F.silu(self.norm1(x)))
        r = r + self.time(emb_act)[:, :, None, None]
        r = self.conv2(F.silu(self.norm2(r)))
        return (self.skip(x) if self.skip is not None else x) + r


class Unet(nn.Module):
    """lib/nn/unet.ts, NCHW."""

    def __init__(self, c):
        super().__init__()
        self.H, self.W, C = c["height"], c["width"], c["channels"]
        L = len(c["channelMults"])
        step = 2 ** (L - 1)
        self.Hp, self.Wp = -(-self.H // step) * step, -(-self.W // step) * step
        chans = [c["baseChannels"] * m for m in c["channelMults"]]
        T, G, R = c["timeHidden"], c["groups"], c["resBlocks"]
        self.L = L
        self.cond = Conditioning(c["timeEmbedDim"], T, c["numClasses"], c["gammaEmbedDim"], c["gammaEmbedScale"])
        self.conv_in = nn.Conv2d(C, chans[0], 3, padding=1)
        self.down = nn.ModuleList(
            nn.ModuleList(
                ResBlock((chans[0] if l == 0 else chans[l - 1]) if r == 0 else chans[l], chans[l], T, G) for r in range(R)
            )
            for l in range(L)
        )
        self.mid = ResBlock(chans[-1], chans[-1], T, G)
        self.up = nn.ModuleList(
            nn.ModuleList(
                ResBlock(((chans[-1] if l == L - 1 else chans[l + 1]) + chans[l]) if r == 0 else chans[l], chans[l], T, G)
                for r in range(R)
            )
            for l in range(L)
        )
        self.norm_out = nn.GroupNorm(G, chans[0])
        self.conv_out = nn.Conv2d(chans[0], C, 3, padding=1)

    def forward(self, x, t, gamma, labels):
        emb_act = F.silu(self.cond(t, gamma, labels))
        h = x
        if self.Hp != self.H or self.Wp != self.W:
            h = F.pad(h, (0, self.Wp - self.W, 0, self.Hp - self.H))
        h = self.conv_in(h)
        skips = []
        for l in range(self.L):
            for block in self.down[l]:
                h = block(h, emb_act)
            skips.append(h)
            if l < self.L - 1:
                h = F.avg_pool2d(h, 2)
        h = self.mid(h, emb_act)
        for l in reversed(range(self.L)):
            h = torch.cat([h, skips[l]], dim=1)
            for block in self.up[l]:
                h = block(h, emb_act)
            if l > 0:
                h = F.interpolate(h, scale_factor=2, mode="nearest")
        h = self.conv_out(F.silu(self.norm_out(h)))
        return h[:, :, : self.H, : self.W]


def median_ms(fn, repeats, warmup):
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1000)
    times.sort()
    return times[len(times) // 2], times[0]


def run_net(spec, sampler, adam):
    torch.manual_seed(0)
    c = spec["config"]
    B = spec["batch"]
    net = Mlp(c) if spec["kind"] == "mlp" else Unet(c)
    shape = (B, c["dim"]) if spec["kind"] == "mlp" else (B, c["channels"], c["height"], c["width"])
    x = torch.randn(shape)
    eps = torch.randn(shape)
    t = torch.randint(0, 1000, (B,)).float()
    gamma = torch.rand(B)
    labels = (torch.arange(B) % (c["numClasses"] + 1)) - 1
    opt = torch.optim.AdamW(
        net.parameters(), lr=adam["lr"], betas=(adam["beta1"], adam["beta2"]), eps=adam["eps"], weight_decay=adam["weightDecay"]
    )

    def train_step():
        opt.zero_grad(set_to_none=True)
        loss = torch.mean((net(x, t, gamma, labels) - eps) ** 2)
        loss.backward()
        if adam["gradClip"] > 0:
            torch.nn.utils.clip_grad_norm_(net.parameters(), adam["gradClip"])
        opt.step()
        return loss.item()

    def sample():
        with torch.no_grad():
            xs = torch.randn(shape)
            ones = torch.ones(B)
            n = len(sampler["timesteps"])
            for i, ts in enumerate(sampler["timesteps"]):
                e = net(xs, torch.full((B,), float(ts)), ones, labels)
                x0 = (xs - e * sampler["sigma"][i]) / sampler["alpha"][i]
                den = xs * sampler["cSkip"][i] + x0 * sampler["cOut"][i]
                if i + 1 < n:
                    xs = den * sampler["alpha"][i + 1] + torch.randn(shape) * sampler["sigma"][i + 1]
                else:
                    xs = den
            return float(xs[0].flatten()[0])

    train_ms, train_min = median_ms(train_step, spec["trainRepeats"], spec["warmup"])
    sample_ms, sample_min = median_ms(sample, spec["sampleRepeats"], spec["warmup"])
    return {
        "name": spec["name"],
        "params": sum(p.numel() for p in net.parameters()),
        "trainMs": train_ms,
        "trainMinMs": train_min,
        "sampleMs": sample_ms,
        "sampleMinMs": sample_min,
    }


def main():
    job = json.load(sys.stdin)
    torch.set_num_threads(job["threads"])
    nets = [run_net(spec, job["sampler"], job["adam"]) for spec in job["nets"]]
    json.dump({"torch": torch.__version__, "threads": torch.get_num_threads(), "nets": nets}, sys.stdout)


if __name__ == "__main__":
    main()
