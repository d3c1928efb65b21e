"""Applying a weight-mapping table: checkpoint tensors -> parameters, and back.

A table (``generated/<arch>.weights.json``) lists, per head, entries with a
named operation:

* ``rename``: one checkpoint key is one parameter;
* ``fuse``: several keys are concatenated along ``dim`` into one parameter
  (q/k/v into ``qkv``); exporting splits it into equal parts again (``torch.chunk``'s). With
  ``uneven`` (dim 0), the keys may hold any rows each, together the parameter's (OLMo-Hybrid's
  query, key and value convolution weights: OLMo-core writes each part's own width,
  ``transformers`` 5 three near-equal chunks of their concatenation); export writes the chunks;
* ``split``: one key is several parameters, its rows (along ``dim``) cut at each
  parameter's (q/k/v under grouped-query attention, a gated FFN's gate and up);
  exporting concatenates them again;
* ``transpose`` (a flag on ``rename``, ``fuse`` and ``split``): the checkpoint stores the
  weight ``(in, out)``; it loads as a transposed view and exports transposed back;
* ``index`` (a field of ``rename`` and ``split``): the key stacks several entries'
  tensors along a first dimension of its own (stacked experts, GraniteMoE's), and
  this entry reads slice ``index``; export stacks the slices again. With ``flat``, the key
  concatenates them along their first dimension instead (DBRX's ``(experts * rows, cols)``),
  read as ``(experts, rows, cols)`` and concatenated again on export;
* ``regroup`` (a flag on ``rename`` and ``split``: ``{"parts": p, "groups": <size symbol>}``): the
  checkpoint orders the rows ``(groups, parts, n)`` (each head's q, k and v rows
  together), the parameter ``(parts, groups, n)``; loading reorders them (a copy),
  export restores the checkpoint's order. With ``"heads": <size symbol>`` instead of
  ``parts``, each group holds ``heads / groups`` query rows, then a key's and a value's
  (q/k/v grouped per key/value head, Falcon-40B's); with ``"order"``, the parameter's part ``i``
  is the checkpoint's part ``order[i]`` within a group (CodeGen's shards hold q, v, k); with
  ``"by_param": true`` (on ``split``), each group holds each parameter's ``rows / groups`` rows in
  turn (``grouped_rows``: Qwen3-Next's ``in_proj_qkvz``, per key head);
* ``conv`` (a flag on ``rename`` and ``fuse``: ``{"groups": <size symbol>}``, a list of them for
  ``fuse``, one per key): the checkpoint stores a 1x1 convolution's weight, ``(out, in / groups,
  1)``; it loads as the block-diagonal dense weight it computes, and exports as its blocks again
  (refused, by key, where the dense weight has entries off its blocks);
* ``unit_dims`` (a field of ``rename``): the checkpoint's tensor holds dimensions of size 1 at these
  positions beyond the parameter's (Kimi Linear's ``A_log``, ``(1, 1, heads, 1)``); loading views
  them away, export puts them back;
* ``tie``: the parameter *is* another parameter (the MLM decoder and the word
  embedding); a tied copy in the checkpoint is accepted if it is equal;
* ``ignore``: a key the loader accepts and drops, with its reason; with ``same_as``
  it is a tied copy of another key, and must equal it; with ``prefix``, every key that
  starts with it (where ``{<size symbol>}`` is that size's value: GLM-4.5's multi-token
  prediction layer, stored after the last layer); with ``keep``, the tensors are kept
  aside (``kept``) and written back on export, as read;
* ``alias``: a key the reference keeps but does not use: the loader keeps its
  tensor aside (``kept``), and export writes it back as it was, or, when the
  checkpoint had none, as a copy of ``param``.

``when``/``unless`` name a flag (bound from config.json) that switches an entry
on or off (per layer, where ``type_flags`` says which flags a layer's type sets to which others'
values: `attention.type_sizes`); ``{i}`` expands over the layers (over the size symbol ``layers`` names,
for an entry of a stack with its own layer count; from layer ``from_layer`` where an
entry says, as a slot layer 0 lacks; over the layers with experts, or those without, where
``layers_where`` gives `ffn.experts.layers`' rules; over the layers of one kind where ``kind_where``
gives a stack of mixed layers' rule (:func:`layer_kinds`); the last layer alone for ``only_last``), and ``{e}`` over the experts of a mixture
(over the size symbol ``experts`` names). A tied copy in a checkpoint
(``tie`` key, ``same_as`` key) must equal the tensor it copies. Loading is strict: any missing,
unexpected or misshapen key raises :class:`CheckpointError` naming all of them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch

__all__ = ["CheckpointError", "Plan", "plan", "gather", "export"]


class CheckpointError(ValueError):
    """A checkpoint does not fit the mapping table; the message names every bad key."""


@dataclass(frozen=True)
class Plan:
    """A table expanded for one config: concrete entries, switched on."""

    entries: list[dict[str, Any]]

    @property
    def ignored(self) -> dict[str, str]:
        return {e["key"]: e["reason"] for e in self.entries if e["op"] == "ignore"}


def _active(entry: dict, flags: dict[str, bool]) -> bool:
    """``when``: every flag named is on; ``unless``: not every flag named is on."""

    def names(value: str | list[str]) -> list[str]:
        return [value] if isinstance(value, str) else value

    if "when" in entry and not all(flags[f] for f in names(entry["when"])):
        return False
    if "unless" in entry and all(flags[f] for f in names(entry["unless"])):
        return False
    return True


def _layer_flags(flags: dict[str, bool], rule: dict, kind: str) -> dict[str, bool]:
    """``flags`` as a layer of type ``kind`` has them: each flag its type sets takes another's value."""
    return flags | {flag: flags[source] for flag, source in rule["flags"].get(kind, {}).items()}


