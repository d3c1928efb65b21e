"""Lowering: YAML files -> validated, resolved, shape-checked IR.

``load_arch(path)`` reads an architecture spec, resolves ``extends:`` (with
cycle detection), validates the merged document against :mod:`.schema`,
resolves every head it offers, runs the cross-field checks (symbols exist,
every slot has a checkpoint key, widths agree along the residual stream and
into tied projections) and returns an :class:`ArchIR`. Every problem found is
collected and raised together as one :class:`SpecError`.
"""

from __future__ import annotations

import ast
import hashlib
import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, get_args

from pydantic import BaseModel, ValidationError

from ._source import Located, deep_merge, load_yaml
from .errors import Diagnostic, SpecError, closest, format_path
from .schema import (
    SPEC_VERSION,
    Activation,
    ArchSpec,
    HeadLayer,
    HeadSpec,
    IgnoredKey,
    LongRopeSpec,
    NormKind,
    SizeSpec,
    StateSpaceSpec,
    Switch,
)

__all__ = [
    "SPECS_DIR",
    "ArchIR",
    "HeadIR",
    "bind_sizes",
    "backbone_slots",
    "all_layers",
    "check_constraints",
    "LAYER_KINDS",
    "layer_kind_rule",
    "state_space",
    "switches",
    "decoder_keys",
    "decoder_slots",
    "discover_specs",
    "load_arch",
    "load_head",
]

SPECS_DIR = Path(__file__).resolve().parent.parent / "specs"

#: The norm kinds a `norm.kind` switch's cases may name.
NORM_KINDS = list(get_args(NormKind))
# what a head input switch may pick per config value
POOLINGS = ("first_token", "first_kept", "mean", "late_mean")


# --------------------------------------------------------------------------- IR


@dataclass(frozen=True)
class HeadIR:
    """A head as one architecture uses it: the head spec with overrides applied."""

    spec: HeadSpec
    class_name: str
    layers: tuple[HeadLayer, ...]
    input: str | Switch  # a switch picks one of its cases' inputs from config.json
    keys: dict[str, str]
    ignore: tuple[IgnoredKey, ...]
    base_prefix: str | None = None  # this head's, where it differs from the architecture's
    prefixed: bool = True  # the backbone's keys sit under the base prefix in this head's checkpoints

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def uses_pooler(self) -> bool:
        """The model keeps the backbone's pooler: the head asks for it or reads it."""
        return self.spec.pooler or self.input == "pooled"

    @property
    def per_token_outputs(self) -> frozenset[str]:
        """The output fields with one value per token (the rest have one per sequence)."""
        names = {"last_hidden_state"} | {b.output for b in self.spec.branches if b.input == "sequence"}
        if self.input == "sequence":
            names |= set(self.spec.outputs) - {"pooler_output", "encoder_last_hidden_state"}
        return frozenset(names)

    @property
    def generates(self) -> bool:
        """The head generates tokens: a causal decoder or an encoder-decoder."""
        return self.spec.attention == "causal" or self.spec.encoder_decoder

    @property
    def reads_first_token(self) -> bool:
        """Some output reads one token per sequence: the first one, directly, through
        the pooler, or in a branch. (Packed rows then say where each sequence starts.)"""
        return (
            self.uses_pooler
            or "first_token" in self.inputs
            or any(branch.input in ("first_token", "pooled") for branch in self.spec.branches)
        )

    @property
    def inputs(self) -> tuple[str, ...]:
        """Every input the head may read: its input, or each case of its input switch."""
        if isinstance(self.input, Switch):
            return tuple(dict.fromkeys((self.input.cases or {}).values()))
        return (self.input,)

    def input_for(self, sizes: dict) -> str:
        """The input the head reads with these bound sizes (a switch's case for its symbol)."""
        if isinstance(self.input, Switch):
            return (self.input.cases or {}).get(sizes[self.input.switch], "")
        return self.input


def all_layers(head: HeadIR):
    """A head's layers, then its branches' layers."""
    yield from head.layers
    for branch in head.spec.branches:
        yield from branch.layers


@dataclass(frozen=True)
class ArchIR:
    """A resolved architecture: the merged spec, its heads and its provenance."""

    spec: ArchSpec
    heads: tuple[HeadIR, ...]
    spec_file: str
    spec_hash: str
    sources: tuple[str, ...] = field(default=())
    path: Path | None = None

    @property
    def name(self) -> str:
        return self.spec.name

    def head(self, name: str) -> HeadIR:
        for head in self.heads:
            if head.name == name:
                return head
        raise KeyError(name)


# ------------------------------------------------------------------ discovery


def _display(path: Path) -> str:
    """A stable, relative name for diagnostics and banners."""
    path = path.resolve()
    for root in (SPECS_DIR.parent, Path.cwd()):
        try:
            return path.relative_to(root).as_posix()
        except ValueError:
            continue
    return path.as_posix()


def discover_specs(directory: Path = SPECS_DIR, *, include_abstract: bool = False) -> list[Path]:
    """Architecture spec files in ``directory``, sorted by name."""
    out = []
    for path in sorted(directory.glob("*.yaml")):
        if include_abstract:
            out.append(path)
            continue
        try:
            data = load_yaml(path).data
        except SpecError:
            out.append(path)  # let validation report it
            continue
        if not data.get("abstract", False):
            out.append(path)
    return out


def _head_dirs(spec_dir: Path) -> list[Path]:
    dirs = [spec_dir / "heads", SPECS_DIR / "heads"]
    return [
        d for i, d in enumerate(dirs) if d.is_dir() and d.resolve() not in [x.resolve() for x in dirs[:i]]
    ]


def _available_heads(spec_dir: Path) -> dict[str, Path]:
    out: dict[str, Path] = {}
    for d in reversed(_head_dirs(spec_dir)):
        for p in d.glob("*.yaml"):
            out[p.stem] = p
    return out


# ---------------------------------------------------------------- validation


def _pydantic_diagnostics(exc: ValidationError, src: Located, model: type[BaseModel]) -> list[Diagnostic]:
    diags = []
    errors = exc.errors()
    # A scalar given where `Literal[...] | Switch` is expected fails both members; the
    # literal's error (with its did-you-mean) is the one that helps.
    # So does one where `bool | Literal[...]` is (the literal's error then names true and false too).
    literal_locs = {e["loc"][:-1] for e in errors if e["type"] == "literal_error"}
    bool_locs = {e["loc"][:-1] for e in errors if e["type"] in ("bool_parsing", "bool_type")}
    errors = [
        e
        for e in errors
        if not (
            e["type"] in ("model_type", "dict_type", "model_attributes_type", "bool_parsing", "bool_type")
            and e["loc"][:-1] in literal_locs
        )
    ]
    for err in errors:
        loc = _data_path(src.data, err["loc"])
        file, line, col = src.loc(loc)
        kind = err["type"]
        hint = None
        if kind == "extra_forbidden":
            parent_fields = _fields_at(model, src.data, loc[:-1])
            key = loc[-1]
            message = f"unknown key {key!r}; expected one of: {', '.join(sorted(parent_fields))}"
            guess = closest(str(key), parent_fields)
            hint = f"did you mean {guess!r}?" if guess else None
        elif kind == "literal_error":
            expected = err.get("ctx", {}).get("expected", "")
            options = [o.strip().strip("'") for o in expected.replace(" or ", ",").split(",") if o.strip()]
            got = err.get("input")
            message = f"expected one of {expected}, got {got!r}"
            if err["loc"][:-1] in bool_locs:
                message = f"expected true, false or {expected}, got {got!r}"
            guess = closest(str(got), options)
            hint = f"did you mean {guess!r}?" if guess else None
        elif kind == "missing":
            message = "required key is missing"
        else:
            message = f"{err['msg']} (got {err.get('input')!r})"
        diags.append(Diagnostic(file, line, col, format_path(loc), message, hint))
    return diags


def _data_path(data: Any, loc: tuple) -> tuple:
    """Drop pydantic's union-member tags from ``loc`` so it is a real YAML path."""
    out: list = []
    node = data
    for part in loc:
        if isinstance(node, dict) and part in node:
            out.append(part)
            node = node[part]
        elif isinstance(node, list) and isinstance(part, int) and part < len(node):
            out.append(part)
            node = node[part]
        elif isinstance(node, dict | list):
            if isinstance(part, str) and (part[:1].isupper() or part in ("function-after", "literal")):
                continue  # a union tag such as 'HeadOverride'
            out.append(part)
            node = None
        else:
            continue
    return tuple(out)


def _fields_at(model: type[BaseModel], data: Any, path: tuple) -> list[str]:
    """Field names of the pydantic model that validates ``data`` at ``path``."""
    import typing

    current: Any = model
    for part in path:
        if isinstance(current, type) and issubclass(current, BaseModel):
            info = current.model_fields.get(part)
            if info is None:
                return []
            current = info.annotation
        else:
            args = [a for a in typing.get_args(current) if a is not type(None)]
            if not args:
                return []
            # dict[str, X] -> X ; list[X] -> X ; X | None -> X
            current = args[-1]
            while typing.get_args(current) and not (
                isinstance(current, type) and issubclass(current, BaseModel)
            ):
                inner = [a for a in typing.get_args(current) if a is not type(None)]
                current = inner[-1]
        while (
            not (isinstance(current, type) and issubclass(current, BaseModel))
            and typing.get_args(current)
            and typing.get_origin(current) not in (dict, list)
        ):
            inner = [a for a in typing.get_args(current) if a is not type(None)]
            current = inner[0]
    if isinstance(current, type) and issubclass(current, BaseModel):
        return list(current.model_fields)
    return []


def _resolve_extends(path: Path, chain: tuple[Path, ...] = ()) -> tuple[Located, list[Path]]:
    """Load ``path`` and merge it over its bases; returns the merged doc and the files read."""
    src = load_yaml(path, display=_display(path))
    parent = src.data.get("extends")
    if parent is None:
        return src, [path]
    if not isinstance(parent, str):
        file, line, col = src.loc(("extends",))
        raise SpecError([Diagnostic(file, line, col, "extends", f"expected a spec name, got {parent!r}")])
    parent_path = path.parent / f"{parent}.yaml"
    if not parent_path.exists() and (SPECS_DIR / f"{parent}.yaml").exists():
        parent_path = SPECS_DIR / f"{parent}.yaml"
    file, line, col = src.loc(("extends",))
    if not parent_path.exists():
        names = [p.stem for p in path.parent.glob("*.yaml")] + [p.stem for p in SPECS_DIR.glob("*.yaml")]
        guess = closest(parent, names)
        raise SpecError(
            [
                Diagnostic(
                    file,
                    line,
                    col,
                    "extends",
                    f"no spec named {parent!r} to extend",
                    f"did you mean {guess!r}?" if guess else None,
                )
            ]
        )
    if parent_path.resolve() in [p.resolve() for p in chain + (path,)]:
        cycle = " -> ".join(p.stem for p in chain + (path, parent_path))
        raise SpecError([Diagnostic(file, line, col, "extends", f"cycle in extends: {cycle}")])
    base, files = _resolve_extends(parent_path, chain + (path,))
    # `abstract` and `extends` describe one file, they are not inherited.
    base.data.pop("abstract", None)
    base.data.pop("extends", None)
    merged = deep_merge(base, src)
    return merged, files + [path]


def load_head(path: Path) -> tuple[HeadSpec, Located]:
    src = load_yaml(path, display=_display(path))
    try:
        head = HeadSpec.model_validate(src.data)
    except ValidationError as exc:
        raise SpecError(_pydantic_diagnostics(exc, src, HeadSpec) + _check_raw_header(src, path)) from None
    diags = _check_header(src, head.spec_version, head.name, path)
    if diags:
        raise SpecError(diags)
    return head, src


def _check_raw_header(src: Located, path: Path) -> list[Diagnostic]:
    """The header checks on unvalidated data, so they are reported alongside schema errors."""
    version, name = src.data.get("spec_version"), src.data.get("name")
    return _check_header(
        src,
        version if isinstance(version, int) and not isinstance(version, bool) else None,
        name if isinstance(name, str) else None,
        path,
    )


def _check_header(src: Located, version: int | None, name: str | None, path: Path) -> list[Diagnostic]:
    """``spec_version`` and ``name`` agree with the compiler and the file; None skips a check."""
    diags = []
    if version is not None and version != SPEC_VERSION:
        file, line, col = src.loc(("spec_version",))
        diags.append(
            Diagnostic(
                file,
                line,
                col,
                "spec_version",
                f"this compiler reads spec_version {SPEC_VERSION}, got {version}",
                "see 'Spec versions' in the README for migrations",
            )
        )
    if name is not None and name != path.stem:
        file, line, col = src.loc(("name",))
        diags.append(
            Diagnostic(file, line, col, "name", f"name {name!r} must equal the file stem {path.stem!r}")
        )
    return diags


# ------------------------------------------------------------------- symbols


def _expr_symbols(expr: str) -> list[str]:
    tree = ast.parse(expr, mode="eval")
    functions = {id(n.func) for n in ast.walk(tree) if isinstance(n, ast.Call)}
    return [n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and id(n) not in functions]


_ALLOWED = (
    "+ - * / // **, `int(x)`, `sqrt(x)`, `log(x)`, comparisons, `in` and `not in`, and/or/not, "
    "`A if C else B` and parentheses"
)
#: Functions a size expression may call: `int` truncates a float toward zero, as Python's
#: does (Phi's `int(head_dim * partial_rotary_factor)`); `sqrt` is `math.sqrt` (BioGPT's
#: `sqrt(hidden_size)` embedding scale); `log` is the natural logarithm, `math.log` (YaRN's
#: `0.1 * mscale * log(factor) + 1`, which DeepSeek's attention scale squares).
_FUNCTIONS = {"int": int, "sqrt": math.sqrt, "log": math.log}
_CMP = {
    ast.Eq: lambda a, b: a == b,
    ast.NotEq: lambda a, b: a != b,
    ast.Lt: lambda a, b: a < b,
    ast.LtE: lambda a, b: a <= b,
    ast.Gt: lambda a, b: a > b,
    ast.GtE: lambda a, b: a >= b,
    ast.In: lambda a, b: a in b,  # an entry of a list symbol (`'c2p' in pos_att_type`), or a substring
    ast.NotIn: lambda a, b: a not in b,
}


def _membership_lists(expr: str, wholes: dict[str, str]) -> set[str]:
    """The list symbols ``expr`` reads only as the right side of `in` or `not in`."""
    tree = ast.parse(expr, mode="eval")
    right = {
        id(side)
        for node in ast.walk(tree)
        if isinstance(node, ast.Compare)
        for op, side in zip(node.ops, node.comparators)
        if isinstance(op, ast.In | ast.NotIn)
    }
    names = [n for n in ast.walk(tree) if isinstance(n, ast.Name) and wholes.get(n.id) == "list"]
    return {n.id for n in names} - {n.id for n in names if id(n) not in right}


def _expr_unsupported(expr: str) -> str | None:
    """Why ``expr`` (already parsed once) cannot be evaluated by :func:`_eval_expr`, or None."""

    def bad(node: ast.AST) -> ast.AST | None:
        if isinstance(node, ast.Expression):
            return bad(node.body)
        if isinstance(node, ast.Constant) and isinstance(node.value, int | float | str):
            return None
        if isinstance(node, ast.Name):
            return None
        if isinstance(node, ast.BinOp) and isinstance(
            node.op, ast.Add | ast.Sub | ast.Mult | ast.Div | ast.FloorDiv | ast.Pow
        ):
            return bad(node.left) or bad(node.right)
        if isinstance(node, ast.Compare) and all(type(op) in _CMP for op in node.ops):
            return next((b for b in map(bad, [node.left, *node.comparators]) if b is not None), None)
        if isinstance(node, ast.BoolOp):
            return next((b for b in map(bad, node.values) if b is not None), None)
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not | ast.USub):
            return bad(node.operand)
        if isinstance(node, ast.IfExp):
            return bad(node.test) or bad(node.body) or bad(node.orelse)
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id in _FUNCTIONS
            and len(node.args) == 1
            and not node.keywords
        ):
            return bad(node.args[0])
        return node

    node = bad(ast.parse(expr, mode="eval"))
    if node is None:
        return None
    return f"unsupported expression element {ast.unparse(node)!r}; use {_ALLOWED}"


def _eval_expr(expr: str, env: dict[str, Any]) -> Any:
    """Evaluate a size expression; ``//`` must divide exactly."""

    def ev(node: ast.AST) -> Any:
        if isinstance(node, ast.Expression):
            return ev(node.body)
        if isinstance(node, ast.Constant):
            return node.value
        if isinstance(node, ast.Name):
            return env[node.id]
        if isinstance(node, ast.BinOp):
            a, b = ev(node.left), ev(node.right)
            if isinstance(node.op, ast.Add):
                return a + b
            if isinstance(node.op, ast.Sub):
                return a - b
            if isinstance(node.op, ast.Mult):
                return a * b
            if isinstance(node.op, ast.Div):  # true division (Gemma 2's scale, `1 / sqrt(...)`)
                if b == 0:
                    raise ValueError(f"{ast.unparse(node.right)} is 0 in a division")
                return a / b
            if isinstance(node.op, ast.Pow):  # Python's power (`query_pre_attn_scalar ** -0.5`)
                return a**b
            if isinstance(node.op, ast.FloorDiv):
                if b == 0 or a % b:
                    lhs, rhs = ast.unparse(node.left), ast.unparse(node.right)
                    raise ValueError(f"{lhs} ({a}) is not divisible by {rhs} ({b})")
                return a // b
        if isinstance(node, ast.Compare):
            left = ev(node.left)
            for op, right_node in zip(node.ops, node.comparators):
                right = ev(right_node)
                if not _CMP[type(op)](left, right):
                    return False
                left = right
            return True
        if isinstance(node, ast.BoolOp):
            values = (ev(v) for v in node.values)
            return all(values) if isinstance(node.op, ast.And) else any(values)
        if isinstance(node, ast.UnaryOp):
            return (not ev(node.operand)) if isinstance(node.op, ast.Not) else -ev(node.operand)
        if isinstance(node, ast.IfExp):
            return ev(node.body) if ev(node.test) else ev(node.orelse)
        if isinstance(node, ast.Call):  # one of _FUNCTIONS (checked when the spec was loaded)
            arg = ev(node.args[0])
            try:
                return _FUNCTIONS[node.func.id](arg)
            except ValueError:  # sqrt or log of a number outside its domain
                raise ValueError(
                    f"{ast.unparse(node)} is undefined: {ast.unparse(node.args[0])} is {arg}"
                ) from None
        raise ValueError(f"unsupported expression element {ast.unparse(node)!r}; use {_ALLOWED}")

    return ev(ast.parse(expr, mode="eval"))


