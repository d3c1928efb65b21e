"""Diagnostics: every problem with a spec is reported with its place and a hint.

A :class:`Diagnostic` carries ``file:line:column``, the YAML path, what was
expected and, for a misspelt name, the closest valid one. The compiler collects
all diagnostics of a run and raises one :class:`SpecError` holding them, so a
user fixes every problem in one pass.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass

__all__ = ["Diagnostic", "SpecError", "closest", "format_path"]


def format_path(path: Iterable[str | int]) -> str:
    """``("block", "attention", 0)`` -> ``block.attention[0]``."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out or "<root>"


def closest(name: str, candidates: Iterable[str]) -> str | None:
    """The candidate nearest to ``name``, or None when nothing is close."""
    matches = difflib.get_close_matches(str(name), sorted(set(candidates)), n=1, cutoff=0.6)
    return matches[0] if matches else None


@dataclass(frozen=True)
class Diagnostic:
    file: str
    line: int
    column: int
    path: str
    message: str
    hint: str | None = None

    def __str__(self) -> str:
        text = f"{self.file}:{self.line}:{self.column}: {self.path}: {self.message}"
        if self.hint:
            text += f" ({self.hint})"
        return text


class SpecError(Exception):
    """One or more spec problems, all found in the same run."""

    def __init__(self, diagnostics: list[Diagnostic]):
        self.diagnostics = sorted(set(diagnostics), key=lambda d: (d.file, d.line, d.column, d.message))
        super().__init__("\n".join(str(d) for d in self.diagnostics))
