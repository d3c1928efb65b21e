"""Bad specs: every defect is reported as a SpecError pointing at the right place.

Each case writes a small spec into ``tmp_path`` (usually a delta over the
built-in ``roberta_family``, or a full copy of it with one edit), loads it and
checks the one diagnostic it must produce: file, YAML path, line, column,
message and did-you-mean hint. Nothing here may crash with a bare Python
exception; nothing may be silently accepted.
"""

from __future__ import annotations

import math
import textwrap
from dataclasses import dataclass
from pathlib import Path

import pytest
from typer.testing import CliRunner

from archgen.compiler.cli import app
from archgen.compiler.errors import Diagnostic, SpecError
from archgen.compiler.lower import SPECS_DIR, bind_sizes, discover_specs, load_arch
from archgen.compiler.schema import SizeSpec

# A delta over the built-in family. Its body starts on line 8 (BODY_LINE), so
# the line numbers below are those of the body lines.
HEADER = """\
spec_version: 1
name: {name}
extends: {extends}
abstract: false
title: Bad
model_types: [bad]
class_prefix: Bad
"""
BODY_LINE = 8


def delta(body: str = "", *, name: str = "bad", extends: str = "roberta_family") -> str:
    return HEADER.format(name=name, extends=extends) + textwrap.dedent(body)


FAMILY = (SPECS_DIR / "roberta_family.yaml").read_text(encoding="utf-8")
MAMBA2 = {"mamba2.yaml": (Path(__file__).parent / "fixtures" / "mamba2.yaml").read_text(encoding="utf-8")}
NEMOTRON_H = (Path(__file__).parent / "fixtures" / "nemotron_h.yaml").read_text(encoding="utf-8")
MAMBA = {"mamba.yaml": (Path(__file__).parent / "fixtures" / "mamba.yaml").read_text(encoding="utf-8")}
JAMBA_TEXT = (Path(__file__).parent / "fixtures" / "jamba.yaml").read_text(encoding="utf-8")
# Qwen3-Next and the user specs it extends, for cases that are deltas of it.
QWEN3_NEXT = {
    f"{name}.yaml": (Path(__file__).parent / "fixtures" / f"{name}.yaml").read_text(encoding="utf-8")
    for name in ("llama", "qwen3", "qwen3_moe", "qwen3_next")
}
OLMO_HYBRID = {
    f"{name}.yaml": (Path(__file__).parent / "fixtures" / f"{name}.yaml").read_text(encoding="utf-8")
    for name in ("llama", "olmo2", "olmo_hybrid")
}
DEEPSEEK_V3 = {
    f"{name}.yaml": (Path(__file__).parent / "fixtures" / f"{name}.yaml").read_text(encoding="utf-8")
    for name in ("llama", "glm4_moe", "deepseek_v3")
}
DEEPSEEK_V32 = {
    **DEEPSEEK_V3,
    "deepseek_v32.yaml": (Path(__file__).parent / "fixtures" / "deepseek_v32.yaml").read_text(
        encoding="utf-8"
    ),
}
LFM2 = {
    f"{name}.yaml": (Path(__file__).parent / "fixtures" / f"{name}.yaml").read_text(encoding="utf-8")
    for name in ("llama", "lfm2")
}

# Mixtral and the user specs it extends (tests/fixtures), for cases that are deltas of them.
MIXTRAL = {
    f"{name}.yaml": (Path(__file__).parent / "fixtures" / f"{name}.yaml").read_text(encoding="utf-8")
    for name in ("llama", "mistral", "mixtral")
}
JETMOE = {
    f"{name}.yaml": (Path(__file__).parent / "fixtures" / f"{name}.yaml").read_text(encoding="utf-8")
    for name in ("llama", "jetmoe")
}
MINIMAX = {
    f"{name}.yaml": (Path(__file__).parent / "fixtures" / f"{name}.yaml").read_text(encoding="utf-8")
    for name in ("llama", "mistral", "mixtral", "minimax")
}
DOGE = {
    f"{name}.yaml": (Path(__file__).parent / "fixtures" / f"{name}.yaml").read_text(encoding="utf-8")
    for name in ("llama", "mistral", "doge")
}
BAMBA = {
    **MIXTRAL,
    "bamba.yaml": (Path(__file__).parent / "fixtures" / "bamba.yaml").read_text(encoding="utf-8"),
}


def type_sizes_spec(sizes: str) -> dict[str, str]:
    """Llama with its `layer_types` read and the sliding layers' sizes set by ``sizes`` (a flow
    mapping on line ``BODY_LINE + 6``, at column 27)."""
    body = (
        "sizes:\n"
        "  layer_types: {config: layer_types, kind: list}\n"
        "attention:\n"
        "  type_sizes:\n"
        "    types: layer_types\n"
        "    sizes:\n"
        f"      sliding_attention: {sizes}\n"
    )
    return {"bad.yaml": delta(body, extends="llama"), **LFM2}


def family_copy(old: str = "", new: str = "") -> str:
    """A full copy of ``roberta_family.yaml`` renamed to ``bad``, with ``old`` replaced by ``new``."""
    text = FAMILY.replace("name: roberta_family", "name: bad", 1)
    if old:
        assert old in text, f"roberta_family.yaml no longer contains {old!r}"
        text = text.replace(old, new, 1)
    return text


def line_of(text: str, needle: str) -> int:
    """The 1-based line of the first line of ``text`` containing ``needle``."""
    for number, line in enumerate(text.splitlines(), start=1):
        if needle in line:
            return number
    raise AssertionError(f"{needle!r} not in the spec text")


@dataclass(frozen=True)
class Case:
    id: str
    files: dict[str, str | bytes]  # path under tmp_path -> content
    path: str  # the YAML path of the diagnostic
    line: int
    column: int | None  # None: not checked (a whole-document problem)
    message: str  # a substring of the message
    hint: str | None = None  # the exact hint, or None for none
    file: str = "bad.yaml"  # the file the diagnostic points into
    main: str = "bad.yaml"  # the file handed to load_arch
    count: int = 1  # how many diagnostics the spec produces in all


# A mixture of experts on the family's layers, with dense FFNs in the layers `layers` picks.
EXPERT_LAYERS = """\
ffn:
  experts:
    count: num_layers
    top_k: num_heads
    layers: {layers}
keys:
  ffn.router: mlp.gate
  ffn.up: mlp.experts.{{e}}.up
  ffn.down: mlp.experts.{{e}}.down
  ffn.dense.up: {dense}
  ffn.dense.down: mlp.down
"""

_MISSING_PREFIX = family_copy("class_prefix: Roberta\n", "")