def _convert(value: Any, kind: str) -> Any:
    if kind == "float":
        return float(value)
    if kind == "bool":
        if not isinstance(value, bool | int):
            raise TypeError(value)
        return bool(value)
    if kind == "str":
        if not isinstance(value, str):
            raise TypeError(value)
        return value
    if isinstance(value, float) and not value.is_integer():
        raise TypeError(value)
    return int(value)


def config_value(config: dict[str, Any], key: str) -> Any:
    """config.json's value at ``key`` (``a.b``: key ``b`` of the mapping under ``a``), None if absent.

    A float that JSON has no number for, as `transformers` 5 writes it (``{"__float__":
    "Infinity"}``, Mamba-2's ``time_step_limit``), reads as that float, in a list too."""
    value: Any = config
    for part in key.split("."):
        if not isinstance(value, dict):
            return None
        value = value.get(part)
    return [_json_float(v) for v in value] if isinstance(value, list) else _json_float(value)


def _json_float(value: Any) -> Any:
    if isinstance(value, dict) and set(value) == {"__float__"} and isinstance(value["__float__"], str):
        return float(value["__float__"])  # "Infinity", "-Infinity", "NaN"
    return value


def _first(value: Any, size: SizeSpec) -> Any:
    """A `first` symbol's value: a list's first entry (None for an empty one); a `same` symbol's:
    the one value a list repeats; others as they are."""
    if size.same and isinstance(value, list) and len(set(map(repr, value))) > 1:
        raise ValueError(
            f"config.json {size.config!r} is {value!r}: this spec builds one value for every entry"
        )
    if (size.first or size.same) and isinstance(value, list):
        return value[0] if value else None
    return value


def bind_sizes(
    sizes: dict[str, SizeSpec], config: dict[str, Any], lazy: set[str] | frozenset[str] = frozenset()
) -> dict[str, Any]:
    """Bind every size symbol from a config.json mapping.

    Raises ``ValueError`` naming the symbol and key when a required key is
    missing or an expression does not hold for this config. An expression of a
    ``lazy`` symbol (one only other symbols fall back to, if any: :func:`lazy_symbols`) that
    does not hold is an error only where a symbol takes it as its value: else it binds
    to None (Llama's `hidden_size // num_heads` where config.json gives `head_dim`
    and the width does not divide by the heads, GLM-4.5's 5120 and 96)."""
    env: dict[str, Any] = {}
    failed: dict[str, str] = {}  # lazy symbols whose expression did not hold, and what they read

    def bind(name: str, size: SizeSpec) -> Any:
        if size.value is not None:
            value = size.value
        elif (
            size.config is not None and (read := _first(config_value(config, size.config), size)) is not None
        ):
            value = read
        elif size.count_of is not None and isinstance(
            counted := config_value(config, size.count_of), (dict, list)
        ):
            value = len(counted)
        elif size.fallback is not None and size.fallback in env:
            if size.fallback in failed:  # the fallback taken did not hold
                raise ValueError(failed[size.fallback])
            value = env[size.fallback]
        elif size.default is not None:
            value = size.default
        elif size.kind in ("mapping", "list"):  # an absent mapping or list is an empty one
            value = {} if size.kind == "mapping" else []
        else:
            raise ValueError(
                f"config.json has no {size.config!r} (needed for size {name!r}) and the spec gives no default"
            )
        if size.kind == "list" and size.split and isinstance(value, str):  # one string, its entries joined
            value = [entry.strip().lower() for entry in value.split(size.split)]
        if size.kind == "list" and size.chars is not None and isinstance(value, str):  # a character each
            unknown = sorted(set(value) - set(size.chars))
            if unknown:
                raise ValueError(
                    f"size {name!r}: config.json {size.config!r} is {value!r}, whose characters "
                    f"{', '.join(map(repr, unknown))} name no entry ({', '.join(map(repr, size.chars))} do)"
                )
            value = [size.chars[c] for c in value]
        if size.kind in ("mapping", "list"):
            if not isinstance(value, dict if size.kind == "mapping" else list):
                raise ValueError(
                    f"size {name!r}: config.json {size.config!r} is {value!r}, expected a {size.kind}"
                )
            return value
        if size.kind == "str":
            if isinstance(value, bool):  # a key that holds a flag or a name (Laguna's `gating`)
                value = "true" if value else "false"
            if not isinstance(value, str):
                raise ValueError(
                    f"size {name!r}: config.json {size.config!r} is {value!r}, expected a string"
                )
            return value
        try:
            return _convert(value, size.kind)
        except (TypeError, ValueError):
            expected = {"float": "a number", "bool": "true or false", "str": "a string"}.get(
                size.kind, "an integer"
            )
            raise ValueError(
                f"size {name!r}: config.json {size.config!r} is {value!r}, expected {expected}"
            ) from None

    # Symbols read from config.json first; then, in dependency order, expressions and the
    # symbols that fall back to another (an expression's value too) once that one is bound.
    pending: dict[str, SizeSpec] = {}
    for name, size in sizes.items():
        if size.expr is None and size.fallback is None:
            env[name] = bind(name, size)
        else:
            pending[name] = size
    while pending:
        ready = [
            n
            for n, size in pending.items()
            if (size.expr is not None and all(s in env for s in _expr_symbols(size.expr)))
            or (size.expr is None and size.fallback not in pending)
        ]
        if not ready:
            raise ValueError(f"size expressions depend on each other in a cycle: {sorted(pending)}")
        for n in ready:
            size = pending.pop(n)
            if size.expr is None:
                env[n] = bind(n, size)
                continue
            unbound = [failed[s] for s in _expr_symbols(size.expr) if s in failed]
            try:
                if unbound:  # it reads a lazy symbol that did not hold
                    raise ValueError(unbound[0])
                env[n] = _convert(_eval_expr(size.expr, env), size.kind)
            except (TypeError, ValueError) as exc:
                message = str(exc) if unbound else f"size {n!r}: {exc}"
                if n not in lazy:
                    raise ValueError(message) from None
                env[n], failed[n] = None, message
    return {n: env[n] for n in sizes}


def lazy_symbols(spec: ArchSpec, heads: tuple[HeadIR, ...] | list[HeadIR] = ()) -> frozenset[str]:
    """The size symbols nothing reads but other symbols' `fallback`, if that: no knob, head (of
    ``heads``, the head specs as the architecture uses them), expression or constraint names them
    (Llama's `default_head_dim`, or a delta's that gives `head_dim` a default of its own), so
    :func:`bind_sizes` binds them lazily."""
    read: set[str] = set()
    for expr in [size.expr for size in spec.sizes.values() if size.expr] + [c.expr for c in spec.constraints]:
        read |= set(_expr_symbols(expr))

    def walk(value: Any) -> None:  # every string (and mapping key) outside the sizes may name a symbol
        if isinstance(value, str):
            read.add(value)
        elif isinstance(value, dict):
            for key, item in value.items():
                read.add(str(key))
                walk(item)
        elif isinstance(value, list | tuple):
            for item in value:
                walk(item)

    walk(spec.model_dump(exclude={"sizes", "constraints"}))
    for head in heads:
        walk(head.spec.model_dump())
        walk([layer.model_dump() for layer in head.layers])
    return frozenset(set(spec.sizes) - read)


def check_constraints(spec: ArchSpec, env: dict[str, Any]) -> list[str]:
    """The messages of the spec's constraints that ``env`` (bound sizes) breaks."""
    return [c.message for c in spec.constraints if not _eval_expr(c.expr, env)]


# --------------------------------------------------------------------- slots


def token_types(spec: ArchSpec, sizes: dict[str, Any]) -> int:
    """The rows of the token-type table a model built from ``sizes`` has: 0 for none (no table, or
    a switch that config.json turns off)."""
    on = spec.embeddings.token_type
    if on is False or (isinstance(on, Switch) and not sizes[on.switch]):
        return 0
    return sizes[spec.embeddings.token_type_size]


def norm_tensors(kind: str, bias: bool = True) -> tuple[str, ...]:
    """The tensors one norm of ``kind`` holds (a `layer_norm`'s bias only with ``bias``)."""
    if kind in ("rms_norm", "offset_rms_norm") or (kind == "layer_norm" and not bias):
        return ("weight",)
    return ("weight", "bias")


def parameter_free(spec: ArchSpec) -> bool:
    """The backbone's norms have no parameters (`affine: false` on an RMSNorm, or on a LayerNorm
    without a bias)."""
    if spec.norm.affine:
        return False
    return spec.norm.kind == "rms_norm" or (spec.norm.kind == "layer_norm" and not spec.norm.bias)


def state_space(spec: ArchSpec) -> StateSpaceSpec | None:
    """The state-space mixing's knobs (their defaults where the spec names none), or None."""
    if spec.attention.mixing != "state_space":
        return None
    return spec.attention.state_space or StateSpaceSpec()


#: The kinds a layer of a mixed stack may be (LayerKindsSpec; StateSpaceLayersSpec's two).
LAYER_KINDS = ("attention", "state_space", "ffn", "experts")


def layer_kind_rule(spec: ArchSpec) -> dict | None:
    """How a stack of mixed layers gives each layer its kind, as the weight table and the generated
    module read it: ``{"attention_at": symbol}`` (the attending layers' indices, the others
    state-space), ``{"attention_period": symbol, "attention_offset": symbol}`` (the layers at the
    offset modulo the period attend; the offset 0 where absent), or ``{"types": symbol, "kinds":
    {kind: [entries]}}`` (a config.json list, each entry naming its layer's kind; ``"other"``: the
    kind of entries no list names; with ``"attention_at"`` too, that list decides where config.json
    has no ``types`` list, its indices counted from ``"counted_from"``, 0 where absent). None where
    every layer is alike."""
    kinds = spec.block.layer_kinds
    if kinds is not None:
        return {"types": kinds.types, "kinds": {k: getattr(kinds, k) for k in LAYER_KINDS}}
    ssm = state_space(spec)
    if ssm is None or ssm.layers is None:
        return None
    if ssm.layers.attention_period is not None:
        rule = {"attention_period": ssm.layers.attention_period}
        return rule | (
            {"attention_offset": ssm.layers.attention_offset} if ssm.layers.attention_offset else {}
        )
    rule = {}
    if ssm.layers.types is not None:
        rule = {"types": ssm.layers.types, "kinds": {"state_space": ssm.layers.marked}, "other": "attention"}
    if ssm.layers.attention_at is not None:  # alone, or where config.json has no `types` list
        rule["attention_at"] = ssm.layers.attention_at
        if ssm.layers.counted_from:
            rule["counted_from"] = ssm.layers.counted_from
    return rule


def backbone_slots(spec: ArchSpec, *, cross_attention: bool = True) -> dict[str, str]:
    """The backbone's parameter owners: slot name -> kind (linear/embedding/norm).

    Slots under ``layer`` are relative to one layer. This is the vocabulary of
    the ``keys:`` section: a spec must name a checkpoint key for every slot."""
    slots: dict[str, str] = {"embeddings.word": "embedding"}
    if spec.embeddings.position.kind == "learned":
        slots["embeddings.position"] = "embedding"
    if spec.embeddings.token_type is not False:
        slots["embeddings.token_type"] = "embedding"
    if spec.embeddings.norm:
        slots["embeddings.norm"] = "norm"
    if spec.embeddings.transform is not False:
        slots["embeddings.transform"] = "linear"
    slots["layer"] = "prefix"
    bottleneck = spec.block.bottleneck
    if bottleneck is not None and bottleneck.enabled is not False:
        slots["bottleneck.input"] = "linear"
        slots["bottleneck.input_norm"] = "norm"
        if bottleneck.shared_query_key is not False:
            slots["bottleneck.qk"] = "linear"
            slots["bottleneck.qk_norm"] = "norm"
        slots["bottleneck.output"] = "linear"
        slots["bottleneck.output_norm"] = "norm"
    latent, ssm = spec.attention.latent, state_space(spec)
    if ssm is not None and ssm.form == "gated_conv":  # LFM2's (see StateSpaceSpec), at `attn.*`
        slots |= {"ssm.in_proj": "linear", "ssm.conv": "conv", "ssm.o": "linear"}
    elif ssm is not None and ssm.form == "selective":  # Mamba-1's (see StateSpaceSpec), at `attn.*`
        slots |= {
            "ssm.in_proj": "linear",
            "ssm.conv": "conv",
            "ssm.x_proj": "linear",
            "ssm.dt_proj": "linear",
        }
        slots |= {"ssm.A_log": "tensor", "ssm.D": "tensor", "ssm.o": "linear"}
        if ssm.selection_norm == "weighted":  # RMSNorms of a weight alone
            slots |= {f"ssm.{name}_norm": "scale" for name in ("dt", "b", "c")}
    elif ssm is not None and ssm.form == "gated_delta":  # Gated DeltaNet's (see StateSpaceSpec), at `attn.*`
        slots |= {f"ssm.{name}": "linear" for name in ("q", "k", "v", "gate", "b", "a")}
        if ssm.gate_rank is not None:  # the gate's and the decay's input through a low rank
            slots |= {"ssm.a_down": "linear", "ssm.gate_down": "linear"}
        slots |= {"ssm.conv": "conv", "ssm.dt_bias": "tensor", "ssm.A_log": "tensor"}
        slots |= {"ssm.norm": "scale", "ssm.o": "linear"}  # the gated norm: a weight alone
    elif ssm is not None and ssm.form == "lightning":  # MiniMax's (see StateSpaceSpec), at `attn.*`
        slots |= {f"ssm.{name}": "linear" for name in ("q", "k", "v", "gate")}
        slots |= {"ssm.norm": "scale", "ssm.o": "linear"}  # the norm over every head: a weight alone
    elif ssm is not None:  # the state-space layers' slots (see StateSpaceSpec), at `attn.*` in the module
        slots |= {"ssm.in_proj": "linear", "ssm.conv": "conv"}
        slots |= {f"ssm.{name}": "tensor" for name in ("dt_bias", "A_log", "D")}
        slots |= {"ssm.norm": "scale", "ssm.o": "linear"}  # the gated norm: a weight alone
    if spec.attention.mixing == "fourier" or (ssm is not None and layer_kind_rule(spec) is None):
        pass  # no attention layers
    elif spec.attention.experts is not None:  # a mixture of attention heads (see AttentionExpertsSpec)
        slots |= {"attn.router": "linear", "attn.q": "tensor", "attn.k": "linear", "attn.v": "linear"}
        slots["attn.o"] = "tensor"
        out_bias = spec.attention.bias if spec.attention.out_bias is None else spec.attention.out_bias
        if out_bias is True:  # after the experts' weighted sum (a switch is refused)
            slots["attn.o_bias"] = "tensor"
    elif latent is None:
        for proj in ("q", "k", "v", "o"):
            slots[f"attn.{proj}"] = "linear"
    else:  # the query, then keys and values through the latent (see LatentSpec)
        if latent.q_rank is None or latent.q_rank_when is not None:
            slots["attn.q"] = "linear"
        if latent.q_rank is not None:
            slots |= {"attn.q_a": "linear", "attn.q_a_norm": "norm", "attn.q_b": "linear"}
        slots |= {"attn.kv_a": "linear", "attn.kv_a_norm": "norm", "attn.kv_b": "linear", "attn.o": "linear"}
    if spec.attention.relative_bias is not None:
        slots["attn.relative_bias"] = "embedding"
    if spec.attention.last_out_bias:  # the last layer's output bias, a tensor of its own
        slots["attn.last_out_bias"] = "tensor"
    if spec.attention.bias_parts == "qv":  # query and value biases apart from their projections
        slots["attn.q_bias"] = "tensor"
        slots["attn.v_bias"] = "tensor"
    disentangled = spec.attention.disentangled
    if disentangled is not None:  # the shared position table, and each layer's projections of it
        slots["rel_table"] = "embedding"
        if disentangled.table_norm is not False:
            slots["rel_table_norm"] = "norm"
        if disentangled.shared_projections is not True:
            if disentangled.c2p is not False:
                slots["attn.pos_k"] = "linear"
            if disentangled.p2c is not False:
                slots["attn.pos_q"] = "linear"
    if spec.attention.qk_norm is not False and spec.attention.qk_norm_scope != "head_plain":
        slots["attn.q_norm"] = "norm"
        slots["attn.k_norm"] = "norm"
    if spec.attention.key_bias_from_values:  # each key's bias from its values (Doge's dynamic mask)
        slots |= {"attn.dt": "linear", "attn.A": "tensor"}
    if spec.attention.sinks:
        slots["attn.sinks"] = "tensor"
    if spec.attention.differential:  # each layer's four vectors of its λ
        slots |= {f"attn.lambda_{v}": "tensor" for v in ("q1", "k1", "q2", "k2")}
    if spec.attention.output_gate:
        slots["attn.gate"] = "linear"
    if spec.attention.output_gate_bias:
        slots["attn.gate_bias"] = "tensor"
    if spec.attention.sub_norm:
        slots["attn.sub_norm"] = "norm"
    slots["attn_norm"] = "norm"
    if spec.block.placement == "sandwich":
        slots["attn_out_norm"] = "norm"
    if spec.block.ffn_stack is not None:
        slots["ffn_stack"] = "prefix"
        slots["ffn_stack.up"] = "linear"
        slots["ffn_stack.down"] = "linear"
        slots["ffn_stack.norm"] = "norm"
    if cross_attention:
        for proj in ("q", "k", "v", "o"):
            slots[f"cross.{proj}"] = "linear"
        slots["cross_norm"] = "norm"
    ffn = spec.ffn.kind != "none"
    if ffn and spec.ffn.gate_up_order == "up_first":  # the order a key holding both splits in
        slots["ffn.up"] = "linear"
    if spec.ffn.kind == "gated" or any(v.kind == "gated" for v in spec.ffn.variants.values()):
        slots["ffn.gate"] = "linear"
    if ffn:
        slots["ffn.up"] = "linear"
        slots["ffn.down"] = "linear"
    if spec.ffn.sub_norm:
        slots["ffn.sub_norm"] = "norm"
    if spec.ffn.activation == "xielu":  # its learned parameters, bare tensors
        slots |= {f"ffn.act.{name}": "tensor" for name in ("alpha_p", "alpha_n", "beta", "eps")}
    if spec.ffn.experts is not None:
        slots["ffn.router"] = "linear"
        if spec.ffn.experts.output_bias:
            slots["ffn.output_bias"] = "tensor"
        if spec.ffn.experts.shared is not None:
            if spec.ffn.kind == "gated":
                slots["ffn.shared.gate"] = "linear"
            slots["ffn.shared.up"] = "linear"
            slots["ffn.shared.down"] = "linear"
            if spec.ffn.experts.shared.gated:
                slots["ffn.shared_gate"] = "linear"
        if spec.ffn.experts.selection_bias is not None:
            slots["ffn.router_bias"] = "tensor"
        if spec.ffn.experts.latent is not None:  # the routed experts' width, down and back
            slots["ffn.latent_in"] = "linear"
            slots["ffn.latent_out"] = "linear"
        if spec.ffn.experts.output_norm:
            slots["ffn.output_norm"] = "norm"
        if spec.ffn.experts.layers is not None or spec.block.layer_kinds is not None:
            # the dense FFN of the layers without experts
            if spec.ffn.kind == "gated":
                slots["ffn.dense.gate"] = "linear"
            slots["ffn.dense.up"] = "linear"
            slots["ffn.dense.down"] = "linear"
    if ffn and not spec.block.shared_norm and spec.block.layer_kinds is None:
        slots["ffn_norm"] = "norm"
    if spec.block.placement == "sandwich":
        slots["ffn_out_norm"] = "norm"
    if spec.block.residual_gains:  # each sum's learned scale of the residual
        slots |= {"attn_residual": "tensor", "ffn_residual": "tensor"}
    if spec.block.norm_gate is not None:  # the gates on the norms' outputs, where any layer has one
        for norm in ("attn_norm", "ffn_norm"):
            if getattr(spec.block.norm_gate, norm) != "none" and norm in slots:
                slots |= {f"{norm}_gate.down": "linear", f"{norm}_gate.up": "linear"}
    if spec.block.final_norm:
        slots["final_norm"] = "norm"
    if spec.block.first_layer_conv is not None:
        slots["conv"] = "conv"
        slots["conv_norm"] = "norm"
    if spec.pooler is not None and spec.pooler.dense is not False:
        slots["pooler"] = "linear"
    if parameter_free(spec):
        # norms without parameters read no checkpoint keys ('affine: false' elsewhere is refused)
        slots = {slot: kind for slot, kind in slots.items() if kind != "norm"}
    return slots


