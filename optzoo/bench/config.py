"""Benchmark suite configuration: YAML validated into typed dataclasses.

A suite names workloads (model + data + target + budget), optimizers (registry
names, hyperparameters, schedule, optional search space), a tuning protocol and
seeds. Every error is a :class:`ConfigError` that names the offending key and,
for unknown keys or names, the closest valid ones.

Every run trains with the training engine (``optzoo.train``);
:func:`engine_config` translates one run of a workload into the engine's config
and validation checks each workload against the engine's schema and registries
(``optzoo.data.DATASETS``, ``optzoo.models.MODELS``). This module imports no
other ``optzoo.bench`` module, so it is the root of the package's imports.
"""

from __future__ import annotations

import dataclasses
import difflib
import math
import os
import re
import types
import typing
from collections.abc import Mapping
from typing import Any

import yaml

__all__ = [
    "ConfigError",
    "DataSpec",
    "ModelSpec",
    "TargetSpec",
    "WorkloadSpec",
    "ScheduleSpec",
    "OptimizerSpec",
    "TuningSpec",
    "SuiteConfig",
    "load_suite",
    "parse_suite",
    "engine_config",
    "resolved_hyperparameters",
    "ENGINES",
    "ENGINE_SUPPLIES",
    "SCHEDULES",
    "PROTOCOLS",
    "DISTRIBUTIONS",
    "METRICS",
    "TABLE_METRICS",
]

# Both run optzoo.train; they differ only in the MLP's default initialisation (see
# engine_config): builtin keeps the bench's original MLP (He-normal for ReLU-like units).
ENGINES = ("builtin", "train")
SCHEDULES = ("constant", "cosine", "warmup_cosine", "linear", "exponential", "step")
PROTOCOLS = ("defaults", "grid", "random")
SELECT_BY = ("time", "steps", "metric")
DISTRIBUTIONS = ("log_uniform", "uniform", "choice")
METRICS = {"eval_accuracy": "max", "eval_loss": "min", "train_loss": "min"}
# Per-run metrics a suite's ``table`` may name: key -> (column header, format, scale).
# Every run records each key (None where it does not apply); see optzoo.bench.metrics.
TABLE_METRICS: dict[str, tuple[str, str, float]] = {
    "best_eval_accuracy": ("best eval acc", ".4f", 1.0),
    "final_eval_accuracy": ("final eval acc", ".4f", 1.0),
    "final_train_accuracy": ("final train acc", ".4f", 1.0),
    "train_eval_gap": ("train - eval acc", ".4f", 1.0),
    "best_eval_loss": ("best eval loss", ".4g", 1.0),
    "final_eval_loss": ("final eval loss", ".4g", 1.0),
    "final_train_loss": ("final train loss", ".4g", 1.0),
    "steps_to_target": ("steps to target", ".0f", 1.0),
    "epochs_to_target": ("epochs to target", ".3g", 1.0),
    "time_to_target_s": ("time to target s", ".2f", 1.0),
    "wall_time_s": ("training time s", ".2f", 1.0),
    "compile_time_s": ("compile s", ".2f", 1.0),
    "median_step_time_s": ("step ms", ".3g", 1e3),
    "state_bytes": ("optimizer state KiB", ".1f", 1 / 1024),
    "peak_memory_bytes": ("peak memory MiB", ".1f", 1 / 2**20),
    "step_memory_bytes": ("step memory KiB", ".1f", 1 / 1024),
    "weight_sparsity": ("weight sparsity", ".3f", 1.0),
    "param_count": ("params", ".0f", 1.0),
    "steps": ("steps run", ".0f", 1.0),
}


class ConfigError(ValueError):
    """A suite configuration error; the message names the key."""


def _closest(word: str, options: typing.Iterable[str]) -> str:
    close = difflib.get_close_matches(str(word), list(options), n=3, cutoff=0.4)
    return f"; did you mean {', '.join(repr(c) for c in close)}?" if close else ""


def _choice(path: str, value: Any, options: tuple[str, ...]) -> None:
    if value not in options:
        raise ConfigError(
            f"{path}: {value!r} is not one of {', '.join(options)}{_closest(value, options)}"
        )