def _expand(value: Any, name: str, i: int) -> Any:
    if isinstance(value, str):
        return value.replace("{" + name + "}", str(i))
    if isinstance(value, list):
        return [_expand(v, name, i) for v in value]
    return value


def plan(
    entries: list[dict],
    num_layers: int,
    flags: dict[str, bool],
    stack: int = 0,
    sizes: dict[str, Any] | None = None,
) -> Plan:
    """Keep active entries; expand `{i}` over the layers (or the size an entry names in `layers`),
    `{j}` over the `stack` extra FFNs and `{e}` over the experts (the size an entry names in
    `experts`)."""
    # an entry whose conditions a layer's type may set (`type_flags`) is weighed per layer, below
    out = [dict(e) for e in entries if "type_flags" in e or _active(e, flags)]
    for entry in out:  # a regrouping names its group count by size symbol
        if "regroup" in entry:
            named = {k: (sizes or {})[v] for k, v in entry["regroup"].items() if k in ("groups", "heads")}
            entry["regroup"] = {**entry["regroup"], **named}
        if "conv" in entry:  # a 1x1 convolution's groups (one per key of a fuse)
            groups = entry["conv"]["groups"]
            named = [(sizes or {})[g] for g in groups] if isinstance(groups, list) else (sizes or {})[groups]
            entry["conv"] = {"groups": named}
        if entry["op"] == "ignore" and entry.get("prefix"):  # `{symbol}`: a size's value
            for name, value in (sizes or {}).items():
                if isinstance(value, int) and not isinstance(value, bool):
                    entry["key"] = entry["key"].replace("{" + name + "}", str(value))
    for name in ("i", "j", "e"):
        expanded = []
        for entry in out:
            text = "".join(str(entry.get(field, "")) for field in ("param", "params", "key", "keys"))
            if "{" + name + "}" not in text:
                expanded.append(entry)
                continue
            if name == "e":
                count = (sizes or {})[entry["experts"]]
            elif name == "j":
                count = stack
            else:
                count = (sizes or {})[entry["layers"]] if "layers" in entry else num_layers
            first = entry.get("from_layer", 0) if name == "i" else 0
            numbers = range(first, count)
            if name == "i" and entry.get("only_last"):  # the last layer's alone
                numbers = range(count - 1, count)
            if name == "i" and "layers_where" in entry:
                rule = entry["layers_where"]
                picked = expert_layers(rule, sizes or {}, count)
                numbers = [n for n in numbers if picked[n] == rule["experts"]]
            if name == "i" and "type_flags" in entry:  # each layer's flags, as its type sets them
                rule = entry["type_flags"]
                types = (sizes or {})[rule["types"]]
                numbers = [n for n in numbers if _active(entry, _layer_flags(flags, rule, types[n]))]
            if name == "i" and "kind_where" in entry:
                rule = entry["kind_where"]
                kinds = layer_kinds(rule, sizes or {}, count)
                numbers = [n for n in numbers if kinds[n] == rule["kind"]]
            expanded += [{k: _expand(v, name, n) for k, v in entry.items()} for n in numbers]
        out = expanded
    return Plan(out)