def _has_heads(spec: ArchSpec) -> bool:
    """Whether the model reads `attention.num_heads` and `head_dim`: not with Fourier mixing, nor with
    state-space mixing alone but of Mamba-2's form (its heads default to them)."""
    ssm = state_space(spec)
    alone = ssm is not None and ssm.form != "ssd" and layer_kind_rule(spec) is None
    return spec.attention.mixing != "fourier" and not alone


def _size_refs(spec: ArchSpec) -> list[tuple[tuple, str]]:
    """Every (yaml path, symbol) the spec refers to."""
    refs: list[tuple[tuple, str]] = [
        (("pad_token",), spec.pad_token),
        (("vocab",), spec.vocab),
        (("embeddings", "width"), spec.embeddings.width),
        (("embeddings", "position", "size"), spec.embeddings.position.size)
        if spec.embeddings.position.kind in ("learned", "sinusoidal", "rotary")
        else None,
        (("embeddings", "position", "theta"), spec.embeddings.position.theta)
        if spec.embeddings.position.kind == "rotary"
        else None,
        (("embeddings", "position", "rotary_dim"), spec.embeddings.position.rotary_dim)
        if spec.embeddings.position.kind == "rotary" and spec.embeddings.position.rotary_dim
        else None,
        (("embeddings", "position", "query_scale", "beta"), spec.embeddings.position.query_scale.beta)
        if spec.embeddings.position.query_scale
        else None,
        (("embeddings", "position", "query_scale", "period"), spec.embeddings.position.query_scale.period)
        if spec.embeddings.position.query_scale
        else None,
        (("embeddings", "position", "theta_layers"), spec.embeddings.position.theta_layers)
        if spec.embeddings.position.theta_layers
        else None,
        (("embeddings", "position", "scaling", "params"), spec.embeddings.position.scaling.params)
        if spec.embeddings.position.scaling
        else None,
        (("embeddings", "position", "scaling", "original_max"), spec.embeddings.position.scaling.original_max)
        if spec.embeddings.position.scaling and spec.embeddings.position.scaling.original_max
        else None,
        (("embeddings", "position", "scaling", "layer_types"), spec.embeddings.position.scaling.layer_types)
        if spec.embeddings.position.scaling and spec.embeddings.position.scaling.layer_types
        else None,
        (("attention", "num_kv_heads"), spec.attention.num_kv_heads) if spec.attention.num_kv_heads else None,
        (("attention", "qkv_shards"), spec.attention.qkv_shards) if spec.attention.qkv_shards else None,
        (("attention", "sliding_window"), spec.attention.sliding_window)
        if spec.attention.sliding_window
        else None,
        (("attention", "window_layers", "types"), spec.attention.window_layers.types)
        if spec.attention.window_layers
        else None,
        (("attention", "window_layers", "period"), spec.attention.window_layers.period)
        if spec.attention.window_layers and spec.attention.window_layers.period
        else None,
        (("attention", "window_layers", "windowed_from"), spec.attention.window_layers.windowed_from)
        if spec.attention.window_layers and spec.attention.window_layers.windowed_from
        else None,
        (("embeddings", "position", "rotary_layers", "types"), spec.embeddings.position.rotary_layers.types)
        if spec.embeddings.position.rotary_layers
        else None,
        (("embeddings", "position", "rotary_layers", "period"), spec.embeddings.position.rotary_layers.period)
        if spec.embeddings.position.rotary_layers and spec.embeddings.position.rotary_layers.period
        else None,
        (("attention", "softcap"), spec.attention.softcap) if spec.attention.softcap else None,
        (("attention", "clip"), spec.attention.clip) if spec.attention.clip else None,
        (("attention", "length_limit"), spec.attention.length_limit) if spec.attention.length_limit else None,
        (("ffn", "experts", "count"), spec.ffn.experts.count) if spec.ffn.experts else None,
        (("ffn", "experts", "top_k"), spec.ffn.experts.top_k) if spec.ffn.experts else None,
        (("ffn", "experts", "shared", "size"), spec.ffn.experts.shared.size)
        if spec.ffn.experts and spec.ffn.experts.shared
        else None,
        (("embeddings", "token_type_size"), spec.embeddings.token_type_size)
        if spec.embeddings.token_type is not False
        else None,
        (("attention", "head_dim"), spec.attention.head_dim) if _has_heads(spec) else None,
        (("attention", "num_heads"), spec.attention.num_heads) if _has_heads(spec) else None,
        (("ffn", "size"), spec.ffn.size) if spec.ffn.kind != "none" else None,
        (("block", "num_layers"), spec.block.num_layers),
        (("block", "layer_groups"), spec.block.layer_groups) if spec.block.layer_groups else None,
        (("block", "residual_scale"), spec.block.residual_scale) if spec.block.residual_scale else None,
        (("attention", "scale_size"), spec.attention.scale_size) if spec.attention.scale_size else None,
        (("embeddings", "multiplier"), spec.embeddings.multiplier) if spec.embeddings.multiplier else None,
        (("norm", "eps"), spec.norm.eps) if spec.norm.eps is not None else None,
        (("embeddings", "input_width"), spec.embeddings.input_width) if spec.embeddings.input_width else None,
        (("embeddings", "norm_eps"), spec.embeddings.norm_eps) if spec.embeddings.norm_eps else None,
        (("block", "ffn_stack"), spec.block.ffn_stack) if spec.block.ffn_stack else None,
        (("block", "ffn_norm_eps"), spec.block.ffn_norm_eps) if spec.block.ffn_norm_eps else None,
        (("block", "bottleneck", "size"), spec.block.bottleneck.size) if spec.block.bottleneck else None,
    ]
    scaling = spec.embeddings.position.scaling
    if scaling is not None:
        refs += [
            (("embeddings", "position", "scaling", "type_theta", k), v) for k, v in scaling.type_theta.items()
        ]
    if spec.ffn.clamped_glu is not None:
        refs += [(("ffn", "clamped_glu", k), getattr(spec.ffn.clamped_glu, k)) for k in ("limit", "alpha")]
    if spec.ffn.glu_limits is not None:
        limits = spec.ffn.glu_limits
        refs += [
            (("ffn", "glu_limits", k), getattr(limits, k)) for k in ("routed", "shared") if getattr(limits, k)
        ]
    conv = spec.block.first_layer_conv
    if conv is not None:
        refs += [
            (("block", "first_layer_conv", knob), getattr(conv, knob))
            for knob in ("kernel", "groups")
            if getattr(conv, knob) is not None
        ]
    disentangled = spec.attention.disentangled
    if disentangled is not None:
        refs += [
            (("attention", "disentangled", knob), getattr(disentangled, knob))
            for knob in ("span", "buckets", "max_distance")
            if getattr(disentangled, knob) is not None
        ]
    kinds = spec.block.layer_kinds
    if kinds is not None:
        refs.append((("block", "layer_kinds", "types"), kinds.types))
        if kinds.dense_size is not None:
            refs.append((("block", "layer_kinds", "dense_size"), kinds.dense_size))
    ssm = state_space(spec)
    if ssm is not None:
        refs += [
            (("attention", "state_space", knob), getattr(ssm, knob))
            for knob in (
                "state_size",
                "groups",
                "conv_kernel",
                "time_step_limit",
                "time_step_min",
                "norm_eps",
                "num_heads",
                "head_dim",
                "inner",
                "time_step_rank",
                "selection_norm_eps",
                "key_heads",
                "key_head_dim",
                "gate_rank",
            )
            if getattr(ssm, knob) is not None and knob in _FORM_KNOBS[ssm.form]
        ]
        if ssm.layers is not None:
            refs += [
                (("attention", "state_space", "layers", knob), getattr(ssm.layers, knob))
                for knob in ("types", "attention_at", "attention_period", "attention_offset")
                if getattr(ssm.layers, knob) is not None
            ]
    if spec.block.norm_gate is not None:
        refs.append((("block", "norm_gate", "rank"), spec.block.norm_gate.rank))
    if spec.block.attn_norm_eps is not None:
        refs.append((("block", "attn_norm_eps"), spec.block.attn_norm_eps))
    if spec.attention.qk_norm_eps is not None:
        refs.append((("attention", "qk_norm_eps"), spec.attention.qk_norm_eps))
    weights = spec.block.residual_weights
    if weights is not None:
        for sub in ("attention", "state_space", "ffn"):
            pair = getattr(weights, sub)
            if pair is not None:
                refs += [
                    (("block", "residual_weights", sub, k), getattr(pair, k)) for k in ("residual", "output")
                ]
    if spec.attention.experts is not None:
        refs += [
            (("attention", "experts", k), getattr(spec.attention.experts, k)) for k in ("count", "top_k")
        ]
    latent = spec.attention.latent
    if latent is not None:
        refs += [
            (("attention", "latent", knob), getattr(latent, knob))
            for knob in ("kv_rank", "value_dim", "q_rank", "shared_dim", "norm_eps")
            if getattr(latent, knob) is not None
        ]
    if spec.attention.heads_per_layer:
        refs.append((("attention", "heads_per_layer"), spec.attention.heads_per_layer))
    for knob in ("value_head_dim", "value_scale"):
        if getattr(spec.attention, knob):
            refs.append((("attention", knob), getattr(spec.attention, knob)))
    by_type = spec.attention.type_sizes
    if by_type is not None:
        refs.append((("attention", "type_sizes", "types"), by_type.types))
        for kind, named in by_type.sizes.items():
            for target, source in named.items():
                refs.append((("attention", "type_sizes", "sizes", kind, target), source))
    for knob in (
        "normalize_min",
        "normalize_eps",
        "scale",
        "groups",
        "top_groups",
        "latent",
        "logit_softcap",
    ):
        if spec.ffn.experts and getattr(spec.ffn.experts, knob):
            refs.append((("ffn", "experts", knob), getattr(spec.ffn.experts, knob)))
    layers = spec.ffn.experts.layers if spec.ffn.experts else None
    if layers is not None:
        refs += [
            (("ffn", "experts", "layers", knob), getattr(layers, knob))
            for knob in ("dense_size", "skip", "only", "step", "offset", "start", "end", "types")
            if getattr(layers, knob) is not None
        ]
    return [r for r in refs if r is not None]


def switches(spec: ArchSpec) -> list[tuple[tuple, Switch]]:
    """Every (yaml path, switch) in the spec."""
    knobs: list[tuple[tuple, object]] = [
        (("norm", "kind"), spec.norm.kind),
        (("embeddings", "trigram"), spec.embeddings.trigram),
        (("embeddings", "transform"), spec.embeddings.transform),
        (("embeddings", "norm"), spec.embeddings.norm),
        (("embeddings", "token_type"), spec.embeddings.token_type),
        (("attention", "qk_norm"), spec.attention.qk_norm),
        (("attention", "bias"), spec.attention.bias),
        (("attention", "out_bias"), spec.attention.out_bias),
        (("attention", "sinks"), spec.attention.sinks),
        (("ffn", "bias"), spec.ffn.bias),
        (("ffn", "down_bias"), spec.ffn.down_bias),
        (("block", "parallel"), spec.block.parallel),
        (("block", "output_norms"), spec.block.output_norms),
    ]
    if spec.ffn.experts is not None:
        knobs.append((("ffn", "experts", "normalize"), spec.ffn.experts.normalize))
    if spec.embeddings.position.kind == "rotary":
        knobs.append((("embeddings", "position", "rotary_pairs"), spec.embeddings.position.rotary_pairs))
    if spec.block.bottleneck is not None:
        b = spec.block.bottleneck
        knobs += [
            (("block", "bottleneck", "enabled"), b.enabled),
            (("block", "bottleneck", "attention_from_bottleneck"), b.attention_from_bottleneck),
            (("block", "bottleneck", "shared_query_key"), b.shared_query_key),
        ]
    if spec.pooler is not None:
        knobs.append((("pooler", "dense"), spec.pooler.dense))
    if spec.block.first_layer_conv is not None:
        knobs.append((("block", "first_layer_conv", "activation"), spec.block.first_layer_conv.activation))
    if state_space(spec) is not None:
        knobs.append((("attention", "state_space", "conv_bias"), state_space(spec).conv_bias))
        knobs.append(
            (("attention", "state_space", "negative_eigenvalues"), state_space(spec).negative_eigenvalues)
        )
    if spec.attention.disentangled is not None:
        d = spec.attention.disentangled
        knobs += [
            (("attention", "disentangled", knob), getattr(d, knob))
            for knob in ("c2p", "p2c", "shared_projections", "table_norm")
        ]
    return [(loc, k) for loc, k in knobs if isinstance(k, Switch)]


# ----------------------------------------------------------------- the lowerer


#: Whether a spec's attention uses each optional knob, for the knobs built without others.
_ATTENTION_KNOBS: dict[str, Callable[[Any], bool]] = {
    "num_kv_heads": lambda a: a.num_kv_heads is not None,
    "latent": lambda a: a.latent is not None,
    "disentangled": lambda a: a.disentangled is not None,
    "relative_bias": lambda a: a.relative_bias is not None,
    "qk_norm": lambda a: a.qk_norm is not False,
    "softcap": lambda a: a.softcap is not None,
    "clip": lambda a: a.clip is not None,
    "sinks": lambda a: a.sinks,
    "differential": lambda a: a.differential,
    "output_gate": lambda a: a.output_gate,
    "sub_norm": lambda a: a.sub_norm,
    "last_out_bias": lambda a: a.last_out_bias,
    "bias_parts": lambda a: a.bias_parts != "qkv",
    "qkv_layout": lambda a: a.qkv_layout != "stacked",
    "sliding_window": lambda a: a.sliding_window is not None,
    "bidirectional_when": lambda a: a.bidirectional_when is not None,
    "padded_queries": lambda a: a.padded_queries != "attend",
    "masked_rows": lambda a: a.masked_rows != "all_keys",
    "length_limit": lambda a: a.length_limit is not None,
    "heads_per_layer": lambda a: a.heads_per_layer is not None,
    "type_sizes": lambda a: a.type_sizes is not None,
    "value_head_dim": lambda a: a.value_head_dim is not None,
    "value_scale": lambda a: a.value_scale is not None,
    "key_bias_from_values": lambda a: a.key_bias_from_values,
}


def _refuse_attention_knobs(spec: ArchSpec, knobs: tuple[str, ...], what: str, err: Callable) -> None:
    """Refuse each of the attention ``knobs`` the spec uses: ``what`` is built without them."""
    for knob in knobs:
        if _ATTENTION_KNOBS[knob](spec.attention):
            err(("attention", knob), f"{what} is built without '{knob}'")


def _check_latent(spec: ArchSpec, err: Callable, check_bool_symbol: Callable) -> None:
    """Latent attention's knobs: its rotated part, and the attention knobs it is built without."""
    latent, position = spec.attention.latent, spec.embeddings.position
    where = ("attention", "latent")
    if latent.shared_dim is not None and position.kind != "none":
        err(
            where + ("shared_dim",),
            "'shared_dim' is the unrotated shared key part's width, without positions (position 'kind: "
            "none'); with rotary positions it is 'rotary_dim'",
        )
    elif latent.shared_dim is None and (position.kind != "rotary" or position.rotary_dim is None):
        err(
            where,
            "latent attention rotates a part of each head: set position 'kind: rotary' and its 'rotary_dim' "
            "(or, without positions, 'shared_dim')",
        )
    # the forms a reference has: a gate per head from the input (Bailing's), one per value feature
    # from the query latent (A.X-K2's)
    query_latent = spec.attention.output_gate_input == "query_latent"
    if spec.attention.output_gate is True and not query_latent:
        err(
            ("attention", "output_gate"),
            "latent attention gates each value feature from the query latent ('output_gate_input: "
            "query_latent') or each head from the input ('output_gate: per_head')",
        )
    if spec.attention.output_gate == "per_head" and query_latent:
        err(
            ("attention", "output_gate_input"),
            "latent attention's gate per head reads the input: 'output_gate_input: query_latent' is built "
            "for a gate per value feature ('output_gate: true')",
        )
    if spec.attention.output_gate is True and spec.attention.output_gate_bias:
        err(("attention", "output_gate_bias"), "latent attention's gate per feature is built without a bias")
    if latent.q_b_input != "normed" and latent.q_rank is None:
        err(
            where + ("q_b_input",),
            "'q_b_input' says what the low-rank query path's 'attn.q_b' reads: set 'q_rank'",
        )
    if latent.q_rank_when is not None:
        check_bool_symbol(where + ("q_rank_when",), latent.q_rank_when)
        if latent.q_rank is None:
            err(where + ("q_rank_when",), "'q_rank_when' switches the low-rank query path: set 'q_rank'")
    _refuse_attention_knobs(
        spec,
        (
            "num_kv_heads",
            "qk_norm",
            "softcap",
            "clip",
            "sinks",
            "sub_norm",
            "relative_bias",
            "qkv_layout",
            "heads_per_layer",
            "type_sizes",
            "value_head_dim",
            "value_scale",
        ),
        "latent attention",
        err,
    )
    for knob in ("rotary_layers", "theta_layers"):
        if getattr(position, knob) is not None:
            err(("embeddings", "position", knob), f"latent attention is built without '{knob}'")


