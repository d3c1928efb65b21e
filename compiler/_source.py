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
    node: yaml.Node,
    file: str,
    path: Path_,
    locs: dict[Path_, Loc],
    errors: list[Diagnostic],
    active: frozenset[int] = frozenset(),
    key_at: tuple[int, int] | None = None,
) -> Any:
    line, col = node.start_mark.line + 1, node.start_mark.column + 1
    locs[path] = (file, line, col)
    if id(node) in active:  # an alias that refers to one of its own ancestors
        at_line, at_col = key_at or (line, col)
        message = f"a recursive alias: the value anchored at line {line}, column {col} contains itself"
        errors.append(Diagnostic(file, at_line, at_col, _fmt(path), message))
        return None
    active = active | {id(node)}
    if isinstance(node, yaml.MappingNode):
        out: dict[str, Any] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                errors.append(
                    Diagnostic(
                        file,
                        key_node.start_mark.line + 1,
                        key_node.start_mark.column + 1,
                        _fmt(path),
                        "a mapping key must be a plain name, not a list or mapping",
                    )
                )
                continue
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
            key_at = (key_node.start_mark.line + 1, key_node.start_mark.column + 1)
            out[key] = _convert(value_node, file, child, locs, errors, active, key_at)
            # Point a key's diagnostics at the key itself, not at its value.
            locs[child] = (file, *key_at)
        return out
    if isinstance(node, yaml.SequenceNode):
        return [_convert(item, file, path + (i,), locs, errors, active) for i, item in enumerate(node.value)]
    try:
        return yaml.SafeLoader.construct_object(_SCALAR_LOADER, node)  # type: ignore[arg-type]
    except (yaml.YAMLError, ValueError, TypeError) as exc:  # an unknown tag, `!!int abc`, ...
        problem = getattr(exc, "problem", None) or str(exc)
        errors.append(Diagnostic(file, line, col, _fmt(path), f"invalid value {node.value!r}: {problem}"))
        return None


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
        raw = file.read_bytes()
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            line = raw.count(b"\n", 0, exc.start) + 1
            col = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
            raise SpecError(
                [Diagnostic(name, line, col, "<root>", f"the file is not valid UTF-8: {exc.reason}")]
            ) from None
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        raise SpecError([Diagnostic(name, line, col, "<root>", f"invalid YAML: {exc.problem}")]) from None
    except yaml.reader.ReaderError as exc:  # a control character: carries an offset, not a mark
        pos = exc.position
        line, col = text.count("\n", 0, pos) + 1, pos - (text.rfind("\n", 0, pos) + 1) + 1
        raise SpecError(
            [
                Diagnostic(
                    name,
                    line,
                    col,
                    "<root>",
                    f"invalid YAML: unacceptable character #x{exc.character:04x} ({exc.reason})",
                )
            ]
        ) from None
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


#: The fields of a size entry that say where its value comes from, and those that go with
#: them (see :func:`deep_merge`).
SIZE_SOURCE = frozenset({"config", "count_of", "expr", "value"})
SIZE_SOURCE_FIELDS = SIZE_SOURCE | {"fallback", "default"}


def deep_merge(base: Located, child: Located) -> Located:
    """``child`` over ``base``: mappings merge key by key, anything else is replaced.

    A key set to ``null`` in the child removes it from the result, so a delta
    spec can drop something its base declares. A ``null`` for a key the base
    does not have stays a ``null`` value (``heads: {masked_lm: }`` adds a head
    without overrides), so validation still sees, and reports, a misspelt key.

    One exception: a size entry (``sizes.<name>``) in the child that names where
    its value comes from (any of :data:`SIZE_SOURCE`) replaces the inherited
    entry's source whole (:data:`SIZE_SOURCE_FIELDS`, with its ``default`` and
    ``fallback``), keeping only its ``kind``: ``eps: {value: 1.0e-12}`` over
    ``eps: {config: layer_norm_eps, default: 1.0e-12, kind: float}`` is the
    constant, not a constant that also reads config.json. An entry that gives only
    a ``default`` (or ``fallback``) merges as any mapping does.
    """
    locs = dict(base.locs)

    def merge(a: Any, b: Any, path: Path_) -> Any:
        if isinstance(a, dict) and isinstance(b, dict):
            out = dict(a)
            if len(path) == 2 and path[0] == "sizes" and SIZE_SOURCE & b.keys():
                for key in SIZE_SOURCE_FIELDS & out.keys():
                    del out[key]
                    for p in [p for p in locs if p[: len(path) + 1] == path + (key,)]:
                        del locs[p]
            for key, value in b.items():
                if value is None and key in out:
                    del out[key]
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