def layer_kinds(rule: dict, sizes: dict[str, Any], count: int) -> list[str | None]:
    """Each of ``count`` layers' kind (``attention``, ``state_space``, ``ffn``, ``experts``) under
    ``rule`` (:func:`archgen.compiler.lower.layer_kind_rule`: the size symbol ``attention_at``, the
    attending layers' indices, the others state-space; ``attention_period`` and ``attention_offset``,
    layer i attending when ``i % period == offset``; or ``types``, a list whose entries ``kinds``
    maps to kinds, ``other`` the kind of the rest; beside ``attention_at``, which decides where
    config.json has no list), as the generated module builds them; None for an entry no kind names
    (the module refuses it when built). ``counted_from``: the index ``attention_at`` gives the first layer."""
    if "attention_period" in rule:
        period = sizes[rule["attention_period"]]
        offset = sizes[rule["attention_offset"]] if "attention_offset" in rule else 0
        return ["attention" if i % period == offset else "state_space" for i in range(count)]
    if "attention_at" in rule and not ("types" in rule and sizes[rule["types"]]):
        attending = {index - rule.get("counted_from", 0) for index in sizes[rule["attention_at"]]}
        return ["attention" if i in attending else "state_space" for i in range(count)]
    by_entry = {entry: kind for kind, entries in rule["kinds"].items() for entry in entries}
    return [by_entry.get(entry, rule.get("other")) for entry in sizes[rule["types"]]]


def expert_layers(rule: dict, sizes: dict[str, Any], count: int) -> list[bool]:
    """Which of ``count`` layers hold a mixture of experts under ``rule`` (`ffn.experts.layers`:
    size symbols ``skip``, ``only``, ``step``, ``offset``, ``start``, ``end``, ``types``): layer i
    does when it is not listed in `skip`, ``i % step == offset`` (``offset`` ``step - 1`` by default) and
    ``start <= i <= end``, or, where config.json has the `types` list, when its entry i is
    ``sparse``, or where it has the `only` list, when i is in it; as the generated module builds them."""
    skip = set(sizes[rule["skip"]]) if "skip" in rule else set()
    step = sizes[rule["step"]] if "step" in rule else 1
    offset = sizes[rule["offset"]] if "offset" in rule else step - 1
    start = sizes[rule["start"]] if "start" in rule else 0
    end = sizes[rule["end"]] if "end" in rule else count
    kinds = sizes[rule["types"]] if "types" in rule else []
    if kinds:  # the list, where config.json has one, decides alone
        return [kinds[i] == rule["sparse"] for i in range(count)]
    only = set(sizes[rule["only"]]) if "only" in rule else set()
    if only:  # so does this one
        return [i in only for i in range(count)]
    return [i not in skip and i % step == offset and start <= i <= end for i in range(count)]