def _check_attention_experts(spec: ArchSpec, err: Callable) -> None:
    """A mixture of attention heads: plain softmax self-attention, its keys and values shared."""
    a, where = spec.attention, ("attention", "experts")
    if a.num_kv_heads is None:
        err(where, "each expert's query heads attend with the shared key/value heads: set 'num_kv_heads'")
    if a.bias is not False:
        err(
            ("attention", "bias"),
            "a mixture of attention heads is built without q/k/v biases ('bias: false')",
        )
    if isinstance(a.out_bias, Switch):
        err(
            ("attention", "out_bias"),
            "the experts' output bias is fixed ('out_bias: true' or 'false'), not switched",
        )
    position = spec.embeddings.position
    if position.kind not in ("rotary", "none"):
        err(
            ("embeddings", "position", "kind"),
            "a mixture of attention heads is built for rotary or no positions",
        )
    for knob in ("rotary_layers", "theta_layers", "query_scale"):
        if getattr(position, knob, None) is not None:
            err(
                ("embeddings", "position", knob),
                f"a mixture of attention heads rotates every layer alike: it is built without '{knob}'",
            )
    if (
        a.mixing != "softmax"
        or spec.decoder is not None
        or spec.block.bottleneck is not None
        or spec.block.layer_kinds is not None
    ):
        err(
            where,
            "a mixture of attention heads is built for plain softmax self-attention layers (no 'mixing', "
            "'decoder' section, bottleneck or 'layer_kinds')",
        )
    knobs = tuple(k for k in _ATTENTION_KNOBS if k != "num_kv_heads")
    _refuse_attention_knobs(spec, knobs, "a mixture of attention heads", err)


def _sequential_pre_norm(spec: ArchSpec) -> bool:
    """Plain sequential pre-norm layers, the ones a layer's own forward builds the sums of: `placement:
    pre`, not parallel, no bottleneck, `layer_kinds`, `ffn_stack` or `decoder` section (the knobs that
    rewrite those sums check this first, then what each is built without besides)."""
    block = spec.block
    return (
        block.placement == "pre"
        and block.parallel is False
        and block.bottleneck is None
        and block.layer_kinds is None
        and block.ffn_stack is None
        and spec.decoder is None
    )


def _check_residuals(spec: ArchSpec, err: Callable) -> None:
    """Residual sums from the normed input, or weighted: sequential pre-norm layers."""
    block = spec.block
    for knob, on in (
        ("residual", block.residual != "input"),
        ("residual_weights", block.residual_weights),
        ("residual_gains", block.residual_gains),
    ):
        if on and (
            not _sequential_pre_norm(spec)
            or block.residual_scale is not None
            or block.depth_scaled_residuals
            or spec.ffn.kind == "none"
            or (state_space(spec) is not None and state_space(spec).placement is not None)
        ):
            err(
                ("block", knob),
                f"'{knob}' is built for sequential pre-norm layers ('placement: pre'; no 'parallel', "
                "'residual_scale', 'depth_scaled_residuals', bottleneck, 'layer_kinds', 'ffn_stack', "
                "'decoder' section, state-space 'placement' or layers without an FFN)",
            )
    if block.residual_gains and (block.residual_weights is not None or block.residual != "input"):
        err(
            ("block", "residual_gains"),
            "one residual rule: 'residual_gains', 'residual_weights' or 'residual: normed'",
        )
    weights, ssm = block.residual_weights, state_space(spec)
    if weights is None:
        return
    hybrid = ssm is not None and ssm.layers is not None
    if weights.state_space is not None and ssm is None:
        err(
            ("block", "residual_weights", "state_space"),
            "a stack without state-space layers has no such sums",
        )
    if weights.attention is not None and ssm is not None and not hybrid:
        err(
            ("block", "residual_weights", "attention"),
            "a stack of state-space layers alone has no attention sums: give 'state_space'",
        )
    if weights.ffn is not None and spec.ffn.kind == "none":
        err(("block", "residual_weights", "ffn"), "layers without an FFN have no FFN sums")


def _check_key_bias_from_values(spec: ArchSpec, err: Callable) -> None:
    """Doge's dynamic mask: a bias per key/value head and key slot, on plain SDPA attention."""
    a, where = spec.attention, ("attention", "key_bias_from_values")
    if a.num_kv_heads is None:
        err(where, "the bias is one per key/value head: set 'num_kv_heads'")
    if a.mixing != "softmax" or spec.decoder is not None or spec.block.bottleneck is not None:
        err(
            where,
            "built for plain softmax self-attention layers (no 'mixing', 'decoder' section or bottleneck)",
        )
    knobs = (
        "latent",
        "disentangled",
        "relative_bias",
        "softcap",
        "sinks",
        "differential",
        "value_head_dim",
        "heads_per_layer",
        "type_sizes",
    )
    _refuse_attention_knobs(spec, knobs, "a bias from the values", err)


def _check_norm_gate(spec: ArchSpec, err: Callable) -> None:
    """Gates on the norms before attention and the FFN: plain sequential pre-norm layers."""
    gate, block = spec.block.norm_gate, spec.block
    where = ("block", "norm_gate")
    if not _sequential_pre_norm(spec) or not block.first_attn_norm or spec.attention.state_space is not None:
        err(
            where,
            "norm gates are built for plain sequential pre-norm layers ('placement: pre'; no 'parallel', "
            "bottleneck, 'layer_kinds', 'ffn_stack', 'first_attn_norm: false', state-space layers or "
            "'decoder' section)",
        )
    if gate.attn_norm == gate.ffn_norm == "none":
        err(where, "norm gates on no norm: set 'attn_norm' or 'ffn_norm' to 'all' or 'expert_layers'")
    if gate.ffn_norm != "none" and spec.ffn.kind == "none":
        err(where + ("ffn_norm",), "layers without an FFN have no 'ffn_norm' to gate")
    experts = spec.ffn.experts
    for norm in ("attn_norm", "ffn_norm"):
        if getattr(gate, norm) == "expert_layers" and (experts is None or experts.layers is None):
            err(
                where + (norm,),
                "'expert_layers' gates the norm in the layers with experts alone: set 'ffn.experts.layers'",
            )


def _check_value_head_dim(spec: ArchSpec, err: Callable) -> None:
    """Values of a width of their own: grouped-query attention's projections, apart."""
    where = ("attention", "value_head_dim")
    if spec.attention.num_kv_heads is None:
        err(where, "values of a width of their own have a projection of their own: set 'num_kv_heads'")
    if spec.attention.output_gate is True and spec.attention.output_gate_per_head is None:
        err(
            ("attention", "output_gate"),
            "a gate per feature is built for values 'head_dim' wide: not with 'value_head_dim'",
        )
    if spec.attention.qk_norm is not False and spec.attention.qk_norm_scope == "all_heads":
        err(
            ("attention", "qk_norm_scope"),
            "'all_heads' norms fused keys and values: not with 'value_head_dim'",
        )
    _refuse_attention_knobs(spec, ("sub_norm", "bias_parts", "qkv_layout"), "'value_head_dim'", err)


def _check_type_sizes(spec: ArchSpec, err: Callable) -> None:
    """Sizes a layer's type overrides: symbols the attention reads per layer, from symbols of their kind."""
    by_type = spec.attention.type_sizes
    a = spec.attention
    readers = {a.num_heads, a.num_kv_heads, a.value_head_dim, a.value_scale}
    if isinstance(a.sinks, Switch):
        readers.add(a.sinks.switch)
    readers.discard(None)
    for kind, named in by_type.sizes.items():
        for target, source in named.items():
            loc = ("attention", "type_sizes", "sizes", kind, target)
            if target not in readers:
                err(
                    loc,
                    f"{target!r} is not a size the attention reads per layer; a type may set: "
                    + ", ".join(sorted(readers)),
                )
            elif (
                source in spec.sizes
                and target in spec.sizes
                and spec.sizes[source].kind != spec.sizes[target].kind
            ):
                err(loc, f"{target!r} is {spec.sizes[target].kind}: {source!r} is {spec.sizes[source].kind}")


def _check_heads_per_layer(spec: ArchSpec, err: Callable) -> None:
    """A query-head count per layer, or sizes by layer type: plain layers whose modules are built per layer."""
    where = ("attention", "heads_per_layer" if spec.attention.heads_per_layer is not None else "type_sizes")
    what = "layers built from configs of their own ('heads_per_layer', 'type_sizes')"
    if spec.embeddings.position.kind == "alibi":
        err(
            ("embeddings", "position", "kind"),
            f"ALiBi's slopes are the model's, one per head: not with {what}",
        )
    _refuse_attention_knobs(spec, ("relative_bias", "disentangled", "qkv_layout"), what, err)
    if spec.decoder is not None:
        err(where, f"{what} are built for stacks without a 'decoder' section")
    if (
        spec.block.layer_groups
        or spec.block.bottleneck is not None
        or isinstance(spec.block.parallel, Switch)
    ):
        err(
            where,
            f"{what} are built without shared layers, a bottleneck or a switched parallel block",
        )


def _check_disentangled(spec: ArchSpec, heads: list[HeadIR], err: Callable) -> None:
    """Disentangled attention: its bucket knobs, and what it is built without."""
    d = spec.attention.disentangled
    where = ("attention", "disentangled")
    if (d.buckets is None) != (d.max_distance is None):
        err(
            where + ("buckets" if d.max_distance is None else "max_distance",),
            "'buckets' and 'max_distance' come together: log-spaced buckets reach 'max_distance'",
        )
    if d.c2p is False and d.p2c is False:
        err(where, "disentangled attention adds 'c2p', 'p2c' or both: not neither")
    if spec.decoder is not None or any(h.spec.attention == "causal" for h in heads):
        err(
            where,
            "disentangled attention is built for bidirectional stacks: no causal head, no 'decoder' section",
        )
    if spec.embeddings.position.kind not in ("none", "learned"):
        err(
            ("embeddings", "position", "kind"),
            "disentangled attention is built beside no positions or a learned table",
        )
    _refuse_attention_knobs(
        spec,
        ("num_kv_heads", "latent", "relative_bias", "softcap", "sinks", "sliding_window"),
        "disentangled attention",
        err,
    )
    if spec.block.bottleneck is not None or spec.block.layer_groups is not None:
        err(where, "disentangled attention is built for plain layers: no bottleneck, no shared layers")


def _check_differential(spec: ArchSpec, err: Callable) -> None:
    """Differential attention: plain SDPA attention, nothing else on its scores."""
    _refuse_attention_knobs(
        spec,
        (
            "latent",
            "disentangled",
            "relative_bias",
            "softcap",
            "sinks",
            "output_gate",
            "sub_norm",
            "bias_parts",
            "heads_per_layer",
            "type_sizes",
            "value_head_dim",
            "value_scale",
        ),
        "differential attention",
        err,
    )
    if spec.embeddings.position.kind == "alibi":
        err(("embeddings", "position", "kind"), "differential attention is built without ALiBi")


def _check_finite_causal(spec: ArchSpec, heads: list[HeadIR], err: Callable) -> None:
    """A finite causal fill: explicit attention in causal decoder-only stacks, nothing else on its scores."""
    where = ("attention", "masked_rows")
    if spec.decoder is not None or any(h.spec.attention != "causal" for h in heads):
        err(
            where,
            "'masked_rows: finite_causal' fills later keys in causal heads: every head causal, no 'decoder'",
        )
    _refuse_attention_knobs(
        spec,
        ("sliding_window", "softcap", "sinks", "differential", "latent", "relative_bias", "disentangled"),
        "'masked_rows: finite_causal'",
        err,
    )
    if spec.embeddings.position.kind == "alibi":
        err(("embeddings", "position", "kind"), "'masked_rows: finite_causal' is built without ALiBi")


def _check_bias_free(spec: ArchSpec, slots: dict[str, str], err: Callable) -> None:
    """`norm.bias_free`: LayerNorms with biases elsewhere, and slots the structure has."""
    where = ("norm", "bias_free")
    if spec.norm.kind != "layer_norm" or not spec.norm.bias or not spec.norm.affine:
        err(where, "'bias_free' drops some norms' biases: set 'kind: layer_norm' with its bias and weight")
    for index, slot in enumerate(spec.norm.bias_free):
        if slot not in slots:
            err(where + (index,), f"'{slot}' is not a norm this structure has")


def _check_state_space(spec: ArchSpec, heads: list[HeadIR], err: Callable) -> None:
    """State-space mixing: a causal stack; without `layers`, no positions and none of attention's
    other knobs; with them (attention layers beside), none of the knobs that change the mask every
    layer reads or the layers' structure."""
    where = ("attention", "mixing")
    layers = state_space(spec).layers or spec.block.layer_kinds
    if spec.decoder is not None or any(h.spec.attention != "causal" for h in heads):
        err(
            where,
            "state-space mixing reads the slots before each token: causal heads only, no 'decoder' section",
        )
    if layers is None and spec.embeddings.position.kind != "none":
        err(
            ("embeddings", "position", "kind"),
            "state-space mixing orders tokens by its recurrence: positions 'none' (or attention "
            "layers beside, 'state_space.layers')",
        )
    if layers is not None and spec.embeddings.position.kind == "alibi":
        err(
            ("embeddings", "position", "kind"),
            "ALiBi biases the mask state-space layers read: not beside them",
        )
    if layers is None:
        refused = tuple(knob for knob in _ATTENTION_KNOBS if knob != "length_limit")
    else:  # what the attention layers may have: nothing on the shared mask, no per-layer wiring
        refused = ("bidirectional_when", "padded_queries", "masked_rows", "relative_bias")
        refused += ("disentangled", "differential", "last_out_bias", "heads_per_layer", "type_sizes")
        if spec.attention.sliding_window is not None and spec.attention.window_layers is None:
            err(
                ("attention", "sliding_window"),
                "a window beside state-space layers is some attention layers': say which ('window_layers')",
            )
    _refuse_attention_knobs(spec, refused, "state-space mixing", err)
    if spec.block.bottleneck is not None or spec.block.parallel is not False:
        err(
            where,
            "state-space mixing is built for plain sequential layers: no bottleneck, no parallel layers",
        )
    _check_state_space_form(state_space(spec), err)
    if state_space(spec).layers is not None:
        layers = state_space(spec).layers
        at = ("attention", "state_space", "layers")
        if spec.block.layer_kinds is not None:
            err(at, "'block.layer_kinds' names the state-space layers already: not both")
        rules = (layers.types, layers.attention_at, layers.attention_period)
        if sum(rule is not None for rule in rules) != 1 and (
            layers.attention_period is not None or layers.types is None or layers.attention_at is None
        ):
            err(
                at,
                "name the state-space layers by 'types' or the attention layers by 'attention_at' or "
                "'attention_period': one of them ('types' may take 'attention_at' where config.json lacks its list)",
            )
        if layers.attention_offset is not None and layers.attention_period is None:
            err(at + ("attention_offset",), "'attention_offset' counts within 'attention_period': set it")
        if layers.counted_from and layers.attention_at is None:
            err(at + ("counted_from",), "'counted_from' says how 'attention_at' counts the layers: set it")
        if spec.ffn.kind == "none":
            err(at, "state-space layers beside attention layers are built with an FFN in every layer")
    ssm, at = state_space(spec), ("attention", "state_space")
    if ssm.conv_keys is not None and "ssm.conv" in spec.keys:
        err(("keys", "ssm.conv"), "'state_space.conv_keys' names the convolution's keys: not 'keys' too")
    if (ssm.placement is not None or ssm.keys) and ssm.layers is None:
        knob = "placement" if ssm.placement is not None else "keys"
        err(at + (knob,), f"'{knob}' sets the state-space layers apart from attending ones: set 'layers'")
    elif ssm.placement is not None and (
        ssm.placement == spec.block.placement
        or spec.block.placement == "sandwich"
        or spec.block.residual_scale is not None
        or spec.block.shared_norm
    ):
        err(
            at + ("placement",),
            f"'placement: {ssm.placement}' sets the state-space layers' norms apart from a 'block.placement' "
            "of 'post' or 'sublayer' (no residual scale, no shared norm)",
        )


#: The knobs each state-space form reads (StateSpaceSpec); it refuses the others.
_COMMON_KNOBS = {"conv_kernel", "conv_bias", "bias", "layers", "placement", "keys"}
_FORM_KNOBS = {
    "ssd": _COMMON_KNOBS
    | {"state_size", "activation", "activation_config", "groups", "num_heads", "head_dim"}
    | {"time_step_limit", "time_step_min", "norm_eps"},
    "selective": _COMMON_KNOBS
    | {"state_size", "activation", "activation_config", "inner", "time_step_rank"}
    | {"selection_norm", "selection_norm_eps"},
    "gated_conv": _COMMON_KNOBS,
    "gated_delta": _COMMON_KNOBS
    | {"activation", "activation_config", "num_heads", "head_dim", "key_heads", "key_head_dim", "norm_eps"}
    | {
        "negative_eigenvalues",
        "conv_keys",
        "decay",
        "decay_bound",
        "decay_bound_when",
        "norm_gate",
        "gate_rank",
    },
    "lightning": {"activation", "activation_config", "num_heads", "head_dim", "norm_eps", "bias"}
    | {"layers", "placement", "keys"},
}

#: The knobs each state-space form cannot do without.
_FORM_NEEDS = {"selective": ("inner", "time_step_rank"), "gated_delta": ("key_heads", "key_head_dim")}


def _check_state_space_form(ssm: StateSpaceSpec, err: Callable) -> None:
    """Each form's knobs, and those it needs."""
    at = ("attention", "state_space")
    for knob in sorted(ssm.model_fields_set - {"form"} - _FORM_KNOBS[ssm.form]):
        err(at + (knob,), f"'{knob}' is not a knob of 'form: {ssm.form}'")
    for knob in _FORM_NEEDS.get(ssm.form, ()):
        if getattr(ssm, knob) is None:
            err(at, f"'form: {ssm.form}' needs '{knob}' (an int size symbol)")
    if ssm.decay_bound is not None and ssm.decay != "per_channel":
        err(at + ("decay_bound",), "'decay_bound' bounds a decay per key feature: set 'decay: per_channel'")
    if ssm.decay_bound_when is not None and ssm.decay_bound is None:
        err(at + ("decay_bound_when",), "'decay_bound_when' switches the decay's bound: set 'decay_bound'")
    if ssm.conv_keys is not None and (len(ssm.conv_keys) != 3 or ssm.conv_bias is not False):
        err(
            at + ("conv_keys",),
            "'conv_keys' names the queries', keys' and values' convolution weights: three keys, 'conv_bias: false'",
        )
    for slot in ssm.keys:
        if slot not in ("attn_norm", "ffn_norm"):
            guess = closest(slot, ["attn_norm", "ffn_norm"])
            err(
                at + ("keys", slot),
                f"{slot!r} is not a norm slot of a state-space layer: 'attn_norm' or 'ffn_norm'",
                f"did you mean {guess!r}?" if guess else None,
            )


def _linear_slot(slot: str, slots: dict[str, str], where: tuple, err: Callable) -> bool:
    """Whether `slot` is a linear slot of this structure; if not, an error (with the closest one)."""
    if slots.get(slot) == "linear":
        return True
    guess = closest(slot, [name for name, kind in slots.items() if kind == "linear"])
    err(
        where,
        f"{slot!r} is not a linear slot of this structure",
        f"did you mean {guess!r}?" if guess else None,
    )
    return False


