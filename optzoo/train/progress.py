"""A dependency-free progress bar on stderr: steps, loss and steps per second."""

from __future__ import annotations

import sys
import time
from typing import TextIO

__all__ = ["Progress"]


class Progress:
    """Redraws one line on a terminal; elsewhere prints a line per 10% of the run."""

    def __init__(
        self,
        total: int,
        start: int = 0,
        quiet: bool = False,
        stream: TextIO | None = None,
        width: int = 24,
    ):
        self.total = max(1, total)
        self.quiet = quiet
        self.stream = stream or sys.stderr
        self.width = width
        self.tty = hasattr(self.stream, "isatty") and self.stream.isatty()
        self._t0 = time.perf_counter()
        self._s0 = start
        self._last_decile = start * 10 // self.total

    def update(self, step: int, loss: float) -> None:
        """Shows ``step`` of ``total`` with the latest ``loss``."""
        if self.quiet:
            return
        rate = (step - self._s0) / max(time.perf_counter() - self._t0, 1e-9)
        filled = int(self.width * step / self.total)
        bar = "#" * filled + "." * (self.width - filled)
        line = f"[{bar}] {step}/{self.total} loss {loss:.4f} {rate:.1f} steps/s"
        if self.tty:
            self.stream.write("\r" + line)
        else:
            decile = step * 10 // self.total
            if decile == self._last_decile and step != self.total:
                return
            self._last_decile = decile
            self.stream.write(line + "\n")
        self.stream.flush()

    def close(self) -> None:
        if self.tty and not self.quiet:
            self.stream.write("\n")
            self.stream.flush()
