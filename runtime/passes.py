"""Rewrites of exported programs, applied before inductor compiles them (``runtime/artifacts.py``).

:func:`sink_pointwise_through_views` computes an elementwise op on the tensor that a
chain of views was taken of, and takes the same views of its result:
``gelu(view(t(addmm(...))))`` becomes ``view(t(gelu(addmm(...))))``. The op's values
are the same (an elementwise op commutes with any view that keeps every element
once); what changes is the layout inductor gives its output, so a GEMM that reads it
may round differently (its operand is read the other way round).

Why: a weight-first linear layer (``runtime/orientation.py``) returns its product
transposed, ``(W @ x.T).T``, so its output is feature-major in memory. Inductor
stores a new buffer in the logical order of the op that makes it, so the FFN's
activation comes out token-major, and the next weight-first layer reads it
transposed: inductor's activation kernel transposes 8x8 tiles on the way, and the
GEMM reads its operand the slow way round. After the rewrite the activation
runs over the product in its own order and the next GEMM reads it as written.
Compiled, b1x128, same process, calls alternating: XLM-R base 158.1 -> 152.7 ms,
the UMT5-small encoder 36.6 -> 36.0 ms; at b8x128 (token-major layers, nothing to
move) and on MobileBERT (no layer qualifies) the times are unchanged.
"""

from __future__ import annotations

import torch
from torch import fx
from torch._guards import detect_fake_mode

__all__ = ["sink_pointwise_through_views"]

aten = torch.ops.aten

#: Views that keep every element exactly once (so an elementwise op commutes with them).
VIEWS = {
    aten.t.default,
    aten.view.default,
    aten._unsafe_view.default,
    aten.permute.default,
    aten.transpose.int,
    aten.unsqueeze.default,
    aten.squeeze.dim,
    aten.squeeze.dims,
}


def _chain(node: fx.Node) -> tuple[fx.Node, list[fx.Node]]:
    """The tensor a chain of :data:`VIEWS` starts from, and the chain's nodes from there to ``node``."""
    chain = []
    while isinstance(node, fx.Node) and node.op == "call_function" and node.target in VIEWS:
        chain.append(node)
        node = node.args[0]
    return node, chain[::-1]


def _signature(chain: list[fx.Node]) -> tuple:
    """What a chain does, apart from what it starts from: its ops and their other arguments."""
    return tuple((n.target, n.args[1:], tuple(sorted(n.kwargs.items()))) for n in chain)


#: Elementwise ops whose point is a layout: a view of their result is not the same tensor.
COPIES = {aten.clone.default, aten._to_copy.default}


def _pointwise(node: fx.Node) -> bool:
    target = node.target
    return (
        node.op == "call_function"
        and isinstance(target, torch._ops.OpOverload)
        and torch.Tag.pointwise in target.tags
        and target not in COPIES
        and not target._schema.is_mutable  # an in-place op writes through the views it is given
        and "memory_format" not in node.kwargs
        and isinstance(node.meta.get("val"), torch.Tensor)
    )


def _layout(value: fx.Node | torch.Tensor) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Shape and strides of a node's traced value (or a value), comparable without guards
    (symbolic sizes by their expressions)."""
    value = value.meta["val"] if isinstance(value, fx.Node) else value
    return tuple(map(str, value.shape)), tuple(map(str, value.stride()))


def _vals(args):
    """``args`` with every node (tensors, symbolic sizes) replaced by its traced value."""
    return fx.node.map_arg(args, lambda n: n.meta["val"])


def sink_pointwise_through_views(graph_module: fx.GraphModule) -> int:
    """Rewrite ``f(views(a), views(b), ...)`` as ``views(f(a, b, ...))`` in place; return how many.

    Expects a decomposed program (``run_decompositions``), where ``reshape`` and
    ``unflatten`` are ``view`` ops. Rewritten: a functional elementwise op
    (``torch.Tag.pointwise``; not a copy whose point is its layout) whose tensor
    arguments are all the same non-empty chain of :data:`VIEWS` (same ops, same sizes)
    of tensors of one layout, each of the op's output's shape (so nothing broadcasts),
    and whose result is not itself a program output (its name is part of the program's
    signature). Scalars may be mixed in. Nodes are visited in order, so ops in a row
    sink one after another (a gated FFN's ``gelu(a) * b``)."""
    graph = graph_module.graph
    sunk = 0
    for node in list(graph.nodes):
        if not _pointwise(node) or any(user.op == "output" for user in node.users):
            continue
        tensors = [a for a in node.args if isinstance(a, fx.Node)]
        if not tensors or any(isinstance(v, fx.Node) for v in node.kwargs.values()):
            continue
        chains = [_chain(a) for a in tensors]
        if not chains[0][1] or len({_signature(chain) for _, chain in chains}) != 1:
            continue
        if len({_layout(a)[0] for a in [node, *tensors]}) != 1:
            continue
        bases = [base for base, _ in chains]
        if len({_layout(b) for b in bases}) != 1:
            continue
        swap = dict(zip(tensors, bases))
        args = tuple(swap.get(a, a) for a in node.args)
        fake_mode = detect_fake_mode([node.meta["val"]])
        with fake_mode:
            value = node.target(*_vals(args), **node.kwargs)
        # A view's legality depends on its input's strides: the chain is taken again of a
        # tensor laid out as the bases are, or not at all.
        if _layout(value) != _layout(bases[0]):
            continue
        # Inserted after the node itself: every base, and every size a view takes, is defined before it.
        with graph.inserting_after(node):
            last = graph.call_function(node.target, args, dict(node.kwargs))
        last.meta["val"] = value
        for view in chains[0][1]:
            with graph.inserting_after(last):
                last = graph.call_function(view.target, (last, *view.args[1:]), dict(view.kwargs))
            with fake_mode:
                last.meta["val"] = view.target(*_vals(last.args), **view.kwargs)
        node.replace_all_uses_with(last)
        graph.erase_node(node)
        for _, chain in dict.fromkeys((base, tuple(chain)) for base, chain in chains):
            for view in reversed(chain):  # the old views, if nothing else reads them
                if not view.users:
                    graph.erase_node(view)
        sunk += 1
    if sunk:
        graph_module.recompile()
    return sunk