def gather(
    p: Plan,
    keys: set[str],
    read,
    expected_shapes: dict[str, torch.Size],
    kept: dict[str, torch.Tensor] | None = None,
) -> dict[str, torch.Tensor]:
    """Build ``{param: tensor}`` from a checkpoint; ``read(key)`` returns one tensor.

    ``keys`` are the checkpoint's keys, ``expected_shapes`` the model's
    parameter shapes; ``kept`` receives the tensors of ``alias`` keys and of ``ignore``
    keys flagged ``keep``, for :func:`export`. Raises CheckpointError listing every
    problem at once."""
    missing: list[str] = []
    misshapen: list[str] = []
    used: set[str] = set()
    state: dict[str, torch.Tensor] = {}
    stacks = _stack_sizes(p)
    stacked: dict[str, torch.Tensor | None] = {}  # each stacked key, read (and checked) once

    def one_key(e: dict, shape) -> torch.Tensor | None:
        """The entry's one key, read and checked against ``shape`` (transposed back where stored
        so; for an ``index`` entry, its slice of a key stacking ``stacks[key]`` of them); None,
        with the problem recorded, where it is missing or misshapen."""
        if e["key"] not in keys:
            if e["key"] not in missing:
                missing.append(e["key"])
            return None
        used.add(e["key"])
        want = _stored(shape, e)
        if "index" in e:
            count = stacks[e["key"]]
            if e["key"] not in stacked and e.get("flat"):  # (count * rows, ...) viewed as (count, rows, ...)
                whole = _checked(read(e["key"]), e["key"], (count * want[0], *want[1:]), misshapen)
                stacked[e["key"]] = None if whole is None else whole.view(count, *want)
            elif e["key"] not in stacked:
                stacked[e["key"]] = _checked(read(e["key"]), e["key"], (count, *want), misshapen)
            tensor = stacked[e["key"]]
            tensor = None if tensor is None else tensor[int(e["index"])]
        else:
            tensor = _checked(read(e["key"]), e["key"], want, misshapen)
        if tensor is None:
            return None
        if "unit_dims" in e:
            return tensor.view(tuple(shape))
        return tensor.t() if e.get("transpose") else tensor

    for e in p.entries:
        op = e["op"]
        if op == "ignore" and e.get("prefix"):  # every key that starts with it
            starting = [k for k in keys if k.startswith(e["key"])]
            used.update(starting)
            if e.get("keep") and kept is not None:
                kept.update((k, read(k)) for k in starting)
        elif op in ("ignore", "alias"):
            used.add(e["key"])
            if (op == "alias" or e.get("keep")) and kept is not None and e["key"] in keys:
                kept[e["key"]] = read(e["key"])
        elif op == "tie":
            if e["key"] in keys:  # an older checkpoint's copy of the tied tensor: accepted if equal (below)
                used.add(e["key"])
        elif op == "rename":
            tensor = one_key(e, expected_shapes[e["param"]])
            if tensor is not None and "conv" in e:
                tensor = _block_diagonal(tensor, e["conv"]["groups"])
            if tensor is not None:
                state[e["param"]] = _regroup(tensor, e["regroup"], back=False) if "regroup" in e else tensor
        elif op == "fuse":
            absent = [k for k in e["keys"] if k not in keys]
            used.update(k for k in e["keys"] if k in keys)  # present parts are expected, not unexpected
            if absent:
                missing.extend(absent)
                continue
            parts = [read(k) for k in e["keys"]]
            part_want = list(expected_shapes[e["param"]])
            part_want[e["dim"]] //= len(parts)
            groups = e["conv"]["groups"] if "conv" in e else [None] * len(parts)
            wants = [list(_stored(part_want, e, g)) for g in groups]
            if e.get("uneven"):  # any rows each, together the parameter's
                whole = expected_shapes[e["param"]][0]
                wants = [[t.shape[0], *part_want[1:]] for t in parts]
                if sum(t.shape[0] for t in parts) != whole:
                    rows = " + ".join(str(t.shape[0]) for t in parts)
                    misshapen.append(f"{', '.join(e['keys'])}: rows {rows}, expected {whole} together")
                    continue
            bad = [
                f"{k}: expected {tuple(want)}, got {tuple(t.shape)}"
                for k, t, want in zip(e["keys"], parts, wants)
                if list(t.shape) != want
            ]
            if bad:
                misshapen.extend(bad)
                continue
            if e.get("transpose"):
                parts = [t.t() for t in parts]
            if "conv" in e:
                parts = [_block_diagonal(t, g) for t, g in zip(parts, groups)]
            state[e["param"]] = torch.cat(parts, dim=e["dim"])
        elif op == "split":
            rows = [expected_shapes[p][e["dim"]] for p in e["params"]]
            whole = list(expected_shapes[e["params"][0]])
            whole[e["dim"]] = sum(rows)
            tensor = one_key(e, whole)
            if tensor is not None:
                tensor = _regroup(tensor, e["regroup"], back=False, rows=rows) if "regroup" in e else tensor
                state.update(zip(e["params"], tensor.split(rows, dim=e["dim"])))
        else:  # pragma: no cover - the compiler writes only these ops
            raise CheckpointError(f"unknown table operation {op!r}")
    unexpected = sorted(keys - used)
    # Tied copies a checkpoint carries must equal what they copy.
    differing: list[str] = []
    for e in p.entries:
        copy, original = None, None
        if e["op"] == "tie" and e["key"] in keys and e["to"] in state:
            copy, original, name = read(e["key"]), state[e["to"]], e["to"]
        elif e["op"] == "ignore" and e.get("same_as") in keys and e["key"] in keys:
            copy, original, name = read(e["key"]), read(e["same_as"]), e["same_as"]
        if copy is not None and not (copy.shape == original.shape and torch.equal(copy, original)):
            differing.append(f"{e['key']} (a tied copy of {name})")
    problems = []
    if missing:
        problems.append("missing keys: " + ", ".join(sorted(missing)))
    if unexpected:
        problems.append("unexpected keys: " + ", ".join(unexpected))
    if misshapen:
        problems.append("misshapen keys: " + "; ".join(misshapen))
    if differing:
        problems.append("tied copies that differ from the original: " + ", ".join(differing))
    if problems:
        raise CheckpointError("checkpoint does not match the mapping table:\n  " + "\n  ".join(problems))
    return state


