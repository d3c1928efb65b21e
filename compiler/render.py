"""Rendering: IR -> Python source (Jinja2) and the weight-mapping table (JSON).

Both are pure functions of the IR. The source is formatted with the pinned
ruff as the last step, so output is byte-for-byte deterministic.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import jinja2

from . import _seq2seq as _s2s
from .lower import (
    IN_LAYER_SLOTS,
    ArchIR,
    HeadIR,
    all_layers,
    backbone_slots,
    layer_kind_rule,
    norm_tensors,
    state_space,
)
from .schema import ArchSpec, StateSpaceSpec, Switch

__all__ = ["render_module", "render_table", "format_source", "GENERATOR"]

GENERATOR = "archgen 0.1.0"
TEMPLATES = Path(__file__).parent / "templates"

_ENV = jinja2.Environment(
    loader=jinja2.FileSystemLoader(TEMPLATES),
    trim_blocks=True,
    lstrip_blocks=True,
    keep_trailing_newline=True,
    undefined=jinja2.StrictUndefined,
)
_ENV.tests["switch"] = lambda value: isinstance(value, Switch)

_ACT = {
    "gelu": "F.gelu({})",
    "gelu_tanh": 'F.gelu({}, approximate="tanh")',
    "relu": "F.relu({})",
    "tanh": "torch.tanh({})",
    "silu": "F.silu({})",
    "relu2": "F.relu({}).square()",
    "xielu": "self.act({})",  # an activation with parameters: the FFN's module
}


def act(fn: str, expr: str) -> str:
    return _ACT[fn].format(expr)


def norm_ctor(kind: str, width: str, eps: str, bias: bool = True, affine: bool = True) -> str:
    """Python that builds one norm of ``kind`` (a `layer_norm` without a bias unless ``bias``; a
    `layer_norm` or `rms_norm` without parameters at all unless ``affine``)."""
    if kind == "layer_norm":
        if not affine:
            return f"nn.LayerNorm({width}, eps={eps}, elementwise_affine=False)"
        return f"nn.LayerNorm({width}, eps={eps}{'' if bias else ', bias=False'})"
    if kind == "rms_norm":
        return f"RMSNorm({width}, {eps})" if affine else f"PlainRMSNorm({width}, {eps})"
    if kind == "offset_layer_norm":
        return f"OffsetLayerNorm({width}, eps={eps})"
    if kind == "offset_rms_norm":
        return f"OffsetRMSNorm({width}, {eps})"
    return f"NoNorm({width})"


def _latent_text(latent) -> str:
    """Latent attention's paths, in words (for the generated module's docstring)."""
    query = (
        f"queries through rank `{latent.q_rank}`"
        + (f" when config `{latent.q_rank_when}`" if latent.q_rank_when else "")
        if latent.q_rank
        else "queries by one projection"
    )
    return (
        f"latent (keys and values from a `{latent.kv_rank}`-wide latent plus "
        + (f"an unrotated `{latent.shared_dim}`-wide key part" if latent.shared_dim else "a rotated key part")
        + f" shared by the heads, `{latent.value_dim}` value features per head; {query}), "
    )


def _norm_factory(spec: ArchSpec):
    def norm(width: str, eps: str | None = None, kind: str | None = None, slot: str | None = None) -> str:
        """The backbone's norm (or ``kind``) at ``width``; ``eps`` overrides the epsilon symbol;
        ``slot`` names the norm's slot (`norm.bias_free` may list it)."""
        eps_expr = f"config.{eps or spec.norm.eps}"
        if kind is None and isinstance(spec.norm.kind, Switch):
            return f"make_norm(config, {width}, {eps_expr})"
        own = kind is not None  # a head's norm of its own kind: weight and bias
        return norm_ctor(
            kind or spec.norm.kind,
            width,
            eps_expr,
            bias=own or (spec.norm.bias and slot not in spec.norm.bias_free),
            affine=own or spec.norm.affine,
        )

    return norm


def norm_kinds(spec: ArchSpec, heads: tuple[HeadIR, ...] = ()) -> set[str]:
    """Every norm kind the generated module may build."""
    kinds = set(spec.norm.kind.cases.values()) if isinstance(spec.norm.kind, Switch) else {spec.norm.kind}
    for head in heads:
        kinds |= {layer.norm_kind for layer in all_layers(head) if layer.op == "norm" and layer.norm_kind}
    return kinds


def cond(knob) -> str:
    """Python for a bool-or-switch knob's truth: ``config.<switch>`` or a literal."""
    return f"config.{knob.switch}" if isinstance(knob, Switch) else str(bool(knob))


def switched(knob, on: str, off: str) -> str:
    """Python for a bool-or-switch knob: ``on if config.<switch> else off``, or the literal side."""
    if isinstance(knob, Switch):
        return f"{on} if config.{knob.switch} else {off}"
    return on if knob else off


# ------------------------------------------------------------------ the docs


def _knob(knob) -> str:
    """A knob's value for the docs: a literal, or the config switch that picks it."""
    if isinstance(knob, Switch):
        cases = f" ({', '.join(f'{k} -> {v}' for k, v in knob.cases.items())})" if knob.cases else ""
        return f"config `{knob.switch}`{cases}"
    return str(knob)


def _bias_text(knob: bool | Switch) -> str:
    """A bias knob in words: always, none, or when a config switch is on."""
    return f"when config `{knob.switch}`" if isinstance(knob, Switch) else "always" if knob else "none"


def placement(s: ArchSpec) -> str:
    """The layer's norm placement in words."""
    if s.block.parallel is True:
        return "parallel attention and FFN, pre-norm" + (", one shared norm" if s.block.shared_norm else "")
    if s.block.parallel:
        return f"pre-norm, attention and FFN in parallel when config `{s.block.parallel.switch}`"
    if s.block.placement == "sandwich" and isinstance(s.block.output_norms, Switch):
        return f"sandwich-norm when config `{s.block.output_norms.switch}`, else pre-norm"
    return f"{s.block.placement}-norm" + ("" if s.block.first_attn_norm else " (layer 0 without `attn_norm`)")


def _switched_text(knob: bool | Switch, text: str) -> str:
    """``text`` for a knob that is on, with the config switch that turns it on; '' when off."""
    if isinstance(knob, Switch):
        return f"{text} when config `{knob.switch}`"
    return text if knob else ""


def _norm_text(knob: bool | Switch, at: str = "sum") -> str:
    """The embedding norm in words; of the words alone where ``at`` says so."""
    what = " (of the words alone, before the rest is added)" if at == "words" else ""
    return _switched_text(knob, f", then norm{what}")


def _disentangled_text(d) -> str:
    """Disentangled attention in words, for the generated docstrings."""
    terms = [_switched_text(getattr(d, name), name) for name in ("c2p", "p2c")]
    return (
        f", disentangled relative positions ({' and '.join(t for t in terms if t)}) from a shared table "
        f"of 2 * `{d.span}` rows"
        + (f", log-bucketed by `{d.buckets}`" if d.buckets else "")
        + _switched_text(d.table_norm, ", normed")
        + _switched_text(d.shared_projections, ", projected by each layer's q and k")
    )