CASES = [
    # ---------------------------------------------------------------- YAML level
    Case(
        "yaml-syntax-error",
        {"bad.yaml": "spec_version: 1\nname: bad\nextends: roberta_family\ntitle: RoBERTa: the sequel\n"},
        path="<root>",
        line=4,
        column=15,
        message="invalid YAML: mapping values are not allowed here",
    ),
    Case(
        "yaml-tab-indentation",
        {"bad.yaml": delta("block:\n\tplacement: pre\n")},
        path="<root>",
        line=BODY_LINE + 1,
        column=1,
        message="invalid YAML: found character '\\t' that cannot start any token",
    ),
    Case(
        "empty-file",
        {"bad.yaml": ""},
        path="<root>",
        line=1,
        column=1,
        message="the file is empty; expected a mapping",
    ),
    Case(
        "only-comments",
        {"bad.yaml": "# nothing to see here\n"},
        path="<root>",
        line=1,
        column=1,
        message="the file is empty; expected a mapping",
    ),
    Case(
        "top-level-list",
        {"bad.yaml": "- spec_version: 1\n- name: bad\n"},
        path="<root>",
        line=1,
        column=1,
        message="expected a mapping, got list",
    ),
    Case(
        "duplicate-key",
        {"bad.yaml": delta("title: Bad again\n")},
        path="title",
        line=BODY_LINE,
        column=1,
        message="duplicate key 'title'",
    ),
    Case(
        "not-utf8",
        {"bad.yaml": delta("title: Caf\xe9\n").encode("latin-1")},
        path="<root>",
        line=BODY_LINE,
        column=11,
        message="the file is not valid UTF-8",
    ),
    Case(
        "control-character",
        {"bad.yaml": delta("block: {placement: \x07post}\n")},
        path="<root>",
        line=BODY_LINE,
        column=20,
        message="unacceptable character #x0007",
    ),
    Case(
        "unknown-yaml-tag",
        {"bad.yaml": delta("block: {placement: !custom post}\n")},
        path="block.placement",
        line=BODY_LINE,
        column=20,
        message="could not determine a constructor for the tag '!custom'",
    ),
    Case(
        "recursive-alias",
        {"bad.yaml": delta("sizes: &loop {hidden_size: *loop}\n")},
        path="sizes.hidden_size",
        line=BODY_LINE,
        column=15,
        message="a recursive alias: the value anchored at line 8, column 8 contains itself",
    ),
    Case(
        "list-as-mapping-key",
        {"bad.yaml": delta("keys: {[attn.q, attn.k]: attention.self.qk}\n")},
        path="keys",
        line=BODY_LINE,
        column=8,
        message="a mapping key must be a plain name",
    ),
    # -------------------------------------------------------------- schema level
    Case(
        "unknown-top-level-key",
        {"bad.yaml": delta("atention: {bias: false}\n")},
        path="atention",
        line=BODY_LINE,
        column=1,
        message="unknown key 'atention'; expected one of: ",
        hint="did you mean 'attention'?",
    ),
    Case(
        "unknown-nested-key",
        {"bad.yaml": delta("block: {placment: pre}\n")},
        path="block.placment",
        line=BODY_LINE,
        column=9,
        message="unknown key 'placment'; expected one of: attn_norm_eps, bottleneck, depth_scaled_residuals, ffn_norm_eps, ffn_stack, "
        "final_norm, first_attn_norm, first_layer_conv, "
        "layer_groups, layer_kinds, norm_gate, num_layers, output_norms, parallel, placement, residual, residual_gains, "
        "residual_scale, residual_weights, shared_norm, sublayer_when",
        hint="did you mean 'placement'?",
    ),
    Case(
        "unknown-head-layer-key",
        {
            "bad.yaml": delta(
                """\
                heads:
                  token_classification:
                    layers: [{op: linear, nmae: classifier, out: num_labels}]
                """
            )
        },
        path="heads.token_classification.layers[0].nmae",
        line=BODY_LINE + 2,
        column=27,
        message="unknown key 'nmae'; expected one of: bias, by, divide, extra_rows, fn, name, norm_kind, op, out",
        hint="did you mean 'name'?",
    ),
    Case(
        "bad-enum-placement",
        {"bad.yaml": delta("block: {placement: psot}\n")},
        path="block.placement",
        line=BODY_LINE,
        column=9,
        message="expected one of 'post', 'pre', 'sublayer' or 'sandwich', got 'psot'",
        hint="did you mean 'post'?",
    ),
    Case(
        "bad-enum-norm-kind",
        {"bad.yaml": delta("norm: {kind: layernorm}\n")},
        path="norm.kind",
        line=BODY_LINE,
        column=8,
        message="expected one of 'layer_norm', 'rms_norm', 'offset_rms_norm', 'offset_layer_norm' or 'no_norm', "
        "got 'layernorm'",
        hint="did you mean 'layer_norm'?",
    ),
    Case(
        "bad-enum-in-full-copy",
        {"bad.yaml": family_copy("block: {placement: post}", "block: {placement: psot}")},
        path="block.placement",
        line=line_of(family_copy(), "block: {placement: post}"),
        column=9,
        message="got 'psot'",
        hint="did you mean 'post'?",
    ),
    Case(
        "wrong-type-spec-version",
        {"bad.yaml": delta().replace("spec_version: 1", 'spec_version: "one"')},
        path="spec_version",
        line=1,
        column=1,
        message="Input should be a valid integer, unable to parse string as an integer (got 'one')",
    ),
    Case(
        "wrong-type-list-for-mapping",
        {"bad.yaml": delta("attention: [bias]\n")},
        path="attention",
        line=BODY_LINE,
        column=1,
        message="Input should be a valid dictionary or instance of AttentionSpec (got ['bias'])",
    ),
    Case(
        "missing-required-key",
        {"bad.yaml": _MISSING_PREFIX},
        path="class_prefix",
        line=line_of(_MISSING_PREFIX, "spec_version:"),  # the mapping that lacks it
        column=1,
        message="required key is missing",
    ),
    Case(
        "wrong-spec-version",
        {"bad.yaml": delta().replace("spec_version: 1", "spec_version: 2")},
        path="spec_version",
        line=1,
        column=1,
        message="this compiler reads spec_version 1, got 2",
        hint="see 'Spec versions' in the README for migrations",
    ),
    Case(
        "name-not-file-stem",
        {"bad.yaml": delta(name="roberta_bad")},
        path="name",
        line=2,
        column=1,
        message="name 'roberta_bad' must equal the file stem 'bad'",
    ),
    # ------------------------------------------------------------------ extends
    Case(
        "extends-missing-spec",
        {"bad.yaml": delta(extends="roberta_famly")},
        path="extends",
        line=3,
        column=1,
        message="no spec named 'roberta_famly' to extend",
        hint="did you mean 'roberta_family'?",
    ),
    Case(
        "extends-cycle",
        {"a.yaml": delta(name="a", extends="b"), "b.yaml": delta(name="b", extends="a")},
        main="a.yaml",
        file="b.yaml",
        path="extends",
        line=3,
        column=1,
        message="cycle in extends: a -> b -> a",
    ),
    Case(
        "extends-itself",
        {"bad.yaml": delta(extends="bad")},
        path="extends",
        line=3,
        column=1,
        message="cycle in extends: bad -> bad",
    ),
    # -------------------------------------------------------------------- heads
    Case(
        "unknown-head",
        {"bad.yaml": delta("heads:\n  masked_llm:\n")},
        path="heads.masked_llm",
        line=BODY_LINE + 1,
        column=3,
        message="no head spec named 'masked_llm'; available: ",
        hint="did you mean 'masked_lm'?",
    ),
    Case(
        "bad-head-spec-file",
        {
            "bad.yaml": delta("heads:\n  tagger:\n"),
            "heads/tagger.yaml": "spec_version: 1\nname: tagger\ntitle: t\nclass_suffix: ForTagging\n"
            "input: sequnce\noutputs: [logits]\n",
        },
        file="heads/tagger.yaml",
        path="input",
        line=5,
        column=1,
        message="expected one of 'sequence', 'first_token', 'pooled', 'last_token', 'last_eos', 'mean', 'first_kept' or 'late_mean', got 'sequnce'",
        hint="did you mean 'sequence'?",
    ),
    Case(
        "linear-head-layer-without-out",
        {
            "bad.yaml": delta(
                """\
                heads:
                  token_classification:
                    layers:
                      - {op: linear, name: classifier}
                """
            )
        },
        path="heads.token_classification.layers[0]",
        line=BODY_LINE + 3,
        column=9,
        message="a 'linear' layer needs 'out' (a size symbol or an integer)",
    ),
    Case(
        "head-reads-missing-pooler",
        {"bad.yaml": delta("pooler: null\nkeys: {pooler: null}\nheads: {multiple_choice: {}, base: null}\n")},
        path="heads.multiple_choice",
        line=BODY_LINE + 2,
        column=9,
        message="head 'multiple_choice' reads the pooler output, but the spec has no 'pooler'",
    ),
    Case(
        "transform-at-sum-without-transform",
        {"bad.yaml": delta("embeddings:\n  transform_at: sum\n")},
        path="embeddings.transform_at",
        line=BODY_LINE + 1,
        column=3,
        message="'transform_at: sum' places a transform; set 'transform'",
    ),
    Case(
        "transform-at-sum-with-trigram",
        {"bad.yaml": delta("embeddings:\n  trigram: true\n  transform: true\n  transform_at: sum\n")},
        path="embeddings.transform_at",
        line=BODY_LINE + 3,
        column=3,
        message="trigram word vectors are transformed at 'words', not 'sum'",
        count=2,  # and the transform has no checkpoint key
    ),
    Case(  # only a transform can be absent from the checkpoint when its switch is off
        "switch-without-unused-weights",
        {
            "bad.yaml": delta(
                "sizes:\n  dense_pooler: {config: dense_pooler, default: true, kind: bool}\n"
                "pooler: {dense: {switch: dense_pooler, unused: false}}\n"
            )
        },
        path="pooler.dense.unused",
        line=BODY_LINE + 2,
        column=40,
        message="only embeddings.transform may say 'unused: false'",
    ),
    Case(
        "transposed-unknown-slot",
        {"bad.yaml": delta("transposed: [attn.qq]\n")},
        path="transposed[0]",
        line=BODY_LINE,
        column=14,
        message="'attn.qq' is not a linear slot of this structure",
        hint="did you mean 'attn.q'?",
    ),
    Case(
        "transposed-part-of-a-fused-projection",
        {"bad.yaml": delta("transposed: [attn.q, attn.o]\n")},
        path="transposed[0]",
        line=BODY_LINE,
        column=14,
        message="attn.q, attn.k, attn.v load into one fused projection: transpose all of them or none",
    ),
    Case(  # one key for all three is the fused q/k/v; two of three is a typo
        "two-of-qkv-share-a-key",
        {"bad.yaml": delta("keys:\n  attn.v: attention.self.query\n")},
        path="keys.attn.v",
        line=BODY_LINE + 1,
        column=3,
        message="attn.q, attn.k and attn.v name one key (fused) or three, or, under grouped-query attention",
    ),
    Case(  # a rotary stack is built without cross-attention; the head must say so
        "rotary-positions-on-a-decoder-that-may-cross-attend",
        {
            "bad.yaml": delta(
                "sizes: {rope_theta: {value: 10000.0, kind: float}}\n"
                "embeddings: {position: {kind: rotary, ids: sequential}}\n"
                "keys: {embeddings.position: null}\n"
                "heads: {causal_lm: {}}\n"
            )
        },
        path="heads.causal_lm",
        line=BODY_LINE + 3,
        column=9,
        message="head 'causal_lm' may cross-attend (add_cross_attention), which is not built with rotary "
        "positions: say 'cross_attention: false'",
    ),
    Case(
        "rotary-positions-from-padding-offsets",
        {
            "bad.yaml": delta(
                "sizes: {rope_theta: {value: 10000.0, kind: float}}\n"
                "embeddings: {position: {kind: rotary, ids: padding_offset}}\n"
                "keys: {embeddings.position: null}\n"
                "heads: {causal_lm: null}\n"
            )
        },
        path="embeddings.position.ids",
        line=BODY_LINE + 1,
        column=39,
        message="rotary positions count from 0: 'ids: sequential'",
        count=6,  # and, without a causal head, the family's five cross-attention keys are unknown
    ),
    Case(
        "scaled-embeddings-with-a-transform",
        {
            "bad.yaml": delta(
                "embeddings: {scale: sqrt_width, transform: true}\nkeys: {embeddings.transform: x}\n"
            )
        },
        path="embeddings.scale",
        line=BODY_LINE,
        column=14,
        message="a scaled word embedding is built without 'trigram' or 'transform'",
    ),
    Case(  # one key for q, k and v is the fused projection, which a bottleneck block splits
        "one-qkv-key-with-a-bottleneck",
        {
            "bad.yaml": delta(
                "block: {bottleneck: {size: hidden_size}}\n"
                "keys: {attn.q: attention.self.qkv, attn.k: attention.self.qkv, attn.v: attention.self.qkv, "
                "bottleneck.input: b.in, bottleneck.input_norm: b.in_norm, bottleneck.output: b.out, "
                "bottleneck.output_norm: b.out_norm}\n"
                "heads: {causal_lm: null}\n"
            )
        },
        path="keys.attn.q",
        line=BODY_LINE + 1,
        column=8,
        message="one key for q, k and v loads into one fused projection, which a bottleneck block does not have",
        count=6,  # and, without the causal LM head, the family's five cross-attention keys are unknown
    ),
    Case(
        "shared-norm-on-sequential-layers",
        {"bad.yaml": delta("block: {shared_norm: true}\nkeys: {ffn_norm: null}\n")},
        path="block.shared_norm",
        line=BODY_LINE,
        column=9,
        message="'shared_norm' is for layers that are always parallel ('parallel: true')",
    ),
    Case(  # parallel layers are pre-norm; the family's decoder head may cross-attend as well
        "parallel-post-norm-layers",
        {"bad.yaml": delta("block: {parallel: true}\n")},
        path="block.parallel",
        line=BODY_LINE,
        column=9,
        message="parallel attention and FFN are pre-norm: set block.placement: pre",
        count=2,
    ),
    Case(  # and the family's decoder head may cross-attend, which parallel layers are built without
        "parallel-switch-over-a-number",
        {"bad.yaml": delta("block: {placement: pre, parallel: {switch: num_layers}}\n")},
        path="block.parallel.switch",
        line=BODY_LINE,
        column=36,
        message="switch 'num_layers' must be a bool size symbol (kind: bool), it is int",
        count=2,
    ),
    Case(
        "rotary-dim-on-learned-positions",
        {"bad.yaml": delta("sizes: {rd: {value: 4}}\nembeddings: {position: {rotary_dim: rd}}\n")},
        path="embeddings.position.rotary_dim",
        line=BODY_LINE + 1,
        column=25,
        message="'rotary_dim' is for 'kind: rotary' positions",
    ),
    Case(
        "ffn-sub-norm-with-experts",
        {
            "bad.yaml": delta(
                "ffn: {sub_norm: true, experts: {count: num_layers, top_k: num_heads}}\n"
                "keys:\n  ffn.router: mlp.gate\n  ffn.up: mlp.experts.{e}.up\n  ffn.down: mlp.experts.{e}.down\n"
                "  ffn.sub_norm: mlp.sub_norm\n"
            )
        },
        path="ffn.sub_norm",
        line=BODY_LINE,
        column=7,
        message="a norm before the down projection is built for one FFN per layer (no 'experts' or 'ffn_stack')",
        count=2,  # and the family's heads may cross-attend, which experts are not built with
    ),
    Case(
        "attention-sub-norm-in-an-encoder-decoder",
        {
            "bad.yaml": delta(
                "attention: {sub_norm: true}\nkeys: {attn.sub_norm: layer.0.SelfAttention.norm}\n",
                extends="umt5",
            )
        },
        path="attention.sub_norm",
        line=BODY_LINE,
        column=13,
        message="a norm before the attention's output projection: built for plain (not bottleneck) layers without a 'decoder' section",
    ),
    Case(
        "rotary-direction-on-learned-positions",
        {"bad.yaml": delta("embeddings: {position: {rotary_direction: reversed}}\n")},
        path="embeddings.position.rotary_direction",
        line=BODY_LINE,
        column=25,
        message="'rotary_direction' is for 'kind: rotary' positions",
    ),
    Case(
        "output-norms-without-sandwich-layers",
        {"bad.yaml": delta("block: {output_norms: false}\n")},
        path="block.output_norms",
        line=BODY_LINE,
        column=9,
        message="'output_norms' says whether sandwich layers norm their outputs: set 'placement: sandwich'",
    ),
    Case(
        "gate-up-order-on-a-dense-ffn",
        {"bad.yaml": delta("ffn: {gate_up_order: up_first}\n")},
        path="ffn.gate_up_order",
        line=BODY_LINE,
        column=7,
        message="'gate_up_order' orders a gated FFN's gate and up rows: set 'kind: gated'",
    ),
    Case(
        "down-bias-in-an-encoder-decoder",
        {"bad.yaml": delta("ffn: {down_bias: true}\n", extends="umt5")},
        path="ffn.down_bias",
        line=BODY_LINE,
        column=7,
        message="a bias of the down projection's own is built without 'ffn_stack', 'variants' or a 'decoder' section",
    ),
    Case(
        "output-gate-with-a-sub-norm",
        {
            "bad.yaml": delta(
                "attention: {output_gate: true, sub_norm: true}\n"
                "keys: {attn.gate: attention.gate, attn.sub_norm: attention.norm}\n"
                "heads: {causal_lm: null}\n"
            )
        },
        path="attention.output_gate",
        line=BODY_LINE,
        column=13,
        message="a gated attention output is built without 'sub_norm' (which comes first is not built)",
        count=6,  # and, without a causal head, the family's five cross-attention keys are unknown
    ),
    Case(
        "attention-sinks-with-capped-scores",
        {
            "bad.yaml": delta(
                "sizes: {cap: {value: 30.0, kind: float}}\n"
                "attention: {sinks: true, softcap: cap}\n"
                "keys: {attn.sinks: attention.sinks}\n"
                "heads: {causal_lm: null}\n"
            )
        },
        path="attention.sinks",
        line=BODY_LINE + 1,
        column=13,
        message="attention sinks are built without 'softcap' (capped scores with sinks are not built)",
        count=6,  # and, without a causal head, the family's five cross-attention keys are unknown
    ),
    Case(
        "sinusoidal-positions-with-a-bottleneck",
        {
            "bad.yaml": delta(
                "embeddings: {position: {kind: sinusoidal}}\nkeys: {embeddings.position: null}\n",
                extends="mobilebert",
            )
        },
        path="embeddings.position.kind",
        line=BODY_LINE,
        column=25,
        message="sinusoidal positions: built for plain (not bottleneck) layers",
    ),
    Case(
        "theta-per-layer-on-learned-positions",
        {
            "bad.yaml": delta(
                "sizes: {thetas: {config: layer_rope_theta, kind: list}}\nembeddings: {position: {theta_layers: thetas}}\n"
            )
        },
        path="embeddings.position.theta_layers",
        line=BODY_LINE + 1,
        column=25,
        message="'theta_layers' is for 'kind: rotary' positions",
    ),
    Case(
        "theta-per-layer-beside-rotary-layers",
        {
            "bad.yaml": delta(
                "sizes: {rope_theta: {value: 10000.0, kind: float}, thetas: {config: layer_rope_theta, kind: list}}\n"
                "embeddings: {position: {kind: rotary, ids: sequential, theta_layers: thetas,"
                " rotary_layers: {types: thetas, roped: 1}}}\n"
                "keys: {embeddings.position: null}\n"
                "heads: {causal_lm: null}\n"
            )
        },
        path="embeddings.position.theta_layers",
        line=BODY_LINE + 1,
        column=56,
        message="a theta per layer decides which layers rotate and how: not with 'rotary_layers' or "
        "'scaling.layer_types'",
        count=6,  # and, without a causal head, the family's five cross-attention keys are unknown
    ),
    Case(
        "bare-expert-keys-without-stacked-experts",
        {
            "bad.yaml": delta(
                "ffn: {experts: {count: num_layers, top_k: num_heads, bare_keys: true}}\n"
                "keys:\n  ffn.router: mlp.gate\n  ffn.up: mlp.experts.{e}.up\n  ffn.down: mlp.experts.{e}.down\n"
            )
        },
        path="ffn.experts.bare_keys",
        line=BODY_LINE,
        column=54,
        message="'bare_keys' names stacked experts' tensors whole: set 'stacked: true'",
        count=2,  # and the family's heads may cross-attend, which experts are not built with
    ),
    Case(
        "shared-expert-switched-by-an-int",
        {
            "bad.yaml": delta(
                "ffn: {experts: {count: num_layers, top_k: num_heads, shared: {size: num_heads, gated: false, when: num_heads}}}\n"
                "keys:\n  ffn.router: mlp.gate\n  ffn.up: mlp.experts.{e}.up\n  ffn.down: mlp.experts.{e}.down\n"
                "  ffn.shared.up: mlp.shared.up\n  ffn.shared.down: mlp.shared.down\n"
            )
        },
        path="ffn.experts.shared.when",
        line=BODY_LINE,
        column=94,
        message="'when' reads a bool size symbol; 'num_heads' is int",
        count=2,  # and the family's heads may cross-attend, which experts are not built with
    ),
    Case(
        "interleaved-gate-and-up-in-two-keys",
        {
            "bad.yaml": delta(
                "ffn: {kind: gated, gate_up_order: interleaved}\nkeys: {ffn.gate: intermediate.gate}\n"
            )
        },
        path="ffn.gate_up_order",
        line=BODY_LINE,
        column=20,
        message="'gate_up_order: interleaved' orders the rows of one key: ffn.gate and ffn.up must name the same key",
    ),
    Case(
        "clamped-glu-on-a-dense-ffn",
        {
            "bad.yaml": delta(
                "sizes: {lim: {value: 7.0, kind: float}}\nffn: {clamped_glu: {limit: lim, alpha: lim}}\n"
            )
        },
        path="ffn.clamped_glu",
        line=BODY_LINE + 1,
        column=7,
        message="a clamped GLU is a gated FFN's product with a sigmoid-weighted gate: set 'kind: gated'",
    ),
    Case(
        "flat-experts-without-stacked-experts",
        {
            "bad.yaml": delta(
                "ffn: {experts: {count: num_layers, top_k: num_heads, flat: true}}\n"
                "keys:\n  ffn.router: mlp.gate\n  ffn.up: mlp.experts.{e}.up\n  ffn.down: mlp.experts.{e}.down\n"
            )
        },
        path="ffn.experts.flat",
        line=BODY_LINE,
        column=54,
        message="'flat' lays out stacked experts' keys: set 'stacked: true'",
        count=2,  # and the family's heads may cross-attend, which experts are not built with
    ),
    Case(
        "xielu-in-a-mixture-of-experts",
        {
            "bad.yaml": delta(
                "ffn: {activation: xielu, experts: {count: num_layers, top_k: num_heads}}\n"
                "keys:\n  ffn.router: mlp.gate\n  ffn.up: mlp.experts.{e}.up\n  ffn.down: mlp.experts.{e}.down\n"
                "  ffn.act.alpha_p: a\n  ffn.act.alpha_n: b\n  ffn.act.beta: c\n  ffn.act.eps: d\n"
            )
        },
        path="ffn.activation",
        line=BODY_LINE,
        column=7,
        message="xIELU has parameters of each layer's: one FFN per layer (no 'experts', 'variants' or 'ffn_stack')",
        count=2,  # and the family's heads may cross-attend, which neither is built with
    ),
    Case(
        "qkv-order-without-shards",
        {"bad.yaml": delta("attention: {qkv_order: qvk}\n")},
        path="attention.qkv_order",
        line=BODY_LINE,
        column=13,
        message="'qkv_order' says how a 'qkv_layout: per_shard' key's rows fall: set that layout",
    ),
    Case(
        "shards-without-a-count",
        {
            "bad.yaml": delta(
                "attention: {qkv_layout: per_shard}\nkeys: {attn.q: qkv, attn.k: qkv, attn.v: qkv}\n"
            )
        },
        path="attention.qkv_layout",
        line=BODY_LINE,
        column=13,
        message="'qkv_layout: per_shard' needs 'qkv_shards', the shard count",
    ),
    Case(
        "group-score-without-groups",
        {
            "bad.yaml": delta(
                "ffn: {experts: {count: num_layers, top_k: num_heads, group_score: best}}\n"
                "keys:\n  ffn.router: mlp.gate\n  ffn.up: mlp.experts.{e}.up\n  ffn.down: mlp.experts.{e}.down\n"
            )
        },
        path="ffn.experts.group_score",
        line=BODY_LINE,
        column=54,
        message="'group_score' scores the groups of 'groups': set it",
        count=2,  # and the family's heads may cross-attend, which experts are not built with
    ),
    Case(
        "switched-rotary-pairs-without-latent-attention",
        {
            "bad.yaml": delta(
                "sizes: {rope_theta: {value: 10000.0, kind: float}, adj: {value: true, kind: bool}}\n"
                "embeddings: {position: {kind: rotary, ids: sequential, rotary_pairs: {switch: adj}}}\n"
                "keys: {embeddings.position: null}\nheads: {causal_lm: null}\n"
            )
        },
        path="embeddings.position.rotary_pairs",
        line=BODY_LINE + 1,
        column=56,
        message="a pairing switched by config.json is built for latent attention ('attention.latent')",
        count=6,  # and, without a causal head, the family's five cross-attention keys are unknown
    ),
    Case(
        "latent-attention-without-a-rotated-part",
        {
            "bad.yaml": delta(
                "attention: {latent: {kv_rank: num_heads, value_dim: num_heads}}\n"
                "keys: {attn.k: null, attn.v: null, attn.kv_a: kv_a, attn.kv_a_norm: kv_norm, attn.kv_b: kv_b}\n"
            )
        },
        path="attention.latent",
        line=BODY_LINE,
        column=13,
        message="latent attention rotates a part of each head: set position 'kind: rotary' and its 'rotary_dim'",
        count=2,  # and the family's causal LM may cross-attend, which latent attention is not built with
    ),
    Case(
        "latent-query-switch-without-a-rank",
        {
            "bad.yaml": delta(
                "sizes: {rope_theta: {value: 10000.0, kind: float}, rot: {value: 4}, low: {value: true, kind: bool}}\n"
                "embeddings: {position: {kind: rotary, ids: sequential, rotary_dim: rot}}\n"
                "attention: {latent: {kv_rank: num_heads, value_dim: num_heads, q_rank_when: low}}\n"
                "keys: {embeddings.position: null, attn.k: null, attn.v: null, attn.kv_a: kv_a, attn.kv_a_norm: kv_norm, "
                "attn.kv_b: kv_b}\n"
                "heads: {causal_lm: null}\n"
            )
        },
        path="attention.latent.q_rank_when",
        line=BODY_LINE + 2,
        column=64,
        message="'q_rank_when' switches the low-rank query path: set 'q_rank'",
        count=6,  # and, without a causal head, the family's five cross-attention keys are unknown
    ),
    Case(
        "latent-attention-with-grouped-query-heads",
        {
            "bad.yaml": delta(
                "sizes: {rope_theta: {value: 10000.0, kind: float}, rot: {value: 4}}\n"
                "embeddings: {position: {kind: rotary, ids: sequential, rotary_dim: rot}}\n"
                "attention: {num_kv_heads: num_heads, latent: {kv_rank: num_heads, value_dim: num_heads}}\n"
                "keys: {embeddings.position: null, attn.k: null, attn.v: null, attn.kv_a: kv_a, attn.kv_a_norm: kv_norm, "
                "attn.kv_b: kv_b}\n"
                "heads: {causal_lm: null}\n"
            )
        },
        path="attention.num_kv_heads",
        line=BODY_LINE + 2,
        column=13,
        message="latent attention is built without 'num_kv_heads'",
        count=6,  # and, without a causal head, the family's five cross-attention keys are unknown
    ),
    Case(
        "query-scale-on-learned-positions",
        {"bad.yaml": delta("embeddings: {position: {query_scale: {beta: eps, period: num_heads}}}\n")},
        path="embeddings.position.query_scale",
        line=BODY_LINE,
        column=25,
        message="'query_scale' is for 'kind: rotary' positions",
    ),
    Case(
        "query-scale-with-query-norms-after-rotary",
        {
            "bad.yaml": delta(
                "sizes: {rope_theta: {value: 10000.0, kind: float}}\n"
                "embeddings: {position: {kind: rotary, ids: sequential, query_scale: {beta: eps, period: num_heads}}}\n"
                "attention: {qk_norm: true, qk_norm_at: after_rotary}\n"
                "keys: {embeddings.position: null, attn.q_norm: attention.q_norm, attn.k_norm: attention.k_norm}\n"
                "heads: {causal_lm: null}\n"
            )
        },
        path="embeddings.position.query_scale",
        line=BODY_LINE + 1,
        column=56,
        message="queries are scaled after rotary positions, where 'qk_norm_at: after_rotary' norms them: "
        "which comes first is not built",
        count=6,  # and, without a causal head, the family's five cross-attention keys are unknown
    ),
    Case(  # the family names three keys for q, k and v: there is no one key to order
        "per-head-qkv-layout-of-three-keys",
        {"bad.yaml": delta("attention: {qkv_layout: per_head}\n")},
        path="attention.qkv_layout",
        line=BODY_LINE,
        column=13,
        message="'qkv_layout: per_head' orders one fused key: attn.q, attn.k and attn.v must name the same key",
    ),
    Case(
        "query-key-norm-keys-typo",
        {"bad.yaml": delta("attention: {qk_norm: true}\nkeys: {attn.q_norm: q_norm, attn.k_nrom: k_norm}\n")},
        path="keys.attn.k_nrom",
        line=BODY_LINE + 1,
        column=29,
        message="unknown slot 'attn.k_nrom' for this structure",
        hint="did you mean 'attn.k_norm'?",
        count=3,  # and attn.k_norm has no key; and the family's decoder head may cross-attend
    ),
    Case(  # each layer of a causal stack holds its own KV cache: shared layers would share one
        "shared-layers-with-a-causal-head",
        {"bad.yaml": delta("block: {layer_groups: num_layers}\nheads: {causal_lm: {}}\n")},
        path="heads.causal_lm",
        line=BODY_LINE + 1,
        column=9,
        message="head 'causal_lm' attends causally, with a KV cache in each layer, which is not built with "
        "shared layers ('block.layer_groups')",
    ),
    Case(  # and the family's causal LM head is refused as above
        "shared-layers-symbol-typo",
        {"bad.yaml": delta("block: {layer_groups: num_layres}\n")},
        path="block.layer_groups",
        line=BODY_LINE,
        column=9,
        message="unknown size symbol 'num_layres'",
        hint="did you mean 'num_layers'?",
        count=2,
    ),
    Case(  # the family's causal LM head may cross-attend, and cross-attention has no ALiBi
        "alibi-with-a-cross-attending-head",
        {
            "bad.yaml": delta(
                "embeddings: {position: {kind: alibi}}\nkeys: {embeddings.position: null}\nheads: {causal_lm: {}}\n"
            )
        },
        path="heads.causal_lm",
        line=BODY_LINE + 2,
        column=9,
        message="head 'causal_lm' may cross-attend (add_cross_attention), which is not built with ALiBi "
        "positions: say 'cross_attention: false'",
    ),
    Case(
        "alibi-kind-typo",
        {"bad.yaml": delta("embeddings: {position: {kind: alibii}}\n")},
        path="embeddings.position.kind",
        line=BODY_LINE,
        column=25,
        message="expected one of 'none', 'learned', 'sinusoidal', 'rotary' or 'alibi', got 'alibii'",
        hint="did you mean 'alibi'?",
    ),
    Case(
        "bias-switch-over-a-number",
        {"bad.yaml": delta("attention: {bias: {switch: num_layers}}\n")},
        path="attention.bias.switch",
        line=BODY_LINE,
        column=20,
        message="switch 'num_layers' must be a bool size symbol (kind: bool), it is int",
    ),
    Case(  # and the cases make the switch expect a str symbol, which qb is not
        "bias-switch-with-cases",
        {
            "bad.yaml": delta(
                "sizes: {qb: {value: true, kind: bool}}\nffn: {bias: {switch: qb, cases: {a: b}}}\n"
            )
        },
        path="ffn.bias.cases",
        line=BODY_LINE + 1,
        column=26,
        message="a bias switch reads a bool symbol: no 'cases'",
        count=2,
    ),
    Case(
        "qk-norm-scope-without-qk-norm",
        {"bad.yaml": delta("attention: {qk_norm_scope: all_heads}\n")},
        path="attention.qk_norm_scope",
        line=BODY_LINE,
        column=13,
        message="'qk_norm_scope' says what a query/key norm spans; set 'qk_norm'",
    ),
    Case(
        "all-heads-qk-norm-without-separate-queries",
        {
            "bad.yaml": delta(
                "attention: {qk_norm: true, qk_norm_scope: all_heads}\nkeys: {attn.q_norm: q_norm, attn.k_norm: k_norm}\n"
                "heads: {causal_lm: {cross_attention: false}}\n"
            )
        },
        path="attention.qk_norm_scope",
        line=BODY_LINE,
        column=28,
        message="'qk_norm_scope: all_heads' is built with a query projection apart from keys and values: set "
        "'num_kv_heads'",
        count=6,  # and, with cross-attention off, the family's five cross-attention keys are unknown
    ),
    Case(
        "attention-scale-size-without-size-scale",
        {"bad.yaml": delta("attention: {scale_size: eps}\n")},
        path="attention.scale_size",
        line=BODY_LINE,
        column=13,
        message="'scale_size' is for 'scale: size'",
    ),
    Case(
        "head-scale-without-a-symbol",
        {
            "bad.yaml": delta(
                "heads:\n  token_classification:\n    layers: [{op: linear, name: c, out: 2}, {op: scale}]\n"
                "    keys: {c: c}\n"
            )
        },
        path="heads.token_classification.layers[1]",
        line=BODY_LINE + 2,
        column=45,
        message="a 'scale' layer needs 'by' (a float size symbol)",
    ),
    Case(
        "bias-free-rms-norm",
        {"bad.yaml": delta("norm: {kind: rms_norm, eps: eps, bias: false}\n")},
        path="norm.bias",
        line=BODY_LINE,
        column=34,
        message="'bias: false' is for 'kind: layer_norm'",
    ),
    Case(
        "residual-scale-on-post-norm-layers",
        {"bad.yaml": delta("block: {residual_scale: eps}\n")},
        path="block.residual_scale",
        line=BODY_LINE,
        column=9,
        message="'residual_scale' is built for sequential pre-norm or sandwich layers ('placement: pre' or "
        "'sandwich')",
    ),
    Case(
        "embedding-multiplier-typo",
        {"bad.yaml": delta("embeddings: {multiplier: epz}\n")},
        path="embeddings.multiplier",
        line=BODY_LINE,
        column=14,
        message="unknown size symbol 'epz'",
        hint="did you mean 'eps'?",
    ),
    Case(
        "alibi-positions-on-learned-positions",
        {"bad.yaml": delta("embeddings: {position: {alibi_positions: slots}}\n")},
        path="embeddings.position.alibi_positions",
        line=BODY_LINE,
        column=25,
        message="'alibi_positions' is for 'kind: alibi' positions",
    ),
    Case(
        "rope-scaling-on-learned-positions",
        {
            "bad.yaml": delta(
                "sizes: {rp: {config: rope_parameters, kind: mapping}}\nembeddings: {position: {scaling: {params: rp}}}\n"
            )
        },
        path="embeddings.position.scaling",
        line=BODY_LINE + 1,
        column=25,
        message="'scaling' is for 'kind: rotary' positions",
    ),
    Case(
        "rope-scaling-params-not-a-mapping",
        {"bad.yaml": delta("embeddings: {position: {scaling: {params: eps}}}\n")},
        path="embeddings.position.scaling.params",
        line=BODY_LINE,
        column=35,
        message="'params' names a mapping size symbol (kind: mapping); 'eps' is float",
        count=2,  # and learned positions take no scaling
    ),
    Case(
        "rope-scaling-alias-to-a-law-not-built",
        {
            "bad.yaml": delta(
                "sizes: {rp: {config: rope_parameters, kind: mapping}}\n"
                "embeddings: {position: {scaling: {params: rp, types: [linear], aliases: {su: longrope}}}}\n"
            )
        },
        path="embeddings.position.scaling.aliases.su",
        line=BODY_LINE + 1,
        column=74,
        message="'su' is read as 'longrope', which 'types' does not list",
        count=2,  # and learned positions take no scaling
    ),
    Case(
        "rope-scaling-type-typo",
        {
            "bad.yaml": delta(
                "sizes: {rp: {config: rope_parameters, kind: mapping}}\n"
                "embeddings: {position: {scaling: {params: rp, types: [lama3]}}}\n"
            )
        },
        path="embeddings.position.scaling.types[0]",
        line=BODY_LINE + 1,
        column=55,
        message="expected one of 'linear', 'llama3', 'yarn', 'longrope', 'ntk_alpha' or 'proportional', got 'lama3'",
        hint="did you mean 'llama3'?",
    ),
    Case(
        "longrope-knobs-without-longrope",
        {
            "bad.yaml": delta(
                "sizes: {rp: {config: rope_parameters, kind: mapping}}\n"
                "embeddings: {position: {scaling: {params: rp, types: [linear], longrope: {scale: mscale}}}}\n"
            )
        },
        path="embeddings.position.scaling.longrope",
        line=BODY_LINE + 1,
        column=64,
        message="'longrope' is for a 'types' list with longrope",
        count=2,  # and learned positions take no scaling
    ),
    Case(
        "longrope-scale-typo",
        {
            "bad.yaml": delta(
                "sizes: {rp: {config: rope_parameters, kind: mapping}}\n"
                "embeddings: {position: {kind: rotary, scaling: {params: rp, longrope: {scale: mscal}}}}\n"
            )
        },
        path="embeddings.position.scaling.longrope.scale",
        line=BODY_LINE + 1,
        column=72,
        message="expected one of 'attention_factor' or 'mscale', got 'mscal'",
        hint="did you mean 'mscale'?",
    ),
    Case(
        "window-layers-without-a-window",
        {
            "bad.yaml": delta(
                "sizes: {lt: {config: layer_types, kind: list}}\nattention: {window_layers: {types: lt}}\n"
            )
        },
        path="attention.window_layers",
        line=BODY_LINE + 1,
        column=13,
        message="'window_layers' picks the layers of a 'sliding_window': set one",
    ),
    Case(
        "window-layer-types-not-a-list",
        {"bad.yaml": delta("attention: {sliding_window: num_layers, window_layers: {types: num_heads}}\n")},
        path="attention.window_layers.types",
        line=BODY_LINE,
        column=57,
        message="'types' names a list size symbol (kind: list); 'num_heads' is int",
        count=2,  # and the family's heads may cross-attend, which a sliding window is not built with
    ),
    Case(
        "rotary-layers-on-learned-positions",
        {
            "bad.yaml": delta(
                "sizes: {lt: {config: layer_types, kind: list}}\n"
                "embeddings: {position: {rotary_layers: {types: lt, roped: 1}}}\n"
            )
        },
        path="embeddings.position.rotary_layers",
        line=BODY_LINE + 1,
        column=25,
        message="'rotary_layers' is for 'kind: rotary'",
    ),
    Case(
        "rotary-layer-types-not-a-list",
        {"bad.yaml": delta("embeddings: {position: {rotary_layers: {types: num_heads, roped: 1}}}\n")},
        path="embeddings.position.rotary_layers.types",
        line=BODY_LINE,
        column=41,
        message="'types' names a list size symbol (kind: list); 'num_heads' is int",
        count=2,  # and the family's positions are learned
    ),
    Case(
        "parameterless-offset-rms-norm",
        {"bad.yaml": delta("norm: {kind: offset_rms_norm, eps: eps, affine: false}\n")},
        path="norm.affine",
        line=BODY_LINE,
        column=41,
        message="'affine: false' is for 'kind: rms_norm', or 'kind: layer_norm' with 'bias: false' "
        "(a norm without parameters)",
    ),
    Case(
        "a-key-for-a-parameterless-norm",
        {
            "bad.yaml": delta(
                "norm: {bias: false, affine: false}\n"
                "keys: {embeddings.norm: null, attn_norm: attention.output.LayerNorm, cross_norm: null, ffn_norm: null}\n"
            )
        },
        path="keys.attn_norm",
        line=BODY_LINE + 1,
        column=31,
        message="'attn_norm' is a norm without parameters ('norm.affine: false'), which reads no key: set it to null",
    ),
    Case(
        "first-of-a-list-symbol",
        {"bad.yaml": delta("sizes: {lt: {config: layer_types, kind: list, first: true}}\n")},
        path="sizes.lt.first",
        line=BODY_LINE,
        column=47,
        message="'first' reads a list's first entry at 'config' into a number, bool or string",
    ),
    Case(
        "clip-symbol-typo",
        {
            "bad.yaml": delta(
                "sizes: {clip_qkv: {config: clip_qkv, default: 0.0, kind: float}}\nattention: {clip: clip_qvk}\n"
            )
        },
        path="attention.clip",
        line=BODY_LINE + 1,
        column=13,
        message="unknown size symbol 'clip_qvk'",
        hint="did you mean 'clip_qkv'?",
    ),
    Case(
        "softcap-layer-without-a-symbol",
        {
            "bad.yaml": delta(
                "heads:\n  token_classification:\n    layers: [{op: linear, name: c, out: 2}, {op: softcap}]\n"
                "    keys: {c: c}\n"
            )
        },
        path="heads.token_classification.layers[1]",
        line=BODY_LINE + 2,
        column=45,
        message="a 'softcap' layer needs 'by' (a float size symbol)",
    ),
    Case(
        "expert-key-without-its-index",
        {
            "bad.yaml": delta(
                "ffn: {experts: {count: num_layers, top_k: num_heads}}\n"
                "keys:\n  ffn.router: mlp.gate\n  ffn.up: mlp.experts.up\n  ffn.down: mlp.experts.{e}.down\n"
            )
        },
        path="keys.ffn.up",
        line=BODY_LINE + 3,
        column=3,
        message="an expert's key holds '{e}', its index ('mlp.experts.up' does not)",
        count=2,  # and the family's heads may cross-attend, which experts are not built with
    ),
    Case(
        "expert-layers-without-a-rule",
        {"bad.yaml": delta(EXPERT_LAYERS.format(layers="{dense_size: intermediate_size}", dense="mlp.up"))},
        path="ffn.experts.layers",
        line=BODY_LINE + 4,
        column=5,
        message="'layers' picks the layers with experts: give 'skip', 'only', 'step', 'start', 'end' or 'types'",
        count=2,  # and the family's heads may cross-attend, which experts are not built with
    ),
    Case(
        "expert-layers-skip-an-int-symbol",
        {
            "bad.yaml": delta(
                EXPERT_LAYERS.format(
                    layers="{dense_size: intermediate_size, skip: num_layers}", dense="mlp.up"
                )
            )
        },
        path="ffn.experts.layers.skip",
        line=BODY_LINE + 4,
        column=45,
        message="'skip' names a list size symbol (kind: list); 'num_layers' is int",
        count=2,  # and the family's heads may cross-attend, which experts are not built with
    ),
    Case(
        "dense-ffn-key-with-an-expert-index",
        {
            "bad.yaml": delta(
                EXPERT_LAYERS.format(
                    layers="{dense_size: intermediate_size, start: num_heads}", dense="mlp.{e}.up"
                )
            )
        },
        path="keys.ffn.dense.up",
        line=BODY_LINE + 9,
        column=3,
        message="the dense FFN is one per layer: its key has no '{e}' ('mlp.{e}.up')",
        count=2,  # and the family's heads may cross-attend, which experts are not built with
    ),
    Case(
        "qk-norm-after-rotary-without-rotary-positions",
        {"bad.yaml": delta("attention: {qk_norm: true, qk_norm_at: after_rotary}\n")},
        path="attention.qk_norm_at",
        line=BODY_LINE,
        column=28,
        message="'qk_norm_at: after_rotary' places a per-head query/key norm ('qk_norm', scope 'head' or "
        "'head_weights') after rotary positions ('kind: rotary')",
        count=4,  # and the family's heads may cross-attend, and it names no keys for the norms
    ),
    Case(
        "stacked-expert-key-with-an-index",
        {
            "bad.yaml": delta(
                "ffn: {experts: {count: num_layers, top_k: num_heads, stacked: true}}\n"
                "keys:\n  ffn.router: mlp.gate\n  ffn.up: mlp.experts.up\n  ffn.down: mlp.experts.{e}.down\n"
            )
        },
        path="keys.ffn.down",
        line=BODY_LINE + 4,
        column=3,
        message="'stacked' experts share one key per layer, which holds no '{e}' ('mlp.experts.{e}.down' does)",
        count=2,  # and the family's heads may cross-attend, which experts are not built with
    ),
    Case(
        "experts-normalize-min-without-normalizing",
        {
            "bad.yaml": delta(
                "sizes: {floor: {value: 1.0e-12, kind: float}}\n"
                "ffn: {experts: {count: num_layers, top_k: num_heads, normalize: false, normalize_min: floor}}\n"
                "keys:\n  ffn.router: mlp.gate\n  ffn.up: mlp.experts.{e}.up\n  ffn.down: mlp.experts.{e}.down\n"
            )
        },
        path="ffn.experts.normalize_min",
        line=BODY_LINE + 1,
        column=72,
        message="'normalize_min' clamps the sum 'normalize' divides by: set it",
        count=2,  # and the family's heads may cross-attend, which experts are not built with
    ),
    Case(
        "ignore-prefix-that-is-a-tied-copy",
        {
            "bad.yaml": delta(
                "ignore:\n  - {key: mtp., prefix: true, same_as: lm_head.weight, reason: tied}\n"
            )
        },
        path="ignore[0].prefix",
        line=BODY_LINE + 1,
        column=17,
        message="a 'prefix' accepts every key it starts: not with 'same_as'",
    ),
    Case(
        "expert-groups-without-top-groups",
        {
            "bad.yaml": delta(
                "ffn: {experts: {count: num_layers, top_k: num_heads, groups: num_heads}}\n"
                "keys:\n  ffn.router: mlp.gate\n  ffn.up: mlp.experts.{e}.up\n  ffn.down: mlp.experts.{e}.down\n"
            )
        },
        path="ffn.experts.groups",
        line=BODY_LINE,
        column=54,
        message="group-limited routing needs both 'groups' and 'top_groups'",
        count=2,  # and the family's heads may cross-attend, which experts are not built with
    ),
    Case(
        "expert-index-without-experts",
        {"bad.yaml": delta("keys:\n  ffn.up: intermediate.{e}.dense\n")},
        path="keys.ffn.up",
        line=BODY_LINE + 1,
        column=3,
        message="'{e}' is an expert's index: the FFN has no 'experts'",
    ),
    Case(
        "list-symbol-read-outside-in",
        {"bad.yaml": delta("sizes:\n  lt: {config: layer_types, kind: list}\n  n: {expr: lt + 1}\n")},
        path="sizes.n.expr",
        line=BODY_LINE + 2,
        column=7,
        message="'lt' is a list symbol: expressions read numbers, booleans and strings (a list only on the right of 'in' or 'not in')",
    ),
    Case(
        "split-on-a-str-symbol",
        {"bad.yaml": delta("sizes:\n  kinds: {config: pos_att_type, kind: str, split: '|'}\n")},
        path="sizes.kinds.split",
        line=BODY_LINE + 1,
        column=44,
        message="'split' reads a string into a list: a non-empty separator, kind: list",
    ),
    Case(
        "fourier-mixing-beside-a-causal-head",
        {
            "bad.yaml": delta(
                "attention: {mixing: fourier}\nkeys: {attn.q: null, attn.k: null, attn.v: null, attn.o: null}\n"
            )
        },
        path="attention.mixing",
        line=BODY_LINE,
        column=13,
        message="Fourier mixing reads every slot of a row: no causal head, no 'decoder' section",
    ),
    Case(
        "fourier-mixing-with-a-query-key-norm",
        {
            "bad.yaml": delta(
                "attention: {mixing: fourier, qk_norm: true}\nheads: {causal_lm: null}\n"
                "keys: {attn.q: null, attn.k: null, attn.v: null, attn.o: null}\n"
            )
        },
        path="attention.qk_norm",
        line=BODY_LINE,
        column=30,
        message="Fourier mixing is built without 'qk_norm'",
        count=8,  # and the two norms' slots, which it then has no keys for, and the cross-attention keys
    ),
    Case(
        "differential-attention-with-sinks",
        {
            "bad.yaml": delta(
                "attention: {differential: true, sinks: true}\nheads: {causal_lm: {cross_attention: false}}\n"
                "keys: {attn.sinks: s, attn.lambda_q1: a, attn.lambda_k1: b, attn.lambda_q2: c, attn.lambda_k2: d}\n"
            )
        },
        path="attention.sinks",
        line=BODY_LINE,
        column=33,
        message="differential attention is built without 'sinks'",
        count=6,  # and the cross-attention keys of a causal LM that never cross-attends
    ),
    Case(
        "finite-causal-fill-beside-bidirectional-heads",
        {"bad.yaml": delta("attention: {masked_rows: finite_causal}\n")},
        path="attention.masked_rows",
        line=BODY_LINE,
        column=13,
        message="'masked_rows: finite_causal' fills later keys in causal heads: every head causal, no 'decoder'",
    ),
    Case(
        "length-limit-symbol-typo",
        {"bad.yaml": delta("attention: {length_limit: max_position}\n")},
        path="attention.length_limit",
        line=BODY_LINE,
        column=13,
        message="unknown size symbol 'max_position'",
        hint="did you mean 'max_positions'?",
    ),
    Case(
        "an-lm-decoder-without-a-tie-flag",
        {"bad.yaml": delta("tie_config: null\n")},
        path="tie_config",
        line=BODY_LINE,
        column=1,
        message="head 'causal_lm' has an 'lm_decoder', which ties by 'tie_config'",
        count=2,  # the masked LM's too
    ),
    Case(
        "a-bias-free-norm-the-structure-lacks",
        {"bad.yaml": delta("norm: {bias_free: [final_norm]}\n")},
        path="norm.bias_free[0]",
        line=BODY_LINE,
        column=20,
        message="'final_norm' is not a norm this structure has",
    ),
    Case(
        "a-bias-free-norm-typo",
        {"bad.yaml": delta("norm: {bias_free: [attn.q_nrom]}\n")},
        path="norm.bias_free[0]",
        line=BODY_LINE,
        column=20,
        message="expected one of 'final_norm', 'attn.q_norm' or 'attn.k_norm', got 'attn.q_nrom'",
        hint="did you mean 'attn.q_norm'?",
    ),
    Case(
        "a-convolution-weight-slot-typo",
        {"bad.yaml": delta("conv_weights: {ffn.upp: num_heads}\n")},
        path="conv_weights.ffn.upp",
        line=BODY_LINE,
        column=16,
        message="'ffn.upp' is not a linear slot of this structure",
        hint="did you mean 'ffn.up'?",
    ),
    Case(
        "a-convolution-weight-of-an-undeclared-group-count",
        {"bad.yaml": delta("conv_weights: {ffn.up: ffn_groups}\n")},
        path="conv_weights.ffn.up",
        line=BODY_LINE,
        column=16,
        message="unknown size symbol 'ffn_groups'",
    ),
    Case(
        "a-same-symbol-that-is-a-list",
        {"bad.yaml": delta("sizes:\n  windows: {config: attention_window, same: true, kind: list}\n")},
        path="sizes.windows.same",
        line=BODY_LINE + 1,
        column=39,
        message="'same' reads the one value a list at 'config' repeats into a number, bool or string",
    ),
    Case(
        "fourier-mixing-typo",
        {"bad.yaml": delta("attention: {mixing: fourrier}\n")},
        path="attention.mixing",
        line=BODY_LINE,
        column=13,
        message="expected one of 'softmax', 'fourier' or 'state_space', got 'fourrier'",
        hint="did you mean 'fourier'?",
    ),
    Case(
        "disentangled-attention-beside-a-causal-head",
        {
            "bad.yaml": delta(
                "attention: {disentangled: {span: max_positions, shared_projections: true}}\n"
                "keys: {rel_table: encoder.rel_embeddings}\n"
            )
        },
        path="attention.disentangled",
        line=BODY_LINE,
        column=13,
        message="disentangled attention is built for bidirectional stacks: no causal head, no 'decoder' section",
    ),
    Case(
        "disentangled-buckets-without-their-reach",
        {
            "bad.yaml": delta(
                "attention: {disentangled: {span: max_positions, buckets: max_positions, shared_projections: true}}\n"
                "keys: {rel_table: encoder.rel_embeddings}\n"
            )
        },
        path="attention.disentangled.buckets",
        line=BODY_LINE,
        column=49,
        message="'buckets' and 'max_distance' come together: log-spaced buckets reach 'max_distance'",
        count=2,  # and the family's causal LM head
    ),
    Case(
        "disentangled-term-typo",
        {"bad.yaml": delta("attention: {disentangled: {span: max_positions, c2q: true}}\n")},
        path="attention.disentangled.c2q",
        line=BODY_LINE,
        column=49,
        message="unknown key 'c2q'",
        hint="did you mean 'c2p'?",
    ),
    Case(
        "query-and-value-biases-without-biases",
        {
            "bad.yaml": delta(
                "attention: {bias: false, bias_parts: qv}\nkeys: {attn.q_bias: self.q_bias, attn.v_bias: self.v_bias}\n"
            )
        },
        path="attention.bias_parts",
        line=BODY_LINE,
        column=26,
        message="'bias_parts' says which projections carry the biases: set 'bias: true'",
    ),
    Case(
        "query-and-value-biases-typo",
        {"bad.yaml": delta("attention: {bias_parts: q_v}\n")},
        path="attention.bias_parts",
        line=BODY_LINE,
        column=13,
        message="expected one of 'qkv' or 'qv', got 'q_v'",
        hint="did you mean 'qv'?",
    ),
    Case(
        "first-layer-conv-beside-a-causal-head",
        {
            "bad.yaml": delta(
                "block: {placement: post, first_layer_conv: {kernel: num_layers}}\n"
                "keys: {conv: encoder.conv.conv, conv_norm: encoder.conv.LayerNorm}\n"
            )
        },
        path="block.first_layer_conv",
        line=BODY_LINE,
        column=26,
        message="a convolution beside the first layer is built for bidirectional stacks: no causal head, no 'decoder' section",
    ),
    Case(
        "first-layer-conv-activation-case-not-an-activation",
        {
            "bad.yaml": delta(
                "sizes: {act: {config: conv_act, kind: str}}\n"
                "block: {placement: post, first_layer_conv: {kernel: num_layers, activation: {switch: act, cases: {gelu: gleu}}}}\n"
                "heads: {causal_lm: null}\n"
                "keys: {conv: encoder.conv.conv, conv_norm: encoder.conv.LayerNorm, cross.q: null, cross.k: null, cross.v: null, cross.o: null, cross_norm: null}\n"
            )
        },
        path="block.first_layer_conv.activation.cases.gelu",
        line=BODY_LINE + 1,
        column=99,
        message="expected an activation (gelu, gelu_tanh, relu, tanh, silu, relu2), got 'gleu'",
    ),
    Case(
        "decoder-vocabulary-without-its-own-embeddings",
        {"bad.yaml": delta("decoder: {vocab: vocab_size}\n", extends="umt5")},
        path="decoder.vocab",
        line=BODY_LINE,
        column=11,
        message="a word table of the decoder's own comes with 'embeddings: own'",
    ),
    Case(
        "decoder-input-override-on-an-encoder-head",
        {"bad.yaml": delta("heads: {masked_lm: {decoder_input: labels}}\n")},
        path="heads.masked_lm.decoder_input",
        line=BODY_LINE,
        column=21,
        message="'decoder_input' is for encoder_decoder heads",
    ),
    Case(
        "embedding-norm-switched-by-a-float",
        {"bad.yaml": delta("embeddings: {norm: {switch: eps}}\n")},
        path="embeddings.norm.switch",
        line=BODY_LINE,
        column=21,
        message="switch 'eps' must be a bool size symbol (kind: bool), it is float",
    ),
    Case(
        "position-table-switch-without-a-table",
        {
            "bad.yaml": delta(
                "sizes: {flag: {value: true, kind: bool}}\n"
                "embeddings: {position: {kind: none, when: flag}}\nkeys: {embeddings.position: null}\n"
            )
        },
        path="embeddings.position.when",
        line=BODY_LINE + 1,
        column=37,
        message="'when' switches a learned table: set 'kind: learned'",
    ),
    Case(
        "last-layer-output-bias-beside-every-layers",
        {
            "bad.yaml": delta(
                "attention: {last_out_bias: true}\nkeys: {attn.last_out_bias: attention.dense_bias}\n"
            )
        },
        path="attention.last_out_bias",
        line=BODY_LINE,
        column=13,
        message="'last_out_bias' is the only output bias: set 'out_bias: false'",
    ),
    Case(
        "words-normed-without-an-embedding-norm",
        {"bad.yaml": delta("embeddings: {norm: false, norm_at: words}\nkeys: {embeddings.norm: null}\n")},
        path="embeddings.norm_at",
        line=BODY_LINE,
        column=27,
        message="'norm_at: words' norms the word embeddings as read: with a norm, and no transform or trigram",
    ),
    Case(
        "padded-queries-blocked-beside-a-causal-head",
        {"bad.yaml": delta("attention: {padded_queries: blocked}\n")},
        path="attention.padded_queries",
        line=BODY_LINE,
        column=13,
        message="'padded_queries' is built for bidirectional stacks: no causal head, no 'decoder' section",
    ),
    Case(
        "mapping-symbol-in-an-expression",
        {"bad.yaml": delta("sizes:\n  rp: {config: rope_parameters, kind: mapping}\n  n: {expr: rp + 1}\n")},
        path="sizes.n.expr",
        line=BODY_LINE + 2,
        column=7,
        message="'rp' is a mapping symbol: expressions read numbers, booleans and strings",
    ),
    Case(  # the family's ids are padding-aware: an offset is for sequential ones
        "position-offset-on-padding-aware-ids",
        {"bad.yaml": delta("embeddings: {position: {offset: 2}}\n")},
        path="embeddings.position.offset",
        line=BODY_LINE,
        column=25,
        message="'offset' is for 'kind: learned' or 'sinusoidal' positions with 'ids: sequential'",
    ),
    Case(
        "squeeze-after-a-wide-layer",
        {
            "bad.yaml": delta(
                "heads:\n  token_classification:\n    layers: [{op: linear, name: c, out: 2}, {op: squeeze}]\n    keys: {c: c}\n"
            )
        },
        path="heads.token_classification.layers[1]",
        line=BODY_LINE + 2,
        column=45,
        message="a 'squeeze' layer follows a 'linear' layer with 'out: 1'",
    ),
    Case(
        "size-expr-calls-an-unknown-function",
        {"bad.yaml": delta("sizes: {rd: {expr: round(head_dim * 0.5)}}\n")},
        path="sizes.rd.expr",
        line=BODY_LINE,
        column=14,
        message="unsupported expression element 'round(head_dim * 0.5)'; use + - * / // **, `int(x)`",
    ),
    Case(  # the bare model returns the pooler's output
        "head-returns-missing-pooler",
        {"bad.yaml": delta("pooler: null\nkeys: {pooler: null}\nheads: {base: {}, multiple_choice: null}\n")},
        path="heads.base",
        line=BODY_LINE + 2,
        column=9,
        message="head 'base' reads the pooler output, but the spec has no 'pooler'",
    ),
    Case(
        "head-key-for-unknown-layer",
        {"bad.yaml": delta("heads:\n  masked_lm:\n    keys: {dense_: lm_head.dense}\n")},
        path="heads.masked_lm.keys.dense_",
        line=BODY_LINE + 2,
        column=12,
        message="key for unknown head layer 'dense_'",
        hint="did you mean 'dense'?",
    ),
    # -------------------------------------------------------------------- sizes
    Case(
        "unknown-size-symbol",
        {"bad.yaml": delta("ffn: {size: intermediat_size}\n")},
        path="ffn.size",
        line=BODY_LINE,
        column=7,
        message="unknown size symbol 'intermediat_size'; declared: ",
        hint="did you mean 'intermediate_size'?",
    ),
    Case(
        "size-without-source",
        {"bad.yaml": delta("sizes: {extra: {default: 3}}\n")},
        path="sizes.extra",
        line=BODY_LINE,
        column=9,
        message="give exactly one of 'config' (or 'count_of'), 'expr' and 'value'",
    ),
    Case(
        "size-with-config-and-expr",
        {"bad.yaml": delta("sizes: {extra: {config: extra, expr: hidden_size * 2}}\n")},
        path="sizes.extra",
        line=BODY_LINE,
        column=9,
        message="give exactly one of 'config' (or 'count_of'), 'expr' and 'value'",
    ),
    Case(
        "size-expr-unknown-symbol",
        {"bad.yaml": delta("sizes: {head_dim: {expr: hidden_size // num_head}}\n")},
        path="sizes.head_dim.expr",
        line=BODY_LINE,
        column=20,
        message="unknown size symbol 'num_head'",
        hint="did you mean 'num_heads'?",
    ),
    Case(
        "size-expr-syntax",
        {"bad.yaml": delta("sizes: {head_dim: {expr: hidden_size //}}\n")},
        path="sizes.head_dim.expr",
        line=BODY_LINE,
        column=20,
        message="invalid expression 'hidden_size //'",
    ),
    Case(
        "size-expr-modulo",
        # Reported at the expression even without a reference config to evaluate it with.
        {"bad.yaml": delta("reference: null\nsizes: {head_dim: {expr: hidden_size % num_heads}}\n")},
        path="sizes.head_dim.expr",
        line=BODY_LINE + 1,
        column=20,
        message="unsupported expression element 'hidden_size % num_heads'; use + - * / // **, `int(x)`, `sqrt(x)`, `log(x)`, comparisons, `in` and `not in`, and/or/not, `A if C else B` and parentheses",
    ),
    Case(
        "size-expr-cycle",
        {"bad.yaml": delta("sizes: {head_dim: {expr: head_dim + 1}}\n")},
        path="sizes.head_dim.expr",
        line=BODY_LINE,
        column=20,
        message="size expressions depend on each other in a cycle: head_dim",
    ),
    # --------------------------------------------------------------------- keys
    Case(
        "missing-checkpoint-key",
        {"bad.yaml": delta("keys: {attn.q: null}\n")},
        path="keys.attn.q",
        line=BODY_LINE,
        column=8,
        message="no checkpoint key for slot 'attn.q'",
    ),
    Case(
        "unknown-key-slot",
        {"bad.yaml": delta("keys: {attn.qq: attention.self.query}\n")},
        path="keys.attn.qq",
        line=BODY_LINE,
        column=8,
        message="unknown slot 'attn.qq' for this structure; slots: ",
        hint="did you mean 'attn.q'?",
    ),
    Case(
        "layer-prefix-without-index",
        {"bad.yaml": delta("keys: {layer: encoder.layer}\n")},
        path="keys.layer",
        line=BODY_LINE,
        column=8,
        message="the layer prefix must contain '{i}' (the layer index)",
    ),
    # ---------------------------------------------------------- example config
    Case(
        "heads-do-not-divide-hidden",
        {"bad.yaml": delta("reference: {tiny: {num_attention_heads: 5}}\n")},
        path="reference.tiny",
        line=BODY_LINE,
        column=13,
        message="size 'head_dim': hidden_size (32) is not divisible by num_heads (5)",
    ),
    Case(
        "window-sides-without-a-window",
        {"bad.yaml": delta("attention: {window_sides: both}\n")},
        path="attention.window_sides",
        line=BODY_LINE,
        column=13,
        message="'window_sides' says where a 'sliding_window' reaches: set one",
    ),
    Case(
        "head-weights-qk-norm-of-an-offset-kind",
        {
            "bad.yaml": delta(
                "norm: {kind: offset_layer_norm}\nattention: {qk_norm: true, qk_norm_scope: head_weights}\n"
            )
        },
        path="attention.qk_norm_scope",
        line=BODY_LINE + 1,
        column=28,
        message="'qk_norm_scope: head_weights' is built for a 'layer_norm' or 'rms_norm' kind with weights (one, not a switch)",
        count=4,  # and the family's heads may cross-attend, and it names no keys for the norms
    ),
    Case(
        "bidirectional-when-a-str-symbol",
        {"bad.yaml": delta("sizes: {how: {config: how, kind: str}}\nattention: {bidirectional_when: how}\n")},
        path="attention.bidirectional_when",
        line=BODY_LINE + 1,
        column=13,
        message="'bidirectional_when' reads a bool size symbol; 'how' is str",
    ),
    Case(
        "qkv-per-group-without-grouped-query-attention",
        {"bad.yaml": delta("attention: {qkv_layout: per_group}\n")},
        path="attention.qkv_layout",
        line=BODY_LINE,
        column=13,
        message="'qkv_layout: per_group' orders one fused key: attn.q, attn.k and attn.v must name the same "
        "key, with grouped-query attention ('num_kv_heads') and without a bottleneck",
    ),
    Case(
        "two-masks-with-a-window-on-both-sides",
        {
            "bad.yaml": delta(
                "attention: {sliding_window: num_layers, window_sides: both, masked_rows: two_masks}\n"
            )
        },
        path="attention.masked_rows",
        line=BODY_LINE,
        column=61,
        message="'masked_rows: two_masks' is built for causal ('past') windows",
        count=2,  # and the family's heads may cross-attend, which a sliding window is not built with
    ),
    Case(
        "full-layers-first-without-a-period",
        {
            "bad.yaml": delta(
                "sizes: {lt: {config: layer_types, kind: list}}\n"
                "attention: {sliding_window: num_layers, window_layers: {types: lt, full_at: first}}\n"
            )
        },
        path="attention.window_layers.full_at",
        line=BODY_LINE + 1,
        column=68,
        message="'full_at' places the full layers of a 'period': set one",
        count=2,  # and the family's heads may cross-attend, which a sliding window is not built with
    ),
    Case(
        "window-layers-from-a-period-and-an-index",
        {
            "bad.yaml": delta(
                "sizes: {lt: {config: layer_types, kind: list}}\n"
                "attention:\n  sliding_window: num_layers\n"
                "  window_layers: {types: lt, period: num_heads, windowed_from: num_heads}\n"
            )
        },
        path="attention.window_layers.windowed_from",
        line=BODY_LINE + 3,
        column=49,
        message="'windowed_from' and 'period' both derive the layers without a list: give one",
        count=2,  # and the family's heads may cross-attend, which a sliding window is not built with
    ),
    Case(
        "rotary-layers-all-when-an-int-symbol",
        {
            "bad.yaml": delta(
                "sizes: {nr: {config: no_rope_layers, kind: list}}\n"
                "embeddings:\n  position:\n    kind: rotary\n    ids: sequential\n"
                "    rotary_layers: {types: nr, roped: 1, all_when: num_layers}\n"
            )
        },
        path="embeddings.position.rotary_layers.all_when",
        line=BODY_LINE + 5,
        column=42,
        message="'all_when' reads a bool size symbol; 'num_layers' is int",
        count=4,  # and the family has no theta symbol, keys a position table and may cross-attend
    ),
    Case(
        "layer-0-without-attn-norm-in-a-post-norm-stack",
        {"bad.yaml": delta("block: {first_attn_norm: false}\n")},
        path="block.first_attn_norm",
        line=BODY_LINE,
        column=9,
        message="'first_attn_norm: false' is built for sequential pre-norm layers",
    ),
    Case(
        "input-switch-case-typo",
        {
            "bad.yaml": delta(
                "sizes: {pooling: {config: classifier_pooling, default: cls, kind: str}}\n"
                "heads:\n  sequence_classification: {input: {switch: pooling, cases: {cls: first_token, mean: maen}}}\n"
            )
        },
        path="heads.sequence_classification.input.cases.mean",
        line=BODY_LINE + 2,
        column=80,
        message="an input switch picks 'first_token', 'first_kept', 'mean' or 'late_mean', not 'maen'",
        hint="did you mean 'mean'?",
    ),
    Case(
        "input-switch-on-a-bool",
        {
            "bad.yaml": delta(
                "sizes: {pooling: {config: mean_pooling, default: false, kind: bool}}\n"
                "heads:\n  sequence_classification: {input: {switch: pooling, cases: {'true': mean}}}\n"
            )
        },
        path="heads.sequence_classification.input.switch",
        line=BODY_LINE + 2,
        column=37,
        message="an input switch reads a str size symbol; 'pooling' is bool",
    ),
    Case(
        "type-theta-without-layer-types",
        {
            "bad.yaml": delta(
                "sizes: {rp: {config: rope_parameters, kind: mapping}, t: {value: 100.0, kind: float}}\n"
                "embeddings: {position: {scaling: {params: rp, type_theta: {full_attention: t}}}}\n"
            )
        },
        path="embeddings.position.scaling.type_theta",
        line=BODY_LINE + 1,
        column=47,
        message="'type_theta' gives layer types a theta: it needs 'layer_types'",
        count=2,  # and learned positions take no scaling
    ),
    Case(
        "relative-bias-key-beside-the-layers-with-a-table-per-layer",
        {
            "bad.yaml": delta(
                "sizes: {num_buckets: {value: 32}, max_distance: {value: 128}}\n"
                "attention: {relative_bias: {key_at: backbone}}\n"
                "keys: {attn.relative_bias: encoder.relative_attention_bias}\n"
            )
        },
        path="attention.relative_bias.key_at",
        line=BODY_LINE + 1,
        column=29,
        message="'key_at: backbone' places one shared table's key: set 'per_layer: false'",
    ),
    Case(
        "relative-bias-key-beside-the-layers-of-an-encoder-decoder",
        {
            "bad.yaml": delta(
                "attention: {relative_bias: {per_layer: false, key_at: backbone}}\n"
                "keys: {attn.relative_bias: encoder.relative_attention_bias}\n",
                extends="umt5",
            )
        },
        path="attention.relative_bias.key_at",
        line=BODY_LINE,
        column=47,
        message="'key_at: backbone' is built without a 'decoder' section",
    ),
    Case(
        "relative-bias-key-beside-the-layers-with-a-layer-index",
        {
            "bad.yaml": delta(
                "sizes: {num_buckets: {value: 32}, max_distance: {value: 128}}\n"
                "attention: {relative_bias: {per_layer: false, key_at: backbone}}\n"
                "keys: {attn.relative_bias: 'encoder.layer.{i}.relative_attention_bias'}\n"
            )
        },
        path="keys.attn.relative_bias",
        line=BODY_LINE + 2,
        column=8,
        message="a key beside the layers has no layer index '{i}'",
    ),
    Case(
        "example-config-not-an-integer",
        {"bad.yaml": delta("reference: {tiny: {hidden_size: wide}}\n")},
        path="reference.tiny",
        line=BODY_LINE,
        column=13,
        message="size 'hidden_size': config.json 'hidden_size' is 'wide', expected an integer",
    ),
    Case(
        "a-position-table-in-a-decoder-sharing-the-encoders-embeddings",
        {
            "bad.yaml": delta(
                "embeddings: {position: {kind: learned, size: num_buckets}}\n"
                "keys: {embeddings.position: pos}\n"
                "decoder: {embeddings: shared}\n",
                extends="umt5",
            )
        },
        path="decoder.embeddings",
        line=BODY_LINE + 2,
        column=11,
        message="a decoder sharing the encoder's embeddings has no positions of its own",
    ),
    Case(
        "own-decoder-embeddings-without-their-keys",
        {
            "bad.yaml": delta(
                "embeddings: {position: {kind: learned, size: num_buckets}}\n"
                "keys: {embeddings.position: pos}\n"
                "decoder: {embeddings: own, keys: {cross_norm: layer.1.layer_norm}}\n",
                extends="umt5",
            )
        },
        path="decoder.keys",
        line=BODY_LINE + 2,
        column=28,
        message="no checkpoint key for decoder slot 'embeddings.position'",
    ),
    Case(
        "a-bias-layer-without-a-name",
        {
            "bad.yaml": delta(
                """\
                heads:
                  seq2seq_model:
                  conditional_generation:
                    layers:
                      - {op: lm_decoder, name: lm_head, bias: false}
                      - {op: bias}
                """,
                extends="umt5",
            )
        },
        path="heads.conditional_generation.layers[1]",
        line=BODY_LINE + 5,
        column=9,
        message="a 'bias' layer needs a 'name'",
    ),
    Case(
        "a-sinusoid-on-learned-positions",
        {"bad.yaml": delta("embeddings: {position: {sinusoid: transformer}}\n")},
        path="embeddings.position.sinusoid",
        line=BODY_LINE,
        column=25,
        message="'sinusoid' is for 'kind: sinusoidal' positions",
    ),
    Case(
        "token-dropout-switched-by-an-int",
        {
            "bad.yaml": delta(
                "embeddings: {token_dropout: {token: pad_token_id, ratio: 0.12, when: vocab_size}}\n"
            )
        },
        path="embeddings.token_dropout.when",
        line=BODY_LINE,
        column=64,
        message="'when' reads a bool size symbol; 'vocab_size' is int",
    ),
    Case(
        "a-key-spelling-that-spells-nothing-new",
        {"bad.yaml": delta("key_spellings:\n  - {written: LayerNorm.weight, reads_as: LayerNorm.weight}\n")},
        path="key_spellings[0].written",
        line=BODY_LINE + 1,
        column=6,
        message="'written' is another spelling: not empty, not 'reads_as'",
    ),
    Case(
        "a-layer-slot-without-its-index-under-an-empty-layer-prefix",
        {"bad.yaml": delta('keys: {layer: "", attn.q: attentions.q}\n')},
        path="keys.attn.q",
        line=BODY_LINE,
        column=19,
        message="with an empty 'layer' prefix, each layer slot's key must contain '{i}'",
        count=13,  # and each of the family's twelve other layer slots
    ),
    Case(
        "zeroed-padding-beside-a-causal-head",
        {"bad.yaml": delta("block: {zero_padding: true}\n")},
        path="block.zero_padding",
        line=BODY_LINE,
        column=9,
        message="zeroed padding is built for bidirectional stacks: no causal head, no 'decoder' section",
    ),
    Case(
        "a-sparse-mixer-without-its-jitter",
        {
            "bad.yaml": delta("ffn: {experts: {scores: sparsemixer, normalize: false}}\n", extends="mixtral"),
            **MIXTRAL,
        },
        path="ffn.experts.jitter",
        line=BODY_LINE,
        column=7,
        message="'scores: sparsemixer' needs 'jitter' (a float size symbol)",
    ),
    Case(
        "a-switched-bias-on-a-linear-layer",
        {
            "bad.yaml": delta(
                """\
                heads:
                  sequence_classification:
                    layers:
                      - {op: linear, name: score, out: num_labels, bias: {switch: attention_bias}}
                """,
                extends="llama",
            ),
            **MIXTRAL,
        },
        path="heads.sequence_classification.layers[0].bias",
        line=BODY_LINE + 3,
        column=52,
        message="a switched bias is built for an 'lm_decoder'",
    ),
    Case(
        "a-transform-bias-without-a-transform",
        {"bad.yaml": delta("embeddings: {transform_bias: false}\n")},
        path="embeddings.transform_bias",
        line=BODY_LINE,
        column=14,
        message="'transform_bias' says whether the transform has a bias; set 'transform'",
    ),
    Case(
        "a-decoder-norm-placement-on-shared-embeddings",
        {"bad.yaml": delta("decoder: {norm_at: words}\n", extends="umt5")},
        path="decoder.norm_at",
        line=BODY_LINE,
        column=11,
        message="'norm_at' changes the decoder's own embeddings: set 'embeddings: own', and 'embeddings.norm'",
    ),
    Case(
        "state-space-mixing-beside-a-bidirectional-head",
        {
            "bad.yaml": delta(
                "attention: {mixing: state_space}\nheads: {encoder_model: {attention: bidirectional}}\n",
                extends="mamba2",
            ),
            **MAMBA2,
        },
        path="attention.mixing",
        line=BODY_LINE,
        column=13,
        message="state-space mixing reads the slots before each token: causal heads only, no 'decoder' section",
    ),
    Case(
        "state-space-mixing-with-a-window",
        {
            "bad.yaml": delta(
                "sizes: {window: {value: 4}}\nattention: {mixing: state_space, sliding_window: window}\n",
                extends="mamba2",
            ),
            **MAMBA2,
        },
        path="attention.sliding_window",
        line=BODY_LINE + 1,
        column=34,
        message="state-space mixing is built without 'sliding_window'",
    ),
    Case(
        "state-space-knobs-without-state-space-mixing",
        {"bad.yaml": delta("attention: {state_space: {state_size: hidden_size}}\n")},
        path="attention.state_space",
        line=BODY_LINE,
        column=13,
        message="'state_space' sets the state-space mixing's knobs: set 'mixing: state_space'",
    ),
    Case(
        "a-time-step-limit-of-a-number",
        {
            "bad.yaml": delta("attention: {state_space: {time_step_limit: state_size}}\n", extends="mamba2"),
            **MAMBA2,
        },
        path="attention.state_space.time_step_limit",
        line=BODY_LINE,
        column=27,
        message="'time_step_limit' names a list size symbol (kind: list); 'state_size' is int",
    ),
    Case(
        "an-ssd-knob-on-the-selective-form",
        {"bad.yaml": delta("attention: {state_space: {groups: state_size}}\n", extends="mamba"), **MAMBA},
        path="attention.state_space.groups",
        line=BODY_LINE,
        column=27,
        message="'groups' is not a knob of 'form: selective'",
    ),
    Case(
        "a-selective-knob-on-the-ssd-form",
        {"bad.yaml": delta("attention: {state_space: {inner: state_size}}\n", extends="mamba2"), **MAMBA2},
        path="attention.state_space.inner",
        line=BODY_LINE,
        column=27,
        message="'inner' is not a knob of 'form: ssd'",
    ),
    Case(
        "the-selective-form-without-its-sizes",
        {"bad.yaml": delta("attention: {state_space: {form: selective}}\n", extends="mamba2"), **MAMBA2},
        path="attention.state_space",
        line=BODY_LINE,
        column=13,
        message="'form: selective' needs 'inner' (an int size symbol)",
        count=7,  # time_step_rank too, Mamba-2's time_step_limit, its keys of slots this form lacks, and the two it has
    ),
    Case(
        "the-gated-delta-form-without-its-key-heads",
        {
            "bad.yaml": delta("attention: {state_space: {key_heads: null}}\n", extends="qwen3_next"),
            **QWEN3_NEXT,
        },
        path="attention.state_space",
        line=BODY_LINE,
        column=13,
        message="'form: gated_delta' needs 'key_heads' (an int size symbol)",
    ),
    Case(
        "a-state-size-on-the-gated-delta-form",
        {
            "bad.yaml": delta("attention: {state_space: {state_size: hidden_size}}\n", extends="qwen3_next"),
            **QWEN3_NEXT,
        },
        path="attention.state_space.state_size",
        line=BODY_LINE,
        column=27,
        message="'state_size' is not a knob of 'form: gated_delta'",
    ),
    Case(
        "grouped-rows-of-a-key-one-slot-holds",
        {"bad.yaml": delta("keys: {attn.gate: self_attn.gate_proj}\n", extends="qwen3_next"), **QWEN3_NEXT},
        path="grouped_rows.attn.q",
        line=line_of(QWEN3_NEXT["qwen3_next.yaml"], "  attn.q: num_heads"),
        column=3,
        message="'attn.q' has its key 'self_attn.q_proj' to itself: grouped rows fall in a key several slots share",
        file="qwen3_next.yaml",
        count=2,  # attn.gate's key to itself too
    ),
    Case(
        "grouped-rows-without-a-slot-sharing-the-key",
        {"bad.yaml": delta("grouped_rows: {ssm.gate: null}\n", extends="qwen3_next"), **QWEN3_NEXT},
        path="grouped_rows.ssm.q",
        line=line_of(QWEN3_NEXT["qwen3_next.yaml"], "  ssm.q: linear_num_key_heads"),
        column=3,
        message="ssm.gate shares its key 'linear_attn.in_proj_qkvz': list it in 'grouped_rows' with "
        "'linear_num_key_heads' too",
        file="qwen3_next.yaml",
    ),
    Case(
        "a-misspelt-grouped-rows-slot",
        {
            "bad.yaml": delta("grouped_rows: {ssm.gaet: linear_num_key_heads}\n", extends="qwen3_next"),
            **QWEN3_NEXT,
        },
        path="grouped_rows.ssm.gaet",
        line=BODY_LINE,
        column=16,
        message="'ssm.gaet' is not a linear slot of this structure",
        hint="did you mean 'ssm.gate'?",
    ),
    Case(
        "grouped-rows-of-a-fused-key-value-part",
        {"bad.yaml": delta("grouped_rows: {attn.k: num_kv_heads}\n", extends="qwen3_next"), **QWEN3_NEXT},
        path="grouped_rows.attn.k",
        line=BODY_LINE,
        column=16,
        message="rows regroup within a key split between plain layers' slots: not a fused q/k/v part",
    ),
    Case(
        "a-state-space-placement-without-attending-layers",
        {"bad.yaml": delta("attention: {state_space: {placement: pre}}\n", extends="mamba2"), **MAMBA2},
        path="attention.state_space.placement",
        line=BODY_LINE,
        column=27,
        message="'placement' sets the state-space layers apart from attending ones: set 'layers'",
    ),
    Case(
        "a-state-space-placement-that-is-the-blocks",
        {"bad.yaml": delta("block: {placement: pre}\n", extends="olmo_hybrid"), **OLMO_HYBRID},
        path="attention.state_space.placement",
        line=line_of(OLMO_HYBRID["olmo_hybrid.yaml"], "    placement: pre"),
        column=5,
        message="'placement: pre' sets the state-space layers' norms apart from a 'block.placement' of 'post' or "
        "'sublayer'",
        file="olmo_hybrid.yaml",
    ),
    Case(
        "a-misspelt-state-space-norm-key",
        {
            "bad.yaml": delta("attention: {state_space: {keys: {attn_nrom: x}}}\n", extends="olmo_hybrid"),
            **OLMO_HYBRID,
        },
        path="attention.state_space.keys.attn_nrom",
        line=BODY_LINE,
        column=34,
        message="'attn_nrom' is not a norm slot of a state-space layer: 'attn_norm' or 'ffn_norm'",
        hint="did you mean 'attn_norm'?",
    ),
    Case(
        "conv-keys-beside-a-conv-key",
        {"bad.yaml": delta("keys: {ssm.conv: linear_attn.conv1d}\n", extends="olmo_hybrid"), **OLMO_HYBRID},
        path="keys.ssm.conv",
        line=BODY_LINE,
        column=8,
        message="'state_space.conv_keys' names the convolution's keys: not 'keys' too",
    ),
    Case(
        "two-conv-keys",
        {
            "bad.yaml": delta("attention: {state_space: {conv_keys: [a, b]}}\n", extends="olmo_hybrid"),
            **OLMO_HYBRID,
        },
        path="attention.state_space.conv_keys",
        line=BODY_LINE,
        column=27,
        message="'conv_keys' names the queries', keys' and values' convolution weights: three keys",
    ),
    Case(
        "a-window-beside-state-space-layers-on-no-layers-in-particular",
        {"bad.yaml": delta("attention: {sliding_window: max_positions}\n", extends="lfm2"), **LFM2},
        path="attention.sliding_window",
        line=BODY_LINE,
        column=13,
        message="a window beside state-space layers is some attention layers': say which ('window_layers')",
    ),
    Case(
        "a-misspelt-output-gate",
        {"bad.yaml": delta("attention: {output_gate: per_haed}\n", extends="llama"), **LFM2},
        path="attention.output_gate",
        line=BODY_LINE,
        column=13,
        message="expected true, false or 'per_head', got 'per_haed'",
        hint="did you mean 'per_head'?",
    ),
    Case(
        "proportional-rope-beside-a-rotary-width",
        {
            "bad.yaml": delta(
                """\
                embeddings:
                  position:
                    rotary_dim: head_dim
                    scaling: {params: rope_parameters, types: [proportional]}
                """,
                extends="llama",
            ),
            **LFM2,
        },
        path="embeddings.position.scaling.types",
        line=BODY_LINE + 3,
        column=40,
        message="'proportional' turns a share of every head feature's pairs: not beside 'rotary_dim'",
    ),
    Case(
        "a-decay-bound-switch-without-its-bound",
        {
            "bad.yaml": delta(
                "attention: {state_space: {decay_bound_when: tie_word_embeddings}}\n", extends="qwen3_next"
            ),
            **QWEN3_NEXT,
        },
        path="attention.state_space.decay_bound_when",
        line=BODY_LINE,
        column=27,
        message="'decay_bound_when' switches the decay's bound: set 'decay_bound'",
    ),
    Case(
        "a-decay-bound-on-a-decay-per-head",
        {
            "bad.yaml": delta("attention: {state_space: {decay_bound: eps}}\n", extends="qwen3_next"),
            **QWEN3_NEXT,
        },
        path="attention.state_space.decay_bound",
        line=BODY_LINE,
        column=27,
        message="'decay_bound' bounds a decay per key feature: set 'decay: per_channel'",
    ),
    Case(
        "a-decay-per-channel-on-the-ssd-form",
        {"bad.yaml": delta("attention: {state_space: {decay: per_channel}}\n", extends="mamba2"), **MAMBA2},
        path="attention.state_space.decay",
        line=BODY_LINE,
        column=27,
        message="'decay' is not a knob of 'form: ssd'",
    ),
    Case(
        "a-misspelt-norm-gate",
        {
            "bad.yaml": delta("attention: {state_space: {norm_gate: sigmod}}\n", extends="qwen3_next"),
            **QWEN3_NEXT,
        },
        path="attention.state_space.norm_gate",
        line=BODY_LINE,
        column=27,
        message="expected one of 'silu' or 'sigmoid', got 'sigmod'",
        hint="did you mean 'sigmoid'?",
    ),
    Case(
        "a-misspelt-padding-outputs",
        {"bad.yaml": delta("reference: {padding_outputs: ignore}\n", extends="qwen3_next"), **QWEN3_NEXT},
        path="reference.padding_outputs",
        line=BODY_LINE,
        column=13,
        message="expected one of 'compared' or 'ignored', got 'ignore'",
        hint="did you mean 'ignored'?",
    ),
    Case(
        "negative-eigenvalues-on-the-ssd-form",
        {
            "bad.yaml": delta("attention: {state_space: {negative_eigenvalues: true}}\n", extends="mamba2"),
            **MAMBA2,
        },
        path="attention.state_space.negative_eigenvalues",
        line=BODY_LINE,
        column=27,
        message="'negative_eigenvalues' is not a knob of 'form: ssd'",
    ),
    Case(
        "an-activation-on-a-gated-convolution",
        {
            "bad.yaml": delta("attention: {state_space: {activation: gelu}}\n", extends="lfm2"),
            **MIXTRAL,
            "lfm2.yaml": (Path(__file__).parent / "fixtures" / "lfm2.yaml").read_text(encoding="utf-8"),
        },
        path="attention.state_space.activation",
        line=BODY_LINE,
        column=27,
        message="'activation' is not a knob of 'form: gated_conv'",
    ),
    Case(
        "a-normalizing-epsilon-beside-a-least-sum",
        {
            "bad.yaml": delta("ffn: {experts: {normalize_min: normalize_eps}}\n", extends="lfm2_moe"),
            **MIXTRAL,
            **{
                f"{name}.yaml": (Path(__file__).parent / "fixtures" / f"{name}.yaml").read_text(
                    encoding="utf-8"
                )
                for name in ("lfm2", "lfm2_moe")
            },
        },
        path="ffn.experts.normalize_eps",
        line=next(
            n
            for n, text in enumerate(
                (Path(__file__).parent / "fixtures" / "lfm2_moe.yaml")
                .read_text(encoding="utf-8")
                .splitlines(),
                1,
            )
            if "normalize_eps: normalize_eps" in text
        ),
        column=5,
        message="'normalize_min' clamps the sum already: not both",
        file="lfm2_moe.yaml",
    ),
    Case(
        "a-misspelt-state-space-form",
        {"bad.yaml": delta("attention: {state_space: {form: selectve}}\n", extends="mamba"), **MAMBA},
        path="attention.state_space.form",
        line=BODY_LINE,
        column=27,
        message="expected one of 'ssd', 'selective', 'gated_conv', 'gated_delta' or 'lightning', got 'selectve'",
        hint="did you mean 'selective'?",
    ),
    Case(
        "an-attention-offset-without-its-period",
        {
            "bad.yaml": delta(
                "attention: {state_space: {layers: {attention_offset: mamba_d_state, attention_period: null}}}\n",
                extends="jamba",
            ),
            **MIXTRAL,
            "jamba.yaml": JAMBA_TEXT,
        },
        path="attention.state_space.layers.attention_offset",
        line=BODY_LINE,
        column=36,
        message="'attention_offset' counts within 'attention_period': set it",
        count=2,  # and no rule left naming the layers
    ),
    Case(
        "an-expert-layer-offset-without-its-step",
        {
            "bad.yaml": delta("ffn: {experts: {layers: {step: null}}}\n", extends="jamba"),
            **MIXTRAL,
            "jamba.yaml": JAMBA_TEXT,
        },
        path="ffn.experts.layers.offset",
        line=next(
            n for n, text in enumerate(JAMBA_TEXT.splitlines(), 1) if "offset: expert_layer_offset" in text
        ),
        column=7,
        message="'offset' counts within 'step': set it",
        file="jamba.yaml",
    ),
    Case(
        "state-space-layers-named-twice",
        {
            "bad.yaml": delta(
                "sizes: {period: {value: 2}}\n"
                "attention: {state_space: {layers: {attention_period: period}}}\n",
                extends="bamba",
            ),
            **BAMBA,
        },
        path="attention.state_space.layers",
        line=BODY_LINE + 1,
        column=27,
        message="name the state-space layers by 'types' or the attention layers by 'attention_at' or "
        "'attention_period': one of them ('types' may take 'attention_at' where config.json lacks its list)",
    ),
    Case(
        "a-layer-kind-entry-named-twice",
        {
            "bad.yaml": delta("block: {layer_kinds: {types: kinds, experts: [mlp]}}\n", extends="nemotron_h"),
            **MAMBA2,
            "nemotron_h.yaml": (Path(__file__).parent / "fixtures" / "nemotron_h.yaml").read_text(
                encoding="utf-8"
            ),
        },
        path="block.layer_kinds.experts[0]",
        line=BODY_LINE,
        column=47,
        message="'mlp' names ffn layers already",
    ),
    Case(
        "a-latent-switch-without-a-latent-width",
        {
            "bad.yaml": delta("ffn: {experts: {latent: null}}\n", extends="nemotron_h"),
            **MAMBA2,
            "nemotron_h.yaml": NEMOTRON_H,
        },
        path="ffn.experts.latent_when",
        line=next(n for n, text in enumerate(NEMOTRON_H.splitlines(), 1) if "latent_when:" in text),
        column=5,
        message="'latent_when' switches the latent projections: set 'latent'",
        file="nemotron_h.yaml",
        count=3,  # and the projections' keys, of slots it then does not have
    ),
    Case(
        "post-norm-layers-of-one-sublayer-each",
        {
            "bad.yaml": delta(
                "sizes: {kinds: {config: layer_types, kind: list}}\nblock: {layer_kinds: {types: kinds}}\n"
            )
        },
        path="block.layer_kinds",
        line=BODY_LINE + 1,
        column=9,
        message="layers of one sublayer each are plain pre-norm layers: 'placement: pre', not parallel",
        count=2,  # and the FFN norm's key, of a slot such layers do not have
    ),
    Case(
        "post-norm-layers-without-an-ffn",
        {"bad.yaml": delta("ffn: {kind: none}\n")},
        path="ffn.kind",
        line=BODY_LINE,
        column=7,
        message="layers without an FFN are built as plain pre-norm layers: 'placement: pre', not parallel",
        count=4,  # and the FFN's keys, of slots such layers do not have
    ),
    Case(
        "an-ffn-without-its-activation",
        {"bad.yaml": delta("ffn: {activation: null}\n")},
        path="ffn.activation",
        line=BODY_LINE,
        column=7,
        message="an FFN of kind 'dense' needs its 'activation'",
    ),
    Case(
        "heads-per-layer-from-a-number",
        {"bad.yaml": delta("attention: {heads_per_layer: num_heads}\n", extends="llama"), **LFM2},
        path="attention.heads_per_layer",
        line=BODY_LINE,
        column=13,
        message="'heads_per_layer' names a list size symbol (kind: list); 'num_heads' is int",
    ),
    Case(
        "heads-per-layer-under-latent-attention",
        {
            "bad.yaml": delta(
                """\
                sizes:
                  per_layer: {config: num_attention_heads_per_layer, kind: list}
                attention: {heads_per_layer: per_layer}
                """,
                extends="deepseek_v3",
            ),
            **DEEPSEEK_V3,
        },
        path="attention.heads_per_layer",
        line=BODY_LINE + 2,
        column=13,
        message="latent attention is built without 'heads_per_layer'",
    ),
    Case(
        "a-gate-activation-without-a-gate",
        {"bad.yaml": delta("attention: {output_gate_activation: softplus}\n", extends="llama"), **LFM2},
        path="attention.output_gate_activation",
        line=BODY_LINE,
        column=13,
        message="'output_gate_activation' turns the output gate's projection into factors: set 'output_gate'",
    ),
    Case(
        "a-misspelt-gate-activation",
        {
            "bad.yaml": delta(
                "attention: {output_gate: true, output_gate_activation: softplsu}\n", extends="llama"
            ),
            **LFM2,
        },
        path="attention.output_gate_activation",
        line=BODY_LINE,
        column=32,
        message="expected one of 'sigmoid' or 'softplus', got 'softplsu'",
        hint="did you mean 'softplus'?",
    ),
    Case(
        "a-gate-form-switch-on-a-gate-per-head",
        {
            "bad.yaml": delta(
                "attention: {output_gate: per_head, output_gate_per_head: attention_bias}\n"
                "keys: {attn.gate: self_attn.g_proj}\n",
                extends="llama",
            ),
            **LFM2,
        },
        path="attention.output_gate_per_head",
        line=BODY_LINE,
        column=36,
        message="'output_gate_per_head' lets config.json choose between a gate per head and one per feature",
    ),
    Case(
        "a-gate-bias-per-head-on-a-gate-per-head",
        {
            "bad.yaml": delta(
                "attention: {output_gate: per_head, output_gate_bias: true}\n"
                "keys: {attn.gate: self_attn.g_proj, attn.gate_bias: self_attn.gate_bias}\n",
                extends="llama",
            ),
            **LFM2,
        },
        path="attention.output_gate_bias",
        line=BODY_LINE,
        column=36,
        message="'output_gate_bias' adds a bias per head to a gate per feature: set 'output_gate: true'",
    ),
    Case(
        "query-key-norms-of-rotated-layers-before-rotary-positions",
        {
            "bad.yaml": delta(
                "embeddings: {position: {rotary_layers: {types: no_rope, roped: 1}}}\n"
                "attention: {qk_norm: true, qk_norm_layers: rotated}\n"
                "sizes: {no_rope: {config: no_rope_layers, kind: list}}\n"
                "keys: {attn.q_norm: self_attn.q_norm, attn.k_norm: self_attn.k_norm}\n",
                extends="llama",
            ),
            **LFM2,
        },
        path="attention.qk_norm_layers",
        line=BODY_LINE + 1,
        column=28,
        message="'qk_norm_layers: rotated' norms the queries and keys of the layers with rotary positions, "
        "after them: set 'qk_norm', 'qk_norm_at: after_rotary' and 'position.rotary_layers'",
    ),
    Case(
        "window-layers-from-rotary-layers-that-are-not-there",
        {
            "bad.yaml": delta(
                "sizes: {kinds: {config: layer_types, kind: list}, window: {config: sliding_window, default: 0}}\n"
                "attention: {sliding_window: window, window_layers: {types: kinds, from_rotary: true}}\n",
                extends="llama",
            ),
            **LFM2,
        },
        path="attention.window_layers.from_rotary",
        line=BODY_LINE + 1,
        column=67,
        message="'from_rotary' derives the window's layers from 'position.rotary_layers' without a list: set that",
    ),
    Case(
        "chunks-in-a-head-that-attends-both-ways",
        {
            "bad.yaml": delta(
                "sizes: {window: {config: sliding_window, default: 4}}\n"
                "attention: {sliding_window: window, window_sides: chunks}\n"
                "heads: {encoder_model: {class_suffix: Model, attention: bidirectional}}\n",
                extends="llama",
            ),
            **LFM2,
        },
        path="heads.encoder_model",
        line=BODY_LINE + 2,
        column=9,
        message="head 'encoder_model' attends both ways; chunks ('window_sides: chunks') are built for causal attention",
    ),
    Case(
        "sigmoid-scores-switched-on-a-sigmoid-router",
        {
            "bad.yaml": delta(
                "sizes: {flag: {value: true, kind: bool}}\n"
                "ffn: {experts: {scores: sigmoid, sigmoid_when: flag}}\n",
                extends="mixtral",
            ),
            **MIXTRAL,
        },
        path="ffn.experts.sigmoid_when",
        line=BODY_LINE + 1,
        column=34,
        message="'sigmoid_when' turns a softmax router's scores into sigmoids: set 'scores: softmax'",
    ),
    Case(
        "a-gated-shared-expert-averaged",
        {
            "bad.yaml": delta(
                "sizes: {flag: {value: true, kind: bool}}\n"
                "ffn: {experts: {shared: {size: intermediate_size, when: flag, average_when: flag}}}\n"
                "keys:\n"
                "  ffn.shared.gate: mlp.shared_expert.gate_proj\n"
                "  ffn.shared.up: mlp.shared_expert.up_proj\n"
                "  ffn.shared.down: mlp.shared_expert.down_proj\n"
                "  ffn.shared_gate: mlp.shared_expert_gate\n",
                extends="mixtral",
            ),
            **MIXTRAL,
        },
        path="ffn.experts.shared.average_when",
        line=BODY_LINE + 1,
        column=63,
        message="'average_when' is built for an ungated shared expert config.json may leave out",
    ),
    Case(
        "expert-layers-listed-two-ways",
        {
            "bad.yaml": delta(
                "sizes:\n"
                "  moe_layers: {config: moe_layers, kind: list}\n"
                "  kinds: {config: mlp_layer_types, kind: list}\n"
                "ffn: {experts: {layers: {dense_size: intermediate_size, only: moe_layers, types: kinds}}}\n"
                "keys: {ffn.dense.gate: mlp.gate_proj, ffn.dense.up: mlp.up_proj, ffn.dense.down: mlp.down_proj}\n",
                extends="mixtral",
            ),
            **MIXTRAL,
        },
        path="ffn.experts.layers.only",
        line=BODY_LINE + 3,
        column=57,
        message="'only' and 'types' each decide alone: give one",
    ),
    Case(
        "a-norm-switch-whose-cases-hold-different-tensors",
        {
            "bad.yaml": delta(
                "sizes: {norm_type: {config: norm_type, default: layer, kind: str}}\n"
                "norm: {kind: {switch: norm_type, cases: {rms: rms_norm, layer: layer_norm}}}\n"
            )
        },
        path="norm.kind.cases",
        line=BODY_LINE + 1,
        column=34,
        message="the cases hold different tensors, which one weight table cannot map: rms: weight, "
        "layer: weight and bias",
        hint="with 'bias: false', a layer_norm holds a weight, as an rms_norm does",
    ),
    Case(
        "a-bias-free-norm-switch-without-a-layer-norm",
        {
            "bad.yaml": delta(
                "sizes: {norm_type: {config: norm_type, default: rms, kind: str}}\n"
                "norm: {kind: {switch: norm_type, cases: {rms: rms_norm, offset: offset_rms_norm}}, bias: false}\n"
            )
        },
        path="norm.bias",
        line=BODY_LINE + 1,
        column=84,
        message="'bias: false' is for 'kind: layer_norm', or a kind switch with a layer_norm case",
    ),
    Case(
        "dense-layers-rotated-without-dense-layers",
        {
            "bad.yaml": delta(
                "sizes:\n"
                "  kinds: {config: layer_types, kind: list}\n"
                "  flag: {value: true, kind: bool}\n"
                "embeddings: {position: {rotary_layers: {types: kinds, roped: sliding_attention, dense_when: flag}}}\n",
                extends="mixtral",
            ),
            **MIXTRAL,
        },
        path="embeddings.position.rotary_layers.dense_when",
        line=BODY_LINE + 3,
        column=81,
        message="'dense_when' rotates the layers with the dense FFN: set 'ffn.experts.layers'",
    ),
    Case(
        "an-unrotated-shared-key-part-beside-rotary-positions",
        {
            "bad.yaml": delta("attention: {latent: {shared_dim: qk_rope_head_dim}}\n", extends="deepseek_v3"),
            **DEEPSEEK_V3,
        },
        path="attention.latent.shared_dim",
        line=BODY_LINE,
        column=22,
        message="'shared_dim' is the unrotated shared key part's width, without positions",
    ),
    Case(
        "a-query-up-projection-reading-the-raw-low-rank-queries-without-a-low-rank-path",
        {
            "bad.yaml": delta(
                "attention: {latent: {q_rank: null, q_rank_when: null, q_b_input: normed_and_raw}}\n"
                "keys: {attn.q_a: null, attn.q_a_norm: null, attn.q_b: null}\n",
                extends="deepseek_v3",
            ),
            **DEEPSEEK_V3,
        },
        path="attention.latent.q_b_input",
        line=BODY_LINE,
        column=55,
        message="'q_b_input' says what the low-rank query path's 'attn.q_b' reads: set 'q_rank'",
    ),
    Case(
        "an-output-gate-reading-a-query-latent-that-config-may-leave-out",
        {
            "bad.yaml": delta(
                "attention: {output_gate: true, output_gate_input: query_latent}\nkeys: {attn.gate: self_attn.g}\n",
                extends="deepseek_v3",
            ),
            **DEEPSEEK_V3,
        },
        path="attention.output_gate_input",
        line=BODY_LINE,
        column=32,
        message="'output_gate_input: query_latent' reads the low-rank queries",
    ),
    Case(
        "an-output-gate-reading-a-query-latent-without-latent-attention",
        {
            "bad.yaml": delta(
                "attention: {output_gate: true, output_gate_input: query_latent}\nkeys: {attn.gate: self_attn.g}\n",
                extends="llama",
            ),
            **MIXTRAL,
        },
        path="attention.output_gate_input",
        line=BODY_LINE,
        column=32,
        message="set 'output_gate' under latent attention",
    ),
    Case(
        "a-gate-per-feature-on-latent-attention-from-the-input",
        {
            "bad.yaml": delta(
                "attention: {output_gate: true}\nkeys: {attn.gate: self_attn.g_proj}\n", extends="deepseek_v3"
            ),
            **DEEPSEEK_V3,
        },
        path="attention.output_gate",
        line=BODY_LINE,
        column=13,
        message="latent attention gates each value feature from the query latent",
    ),
    Case(
        "a-gate-per-head-on-latent-attention-from-the-query-latent",
        {
            "bad.yaml": delta(
                "attention: {output_gate: per_head, output_gate_input: query_latent}\nkeys: {attn.gate: self_attn.g}\n",
                extends="deepseek_v32",
            ),
            **DEEPSEEK_V32,
        },
        path="attention.output_gate_input",
        line=BODY_LINE,
        column=36,
        message="latent attention's gate per head reads the input",
    ),
    Case(
        "a-bias-on-latent-attentions-gate-per-feature",
        {
            "bad.yaml": delta(
                "attention: {output_gate: true, output_gate_input: query_latent, output_gate_bias: true}\n"
                "keys: {attn.gate: self_attn.g, attn.gate_bias: self_attn.gb}\n",
                extends="deepseek_v32",
            ),
            **DEEPSEEK_V32,
        },
        path="attention.output_gate_bias",
        line=BODY_LINE,
        column=65,
        message="latent attention's gate per feature is built without a bias",
    ),
    Case(
        "norm-gates-on-post-norm-layers",
        {
            "bad.yaml": delta(
                "block: {norm_gate: {rank: num_heads}}\n"
                "keys: {attn_norm_gate.down: a, attn_norm_gate.up: b, ffn_norm_gate.down: c, ffn_norm_gate.up: d}\n"
            )
        },
        path="block.norm_gate",
        line=BODY_LINE,
        column=9,
        message="norm gates are built for plain sequential pre-norm layers",
    ),
    Case(
        "a-norm-gated-in-the-layers-with-experts-where-every-layer-has-them",
        {
            "bad.yaml": delta(
                "block: {norm_gate: {rank: num_heads, attn_norm: expert_layers, ffn_norm: none}}\n"
                "keys: {attn_norm_gate.down: a, attn_norm_gate.up: b}\n",
                extends="mixtral",
            ),
            **MIXTRAL,
        },
        path="block.norm_gate.attn_norm",
        line=BODY_LINE,
        column=38,
        message="'expert_layers' gates the norm in the layers with experts alone: set 'ffn.experts.layers'",
    ),
    Case(
        "a-misspelt-choice-of-the-gated-norms-layers",
        {
            "bad.yaml": delta("block: {norm_gate: {rank: num_heads, ffn_norm: experts}}\n", extends="llama"),
            **MIXTRAL,
        },
        path="block.norm_gate.ffn_norm",
        line=BODY_LINE,
        column=38,
        message="expected one of 'all', 'expert_layers' or 'none', got 'experts'",
        hint="did you mean 'expert_layers'?",
    ),
    Case(
        "norm-gates-on-no-norm",
        {
            "bad.yaml": delta(
                "block: {norm_gate: {rank: num_heads, attn_norm: none, ffn_norm: none}}\n", extends="llama"
            ),
            **MIXTRAL,
        },
        path="block.norm_gate",
        line=BODY_LINE,
        column=9,
        message="norm gates on no norm",
    ),
    Case(
        "a-misspelt-norm-slot-keyed-apart-in-the-layers-with-experts",
        {
            "bad.yaml": delta(
                "ffn: {experts: {keys: {ffn_nrom: post_attention_layernorm.norm}}}\n", extends="deepseek_v32"
            ),
            **DEEPSEEK_V32,
        },
        path="ffn.experts.keys.ffn_nrom",
        line=BODY_LINE,
        column=24,
        message="'ffn.experts.keys' names the norm slots attn_norm and ffn_norm, not 'ffn_nrom'",
        hint="did you mean 'ffn_norm'?",
    ),
    Case(
        "norm-keys-of-the-layers-with-experts-where-every-layer-has-them",
        {
            "bad.yaml": delta(
                "ffn: {experts: {keys: {ffn_norm: post_attention_layernorm.norm}}}\n", extends="mixtral"
            ),
            **MIXTRAL,
        },
        path="ffn.experts.keys",
        line=BODY_LINE,
        column=17,
        message="keys of the layers with experts, apart from the others': set 'ffn.experts.layers'",
    ),
    Case(
        "a-mixture-of-attention-heads-without-shared-key-value-heads",
        {"bad.yaml": delta("attention: {num_kv_heads: null}\n", extends="jetmoe"), **JETMOE},
        path="attention.experts",
        line=line_of(JETMOE["jetmoe.yaml"], "  experts: {count"),
        column=3,
        message="each expert's query heads attend with the shared key/value heads: set 'num_kv_heads'",
        file="jetmoe.yaml",
        count=2,  # and its keys and values in one key, which only grouped-query attention fuses
    ),
    Case(
        "query-key-norms-in-a-mixture-of-attention-heads",
        {
            "bad.yaml": delta(
                "attention: {qk_norm: true}\nkeys: {attn.q_norm: q_norm, attn.k_norm: k_norm}\n",
                extends="jetmoe",
            ),
            **JETMOE,
        },
        path="attention.qk_norm",
        line=BODY_LINE,
        column=13,
        message="a mixture of attention heads is built without 'qk_norm'",
    ),
    Case(
        "rotary-layers-in-a-mixture-of-attention-heads",
        {
            "bad.yaml": delta(
                "sizes:\n  no_rope_layers: {config: no_rope_layers, kind: list}\n"
                "embeddings: {position: {rotary_layers: {types: no_rope_layers, roped: 1}}}\n",
                extends="jetmoe",
            ),
            **JETMOE,
        },
        path="embeddings.position.rotary_layers",
        line=BODY_LINE + 2,
        column=25,
        message="a mixture of attention heads rotates every layer alike: it is built without 'rotary_layers'",
    ),
    Case(
        "a-misspelt-count-of-the-experts-a-token-takes",
        {
            "bad.yaml": delta(
                "attention: {experts: {count: num_experts, top_k: experts_per_tok}}\n", extends="jetmoe"
            ),
            **JETMOE,
        },
        path="attention.experts.top_k",
        line=BODY_LINE,
        column=43,
        message="unknown size symbol 'experts_per_tok'",
        hint="did you mean 'experts_per_token'?",
    ),
    Case(
        "the-attention-norms-epsilon-on-parallel-layers",
        {"bad.yaml": delta("block: {parallel: true}\n", extends="jetmoe"), **JETMOE},
        path="block.attn_norm_eps",
        line=line_of(JETMOE["jetmoe.yaml"], "attn_norm_eps:"),
        column=3,
        message="'attn_norm_eps' is built for plain sequential layers",
        file="jetmoe.yaml",
    ),
    Case(
        "a-convolution-on-lightning-attention",
        {
            "bad.yaml": delta("attention: {state_space: {conv_kernel: num_heads}}\n", extends="minimax"),
            **MINIMAX,
        },
        path="attention.state_space.conv_kernel",
        line=BODY_LINE,
        column=27,
        message="'conv_kernel' is not a knob of 'form: lightning'",
    ),
    Case(
        "the-normed-input-as-residual-of-post-norm-layers",
        {"bad.yaml": delta("block: {residual: normed}\n")},
        path="block.residual",
        line=BODY_LINE,
        column=9,
        message="'residual' is built for sequential pre-norm layers",
    ),
    Case(
        "a-misspelt-residual",
        {"bad.yaml": delta("block: {residual: norm}\n", extends="llama"), **MIXTRAL},
        path="block.residual",
        line=BODY_LINE,
        column=9,
        message="expected one of 'input' or 'normed', got 'norm'",
        hint="did you mean 'normed'?",
    ),
    Case(
        "residual-weights-of-state-space-layers-a-stack-lacks",
        {
            "bad.yaml": delta(
                "block: {residual_weights: {state_space: {residual: eps, output: eps}}}\n", extends="llama"
            ),
            **MIXTRAL,
        },
        path="block.residual_weights.state_space",
        line=BODY_LINE,
        column=28,
        message="a stack without state-space layers has no such sums",
    ),
    Case(
        "residual-weights-of-attention-in-a-state-space-stack",
        {
            "bad.yaml": delta(
                "block: {residual_weights: {attention: {residual: eps, output: eps}}}\n", extends="mamba2"
            ),
            **MAMBA2,
        },
        path="block.residual_weights.attention",
        line=BODY_LINE,
        column=28,
        message="a stack of state-space layers alone has no attention sums: give 'state_space'",
        count=2,  # and Mamba-2's layers have no FFN
    ),
    Case(
        "weighted-residual-sums-beside-a-residual-scale",
        {
            "bad.yaml": delta(
                "sizes:\n  r: {value: 2.0, kind: float}\nblock: {residual_scale: r}\n", extends="minimax"
            ),
            **MINIMAX,
        },
        path="block.residual_weights",
        line=line_of(MINIMAX["minimax.yaml"], "  residual_weights:"),
        column=3,
        message="'residual_weights' is built for sequential pre-norm layers",
        file="minimax.yaml",
        count=2,  # `residual: normed` too
    ),
    Case(
        "a-bias-from-the-values-without-key-value-heads",
        {"bad.yaml": delta("attention: {num_kv_heads: null}\n", extends="doge"), **DOGE},
        path="attention.key_bias_from_values",
        line=line_of(DOGE["doge.yaml"], "key_bias_from_values:"),
        column=3,
        message="the bias is one per key/value head: set 'num_kv_heads'",
        file="doge.yaml",
    ),
    Case(
        "capped-scores-beside-a-bias-from-the-values",
        {
            "bad.yaml": delta(
                "sizes:\n  cap: {value: 30.0, kind: float}\nattention: {softcap: cap}\n", extends="doge"
            ),
            **DOGE,
        },
        path="attention.softcap",
        line=BODY_LINE + 2,
        column=13,
        message="a bias from the values is built without 'softcap'",
    ),
    Case(
        "two-residual-rules",
        {"bad.yaml": delta("block: {residual: normed}\n", extends="doge"), **DOGE},
        path="block.residual_gains",
        line=line_of(DOGE["doge.yaml"], "residual_gains:"),
        column=3,
        message="one residual rule: 'residual_gains', 'residual_weights' or 'residual: normed'",
        file="doge.yaml",
    ),
    Case(
        "a-query-key-norm-kind-without-weights-per-head",
        {
            "bad.yaml": delta(
                "attention: {qk_norm: true, qk_norm_kind: layer_norm}\nkeys: {attn.q_norm: q_norm, attn.k_norm: k_norm}\n",
                extends="llama",
            ),
            **MIXTRAL,
        },
        path="attention.qk_norm_kind",
        line=BODY_LINE,
        column=28,
        message="set 'qk_norm' with 'qk_norm_scope: head_weights'",
    ),
    Case(
        "a-query-key-norm-epsilon-across-all-heads",
        {
            "bad.yaml": delta(
                "attention: {qk_norm: true, qk_norm_scope: all_heads, qk_norm_eps: eps}\n"
                "keys: {attn.q_norm: q_norm, attn.k_norm: k_norm}\n",
                extends="llama",
            ),
            **MIXTRAL,
        },
        path="attention.qk_norm_eps",
        line=BODY_LINE,
        column=54,
        message="'qk_norm_eps' is the per-head query/key norms' epsilon",
    ),
    Case(
        "a-misspelt-query-key-norm-kind",
        {
            "bad.yaml": delta(
                "attention: {qk_norm: true, qk_norm_scope: head_weights, qk_norm_kind: layernorm}\n"
                "keys: {attn.q_norm: q_norm, attn.k_norm: k_norm}\n",
                extends="llama",
            ),
            **MIXTRAL,
        },
        path="attention.qk_norm_kind",
        line=BODY_LINE,
        column=57,
        message="expected one of 'layer_norm', got 'layernorm'",
        hint="did you mean 'layer_norm'?",
    ),
    Case(
        "a-sublayer-norm-switch-reading-a-number",
        {"bad.yaml": delta("block: {sublayer_when: num_heads}\n", extends="llama"), **MIXTRAL},
        path="block.sublayer_when",
        line=BODY_LINE,
        column=9,
        message="'sublayer_when' reads a bool size symbol; 'num_heads' is int",
    ),
    Case(
        "a-sublayer-norm-switch-on-post-norm-layers",
        {"bad.yaml": delta("sizes:\n  swin: {value: true, kind: bool}\nblock: {sublayer_when: swin}\n")},
        path="block.sublayer_when",
        line=BODY_LINE + 2,
        column=9,
        message="'sublayer_when' switches plain sequential pre-norm layers",
    ),
    Case(
        "a-low-rank-gate-on-mamba-2",
        {
            "bad.yaml": delta("attention: {state_space: {gate_rank: num_heads}}\n", extends="mamba2"),
            **MAMBA2,
        },
        path="attention.state_space.gate_rank",
        line=BODY_LINE,
        column=27,
        message="'gate_rank' is not a knob of 'form: ssd'",
    ),
    Case(
        "unit-dimensions-of-a-linear-slot",
        {"bad.yaml": delta("unit_dims: {attn.q: [0]}\n")},
        path="unit_dims.attn.q",
        line=BODY_LINE,
        column=13,
        message="'attn.q' is not a bare tensor slot of this structure; tensor slots: none",
    ),
    Case(
        "unit-dimensions-named-twice",
        {
            "bad.yaml": delta("unit_dims: {ssm.A_log: [1, 1]}\n", extends="mamba2"),
            **MAMBA2,
        },
        path="unit_dims.ssm.A_log",
        line=BODY_LINE,
        column=13,
        message="the positions of the stored shape's unit dimensions: distinct, from 0 ([1, 1])",
    ),
    Case(
        "layers-counted-from-one-without-a-list-of-indices",
        {
            "bad.yaml": delta(
                "attention: {state_space: {layers: {counted_from: 1}}}\n", extends="qwen3_next"
            ),
            **QWEN3_NEXT,
        },
        path="attention.state_space.layers.counted_from",
        line=BODY_LINE,
        column=36,
        message="'counted_from' says how 'attention_at' counts the layers: set it",
    ),
    Case(
        "clamp-limits-on-a-dense-ffn",
        {
            "bad.yaml": delta(
                "sizes: {limits: {config: swiglu_limits, kind: list}}\nffn: {glu_limits: {routed: limits}}\n"
            )
        },
        path="ffn.glu_limits",
        line=BODY_LINE + 1,
        column=7,
        message="limits clamp a gated FFN's activations in each layer of one stack: set 'kind: gated'",
    ),
    Case(
        "shared-clamp-limits-without-experts",
        {
            "bad.yaml": delta(
                "sizes: {limits: {config: swiglu_limits, kind: list}}\n"
                "ffn: {glu_limits: {routed: limits, shared: limits}}\n",
                extends="llama",
            ),
            **LFM2,
        },
        path="ffn.glu_limits.shared",
        line=BODY_LINE + 1,
        column=36,
        message="'shared' clamps the shared expert and the dense layers among experts: set 'ffn.experts'",
    ),
    Case(
        "depth-scaled-residuals-on-post-norm-layers",
        {"bad.yaml": delta("block: {depth_scaled_residuals: true}\n")},
        path="block.depth_scaled_residuals",
        line=BODY_LINE,
        column=9,
        message="'depth_scaled_residuals' is built for sequential pre-norm or sandwich layers",
        count=2,  # and the family's causal LM head, which may cross-attend
    ),
    Case(
        "a-query-scale-of-unrotated-layers-without-rotary-layers",
        {
            "bad.yaml": delta(
                "embeddings: {position: {query_scale: {beta: eps, period: max_positions, layers: unrotated}}}\n",
                extends="llama",
            ),
            **LFM2,
        },
        path="embeddings.position.query_scale.layers",
        line=BODY_LINE,
        column=73,
        message="'layers: unrotated' scales the queries of the layers 'rotary_layers' leaves without positions",
    ),
    Case(
        "a-gate-form-switch-from-a-number",
        {
            "bad.yaml": delta(
                "attention: {output_gate: true, output_gate_per_head: num_heads}\nkeys: {attn.gate: self_attn.g_proj}\n",
                extends="llama",
            ),
            **LFM2,
        },
        path="attention.output_gate_per_head",
        line=BODY_LINE,
        column=32,
        message="'output_gate_per_head' reads a bool size symbol; 'num_heads' is int",
    ),
    Case(
        "a-router-softcap-on-sparse-mixer-weights",
        {
            "bad.yaml": delta(
                """\
                ffn:
                  experts:
                    scores: sparsemixer
                    jitter: eps
                    normalize: false
                    logit_softcap: eps
                """,
                extends="mixtral",
            ),
            **MIXTRAL,
        },
        path="ffn.experts.logit_softcap",
        line=BODY_LINE + 5,
        column=5,
        message="'scores: sparsemixer' weighs the router's logits as they are: no 'logit_softcap'",
    ),
    Case(
        "a-misspelt-router-softcap",
        {"bad.yaml": delta("ffn: {experts: {logit_softcapp: eps}}\n", extends="mixtral"), **MIXTRAL},
        path="ffn.experts.logit_softcapp",
        line=BODY_LINE,
        column=17,
        message="unknown key 'logit_softcapp'",
        hint="did you mean 'logit_softcap'?",
    ),
    Case(
        "a-partial-factor-beside-a-rotary-width",
        {
            "bad.yaml": delta(
                """\
                embeddings:
                  position:
                    rotary_dim: head_dim
                    scaling: {params: rope_parameters, partial_factor: true}
                """,
                extends="llama",
            ),
            **LFM2,
        },
        path="embeddings.position.scaling.partial_factor",
        line=BODY_LINE + 3,
        column=40,
        message="'partial_factor' reads the rotated features from the parameters: not beside 'rotary_dim'",
    ),
    Case(
        "a-value-width-without-key-value-heads",
        {"bad.yaml": delta("attention: {value_head_dim: head_dim}\n")},
        path="attention.value_head_dim",
        line=BODY_LINE,
        column=13,
        message="values of a width of their own have a projection of their own: set 'num_kv_heads'",
    ),
    Case(
        "a-value-width-under-a-gate-per-feature",
        {
            "bad.yaml": delta(
                "attention: {value_head_dim: head_dim, output_gate: true}\nkeys: {attn.gate: self_attn.g_proj}\n",
                extends="llama",
            ),
            **LFM2,
        },
        path="attention.output_gate",
        line=BODY_LINE,
        column=39,
        message="a gate per feature is built for values 'head_dim' wide: not with 'value_head_dim'",
    ),
    Case(
        "a-type-setting-a-size-attention-does-not-read",
        type_sizes_spec("{hidden_size: num_kv_heads}"),
        path="attention.type_sizes.sizes.sliding_attention.hidden_size",
        line=BODY_LINE + 6,
        column=27,
        message="'hidden_size' is not a size the attention reads per layer; a type may set: num_heads, num_kv_heads",
    ),
    Case(
        "a-type-setting-a-size-from-another-kind",
        type_sizes_spec("{num_kv_heads: eps}"),
        path="attention.type_sizes.sizes.sliding_attention.num_kv_heads",
        line=BODY_LINE + 6,
        column=27,
        message="'num_kv_heads' is int: 'eps' is float",
    ),
    Case(
        "layer-types-from-a-number",
        {
            "bad.yaml": delta(
                "attention: {type_sizes: {types: num_layers, sizes: {}}}\n",
                extends="llama",
            ),
            **LFM2,
        },
        path="attention.type_sizes.types",
        line=BODY_LINE,
        column=26,
        message="'types' names a list size symbol (kind: list); 'num_layers' is int",
    ),
    Case(
        "a-sinks-switch-over-a-number",
        {
            "bad.yaml": delta(
                "attention: {sinks: {switch: num_layers}}\nkeys: {attn.sinks: self_attn.sinks}\n",
                extends="llama",
            ),
            **LFM2,
        },
        path="attention.sinks.switch",
        line=BODY_LINE,
        column=21,
        message="switch 'num_layers' must be a bool size symbol (kind: bool), it is int",
    ),
    Case(
        "a-sinks-switch-with-cases",
        {
            "bad.yaml": delta(
                "sizes: {kind: {config: kind, default: a, kind: str}}\n"
                "attention: {sinks: {switch: kind, cases: {a: 'true'}}}\nkeys: {attn.sinks: self_attn.sinks}\n",
                extends="llama",
            ),
            **LFM2,
        },
        path="attention.sinks.cases",
        line=BODY_LINE + 1,
        column=35,
        message="a sinks switch reads a bool symbol: no 'cases'",
    ),
    Case(
        "a-misspelt-type-sizes",
        {"bad.yaml": delta("attention: {type_size: {}}\n", extends="llama"), **LFM2},
        path="attention.type_size",
        line=BODY_LINE,
        column=13,
        message="unknown key 'type_size'",
        hint="did you mean 'type_sizes'?",
    ),
    Case(
        "a-misspelt-decoder-shift",
        {"bad.yaml": delta("decoder: {shift: last_kep}\n", extends="umt5")},
        path="decoder.shift",
        line=BODY_LINE,
        column=11,
        message="expected one of 'start_token' or 'last_kept', got 'last_kep'",
        hint="did you mean 'last_kept'?",
    ),
]