@dataclasses.dataclass(frozen=True)
class DataSpec:
    name: str = "digits"
    val_fraction: float = 0.2  # digits / mnist5k: held-out share (the loader's test_fraction)
    data_seed: int = 0  # digits / mnist5k: seed of the split
    path: str = ""  # local files for mnist / fashion_mnist / cifar10
    options: dict = dataclasses.field(default_factory=dict)  # loader options (optzoo.data)


@dataclasses.dataclass(frozen=True)
class ModelSpec:
    name: str = "mlp"
    width: int = 64
    depth: int = 1
    activation: str = "relu"
    options: dict = dataclasses.field(default_factory=dict)  # other model keys (optzoo.train)


@dataclasses.dataclass(frozen=True)
class TargetSpec:
    metric: str = "eval_accuracy"
    value: float = 0.9

    @property
    def mode(self) -> str:
        return METRICS[self.metric]


@dataclasses.dataclass(frozen=True)
class WorkloadSpec:
    name: str
    data: DataSpec = dataclasses.field(default_factory=DataSpec)
    model: ModelSpec = dataclasses.field(default_factory=ModelSpec)
    target: TargetSpec = dataclasses.field(default_factory=TargetSpec)
    batch_size: int = 64
    steps: int = 300
    eval_every: int = 25
    max_seconds: float = 0.0  # 0: no training-time budget
    engine: str = "builtin"  # both optzoo.train; builtin: He-normal MLP init for ReLU-like units
    divergence_factor: float = 0.0  # >0: loss above factor * initial loss counts as diverged
    # Sections merged into the engine's config, e.g. {optimizer: {clip_norm: 1.0, l2: 1e-4},
    # parallel: {strategy: pmap, devices: 2}}; validated by optzoo.train's schema.
    engine_options: dict = dataclasses.field(default_factory=dict)


@dataclasses.dataclass(frozen=True)
class ScheduleSpec:
    name: str = "constant"
    warmup_steps: int = 0
    decay_steps: int = 0  # 0: the workload's step budget
    end_value: float = 0.0  # multiple of the peak learning rate
    decay_rate: float = 0.1
    boundaries: tuple[float, ...] = (0.5, 0.75)  # "step": fractions of decay_steps


@dataclasses.dataclass(frozen=True)
class OptimizerSpec:
    name: str
    label: str = ""
    hyperparameters: dict = dataclasses.field(default_factory=dict)
    schedule: ScheduleSpec = dataclasses.field(default_factory=ScheduleSpec)
    search: dict = dataclasses.field(default_factory=dict)

    @property
    def display(self) -> str:
        return self.label or self.name


@dataclasses.dataclass(frozen=True)
class TuningSpec:
    protocol: str = "defaults"
    select_by: str = "time"  # best trial per workload: time | steps | metric
    trials: int = 1
    seed: int = 0
    search_space: dict = dataclasses.field(default_factory=dict)


@dataclasses.dataclass(frozen=True)
class SuiteConfig:
    name: str
    workloads: tuple[WorkloadSpec, ...]
    optimizers: tuple[OptimizerSpec, ...]
    tuning: TuningSpec = dataclasses.field(default_factory=TuningSpec)
    seeds: tuple[int, ...] = (0,)
    description: str = ""
    # Study suites: the question the study answers, the columns of its study table (keys of
    # metrics.TABLE_METRICS) and a hand-written reading of the measured numbers.
    question: str = ""
    table: tuple[str, ...] = ()
    table_trials: str = "best"  # best: a row per (workload, optimizer); all: a row per trial
    grid_metric: str = ""  # also a workload x optimizer grid of this metric (e.g. lr x batch)
    interval: str = "range"  # study-table spread over seeds: range ([min, max]) | ci (bootstrap)
    size: str = "cpu"  # which of each workload's `sizes:` overrides apply (--size on the CLI)
    notes: str = ""
    missing_optimizers: str = "error"  # error | skip
    skipped: tuple[str, ...] = ()  # filled by validation: optimizers missing from the registry
    strict: bool = True  # optzoo.checked: bad leaves / mismatched trees raise, naming the path


def _is_dataclass_type(t: Any) -> bool:
    return isinstance(t, type) and dataclasses.is_dataclass(t)