def _check_grouped_rows(spec: ArchSpec, slots: dict[str, str], err: Callable, check_symbol: Callable) -> None:
    """`grouped_rows`: linear slots loaded by a split of one key they all share, each named with
    the same group count."""
    fused = {"attn.k", "attn.v", "cross.k", "cross.v"} | (
        {"attn.q"} if spec.attention.num_kv_heads is None else set()
    )
    told: set[str] = set()  # keys whose missing or differing slots are reported (once each)
    for slot, groups in spec.grouped_rows.items():
        where = ("grouped_rows", slot)
        key = spec.keys.get(slot)
        sharing = [other for other, named in spec.keys.items() if named == key and other in slots]
        linear = _linear_slot(slot, slots, where, err)
        if linear and (
            slot in fused or slot in spec.transposed or slot in spec.conv_weights or slot.startswith("ffn.")
        ):
            err(
                where,
                "rows regroup within a key split between plain layers' slots: not a fused q/k/v part, "
                "an FFN's, a 'transposed' or a 'conv_weights' slot",
            )
        elif linear and len(sharing) < 2:
            err(
                where,
                f"{slot!r} has its key {key!r} to itself: grouped rows fall in a key several slots share",
            )
        elif linear and key not in told:
            odd = [other for other in sharing if spec.grouped_rows.get(other) != groups]
            told.add(key)
            if odd:
                err(
                    where,
                    f"{', '.join(odd)} share{'s' if len(odd) == 1 else ''} its key {key!r}: list "
                    f"{'it' if len(odd) == 1 else 'them'} in 'grouped_rows' with {groups!r} too",
                )
        check_symbol(where, groups)


def _check_layer_kinds(spec: ArchSpec, err: Callable) -> None:
    """Layers of one sublayer each: plain pre-norm layers, kinds named once, what each kind needs."""
    kinds, where = spec.block.layer_kinds, ("block", "layer_kinds")
    named: dict[str, str] = {}
    for kind in LAYER_KINDS:
        for index, entry in enumerate(getattr(kinds, kind)):
            if entry in named:
                err(where + (kind, index), f"{entry!r} names {named[entry]} layers already")
            named.setdefault(entry, kind)
    block = spec.block
    if block.placement != "pre" or block.parallel is not False or block.shared_norm:
        err(where, "layers of one sublayer each are plain pre-norm layers: 'placement: pre', not parallel")
    if block.ffn_stack is not None or block.bottleneck is not None or block.layer_groups is not None:
        err(where, "layers of one sublayer each have no 'ffn_stack', 'bottleneck' or 'layer_groups'")
    if spec.decoder is not None or spec.attention.mixing == "fourier" or spec.ffn.kind == "none":
        err(where, "layers of one sublayer each: one stack, attention or state-space mixing, an FFN kind")
    if spec.ffn.experts is not None and spec.ffn.experts.layers is not None:
        err(where, "the layers with experts are those 'layer_kinds' names: not 'ffn.experts.layers' too")
    if kinds.dense_size is not None and spec.ffn.experts is None:
        err(
            where + ("dense_size",),
            "'dense_size' is the dense layers' width beside the experts': set 'ffn.experts'",
        )
    _refuse_attention_knobs(
        spec,
        ("latent", "differential", "last_out_bias", "disentangled", "relative_bias"),
        "layers of one sublayer each",
        err,
    )


def _check_no_ffn(spec: ArchSpec, err: Callable) -> None:
    """Layers without an FFN: plain pre-norm layers, none of the FFN's structure knobs."""
    ffn, where = spec.ffn, ("ffn", "kind")
    unbuilt = [
        ("experts", ffn.experts is not None),
        ("variants", bool(ffn.variants) or ffn.variant is not None),
        ("clamped_glu", ffn.clamped_glu is not None),
        ("glu_limits", ffn.glu_limits is not None),
        ("sub_norm", ffn.sub_norm),
    ]
    for knob, on in unbuilt:
        if on:
            err(("ffn", knob), f"layers without an FFN ('kind: none') have no '{knob}'")
    block = spec.block
    if block.placement != "pre" or block.parallel is not False or block.shared_norm:
        err(where, "layers without an FFN are built as plain pre-norm layers: 'placement: pre', not parallel")
    if (
        block.ffn_stack is not None
        or block.bottleneck is not None
        or block.residual_scale is not None
        or block.depth_scaled_residuals
    ):
        err(
            where,
            "layers without an FFN have no 'ffn_stack', 'bottleneck', 'residual_scale' or 'depth_scaled_residuals'",
        )
    if spec.decoder is not None:
        err(where, "layers without an FFN are built for one stack: no 'decoder' section")


def _check_fourier(spec: ArchSpec, heads: list[HeadIR], err: Callable) -> None:
    """Fourier mixing: a bidirectional stack, and none of the knobs of attention's projections and scores."""
    where = ("attention", "mixing")
    if spec.decoder is not None or any(h.spec.attention == "causal" for h in heads):
        err(where, "Fourier mixing reads every slot of a row: no causal head, no 'decoder' section")
    if spec.embeddings.position.kind not in ("none", "learned", "sinusoidal"):
        err(
            ("embeddings", "position", "kind"),
            "Fourier mixing has no queries or keys to turn or bias: positions 'none', 'learned' or 'sinusoidal'",
        )
    _refuse_attention_knobs(
        spec,
        (
            "num_kv_heads",
            "latent",
            "disentangled",
            "relative_bias",
            "qk_norm",
            "softcap",
            "clip",
            "sinks",
            "differential",
            "output_gate",
            "sub_norm",
            "last_out_bias",
            "bias_parts",
            "sliding_window",
            "bidirectional_when",
            "padded_queries",
            "heads_per_layer",
            "type_sizes",
            "value_head_dim",
            "value_scale",
        ),
        "Fourier mixing",
        err,
    )
    if spec.block.bottleneck is not None or spec.block.parallel is not False:
        err(where, "Fourier mixing is built for plain sequential layers: no bottleneck, no parallel layers")


