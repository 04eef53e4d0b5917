"""Progress bars on stderr with ``rich``: steps, loss, steps per second and ETA.

Shown on a terminal only: when stderr is not a TTY (a log file, CI) or with
``quiet`` nothing is drawn.
"""

from __future__ import annotations

import sys
from typing import Any, TextIO

__all__ = ["Progress", "console", "shows_progress"]


def shows_progress(stream: TextIO | None = None, quiet: bool = False) -> bool:
    """Whether a bar would be drawn on ``stream`` (default stderr)."""
    stream = stream or sys.stderr
    return not quiet and hasattr(stream, "isatty") and stream.isatty()


def console(stream: TextIO | None = None) -> Any:
    """A ``rich`` console on ``stream`` (default stderr)."""
    from rich.console import Console

    return Console(file=stream or sys.stderr)


def _columns(extra: str) -> list[Any]:
    from rich import progress as rp

    return [  # description, bar, M/N, fields, elapsed, ETA
        rp.TextColumn("[bold]{task.description}"),
        rp.BarColumn(),
        rp.MofNCompleteColumn(),
        rp.TextColumn(extra),
        rp.TimeElapsedColumn(),
        rp.TextColumn("ETA"),
        rp.TimeRemainingColumn(),
    ]


class Progress:
    """One training run's bar: ``step/total``, the latest loss, steps/s and ETA.

    A context manager; ``update(step, loss)`` moves it. Draws nothing unless
    stderr (or ``stream``) is a terminal and ``quiet`` is false.
    """

    def __init__(
        self,
        total: int,
        start: int = 0,
        quiet: bool = False,
        stream: TextIO | None = None,
        description: str = "train",
    ):
        self.total = max(1, total)
        self.enabled = shows_progress(stream, quiet)
        self._bar: Any = None
        self._task: Any = None
        if self.enabled:
            from rich import progress as rp

            columns = _columns("loss {task.fields[loss]}  {task.fields[rate]}")
            self._bar = rp.Progress(*columns, console=console(stream))
            self._task = self._bar.add_task(
                description, total=self.total, completed=start, loss="-", rate=""
            )

    def __enter__(self) -> Progress:
        if self._bar is not None:
            self._bar.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def update(self, step: int, loss: float) -> None:
        """Shows ``step`` of ``total`` with the latest ``loss``."""
        if self._bar is not None:
            self._bar.update(self._task, completed=step, loss=f"{loss:.4f}")
            speed = self._bar.tasks[0].speed
            if speed:
                self._bar.update(self._task, rate=f"{speed:.1f} steps/s")

    def close(self) -> None:
        if self._bar is not None:
            self._bar.stop()
            self._bar = None