def _convert(path: str, value: Any, typ: Any) -> Any:
    origin = typing.get_origin(typ)
    if _is_dataclass_type(typ):
        return _build(typ, value, path)
    if origin is tuple:
        if not isinstance(value, list | tuple):
            value = [value]
        (item_t, *_rest) = typing.get_args(typ)
        return tuple(_convert(f"{path}[{i}]", v, item_t) for i, v in enumerate(value))
    if origin in (typing.Union, types.UnionType):
        return value
    if typ is dict:
        if value is None:
            return {}
        if not isinstance(value, Mapping):
            raise ConfigError(f"{path}: expected a mapping, got {type(value).__name__}")
        return dict(value)
    if typ is bool:
        if not isinstance(value, bool):
            raise ConfigError(f"{path}: expected true/false, got {value!r}")
        return value
    if typ is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ConfigError(f"{path}: expected an integer, got {value!r}")
        return value
    if typ is float:
        if isinstance(value, str):
            try:
                value = float(value)  # YAML reads "1e-3" as a string
            except ValueError:
                pass
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ConfigError(f"{path}: expected a number, got {value!r}")
        if not math.isfinite(value):
            raise ConfigError(f"{path}: expected a finite number, got {value!r}")
        return float(value)
    if typ is str:
        if not isinstance(value, str):
            raise ConfigError(f"{path}: expected a string, got {value!r}")
        return value
    return value


def _build(cls: Any, raw: Any, path: str) -> Any:
    if raw is None:
        raw = {}
    if not isinstance(raw, Mapping):
        raise ConfigError(f"{path or 'suite'}: expected a mapping, got {type(raw).__name__}")
    hints = typing.get_type_hints(cls)
    fields = {f.name: f for f in dataclasses.fields(cls) if f.name != "skipped"}
    kwargs = {}
    for key, value in raw.items():
        where = f"{path}.{key}" if path else str(key)
        if key not in fields:
            raise ConfigError(
                f"unknown key {where!r}{_closest(key, fields)} (valid keys: {', '.join(fields)})"
            )
        kwargs[key] = _convert(where, value, hints[key])
    for name, f in fields.items():
        if (
            name not in kwargs
            and f.default is dataclasses.MISSING
            and f.default_factory is dataclasses.MISSING
        ):
            raise ConfigError(f"missing key {(path + '.' if path else '') + name!r}")
    return cls(**kwargs)


def _check_positive(path: str, value: float) -> None:
    if value <= 0:
        raise ConfigError(f"{path}: must be > 0, got {value!r}")


def _check_space(path: str, space: Mapping[str, Any], protocol: str) -> None:
    for hp, dist in space.items():
        where = f"{path}.{hp}"
        if isinstance(dist, list):
            dist = {"choice": dist}
        if not isinstance(dist, Mapping):
            raise ConfigError(f"{where}: expected a mapping like {{log_uniform: [1e-4, 1.0]}}")
        kinds = [k for k in dist if k != "num"]
        if len(kinds) != 1:
            raise ConfigError(f"{where}: give exactly one of {', '.join(DISTRIBUTIONS)}")
        kind = kinds[0]
        _choice(f"{where}", kind, DISTRIBUTIONS)
        args = dist[kind]
        if kind == "choice":
            if not isinstance(args, list) or not args:
                raise ConfigError(f"{where}.choice: expected a non-empty list")
            continue
        if (
            not isinstance(args, list)
            or len(args) != 2
            or not all(isinstance(a, int | float) and not isinstance(a, bool) for a in args)
        ):
            raise ConfigError(f"{where}.{kind}: expected [low, high]")
        lo, hi = float(args[0]), float(args[1])
        if not lo <= hi:
            raise ConfigError(f"{where}.{kind}: low {lo} > high {hi}")
        if kind == "log_uniform" and lo <= 0:
            raise ConfigError(f"{where}.log_uniform: bounds must be > 0")
        num = dist.get("num", 5)
        if isinstance(num, bool) or not isinstance(num, int) or num < 1:
            raise ConfigError(f"{where}.num: expected a positive integer, got {num!r}")


