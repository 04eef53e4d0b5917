"""Single-device training: every model family learns; outputs, penalties, non-finite handling."""

import importlib.util
import json
import pathlib
import warnings

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

from optzoo.data import load_dataset
from optzoo.train import (
    GradientWarning,
    StepOptions,
    check_gradients,
    create_train_state,
    load_config,
    train_and_evaluate,
    train_step,
)
from optzoo.train.optim import build_optimizer, decoupled_weight_decay
from optzoo.train.progress import Progress
from optzoo.train.state import model_from_config
from optzoo.train.steps import penalty


def _load_helpers():
    path = pathlib.Path(__file__).with_name("train_helpers.py")
    spec = importlib.util.spec_from_file_location("optzoo_tests_train_helpers", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


_helpers = _load_helpers()
losses = _helpers.losses
rows = _helpers.rows
tiny = _helpers.tiny

FAMILIES = {
    "mlp_bf16_layernorm": tiny(model={"norm": "layer", "activation": "silu"}, precision="bf16"),
    "lstm_adding": tiny(
        model={"name": "rnn", "cell": "lstm", "hidden": 16},
        data={"name": "adding", "options": {"seq_len": 8, "n_train": 512, "n_test": 64}},
        train={"steps": 40},
    ),
}
SLOW_FAMILIES = {
    "transformer_char_lm": tiny(
        model={"name": "transformer", "dim": 16, "heads": 2, "layers": 1},
        data={"name": "char_lm", "options": {"seq_len": 16, "max_chars": 20000}},
        train={"steps": 30, "batch_size": 16},
    ),
    "lenet5_digits_batchnorm": tiny(
        model={"name": "lenet5", "norm": "batch", "dropout": 0.1}, optimizer={"learning_rate": 3e-3}
    ),
    "resnet_digits": tiny(
        model={"name": "resnet"}, optimizer={"learning_rate": 3e-3}, train={"steps": 40}
    ),
    "gru_copy_truncated": tiny(
        model={"name": "rnn", "cell": "gru", "hidden": 32, "truncate": 4},
        data={"name": "copy", "options": {"length": 2, "delay": 1, "symbols": 4, "n_train": 512}},
        train={"steps": 100},
    ),
    "simplernn_char_lm": tiny(
        model={"name": "rnn", "cell": "simple", "hidden": 32},
        data={"name": "char_lm", "options": {"seq_len": 16, "max_chars": 20000}},
        train={"steps": 40, "batch_size": 16},
    ),
}


def _check_learns(cfg, tmp_path):
    result = train_and_evaluate(cfg, tmp_path)
    curve = losses(tmp_path)
    assert len(curve) == result["steps"] == cfg["train"]["steps"]
    assert np.mean(curve[-5:]) < 0.7 * np.mean(curve[:5]), curve
    assert np.isfinite(result["final_eval_loss"])
    return result


@pytest.mark.parametrize("name", list(FAMILIES))
def test_model_family_learns(name, tmp_path):
    _check_learns(FAMILIES[name], tmp_path)


@pytest.mark.slow
@pytest.mark.parametrize("name", list(SLOW_FAMILIES))
def test_model_family_learns_slow(name, tmp_path):
    _check_learns(SLOW_FAMILIES[name], tmp_path)


def test_outputs_of_a_run(tmp_path):
    result = train_and_evaluate(tiny(train={"steps": 40, "eval_every": 20}), tmp_path)
    on_disk = json.loads((tmp_path / "metrics.json").read_text())
    for key in (
        "final_train_loss",
        "final_eval_loss",
        "final_eval_accuracy",
        "steps",
        "wall_time_s",
        "devices",
        "strategy",
    ):
        assert key in on_disk and on_disk[key] == result[key]
    assert result["steps"] == 40 and result["devices"] == 1 and result["strategy"] == "single"
    assert result["final_eval_accuracy"] > 0.5  # 10 classes: chance is 0.1
    curve = losses(tmp_path)
    assert len(curve) == 40 and np.mean(curve[-5:]) < 0.5 * np.mean(curve[:5])
    assert [r["step"] for r in rows(tmp_path, "eval.jsonl")] == [20, 40]
    assert (tmp_path / ".optzoo").exists() and (tmp_path / "config.json").exists()
    # Adam holds two moments per parameter.
    assert result["optimizer_state_bytes_per_device"] >= 2 * result["param_bytes_per_device"]


def _state_and_batch(cfg, n=32):
    config = load_config(cfg)
    data = load_dataset(config.data.name)
    model = model_from_config(config.model, data)
    tx = build_optimizer(config.optimizer, 10)
    state = create_train_state(model, tx, data.x_train[:1], 0)
    batch = {"x": jnp.asarray(data.x_train[:n]), "y": jnp.asarray(data.y_train[:n])}
    return state, batch


def test_gradient_accumulation_equals_full_batch():
    state, batch = _state_and_batch(tiny(optimizer={"name": "sgd", "learning_rate": 0.5}))
    rng = jax.random.key(0)
    full, m1 = jax.jit(lambda s, b: train_step(s, b, rng, StepOptions()))(state, batch)
    acc, m4 = jax.jit(lambda s, b: train_step(s, b, rng, StepOptions(accumulate_steps=4)))(
        state, batch
    )
    np.testing.assert_allclose(m1["loss"], m4["loss"], rtol=1e-6)
    for a, b in zip(jax.tree.leaves(full.params), jax.tree.leaves(acc.params), strict=True):
        np.testing.assert_allclose(a, b, atol=1e-6)


def test_penalties_and_decoupled_weight_decay():
    params = {"w": jnp.array([[1.0, -2.0]]), "b": jnp.array([3.0])}
    assert float(penalty(params, 0.1, 0.0)) == pytest.approx(0.3)
    assert float(penalty(params, 0.0, 2.0)) == pytest.approx(5.0)
    tx = decoupled_weight_decay(0.1, optax.constant_schedule(0.5))
    zeros = jax.tree.map(jnp.zeros_like, params)
    upd, _ = tx.update(zeros, tx.init(params), params)
    np.testing.assert_allclose(upd["w"], -0.05 * params["w"])
    np.testing.assert_allclose(upd["b"], 0.0)
    # L2 penalty through the step equals the analytic extra gradient l2 * w.
    state, batch = _state_and_batch(tiny(optimizer={"name": "sgd", "learning_rate": 1.0}))
    rng = jax.random.key(0)
    plain, _ = jax.jit(lambda s, b: train_step(s, b, rng, StepOptions()))(state, batch)
    pen, _ = jax.jit(lambda s, b: train_step(s, b, rng, StepOptions(l2=0.1)))(state, batch)
    k0 = state.params["dense_0"]["kernel"]
    diff = plain.params["dense_0"]["kernel"] - pen.params["dense_0"]["kernel"]
    np.testing.assert_allclose(diff, 0.1 * k0, atol=1e-5)


@pytest.mark.parametrize("mode", ["skip", "stop", "raise"])
def test_non_finite_loss(mode, tmp_path):
    cfg = tiny(
        model={"width": 4},
        data={"name": "spirals"},
        optimizer={"name": "sgd", "learning_rate": 1e30},
        train={"steps": 6, "batch_size": 8, "log_every": 1, "on_nonfinite": mode},
    )
    if mode == "raise":
        with pytest.raises(FloatingPointError, match="non-finite"):
            train_and_evaluate(cfg, tmp_path)
        return
    result = train_and_evaluate(cfg, tmp_path)
    assert result["skipped_steps"] >= 1
    if mode == "skip":
        assert result["steps"] == 6 and result["stop_reason"] == "completed"
    else:
        assert result["steps"] < 6 and "non-finite" in result["stop_reason"]


def test_early_stopping(tmp_path):
    cfg = tiny(
        optimizer={"learning_rate": 0.0},
        train={"steps": 100, "eval_every": 2, "early_stopping_patience": 2},
    )
    result = train_and_evaluate(cfg, tmp_path)
    assert result["steps"] == 6 and "early stopping" in result["stop_reason"]


def test_diagnostics_and_hessian_hook(tmp_path):
    calls = []

    def hessian(params, batch):
        calls.append(len(batch["x"]))
        return 2.5

    cfg = tiny(train={"steps": 4, "diagnostics_every": 2})
    train_and_evaluate(cfg, tmp_path, hessian_fn=hessian)
    diag = rows(tmp_path, "diagnostics.jsonl")
    layer_rows = [r for r in diag if "grad_norm" in r]
    assert [r["step"] for r in layer_rows] == [2, 4]
    assert set(layer_rows[0]["grad_norm"]) == {
        "dense_0/bias",
        "dense_0/kernel",
        "head/bias",
        "head/kernel",
    }
    assert all(v > 0 for v in layer_rows[0]["update_ratio"].values())
    assert calls == [32, 32]
    assert [r["top_hessian_eigenvalue"] for r in diag if "top_hessian_eigenvalue" in r] == [2.5] * 2


def test_gradient_warnings():
    with pytest.warns(GradientWarning, match="explode"):
        check_gradients(3, 1e6, {}, 1e-7, 1e3)
    with pytest.warns(GradientWarning, match="vanish in a"):
        check_gradients(3, 1.0, {"a": 0.0, "b": 1.0}, 1e-7, 1e3)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert check_gradients(3, 1.0, {"a": 1.0}, 1e-7, 1e3) == []


def test_progress_bar(capsys):
    import io

    class Terminal(io.StringIO):
        def isatty(self):
            return True

    tty = Terminal()
    with Progress(100, stream=tty) as bar:
        for s in range(1, 101):
            bar.update(s, 1.0 / s)
    shown = tty.getvalue()
    assert "100/100" in shown and "loss 0.0100" in shown and "ETA" in shown
    for stream, quiet in ((io.StringIO(), False), (Terminal(), True)):  # a log file, --quiet
        with Progress(10, quiet=quiet, stream=stream) as bar:
            bar.update(5, 1.0)
        assert stream.getvalue() == ""


def test_schedule_free_is_evaluated_at_its_averaged_iterate():
    # The engine evaluates x = (y - (1 - b1) z) / b1, which the schedule-free authors
    # evaluate, not the gradient point y it trains; other optimizers are evaluated as trained.
    import optzoo
    from optzoo.train.parallel import Runner
    from optzoo.train.state import TrainState

    rng = np.random.default_rng(0)
    params = {"w": jnp.asarray(rng.normal(size=(3, 4))), "b": jnp.zeros(4)}
    grads = [
        jax.tree.map(lambda p: jnp.asarray(rng.normal(size=p.shape)), params) for _ in range(4)
    ]
    runner = Runner("single", jax.devices()[:1], StepOptions())
    sf = optzoo.schedule_free_adamw(0.1, b1=0.8, warmup_steps=0)
    for tx, averaged in [
        (optax.chain(optax.clip_by_global_norm(1.0), sf), True),
        (optax.MultiSteps(sf, 1), True),
        (optax.adam(0.1), False),
    ]:
        state = TrainState.create(apply_fn=None, params=params, tx=tx, batch_stats={})
        for g in grads:
            state = state.apply_gradients(grads=g)
        got, _ = runner.eval_params(state)
        trained, _ = runner.eval_params(state, averaged=False)
        jax.tree.map(np.testing.assert_array_equal, trained, state.params)
        if not averaged:
            jax.tree.map(np.testing.assert_array_equal, got, state.params)
            continue
        inner = optzoo.find_schedule_free_state(state.opt_state, params)
        # x from its definition: y = b1 x + (1 - b1) z.
        want = jax.tree.map(lambda y, z: (y - 0.2 * z) / 0.8, state.params, inner.z)
        jax.tree.map(lambda a, b: np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-6), got, want)
        assert not np.allclose(got["w"], state.params["w"])
