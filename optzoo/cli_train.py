"""``optzoo train CONFIG [--set dotted.key=value ...] [--out DIR]``.

The lead's ``optzoo/cli.py`` wires :func:`add_train_parser` and :func:`run_train`;
``python -m optzoo.cli_train`` runs the command on its own.
"""

from __future__ import annotations

import argparse
import pathlib
import sys
import warnings
from typing import TextIO

__all__ = ["add_train_parser", "run_train", "main"]


def add_train_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Adds the ``train`` sub-command to an ``argparse`` sub-parser set."""
    p = subparsers.add_parser(
        "train",
        help="train a model from a YAML config",
        description="Train a Flax model from a YAML config; writes DIR/metrics.json.",
    )
    _add_arguments(p)
    p.set_defaults(func=run_train)
    return p


def _add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("config", help="YAML config file")
    p.add_argument(
        "--set",
        dest="overrides",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="override a config key (dotted), repeatable",
    )
    p.add_argument("--out", default=None, help="output directory (default runs/<config name>)")
    p.add_argument(
        "--force",
        action="store_true",
        help="write into a non-empty directory optzoo did not create, or start over in one "
        "that holds a run of another config (its results are removed)",
    )
    p.add_argument(
        "--print-config",
        action="store_true",
        help="print the fully resolved config (defaults and --set applied) as YAML and exit",
    )
    p.add_argument(
        "--log",
        choices=("jsonl", "tensorboard"),
        default=None,
        help="tensorboard: also write TensorBoard event files to DIR/tensorboard "
        "(needs pip install 'optzoo[tensorboard]'); JSONL files are always written",
    )
    p.add_argument(
        "--restart-on-bad-checkpoint",
        action="store_true",
        help="if DIR has checkpoints and none loads, move them to checkpoints/corrupt_step_N "
        "and train from step 0 (without it: exit 2)",
    )
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.add_argument(
        "--coordinator",
        default=None,
        metavar="HOST:PORT",
        help="multi-host: address of process 0, or 'auto' (SLURM, Kubernetes, Open MPI)",
    )
    p.add_argument("--num-processes", type=int, default=None, help="multi-host: process count")
    p.add_argument("--process-id", type=int, default=None, help="multi-host: this process")


def run_train(args: argparse.Namespace) -> int:
    """Runs one training job; returns 0, 1 for a failed run, 2 for bad input.

    Bad input is a bad config, a foreign ``--out``, or an ``--out`` whose checkpoints
    all fail to load (without ``--restart-on-bad-checkpoint``).
    """
    from optzoo.train.checkpoint import CheckpointError, CheckpointWarning
    from optzoo.train.config import ConfigError, RunMismatchError, dump_config, load_config

    overrides = list(args.overrides)
    if args.quiet:
        overrides.append("train.quiet=true")
    if getattr(args, "log", None):
        overrides.append(f"train.log={args.log}")
    for flag, key in (
        ("coordinator", "coordinator"),
        ("num_processes", "num_processes"),
        ("process_id", "process_id"),
    ):
        value = getattr(args, flag)
        if value is not None:
            overrides.append(f"parallel.{key}={value}")
    try:
        config = load_config(args.config, overrides)
        if getattr(args, "print_config", False):
            print(dump_config(config), end="")
            return 0
        out = args.out or str(pathlib.Path("runs") / pathlib.Path(args.config).stem)
        from optzoo.train.loop import train_and_evaluate

        with warnings.catch_warnings():
            warnings.showwarning = _show_checkpoint_warning
            warnings.simplefilter("always", CheckpointWarning)
            result = train_and_evaluate(
                config,
                out,
                restart_on_bad_checkpoint=args.restart_on_bad_checkpoint,
                force=args.force,
            )
    except RunMismatchError as e:
        print(f"optzoo train: error: {e}", file=sys.stderr)
        return 2
    except ConfigError as e:
        # Name the config file unless the message already does (unreadable or bad YAML).
        where = "" if args.config in str(e) else f"{args.config}: "
        print(f"optzoo train: error: {where}{e}", file=sys.stderr)
        return 2
    except CheckpointError as e:
        print(
            f"optzoo train: error: {e}\n(pass --restart-on-bad-checkpoint to move them aside "
            "and train from step 0)",
            file=sys.stderr,
        )
        return 2
    except (FloatingPointError, OSError) as e:
        print(f"optzoo train: failed: {e}", file=sys.stderr)
        return 1
    if not config.train.quiet:
        acc = result["final_eval_accuracy"]
        acc_text = "" if acc is None else f", eval accuracy {acc:.4f}"
        print(
            f"{result['steps']} steps: eval loss {result['final_eval_loss']:.4f}{acc_text}; "
            f"results in {out}/metrics.json"
        )
    return 0


def _show_checkpoint_warning(
    message: Warning | str,
    category: type[Warning],
    filename: str,
    lineno: int,
    file: TextIO | None = None,
    line: str | None = None,
) -> None:
    from optzoo.train.checkpoint import CheckpointWarning

    if issubclass(category, CheckpointWarning):
        print(f"optzoo train: warning: {message}", file=sys.stderr)
    else:
        sys.stderr.write(warnings.formatwarning(message, category, filename, lineno, line))


def main(argv: list[str] | None = None) -> int:
    """Stand-alone entry point: ``python -m optzoo.cli_train CONFIG ...``."""
    parser = argparse.ArgumentParser(prog="optzoo train")
    _add_arguments(parser)
    return run_train(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