def _sample_value(dist: Any) -> Any:
    if isinstance(dist, list):
        return dist[0]
    kind = next(k for k in dist if k != "num")
    return dist[kind][0]


def _check_optimizer(path: str, opt: OptimizerSpec, known: list[str]) -> bool:
    """Checks one optimizer against the registry; False when its name is missing."""
    from optzoo import registry

    if opt.name not in known:
        return False
    _choice(f"{path}.schedule.name", opt.schedule.name, SCHEDULES)
    for i, b in enumerate(opt.schedule.boundaries):
        if not 0.0 <= b <= 1.0:
            raise ConfigError(f"{path}.schedule.boundaries[{i}]: must be in [0, 1], got {b!r}")
    unsupported = set(registry.info(opt.name).needs) - ENGINE_SUPPLIES
    if unsupported:
        raise ConfigError(
            f"{path}.name: {opt.name!r} needs {', '.join(sorted(unsupported))} in its update, "
            "which the training engine does not supply"
        )
    trial = dict(opt.hyperparameters)
    for hp, dist in opt.search.items():
        trial.setdefault(hp, _sample_value(dist))
    lr = resolved_hyperparameters(opt.name, trial).get("learning_rate")
    if isinstance(lr, bool) or not isinstance(lr, int | float):
        raise ConfigError(
            f"{path}.hyperparameters.learning_rate: the training engine needs a number "
            f"(the registry default of {opt.name!r} is {lr!r})"
        )
    try:
        registry.create(opt.name, **trial)
    except (ValueError, TypeError) as e:
        raise ConfigError(f"{path}.hyperparameters: {e}") from None
    return True


# What optzoo.train's step passes to an optimizer's update besides the gradients.
ENGINE_SUPPLIES = {"params", "value", "value_fn", "grad"}


def resolved_hyperparameters(optimizer: str, hyperparameters: Mapping[str, Any]) -> dict:
    """Registry defaults overlaid with ``hyperparameters`` (JSON-able values only)."""
    from optzoo import registry

    merged = {**registry.info(optimizer).hyperparameters, **hyperparameters}
    return {k: v for k, v in merged.items() if v is None or isinstance(v, bool | int | float | str)}


def _merge(base: dict, extra: Mapping[str, Any]) -> dict:
    """``base`` with ``extra`` merged in, recursively for nested mappings."""
    out = dict(base)
    for key, value in extra.items():
        if isinstance(value, Mapping) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = value
    return out


def engine_config(
    workload: WorkloadSpec,
    optimizer: str,
    hyperparameters: Mapping[str, Any],
    schedule: ScheduleSpec,
    seed: int,
    strict: bool = True,
) -> dict:
    """The ``optzoo.train`` config mapping of one run of ``workload``.

    The bench's timing rules are engine options (``optzoo.train.timing``): the
    initial parameters are evaluated, every step is waited for and timed,
    ``max_seconds`` and ``divergence_factor`` stop the run, a non-finite loss
    stops it. ``engine_options`` is merged over the result, section by section.
    The MLP of an ``engine: builtin`` workload is initialised like the bench's
    original trainer: He-normal for ReLU-like activations, LeCun-normal otherwise.
    """
    w = workload
    hp = dict(hyperparameters)
    lr = hp.pop("learning_rate", resolved_hyperparameters(optimizer, {}).get("learning_rate"))
    if isinstance(lr, bool) or not isinstance(lr, int | float):
        raise ConfigError(
            f"optimizer {optimizer!r}: give a numeric learning_rate (the registry default "
            f"is {lr!r})"
        )
    lr = float(lr)
    model: dict[str, Any] = {"name": w.model.name, **w.model.options}
    if w.model.name == "mlp":
        model.update(width=w.model.width, depth=w.model.depth, activation=w.model.activation)
        if w.engine == "builtin":
            relu_like = w.model.activation in ("relu", "gelu", "silu")
            model.setdefault("init", "he_normal" if relu_like else "lecun_normal")
    data: dict[str, Any] = {"name": w.data.name, "options": dict(w.data.options)}
    if w.data.name in ("digits", "mnist5k"):
        data["options"].setdefault("test_fraction", w.data.val_fraction)
        data["options"].setdefault("seed", w.data.data_seed)
    if w.data.path:
        data["path"] = w.data.path
    config = {
        "model": model,
        "data": data,
        "optimizer": {
            "name": optimizer,
            "learning_rate": lr,
            "hyperparameters": hp,
            "strict": strict,
            "schedule": {
                "name": schedule.name,
                "warmup_steps": schedule.warmup_steps,
                "decay_steps": schedule.decay_steps,
                "end_value": schedule.end_value * lr,  # the engine's end value is absolute
                "decay_rate": schedule.decay_rate,
                "boundaries": list(schedule.boundaries),
            },
        },
        "train": {
            "steps": w.steps,
            "batch_size": w.batch_size,
            "eval_every": w.eval_every,
            "log_every": 1,
            "on_nonfinite": "stop",
            "quiet": True,
            "eval_at_start": True,
            "checkpoint_every": 0,  # a bench run is short and restarts whole
            "time_steps": True,
            "max_seconds": w.max_seconds,
            "divergence_factor": w.divergence_factor,
        },
        "seed": seed,
    }
    return _merge(config, w.engine_options)