def _write(tmp_path: Path, files: dict[str, str | bytes]) -> None:
    for name, content in files.items():
        target = tmp_path / name
        target.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            target.write_bytes(content)
        else:
            target.write_text(content, encoding="utf-8")


def _diagnostics(path: Path) -> list[Diagnostic]:
    with pytest.raises(SpecError) as info:
        load_arch(path)
    assert info.value.diagnostics, "a SpecError without diagnostics"
    return info.value.diagnostics


def _same_file(reported: str, expected: Path) -> bool:
    return Path(reported).resolve() == expected.resolve()


@pytest.mark.parametrize("case", [pytest.param(c, id=c.id) for c in CASES])
def test_bad_spec(case: Case, tmp_path: Path) -> None:
    _write(tmp_path, case.files)
    diags = _diagnostics(tmp_path / case.main)
    listing = "\n".join(str(d) for d in diags)
    assert len(diags) == case.count, listing
    matching = [d for d in diags if d.path == case.path and case.message in d.message]
    assert matching, f"no diagnostic at {case.path!r} containing {case.message!r}; got:\n{listing}"
    d = matching[0]
    assert _same_file(d.file, tmp_path / case.file), listing
    assert d.line == case.line, listing
    if case.column is not None:
        assert d.column == case.column, listing
    assert d.hint == case.hint, listing
    assert str(d).startswith(f"{d.file}:{case.line}:{d.column}: {case.path}: ")