def _features(s: ArchSpec) -> list[str]:
    pos = s.embeddings.position
    pos_text = {
        "none": "none",
        "learned": f"learned absolute, {pos.ids.replace('_', ' ')} ids"
        + (f", when config `{pos.when}`" if pos.when else ""),
        "sinusoidal": f"sinusoidal absolute (a computed table), {pos.ids.replace('_', ' ')} ids",
        "rotary": (
            f"rotary in the layers config `{pos.rotary_layers.types}` marks `{pos.rotary_layers.roped}`"
            + (
                f" (and those with the dense FFN when config `{pos.rotary_layers.dense_when}`)"
                if pos.rotary_layers.dense_when
                else ""
            )
            + ", none in the others"
            if pos.rotary_layers
            else "rotary in every self-attention"
        )
        + f" (theta `{pos.theta}`"
        + (
            f", the {'last' if s.attention.latent else 'first'} `{pos.rotary_dim}` features of each head"
            if pos.rotary_dim
            else ""
        )
        + (
            f", adjacent features paired when config `{pos.rotary_pairs.switch}`"
            if isinstance(pos.rotary_pairs, Switch)
            else ", adjacent features paired"
            if pos.rotary_pairs == "adjacent"
            else ""
        )
        + (", pairs turned by minus their angles" if pos.rotary_direction == "reversed" else "")
        + (f", each layer at its theta in config `{pos.theta_layers}` (0: none)" if pos.theta_layers else "")
        + (
            f", scaled by config `{pos.scaling.params}`"
            + (f" per layer type (config `{pos.scaling.layer_types}`)" if pos.scaling.layer_types else "")
            + f": {', '.join(pos.scaling.types)}"
            if pos.scaling
            else ""
        )
        + (
            f", queries scaled by position (config `{pos.query_scale.beta}` per `{pos.query_scale.period}`"
            + (", power law" if pos.query_scale.law == "power" else "")
            + (f", positions from {pos.query_scale.offset}" if pos.query_scale.offset else "")
            + (", in the layers without rotary positions" if pos.query_scale.layers == "unrotated" else "")
            + ")"
            if pos.query_scale
            else ""
        )
        + f"), {pos.ids} ids",
        "alibi": "ALiBi: a per-head linear bias on each key's position, in every self-attention",
    }[pos.kind]
    token_text = (
        f" + token type when config `{s.embeddings.token_type.switch}`"
        if isinstance(s.embeddings.token_type, Switch)
        else " + token type"
        if s.embeddings.token_type
        else ""
    )
    lines = [
        f"norm: {_knob(s.norm.kind)}{'' if s.norm.affine else ' without parameters'}, {placement(s)}"
        + (", final norm" if s.block.final_norm else "")
        + ("; residual sums weighted by depth" if s.block.depth_scaled_residuals else "")
        + ("; padding zeroed after every layer" if s.block.zero_padding else ""),
        f"positions: {pos_text}",
        f"embeddings: word{token_text}"
        f"{' + position' if pos.kind in ('learned', 'sinusoidal') else ''}{_norm_text(s.embeddings.norm, s.embeddings.norm_at)}"
        f"{', then transform' if s.embeddings.transform_at == 'sum' else ''}"
        f"{'; token dropout scales each sequence by its share of mask tokens' if s.embeddings.token_dropout else ''}"
        f"{'; padding enters the layers as zeros' if s.embeddings.zero_padding else ''}",
        "attention: "
        + (
            _latent_text(s.attention.latent)
            if s.attention.latent
            else f"a mixture of attention heads (each token's queries and output projection from its "
            f"`{s.attention.experts.top_k}` best of `{s.attention.experts.count}` experts, "
            f"`{s.attention.num_kv_heads}` shared key/value heads), "
            if s.attention.experts
            else f"grouped-query (`{s.attention.num_kv_heads}` key/value heads; q, k and v apart), "
            if s.attention.num_kv_heads and s.attention.value_head_dim
            else f"grouped-query (`{s.attention.num_kv_heads}` key/value heads; q apart, k/v fused), "
            if s.attention.num_kv_heads
            else "fused q/k/v, "
            if not s.block.bottleneck
            else ""
        )
        + {
            "inverse_sqrt_head_dim": "scaled by 1/sqrt(head_dim)",
            "none": "no scaling",
            "size": f"scaled by `{s.attention.scale_size}`",
        }[s.attention.scale]
        + (
            ", query and value biases (none on the keys), an output bias"
            if s.attention.bias_parts == "qv"
            else f", biases: {'q_a/kv_a' if s.attention.latent else 'q/k/v'} {_bias_text(s.attention.bias)}, "
            f"output {_bias_text(out_bias(s))}"
            if isinstance(s.attention.bias, Switch) or isinstance(out_bias(s), Switch)
            else ", with biases"
            if s.attention.bias and out_bias(s)
            else ", no biases"
            if not s.attention.bias and not out_bias(s)
            else ", q/k/v biases only"
            if s.attention.bias
            else ", an output bias only"
        )
        + (
            ""
            if s.attention.qk_norm is False
            else {
                "head": ", each head's queries and keys normed",
                "head_weights": ", each head's queries and keys normed, with a weight for each head",
                "head_plain": ", each head's queries and keys normed without weights",
                "all_heads": ", queries and keys normed across all heads' features",
            }[s.attention.qk_norm_scope]
            + ("" if s.attention.qk_norm is True else f" when config `{s.attention.qk_norm.switch}`")
            + (" (after rotary positions)" if s.attention.qk_norm_at == "after_rotary" else "")
            + (" in the layers with rotary positions" if s.attention.qk_norm_layers == "rotated" else "")
        )
        + (f", scores capped by `{s.attention.softcap}`" if s.attention.softcap else "")
        + (_disentangled_text(s.attention.disentangled) if s.attention.disentangled else "")
        + {
            "attend": "",
            "blocked": ", a padding slot's query blocked from every key",
            "zeroed": ", a padding slot's query attending to nothing (its output zero)",
        }[s.attention.padded_queries]
        + (
            ", a learned sink logit per head in the softmax"
            + (
                f" (where config `{s.attention.sinks.switch}`)"
                if isinstance(s.attention.sinks, Switch)
                else ""
            )
            if s.attention.sinks
            else ""
        )
        + (f", values `{s.attention.value_head_dim}` wide per head" if s.attention.value_head_dim else "")
        + (f", values scaled by `{s.attention.value_scale}`" if s.attention.value_scale else "")
        + (
            f", each layer's query heads from config `{s.attention.heads_per_layer}`"
            if s.attention.heads_per_layer
            else ""
        )
        + (
            f", sizes set by each layer's type (config `{s.attention.type_sizes.types}`)"
            if s.attention.type_sizes
            else ""
        )
        + (
            ", differential (the first half of the heads minus λ times the second, over paired values)"
            if s.attention.differential
            else ""
        )
        + (", the joined heads normed before the output projection" if s.attention.sub_norm else "")
        + (_gate_text(s.attention) if s.attention.output_gate else "")
        + (f", queries, keys and values clamped to `{s.attention.clip}`" if s.attention.clip else "")
        + (
            (
                f", chunks of `{s.attention.sliding_window}` slots"
                if s.attention.window_sides == "chunks"
                else f", a sliding window of `{s.attention.sliding_window}`"
            )
            + f" in the layers config `{s.attention.window_layers.types}` marks `{s.attention.window_layers.windowed}`"
            if s.attention.window_layers
            else ""
        )
        + {
            "past": "",
            "both": " (the window reaches both sides)",
            "follows_attention": " (a bidirectional model's window reaches both sides)",
            "chunks": " (a query sees the earlier keys of its own chunk)",
        }[s.attention.window_sides]
        + (
            f"; every causal head attends both ways when config `{s.attention.bidirectional_when}`"
            if s.attention.bidirectional_when
            else ""
        ),
        f"ffn: {s.ffn.kind}, {s.ffn.activation}"
        + (
            f", biases when config `{s.ffn.bias.switch}`"
            if isinstance(s.ffn.bias, Switch)
            else ", with biases"
            if s.ffn.bias
            else ", no biases"
        )
        + (", the inner activations normed before the down projection" if s.ffn.sub_norm else "")
        + (
            f", its product clamped (limit `{s.ffn.clamped_glu.limit}`, slope `{s.ffn.clamped_glu.alpha}`)"
            if s.ffn.clamped_glu
            else ""
        )
        + (
            f", its activations clamped at each layer's limit in config `{s.ffn.glu_limits.routed}`"
            + (
                f" (`{s.ffn.glu_limits.shared}` for the shared expert and dense FFNs)"
                if s.ffn.glu_limits.shared
                else ""
            )
            if s.ffn.glu_limits
            else ""
        )
        + (", gate and up rows interleaved in their key" if s.ffn.gate_up_order == "interleaved" else ""),
        "pooler: first token -> dense -> " + s.pooler.activation if s.pooler else "pooler: none",
    ] + _s2s.seq2seq_features(s)
    if s.attention.mixing == "fourier":
        lines[3] = (
            "attention: none; tokens mix through the real part of a 2-D Fourier transform over each row's "
            "slots and features, padding included"
        )
    ssm, rule = state_space(s), layer_kind_rule(s)
    if ssm is not None and rule is not None:
        counted = f" (counted from {rule['counted_from']})" if rule.get("counted_from") else ""
        if "attention_at" in rule and "types" not in rule:
            where = f"in the layers config `{rule['attention_at']}`{counted} does not list"
        elif "attention_period" in rule:
            offset = f"`{rule['attention_offset']}`" if "attention_offset" in rule else "0"
            where = f"in the layers whose index modulo config `{rule['attention_period']}` is not {offset}"
        else:
            where = f"in the layers config `{rule['types']}` marks {', '.join(rule['kinds']['state_space'])}"
            if "attention_at" in rule:
                where += f"; without the list, those config `{rule['attention_at']}`{counted} does not list"
        lines.append(f"state-space mixing {where} ({_state_space_sizes(s, ssm)}), the other layers attending")
    if s.block.layer_kinds is not None:
        lines.append(
            f"layers: one sublayer each, of the kind config `{s.block.layer_kinds.types}` names: attention, "
            "state-space mixing, a dense FFN or the experts"
        )
    if ssm is not None and rule is None:
        lines[3] = (
            f"attention: none; state-space mixing ({_state_space_sizes(s, ssm)}"
            + (f", then {ssm.activation}" if ssm.form != "gated_conv" else "")
            + (f", time steps clamped to `{ssm.time_step_limit}`" if ssm.time_step_limit else "")
            + "), over each token's own sequence"
        )
    if s.ffn.kind == "none":
        lines[4] = "ffn: none (a layer is its mixing sublayer alone)"
    if s.pooler and s.pooler.dense is not True:
        lines[-1] += f" (dense: {_knob(s.pooler.dense)}; else the first token itself)"
    if s.embeddings.input_width:
        lines.append(f"word table width: `{s.embeddings.input_width}`")
    if s.embeddings.trigram is not False:
        lines.append(f"trigram input: {_knob(s.embeddings.trigram)}")
    if s.embeddings.transform is not False:
        lines.append(f"embedding transform to `{s.embeddings.width}`: {_knob(s.embeddings.transform)}")
    if s.block.bottleneck:
        b = s.block.bottleneck
        lines.append(
            f"bottleneck to `{b.size}`: {_knob(b.enabled)}; q/k/v from the bottleneck: "
            f"{_knob(b.attention_from_bottleneck)}; shared q/k bottleneck: {_knob(b.shared_query_key)}"
        )
    if s.block.ffn_stack:
        lines.append(f"FFNs per layer: `{s.block.ffn_stack}` (extra FFN + norm blocks before the last)")
    if s.ffn.experts:
        e = s.ffn.experts
        lines.append(
            f"experts: `{e.count}`, `{e.top_k}` per token"
            + (", each reading its tokens scaled by their weights" if e.weights_at == "input" else "")
            + (", a shared expert" if e.shared else "")
            + (
                f", in the layers {_expert_rules(s)} pick; the others a dense FFN of `{e.layers.dense_size}`"
                if e.layers
                else ""
            )
        )
    return lines


def _diagram(s: ArchSpec) -> list[str]:
    if s.block.layer_kinds is not None:  # one sublayer per layer: attention, mixing, FFN or experts
        return [
            "x ──► attn_norm ──► attn | ffn ──► (+) ──► out",
            "│                                   ▲",
            "└───────────────────────────────────┘",
        ]
    if s.ffn.kind == "none":  # plain pre-norm layers (checked)
        return [
            "x ──► attn_norm ──► attn ──► (+) ──► out",
            "│                             ▲",
            "└─────────────────────────────┘",
        ]
    if s.block.parallel is True and s.block.shared_norm:
        return [
            "x ──► attn_norm ──► h ──► attn ──► (+) ──► out",
            "│                   └───► ffn ────► (+)",
            "└──────────────────────────────────► (+)",
        ]
    if s.block.parallel is True:
        return [
            "x ──► attn_norm ──► attn ──► (+) ──► out",
            "├───► ffn_norm ───► ffn ───► (+)",
            "└──────────────────────────► (+)",
        ]
    if s.block.parallel:  # a switch: the pre-norm layer, or the parallel one
        parallel = _diagram(s.model_copy(update={"block": s.block.model_copy(update={"parallel": True})}))
        return _diagram(s.model_copy(update={"block": s.block.model_copy(update={"parallel": False})})) + [
            "",
            f"or, when config `{s.block.parallel.switch}`:",
            "",
            *parallel,
        ]
    if s.block.placement == "post":
        return [
            "x ──► attn ──► (+) ──► attn_norm ──► h ──► ffn ──► (+) ──► ffn_norm ──► out",
            "│               ▲                     │               ▲",
            "└───────────────┘                     └───────────────┘",
        ]
    if s.block.placement == "sublayer":
        return [
            "x ──► attn ──► attn_norm ──► (+) ──► h ──► ffn ──► ffn_norm ──► (+) ──► out",
            "│                             ▲      │                          ▲",
            "└─────────────────────────────┘      └──────────────────────────┘",
        ]
    if s.block.placement == "sandwich":
        return [
            "x ──► attn_norm ──► attn ──► attn_out_norm ──► (+) ──► h ──► ffn_norm ──► ffn ──► ffn_out_norm ──► (+) ──► out",
            "│                                               ▲      │                                            ▲",
            "└───────────────────────────────────────────────┘      └────────────────────────────────────────────┘",
        ]
    return [
        "x ──► attn_norm ──► attn ──► (+) ──► h ──► ffn_norm ──► ffn ──► (+) ──► out",
        "│                             ▲      │                           ▲",
        "└─────────────────────────────┘      └───────────────────────────┘",
    ]


# ------------------------------------------------------------------ the heads


# how a pooling input reads a sequence, for comments and docstrings
_POOLED = {
    "first_token": "its first token",
    "first_kept": "its first token the mask keeps",
    "mean": "the mean of its tokens",
    "late_mean": "the mean of the head's outputs at its tokens",
}