def _check_workload(path: str, w: WorkloadSpec) -> None:
    """Checks names against the engine's registries, then the whole engine config."""
    from optzoo.data import DATASETS, FILE_DATASETS
    from optzoo.models import MODELS
    from optzoo.train.config import ConfigError as EngineError
    from optzoo.train.config import load_config

    _choice(f"{path}.data.name", w.data.name, tuple(DATASETS))
    _choice(f"{path}.model.name", w.model.name, tuple(MODELS))
    if w.data.name in FILE_DATASETS and not w.data.path:
        raise ConfigError(
            f"{path}.data.path: data set {w.data.name!r} is read from local files; "
            "give data.path (nothing is downloaded)"
        )
    try:
        load_config(engine_config(w, "sgd", {"learning_rate": 0.1}, ScheduleSpec(), 0))
    except EngineError as e:
        raise ConfigError(f"{path}: {e} (in the workload's training-engine config)") from None


def _validate(suite: SuiteConfig) -> SuiteConfig:
    from optzoo import registry

    if not suite.workloads:
        raise ConfigError("workloads: give at least one workload")
    if not suite.optimizers:
        raise ConfigError("optimizers: give at least one optimizer")
    if not suite.seeds:
        raise ConfigError("seeds: give at least one seed")
    _choice("missing_optimizers", suite.missing_optimizers, ("error", "skip"))
    _choice("tuning.protocol", suite.tuning.protocol, PROTOCOLS)
    _choice("tuning.select_by", suite.tuning.select_by, SELECT_BY)
    if suite.tuning.trials < 1:
        raise ConfigError(f"tuning.trials: must be >= 1, got {suite.tuning.trials}")
    _check_space("tuning.search_space", suite.tuning.search_space, suite.tuning.protocol)
    _choice("table_trials", suite.table_trials, ("best", "all"))
    _choice("interval", suite.interval, ("range", "ci"))
    if suite.grid_metric and suite.grid_metric not in TABLE_METRICS:
        raise ConfigError(
            f"grid_metric: unknown metric {suite.grid_metric!r}"
            f"{_closest(suite.grid_metric, TABLE_METRICS)}"
        )
    for i, key in enumerate(suite.table):
        if key not in TABLE_METRICS:
            raise ConfigError(
                f"table[{i}]: unknown metric {key!r}{_closest(key, TABLE_METRICS)} "
                f"(valid metrics: {', '.join(TABLE_METRICS)})"
            )
    names = set()
    for i, w in enumerate(suite.workloads):
        p = f"workloads[{i}]"
        if w.name in names:
            raise ConfigError(f"{p}.name: duplicate workload name {w.name!r}")
        names.add(w.name)
        _choice(f"{p}.engine", w.engine, ENGINES)
        _choice(f"{p}.target.metric", w.target.metric, tuple(METRICS))
        if not 0.0 < w.data.val_fraction < 1.0:
            raise ConfigError(f"{p}.data.val_fraction: must be in (0, 1)")
        for key in ("batch_size", "steps", "eval_every", "model.width"):
            obj: Any = w
            for part in key.split("."):
                obj = getattr(obj, part)
            _check_positive(f"{p}.{key}", obj)
        if w.model.depth < 0:
            raise ConfigError(f"{p}.model.depth: must be >= 0")
        _check_workload(p, w)
    known = registry.names()
    kept, skipped, labels = [], [], set()
    for i, opt in enumerate(suite.optimizers):
        p = f"optimizers[{i}]"
        _check_space(f"{p}.search", opt.search, suite.tuning.protocol)
        if opt.display in labels:
            raise ConfigError(f"{p}.label: duplicate optimizer label {opt.display!r}")
        labels.add(opt.display)
        if _check_optimizer(p, opt, known):
            kept.append(opt)
            continue
        if suite.missing_optimizers == "error":
            raise ConfigError(
                f"{p}.name: optimizer {opt.name!r} is not in the registry"
                f"{_closest(opt.name, known)} (registered: {', '.join(known)}; "
                "set missing_optimizers: skip to run without it)"
            )
        skipped.append(opt.name)
    if not kept:
        raise ConfigError("optimizers: none of the named optimizers is in the registry")
    return dataclasses.replace(suite, optimizers=tuple(kept), skipped=tuple(skipped))


