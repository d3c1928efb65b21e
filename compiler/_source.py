"""YAML loading that remembers where every value came from.

``load_yaml`` returns plain Python data plus a map from YAML path (a tuple of
keys and indices) to ``(file, line, column)``. Deep-merging two such documents
(for ``extends:``) keeps each value's own location, so a diagnostic points at
the file that actually wrote the offending value.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from .errors import Diagnostic, SpecError

__all__ = ["Located", "load_yaml", "deep_merge"]

Loc = tuple[str, int, int]
Path_ = tuple[str | int, ...]


@dataclass
class Located:
    """Parsed YAML data and the source location of every node in it."""

    data: Any
    locs: dict[Path_, Loc] = field(default_factory=dict)
    file: str = "<memory>"

    def loc(self, path: Path_) -> Loc:
        """The location of ``path``, or of its nearest located ancestor."""
        path = tuple(path)
        while path not in self.locs and path:
            path = path[:-1]
        return self.locs.get(path, (self.file, 1, 1))


def _convert(
    node: yaml.Node, file: str, path: Path_, locs: dict[Path_, Loc], errors: list[Diagnostic]
) -> Any:
    locs[path] = (file, node.start_mark.line + 1, node.start_mark.column + 1)
    if isinstance(node, yaml.MappingNode):
        out: dict[str, Any] = {}
        for key_node, value_node in node.value:
            key = key_node.value
            if key in out:
                errors.append(
                    Diagnostic(
                        file,
                        key_node.start_mark.line + 1,
                        key_node.start_mark.column + 1,
                        _fmt(path + (key,)),
                        f"duplicate key {key!r}",
                    )
                )
            child = path + (key,)
            out[key] = _convert(value_node, file, child, locs, errors)
            # Point a key's diagnostics at the key itself, not at its value.
            locs[child] = (file, key_node.start_mark.line + 1, key_node.start_mark.column + 1)
        return out
    if isinstance(node, yaml.SequenceNode):
        return [_convert(item, file, path + (i,), locs, errors) for i, item in enumerate(node.value)]
    return yaml.SafeLoader.construct_object(_SCALAR_LOADER, node)  # type: ignore[arg-type]


class _ScalarLoader(yaml.SafeLoader):
    def __init__(self) -> None:  # a loader used only to type scalars
        super().__init__("")


_SCALAR_LOADER = _ScalarLoader()


def _fmt(path: Path_) -> str:
    from .errors import format_path

    return format_path(path)


def load_yaml(file: Path | str, text: str | None = None, display: str | None = None) -> Located:
    """Parse one YAML document, raising :class:`SpecError` on a syntax error."""
    file = Path(file)
    name = display or str(file)
    if text is None:
        text = file.read_text(encoding="utf-8")
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        raise SpecError([Diagnostic(name, line, col, "<root>", f"invalid YAML: {exc.problem}")]) from None
    if node is None:
        raise SpecError([Diagnostic(name, 1, 1, "<root>", "the file is empty; expected a mapping")])
    locs: dict[Path_, Loc] = {}
    errors: list[Diagnostic] = []
    data = _convert(node, name, (), locs, errors)
    if errors:
        raise SpecError(errors)
    if not isinstance(data, dict):
        raise SpecError([Diagnostic(name, 1, 1, "<root>", f"expected a mapping, got {type(data).__name__}")])
    return Located(data, locs, name)


def deep_merge(base: Located, child: Located) -> Located:
    """``child`` over ``base``: mappings merge key by key, anything else is replaced.

    A key set to ``null`` in the child removes it from the result, so a delta
    spec can drop something its base declares.
    """
    locs = dict(base.locs)

    def merge(a: Any, b: Any, path: Path_) -> Any:
        if isinstance(a, dict) and isinstance(b, dict):
            out = dict(a)
            for key, value in b.items():
                if value is None:
                    out.pop(key, None)
                    continue
                out[key] = merge(a.get(key), value, path + (key,))
            return out
        # Replaced wholesale: drop the base's locations below this path.
        for p in [p for p in locs if p[: len(path)] == path and len(p) > len(path)]:
            del locs[p]
        return b

    data = merge(base.data, child.data, ())
    for path, loc in child.locs.items():
        locs[path] = loc
    return Located(data, locs, child.file)