def _head_code(ir: ArchIR, head: HeadIR, norm, has_cross: bool) -> str:
    s = ir.spec
    hs = head.spec
    if hs.encoder_decoder:
        return _s2s.seq2seq_head_code(ir, head, norm)
    width = f"config.{s.embeddings.width}"
    init: list[str] = []
    body: list[str] = []
    causal = hs.attention == "causal"
    cross = causal and hs.cross_attention_config is not None and has_cross
    args = ["self", "config: Config"]
    if any(layer.op == "lm_decoder" for layer in all_layers(head)):
        args.append("tie_word_embeddings: bool = True")
    if cross:
        args.append("cross_attention: bool = False")
    if hs.loss == "sequence_classification":
        args.append("problem_type: str | None = None")
    if cross:
        init.append(
            "self.backbone = CrossBackbone(config) if cross_attention else Backbone(config, causal=True)"
        )
    else:
        both_ways = s.attention.bidirectional_when
        if causal and both_ways:
            init.append(
                f"self.backbone = Backbone(config, causal=not config.{both_ways})  # bidirectional when set"
            )
        else:
            init.append(f"self.backbone = Backbone(config{', causal=True' if causal else ''})")
    if head.uses_pooler and s.pooler is not None:
        init.append(f"self.pooler = {switched(s.pooler.dense, 'Pooler(config)', 'FirstToken()')}")
    if head.input == "last_token":
        init.append(f"self.pad_token_id = config.{s.pad_token}")
    if isinstance(head.input, Switch):
        pooling = head.input
        init += [
            f"# how a sequence is pooled: config.{pooling.switch} "
            + ", ".join(f'"{v}" {_POOLED[c]}' for v, c in pooling.cases.items()),
            f"if config.{pooling.switch} not in {tuple(pooling.cases)!r}:",
            f'    raise ValueError(f"config.json {s.sizes[pooling.switch].config} is {{config.{pooling.switch}!r}}; '
            f'this spec builds {", ".join(pooling.cases)}")',
            f"self.pooling = {pooling.cases!r}[config.{pooling.switch}]",
        ]
    if hs.loss == "sequence_classification":
        init.append("self.num_labels = config.num_labels")
        init.append("self.problem_type = problem_type")

    # forward signature
    fwd = [
        "self",
        "input_ids: torch.Tensor",
        "attention_mask: torch.Tensor",
        "token_type_ids: torch.Tensor | None = None",
        "position_ids: torch.Tensor | None = None",
    ]
    if causal:
        fwd.append("input_pos: torch.Tensor | None = None")
    if cross:
        fwd += [
            "encoder_hidden_states: torch.Tensor | None = None",
            "encoder_attention_mask: torch.Tensor | None = None",
        ]
    if hs.loss == "span":
        fwd += ["start_positions: torch.Tensor | None = None", "end_positions: torch.Tensor | None = None"]
    elif hs.loss != "none":
        fwd.append("labels: torch.Tensor | None = None")
    fwd += [f"{branch.labels}: torch.Tensor | None = None" for branch in hs.branches]
    fwd.append("output_hidden_states: bool = False")
    if causal:
        fwd.append("last_only: bool = False")
    # Packed rows (several sequences per row) say where each sequence starts; choices never pack.
    starts = ", sequence_starts" if head.reads_first_token and not hs.choices else ""
    if starts:
        fwd.append("sequence_starts: torch.Tensor | None = None")

    if hs.choices:
        body += [
            "num_choices = input_ids.shape[1]",
            "input_ids = input_ids.flatten(0, 1)  # (b * choices, t)",
            "attention_mask = attention_mask.flatten(0, 1)  # (b * choices, t)",
            "if token_type_ids is not None:",
            "    token_type_ids = token_type_ids.flatten(0, 1)",
            "if position_ids is not None:",
            "    position_ids = position_ids.flatten(0, 1)",
        ]
    call = "input_ids, attention_mask, token_type_ids, position_ids" + (", input_pos" if causal else "")
    call += ", output_hidden_states=output_hidden_states"  # the backbone keeps every layer's output only then
    if cross:
        body += [
            "memory = {}  # the encoder states a cross-attending backbone reads, when given",
            "if encoder_hidden_states is not None:",
            "    memory = {",
            '        "encoder_hidden_states": encoder_hidden_states,',
            '        "encoder_attention_mask": encoder_attention_mask,',
            "    }",
            f"x, states = self.backbone({call}, **memory)  # (b, t, d)",
        ]
    else:
        body.append(f"x, states = self.backbone({call})  # (b, t, d)")
    if causal:
        body += [
            "if last_only:  # generation reads the last position's logits only",
            "    x = x[:, -1:]  # (b, 1, d)",
        ]
    out: dict[str, str] = {}
    if "last_hidden_state" in hs.outputs:
        out["last_hidden_state"] = "x"
    branch_reads_pooled = any(b.input == "pooled" for b in hs.branches)
    keep_pooled = "pooler_output" in hs.outputs or branch_reads_pooled
    if keep_pooled and s.pooler is not None:
        body.append(f"pooled = self.pooler(x{starts})  # (b, d)")
        if "pooler_output" in hs.outputs:
            out["pooler_output"] = "pooled"
    if any(b.input in ("sequence", "first_token") for b in hs.branches):
        body.append("sequence = x  # (b, t, d)")

    def first(var: str) -> str:  # rows of a choices head are never packed: column 0
        return f"first_tokens({var}, sequence_starts)" if starts else f"{var}[:, 0]"

    pool = {
        "first_token": first("x"),
        "first_kept": "first_kept_tokens(x, attention_mask)",
        "mean": "mean_tokens(x, attention_mask)",
    }
    if isinstance(head.input, Switch) and "late_mean" in head.inputs:  # it pools after the layers (below)
        early = [case for case in head.inputs if case != "late_mean"]
        for k, case in enumerate(early):
            body += [f'{"elif" if k else "if"} self.pooling == "{case}":', f"    x = {pool[case]}  # (b, d)"]
    elif isinstance(head.input, Switch):
        *tested, last = head.inputs
        for k, case in enumerate(tested):
            body += [f'{"elif" if k else "if"} self.pooling == "{case}":', f"    x = {pool[case]}  # (b, d)"]
        body += ["else:", f"    x = {pool[last]}  # (b, d)"] if tested else [f"x = {pool[last]}  # (b, d)"]
    elif head.input in ("mean", "first_kept"):
        body.append(f"x = {pool[head.input]}  # (b, d)")
    elif head.input == "first_token":
        body.append(f"x = {first('x')}  # (b, d)")
    elif head.input == "last_token":
        body.append("x = last_tokens(x, input_ids, self.pad_token_id)  # (b, d)")
    elif head.input == "pooled":
        body.append("x = pooled  # (b, d)" if keep_pooled else f"x = self.pooler(x{starts})  # (b, d)")
    init_main, body_main = _pipeline(head.layers, "x", width, s, norm)
    init += init_main
    body += body_main
    late = "x = mean_tokens(x, attention_mask)  # (b, out): the outputs' mean over the kept tokens"
    if isinstance(head.input, Switch) and "late_mean" in head.inputs:
        body += ['if self.pooling == "late_mean":', f"    {late}"]
    elif head.input == "late_mean":
        body.append(late)
    for branch in hs.branches:
        var = branch.output
        source = {
            "sequence": "sequence",
            "first_token": first("sequence"),
            "pooled": "pooled",
        }[branch.input]
        body.append(f"{var} = {source}")
        init_branch, body_branch = _pipeline(branch.layers, var, width, s, norm)
        init += init_branch
        body += body_branch
        out[var] = var
    if "start_logits" in hs.outputs:
        body.append(
            "start_logits, end_logits = (part.squeeze(-1).contiguous() for part in x.split(1, dim=-1))"
        )
        out["start_logits"] = "start_logits"
        out["end_logits"] = "end_logits"
    elif "logits" in hs.outputs or "prediction_logits" in hs.outputs:
        if hs.choices:
            body.append("x = x.view(-1, num_choices)  # (b, choices)")
        out["logits" if "logits" in hs.outputs else "prediction_logits"] = "x"
    # main output first, branch outputs after, as the reference orders them
    ordered = {k: v for k, v in out.items() if k not in {b.output for b in hs.branches}}
    ordered.update({b.output: b.output for b in hs.branches})
    body.append("out = {" + ", ".join(f'"{k}": {v}' for k, v in ordered.items()) + "}")
    if hs.branches:
        body += _joint_loss_code(hs)
    else:
        body += _loss_code(hs.loss)
    body += ["if output_hidden_states:", '    out["hidden_states"] = tuple(states)', "return out"]

    if isinstance(head.input, Switch):
        picks = " or ".join(_POOLED[case] for case in head.inputs)
        reads = f"per sequence {picks}, as config `{head.input.switch}` says"
    else:
        reads = {
            "sequence": "every token",
            "first_token": "the first token",
            "pooled": "the pooler output",
            "last_token": "each row's last non-padding token",
            "mean": "the mean of each row's tokens",
            "first_kept": "each row's first token that the mask keeps",
            "late_mean": "every token, its output the mean of the layers' outputs at each row's kept tokens",
        }[head.input]
    doc = f'"""{hs.title[:1].upper() + hs.title[1:]}: reads {reads}; outputs {", ".join(hs.outputs)}'
    doc += f"; loss: {hs.loss}." if hs.loss != "none" else "."
    doc += f' Reference: `{head.class_name}`."""'
    lines = [f"class {head.class_name}(nn.Module):", f"    {doc}", ""]
    lines.append(f"    def __init__({', '.join(args)}):")
    lines.append("        super().__init__()")
    lines += [f"        {line}" for line in init]
    if causal:
        lines += [
            "",
            "    def setup_cache(self, batch: int, max_len: int, dtype: torch.dtype = torch.float32) -> None:",
            "        self.backbone.setup_cache(batch, max_len, dtype)",
        ]
    lines.append("")
    lines.append(f"    def forward({', '.join(fwd)}) -> dict[str, torch.Tensor]:")
    lines += [f"        {line}" for line in body]
    return "\n".join(lines)


