"""optzoo.compat.torch.LBFGS against torch.optim.LBFGS with a closure."""

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest
from _problem import make_problem, max_rel_error

torch = pytest.importorskip("torch")
torch.set_num_threads(1)

from optzoo.compat import torch as ot  # noqa: E402

STEPS = 8


# a smooth convex objective: L-BFGS with fixed steps is unstable on the tanh problem
def jax_loss(p, data):
    r = data["x"] @ p["w"] + p["b"] - data["y"]
    return jnp.mean(r**2) + 0.1 * jnp.mean(p["w"] ** 4)


def torch_loss(p, data):
    r = torch.as_tensor(data["x"]) @ p["w"] + p["b"] - torch.as_tensor(data["y"])
    return torch.mean(r**2) + 0.1 * torch.mean(p["w"] ** 4)


def _torch_lbfgs(params, data, kw):
    ps = {k: torch.tensor(v, requires_grad=True) for k, v in params.items()}
    keys = sorted(ps)
    opt = torch.optim.LBFGS([ps[k] for k in keys], **kw)

    def closure():
        opt.zero_grad()
        loss = torch_loss(ps, data)
        loss.backward()
        return loss

    traj = {k: [] for k in keys}
    for _ in range(STEPS):
        opt.step(closure)
        for k in keys:
            traj[k].append(ps[k].detach().numpy().copy())
    n_iter = opt.state[opt._params[0]]["n_iter"]
    return {k: np.stack(v) for k, v in traj.items()}, n_iter


def _ours(params, data, kw):
    tx = ot.LBFGS(**kw)
    f = lambda p: jax_loss(p, data)
    x64 = params["w"].dtype == np.float64

    with jax.enable_x64(x64):

        @jax.jit
        def run(p0):
            def body(carry, _):
                p, s = carry
                loss, g = jax.value_and_grad(f)(p)
                u, s = tx.update(g, s, p, value=loss, value_fn=f)
                p = optax.apply_updates(p, u)
                return (p, s), p

            (_, s), traj = jax.lax.scan(body, (p0, tx.init(p0)), None, length=STEPS)
            return traj, s.n_iter

        traj, n_iter = run(jax.tree.map(jnp.asarray, params))
        return jax.tree.map(np.asarray, traj), int(n_iter)


@pytest.mark.parametrize(
    "kw,dtype,tol",
    [
        (dict(lr=1, history_size=5), np.float64, 1e-10),
        pytest.param(
            dict(lr=0.5, max_iter=3, history_size=3, tolerance_change=1e-6),
            np.float64,
            1e-10,
            marks=pytest.mark.slow,
        ),
        pytest.param(
            dict(lr=1, max_iter=2, max_eval=5, history_size=4),
            np.float64,
            1e-10,
            marks=pytest.mark.slow,
        ),
        (dict(lr=0.2, max_iter=2, history_size=10), np.float32, 1e-5),
        (dict(max_iter=3, history_size=5, line_search_fn="strong_wolfe"), np.float64, 1e-10),
        pytest.param(
            dict(lr=0.5, max_iter=6, max_eval=8, line_search_fn="strong_wolfe"),
            np.float64,
            1e-10,
            marks=pytest.mark.slow,
        ),
        # float32 floor: PyTorch mixes Python doubles and float32 tensors in the line
        # search's scalar tests, so a borderline Armijo/curvature decision can go the
        # other way and the step differs (float64 agrees to 1e-10 above).
        pytest.param(
            dict(max_iter=4, line_search_fn="strong_wolfe"),
            np.float32,
            1e-3,
            marks=pytest.mark.slow,
        ),
    ],
)
def test_lbfgs_matches_torch(kw, dtype, tol):
    params, data = make_problem(dtype=dtype)
    ref, ref_iters = _torch_lbfgs(params, data, kw)
    ours, iters = _ours(params, data, kw)
    if dtype == np.float32 and kw.get("line_search_fn") == "strong_wolfe":
        # The float32 floor above: the borderline decision also moves with XLA's code
        # generation (15 iterations against PyTorch's 16 with XLA CPU's elemental emitter).
        assert abs(iters - ref_iters) <= 1, (iters, ref_iters)
    else:
        assert iters == ref_iters
    assert max_rel_error(ours, ref) <= tol


def test_unknown_line_search():
    with pytest.raises(RuntimeError):
        ot.LBFGS(line_search_fn="backtracking")
