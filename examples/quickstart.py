"""Train a small MLP on scikit-learn's digits with a few optzoo optimizers.

Run: ``python examples/quickstart.py`` (about a minute on 2 CPU cores). No download:
the digits ship inside scikit-learn.
"""

from __future__ import annotations

import argparse
import time

import jax
import jax.numpy as jnp
import numpy as np

import optzoo


def load_digits_split(seed: int = 0):
    from sklearn.datasets import load_digits

    x, y = load_digits(return_X_y=True)
    x = (x / 16.0).astype(np.float32)
    order = np.random.default_rng(seed).permutation(len(x))
    x, y = x[order], y[order].astype(np.int32)
    n_train = int(0.8 * len(x))
    return (x[:n_train], y[:n_train]), (x[n_train:], y[n_train:])


def init_mlp(key, sizes):
    params = []
    for k, (m, n) in zip(jax.random.split(key, len(sizes) - 1), zip(sizes[:-1], sizes[1:])):
        params.append({"w": jax.random.normal(k, (m, n)) * jnp.sqrt(2.0 / m), "b": jnp.zeros(n)})
    return params


def forward(params, x):
    for layer in params[:-1]:
        x = jax.nn.relu(x @ layer["w"] + layer["b"])
    return x @ params[-1]["w"] + params[-1]["b"]


def loss_fn(params, x, y):
    logits = forward(params, x)
    return optzoo.losses.softmax_cross_entropy_with_integer_labels(logits, y).mean()


def train(name: str, hyperparameters: dict, data, steps: int, batch: int, seed: int = 0):
    (x_tr, y_tr), (x_te, y_te) = data
    tx = optzoo.create(name, **hyperparameters)
    params = init_mlp(jax.random.PRNGKey(seed), [64, 64, 10])
    state = tx.init(params)

    @jax.jit
    def step(params, state, xb, yb):
        loss, grads = jax.value_and_grad(loss_fn)(params, xb, yb)
        updates, state = tx.update(grads, state, params)
        return optzoo.apply_updates(params, updates), state, loss

    rng = np.random.default_rng(seed)
    start = time.perf_counter()
    for _ in range(steps):
        idx = rng.integers(0, len(x_tr), batch)
        params, state, loss = step(params, state, x_tr[idx], y_tr[idx])
    elapsed = time.perf_counter() - start
    acc = float(jnp.mean(jnp.argmax(forward(params, x_te), -1) == y_te))
    return float(loss), acc, elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--steps", type=int, default=500)
    parser.add_argument("--batch", type=int, default=64)
    args = parser.parse_args()
    data = load_digits_split()
    contenders = {
        "sgd": {"learning_rate": 0.1},
        "momentum": {"learning_rate": 0.05},
        "nesterov": {"learning_rate": 0.05},
    }
    for extra in ("adagrad", "rmsprop", "adam", "lion", "muon"):
        if extra in optzoo.registry.names():
            contenders[extra] = {}
    print(f"{'optimizer':<12}{'final loss':>12}{'test acc':>10}{'time (s)':>10}")
    for name, hp in contenders.items():
        loss, acc, secs = train(name, hp, data, args.steps, args.batch)
        print(f"{name:<12}{loss:>12.4f}{acc:>10.3f}{secs:>10.2f}")


if __name__ == "__main__":
    main()