def _pipeline(
    layers,
    var: str,
    width: str,
    s: ArchSpec,
    norm,
    word_weight: str = "self.backbone.embeddings.word.weight",
    vocab: str | None = None,
) -> tuple[list[str], list[str]]:
    """Constructor and forward lines for a head's layer pipeline applied to ``var``;
    ``word_weight`` is the word embedding a tied `lm_decoder` shares, ``vocab`` the size symbol an
    `lm_decoder` projects onto (the spec's `vocab` unless named)."""
    init: list[str] = []
    body: list[str] = []
    cur = width
    vocab = vocab or s.vocab
    for layer in layers:
        if layer.op == "linear":
            out_w = str(layer.out) if isinstance(layer.out, int) else f"config.{layer.out}"
            init.append(
                f"self.{layer.name} = nn.Linear({cur}, {out_w}{'' if layer.bias else ', bias=False'})"
            )
            body.append(f"{var} = self.{layer.name}({var})")
            cur = out_w
        elif layer.op == "squeeze":
            body.append(f"{var} = {var}.squeeze(-1)  # one logit per position")
        elif layer.op == "scale":
            init.append(f"self.{layer.by} = config.{layer.by}")
            body.append(f"{var} = {var} {'/' if layer.divide else '*'} self.{layer.by}")
        elif layer.op == "softcap":
            init.append(f"self.{layer.by} = config.{layer.by}  # 0: no cap")
            body += [
                f"if self.{layer.by}:  # capped to (-c, c), smoothly",
                f"    {var} = torch.tanh({var} / self.{layer.by}) * self.{layer.by}",
            ]
        elif layer.op == "activation":
            fn = s.ffn.activation if layer.fn == "model" else layer.fn
            body.append(f"{var} = {act(fn, var)}")
        elif layer.op == "norm":
            init.append(f"self.{layer.name} = {norm(cur, kind=layer.norm_kind)}")
            body.append(f"{var} = self.{layer.name}({var})")
        elif layer.op == "bias":
            init.append(f"self.{layer.name} = nn.Parameter(torch.zeros(1, {cur}))  # stored (1, width)")
            body.append(f"{var} = {var} + self.{layer.name}")
        elif layer.op == "lm_decoder" and (
            layer.bias is not True or layer.scale_when_tied or layer.scale_when
        ):
            lm_init, lm_body = _s2s.lm_decoder_code(layer, cur, f"config.{vocab}", word_weight, width)
            init += lm_init
            body += [line.replace("x = ", f"{var} = ", 1).replace("(x", f"({var}", 1) for line in lm_body]
            cur = f"config.{vocab}"
        elif layer.op == "lm_decoder":
            word = f"config.{s.embeddings.input_width or s.embeddings.width}"
            name = layer.name
            init.append(f"self.{name} = nn.Linear({word if layer.extra_rows else cur}, config.{vocab})")
            init.append("if tie_word_embeddings:")
            init.append(f"    self.{name}.weight = {word_weight}")
            if layer.extra_rows:
                init.append(f"# rows of the projection beyond the word embedding's width ({cur} - {word})")
                init.append(f"self.{name}_extra = nn.Parameter(torch.zeros({cur} - {word}, config.{vocab}))")
                body.append(
                    f"weight = torch.cat([self.{name}.weight.t(), self.{name}_extra], dim=0)  # (d, vocab)"
                )
                body.append(f"{var} = {var} @ weight + self.{name}.bias  # (b, t, vocab)")
            else:
                body.append(f"{var} = self.{name}({var})  # (b, t, vocab)")
            cur = f"config.{vocab}"
    return init, body


_LOSS_EXPR = {
    "masked_lm": "F.cross_entropy({x}.reshape(-1, {x}.shape[-1]), {y}.reshape(-1))",
    "token_classification": "F.cross_entropy({x}.reshape(-1, {x}.shape[-1]), {y}.reshape(-1))",
    "classification": "F.cross_entropy({x}.reshape(-1, {x}.shape[-1]), {y}.reshape(-1))",
    "multiple_choice": "F.cross_entropy({x}, {y})",
}


def _joint_loss_code(hs) -> list[str]:
    """The summed loss of a head with branches, given labels for every output."""
    labels = ["labels"] + [b.labels for b in hs.branches]
    lines = [f"if {' and '.join(f'{y} is not None' for y in labels)}:"]
    lines.append("    loss = " + _LOSS_EXPR[hs.loss].format(x="x", y="labels"))
    for b in hs.branches:
        lines.append("    loss = loss + " + _LOSS_EXPR[b.loss].format(x=b.output, y=b.labels))
    lines.append('    out["loss"] = loss')
    return lines


def _loss_code(loss: str) -> list[str]:
    if loss in ("masked_lm", "token_classification", "classification"):
        return [
            "if labels is not None:",
            '    out["loss"] = F.cross_entropy(x.reshape(-1, x.shape[-1]), labels.reshape(-1))',
        ]
    if loss == "causal_lm":
        return [
            "if labels is not None:  # predict token i + 1 from tokens <= i",
            '    out["loss"] = F.cross_entropy(x[:, :-1].reshape(-1, x.shape[-1]).float(), labels[:, 1:].reshape(-1))',
        ]
    if loss == "multiple_choice":
        return ["if labels is not None:", '    out["loss"] = F.cross_entropy(x, labels)']
    if loss == "token_binary":
        return [
            "if labels is not None:  # over the tokens the mask keeps",
            "    kept = attention_mask == 1  # (b, t)",
            '    out["loss"] = F.binary_cross_entropy_with_logits(x[kept], labels[kept].float())',
        ]
    if loss == "span":
        return [
            "if start_positions is not None and end_positions is not None:",
            "    ignored = start_logits.shape[1]  # positions outside the sequence are ignored",
            "    start_loss = F.cross_entropy(start_logits, start_positions.clamp(0, ignored), ignore_index=ignored)",
            "    end_loss = F.cross_entropy(end_logits, end_positions.clamp(0, ignored), ignore_index=ignored)",
            '    out["loss"] = (start_loss + end_loss) / 2',
        ]
    if loss == "sequence_classification":
        return [
            "if labels is not None:",
            "    problem = self.problem_type",
            "    if problem is None:",
            "        if self.num_labels == 1:",
            '            problem = "regression"',
            "        elif labels.dtype in (torch.long, torch.int):",
            '            problem = "single_label_classification"',
            "        else:",
            '            problem = "multi_label_classification"',
            '    if problem == "regression":',
            "        if self.num_labels == 1:",
            '            out["loss"] = F.mse_loss(x.squeeze(), labels.squeeze())',
            "        else:",
            '            out["loss"] = F.mse_loss(x, labels)',
            '    elif problem == "single_label_classification":',
            '        out["loss"] = F.cross_entropy(x.view(-1, self.num_labels), labels.view(-1))',
            "    else:",
            '        out["loss"] = F.binary_cross_entropy_with_logits(x, labels)',
        ]
    return []


# ------------------------------------------------------------------ entry points


def _gate_text(a) -> str:
    """The attention description's words for an output gate."""
    form = (
        "each head"
        if a.output_gate == "per_head"
        else f"each head or each feature (config `{a.output_gate_per_head}`)"
        if a.output_gate_per_head
        else "each feature"
    )
    bias = " + bias[head]" if a.output_gate_bias else ""
    source = "z" if a.output_gate_input == "query_latent" else "x"
    read = " (`z` what the queries' up-projection reads)" if source == "z" else ""
    return f", the joined heads gated by `{a.output_gate_activation}(gate({source}){bias})`, {form}{read}"


def rotary_types_from_windows(s: ArchSpec) -> bool:
    """RoPE's per-layer types follow the window layers' period (or `windowed_from`) where
    config.json has no list."""
    pos, windows = s.embeddings.position, s.attention.window_layers
    return bool(
        pos.kind == "rotary"
        and pos.scaling
        and pos.scaling.layer_types
        and windows
        and (windows.period or windows.windowed_from)
        and windows.types == pos.scaling.layer_types
    )


def _per_layer_lists(s: ArchSpec) -> list[tuple[str, str]]:
    """(loop variable, backbone list) for each per-layer choice read from config.json: the
    window, rotary positions or not, and the RoPE parameters' layer type."""
    pos = s.embeddings.position
    lists = [("windowed", "self.windowed")] if s.attention.window_layers else []
    if pos.kind == "rotary" and pos.rotary_layers:
        lists.append(("roped", "self.roped"))
    if pos.kind == "rotary" and pos.scaling and pos.scaling.layer_types:
        lists.append(("kind", "self.rotary_types"))
    if pos.kind == "rotary" and pos.theta_layers:
        lists.append(("theta", "self.theta_index"))
    return lists


def _per_layer_arg(s: ArchSpec, per_layer: bool) -> str:
    """The positions argument a layer gets in the backbone's loop (after ``input_pos``)."""
    pos = s.embeddings.position
    if per_layer:
        return ", buckets"
    if s.attention.disentangled is not None:
        return ", rel"
    if pos.kind != "rotary":
        return ""
    if pos.theta_layers:  # each layer's theta's cos and sin, none for a theta of 0
        return ", None if theta is None else rotaries[theta]"
    rotary = "rotary"
    if pos.scaling and pos.scaling.layer_types:  # a layer that does not attend has no type's rotary
        rotary = "rotaries.get(kind)" if layer_kind_rule(s) else "rotaries[kind]"
    if pos.rotary_layers and pos.query_scale and pos.query_scale.layers == "unrotated":
        return f", {rotary} if roped else query_scale"  # the unrotated layers' queries scaled by position
    return f", {rotary} if roped else None" if pos.rotary_layers else f", {rotary}"


def _state_space_sizes(s: ArchSpec, ssm: StateSpaceSpec) -> str:
    """A state-space layer's form and sizes, for the feature lines."""
    if ssm.form == "gated_conv":
        return f"LFM2's gated short convolution: `C * conv(B * x)`, a causal convolution `{ssm.conv_kernel}` wide"
    if ssm.form == "selective":
        norms = {
            "weighted": ", RMSNorms of dt, B and C",
            "weightless": ", RMSNorms without weights of dt, B and C",
        }
        return (
            f"Mamba-1's selective scan: `{ssm.inner}` channels of state `{ssm.state_size}`, time steps of rank "
            f"`{ssm.time_step_rank}`{norms.get(ssm.selection_norm, '')}, a causal convolution `{ssm.conv_kernel}` wide"
        )
    if ssm.form == "gated_delta":
        return (
            f"Gated DeltaNet's gated delta rule: `{ssm.num_heads or s.attention.num_heads}` value heads of "
            f"`{ssm.head_dim or s.attention.head_dim}` features, `{ssm.key_heads}` query/key heads of "
            f"`{ssm.key_head_dim}`, a causal convolution `{ssm.conv_kernel}` wide"
            + (
                f", the decay's input and the output's gate through rank `{ssm.gate_rank}`"
                if ssm.gate_rank
                else ""
            )
        )
    return (
        f"Mamba-2's SSD: `{ssm.num_heads or s.attention.num_heads}` heads of `{ssm.head_dim or s.attention.head_dim}` "
        f"features, state `{ssm.state_size}`, `{ssm.groups}` groups of B and C, a causal convolution "
        f"`{ssm.conv_kernel}` wide"
    )


