"""The engine's compiled train step donates its state: parameters and optimizer state alias."""

import functools

import jax
import numpy as np
import optax
import pytest

from optzoo.models import MLP
from optzoo.train import Runner, StepOptions, create_train_state
from optzoo.train.steps import train_step


def _setup(strategy):
    model = MLP(10, width=64, depth=2)
    rng = np.random.default_rng(0)
    batch_np = {
        "x": rng.standard_normal((32, 64)).astype(np.float32),
        "y": rng.integers(0, 10, 32).astype(np.int32),
    }
    state = create_train_state(model, optax.adamw(1e-3), batch_np["x"][:1], 0)
    runner = Runner(strategy, jax.devices()[:1], StepOptions())
    state = runner.put_state(state)
    return runner, state, runner.put_batch(batch_np), jax.random.key(0)


def _nbytes(tree):
    return sum(x.nbytes for x in jax.tree.leaves(tree))


@pytest.mark.parametrize("strategy", ["single", "sharded", "shard_map"])
def test_step_aliases_params_and_opt_state(strategy):
    runner, state, batch, rng = _setup(strategy)
    donated_bytes = _nbytes((state.params, state.opt_state))
    # First call compiles. (On CPU, arrays made from NumPy by put_state may be zero-copy
    # host buffers that XLA cannot write into, so in-place reuse is checked from the
    # second call on, the steady state.)
    state, metrics = runner.step(state, batch, rng)
    _, mem = runner.compile_info
    assert mem is not None
    # XLA writes the new parameters and moments into the input buffers.
    assert mem.alias_size_in_bytes >= donated_bytes

    old = [x.addressable_data(0) for x in jax.tree.leaves((state.params, state.opt_state))]
    old_ptrs = {x.unsafe_buffer_pointer() for x in old}
    new_state, metrics2 = runner.step(state, batch, rng)
    assert all(x.is_deleted() for x in jax.tree.leaves((state.params, state.opt_state)))
    new = jax.tree.leaves((new_state.params, new_state.opt_state))
    assert all(x.addressable_data(0).unsafe_buffer_pointer() in old_ptrs for x in new)
    # The step still trains: the loss moves down on the repeated batch.
    assert float(metrics2["loss"]) < float(metrics["loss"])


def test_without_donation_nothing_aliases():
    # The contrast that makes the alias bytes above meaningful: the same step, not donated.
    runner, state, batch, rng = _setup("single")
    step = jax.jit(functools.partial(train_step, opts=StepOptions()))
    mem = step.lower(state, batch, rng).compile().memory_analysis()
    assert mem.alias_size_in_bytes == 0
    # Peak (argument + output - alias + temp) is larger by the state bytes donation saves.
    runner.step(state, batch, rng)
    donated = runner.compile_info[1]
    peak = lambda m: (  # noqa: E731
        m.argument_size_in_bytes
        + m.output_size_in_bytes
        - m.alias_size_in_bytes
        + m.temp_size_in_bytes
    )
    assert peak(mem) - peak(donated) >= _nbytes((state.params, state.opt_state))
