"""Porting a PyTorch training loop's optimizer and scheduler to optzoo.

The PyTorch loop trains a small MLP with AdamW (no weight decay on biases, via
parameter groups) and a linear-warmup + cosine schedule stepped every batch. The
optzoo loop trains the same network from the same initial weights with
``optzoo.compat.torch``; the script prints both loss curves side by side.

Run: ``python examples/porting_torch.py`` (needs torch for the PyTorch curve).
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import optax

from optzoo.compat import torch as ot
from optzoo.compat.torch import lr_scheduler as ols

STEPS, WARMUP, BATCH = 100, 10, 128


def make_data(seed: int = 0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(512, 8)).astype(np.float32)
    y = np.sin(0.3 * x @ rng.normal(size=(8, 1))).astype(np.float32)
    return x, y


def batches(x, y, steps):
    """The same deterministic mini-batches for both frameworks."""
    rng = np.random.default_rng(1)
    for _ in range(steps):
        idx = rng.choice(len(x), BATCH, replace=False)
        yield x[idx], y[idx]


def torch_curve(x, y, steps=STEPS):
    import torch

    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(8, 32), torch.nn.Tanh(), torch.nn.Linear(32, 1))
    init = {k: v.detach().numpy().copy() for k, v in model.state_dict().items()}
    decay = [p for n, p in model.named_parameters() if n.endswith("weight")]
    no_decay = [p for n, p in model.named_parameters() if n.endswith("bias")]
    opt = torch.optim.AdamW(
        [{"params": decay, "weight_decay": 0.05}, {"params": no_decay, "weight_decay": 0.0}],
        lr=2e-2,
    )
    sched = torch.optim.lr_scheduler.SequentialLR(
        opt,
        [
            torch.optim.lr_scheduler.LinearLR(opt, start_factor=0.1, total_iters=WARMUP),
            torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=steps - WARMUP, eta_min=1e-4),
        ],
        milestones=[WARMUP],
    )
    losses = []
    for xb, yb in batches(x, y, steps):
        opt.zero_grad()
        loss = torch.mean((model(torch.as_tensor(xb)) - torch.as_tensor(yb)) ** 2)
        loss.backward()
        opt.step()
        sched.step()
        losses.append(loss.item())
    return np.asarray(losses), init


def optzoo_curve(x, y, init, steps=STEPS):
    # torch.nn.Linear stores (out, in); we keep the same layout and compute x @ W.T + b
    params = {k.replace(".", "_"): jnp.asarray(v) for k, v in init.items()}

    def model(p, xb):
        h = jnp.tanh(xb @ p["0_weight"].T + p["0_bias"])
        return h @ p["2_weight"].T + p["2_bias"]

    def loss_fn(p, xb, yb):
        return jnp.mean((model(p, xb) - yb) ** 2)

    lr = 2e-2
    schedule = ols.SequentialLR(
        lr,
        [
            ols.LinearLR(lr, start_factor=0.1, total_iters=WARMUP),
            ols.CosineAnnealingLR(lr, T_max=steps - WARMUP, eta_min=1e-4),
        ],
        milestones=[WARMUP],
    )
    labels = {k: "decay" if k.endswith("weight") else "no_decay" for k in params}
    tx = ot.param_groups(
        ot.AdamW,
        [{"params": "decay", "weight_decay": 0.05}, {"params": "no_decay", "weight_decay": 0.0}],
        labels=labels,
        lr=schedule,
    )

    @jax.jit
    def step(p, s, xb, yb):
        loss, g = jax.value_and_grad(loss_fn)(p, xb, yb)
        u, s = tx.update(g, s, p)
        return optax.apply_updates(p, u), s, loss

    state, losses = tx.init(params), []
    for xb, yb in batches(x, y, steps):
        params, state, loss = step(params, state, xb, yb)
        losses.append(float(loss))
    return np.asarray(losses)


def main(steps: int = STEPS) -> tuple[np.ndarray, np.ndarray]:
    x, y = make_data()
    ref, init = torch_curve(x, y, steps)
    ours = optzoo_curve(x, y, init, steps)
    print(f"{'step':>4} {'torch':>12} {'optzoo':>12} {'rel diff':>10}")
    for i in range(0, steps, max(1, steps // 12)):
        print(f"{i:4d} {ref[i]:12.6f} {ours[i]:12.6f} {abs(ours[i] - ref[i]) / ref[i]:10.2e}")
    print(
        f"max relative difference over {steps} steps: "
        f"{np.max(np.abs(ours - ref) / np.abs(ref)):.2e}"
    )
    return ref, ours


if __name__ == "__main__":
    main()