def render_module(ir: ArchIR) -> str:
    """The generated module's source, formatted."""
    s = ir.spec
    norm = _norm_factory(s)
    has_cross = any(h.spec.cross_attention_config for h in ir.heads)
    template = _ENV.get_template("module.py.j2")
    ssm = state_space(s)
    kinds = {"int": "int", "float": "float", "bool": "bool", "str": "str", "mapping": "dict", "list": "list"}
    rel = s.attention.relative_bias
    per_layer = rel is not None and rel.per_layer
    rotary = s.embeddings.position.kind == "rotary"
    dis = s.attention.disentangled
    ffn_classes, ffn_variants = _s2s.ffn_classes(s)
    # What a layer's attention gets from the rotary module: cos and sin, and each position's
    # query scale where the layers with rotary positions have one. The layers without them
    # get their queries' scale alone (`nope_scale`) where those have one.
    scaled = s.embeddings.position.query_scale if rotary else None
    query_scale = scaled if scaled and scaled.layers == "rotated" else None
    nope_scale = scaled if scaled and scaled.layers == "unrotated" else None
    rotary_type = "tuple[torch.Tensor, torch.Tensor" + (", torch.Tensor]" if query_scale else "]")
    if nope_scale:
        rotary_type += " | torch.Tensor"
    gate_in = (
        "gate"
        if s.attention.output_gate_bias
        else "self.gate(z)"  # what the queries' up-projection reads (`output_gate_input: query_latent`)
        if s.attention.output_gate_input == "query_latent"
        else "self.gate(x)"
    )
    text = template.render(
        ir=ir,
        s=s,
        rel=rel,
        per_layer=per_layer,
        dis=dis,
        first_conv=s.block.first_layer_conv,
        # layers project the table themselves (`attn.pos_k`, `attn.pos_q`) unless always shared
        dis_own_projections=dis is not None and dis.shared_projections is not True,
        pos_k_bias="" if dis is None or dis.key_bias else ", bias=False",
        pos_q_bias="" if dis is None or dis.query_bias else ", bias=False",
        # the per-layer argument a layer passes to its attention: a bias table's buckets, or
        # rotary cos/sin (the two are exclusive, checked)
        layer_arg=", buckets" if per_layer else ", rotary" if rotary else ", rel" if dis else "",
        layer_param=", buckets: torch.Tensor"
        if per_layer
        else ", rel: tuple[torch.Tensor, torch.Tensor]"
        if dis
        else f", rotary: {rotary_type} | None"
        if rotary
        and (s.embeddings.position.rotary_layers or s.embeddings.position.theta_layers)
        and not nope_scale
        else f", rotary: {rotary_type}"
        if rotary
        else "",
        query_scale=query_scale,
        nope_scale=nope_scale,
        rotary_layers=s.embeddings.position.rotary_layers if rotary else None,
        theta_layers=s.embeddings.position.theta_layers if rotary else None,
        # The backbone's layer loop: the per-layer lists it zips with the layers, and the
        # positions argument each layer gets
        per_layer_lists=_per_layer_lists(s),
        per_layer_arg=_per_layer_arg(s, per_layer),
        rotary_types=s.embeddings.position.scaling.layer_types
        if rotary and s.embeddings.position.scaling
        else None,
        rotary=rotary,
        partial_rotary=s.embeddings.position.rotary_dim if rotary else None,
        # the rotated features from each set of RoPE parameters' `partial_rotary_factor`
        params_partial=bool(
            rotary and s.embeddings.position.scaling and s.embeddings.position.scaling.partial_factor
        ),
        # the gate's factors from its projection (`gate` once a bias per head is added to it)
        gate_factors=(
            f"F.softplus({gate_in}.float()).to(y.dtype)"
            if s.attention.output_gate_activation == "softplus"
            else f"torch.sigmoid({gate_in})"
        ),
        # latent attention turns adjacent pairs as halves, permuting its rotated parts (`interleaved`)
        adjacent_pairs=rotary and s.embeddings.position.rotary_pairs == "adjacent" and not s.attention.latent,
        reversed_rotary=rotary and s.embeddings.position.rotary_direction == "reversed",
        scaling=s.embeddings.position.scaling if rotary else None,
        gqa=s.attention.num_kv_heads,
        latent=s.attention.latent,
        # a mixture of attention heads' bias on the experts' weighted sum (see AttentionExpertsSpec)
        moa_out_bias=s.attention.experts is not None and out_bias(s) is True,
        fourier=s.attention.mixing == "fourier",
        ssm=ssm,
        kind_rule=layer_kind_rule(s),
        kind_of=_kind_of(s),
        one_sublayer=s.block.layer_kinds is not None,
        kinds_key=s.sizes[layer_kind_rule(s)["types"]].config
        if "types" in (layer_kind_rule(s) or {})
        else None,
        conv_bias=bias_code(ssm.conv_bias) if ssm else None,
        ssm_proj_bias=bias_code(ssm_bias(s)) if ssm else None,
        state_cache={
            "ssd": "StateCache(batch, max_len, attn.conv_width, attn.num_heads, dtype)",
            "selective": "StateCache(batch, max_len, attn.inner, (attn.inner, attn.state_size), dtype)",
            "gated_conv": "StateCache(batch, max_len, attn.inner, dtype)",
            "gated_delta": "StateCache(batch, max_len, attn.conv_width, (attn.num_heads, attn.key_dim, attn.head_dim), dtype)",
            "lightning": "KVCache(batch, attn.num_heads, max_len, attn.head_dim, dtype)",
        }[ssm.form if ssm is not None else "ssd"],
        interleaved=rotary
        and s.attention.latent is not None
        and s.embeddings.position.rotary_pairs != "halves",
        window=s.attention.sliding_window,
        window_sides=s.attention.window_sides,
        two_masks=s.attention.masked_rows == "two_masks",
        finite_causal=s.attention.masked_rows == "finite_causal",
        groups=s.block.layer_groups,
        qk_all=s.attention.qk_norm is not False and s.attention.qk_norm_scope == "all_heads",
        head_weights=s.attention.qk_norm is not False and s.attention.qk_norm_scope == "head_weights",
        alibi=s.embeddings.position.kind == "alibi",
        layer_count=s.block.layer_groups or s.block.num_layers,
        qkv_bias=bias_code(s.attention.bias if s.attention.bias_parts == "qkv" else False),
        out_bias=bias_code(out_bias(s)),
        ffn_bias=bias_code(s.ffn.bias),
        down_bias=bias_code(down_bias(s)),
        dec=s.decoder,
        ffn_classes=ffn_classes,
        ffn_variants=ffn_variants,
        features=_features(s),
        placement=placement(s),
        diagram=_diagram(s) + _s2s.decoder_diagram(s),
        head_names=", ".join(h.name for h in ir.heads),
        config_fields=[(name, kinds[size.kind]) for name, size in s.sizes.items()],
        norm=norm,
        norm_ctor=norm_ctor,
        norm_kinds=norm_kinds(s, ir.heads),
        # a head's norm of its own kind has weights, whatever the backbone's `affine` says
        head_rms_norm=any(
            layer.op == "norm" and layer.norm_kind == "rms_norm" for h in ir.heads for layer in all_layers(h)
        )
        or (ssm is not None and ssm.form == "lightning"),  # its heads' joined outputs' RMSNorm
        norm_switch=s.norm.kind if isinstance(s.norm.kind, Switch) else None,
        switched=switched,
        cond=cond,
        trigram=s.embeddings.trigram is not False,
        # the embeddings read the attention mask: trigram input, token dropout, zeroed padding
        embed_mask=s.embeddings.trigram is not False
        or s.embeddings.token_dropout is not None
        or s.embeddings.zero_padding,
        first_tokens=s.pooler is not None
        or any(h.reads_first_token and not h.spec.encoder_decoder for h in ir.heads),
        last_tokens=any(h.input == "last_token" for h in ir.heads),
        mean_tokens=any(
            ("mean" in h.inputs or "late_mean" in h.inputs) and not h.spec.encoder_decoder for h in ir.heads
        ),
        first_kept_tokens=any("first_kept" in h.inputs and not h.spec.encoder_decoder for h in ir.heads),
        generates=any(h.spec.attention == "causal" and not h.spec.encoder_decoder for h in ir.heads),
        word_width=s.embeddings.input_width or s.embeddings.width,
        # the width of token types, positions and their norm: the word table's when the
        # transform maps their sum
        sum_width=(s.embeddings.input_width or s.embeddings.width)
        if s.embeddings.transform_at == "sum"
        else s.embeddings.width,
        bottleneck=s.block.bottleneck,
        act=act,
        has_cross=has_cross or s.decoder is not None,
        sdpa_scale={"none": ", scale=1.0", "size": ", scale=self.scale"}.get(s.attention.scale, ""),
        capped_scale={"none": "1.0", "size": "self.scale"}.get(s.attention.scale, "self.head_dim**-0.5"),
        window_layers=s.attention.window_layers,
        rotary_types_from_windows=rotary_types_from_windows(s),
        type_theta=(
            "{"
            + ", ".join(f'"{k}": config.{v}' for k, v in s.embeddings.position.scaling.type_theta.items())
            + "}"
            if rotary and s.embeddings.position.scaling and s.embeddings.position.scaling.type_theta
            else None
        ),
        shared=s.ffn.experts.shared if s.ffn.experts else None,
        expert_layers=s.ffn.experts.layers if s.ffn.experts else None,
        expert_rules=_expert_rules(s),
        expert_test=_expert_test(s),
        window_key=s.sizes[s.attention.window_layers.types].config if s.attention.window_layers else None,
        heads_per_layer=s.attention.heads_per_layer,
        type_sizes=s.attention.type_sizes,
        type_sizes_key=s.sizes[s.attention.type_sizes.types].config if s.attention.type_sizes else None,
        value_dim=s.attention.value_head_dim,
        heads_key=s.sizes[s.attention.heads_per_layer].config if s.attention.heads_per_layer else None,
        rotary_key=s.sizes[s.embeddings.position.rotary_layers.types].config
        if rotary and s.embeddings.position.rotary_layers
        else None,
        theta_layers_key=s.sizes[s.embeddings.position.theta_layers].config
        if rotary and s.embeddings.position.theta_layers
        else None,
        rotary_types_key=s.sizes[s.embeddings.position.scaling.layer_types].config
        if rotary and s.embeddings.position.scaling and s.embeddings.position.scaling.layer_types
        else None,
        embeddings_doc=_features(s)[2][len("embeddings: ") :].capitalize() + ".",
        attention_doc="Multi-head self-attention: " + _features(s)[3][len("attention: ") :] + ".",
        ffn_doc=(
            f"Dense FFN: up -> {s.ffn.activation} -> down."
            if s.ffn.kind == "dense"
            else "Gated FFN, clamped: (u + 1) * g * sigmoid(alpha * g) -> down, with g = gate(x) at most "
            "`limit` and u = up(x) within +-`limit`."
            if s.ffn.clamped_glu
            else f"Gated FFN, clamped: min({s.ffn.activation}(gate(x)), limit) * clamp(up(x), -limit, limit) -> "
            "down, at its layer's `limit` (none unless the backbone sets one)."
            if s.ffn.glu_limits
            else f"Gated FFN: {s.ffn.activation}(gate(x)) * up(x) -> down."
        ),
        heads=[{"code": _head_code(ir, h, norm, has_cross)} for h in ir.heads],
    )
    return format_source(text)


def _ruff() -> list[str]:
    exe = shutil.which("ruff", path=str(Path(sys.executable).parent)) or shutil.which("ruff")
    if exe is None:
        raise RuntimeError(
            "ruff is not installed; `pip install ruff==0.17.5` (pinned for deterministic output)"
        )
    return [exe]