def load_arch(path: Path | str) -> ArchIR:
    """Load, validate and resolve one architecture spec. Raises :class:`SpecError`."""
    path = Path(path)
    merged, files = _resolve_extends(path)
    try:
        spec = ArchSpec.model_validate(merged.data)
    except ValidationError as exc:
        raise SpecError(
            _pydantic_diagnostics(exc, merged, ArchSpec) + _check_raw_header(merged, path)
        ) from None

    diags = _check_header(merged, spec.spec_version, spec.name, path)

    def err(loc: tuple, message: str, hint: str | None = None) -> None:
        file, line, col = merged.loc(loc)
        diags.append(Diagnostic(file, line, col, format_path(loc), message, hint))

    symbols = set(spec.sizes)

    def check_symbol(loc: tuple, name: str) -> None:
        if name not in symbols:
            guess = closest(name, symbols)
            err(
                loc,
                f"unknown size symbol {name!r}; declared: {', '.join(sorted(symbols))}",
                f"did you mean {guess!r}?" if guess else None,
            )

    def check_bool_symbol(loc: tuple, name: str) -> None:
        """A knob that reads a `bool` size symbol (`..._when`): declared, and of that kind."""
        check_symbol(loc, name)
        size = spec.sizes.get(name)
        if size is not None and size.kind != "bool":
            err(loc, f"'{loc[-1]}' reads a bool size symbol; {name!r} is {size.kind}")

    # sizes: exactly one source each, expressions over known symbols, no cycles
    deps: dict[str, set[str]] = {}
    for name, size in spec.sizes.items():
        loc = ("sizes", name)
        sources = [
            size.config is not None or size.count_of is not None,
            size.expr is not None,
            size.value is not None,
        ]
        if sum(sources) != 1:
            err(loc, "give exactly one of 'config' (or 'count_of'), 'expr' and 'value'")
        if size.first and (size.config is None or size.kind in ("mapping", "list")):
            err(
                loc + ("first",),
                "'first' reads a list's first entry at 'config' into a number, bool or string",
            )
        if size.same and (size.config is None or size.kind in ("mapping", "list") or size.first):
            err(
                loc + ("same",),
                "'same' reads the one value a list at 'config' repeats into a number, bool or string (not with 'first')",
            )
        if size.expr is not None:
            try:
                used = _expr_symbols(size.expr)
            except SyntaxError:
                err(loc + ("expr",), f"invalid expression {size.expr!r}")
                continue
            problem = _expr_unsupported(size.expr)
            if problem:
                err(loc + ("expr",), problem)
                continue
            for sym in used:
                check_symbol(loc + ("expr",), sym)
            deps[name] = set(used) & symbols
    bound = {n for n, s in spec.sizes.items() if s.expr is None}
    while ready := [n for n, d in deps.items() if d <= bound]:
        bound.update(ready)
        for n in ready:
            del deps[n]
    for name in deps:  # left over: on a cycle, or depending on one
        err(
            ("sizes", name, "expr"),
            f"size expressions depend on each other in a cycle: {', '.join(sorted(deps))}",
        )
    for loc, sym in _size_refs(spec):
        check_symbol(loc, sym)
    # mapping and list symbols: read from config.json whole, each read by one knob
    wholes = {n: s.kind for n, s in spec.sizes.items() if s.kind in ("mapping", "list")}
    for name, kind in wholes.items():
        size = spec.sizes[name]
        if size.config is None or size.default is not None or size.count_of is not None:
            err(
                ("sizes", name),
                f"a {kind} symbol reads config.json: give 'config' (and at most a 'fallback')",
            )
        if size.fallback is not None and size.fallback in symbols and wholes.get(size.fallback) != kind:
            err(
                ("sizes", name, "fallback"),
                f"a {kind} falls back to a {kind} symbol; {size.fallback!r} is not one",
            )
    readers = {
        ("embeddings", "position", "scaling", "params"): ("mapping", "'params'"),
        ("attention", "window_layers", "types"): ("list", "'types'"),
        ("embeddings", "position", "rotary_layers", "types"): ("list", "'types'"),
        ("embeddings", "position", "theta_layers"): ("list", "'theta_layers'"),
        ("embeddings", "position", "scaling", "layer_types"): ("list", "'layer_types'"),
        ("ffn", "experts", "layers", "skip"): ("list", "'skip'"),
        ("ffn", "experts", "layers", "only"): ("list", "'only'"),
        ("ffn", "experts", "layers", "types"): ("list", "'types'"),
        ("ffn", "glu_limits", "routed"): ("list", "'routed'"),
        ("ffn", "glu_limits", "shared"): ("list", "'shared'"),
        ("attention", "state_space", "time_step_limit"): ("list", "'time_step_limit'"),
        ("attention", "state_space", "layers", "types"): ("list", "'types'"),
        ("block", "layer_kinds", "types"): ("list", "'types'"),
        ("attention", "state_space", "layers", "attention_at"): ("list", "'attention_at'"),
        ("attention", "heads_per_layer"): ("list", "'heads_per_layer'"),
        ("attention", "type_sizes", "types"): ("list", "'types'"),
    }
    for loc, sym in _size_refs(spec):
        want, knob = readers.get(loc, (None, None))
        if sym in wholes and wholes[sym] != want:
            err(loc, f"{sym!r} is a {wholes[sym]} symbol; no knob here reads one")
        elif want and sym in symbols and sym not in wholes:
            err(loc, f"{knob} names a {want} size symbol (kind: {want}); {sym!r} is {spec.sizes[sym].kind}")
    expressions = [(("sizes", n, "expr"), s.expr) for n, s in spec.sizes.items() if s.expr is not None]
    expressions += [(("constraints", i, "expr"), c.expr) for i, c in enumerate(spec.constraints)]
    for loc, expr in expressions:
        try:
            used = set(_expr_symbols(expr)) & set(wholes)
        except SyntaxError:
            continue  # reported with the expression
        for sym in sorted(used - _membership_lists(expr, wholes)):
            err(
                loc,
                f"{sym!r} is a {wholes[sym]} symbol: expressions read numbers, booleans and strings "
                "(a list only on the right of 'in' or 'not in')",
            )
    for name, size in spec.sizes.items():
        if size.split is not None and (size.kind != "list" or not size.split):
            err(
                ("sizes", name, "split"),
                "'split' reads a string into a list: a non-empty separator, kind: list",
            )
        if size.chars is not None and (size.kind != "list" or any(len(c) != 1 for c in size.chars)):
            err(
                ("sizes", name, "chars"),
                "'chars' reads a string of one character per entry into a list: single characters, kind: list",
            )
    for loc, knob in switches(spec):
        check_symbol(loc + ("switch",), knob.switch)
        size = spec.sizes.get(knob.switch)
        if size is None:
            continue
        want = "str" if knob.cases is not None else "bool"
        if size.kind != want:
            err(
                loc + ("switch",),
                f"switch {knob.switch!r} must be a {want} size symbol (kind: {want}), it is {size.kind}",
            )
        if not knob.unused and loc != ("embeddings", "transform"):
            err(loc + ("unused",), "only embeddings.transform may say 'unused: false'")
        if loc[-1] in ("bias", "out_bias", "down_bias") and knob.cases is not None:
            err(loc + ("cases",), "a bias switch reads a bool symbol: no 'cases'")
        if loc == ("attention", "sinks") and knob.cases is not None:
            err(loc + ("cases",), "a sinks switch reads a bool symbol: no 'cases'")
        if loc == ("norm", "kind") and knob.cases is None:
            err(loc, "a norm kind switch needs 'cases' (config value -> layer_norm | rms_norm | no_norm ...)")
        for value in (knob.cases or {}).values():
            if loc == ("norm", "kind") and value not in NORM_KINDS:
                guess = closest(value, NORM_KINDS)
                err(
                    loc + ("cases",),
                    f"unknown norm kind {value!r}",
                    f"did you mean {guess!r}?" if guess else None,
                )
    for i, constraint in enumerate(spec.constraints):
        cloc = ("constraints", i, "expr")
        try:
            used = _expr_symbols(constraint.expr)
        except SyntaxError:
            err(cloc, f"invalid expression {constraint.expr!r}")
            continue
        problem = _expr_unsupported(constraint.expr)
        if problem:
            err(cloc, problem)
        for sym in used:
            check_symbol(cloc, sym)
    emb = spec.embeddings
    # Knobs built for plain layers only: no bottleneck block and no 'decoder' section here, and
    # no head that may cross-attend (checked with the heads below).
    plain_only = [
        (where, what)
        for on, where, what in (
            (emb.position.kind == "rotary", ("embeddings", "position", "kind"), "rotary positions"),
            (emb.position.kind == "alibi", ("embeddings", "position", "kind"), "ALiBi positions"),
            (
                spec.attention.num_kv_heads is not None,
                ("attention", "num_kv_heads"),
                "grouped-query attention",
            ),
            (spec.attention.sliding_window is not None, ("attention", "sliding_window"), "a sliding window"),
            (spec.attention.qk_norm is not False, ("attention", "qk_norm"), "a query/key norm"),
            (spec.block.parallel is not False, ("block", "parallel"), "parallel attention and FFN"),
            (spec.block.placement == "sublayer", ("block", "placement"), "sublayer-normed layers"),
            (spec.block.placement == "sandwich", ("block", "placement"), "sandwich-normed layers"),
            (spec.attention.softcap is not None, ("attention", "softcap"), "capped attention scores"),
            (spec.ffn.experts is not None, ("ffn", "experts"), "a mixture of experts"),
            (
                spec.attention.sub_norm,
                ("attention", "sub_norm"),
                "a norm before the attention's output projection",
            ),
            (spec.ffn.sub_norm, ("ffn", "sub_norm"), "a norm before the FFN's down projection"),
            (spec.attention.output_gate, ("attention", "output_gate"), "a gated attention output"),
            (spec.attention.sinks, ("attention", "sinks"), "attention sinks"),
            (spec.attention.differential, ("attention", "differential"), "differential attention"),
            (spec.attention.latent is not None, ("attention", "latent"), "latent attention"),
            (spec.ffn.activation == "xielu", ("ffn", "activation"), "xIELU"),
            (
                spec.block.depth_scaled_residuals,
                ("block", "depth_scaled_residuals"),
                "depth-scaled residual sums",
            ),
        )
        if on
    ]
    if spec.decoder is not None or spec.block.bottleneck is not None:
        for where, what in plain_only:
            err(where, f"{what}: built for plain (not bottleneck) layers without a 'decoder' section")
    if emb.position.kind in ("rotary", "alibi") and spec.attention.relative_bias is not None:
        err(
            ("embeddings", "position", "kind"),
            f"{emb.position.kind} positions and a relative position bias are two position schemes: pick one",
        )
    if emb.position.kind == "rotary":
        if emb.position.ids != "sequential":
            err(("embeddings", "position", "ids"), "rotary positions count from 0: 'ids: sequential'")
    else:
        for knob, default in (
            ("rotary_dim", None),
            ("rotary_pairs", "halves"),
            ("rotary_direction", "forward"),
            ("query_scale", None),
            ("theta_layers", None),
        ):
            if getattr(emb.position, knob) != default:
                err(("embeddings", "position", knob), f"'{knob}' is for 'kind: rotary' positions")
    if emb.position.scaling is not None:
        if emb.position.kind != "rotary":
            err(("embeddings", "position", "scaling"), "'scaling' is for 'kind: rotary' positions")
        if len(set(emb.position.scaling.types)) != len(emb.position.scaling.types):
            err(("embeddings", "position", "scaling", "types"), "each scaling type once")
        if "longrope" not in emb.position.scaling.types and emb.position.scaling.longrope != LongRopeSpec():
            err(
                ("embeddings", "position", "scaling", "longrope"),
                "'longrope' is for a 'types' list with longrope",
            )
        if "proportional" in emb.position.scaling.types and emb.position.rotary_dim is not None:
            err(
                ("embeddings", "position", "scaling", "types"),
                "'proportional' turns a share of every head feature's pairs: not beside 'rotary_dim'",
            )
        for alias, law in emb.position.scaling.aliases.items():
            if alias in emb.position.scaling.types or alias == "default":
                err(("embeddings", "position", "scaling", "aliases", alias), f"{alias!r} is a law's own name")
            elif law not in emb.position.scaling.types:
                err(
                    ("embeddings", "position", "scaling", "aliases", alias),
                    f"{alias!r} is read as {law!r}, which 'types' does not list",
                )
    if emb.position.offset and (
        emb.position.kind not in ("learned", "sinusoidal") or emb.position.ids != "sequential"
    ):
        err(
            ("embeddings", "position", "offset"),
            "'offset' is for 'kind: learned' or 'sinusoidal' positions with 'ids: sequential'",
        )
    if emb.position.kind == "sinusoidal" and spec.block.bottleneck is not None:
        err(
            ("embeddings", "position", "kind"),
            "sinusoidal positions: built for plain (not bottleneck) layers",
        )
    if emb.position.sinusoid != "fairseq" and emb.position.kind != "sinusoidal":
        err(("embeddings", "position", "sinusoid"), "'sinusoid' is for 'kind: sinusoidal' positions")
    if emb.token_dropout is not None:
        check_symbol(("embeddings", "token_dropout", "token"), emb.token_dropout.token)
        if emb.token_dropout.when is not None:
            check_bool_symbol(("embeddings", "token_dropout", "when"), emb.token_dropout.when)
        if not 0 <= emb.token_dropout.ratio < 1:
            err(("embeddings", "token_dropout", "ratio"), "'ratio' is a share of tokens: at least 0, below 1")
    if emb.position.kind != "alibi" and emb.position.alibi_positions != "kept_tokens":
        err(("embeddings", "position", "alibi_positions"), "'alibi_positions' is for 'kind: alibi' positions")
    if emb.scale != "none" and (emb.trigram is not False or emb.transform is not False):
        err(("embeddings", "scale"), "a scaled word embedding is built without 'trigram' or 'transform'")
    if not emb.transform_bias and emb.transform is False:
        err(
            ("embeddings", "transform_bias"),
            "'transform_bias' says whether the transform has a bias; set 'transform'",
        )
    if emb.transform_at == "sum":
        if emb.transform is False:
            err(("embeddings", "transform_at"), "'transform_at: sum' places a transform; set 'transform'")
        if emb.trigram is not False:
            err(("embeddings", "transform_at"), "trigram word vectors are transformed at 'words', not 'sum'")
    if spec.block.bottleneck is not None and spec.block.placement != "post":
        err(("block", "bottleneck"), "a bottleneck block is post-norm; set block.placement: post")
    if spec.block.parallel is not False:
        if spec.block.placement != "pre":
            err(("block", "parallel"), "parallel attention and FFN are pre-norm: set block.placement: pre")
        if spec.block.ffn_stack:
            err(("block", "parallel"), "parallel attention and FFN are built without an 'ffn_stack'")
    if spec.attention.qk_norm_at == "after_rotary" and (
        spec.attention.qk_norm is False
        or spec.attention.qk_norm_scope == "all_heads"
        or emb.position.kind != "rotary"
    ):
        err(
            ("attention", "qk_norm_at"),
            "'qk_norm_at: after_rotary' places a per-head query/key norm ('qk_norm', scope 'head' or "
            "'head_weights') after rotary positions ('kind: rotary')",
        )
    if spec.attention.sinks and spec.attention.softcap is not None:
        err(
            ("attention", "sinks"),
            "attention sinks are built without 'softcap' (capped scores with sinks are not built)",
        )
    if spec.attention.heads_per_layer is not None or spec.attention.type_sizes is not None:
        _check_heads_per_layer(spec, err)
    if spec.attention.type_sizes is not None:
        _check_type_sizes(spec, err)
    if spec.attention.value_head_dim is not None:
        _check_value_head_dim(spec, err)
    scaling = spec.embeddings.position.scaling
    if scaling is not None and scaling.partial_factor:
        if spec.embeddings.position.rotary_dim is not None:
            err(
                ("embeddings", "position", "scaling", "partial_factor"),
                "'partial_factor' reads the rotated features from the parameters: not beside 'rotary_dim'",
            )
        if spec.attention.latent is not None:
            err(
                ("embeddings", "position", "scaling", "partial_factor"),
                "latent attention's rotated part is its 'rotary_dim': no 'partial_factor'",
            )
    gate = spec.attention.output_gate
    if spec.attention.output_gate_activation != "sigmoid" and not gate:
        err(
            ("attention", "output_gate_activation"),
            "'output_gate_activation' turns the output gate's projection into factors: set 'output_gate'",
        )
    if spec.attention.output_gate_per_head is not None:
        check_bool_symbol(("attention", "output_gate_per_head"), spec.attention.output_gate_per_head)
        if gate is not True or spec.attention.latent is not None:
            err(
                ("attention", "output_gate_per_head"),
                "'output_gate_per_head' lets config.json choose between a gate per head and one per "
                "feature: set 'output_gate: true' (not under latent attention)",
            )
    if spec.attention.output_gate_bias and (
        gate is not True or spec.attention.output_gate_per_head is not None
    ):
        err(
            ("attention", "output_gate_bias"),
            "'output_gate_bias' adds a bias per head to a gate per feature: set 'output_gate: true' "
            "(not 'per_head' or 'output_gate_per_head')",
        )
    if spec.attention.output_gate_input == "query_latent" and (
        not gate
        or spec.attention.latent is None
        or spec.attention.latent.q_rank is None
        or spec.attention.latent.q_rank_when is not None
    ):
        err(
            ("attention", "output_gate_input"),
            "'output_gate_input: query_latent' reads the low-rank queries: set 'output_gate' under latent "
            "attention whose queries always take the low-rank path ('latent.q_rank', no 'q_rank_when')",
        )
    if spec.attention.output_gate and spec.attention.sub_norm:
        err(
            ("attention", "output_gate"),
            "a gated attention output is built without 'sub_norm' (which comes first is not built)",
        )
    if spec.ffn.gate_up_order != "gate_first" and spec.ffn.kind != "gated":
        err(
            ("ffn", "gate_up_order"),
            "'gate_up_order' orders a gated FFN's gate and up rows: set 'kind: gated'",
        )
    elif spec.ffn.gate_up_order == "interleaved" and spec.keys.get("ffn.gate") != spec.keys.get("ffn.up"):
        err(
            ("ffn", "gate_up_order"),
            "'gate_up_order: interleaved' orders the rows of one key: ffn.gate and ffn.up must name the same key",
        )
    if spec.ffn.activation == "xielu" and (
        spec.ffn.experts is not None or spec.ffn.variants or spec.block.ffn_stack is not None
    ):
        err(
            ("ffn", "activation"),
            "xIELU has parameters of each layer's: one FFN per layer (no 'experts', "
            "'variants' or 'ffn_stack')",
        )
    if spec.ffn.clamped_glu is not None and (
        spec.ffn.kind != "gated" or spec.ffn.activation != "silu" or spec.ffn.variants
    ):
        err(
            ("ffn", "clamped_glu"),
            "a clamped GLU is a gated FFN's product with a sigmoid-weighted gate: set 'kind: gated' and "
            "'activation: silu' (and no 'variants')",
        )
    limits = spec.ffn.glu_limits
    if limits is not None and (
        spec.ffn.kind != "gated"
        or spec.ffn.clamped_glu is not None
        or spec.ffn.variants
        or spec.block.ffn_stack is not None
        or spec.block.layer_kinds is not None
        or spec.decoder is not None
    ):
        err(
            ("ffn", "glu_limits"),
            "limits clamp a gated FFN's activations in each layer of one stack: set 'kind: gated' (no "
            "'clamped_glu', 'variants', 'ffn_stack', 'block.layer_kinds' or 'decoder')",
        )
    elif limits is not None and limits.shared is not None and spec.ffn.experts is None:
        err(
            ("ffn", "glu_limits", "shared"),
            "'shared' clamps the shared expert and the dense layers among experts: set 'ffn.experts'",
        )
    if spec.ffn.down_bias is not None and (
        spec.block.ffn_stack is not None or spec.ffn.variants or spec.decoder is not None
    ):
        err(
            ("ffn", "down_bias"),
            "a bias of the down projection's own is built without 'ffn_stack', 'variants' or a 'decoder' section",
        )
    if spec.ffn.sub_norm and (spec.ffn.experts is not None or spec.block.ffn_stack is not None):
        err(
            ("ffn", "sub_norm"),
            "a norm before the down projection is built for one FFN per layer (no 'experts' or 'ffn_stack')",
        )
    if emb.position.theta_layers and (
        emb.position.rotary_layers or (emb.position.scaling and emb.position.scaling.layer_types)
    ):
        err(
            ("embeddings", "position", "theta_layers"),
            "a theta per layer decides which layers rotate and how: not with 'rotary_layers' or "
            "'scaling.layer_types'",
        )
    scaled = emb.position.query_scale
    if (
        scaled is not None
        and scaled.layers == "unrotated"
        and (
            emb.position.rotary_layers is None
            or emb.position.theta_layers
            or (emb.position.scaling and emb.position.scaling.layer_types)
        )
    ):
        err(
            ("embeddings", "position", "query_scale", "layers"),
            "'layers: unrotated' scales the queries of the layers 'rotary_layers' leaves without positions: "
            "set 'rotary_layers' (not with 'theta_layers' or 'scaling.layer_types')",
        )
    if (
        emb.position.query_scale is not None
        and spec.attention.qk_norm_at == "after_rotary"
        and not (
            emb.position.query_scale.layers == "unrotated" and spec.attention.qk_norm_layers == "rotated"
        )
    ):
        err(
            ("embeddings", "position", "query_scale"),
            "queries are scaled after rotary positions, where 'qk_norm_at: after_rotary' norms them: "
            "which comes first is not built (the unrotated layers' scale beside 'qk_norm_layers: rotated' is)",
        )
    if spec.attention.qk_norm_layers == "rotated" and (
        spec.attention.qk_norm is False
        or spec.attention.qk_norm_at != "after_rotary"
        or emb.position.rotary_layers is None
    ):
        err(
            ("attention", "qk_norm_layers"),
            "'qk_norm_layers: rotated' norms the queries and keys of the layers with rotary positions, after "
            "them: set 'qk_norm', 'qk_norm_at: after_rotary' and 'position.rotary_layers'",
        )
    if spec.attention.qk_norm_scope != "head" and spec.attention.qk_norm is False:
        err(("attention", "qk_norm_scope"), "'qk_norm_scope' says what a query/key norm spans; set 'qk_norm'")
    elif spec.attention.qk_norm_scope == "head_weights" and (
        spec.norm.kind not in ("layer_norm", "rms_norm") or not spec.norm.affine
    ):
        err(
            ("attention", "qk_norm_scope"),
            "'qk_norm_scope: head_weights' is built for a 'layer_norm' or 'rms_norm' kind with weights (one, not a switch)",
        )
    elif spec.attention.qk_norm_scope == "all_heads" and spec.attention.num_kv_heads is None:
        err(
            ("attention", "qk_norm_scope"),
            "'qk_norm_scope: all_heads' is built with a query projection apart from keys and values: set "
            "'num_kv_heads' (it may equal num_heads)",
        )
    if spec.block.placement in ("sublayer", "sandwich") and spec.block.ffn_stack:
        err(("block", "placement"), f"{spec.block.placement}-normed layers are built without an 'ffn_stack'")
    if spec.ffn.experts is not None:
        for knob, what in ((spec.ffn.variants, "FFN 'variants'"), (spec.block.ffn_stack, "an 'ffn_stack'")):
            if knob:
                err(("ffn", "experts"), f"a mixture of experts is built without {what}")
        for slot in ("ffn.gate", "ffn.up", "ffn.down"):
            key = spec.keys.get(slot)
            if key is not None and "{e}" not in key and not spec.ffn.experts.stacked:
                err(("keys", slot), f"an expert's key holds '{{e}}', its index ({key!r} does not)")
            elif key is not None and "{e}" in key and spec.ffn.experts.stacked:
                err(
                    ("keys", slot),
                    f"'stacked' experts share one key per layer, which holds no '{{e}}' ({key!r} does)",
                )
        if (spec.ffn.experts.groups is None) != (spec.ffn.experts.top_groups is None):
            err(("ffn", "experts", "groups"), "group-limited routing needs both 'groups' and 'top_groups'")
        if spec.ffn.experts.group_score != "top_two" and spec.ffn.experts.groups is None:
            err(("ffn", "experts", "group_score"), "'group_score' scores the groups of 'groups': set it")
        experts = spec.ffn.experts
        if experts.scores == "sparsemixer":
            if experts.jitter is None:
                err(
                    ("ffn", "experts", "jitter"), "'scores: sparsemixer' needs 'jitter' (a float size symbol)"
                )
            else:
                check_symbol(("ffn", "experts", "jitter"), experts.jitter)
            for on, knob in (
                (experts.normalize is not False, "normalize"),
                (experts.groups is not None, "groups"),
                (experts.selection_bias is not None, "selection_bias"),
            ):
                if on:
                    err(
                        ("ffn", "experts", knob),
                        f"'scores: sparsemixer' weighs its two experts as it chooses them: no '{knob}'",
                    )
        elif experts.jitter is not None:
            err(("ffn", "experts", "jitter"), "'jitter' is for 'scores: sparsemixer'")
        if experts.scores == "sparsemixer" and experts.logit_softcap is not None:
            err(
                ("ffn", "experts", "logit_softcap"),
                "'scores: sparsemixer' weighs the router's logits as they are: no 'logit_softcap'",
            )
        if spec.ffn.experts.normalize_min and spec.ffn.experts.normalize is False:
            err(
                ("ffn", "experts", "normalize_min"),
                "'normalize_min' clamps the sum 'normalize' divides by: set it",
            )
        if spec.ffn.experts.normalize_eps and spec.ffn.experts.normalize is False:
            err(
                ("ffn", "experts", "normalize_eps"),
                "'normalize_eps' is added to the sum 'normalize' divides by: set it",
            )
        if spec.ffn.experts.normalize_eps and spec.ffn.experts.normalize_min:
            err(("ffn", "experts", "normalize_eps"), "'normalize_min' clamps the sum already: not both")
        if spec.ffn.experts.layers is not None:
            layers = spec.ffn.experts.layers
            if not (layers.skip or layers.only or layers.step or layers.start or layers.end or layers.types):
                err(
                    ("ffn", "experts", "layers"),
                    "'layers' picks the layers with experts: give 'skip', 'only', 'step', 'start', 'end' or 'types'",
                )
            if layers.only and layers.types:
                err(("ffn", "experts", "layers", "only"), "'only' and 'types' each decide alone: give one")
            if layers.offset and not layers.step:
                err(("ffn", "experts", "layers", "offset"), "'offset' counts within 'step': set it")
            if spec.block.layer_groups:
                err(
                    ("ffn", "experts", "layers"),
                    "dense layers among the experts are built without 'layer_groups'",
                )
            for slot in ("ffn.dense.gate", "ffn.dense.up", "ffn.dense.down"):
                key = spec.keys.get(slot)
                if key is not None and "{e}" in key:
                    err(("keys", slot), f"the dense FFN is one per layer: its key has no '{{e}}' ({key!r})")
    else:
        for slot, key in spec.keys.items():
            if key is not None and "{e}" in key:
                err(("keys", slot), "'{e}' is an expert's index: the FFN has no 'experts'")
    if emb.position.rotary_layers is not None:
        if emb.position.rotary_layers.all_when is not None:
            where = ("embeddings", "position", "rotary_layers", "all_when")
            check_bool_symbol(where, emb.position.rotary_layers.all_when)
        if emb.position.rotary_layers.dense_when is not None:
            where = ("embeddings", "position", "rotary_layers", "dense_when")
            check_bool_symbol(where, emb.position.rotary_layers.dense_when)
            if not (spec.ffn.experts and spec.ffn.experts.layers):
                err(where, "'dense_when' rotates the layers with the dense FFN: set 'ffn.experts.layers'")
        if emb.position.kind != "rotary":
            err(("embeddings", "position", "rotary_layers"), "'rotary_layers' is for 'kind: rotary'")
        if spec.block.layer_groups:
            err(
                ("embeddings", "position", "rotary_layers"), "'rotary_layers' is built without 'layer_groups'"
            )
    if emb.position.scaling and emb.position.scaling.type_theta and not emb.position.scaling.layer_types:
        err(
            ("embeddings", "position", "scaling", "type_theta"),
            "'type_theta' gives layer types a theta: it needs 'layer_types'",
        )
    if emb.position.scaling and emb.position.scaling.layer_types and spec.block.layer_groups:
        err(
            ("embeddings", "position", "scaling", "layer_types"),
            "'layer_types' is built without 'layer_groups'",
        )
    windows = spec.attention.window_layers
    if windows is not None:
        if spec.attention.sliding_window is None:
            err(
                ("attention", "window_layers"),
                "'window_layers' picks the layers of a 'sliding_window': set one",
            )
        if emb.position.kind == "alibi" or spec.attention.relative_bias is not None:
            err(
                ("attention", "window_layers"),
                "'window_layers' is built with rotary, learned or no positions (not ALiBi or a relative bias)",
            )
        if spec.block.layer_groups:
            err(("attention", "window_layers"), "'window_layers' is built without 'layer_groups'")
        if windows.from_rotary and (
            windows.period is not None
            or windows.windowed_from is not None
            or emb.position.rotary_layers is None
            or (emb.position.scaling is not None and emb.position.scaling.layer_types)
        ):
            err(
                ("attention", "window_layers", "from_rotary"),
                "'from_rotary' derives the window's layers from 'position.rotary_layers' without a list: set "
                "that (not with 'period', 'windowed_from' or 'scaling.layer_types')",
            )
        if windows.period is not None and windows.windowed_from is not None:
            err(
                ("attention", "window_layers", "windowed_from"),
                "'windowed_from' and 'period' both derive the layers without a list: give one",
            )
    if spec.attention.masked_rows == "two_masks" and spec.attention.window_sides != "past":
        err(("attention", "masked_rows"), "'masked_rows: two_masks' is built for causal ('past') windows")
    if spec.attention.bidirectional_when is not None:
        where = ("attention", "bidirectional_when")
        check_bool_symbol(where, spec.attention.bidirectional_when)
        if spec.decoder is not None:
            err(where, "'bidirectional_when' is built without a 'decoder' section")
    if spec.ffn.experts is not None and spec.ffn.experts.flat and not spec.ffn.experts.stacked:
        err(("ffn", "experts", "flat"), "'flat' lays out stacked experts' keys: set 'stacked: true'")
    if spec.ffn.experts is not None and spec.ffn.experts.bare_keys and not spec.ffn.experts.stacked:
        err(
            ("ffn", "experts", "bare_keys"),
            "'bare_keys' names stacked experts' tensors whole: set 'stacked: true'",
        )
    shared = spec.ffn.experts.shared if spec.ffn.experts else None
    if shared is not None and shared.when is not None:
        check_bool_symbol(("ffn", "experts", "shared", "when"), shared.when)
    if shared is not None and shared.average_when is not None:
        check_bool_symbol(("ffn", "experts", "shared", "average_when"), shared.average_when)
        if shared.gated or shared.when is None:
            err(
                ("ffn", "experts", "shared", "average_when"),
                "'average_when' is built for an ungated shared expert config.json may leave out: set "
                "'gated: false' and 'when'",
            )
    experts = spec.ffn.experts
    if experts is not None and experts.sigmoid_when is not None:
        check_bool_symbol(("ffn", "experts", "sigmoid_when"), experts.sigmoid_when)
        if (
            experts.scores != "softmax"
            or experts.selection_bias is not None
            or experts.groups is not None
            or experts.logit_softcap is not None
        ):
            err(
                ("ffn", "experts", "sigmoid_when"),
                "'sigmoid_when' turns a softmax router's scores into sigmoids: set 'scores: softmax' (no "
                "'selection_bias', 'groups' or 'logit_softcap')",
            )
    if spec.attention.latent is not None:
        _check_latent(spec, err, check_bool_symbol)
    elif isinstance(emb.position.rotary_pairs, Switch):
        err(
            ("embeddings", "position", "rotary_pairs"),
            "a pairing switched by config.json is built for latent attention ('attention.latent')",
        )
    if spec.attention.window_sides != "past" and spec.attention.sliding_window is None:
        err(("attention", "window_sides"), "'window_sides' says where a 'sliding_window' reaches: set one")
    if windows is not None and windows.full_at != "last" and windows.period is None:
        err(
            ("attention", "window_layers", "full_at"),
            "'full_at' places the full layers of a 'period': set one",
        )
    if not spec.block.first_attn_norm:
        if spec.block.placement != "pre" or spec.block.parallel is not False:
            err(
                ("block", "first_attn_norm"),
                "'first_attn_norm: false' is built for sequential pre-norm layers",
            )
        if spec.block.layer_groups or spec.block.bottleneck is not None or spec.decoder is not None:
            err(
                ("block", "first_attn_norm"),
                "'first_attn_norm: false' is built for plain layers (no 'layer_groups', bottleneck or 'decoder')",
            )
    if spec.attention.scale == "size" and spec.attention.scale_size is None:
        err(("attention", "scale"), "'scale: size' needs 'scale_size' (a float size symbol)")
    if spec.attention.scale_size is not None and spec.attention.scale != "size":
        err(("attention", "scale_size"), "'scale_size' is for 'scale: size'")
    if emb.multiplier is not None and emb.scale != "none":
        err(("embeddings", "multiplier"), "one word-embedding scale: 'multiplier' or 'scale', not both")
    if spec.block.norm_gate is not None:
        _check_norm_gate(spec, err)
    if spec.attention.experts is not None:
        _check_attention_experts(spec, err)
    if spec.attention.key_bias_from_values:
        _check_key_bias_from_values(spec, err)
    if spec.attention.qk_norm_kind is not None and (
        spec.attention.qk_norm is False or spec.attention.qk_norm_scope != "head_weights"
    ):
        err(
            ("attention", "qk_norm_kind"),
            "'qk_norm_kind' sets the kind of per-head norms with weights of each head's: set 'qk_norm' with "
            "'qk_norm_scope: head_weights'",
        )
    if spec.attention.qk_norm_eps is not None and (
        spec.attention.qk_norm is False or spec.attention.qk_norm_scope not in ("head", "head_weights")
    ):
        err(
            ("attention", "qk_norm_eps"),
            "'qk_norm_eps' is the per-head query/key norms' epsilon: set 'qk_norm' with 'qk_norm_scope: head' "
            "or 'head_weights'",
        )
    _check_residuals(spec, err)
    if spec.block.sublayer_when is not None:
        block = spec.block
        check_bool_symbol(("block", "sublayer_when"), block.sublayer_when)
        if (
            not _sequential_pre_norm(spec)
            or block.residual_scale is not None
            or block.depth_scaled_residuals
            or block.residual != "input"
            or block.residual_weights is not None
            or block.residual_gains
            or block.norm_gate is not None
            or not block.first_attn_norm
            or spec.ffn.kind == "none"
            or spec.attention.state_space is not None
        ):
            err(
                ("block", "sublayer_when"),
                "'sublayer_when' switches plain sequential pre-norm layers of attention and an FFN to norms "
                "after each sublayer ('placement: pre'; no 'parallel', residual knobs, norm gates, bottleneck, "
                "'layer_kinds', 'ffn_stack', 'first_attn_norm: false', state-space layers or 'decoder' section)",
            )
    if spec.block.attn_norm_eps is not None and (
        spec.block.placement not in ("pre", "post")
        or spec.block.parallel is not False
        or spec.block.bottleneck is not None
        or spec.block.layer_kinds is not None
        or spec.decoder is not None
    ):
        err(
            ("block", "attn_norm_eps"),
            "'attn_norm_eps' is built for plain sequential layers ('placement: pre' or 'post'; no 'parallel', "
            "bottleneck, 'layer_kinds' or 'decoder' section)",
        )
    experts = spec.ffn.experts
    if experts is not None and experts.keys:
        for slot in experts.keys:
            if slot not in ("attn_norm", "ffn_norm"):
                guess = closest(slot, ["attn_norm", "ffn_norm"])
                err(
                    ("ffn", "experts", "keys", slot),
                    f"'ffn.experts.keys' names the norm slots attn_norm and ffn_norm, not {slot!r}",
                    f"did you mean {guess!r}?" if guess else None,
                )
        if experts.layers is None:
            err(
                ("ffn", "experts", "keys"),
                "keys of the layers with experts, apart from the others': set 'ffn.experts.layers'",
            )
    if spec.block.depth_scaled_residuals and (
        spec.block.placement not in ("pre", "sandwich")
        or spec.block.parallel is not False
        or spec.block.residual_scale is not None
        or spec.block.layer_groups is not None
        or spec.block.layer_kinds is not None
        or spec.block.ffn_stack is not None
        or spec.attention.state_space is not None
    ):
        err(
            ("block", "depth_scaled_residuals"),
            "'depth_scaled_residuals' is built for sequential pre-norm or sandwich layers ('placement: pre' "
            "or 'sandwich', not parallel) of attention and an FFN each (no 'layer_groups', 'layer_kinds', "
            "'ffn_stack' or state-space layers), without 'residual_scale'",
        )
    if spec.block.residual_scale is not None and (
        spec.block.placement not in ("pre", "sandwich") or spec.block.parallel is not False
    ):
        err(
            ("block", "residual_scale"),
            "'residual_scale' is built for sequential pre-norm or sandwich layers ('placement: pre' or "
            "'sandwich')",
        )
    if spec.block.output_norms is not True and spec.block.placement != "sandwich":
        err(
            ("block", "output_norms"),
            "'output_norms' says whether sandwich layers norm their outputs: set 'placement: sandwich'",
        )
    if spec.block.shared_norm and spec.block.parallel is not True:
        err(
            ("block", "shared_norm"),
            "'shared_norm' is for layers that are always parallel ('parallel: true'): a sequential "
            "layer reads a second norm",
        )
    norm_cases = (
        (spec.norm.kind.cases or {}) if isinstance(spec.norm.kind, Switch) else {None: spec.norm.kind}
    )
    if not spec.norm.bias and "layer_norm" not in norm_cases.values():
        err(
            ("norm", "bias"),
            "'bias: false' is for 'kind: layer_norm', or a kind switch with a layer_norm case (the other "
            "kinds say their own tensors)",
        )
    held = {
        value: norm_tensors(kind, spec.norm.bias) for value, kind in norm_cases.items() if kind in NORM_KINDS
    }
    if len(set(held.values())) > 1:
        err(
            ("norm", "kind", "cases"),
            "the cases hold different tensors, which one weight table cannot map: "
            + ", ".join(f"{value}: {' and '.join(tensors)}" for value, tensors in held.items()),
            "with 'bias: false', a layer_norm holds a weight, as an rms_norm does",
        )
    if not spec.norm.affine and not parameter_free(spec):
        err(
            ("norm", "affine"),
            "'affine: false' is for 'kind: rms_norm', or 'kind: layer_norm' with 'bias: false' "
            "(a norm without parameters)",
        )
    if spec.norm.kind not in ("no_norm",) and spec.norm.eps is None:
        err(("norm",), f"norm kind {spec.norm.kind!r} needs 'eps' (a size symbol)")

    # heads
    available = _available_heads(path.parent)
    heads: list[HeadIR] = []
    any_cross = False
    for head_name, override in spec.heads.items():
        loc = ("heads", head_name)
        if head_name not in available:
            guess = closest(head_name, available)
            err(
                loc,
                f"no head spec named {head_name!r}; available: {', '.join(sorted(available))}",
                f"did you mean {guess!r}?" if guess else None,
            )
            continue
        try:
            head_spec, head_src = load_head(available[head_name])
        except SpecError as exc:
            diags.extend(exc.diagnostics)
            continue
        files.append(available[head_name])
        override = override or None
        if override and not override.cross_attention:  # the head's flag is never read here
            head_spec = head_spec.model_copy(update={"cross_attention_config": None})
        if override and override.attention:
            head_spec = head_spec.model_copy(update={"attention": override.attention})
        if override and override.decoder_input:
            if not head_spec.encoder_decoder:
                err(("heads", head_name, "decoder_input"), "'decoder_input' is for encoder_decoder heads")
            head_spec = head_spec.model_copy(update={"decoder_input": override.decoder_input})
        layers = (
            tuple(override.layers) if override and override.layers is not None else tuple(head_spec.layers)
        )
        # Replacing the layers keeps the keys of layers that still exist; overrides rename.
        keys = dict(head_spec.keys)
        if override and override.layers is not None:
            names = {layer.name for layer in layers if layer.name}
            names |= {layer.name for b in head_spec.branches for layer in b.layers if layer.name}
            keys = {k: v for k, v in keys.items() if k.split(".")[0] in names}
        if override:
            keys.update(override.keys)
        ignore = tuple(head_spec.ignore) + (tuple(override.ignore) if override else ())
        head_input = (override.input if override and override.input else None) or head_spec.input
        any_cross = any_cross or head_spec.cross_attention_config is not None
        suffix = (override.class_suffix if override else None) or head_spec.class_suffix
        prefix = override.base_prefix if override else None
        prefixed = head_spec.prefixed if override is None or override.prefixed is None else override.prefixed
        head_ir = HeadIR(
            head_spec, spec.class_prefix + suffix, layers, head_input, keys, ignore, prefix, prefixed
        )
        _check_head(head_ir, spec, loc, err, check_symbol)
        heads.append(head_ir)

    for n, spelling in enumerate(spec.key_spellings):
        if not spelling.written or spelling.written == spelling.reads_as:
            err(("key_spellings", n, "written"), "'written' is another spelling: not empty, not 'reads_as'")
    for n, ign in enumerate(spec.ignore):
        if ign.prefix and ign.same_as:
            err(("ignore", n, "prefix"), "a 'prefix' accepts every key it starts: not with 'same_as'")
        if ign.prefix:
            for name in re.findall(r"\{(\w+)\}", ign.key):
                if name != "i":
                    check_symbol(("ignore", n, "key"), name)
    if spec.block.layer_groups is not None:
        if spec.decoder is not None:
            err(
                ("block", "layer_groups"),
                "shared layers are built for a bidirectional stack, not a 'decoder'",
            )
        for head in heads:
            if head.spec.attention == "causal":
                err(
                    ("heads", head.name),
                    f"head {head.name!r} attends causally, with a KV cache in each layer, which is not built "
                    "with shared layers ('block.layer_groups')",
                )
    if spec.attention.window_sides == "chunks":
        if spec.attention.bidirectional_when is not None:
            err(
                ("attention", "window_sides"),
                "chunks ('window_sides: chunks') are built for causal attention: not with 'bidirectional_when'",
            )
        for head in heads:
            if head.spec.attention != "causal":
                err(
                    ("heads", head.name),
                    f"head {head.name!r} attends both ways; chunks ('window_sides: chunks') are built for "
                    "causal attention: say 'attention: causal' (or drop the head)",
                )
    if plain_only:
        for head in heads:
            if head.spec.cross_attention_config is not None:
                err(
                    ("heads", head.name),
                    f"head {head.name!r} may cross-attend ({head.spec.cross_attention_config}), which is not "
                    f"built with {' or '.join(what for _, what in plain_only)}: say 'cross_attention: false'",
                )
    # keys: every slot named, no unknown slots
    slots = backbone_slots(spec, cross_attention=any_cross)
    if spec.norm.bias_free:
        _check_bias_free(spec, slots, err)
    ssm = state_space(spec)
    for slot in slots:
        if slot == "ssm.conv" and ssm is not None and ssm.conv_keys is not None:
            continue  # its keys are `state_space.conv_keys`
        if slot not in spec.keys:
            # Point at the `slot: null` that deleted it, if a delta spec did.
            where = ("keys", slot) if ("keys", slot) in merged.locs else ("keys",)
            err(where, f"no checkpoint key for slot {slot!r}")
    for slot in spec.keys:
        if slot not in slots and not spec.norm.affine and slot.endswith("norm"):
            err(
                ("keys", slot),
                f"{slot!r} is a norm without parameters ('norm.affine: false'), which reads no key: "
                "set it to null",
            )
        elif slot not in slots:
            guess = closest(slot, slots)
            err(
                ("keys", slot),
                f"unknown slot {slot!r} for this structure; slots: {', '.join(slots)}",
                f"did you mean {guess!r}?" if guess else None,
            )
    for i, slot in enumerate(spec.transposed):
        if slots.get(slot) != "linear":
            linear = [name for name, kind in slots.items() if kind == "linear"]
            guess = closest(slot, linear)
            err(
                ("transposed", i),
                f"{slot!r} is not a linear slot of this structure; linear slots: {', '.join(linear)}",
                f"did you mean {guess!r}?" if guess else None,
            )
    for slot, dims in spec.unit_dims.items():
        where = ("unit_dims", slot)
        tensors = [name for name, kind in slots.items() if kind == "tensor"]
        if slots.get(slot) != "tensor":
            guess = closest(slot, tensors)
            err(
                where,
                f"{slot!r} is not a bare tensor slot of this structure; tensor slots: {', '.join(tensors) or 'none'}",
                f"did you mean {guess!r}?" if guess else None,
            )
        elif not dims or len(set(dims)) != len(dims) or min(dims) < 0:
            err(where, f"the positions of the stored shape's unit dimensions: distinct, from 0 ({dims})")
    for slot, groups in spec.conv_weights.items():
        where = ("conv_weights", slot)
        linear = _linear_slot(slot, slots, where, err)
        if linear and (slot in spec.transposed or (spec.ffn.experts is not None and slot.startswith("ffn."))):
            err(where, "a 1x1 convolution's weight is a plain layer's: not 'transposed', not an expert's")
        elif linear and list(spec.keys.values()).count(spec.keys.get(slot)) > 1:
            err(where, "a 1x1 convolution's weight is a key of its own, not one split between slots")
        check_symbol(where, groups)
    _check_grouped_rows(spec, slots, err, check_symbol)
    layout = spec.attention.qkv_layout
    if layout != "stacked":  # a row order of one fused key; per_group's rows serve key/value heads
        named = {spec.keys.get(slot) for slot in ("attn.q", "attn.k", "attn.v")}
        grouped = spec.attention.num_kv_heads is not None
        if layout == "per_shard" and spec.attention.qkv_shards is None:
            err(("attention", "qkv_layout"), "'qkv_layout: per_shard' needs 'qkv_shards', the shard count")
        if len(named) != 1 or grouped != (layout == "per_group") or spec.block.bottleneck is not None:
            gqa = (
                "with grouped-query attention ('num_kv_heads')"
                if layout == "per_group"
                else "without grouped-query attention"
            )
            err(
                ("attention", "qkv_layout"),
                f"'qkv_layout: {layout}' orders one fused key: attn.q, attn.k and attn.v must name the same "
                f"key, {gqa} and without a bottleneck",
            )
    for knob, on in (
        ("qkv_shards", spec.attention.qkv_shards is not None),
        ("qkv_order", spec.attention.qkv_order != "qkv"),
    ):
        if on and layout != "per_shard":
            err(
                ("attention", knob),
                f"'{knob}' says how a 'qkv_layout: per_shard' key's rows fall: set that layout",
            )
    for group in (("attn.q", "attn.k", "attn.v"), ("cross.k", "cross.v")):
        flagged = [slot for slot in group if slot in spec.transposed]
        if flagged and len(flagged) < len(group):
            err(
                ("transposed", spec.transposed.index(flagged[0])),
                f"{', '.join(group)} load into one fused projection: transpose all of them or none",
            )
    shared = [s for s in ("attn.q", "attn.k", "attn.v") if s in spec.keys]
    named = {spec.keys[s] for s in shared}
    kv_fused = (  # keys then values in one key, queries apart: grouped-query attention fuses those two
        len(shared) == 3
        and spec.keys["attn.k"] == spec.keys["attn.v"] != spec.keys["attn.q"]
        and spec.attention.num_kv_heads is not None
        and spec.attention.value_head_dim is None
        and spec.attention.latent is None
    )
    if len(shared) == 3 and len(named) < 3 and not kv_fused:
        if len(named) == 2:
            err(
                ("keys", "attn.v"),
                "attn.q, attn.k and attn.v name one key (fused) or three, or, under grouped-query attention, "
                "attn.k and attn.v one key and attn.q another",
            )
        elif spec.block.bottleneck is not None:
            err(
                ("keys", "attn.q"),
                "one key for q, k and v loads into one fused projection, which a bottleneck block does "
                "not have: give them keys of their own",
            )
    if spec.keys.get("layer") == "":  # sublayers grouped by kind: each layer slot's key holds `{i}`
        for slot, key in spec.keys.items():
            if _in_layer_slot(slot) and key and "{i}" not in key:
                err(("keys", slot), "with an empty 'layer' prefix, each layer slot's key must contain '{i}'")
    elif "layer" in spec.keys and "{i}" not in spec.keys["layer"]:
        err(("keys", "layer"), "the layer prefix must contain '{i}' (the layer index)")
    if spec.embeddings.zero_padding or spec.block.zero_padding:
        where = ("embeddings", "zero_padding") if spec.embeddings.zero_padding else ("block", "zero_padding")
        if spec.decoder is not None or any(h.spec.attention == "causal" for h in heads):
            err(
                where,
                "zeroed padding is built for bidirectional stacks: no causal head, no 'decoder' section",
            )
    if spec.attention.disentangled is not None:
        _check_disentangled(spec, heads, err)
    if spec.attention.mixing == "fourier":
        _check_fourier(spec, heads, err)
    if spec.attention.mixing == "state_space":
        _check_state_space(spec, heads, err)
    elif spec.attention.state_space is not None:
        err(
            ("attention", "state_space"),
            "'state_space' sets the state-space mixing's knobs: set 'mixing: state_space'",
        )
    experts = spec.ffn.experts
    if experts is not None and experts.latent_when is not None:
        check_bool_symbol(("ffn", "experts", "latent_when"), experts.latent_when)
        if experts.latent is None:
            err(
                ("ffn", "experts", "latent_when"),
                "'latent_when' switches the latent projections: set 'latent'",
            )
    if spec.block.layer_kinds is not None:
        _check_layer_kinds(spec, err)
    if spec.ffn.kind == "none":
        _check_no_ffn(spec, err)
    elif spec.ffn.activation is None:
        err(("ffn", "activation"), f"an FFN of kind {spec.ffn.kind!r} needs its 'activation'")
    if spec.attention.masked_rows == "finite_causal":
        _check_finite_causal(spec, heads, err)
    if spec.attention.differential:
        _check_differential(spec, err)
    if emb.norm_at != "sum" and (emb.norm is False or emb.transform is not False or emb.trigram is not False):
        err(
            ("embeddings", "norm_at"),
            "'norm_at: words' norms the word embeddings as read: with a norm, and no transform or trigram",
        )
    if emb.position.when is not None:
        check_bool_symbol(("embeddings", "position", "when"), emb.position.when)
        if emb.position.kind != "learned":
            err(("embeddings", "position", "when"), "'when' switches a learned table: set 'kind: learned'")
    conv = spec.block.first_layer_conv
    if conv is not None:
        where = ("block", "first_layer_conv")
        if conv.when is not None:
            check_bool_symbol(where + ("when",), conv.when)
        if spec.decoder is not None or any(h.spec.attention == "causal" for h in heads):
            err(
                where,
                "a convolution beside the first layer is built for bidirectional stacks: no causal head, no 'decoder' section",
            )
        if spec.block.bottleneck is not None or spec.block.layer_groups is not None:
            err(
                where,
                "a convolution beside the first layer is built for plain layers: no bottleneck, no shared layers",
            )
        if isinstance(conv.activation, Switch):
            for value, fn in (conv.activation.cases or {}).items():
                if fn not in get_args(Activation):
                    err(
                        where + ("activation", "cases", value),
                        f"expected an activation ({', '.join(get_args(Activation))}), got {fn!r}",
                    )
    if spec.attention.last_out_bias and (
        spec.attention.out_bias is not False
        and (spec.attention.out_bias is not None or spec.attention.bias is not False)
    ):
        err(("attention", "last_out_bias"), "'last_out_bias' is the only output bias: set 'out_bias: false'")
    if spec.attention.last_out_bias and (spec.decoder is not None or spec.block.layer_groups is not None):
        err(("attention", "last_out_bias"), "'last_out_bias' is built for one stack of layers of their own")
    if spec.attention.bias_parts != "qkv":
        if spec.attention.bias is not True:
            err(
                ("attention", "bias_parts"),
                "'bias_parts' says which projections carry the biases: set 'bias: true'",
            )
        if spec.attention.num_kv_heads is not None or spec.attention.latent is not None:
            err(
                ("attention", "bias_parts"),
                "'bias_parts: qv' is built for fused multi-head attention: no 'num_kv_heads' or 'latent'",
            )
    if spec.attention.padded_queries != "attend" and (
        spec.decoder is not None or any(h.spec.attention == "causal" for h in heads)
    ):
        err(
            ("attention", "padded_queries"),
            "'padded_queries' is built for bidirectional stacks: no causal head, no 'decoder' section",
        )
    if spec.decoder is not None and spec.decoder.vocab is not None:
        check_symbol(("decoder", "vocab"), spec.decoder.vocab)
        if spec.decoder.embeddings != "own":
            err(("decoder", "vocab"), "a word table of the decoder's own comes with 'embeddings: own'")
    _check_seq2seq_knobs(spec, heads, err, check_symbol)

    if spec.reference is not None and not diags:
        _check_shapes(spec, heads, spec.reference.tiny, merged, err)

    if diags:
        raise SpecError(diags)
    digest = hashlib.sha256()
    for f in files:
        digest.update(_display(f).encode() + b"\0" + f.read_bytes() + b"\0")
    sources = tuple(_display(f) for f in files)
    return ArchIR(spec, tuple(heads), _display(path), digest.hexdigest()[:16], sources, path.resolve())