_EXP_FLOAT = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)[eE][+-]?\d+$")


def _numify(raw: Any) -> Any:
    """YAML 1.1 reads ``1e-3`` as a string; turn such strings into floats."""
    if isinstance(raw, str) and _EXP_FLOAT.match(raw):
        return float(raw)
    if isinstance(raw, Mapping):
        return {k: _numify(v) for k, v in raw.items()}
    if isinstance(raw, list):
        return [_numify(v) for v in raw]
    return raw


SIZES = ("cpu", "gpu")


def _merged(base: Mapping, over: Mapping) -> dict:
    """``base`` with ``over`` merged in (mappings recursively, anything else replaced)."""
    out = dict(base)
    for k, v in over.items():
        out[k] = (
            _merged(out[k], v) if isinstance(v, Mapping) and isinstance(out.get(k), Mapping) else v
        )
    return out


def apply_size(raw: Any, size: str | None = None) -> Any:
    """Resolves every workload's ``sizes:`` for ``size`` (default: the suite's ``size``).

    A workload may carry ``sizes: {cpu: {...}, gpu: {...}}``: the mapping for the chosen
    size is merged into the workload (nested keys such as ``model.options.dim`` merge, the
    rest replace); a size the workload does not list leaves it as written.
    """
    if not isinstance(raw, Mapping):
        return raw
    size = size or raw.get("size") or "cpu"
    if size not in SIZES:
        raise ConfigError(f"size: {size!r} is not one of {list(SIZES)}")
    workloads = []
    for i, w in enumerate(raw.get("workloads") or []):
        if isinstance(w, Mapping) and "sizes" in w:
            sizes = w["sizes"]
            if not isinstance(sizes, Mapping) or set(sizes) - set(SIZES):
                bad = sorted(set(sizes) - set(SIZES)) if isinstance(sizes, Mapping) else sizes
                raise ConfigError(
                    f"workloads[{i}].sizes: keys must be among {list(SIZES)}, got {bad!r}"
                )
            w = _merged({k: v for k, v in w.items() if k != "sizes"}, sizes.get(size) or {})
        workloads.append(w)
    if "workloads" not in raw:
        return {**raw, "size": size}  # the schema names the missing key
    return {**raw, "workloads": workloads, "size": size}


def parse_suite(raw: Any, size: str | None = None) -> SuiteConfig:
    """Validates a parsed YAML mapping into a :class:`SuiteConfig` (``size``: see
    :func:`apply_size`)."""
    return _validate(_build(SuiteConfig, _numify(apply_size(raw, size)), ""))


def load_suite(path: str | os.PathLike, size: str | None = None) -> SuiteConfig:
    """Reads and validates a suite YAML file, at ``size`` (``cpu`` or ``gpu``)."""
    try:
        with open(path, encoding="utf-8") as f:
            raw = yaml.safe_load(f)
    except yaml.YAMLError as e:
        raise ConfigError(f"{path}: invalid YAML: {e}") from None
    return parse_suite(raw, size)