def format_source(text: str) -> str:
    """Sort imports, drop unused ones (the template imports `math` always) and format with the pinned
    ruff, using this project's settings; undefined names (a template bug) raise."""
    config = Path(__file__).resolve().parent.parent / "pyproject.toml"
    base = _ruff()
    cfg = ["--config", str(config)] if config.exists() else []
    # imports sorted, unused ones dropped; a name used but never defined or imported (F821, a template
    # bug) is left for the check to report
    fixed = subprocess.run(
        base
        + [
            "check",
            *cfg,
            "--select",
            "I,F401,F821",
            "--fix",
            "--quiet",
            "--stdin-filename",
            "generated.py",
            "-",
        ],
        input=text,
        capture_output=True,
        text=True,
    )
    if fixed.returncode != 0:
        raise RuntimeError(f"generated code has undefined names (or does not parse):\n{fixed.stderr}")
    text = fixed.stdout or text
    done = subprocess.run(
        base + ["format", *cfg, "--stdin-filename", "generated.py", "-"],
        input=text,
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        raise RuntimeError(f"ruff could not format generated code:\n{done.stderr}")
    return done.stdout


# ------------------------------------------------------------------ the table


def _norm_params(spec: ArchSpec, kind: str | None = None) -> list[str]:
    """A norm's tensors: the backbone's (``kind`` None, its `bias` knob followed) or one of ``kind``."""
    if kind is None and not spec.norm.affine:
        return []
    bias = kind is not None or spec.norm.bias
    kind = kind or spec.norm.kind
    kinds = list(kind.cases.values()) if isinstance(kind, Switch) else [kind]  # the cases agree (checked)
    return list(norm_tensors(kinds[0], bias))


def _linear_params(bias: bool) -> list[str]:
    return ["weight", "bias"] if bias else ["weight"]


def out_bias(spec: ArchSpec) -> bool | Switch:
    """Whether attention's output projection carries a bias (`attention.out_bias`, else `bias`)."""
    return spec.attention.bias if spec.attention.out_bias is None else spec.attention.out_bias


def down_bias(spec: ArchSpec) -> bool | Switch:
    """Whether the FFN's down projection carries a bias (`ffn.down_bias`, else `bias`)."""
    return spec.ffn.bias if spec.ffn.down_bias is None else spec.ffn.down_bias


def bias_code(knob: bool | Switch) -> str:
    """A bias knob as the generated constructor says it: `True`, `False` or `config.<switch>`."""
    return f"config.{knob.switch}" if isinstance(knob, Switch) else str(knob)


def _slot_bias(spec: ArchSpec, slot: str) -> bool | Switch:
    """The bias knob of a linear slot."""
    if slot in ("attn.o", "cross.o"):
        return out_bias(spec)
    if slot == "ssm.conv":  # a state-space layer's convolution
        return state_space(spec).conv_bias
    if slot in ("ssm.in_proj", "ssm.o") or slot in (
        f"ssm.{name}" for name in ("q", "k", "v", "gate", "b", "a", "a_down", "gate_down")
    ):
        return ssm_bias(spec)
    if slot == "ssm.x_proj":  # the selective form's projection to the time step, B and C
        return False
    if slot in ("attn.q_b", "attn.kv_b") or (slot == "attn.q" and spec.attention.latent):
        return False  # latent attention: only the projections from the input (and `o`) may have one
    if slot in ("attn.q", "attn.k", "attn.v") and spec.attention.bias_parts == "qv":
        return False  # the query and value biases are tensors of their own
    if slot in ("attn.pos_k", "attn.pos_q"):
        d = spec.attention.disentangled
        return d.key_bias if slot == "attn.pos_k" else d.query_bias
    if slot in ("attn.gate", "attn.router"):  # the output's gate, the heads' router: bias-free
        return False
    if slot.startswith(("attn.", "cross.")):
        return spec.attention.bias
    if slot == "ffn.router":
        return spec.ffn.experts.router_bias
    if slot == "embeddings.transform":
        return spec.embeddings.transform_bias
    if slot == "ffn.shared_gate" or "_norm_gate." in slot:  # bias-free gates
        return False
    if slot.startswith("ffn.") and slot.endswith(".down"):
        return down_bias(spec)
    if slot.startswith(("ffn.", "ffn_stack.")):
        return spec.ffn.bias
    return True


def _kind_of(spec: ArchSpec) -> str | None:
    """The generated module's map from a config.json entry to the layer kind it names, as a Python
    literal: the kinds this model builds (state-space mixing where it has it, experts where it has
    them)."""
    rule = layer_kind_rule(spec)
    if rule is None or "kinds" not in rule:
        return None
    built = (
        {"attention", "ffn"}
        | ({"state_space"} if state_space(spec) else set())
        | ({"experts"} if spec.ffn.experts else set())
    )
    pairs = [(entry, kind) for kind, entries in rule["kinds"].items() if kind in built for entry in entries]
    return "{" + ", ".join(f'"{entry}": "{kind}"' for entry, kind in pairs) + "}"


def _kind_where(spec: ArchSpec, kind: str) -> dict:
    """The condition on the layers a slot's entry expands over, in a stack of mixed layers
    (`state_space.layers`, `block.layer_kinds`): those of ``kind``; else none."""
    rule = layer_kind_rule(spec)
    return {} if rule is None else {"kind_where": {"kind": kind, **rule}}


def _slot_kind(spec: ArchSpec, slot: str) -> str | None:
    """The layer kind a layer slot belongs to, in a stack of mixed layers (None: every layer's)."""
    if slot.startswith("attn."):
        return "attention"
    if slot.startswith("ssm."):
        return "state_space"
    if spec.block.layer_kinds is not None and slot.startswith("ffn."):
        plain = spec.ffn.experts is None or slot.startswith("ffn.dense.")
        return "ffn" if plain else "experts"
    return None


def ssm_bias(spec: ArchSpec) -> bool | Switch:
    """The bias knob of a state-space layer's projections: its own, else attention's."""
    own = state_space(spec).bias
    return spec.attention.bias if own is None else own


def bias_when(knob: bool | Switch) -> dict:
    """The condition a bias entry carries: a switched bias exists when its switch is on."""
    return {"when": [knob.switch]} if isinstance(knob, Switch) else {}


def _slot_params(spec: ArchSpec, slot: str, kind: str) -> list[str]:
    if kind == "linear":
        return _linear_params(_slot_bias(spec, slot) is not False)
    if (
        kind == "norm"
        and slot in ("attn.q_norm", "attn.k_norm")
        and spec.attention.qk_norm_kind == "layer_norm"
    ):
        return ["weight", "bias"]  # a LayerNorm per head beside another backbone norm kind
    if kind == "norm":
        return ["weight"] if slot in spec.norm.bias_free else _norm_params(spec)
    if kind == "tensor":  # a bare tensor: its key names it whole
        return [""]
    if kind == "conv":
        return ["weight", "bias"] if slot == "conv" or _slot_bias(spec, slot) is not False else ["weight"]
    return ["weight"]


def layer_key(layer: str, key: str) -> str:
    """A layer slot's checkpoint key under the layer prefix, which may be empty (XLM's lists)."""
    return f"{layer}.{key}" if layer else key


def in_layer(s: ArchSpec, slot: str) -> bool:
    """Whether a slot's checkpoint key is relative to the layer prefix (else to the base prefix):
    the layer slots, but for a shared relative bias table whose key sits beside the layers."""
    rel = s.attention.relative_bias
    if slot == "attn.relative_bias" and rel is not None and rel.key_at == "backbone":
        return False
    return slot.startswith(IN_LAYER_SLOTS)


# Where a layer slot lives in the generated module when its path is not the slot itself.
_PATHS = {
    "bottleneck.input": "input_proj",
    "bottleneck.input_norm": "input_norm",
    "bottleneck.qk": "attn_inputs.proj",
    "bottleneck.qk_norm": "attn_inputs.norm",
    "bottleneck.output": "output_proj",
    "bottleneck.output_norm": "output_norm",
    "ffn_stack.up": "ffn_stack.{j}.ffn.up",
    "ffn_stack.down": "ffn_stack.{j}.ffn.down",
    "ffn_stack.norm": "ffn_stack.{j}.norm",
}


def _cond(knob) -> list[str] | None:
    """Conditions under which a bool-or-switch knob is on: [] always, None never."""
    if isinstance(knob, Switch):
        return [knob.switch]
    return [] if knob else None


def _placements(
    s: ArchSpec, slot: str, root: str = "backbone", cross_when: tuple[str, ...] = ("cross_attention",)
) -> list[tuple[str, int | None, dict]]:
    """(module path, fused index, conditions) for each place one slot's tensors go.

    ``root`` is the stack's module path; ``cross_when`` the flags that switch
    cross-attention on (none for a decoder that always has it)."""
    b = s.block.bottleneck
    in_bottleneck = _cond(b.enabled) if b is not None else None  # conditions of the bottleneck block
    if slot == "embeddings.token_type" and isinstance(s.embeddings.token_type, Switch):
        return [(f"{root}.embeddings.token_type", None, {"when": _cond(s.embeddings.token_type)})]
    if slot == "embeddings.transform":
        on = _cond(s.embeddings.transform)
        if on:  # a switch: applied when on, kept unused (or absent) when off
            return [(f"{root}.embeddings.transform", None, {"when": on})] + (
                [(f"{root}.embeddings.unused_transform", None, {"unless": on})]
                if s.embeddings.transform.unused
                else []
            )
        return [(f"{root}.embeddings.transform", None, {})]
    if slot == "embeddings.position" and s.embeddings.position.when:
        return [(f"{root}.embeddings.position", None, {"when": [s.embeddings.position.when]})]
    if slot == "embeddings.norm" and isinstance(s.embeddings.norm, Switch):
        return [(f"{root}.embeddings.norm", None, {"when": _cond(s.embeddings.norm)})]
    if slot == "pooler":
        on = _cond(s.pooler.dense)
        return [("pooler.dense", None, {"when": on} if on else {})]
    if slot == "attn.last_out_bias":  # the last layer's output projection's bias
        return [(f"{root}.layers.{{i}}.attn.o.bias", None, {"only_last": True})]
    if slot in ("conv", "conv_norm"):  # the convolution beside the first layer
        when = s.block.first_layer_conv.when
        path = f"{root}.first_conv.{'conv' if slot == 'conv' else 'norm'}"
        return [(path, None, {"when": [when]} if when else {})]
    dis = s.attention.disentangled
    if slot in ("rel_table", "rel_table_norm"):  # the table's module
        on = _cond(dis.table_norm) if slot == "rel_table_norm" else None
        path = {"rel_table": "rel.table", "rel_table_norm": "rel.norm"}[slot]
        return [(f"{root}.{path}", None, {"when": on} if on else {})]
    if slot in ("attn.pos_k", "attn.pos_q"):  # each layer's projection of the table, unless shared
        conds = {"when": _cond(dis.c2p if slot == "attn.pos_k" else dis.p2c)}
        if isinstance(dis.shared_projections, Switch):
            conds["unless"] = [dis.shared_projections.switch]
        return [(f"{root}.layers.{{i}}.{slot}", None, {k: v for k, v in conds.items() if v})]
    if not slot.startswith(IN_LAYER_SLOTS):
        return [(f"{root}.{slot}", None, {})]
    layer = f"{root}.layers.{{i}}."
    if slot.startswith("ssm."):  # a state-space layer's mixing sublayer, `attn` in the module
        return [(layer + "attn." + slot[4:], None, {})]
    if slot.startswith("cross"):
        fused = {"cross.k": 0, "cross.v": 1}
        path = "cross.kv" if slot in fused else slot
        return [(layer + path, fused.get(slot), {"when": list(cross_when)} if cross_when else {})]
    if slot.startswith("bottleneck."):
        conds = list(in_bottleneck or [])
        if slot.startswith("bottleneck.qk"):
            conds += _cond(b.shared_query_key) or []
        return [(layer + _PATHS[slot], None, {"when": conds} if conds else {})]
    gate = s.block.norm_gate
    norm, _, part = slot.partition("_gate.")
    if gate is not None and norm in ("attn_norm", "ffn_norm") and getattr(gate, norm) != "none":
        # a gated norm: the norm and its gate are one module (`GatedNorm`), in every layer or those with experts
        path = f"{layer}{norm}.{part or 'norm'}"
        if getattr(gate, norm) == "all":
            return [(path, None, {})]
        gated = [(path, None, _expert_layers(s, True))]
        return gated if part else [*gated, (layer + norm, None, _expert_layers(s, False))]
    if slot in ("attn_out_norm", "ffn_out_norm"):
        on = _cond(s.block.output_norms)
        return [(layer + slot, None, {"when": on} if on else {})]
    if slot in ("attn.q_norm", "attn.k_norm"):
        on = _cond(s.attention.qk_norm)
        return [(layer + slot, None, {"when": on} if on else {})]
    latent = s.attention.latent
    if latent is not None and slot in ("attn.q", "attn.q_a", "attn.q_a_norm", "attn.q_b"):
        # the queries: one projection, or the low-rank path (`attn.q.a`, `.norm`, `.b`)
        low = slot != "attn.q"
        path = {
            "attn.q": "attn.q",
            "attn.q_a": "attn.q.a",
            "attn.q_a_norm": "attn.q.norm",
            "attn.q_b": "attn.q.b",
        }
        on = latent.q_rank_when
        return [(layer + path[slot], None, {("when" if low else "unless"): [on]} if on else {})]
    if slot == "attn.sinks" and isinstance(s.attention.sinks, Switch):
        # only where the switch is on: per layer where a layer type sets it (`type_sizes`)
        return [(layer + slot, None, {"when": [s.attention.sinks.switch], **_type_flags(s)})]
    if slot in ("attn.k", "attn.v") and s.attention.value_head_dim is not None:
        # values of a width of their own: keys and values in projections of their own
        return [(layer + slot, None, {})]
    if slot in ("attn.q", "attn.k", "attn.v") and s.attention.num_kv_heads is not None:
        # grouped-query attention: the queries apart, keys and values fused
        return (
            [(layer + "attn.q", None, {})]
            if slot == "attn.q"
            else [(layer + "attn.kv", "kv".index(slot[-1]), {})]
        )
    if slot in ("attn.q", "attn.k", "attn.v"):
        plain = (layer + "attn.qkv", "qkv".index(slot[-1]))
        if in_bottleneck is None:  # no bottleneck block: always fused q/k/v
            return [(*plain, {})]
        split = (layer + "attn.qk", "qk".index(slot[-1])) if slot != "attn.v" else (layer + "attn.v", None)
        if not in_bottleneck:  # always the bottleneck block
            return [(*split, {})]
        return [(*split, {"when": in_bottleneck}), (*plain, {"unless": in_bottleneck})]
    if slot in ("ffn.gate", "ffn.up", "ffn.down") and s.ffn.experts is not None:
        # each expert's FFN: `{e}` expands over the experts, as `{i}` over the layers
        where = {"experts": s.ffn.experts.count, **_expert_layers(s, True)}
        if s.ffn.experts.stacked:  # one key holds every expert's tensor: this entry reads slice e
            where["index"] = "{e}"
            if s.ffn.experts.flat:  # concatenated along the rows, not stacked on a dimension of their own
                where["flat"] = True
        return [(layer + f"ffn.experts.{{e}}.{slot[4:]}", None, where)]
    if slot.startswith("ffn.dense."):  # the dense FFN of a layer without experts
        return [(layer + "ffn." + slot.removeprefix("ffn.dense."), None, _expert_layers(s, False))]
    if slot == "ffn.router_bias":
        return [(layer + "ffn.selection_bias", None, _expert_layers(s, True))]
    if slot in ("ffn.output_norm", "ffn.output_bias"):  # in the layers with experts only
        return [(layer + slot, None, _expert_layers(s, True))]
    if slot.startswith(("ffn.router", "ffn.shared", "ffn.latent")):
        where = _expert_layers(s, True)
        if (
            slot.startswith("ffn.latent") and s.ffn.experts.latent_when
        ):  # projections config.json may leave out
            where = where | {"when": [s.ffn.experts.latent_when]}
        if (
            slot.startswith("ffn.shared") and s.ffn.experts.shared.when
        ):  # a shared expert config.json may leave out
            where = where | {"when": [s.ffn.experts.shared.when]}
        return [(layer + slot, None, where)]
    return [(layer + _PATHS.get(slot, slot), None, {})]


def _type_flags(s: ArchSpec) -> dict:
    """The bool symbols a layer's type sets (`attention.type_sizes`), for the table entries whose
    conditions name them: evaluated per layer, with that layer's values."""
    by_type = s.attention.type_sizes
    if by_type is None:
        return {}
    flags = {
        kind: {name: source for name, source in sizes.items() if s.sizes[name].kind == "bool"}
        for kind, sizes in by_type.sizes.items()
    }
    flags = {kind: named for kind, named in flags.items() if named}
    return {"type_flags": {"types": by_type.types, "flags": flags}} if flags else {}


def _expert_rules(s: ArchSpec) -> str | None:
    """The config values `ffn.experts.layers` reads, in words (`config.a and config.b`)."""
    layers = s.ffn.experts.layers if s.ffn.experts else None
    if layers is None:
        return None
    names = [
        f"config.{getattr(layers, k)}"
        for k in ("skip", "only", "step", "offset", "start", "end", "types")
        if getattr(layers, k)
    ]
    return ", ".join(names[:-1]) + " and " + names[-1] if len(names) > 1 else names[0]


def _expert_test(s: ArchSpec) -> str | None:
    """Whether layer `i` has experts, as the generated module computes it (`skip`, `only` local sets)."""
    layers = s.ffn.experts.layers if s.ffn.experts else None
    if layers is None:
        return None
    tests = ["i not in skip"] if layers.skip else []
    if layers.step and layers.offset:
        tests.append(f"i % config.{layers.step} == config.{layers.offset}")
    elif layers.step:
        tests.append(f"(i + 1) % config.{layers.step} == 0")
    low = f"config.{layers.start} <= " if layers.start else ""
    high = f" <= config.{layers.end}" if layers.end else ""
    tests += [f"{low}i{high}"] if low or high else []
    rules = " and ".join(tests) or "True"
    if layers.types:  # the list, where config.json has one, decides alone
        return f'ffn_kinds[i] == "{layers.sparse}" if ffn_kinds else {rules}'
    if layers.only:  # so does this one
        return f"i in only if only else {rules}"
    return rules


def _expert_layers(s: ArchSpec, experts: bool) -> dict:
    """The condition of an entry in the layers with experts (``experts``) or in the others, where
    `ffn.experts.layers` picks them: its rules, by size symbol, for the loader to apply."""
    layers = s.ffn.experts.layers
    if layers is None:
        return {}
    rules = {
        k: getattr(layers, k)
        for k in ("skip", "only", "step", "offset", "start", "end", "types")
        if getattr(layers, k) is not None
    }
    if layers.types:
        rules["sparse"] = layers.sparse
    return {"layers_where": {"experts": experts, **rules}}


def slot_entries(
    s: ArchSpec,
    slot: str,
    kind: str,
    key: str,
    fused: dict[str, dict],
    root: str = "backbone",
    cross_when: tuple[str, ...] = ("cross_attention",),
) -> list[dict]:
    """The new entries for one slot's tensors (``key`` is its checkpoint key without `.weight`).

    Slots fused into one parameter (q/k/v) extend the entry kept in ``fused``."""
    entries: list[dict] = []
    for p in _slot_params(s, slot, kind):
        # a weight stored (in, out) (`transposed:`): fused parts are all or none (checked)
        flag = {"transpose": True} if p == "weight" and slot in s.transposed else {}
        if slot in s.unit_dims:  # a bare tensor stored with dimensions of size 1 beyond its own
            flag["unit_dims"] = sorted(s.unit_dims[slot])
        conv_groups = s.conv_weights.get(slot) if p == "weight" else None
        if conv_groups is not None:  # a 1x1 convolution's (out, in / groups, 1), loaded block-diagonal
            flag["conv"] = {"groups": conv_groups}
        if slot in ("attn.q", "attn.k", "attn.v") and s.attention.qkv_layout == "per_head":
            # one key whose q/k/v rows are grouped by head (checked): regrouped by part at load
            flag["regroup"] = {"parts": 3, "groups": s.attention.num_heads}
        elif slot in ("attn.q", "attn.k", "attn.v") and s.attention.qkv_layout == "per_group":
            # one key whose rows are grouped per key/value head: its queries, its key, its value
            flag["regroup"] = {"heads": s.attention.num_heads, "groups": s.attention.num_kv_heads}
        elif slot in ("attn.q", "attn.k", "attn.v") and s.attention.qkv_layout == "per_shard":
            # one key whose rows fall in shards of each part (in `qkv_order`): regrouped at load
            order = [s.attention.qkv_order.index(part) for part in "qkv"]  # each of ours, in the shard
            flag["regroup"] = {"parts": 3, "groups": s.attention.qkv_shards, "order": order}
        elif slot in ("ffn.gate", "ffn.up") and s.ffn.gate_up_order == "interleaved":
            # one key whose gate and up rows alternate, feature by feature (checked): regrouped at load
            flag["regroup"] = {"parts": 2, "groups": s.ffn.size}
        elif slot in s.grouped_rows:
            # one key several slots share, each group holding each slot's rows in turn: regrouped at load
            flag["regroup"] = {"by_param": True, "groups": s.grouped_rows[slot]}
        # a bias a config switch turns on exists only then
        bias_slot = kind == "linear" or (kind == "conv" and slot != "conv")
        switched = bias_when(_slot_bias(s, slot)).get("when", []) if p == "bias" and bias_slot else []
        for path, index, conds in _placements(s, slot, root, cross_when):
            if switched:
                conds = {**conds, "when": [*conds.get("when", []), *switched]}
            if slot == "attn_norm" and not s.block.first_attn_norm:
                conds = {**conds, "from_layer": 1}  # layer 0 has no norm before attention
            layer_kind = _slot_kind(s, slot)
            if layer_kind is not None:  # in a stack of mixed layers, the layers of its kind alone
                conds = {**conds, **_kind_where(s, layer_kind)}
            # stacked experts whose keys name their tensors whole, their biases `<key>_bias` (`bare_keys`)
            bare = slot in ("ffn.gate", "ffn.up", "ffn.down") and s.ffn.experts is not None
            bare = bare and s.ffn.experts.bare_keys
            name = {"weight": key, "bias": f"{key}_bias"}[p] if bare else f"{key}.{p}"
            param, name = (f"{path}.{p}", name) if p else (path, key)
            if index is None:
                entries.append({"op": "rename", "param": param, "key": name, **conds, **flag})
                continue
            entry = fused.get(param)
            if entry is None:
                entry = fused[param] = {"op": "fuse", "param": param, "keys": [], "dim": 0, **conds, **flag}
                if "conv" in flag:
                    entry["conv"] = {"groups": []}  # each part's, below
                entries.append(entry)
            entry["keys"].append(name)
            if "conv" in flag:
                entry["conv"]["groups"].append(conv_groups)
    return entries


def one_key_fuses(entries: list[dict]) -> list[dict]:
    """``fuse`` entries whose parts all name one key (q/k/v stored concatenated, GPT-2's
    ``c_attn``) as ``rename`` entries of that key."""
    out = []
    for entry in entries:
        if entry["op"] == "fuse" and len(set(entry["keys"])) == 1:
            fields = {k: v for k, v in entry.items() if k not in ("op", "keys", "dim", "param")}
            entry = {"op": "rename", "param": entry["param"], "key": entry["keys"][0], **fields}
        out.append(entry)
    return out


def one_key_splits(entries: list[dict]) -> list[dict]:
    """``rename`` entries that read one key into several parameters as one ``split`` entry:
    the key's rows, in the order the slots come, cut at each parameter's rows. (q/k/v in
    one key under grouped-query attention, whose queries are a parameter apart from the
    fused keys and values, as Phi-3's ``qkv_proj``; a gated FFN's gate and up in one key,
    as its ``gate_up_proj``.) Entries that differ in anything but their parameter stay apart."""
    by_key: dict[str, list[dict]] = {}
    for entry in entries:
        if entry["op"] == "rename":
            by_key.setdefault(entry["key"], []).append(entry)

    def rest(entry: dict) -> dict:
        return {k: v for k, v in entry.items() if k not in ("op", "param", "key")}

    out, written = [], set()
    for entry in entries:
        group = by_key.get(entry["key"], []) if entry["op"] == "rename" else []
        if len(group) < 2 or any(rest(other) != rest(entry) for other in group):
            out.append(entry)
        elif entry["key"] not in written:
            written.add(entry["key"])
            params = [other["param"] for other in group]
            out.append({"op": "split", "key": entry["key"], "params": params, "dim": 0, **rest(entry)})
    return out


def table_entries(ir: ArchIR, head: HeadIR) -> list[dict]:
    """The weight-mapping entries of one head, in a stable order."""
    s = ir.spec
    if head.spec.encoder_decoder:
        return _s2s.seq2seq_table_entries(ir, head)
    prefix = f"{head.base_prefix or s.base_prefix}." if head.prefixed else ""
    has_cross = head.spec.attention == "causal" and head.spec.cross_attention_config is not None
    slots = backbone_slots(s, cross_attention=has_cross)
    entries: list[dict] = []
    fused: dict[str, dict] = {}

    def key_of(slot: str) -> str:
        if slot.startswith("ffn_stack."):
            return f"{prefix}{layer_key(s.keys['layer'], s.keys['ffn_stack'])}.{s.keys[slot]}"
        if in_layer(s, slot):  # an empty layer prefix: the slot's key holds `{i}` itself
            return f"{prefix}{layer_key(s.keys['layer'], s.keys[slot])}"
        return prefix + s.keys[slot]

    ssm = state_space(s)
    for slot, kind in slots.items():
        if kind == "prefix" or (slot == "pooler" and not head.uses_pooler):
            continue
        if ssm is not None and slot == "ssm.conv" and ssm.conv_keys:  # the conv weight in three keys
            (entry,) = slot_entries(s, slot, kind, "", fused)  # its weight alone (no bias: checked)
            keys = [f"{prefix}{layer_key(s.keys['layer'], key)}.weight" for key in ssm.conv_keys]
            rest = {k: v for k, v in entry.items() if k not in ("op", "key")}
            entries.append({"op": "fuse", **rest, "keys": keys, "dim": 0, "uneven": True})
            continue
        if ssm is not None and slot in ssm.keys:  # a norm whose key differs in the state-space layers
            for layer_kind, key in (("attention", s.keys[slot]), ("state_space", ssm.keys[slot])):
                own = f"{prefix}{layer_key(s.keys['layer'], key)}"
                entries += [
                    {**e, **_kind_where(s, layer_kind)} for e in slot_entries(s, slot, kind, own, fused)
                ]
            continue
        experts = s.ffn.experts
        if experts is not None and slot in experts.keys:  # a norm keyed apart in the layers with experts
            for on, key in ((True, experts.keys[slot]), (False, s.keys[slot])):
                own = f"{prefix}{layer_key(s.keys['layer'], key)}"
                for entry in slot_entries(s, slot, kind, own, fused):
                    where = entry.get("layers_where")
                    if where is None:  # the same parameter in every layer: its key by the layer's kind
                        entries.append({**entry, **_expert_layers(s, on)})
                    elif where["experts"] == on:  # a gated norm's, whose parameter differs too
                        entries.append(entry)
            continue
        special = _s2s.special_slot_entries(s, slot, key_of(slot), s.keys[slot], "backbone")
        if special is not None:  # a shared relative bias table, or an FFN slot of several variants
            entries += special
            continue
        entries += slot_entries(s, slot, kind, key_of(slot), fused)
    entries = one_key_splits(one_key_fuses(entries))

    for layer in all_layers(head):
        if layer.op == "linear":
            for p in _linear_params(layer.bias):
                entries.append(
                    {"op": "rename", "param": f"{layer.name}.{p}", "key": f"{head.keys[layer.name]}.{p}"}
                )
        elif layer.op == "bias":  # a bare tensor, under its key itself
            entries.append({"op": "rename", "param": layer.name, "key": head.keys[layer.name]})
        elif layer.op == "norm":
            for p in _norm_params(s, layer.norm_kind):
                entries.append(
                    {"op": "rename", "param": f"{layer.name}.{p}", "key": f"{head.keys[layer.name]}.{p}"}
                )
        elif layer.op == "lm_decoder" and layer.bias is not True:
            entries += _s2s.lm_decoder_entries(layer, head, "backbone.embeddings.word.weight")
            if isinstance(layer.bias, Switch):  # its own bias, where config.json switches it on
                key = f"{head.keys[layer.name]}.bias"
                entries.append(
                    {"op": "rename", "param": f"{layer.name}.bias", "key": key, **bias_when(layer.bias)}
                )
        elif layer.op == "lm_decoder":
            # Tied: the weight is the word embedding and the bias sits at `<name>.bias`
            # (the decoder's own `.bias` key is the same tensor). Untied: the decoder
            # has its own weight and bias, and `<name>.bias` is a leftover the
            # reference keeps but never uses: kept aside at load and written back as it was.
            own = head.keys[layer.name]
            shared_bias = head.keys.get(f"{layer.name}.bias", f"{own}.bias")
            tied, untied = {"when": ["tie_word_embeddings"]}, {"unless": ["tie_word_embeddings"]}
            entries.append(
                {
                    "op": "tie",
                    "param": f"{layer.name}.weight",
                    "to": "backbone.embeddings.word.weight",
                    "key": f"{own}.weight",
                    **tied,
                }
            )
            entries.append(
                {"op": "rename", "param": f"{layer.name}.weight", "key": f"{own}.weight", **untied}
            )
            # the bias: at `<name>.bias` when tied; untied too where that is the decoder's own key (Phi)
            same = shared_bias == f"{own}.bias"
            entries.append(
                {"op": "rename", "param": f"{layer.name}.bias", "key": shared_bias, **({} if same else tied)}
            )
            if layer.extra_rows:
                extra_key = f"{head.keys[f'{layer.name}.extra']}.weight"
                entries.append({"op": "rename", "param": f"{layer.name}_extra", "key": extra_key})
            if not same:
                entries.append(
                    {
                        "op": "ignore",
                        "key": f"{own}.bias",
                        "reason": f"the same tensor as {shared_bias}",
                        **tied,
                    }
                )
                entries.append(
                    {"op": "rename", "param": f"{layer.name}.bias", "key": f"{own}.bias", **untied}
                )
                entries.append(
                    {
                        "op": "alias",
                        "param": f"{layer.name}.bias",
                        "key": shared_bias,
                        "reason": "kept but unused by the reference when untied; written back as it was read",
                        **untied,
                    }
                )

    entries += [_s2s.ignore_entry(ign, prefix) for ign in tuple(s.ignore) + head.ignore]
    return entries


def render_table(ir: ArchIR) -> str:
    """The weight-mapping table of every head, as stable, readable JSON."""
    s = ir.spec
    flags = {"tie_word_embeddings": {"config": s.tie_config, "default": True}} if s.tie_config else {}
    cross_cfg = next((h.spec.cross_attention_config for h in ir.heads if h.spec.cross_attention_config), None)
    if cross_cfg:
        flags["cross_attention"] = {"config": cross_cfg, "default": False}
    flags.update(_s2s.ffn_variant_flags(s))
    doc = {
        "generated_by": GENERATOR,
        "spec": ir.spec_file,
        "spec_hash": ir.spec_hash,
        "layers": s.block.layer_groups or s.block.num_layers,  # what `{i}` counts in layer keys
        **({"stack": s.block.ffn_stack} if s.block.ffn_stack else {}),
        "flags": flags,
        "heads": {h.name: {"class": h.class_name, "entries": table_entries(ir, h)} for h in ir.heads},
    }
    return _dump_table(doc)


def _dump_table(doc: dict) -> str:
    """JSON with one table entry per line, so the file reads like the table it is."""
    heads = doc.pop("heads")
    lines = ["{"]
    lines += [f"  {json.dumps(k)}: {json.dumps(v)}," for k, v in doc.items()]
    lines.append('  "heads": {')
    for n, (name, head) in enumerate(heads.items()):
        lines.append(f"    {json.dumps(name)}: {{")
        lines.append(f'      "class": {json.dumps(head["class"])},')
        lines.append('      "entries": [')
        entries = head["entries"]
        lines += [
            f"        {json.dumps(e)}{',' if i < len(entries) - 1 else ''}" for i, e in enumerate(entries)
        ]
        lines.append("      ]")
        lines.append("    }" + ("," if n < len(heads) - 1 else ""))
    lines += ["  }", "}"]
    return "\n".join(lines) + "\n"
