"""Training-job configs: YAML -> typed, validated dataclasses.

Every error is a :class:`ConfigError` whose message names the dotted key and,
for unknown keys or choices, the closest valid names.
"""

from __future__ import annotations

import dataclasses
import difflib
import os
import typing
from typing import Any

import yaml

__all__ = [
    "Config",
    "ConfigError",
    "DataConfig",
    "ModelConfig",
    "OptimizerConfig",
    "ParallelConfig",
    "RunMismatchError",
    "ScheduleConfig",
    "TrainConfig",
    "apply_overrides",
    "dump_config",
    "from_dict",
    "load_config",
    "to_dict",
]


class ConfigError(ValueError):
    """A bad config file, key, type or value."""


class RunMismatchError(ConfigError):
    """An output directory holds the results of a run of another config."""


def _f(
    default: Any,
    choices: tuple[str, ...] | None = None,
    min: float | None = None,
    max: float | None = None,
) -> Any:
    meta = {"choices": choices, "min": min, "max": max}
    if isinstance(default, (dict, list)):
        return dataclasses.field(default_factory=lambda: type(default)(default), metadata=meta)
    return dataclasses.field(default=default, metadata=meta)


_INITS = (
    "",
    "zeros",
    "normal",
    "xavier_uniform",
    "xavier_normal",
    "glorot_uniform",
    "glorot_normal",
    "he_uniform",
    "he_normal",
    "kaiming_uniform",
    "kaiming_normal",
    "lecun_uniform",
    "lecun_normal",
    "orthogonal",
)


@dataclasses.dataclass
class ModelConfig:
    """Model family and its options (each family reads the options it has)."""

    name: str = _f("mlp", ("mlp", "lenet5", "resnet", "rnn", "transformer", "quadratic"))
    width: int = _f(64, min=1)
    depth: int = _f(2, min=0)
    activation: str = _f("relu", ("sigmoid", "tanh", "relu", "gelu", "silu"))
    dropout: float = _f(0.0, min=0.0, max=0.99)
    norm: str = _f("none", ("none", "batch", "layer"))
    init: str = _f("", _INITS)
    pool: str = _f("max", ("max", "avg"))
    width_multiplier: float = _f(1.0, min=0.01)
    stages: list = _f([16, 32, 64])
    blocks: int = _f(1, min=1)
    cell: str = _f("lstm", ("simple", "lstm", "gru"))
    hidden: int = _f(64, min=1)
    layers: int = _f(1, min=1)
    embed: int = _f(32, min=1)
    output: str = _f("", ("", "last", "all"))
    truncate: int = _f(0, min=0)
    dim: int = _f(64, min=1)
    heads: int = _f(4, min=1)
    max_len: int = _f(256, min=1)
    theta_init: float = _f(1.0)


@dataclasses.dataclass
class DataConfig:
    """Data set name, optional local path, and loader options."""

    name: str = _f(
        "digits",
        (
            "digits",
            "mnist5k",
            "mnist",
            "fashion_mnist",
            "cifar10",
            "regression",
            "spirals",
            "adding",
            "copy",
            "char_lm",
            "nqm",
        ),
    )
    path: str = _f("")
    options: dict = _f({})


@dataclasses.dataclass
class ScheduleConfig:
    """Learning-rate schedule; ``decay_steps: 0`` means the run's total steps.

    Every schedule starts with a linear warm-up of ``warmup_steps`` (none at 0);
    ``step`` multiplies the rate by ``decay_rate`` at each of ``boundaries``
    (fractions of the decay span).
    """

    name: str = _f(
        "constant", ("constant", "cosine", "warmup_cosine", "linear", "exponential", "step")
    )
    warmup_steps: int = _f(0, min=0)
    decay_steps: int = _f(0, min=0)
    end_value: float = _f(0.0)
    decay_rate: float = _f(0.1, min=0.0)
    boundaries: list = _f([0.5, 0.75])


@dataclasses.dataclass
class OptimizerConfig:
    """Any registry name plus schedule, clipping, decay, penalties and accumulation."""

    name: str = _f("adam")
    learning_rate: float = _f(1e-3)
    hyperparameters: dict = _f({})
    schedule: ScheduleConfig = dataclasses.field(default_factory=ScheduleConfig)
    clip_norm: float = _f(0.0, min=0.0)
    clip_value: float = _f(0.0, min=0.0)
    weight_decay: float = _f(0.0, min=0.0)
    l1: float = _f(0.0, min=0.0)
    l2: float = _f(0.0, min=0.0)
    accumulate_steps: int = _f(1, min=1)
    # optzoo.checked: integer/complex leaves and mismatched gradient trees raise, naming the path.
    strict: bool = _f(True)