def test_case_ids_are_unique() -> None:
    ids = [c.id for c in CASES]
    assert len(ids) == len(set(ids))
    assert len(ids) >= 24


def test_many_schema_errors_reported_at_once(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        delta(
            """\
            atention: {bias: false}
            block: {placement: psot}
            norm: {kind: layernorm}
            """,
            name="not_bad",
        )
    )
    diags = _diagnostics(bad)
    got = {(d.path, d.line, d.hint) for d in diags}
    assert got == {
        ("name", 2, None),
        ("atention", BODY_LINE, "did you mean 'attention'?"),
        ("block.placement", BODY_LINE + 1, "did you mean 'post'?"),
        ("norm.kind", BODY_LINE + 2, "did you mean 'layer_norm'?"),
    }, "\n".join(map(str, diags))


def test_many_cross_field_errors_reported_at_once(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        delta(
            """\
            ffn: {size: intermediat_size}
            keys: {layer: encoder.layer, attn.qq: attention.self.query}
            heads:
              masked_llm:
            """
        )
    )
    diags = _diagnostics(bad)
    got = {(d.path, d.line) for d in diags}
    assert got == {
        ("ffn.size", BODY_LINE),
        ("keys.layer", BODY_LINE + 1),
        ("keys.attn.qq", BODY_LINE + 1),
        ("heads.masked_llm", BODY_LINE + 3),
    }, "\n".join(map(str, diags))
    # Sorted by place, so the listing reads top to bottom.
    assert [(d.line, d.column) for d in diags] == sorted((d.line, d.column) for d in diags)


