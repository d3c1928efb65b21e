"""Generation and its staleness check.

``outputs(spec_paths)`` renders everything in memory: each spec's module and
table, plus the spec reference page. ``write`` writes only files whose content
changed, atomically, and only if every spec compiled. ``diff`` compares with
what is on disk and returns a unified diff (empty when up to date), including
stale files in ``generated/`` that no spec produces.
"""

from __future__ import annotations

import difflib
import os
from pathlib import Path

from .docs import render_reference
from .errors import SpecError
from .lower import SPECS_DIR, load_arch
from .render import render_module, render_table

__all__ = ["ROOT", "outputs", "write", "diff"]

ROOT = SPECS_DIR.parent


def outputs(spec_paths: list[Path], *, full: bool = True, root: Path = ROOT) -> dict[Path, str]:
    """Every output file's path (under ``root``) and content. Raises SpecError with all specs' problems."""
    files: dict[Path, str] = {}
    diagnostics = []
    for path in spec_paths:
        try:
            ir = load_arch(path)
        except SpecError as exc:
            diagnostics.extend(exc.diagnostics)
            continue
        if ir.spec.abstract:
            continue
        files[root / "generated" / f"{ir.name}.py"] = render_module(ir)
        files[root / "generated" / f"{ir.name}.weights.json"] = render_table(ir)
    if diagnostics:
        raise SpecError(diagnostics)
    if full:
        files[root / "docs" / "spec-reference.md"] = render_reference()
    return files


def write(files: dict[Path, str]) -> list[Path]:
    """Write changed files atomically; returns the paths written."""
    written = []
    for path, text in sorted(files.items()):
        if path.exists() and path.read_text(encoding="utf-8") == text:
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, path)
        written.append(path)
    return written


def stale(files: dict[Path, str], root: Path = ROOT) -> list[Path]:
    """Generated files that no spec produces any more."""
    keep = {"__init__.py"}
    return sorted(
        p
        for p in (root / "generated").iterdir()
        if p.is_file() and p.name not in keep and p not in files and p.suffix in (".py", ".json")
    )


def diff(files: dict[Path, str], root: Path = ROOT) -> str:
    """A unified diff from what is on disk to ``files``; empty when up to date."""
    out = []
    for path, text in sorted(files.items()):
        old = path.read_text(encoding="utf-8") if path.exists() else ""
        if old != text:
            rel = path.relative_to(root).as_posix()
            out += difflib.unified_diff(old.splitlines(True), text.splitlines(True), f"a/{rel}", f"b/{rel}")
    for path in stale(files, root):
        out.append(f"stale file (no spec produces it): {path.relative_to(root).as_posix()}\n")
    return "".join(out)
