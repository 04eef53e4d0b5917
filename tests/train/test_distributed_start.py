"""Multi-host start-up arguments reach jax.distributed.initialize."""

from __future__ import annotations

import jax
import pytest

from optzoo.train import distributed


@pytest.fixture
def calls(monkeypatch):
    seen = []
    monkeypatch.setattr(jax.distributed, "initialize", lambda **kw: seen.append(kw))
    monkeypatch.setattr(jax.config, "update", lambda *a: None)
    monkeypatch.setattr(distributed, "_STARTED", False)
    return seen


def test_single_process_starts_nothing(calls):
    distributed.initialize("", 1, 0)
    assert calls == []


def test_explicit_coordinator_is_passed_through(calls):
    distributed.initialize("127.0.0.1:1234", 2, 1)
    assert calls == [{"coordinator_address": "127.0.0.1:1234", "num_processes": 2, "process_id": 1}]


def test_auto_lets_jax_detect_the_cluster(calls):
    distributed.initialize("auto", 1, 0)
    assert calls == [{}]


def test_several_processes_without_coordinator_is_an_error(calls):
    with pytest.raises(ValueError, match="coordinator"):
        distributed.initialize("", 2, 0)
