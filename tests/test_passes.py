"""The rewrite of exported programs that keeps activations between weight-first layers
feature-major (runtime/passes.py): what it moves, what it leaves, and that values stay equal."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn
from torch.export import Dim

from archgen.runtime.artifacts import DECOMPOSITIONS
from archgen.runtime.orientation import WeightFirstLinear
from archgen.runtime.passes import sink_pointwise_through_views

aten = torch.ops.aten


def _linear(n_in: int, n_out: int) -> WeightFirstLinear:
    layer = WeightFirstLinear(n_in, n_out)
    layer.weight_first = True
    return layer


class Layers(nn.Module):
    """A plain FFN and a gated one, both weight-first, and two ops the rewrite must leave."""

    def __init__(self, d: int = 16, f: int = 24):
        super().__init__()
        self.up, self.down = _linear(d, f), _linear(f, d)
        self.gate, self.wi, self.wo = _linear(d, f), _linear(d, f), _linear(f, d)
        self.scale = nn.Parameter(torch.randn(f))

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        plain = self.down(F.relu(self.up(x)))
        gated = self.wo(F.gelu(self.gate(x)) * self.wi(x))
        # broadcasting (a (f,) vector times a view): not one shape, left as it is
        scaled = self.up(x) * self.scale
        # a copy whose point is its layout: left as it is
        heads = self.up(x).unflatten(-1, (4, 6)).permute(0, 2, 1, 3).contiguous()
        return plain + gated, scaled, heads


def _export(module: nn.Module, x: torch.Tensor) -> torch.export.ExportedProgram:
    """Exported and decomposed as artifacts are (reshape and unflatten become views)."""
    program = torch.export.export(module, (x,), dynamic_shapes=({0: Dim.AUTO, 1: Dim.AUTO},))
    return program.run_decompositions(DECOMPOSITIONS)


def _calls(program: torch.export.ExportedProgram, target) -> list[torch.fx.Node]:
    return [n for n in program.graph.nodes if n.op == "call_function" and n.target == target]


@torch.no_grad()
def test_elementwise_ops_run_on_the_products_and_values_stay_equal() -> None:
    torch.manual_seed(0)
    module = Layers().eval()
    x = torch.randn(2, 5, 16)
    program = _export(module, x)
    before = program.module()(x)

    assert sink_pointwise_through_views(program.graph_module) == 3  # relu, gelu, then the product

    # relu, gelu and the gated product now read the addmm products directly, not a view of them
    for target in (aten.relu.default, aten.gelu.default):
        (node,) = _calls(program, target)
        assert node.args[0].target == aten.addmm.default, node.format_node()
    (gelu,) = _calls(program, aten.gelu.default)
    (product,) = gelu.users
    assert product.target == aten.mul.Tensor and product.args[1].target == aten.addmm.default
    # and the result is viewed back: the next weight-first layer reads the product as written
    (down,) = [n for n in _calls(program, aten.addmm.default) if n.args[1].name.endswith("down_weight")]
    chain, node = [], down.args[2]
    while node.target != aten.relu.default:
        chain.append(node.target)
        node = node.args[0]
    assert chain == [aten.t.default, aten.view.default, aten.view.default, aten.t.default]

    # the broadcast product and the layout copy are as they were
    (scaled,) = [n for n in _calls(program, aten.mul.Tensor) if n.args[1].op == "placeholder"]
    assert scaled.args[0].target == aten.view.default
    (copy,) = _calls(program, aten.clone.default)
    assert copy.args[0].target == aten.permute.default

    # equal up to float rounding: the next GEMM reads its operand the other way round
    for got, want in zip(program.module()(x), before, strict=True):
        torch.testing.assert_close(got, want, atol=1e-6, rtol=0)
    other = torch.randn(3, 7, 16)  # another batch and length: the dims stayed dynamic
    for got, want in zip(program.module()(other), module(other), strict=True):
        torch.testing.assert_close(got, want, atol=1e-6, rtol=0)


def test_nothing_to_move_leaves_the_program_alone() -> None:
    module = nn.Sequential(nn.Linear(8, 8), nn.GELU(), nn.Linear(8, 8)).eval()  # token-major: no views
    program = _export(module, torch.randn(2, 3, 8))
    code = program.graph_module.code
    assert sink_pointwise_through_views(program.graph_module) == 0
    assert program.graph_module.code == code