def _check_head(head: HeadIR, spec: ArchSpec, loc: tuple, err, check_symbol) -> None:
    names = []
    extras = []
    if isinstance(head.input, Switch):
        where = loc + ("input",)
        check_symbol(where + ("switch",), head.input.switch)
        size = spec.sizes.get(head.input.switch)
        if size is not None and size.kind != "str":
            err(
                where + ("switch",),
                f"an input switch reads a str size symbol; {head.input.switch!r} is {size.kind}",
            )
        if not head.input.cases:
            err(
                where,
                "an input switch needs 'cases' (config value -> first_token | first_kept | mean | late_mean)",
            )
        for value, case in (head.input.cases or {}).items():
            if case not in POOLINGS:
                guess = closest(case, list(POOLINGS))
                err(
                    where + ("cases", value),
                    f"an input switch picks 'first_token', 'first_kept', 'mean' or 'late_mean', not {case!r}",
                    f"did you mean {guess!r}?" if guess else None,
                )
    located = [(loc + ("layers", i), layer) for i, layer in enumerate(head.layers)]
    for b, branch in enumerate(head.spec.branches):
        located += [(loc + ("branches", b, "layers", i), layer) for i, layer in enumerate(branch.layers)]
    for n, (lloc, layer) in enumerate(located):
        # the layer before, in the same pipeline (the main one or a branch's)
        previous = located[n - 1][1] if lloc[-1] > 0 else None
        needs_name = layer.op in ("linear", "norm", "lm_decoder", "bias")
        if needs_name and not layer.name:
            err(lloc, f"a {layer.op!r} layer needs a 'name'")
        if layer.op == "linear":
            if layer.out is None:
                err(lloc, "a 'linear' layer needs 'out' (a size symbol or an integer)")
            elif isinstance(layer.out, str):
                check_symbol(lloc + ("out",), layer.out)
        if layer.op == "activation" and layer.fn is None:
            err(lloc, "an 'activation' layer needs 'fn'")
        if isinstance(layer.bias, Switch):
            if layer.op != "lm_decoder":
                err(lloc + ("bias",), "a switched bias is built for an 'lm_decoder'")
            else:
                check_symbol(lloc + ("bias", "switch"), layer.bias.switch)
                size = spec.sizes.get(layer.bias.switch)
                if size is not None and size.kind != "bool":
                    err(
                        lloc + ("bias", "switch"),
                        f"a bias switch reads a bool size symbol; {layer.bias.switch!r} is {size.kind}",
                    )
        if layer.op in ("scale", "softcap"):
            if layer.by is None:
                err(lloc, f"a {layer.op!r} layer needs 'by' (a float size symbol)")
            else:
                check_symbol(lloc + ("by",), layer.by)
            if layer.divide and layer.op == "softcap":
                err(lloc + ("divide",), "'divide' is for 'scale' layers")
        elif layer.by is not None or layer.divide:
            err(
                lloc + ("by" if layer.by is not None else "divide",),
                "'by' and 'divide' are for 'scale' layers",
            )
        if layer.op == "squeeze" and (previous is None or previous.op != "linear" or previous.out != 1):
            err(lloc, "a 'squeeze' layer follows a 'linear' layer with 'out: 1'")
        if layer.name:
            names.append(layer.name)
        if layer.op == "lm_decoder" and layer.extra_rows and layer.name:
            extras.append(f"{layer.name}.extra")
    for name in names + extras:
        if name not in head.keys:
            err(loc, f"head {head.name!r} has no checkpoint key for layer {name!r}")
    required = set(names) | {f"{n}.bias" for n in names} | set(extras)
    for key in head.keys:
        if key not in required:
            guess = closest(key, required)
            err(
                loc + ("keys", key),
                f"key for unknown head layer {key!r}",
                f"did you mean {guess!r}?" if guess else None,
            )
    # A head that keeps the pooler (`pooler: true`) but reads neither it nor its output runs
    # on a backbone without one (there is nothing to keep): DistilBERT's multiple choice reads
    # the first token. Reading the pooled vector or returning it needs one.
    reads_pooled = (
        head.input == "pooled"
        or "pooler_output" in head.spec.outputs
        or any(b.input == "pooled" for b in head.spec.branches)
    )
    if reads_pooled and spec.pooler is None:
        err(loc, f"head {head.name!r} reads the pooler output, but the spec has no 'pooler'")
    if head.spec.outputs and {"start_logits", "end_logits"} <= set(head.spec.outputs):
        last = next((layer for layer in reversed(head.layers) if layer.op == "linear"), None)
        if last is None or last.out != 2:
            err(loc, "start_logits/end_logits split the last linear layer, whose 'out' must be 2")


