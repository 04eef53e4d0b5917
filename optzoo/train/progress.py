"""Progress bars on stderr with ``rich``: steps, loss, steps per second and ETA.

Shown on a terminal only: when stderr is not a TTY (a log file, CI) or with
``quiet`` nothing is drawn.
"""

from __future__ import annotations

import sys
from typing import Any, TextIO

__all__ = ["BenchBars", "Progress", "bench_bars", "console", "shows_progress"]


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


class BenchBars:
    """``optzoo bench run`` on a terminal: the suite's bar (jobs, ETA) and the job's (steps)."""

    def __init__(self, total: int, stream: TextIO | None, label: str):
        from rich import progress as rp

        self._bar = rp.Progress(
            *_columns("{task.fields[loss]}"), console=console(stream), transient=False
        )
        self._suite = self._bar.add_task(label, total=max(1, total), loss="")
        self._job = self._bar.add_task("", total=1, loss="", visible=False)
        self._bar.start()

    def job(self, title: str, step: int, total: int, loss: float) -> None:
        """The running job ``title`` is at ``step`` of ``total`` with ``loss``."""
        self._bar.update(
            self._job,
            description=title[:40],
            completed=step,
            total=max(1, total),
            loss=f"loss {loss:.4g}",
            visible=True,
        )

    def finished(self, line: str) -> None:
        """A job ended: one suite step, and ``line`` printed above the bars."""
        self._bar.advance(self._suite)
        self._bar.reset(self._job, visible=False)
        self._bar.console.print(line, markup=False, highlight=False)

    def close(self) -> None:
        self._bar.stop()


def bench_bars(total: int, stream: TextIO | None, label: str) -> BenchBars:
    return BenchBars(total, stream, label)