def _checked(tensor: torch.Tensor, key: str, want, misshapen: list[str]) -> torch.Tensor | None:
    """``tensor`` if it has the shape ``want``; else None, with the problem recorded."""
    if tuple(tensor.shape) != tuple(want):
        misshapen.append(f"{key}: expected {tuple(want)}, got {tuple(tensor.shape)}")
        return None
    return tensor


def _stack_sizes(p: Plan) -> dict[str, int]:
    """For each key that stacks several entries' tensors (``index``), how many it holds."""
    sizes: dict[str, int] = {}
    for e in p.entries:
        if "index" in e:
            sizes[e["key"]] = max(sizes.get(e["key"], 0), int(e["index"]) + 1)
    return sizes


def _regroup(tensor: torch.Tensor, regroup: dict, back: bool, rows: list[int] | None = None) -> torch.Tensor:
    """Rows ``(groups, parts, n)`` -> ``(parts, groups, n)`` (``back``: the reverse); with
    ``heads``, each group's parts are ``heads / groups`` query rows, a key's and a value's; with
    ``by_param``, each group's parts are each parameter's ``rows / groups`` rows (``rows``: a
    split's parameters' row counts)."""
    groups = regroup["groups"]
    if regroup.get("by_param"):
        sizes = [r // groups for r in rows]
    else:
        sizes = [regroup["heads"] // groups, 1, 1] if "heads" in regroup else [1] * regroup["parts"]
    order = regroup.get("order", list(range(len(sizes))))  # the checkpoint's part of each of ours
    width = tensor.shape[0] // (groups * sum(sizes))  # rows of one part of one group
    rest = tensor.shape[1:]
    if back:  # parameter order: each part's groups -> checkpoint order: each group's parts
        ours = tensor.split([groups * sizes[i] * width for i in order])
        stored = [ours[order.index(i)].reshape(groups, size, width, *rest) for i, size in enumerate(sizes)]
        return torch.cat(stored, dim=1).reshape(tensor.shape)
    parts = tensor.reshape(groups, sum(sizes), width, *rest).split(sizes, dim=1)
    return torch.cat([parts[i].reshape(-1, *rest) for i in order])


def _stored(shape, entry: dict, groups: int | None = None) -> tuple[int, ...]:
    """The shape a checkpoint stores a parameter of ``shape`` in: transposed for ``transpose``; a
    1x1 convolution's ``(out, in / groups, 1)`` for ``conv`` (``groups``: a fused part's)."""
    if "conv" in entry:
        groups = entry["conv"]["groups"] if groups is None else groups
        return (shape[0], shape[1] // groups, 1)
    if "unit_dims" in entry:  # dimensions of size 1 at these positions of the stored shape
        stored = list(shape)
        for position in entry["unit_dims"]:
            stored.insert(position, 1)
        return tuple(stored)
    return tuple(reversed(shape)) if entry.get("transpose") else tuple(shape)


def _block_diagonal(weight: torch.Tensor, groups: int) -> torch.Tensor:
    """A grouped 1x1 convolution's weight ``(out, in / groups, 1)`` as the dense ``(out, in)``
    weight it computes: group ``g``'s output rows read only its own inputs."""
    weight = weight[..., 0]
    rows, width = weight.shape[0] // groups, weight.shape[1]
    dense = weight.new_zeros(weight.shape[0], width * groups)
    for g in range(groups):
        dense[g * rows : (g + 1) * rows, g * width : (g + 1) * width] = weight[g * rows : (g + 1) * rows]
    return dense


def _conv_blocks(dense: torch.Tensor, groups: int, key: str) -> torch.Tensor:
    """The inverse of :func:`_block_diagonal`; a dense weight with entries off its blocks is refused."""
    rows, width = dense.shape[0] // groups, dense.shape[1] // groups
    blocks = torch.cat([dense[g * rows : (g + 1) * rows, g * width : (g + 1) * width] for g in range(groups)])
    if groups > 1 and not torch.equal(_block_diagonal(blocks[..., None], groups), dense):
        raise CheckpointError(
            f"{key}: the weight has entries off its {groups} diagonal blocks, which a grouped convolution cannot store"
        )
    return blocks[..., None]


def ties(p: Plan) -> list[tuple[str, str]]:
    """(param, target) pairs that must share storage after loading."""
    return [(e["param"], e["to"]) for e in p.entries if e["op"] == "tie"]


def export(
    p: Plan, params: dict[str, torch.Tensor], kept: dict[str, torch.Tensor] | None = None
) -> dict[str, torch.Tensor]:
    """The inverse of :func:`gather`: parameters (and the ``alias`` tensors it ``kept``) ->
    checkpoint tensors (tied copies are not written)."""
    out: dict[str, torch.Tensor] = {}
    slices: dict[str, dict[int, torch.Tensor]] = {}  # the slices of each stacked key, by index
    flat = {e["key"] for e in p.entries if e.get("flat")}  # concatenated, not stacked
    for e in p.entries:
        if e["op"] in ("rename", "split") and "index" in e:
            names = [e["param"]] if e["op"] == "rename" else e["params"]
            tensor = torch.cat([params[name].detach() for name in names], dim=e.get("dim", 0))
            tensor = _regroup(tensor, e["regroup"], back=True) if "regroup" in e else tensor
            slices.setdefault(e["key"], {})[int(e["index"])] = tensor.t() if e.get("transpose") else tensor
        elif e["op"] == "rename":
            tensor = params[e["param"]].detach()
            tensor = _regroup(tensor, e["regroup"], back=True) if "regroup" in e else tensor
            tensor = _conv_blocks(tensor, e["conv"]["groups"], e["key"]) if "conv" in e else tensor
            tensor = tensor.reshape(_stored(tensor.shape, e)) if "unit_dims" in e else tensor
            out[e["key"]] = (tensor.t() if e.get("transpose") else tensor).contiguous()
        elif e["op"] == "ignore" and e.get("keep") and e.get("prefix"):  # each key it kept, as read
            out.update((k, t.contiguous()) for k, t in (kept or {}).items() if k.startswith(e["key"]))
        elif e["op"] == "ignore" and e.get("keep") and e["key"] in (kept or {}):  # as it was read
            out[e["key"]] = kept[e["key"]].contiguous()
        elif e["op"] == "alias":  # its own storage: safetensors refuses shared tensors
            param = params[e["param"]].detach()
            own = (kept or {}).get(e["key"])
            out[e["key"]] = param.clone() if own is None else own.to(param.dtype).contiguous()
        elif e["op"] == "split":
            parts = [params[p].detach() for p in e["params"]]
            whole = torch.cat(parts, dim=e["dim"])
            rows = [part.shape[e["dim"]] for part in parts]
            whole = _regroup(whole, e["regroup"], back=True, rows=rows) if "regroup" in e else whole
            out[e["key"]] = (whole.t() if e.get("transpose") else whole).contiguous()
        elif e["op"] == "fuse":
            parts = params[e["param"]].detach().chunk(len(e["keys"]), dim=e["dim"])
            if len(parts) != len(e["keys"]):  # an uneven fuse's rows too few to chunk into every key
                rows = params[e["param"]].shape[e["dim"]]
                raise CheckpointError(f"{e['param']}: {rows} rows do not chunk into {len(e['keys'])} keys")
            groups = e["conv"]["groups"] if "conv" in e else [None] * len(parts)
            for key, part, g in zip(e["keys"], parts, groups):
                part = part if g is None else _conv_blocks(part, g, key)
                out[key] = (part.t() if e.get("transpose") else part).contiguous()
    for key, by_index in slices.items():
        join = torch.cat if key in flat else torch.stack
        out[key] = join([by_index[i] for i in range(len(by_index))]).contiguous()
    return out