def _check_shapes(spec: ArchSpec, heads: list[HeadIR], tiny: dict, merged: Located, err) -> None:
    """Bind the example config and check widths: heads divide, tied shapes agree."""
    try:
        env = bind_sizes(spec.sizes, tiny)
    except ValueError as exc:
        err(("reference", "tiny"), f"example config does not bind: {exc}")
        return
    for message in check_constraints(spec, env):
        err(("reference", "tiny"), f"example config breaks a constraint: {message}")
    width = env[spec.embeddings.width]
    word = env[spec.embeddings.input_width or spec.embeddings.width]
    for head in heads:
        cur = width
        for i, layer in enumerate(head.layers):
            if layer.op == "linear" and layer.out is not None:
                cur = layer.out if isinstance(layer.out, int) else env.get(layer.out, cur)
            if layer.op == "lm_decoder" and (cur < word if layer.extra_rows else cur != word):
                err(
                    ("heads", head.name, "layers", i),
                    f"the tied decoder reads width {cur}, but the word embedding has width {word}"
                    + ("" if layer.extra_rows else " (set extra_rows: true for a wider hidden state)"),
                )


# ------------------------------------- relative bias, FFN variants, encoder-decoder


#: Slot prefixes whose checkpoint keys are relative to the layer prefix (`keys.layer`).
IN_LAYER_SLOTS = ("attn", "ssm", "cross", "ffn", "bottleneck")


def _in_layer_slot(slot: str) -> bool:
    return slot.startswith(IN_LAYER_SLOTS)


def decoder_slots(spec: ArchSpec) -> dict[str, str]:
    """The slots of an encoder-decoder's decoder stack: the word embedding's tied copy, the
    embeddings' other slots where the decoder has its own (`decoder.embeddings: own`), the layer
    slots (with cross-attention) and the final norm."""
    assert spec.decoder is not None
    own = spec.decoder.embeddings == "own"
    slots = {}
    for slot, kind in backbone_slots(spec, cross_attention=True).items():
        if slot == "embeddings.word" or (own and slot.startswith("embeddings.")):
            slots[slot] = kind
        elif slot.startswith(("attn", "cross", "ffn")) or slot in ("layer", "final_norm"):
            slots[slot] = kind
    return slots


#: Decoder slots a spec must name in `decoder.keys` (they have no encoder counterpart to inherit).
_DECODER_OWN = (
    "embeddings.word",
    "layer",
    "final_norm",
    "cross.q",
    "cross.k",
    "cross.v",
    "cross.o",
    "cross_norm",
)


def decoder_keys(spec: ArchSpec) -> dict[str, str]:
    """The decoder stack's checkpoint key of every slot: `decoder.keys` over the encoder's layer keys."""
    assert spec.decoder is not None
    slots = decoder_slots(spec)
    keys = {
        slot: key
        for slot, key in spec.keys.items()
        if slot in slots and slot not in _DECODER_OWN and not slot.startswith("embeddings.")
    }
    keys.update(spec.decoder.keys)
    return keys


_FFN_SLOTS = {
    "dense": ("ffn.up", "ffn.down", "ffn_norm"),
    "gated": ("ffn.gate", "ffn.up", "ffn.down", "ffn_norm"),
}


def _check_seq2seq_knobs(spec: ArchSpec, heads: list[HeadIR], err, check_symbol) -> None:
    """Cross-field rules of the relative bias, FFN variants, the decoder and the heads that use them."""
    rel = spec.attention.relative_bias
    if rel is not None:
        check_symbol(("attention", "relative_bias", "num_buckets"), rel.num_buckets)
        check_symbol(("attention", "relative_bias", "max_distance"), rel.max_distance)
        if rel.key_at == "backbone":
            where = ("attention", "relative_bias", "key_at")
            if rel.per_layer:
                err(where, "'key_at: backbone' places one shared table's key: set 'per_layer: false'")
            if spec.decoder is not None:
                err(
                    where,
                    "'key_at: backbone' is built without a 'decoder' section (both stacks would read one key)",
                )
            key = spec.keys.get("attn.relative_bias")
            if key is not None and "{i}" in key:
                err(("keys", "attn.relative_bias"), "a key beside the layers has no layer index '{i}'")

    ffn = spec.ffn
    if ffn.variants and ffn.variant is None:
        err(("ffn", "variants"), "'variants' needs 'variant' (the str size symbol that picks one)")
    if ffn.variant is not None:
        check_symbol(("ffn", "variant"), ffn.variant)
        size = spec.sizes.get(ffn.variant)
        if size is not None and size.kind != "str":
            err(("ffn", "variant"), f"size symbol {ffn.variant!r} must have kind 'str', not {size.kind!r}")
        if not ffn.variants:
            err(("ffn",), "'variant' needs 'variants' (the FFN structure of each value)")
        elif size is not None and size.kind == "str":
            default = size.default
            chosen = ffn.variants.get(default) if isinstance(default, str) else None
            if chosen is None:
                err(
                    ("sizes", ffn.variant),
                    f"the default {default!r} of {ffn.variant!r} picks no FFN variant; variants: "
                    f"{', '.join(ffn.variants)}",
                )
            elif (chosen.kind, chosen.activation) != (ffn.kind, ffn.activation):
                err(
                    ("ffn",),
                    f"'kind' and 'activation' ({ffn.kind}, {ffn.activation}) must describe the default variant "
                    f"{default!r} ({chosen.kind}, {chosen.activation})",
                )
        for value, variant in ffn.variants.items():
            allowed = _FFN_SLOTS[variant.kind]
            for field, keys in (("keys", variant.keys), ("decoder_keys", variant.decoder_keys)):
                for slot in keys:
                    if slot not in allowed:
                        guess = closest(slot, allowed)
                        err(
                            ("ffn", "variants", value, field, slot),
                            f"a {variant.kind} FFN variant has no slot {slot!r}; slots: {', '.join(allowed)}",
                            f"did you mean {guess!r}?" if guess else None,
                        )
            if variant.decoder_keys and spec.decoder is None:
                err(("ffn", "variants", value, "decoder_keys"), "'decoder_keys' needs a 'decoder' section")

    dec = spec.decoder
    if dec is not None:
        check_symbol(("decoder", "num_layers"), dec.num_layers)
        check_symbol(("decoder", "start_token"), dec.start_token)
        slots = decoder_slots(spec)
        for slot in dec.keys:
            if slot not in slots:
                guess = closest(slot, slots)
                err(
                    ("decoder", "keys", slot),
                    f"unknown decoder slot {slot!r}; slots: {', '.join(slots)}",
                    f"did you mean {guess!r}?" if guess else None,
                )
        for slot in slots:
            if (slot in _DECODER_OWN or slot.startswith("embeddings.")) and slot not in dec.keys:
                err(("decoder", "keys"), f"no checkpoint key for decoder slot {slot!r}")
        if "layer" in dec.keys and "{i}" not in dec.keys["layer"]:
            err(("decoder", "keys", "layer"), "the layer prefix must contain '{i}' (the layer index)")
        for knob, changed, needs in (
            ("word_multiplier", not dec.word_multiplier, spec.embeddings.multiplier is not None),
            ("norm_at", dec.norm_at != "sum", spec.embeddings.norm),
        ):
            if changed and (dec.embeddings != "own" or not needs):
                err(
                    ("decoder", knob),
                    f"'{knob}' changes the decoder's own embeddings: set 'embeddings: own', "
                    + (
                        "and an 'embeddings.multiplier'"
                        if knob == "word_multiplier"
                        else "and 'embeddings.norm'"
                    ),
                )
        if dec.embeddings == "shared" and spec.embeddings.position.kind in ("learned", "sinusoidal"):
            err(
                ("decoder", "embeddings"),
                "a decoder sharing the encoder's embeddings has no positions of its own: with a position "
                "table, set 'embeddings: own' (and the decoder's keys of its embeddings)",
            )

    for head in heads:
        loc = ("heads", head.name)
        hs = head.spec
        if hs.encoder_decoder and dec is None:
            err(loc, f"head {head.name!r} runs an encoder-decoder, but the spec has no 'decoder' section")
        if dec is not None and hs.cross_attention_config is not None:
            err(
                loc,
                f"head {head.name!r} is a decoder with optional cross-attention; an encoder-decoder spec offers "
                "its decoder through 'encoder_decoder' heads instead",
            )
        for pooling in ("mean", "first_kept"):
            if pooling in head.inputs and hs.encoder_decoder:
                err(
                    loc,
                    f"{pooling!r} pooling reads the backbone's output; an 'encoder_decoder' head reads 'last_eos'",
                )
        if head.input == "last_token" and hs.encoder_decoder:
            err(loc, "'last_token' reads the backbone's output; an 'encoder_decoder' head reads 'last_eos'")
        if head.input == "last_eos":
            check_symbol(("eos_token",), spec.eos_token)
            if not hs.encoder_decoder:
                err(loc, "'last_eos' pooling reads the decoder output of an 'encoder_decoder' head")
        if "encoder_last_hidden_state" in hs.outputs and not hs.encoder_decoder:
            err(loc, "'encoder_last_hidden_state' is an output of 'encoder_decoder' heads only")
        if hs.loss == "seq2seq_lm" and not hs.encoder_decoder:
            err(loc, "the 'seq2seq_lm' loss needs an 'encoder_decoder' head")
        if hs.decoder_input == "labels" and hs.loss == "none":
            err(loc, "decoder_input 'labels' needs a loss that takes labels")
        if hs.encoder_decoder and hs.choices:
            err(loc, "'choices' heads cannot run an encoder-decoder")
        for i, layer in enumerate(head.layers):
            if layer.op == "lm_decoder" and spec.tie_config is None:
                err(
                    ("tie_config",),
                    f"head {head.name!r} has an 'lm_decoder', which ties by 'tie_config': name a config "
                    "flag (a bool size symbol of its name decides it, `{value: false}` never ties)",
                )
            if layer.scale_when is not None:
                where = loc + ("layers", i, "scale_when")
                if layer.op != "lm_decoder":
                    err(where, "'scale_when' scales the input of an 'lm_decoder' only")
                elif layer.scale_when_tied:
                    err(where, "give 'scale_when' or 'scale_when_tied', not both")
                check_symbol(where, layer.scale_when)
                size = spec.sizes.get(layer.scale_when)
                if size is not None and size.kind != "bool":
                    err(
                        where,
                        f"'scale_when' names a bool size symbol (kind: bool); {layer.scale_when!r} is {size.kind}",
                    )
            if layer.op == "lm_decoder" and layer.bias and hs.encoder_decoder:
                err(
                    loc + ("layers", i),
                    "an 'lm_decoder' of an 'encoder_decoder' head has no bias: set 'bias: false' (a 'bias' "
                    "layer after it adds a learned row, BART's final_logits_bias)",
                )
        if hs.encoder_decoder and any(layer.op == "lm_decoder" for layer in head.layers):
            check_symbol(("eos_token",), spec.eos_token)  # generation stops at it