def test_cli_validate_reports_place_and_exits_2(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(delta("block: {placement: psot}\nffn: {size: intermediat_size}\n"))
    diags = _diagnostics(bad)
    result = CliRunner().invoke(app, ["validate", str(bad)])
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    for d in diags:
        assert f"{d.file}:{d.line}:{d.column}: {d.path}: " in result.output
    assert "did you mean 'post'?" in result.output
    assert f"{len(diags)} error(s)" in result.output


def test_cli_validate_bad_yaml_has_no_traceback(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_bytes(b"spec_version: 1\ntitle: caf\xe9\n")
    result = CliRunner().invoke(app, ["validate", str(bad)])
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert ":2:11: <root>: the file is not valid UTF-8" in result.output


@pytest.mark.parametrize("spec", discover_specs(include_abstract=True), ids=lambda p: p.stem)
def test_builtin_specs_still_valid(spec: Path) -> None:
    load_arch(spec)


def test_a_size_that_names_a_new_source_replaces_the_inherited_one(tmp_path: Path) -> None:
    """`eps: {value: ...}` over `{config: layer_norm_eps, default: ..., kind: float}` is the
    constant (kind kept); `{default: ...}` alone merges into the inherited entry."""
    body = "sizes:\n  eps: {value: 1.0e-7}\n  pad_token_id: {default: 0}\n"
    (tmp_path / "ok.yaml").write_text(delta(body, name="ok"), encoding="utf-8")
    sizes = load_arch(tmp_path / "ok.yaml").spec.sizes
    assert sizes["eps"].model_dump(exclude_defaults=True) == {"value": 1.0e-7, "kind": "float"}
    assert sizes["pad_token_id"].model_dump(exclude_defaults=True) == {"config": "pad_token_id", "default": 0}


def test_size_expressions_divide_and_raise_to_powers_as_python() -> None:
    """`/` is true division and `**` Python's power (Gemma 2's `query_pre_attn_scalar ** -0.5`);
    an int symbol whose division is inexact is refused when the config is bound, naming it."""
    sizes = {
        "n": SizeSpec(config="n"),
        "d": SizeSpec(config="d"),
        "scale": SizeSpec(expr="n ** -0.5", kind="float"),
        "ratio": SizeSpec(expr="n / d", kind="float"),
        "width": SizeSpec(expr="n / d"),
    }
    assert bind_sizes(sizes, {"n": 256, "d": 8}) == {
        "n": 256,
        "d": 8,
        "scale": 0.0625,
        "ratio": 32.0,
        "width": 32,
    }
    with pytest.raises(ValueError, match="size 'width'"):
        bind_sizes(sizes, {"n": 256, "d": 3})


def test_size_expressions_take_natural_logs_and_name_a_number_outside_the_domain() -> None:
    """`log` is the natural logarithm (YaRN's mscale, `0.1 * m * log(factor) + 1`); a log or
    square root of a number outside its domain is refused when the config is bound, naming the
    symbol, the call and the number."""
    sizes = {
        "factor": SizeSpec(config="factor", kind="float"),
        "mscale": SizeSpec(expr="0.1 * log(factor) + 1", kind="float"),
    }
    assert bind_sizes(sizes, {"factor": math.e**2})["mscale"] == pytest.approx(1.2)
    with pytest.raises(ValueError, match=r"size 'mscale': log\(factor\) is undefined: factor is 0.0"):
        bind_sizes(sizes, {"factor": 0.0})


def test_count_of_counts_a_mapping_or_a_list() -> None:
    """`count_of` is the number of entries of a config.json mapping (`id2label`) or list, used
    where the key `config` names is absent; `default` where both are."""
    sizes = {
        "labels": SizeSpec(config="num_labels", count_of="id2label", default=2),
        "listed": SizeSpec(config="num_listed", count_of="listed_layers", default=0),
    }
    config = {"id2label": {"0": "a", "1": "b", "2": "c"}, "listed_layers": [1, 4]}
    assert bind_sizes(sizes, config) == {"labels": 3, "listed": 2}
    assert bind_sizes(sizes, {}) == {"labels": 2, "listed": 0}
    assert bind_sizes(sizes, config | {"num_labels": 5}) == {"labels": 5, "listed": 2}


def test_a_str_symbol_reads_json_true_and_false_as_strings() -> None:
    """A config key that holds a flag or a name (Laguna's `gating`: `true`, `false`, `"per-head"`
    or `"per-element"`) binds to a `str` symbol as `'true'`, `'false'` or the name; an expression
    over it picks the form; a number there is still refused, naming the symbol."""
    sizes = {
        "gating": SizeSpec(config="gating", default="true", kind="str"),
        "per_head": SizeSpec(expr="gating == 'true' or gating == 'per-head'", kind="bool"),
    }
    for value, text, per_head in (
        (True, "true", True),
        (False, "false", False),
        ("per-head", "per-head", True),
        ("per-element", "per-element", False),
    ):
        assert bind_sizes(sizes, {"gating": value}) == {"gating": text, "per_head": per_head}
    assert bind_sizes(sizes, {}) == {"gating": "true", "per_head": True}
    with pytest.raises(ValueError, match="size 'gating': config.json 'gating' is 3, expected a string"):
        bind_sizes(sizes, {"gating": 3})


def test_a_symbol_only_a_fallback_reads_binds_lazily() -> None:
    """Llama's `default_head_dim: hidden_size // num_heads` is read only where config.json has no
    `head_dim`: a width that does not divide by the heads (GLM-4.5's 5120 and 96) is an error only
    where the fallback is taken, or an expression reads it; else the symbol binds to None."""
    sizes = {
        "hidden_size": SizeSpec(config="hidden_size"),
        "num_heads": SizeSpec(config="num_attention_heads"),
        "default_head_dim": SizeSpec(expr="hidden_size // num_heads"),
        "head_dim": SizeSpec(config="head_dim", fallback="default_head_dim"),
    }
    lazy = {"default_head_dim"}
    released = {"hidden_size": 5120, "num_attention_heads": 96, "head_dim": 128}
    assert bind_sizes(sizes, released, lazy=lazy) == {
        "hidden_size": 5120,
        "num_heads": 96,
        "default_head_dim": None,
        "head_dim": 128,
    }
    message = r"size 'default_head_dim': hidden_size \(5120\) is not divisible by num_heads \(96\)"
    with pytest.raises(ValueError, match=message):  # the fallback taken
        bind_sizes(sizes, {"hidden_size": 5120, "num_attention_heads": 96}, lazy=lazy)
    with pytest.raises(ValueError, match=message):  # not lazy: every symbol binds
        bind_sizes(sizes, released)
    reader = sizes | {"twice": SizeSpec(expr="2 * default_head_dim")}
    with pytest.raises(ValueError, match=message):  # an expression reads it
        bind_sizes(reader, released, lazy=lazy)
    assert bind_sizes(sizes, {"hidden_size": 5120, "num_attention_heads": 80}, lazy=lazy)["head_dim"] == 64