@dataclasses.dataclass
class TrainConfig:
    """Loop length, batch size, evaluation, early stopping, checkpoints, diagnostics."""

    steps: int = _f(0, min=0)
    epochs: float = _f(0.0, min=0.0)
    batch_size: int = _f(64, min=1)
    eval_every: int = _f(0, min=0)
    eval_batch_size: int = _f(1024, min=1)
    log_every: int = _f(10, min=1)
    early_stopping_patience: int = _f(0, min=0)
    early_stopping_min_delta: float = _f(0.0, min=0.0)
    checkpoint_every: int = _f(-1, min=-1)  # -1: every 10% of the run; 0: never
    keep_checkpoints: int = _f(2, min=1)
    on_nonfinite: str = _f("skip", ("skip", "stop", "raise"))
    quiet: bool = _f(False)
    log: str = _f("jsonl", ("jsonl", "tensorboard"))
    diagnostics_every: int = _f(0, min=0)
    vanish_threshold: float = _f(1e-7, min=0.0)
    explode_threshold: float = _f(1e3, min=0.0)
    # Benchmark timing rules (optzoo.train.timing): evaluate before the first step, wait for
    # every step to time it, stop after a training-time budget or when the loss diverges.
    eval_at_start: bool = _f(False)
    time_steps: bool = _f(False)
    max_seconds: float = _f(0.0, min=0.0)
    divergence_factor: float = _f(0.0, min=0.0)


@dataclasses.dataclass
class ParallelConfig:
    """Data-parallel strategy, device count (0: all), ZeRO-1, multi-host start-up."""

    strategy: str = _f("single", ("single", "pmap", "sharded", "shard_map"))
    devices: int = _f(0, min=0)
    zero1: bool = _f(False)
    coordinator: str = _f("")
    num_processes: int = _f(1, min=1)
    process_id: int = _f(0, min=0)


@dataclasses.dataclass
class Config:
    """One training job."""

    model: ModelConfig = dataclasses.field(default_factory=ModelConfig)
    data: DataConfig = dataclasses.field(default_factory=DataConfig)
    optimizer: OptimizerConfig = dataclasses.field(default_factory=OptimizerConfig)
    train: TrainConfig = dataclasses.field(default_factory=TrainConfig)
    parallel: ParallelConfig = dataclasses.field(default_factory=ParallelConfig)
    precision: str = _f("fp32", ("fp32", "bf16"))
    seed: int = _f(0, min=0)


def _hint(word: str, options: list[str]) -> str:
    close = difflib.get_close_matches(word, options, n=3, cutoff=0.5)
    return f"; did you mean {', '.join(repr(c) for c in close)}?" if close else ""


def _check_value(key: str, value: Any, typ: Any, meta: Any) -> Any:
    name = getattr(typ, "__name__", str(typ))
    if typ is bool:
        if not isinstance(value, bool):
            raise ConfigError(f"{key}: expected true or false, got {value!r}")
    elif typ is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ConfigError(f"{key}: expected an integer, got {value!r}")
    elif typ is float:
        if isinstance(value, str):  # YAML 1.1 reads 1e-3 as a string
            try:
                value = float(value)
            except ValueError:
                raise ConfigError(f"{key}: expected a number, got {value!r}") from None
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ConfigError(f"{key}: expected a number, got {value!r}")
        value = float(value)
    elif typ in (str, dict, list):
        if not isinstance(value, typ):
            raise ConfigError(f"{key}: expected a {name}, got {value!r}")
    choices = meta.get("choices")
    if choices and value not in choices:
        shown = [c for c in choices if c]
        raise ConfigError(
            f"{key}: {value!r} is not one of {', '.join(shown)}{_hint(str(value), shown)}"
        )
    lo, hi = meta.get("min"), meta.get("max")
    if lo is not None and value < lo:
        raise ConfigError(f"{key}: {value!r} must be >= {lo}")
    if hi is not None and value > hi:
        raise ConfigError(f"{key}: {value!r} must be <= {hi}")
    return value


