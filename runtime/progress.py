"""Progress on stderr while loading weights and compiling: a rich bar, or nothing.

``progress=None`` (the default of :func:`archgen.load`) shows it only when
stderr is a terminal, so logs, pipes and tests stay clean; ``True`` always
shows it, ``False`` never does.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager

__all__ = ["Reporter"]


class Reporter:
    """Reports the stages of loading and compiling, if enabled."""

    def __init__(self, enabled: bool | None = None):
        self.enabled = sys.stderr.isatty() if enabled is None else enabled
        self.forced = enabled is True

    def _progress(self):
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TimeElapsedColumn

        return Progress(
            SpinnerColumn(),
            "[progress.description]{task.description}",
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=Console(stderr=True, force_terminal=self.forced or None),
            transient=True,
        )

    @contextmanager
    def bar(self, total: int, description: str) -> Iterator[Callable[[], None]]:
        """A bar of ``total`` steps; the block calls the yielded function once per step."""
        if not self.enabled:
            yield lambda: None
            return
        with self._progress() as progress:
            task = progress.add_task(description, total=total)
            yield lambda: progress.advance(task)

    @contextmanager
    def stage(self, description: str) -> Iterator[None]:
        """A spinner with the elapsed time while the block runs (a step of unknown length)."""
        if not self.enabled:
            yield
            return
        with self._progress() as progress:
            progress.add_task(description, total=None)
            yield