def from_dict(cls: type, raw: Any, prefix: str = "") -> Any:
    """Builds the dataclass ``cls`` from a mapping, validating every key."""
    where = prefix.rstrip(".") or "config"
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise ConfigError(f"{where}: expected a mapping, got {raw!r}")
    hints = typing.get_type_hints(cls)
    fields = {f.name: f for f in dataclasses.fields(cls)}
    unknown = [k for k in raw if k not in fields]
    if unknown:
        k = str(unknown[0])
        raise ConfigError(
            f"unknown key {prefix}{k}{_hint(k, list(fields))} (valid keys: {', '.join(fields)})"
        )
    kwargs = {}
    for k, v in raw.items():
        typ = hints[k]
        if dataclasses.is_dataclass(typ):
            kwargs[k] = from_dict(typing.cast(type, typ), v, f"{prefix}{k}.")
        else:
            kwargs[k] = _check_value(f"{prefix}{k}", v, typ, fields[k].metadata)
    return cls(**kwargs)


def to_dict(config: Any) -> dict:
    """The config as plain data (for ``config.yaml`` next to the results)."""
    return dataclasses.asdict(config)


def dump_config(config: Config) -> str:
    """The config as YAML, every key present (what ``optzoo train --print-config`` shows)."""
    return yaml.safe_dump(to_dict(config), sort_keys=False, default_flow_style=False)


def _set_dotted(raw: dict, dotted: str, value: Any) -> None:
    parts = dotted.split(".")
    node = raw
    for p in parts[:-1]:
        child = node.get(p)
        if child is None:
            child = node[p] = {}
        if not isinstance(child, dict):
            raise ConfigError(f"--set {dotted}: {p} is not a section")
        node = child
    node[parts[-1]] = value


def apply_overrides(raw: dict, overrides: list[str] | None) -> dict:
    """Applies ``dotted.key=value`` strings (values parsed as YAML) to a raw mapping."""
    for item in overrides or []:
        if "=" not in item:
            raise ConfigError(f"--set {item!r}: expected dotted.key=value")
        key, text = item.split("=", 1)
        try:
            value = yaml.safe_load(text) if text else ""
        except yaml.YAMLError as e:
            raise ConfigError(f"--set {key}: cannot parse {text!r}: {e}") from None
        _set_dotted(raw, key.strip(), value)
    return raw


def _validate(config: Config) -> Config:
    t = config.train
    if t.steps == 0 and t.epochs == 0:
        t.steps = 200
    if t.steps and t.epochs:
        raise ConfigError("train.steps and train.epochs are both set; give one")
    if t.batch_size % config.optimizer.accumulate_steps:
        raise ConfigError("optimizer.accumulate_steps must divide train.batch_size")
    bounds = config.optimizer.schedule.boundaries
    fractions = (isinstance(b, (int, float)) and not isinstance(b, bool) for b in bounds)
    if not all(fractions) or not all(0 <= b <= 1 for b in bounds):
        raise ConfigError(
            f"optimizer.schedule.boundaries: expected fractions in [0, 1], got {bounds!r}"
        )
    p = config.parallel
    if p.process_id >= p.num_processes:
        raise ConfigError(f"parallel.process_id {p.process_id} >= num_processes {p.num_processes}")
    if p.zero1 and p.strategy not in ("sharded",):
        raise ConfigError("parallel.zero1 needs parallel.strategy: sharded")
    return config


def load_config(
    source: str | os.PathLike | dict | None, overrides: list[str] | None = None
) -> Config:
    """Reads a YAML file (``yaml.safe_load``) or a mapping, applies overrides, validates."""
    if isinstance(source, dict):
        raw = source
    elif source is None:
        raw = {}
    else:
        try:
            with open(source, encoding="utf-8") as f:
                raw = yaml.safe_load(f)
        except OSError as e:
            raise ConfigError(f"cannot read config {os.fspath(source)!r}: {e.strerror}") from None
        except yaml.YAMLError as e:
            raise ConfigError(f"config {os.fspath(source)!r} is not valid YAML: {e}") from None
    raw = {} if raw is None else raw
    if not isinstance(raw, dict):
        raise ConfigError("config: the top level must be a mapping")
    import copy

    raw = apply_overrides(copy.deepcopy(raw), overrides)
    return _validate(from_dict(Config, raw))
