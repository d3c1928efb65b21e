"""The spec language: pydantic models of the YAML files in ``specs/``.

Two kinds of file exist:

* an **architecture spec** (``specs/<name>.yaml``, :class:`ArchSpec`) says how
  the backbone is built, which heads it offers and how checkpoint keys are named;
* a **head spec** (``specs/heads/<name>.yaml``, :class:`HeadSpec`) says how a
  task head pools, which layers it has, what it outputs and which loss applies.
  Head specs are shared by every architecture.

Every field's description is the documentation: ``docs/spec-reference.md`` is
generated from this module (``archgen docs``) and checked for staleness.

Sizes are never written in a spec. A spec declares *symbols* under ``sizes``,
each bound from a config.json key (or computed from other symbols by an
expression); every width in the rest of the spec names a symbol.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

__all__ = [
    "SPEC_VERSION",
    "ArchSpec",
    "AttentionSpec",
    "BlockSpec",
    "BottleneckSpec",
    "Constraint",
    "DecoderSpec",
    "EmbeddingsSpec",
    "FFNSpec",
    "FFNVariant",
    "HeadBranch",
    "HeadLayer",
    "HeadOverride",
    "HeadSpec",
    "IgnoredKey",
    "NormSpec",
    "PoolerSpec",
    "PositionSpec",
    "ReferenceSpec",
    "RelativeBiasSpec",
    "SizeSpec",
    "Switch",
]

#: The version of the spec language this compiler reads. A spec with another
#: version is rejected with a pointer to the migration notes in the README.
SPEC_VERSION = 1

Activation = Literal["gelu", "gelu_tanh", "relu", "tanh", "silu", "relu2"]
NormKind = Literal["layer_norm", "rms_norm", "offset_rms_norm", "offset_layer_norm", "no_norm"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SizeSpec(_Strict):
    """A size symbol: one constructor argument of the generated model.

    Exactly one of ``config`` or ``expr`` is given."""

    config: str | None = Field(
        None,
        description="The config.json key this symbol is read from, e.g. `hidden_size`; `a.b` reads key "
        "`b` of the mapping under `a` (`rope_parameters.rope_theta`).",
    )
    default: int | float | bool | str | None = Field(
        None,
        description="The value used when config.json lacks the key. Without a default the key is required.",
    )
    fallback: str | None = Field(
        None,
        description="Another size symbol whose value is used when config.json lacks the key (before "
        "`default`), e.g. `num_decoder_layers` falls back to `num_layers`.",
    )
    first: bool = Field(
        False,
        description="config.json may hold a list at `config` (Llama 3's `eos_token_id`): the symbol is its "
        "first entry (an empty list reads as absent). Without it a list where a number is expected is refused.",
    )
    same: bool = Field(
        False,
        description="config.json may hold a list at `config` whose entries must all be equal (one per "
        "layer, Longformer's `attention_window`): the symbol is that value, and a list of differing "
        "entries is refused when the model is built, naming the symbol; a number there is read as it is.",
    )
    split: str | None = Field(
        None,
        description="For a `list` symbol: config.json may write the list as one string, its entries "
        'joined by this separator (DeBERTa\'s `pos_att_type: "p2c|c2p"`, `norm_rel_ebd: "layer_norm"`): '
        "the string is split at it, each entry stripped of spaces and lower-cased, as the reference reads it. "
        "A list is read as it is.",
    )
    chars: dict[str, str] | None = Field(
        None,
        description="For a `list` symbol: config.json may write the list as one string of one character "
        'per entry (Nemotron-H\'s `hybrid_override_pattern: "M-M*"`): each character reads as the entry '
        'this mapping gives it (`{M: linear_attention, "*": full_attention}`), a character it lacks '
        "refused by name. A list is read as it is.",
    )
    count_of: str | None = Field(
        None,
        description="Fallback: the symbol is the number of entries of this config.json mapping or list "
        "(e.g. `num_labels` from `id2label`; `a.b` reads key `b` of the mapping under `a`) when `config` is absent.",
    )
    expr: str | None = Field(
        None,
        description="An expression over other symbols: `+ - * / // **`, parentheses, comparisons, `and`/`or`/`not`, "
        "`A if COND else B`, `int(x)` (truncation), `sqrt(x)` and `log(x)` (natural), e.g. `hidden_size // num_heads` or "
        "`intra_bottleneck_size if use_bottleneck else hidden_size`. Evaluated when the config is bound; "
        "`//` must divide exactly.",
    )
    value: int | float | bool | str | None = Field(
        None,
        description="A constant (e.g. the 1e-5 epsilon a reference norm uses regardless of config.json).",
    )
    kind: Literal["int", "float", "bool", "str", "mapping", "list"] = Field(
        "int",
        description="The symbol's type. `bool` and `str` symbols are structural switches read from "
        "config.json; knobs name them with `{switch: symbol}`. A `str` symbol reads a JSON `true` or "
        "`false` as the string `'true'` or `'false'` (a config key that holds a flag or a name: Laguna's "
        "`gating`). A `mapping` or `list` symbol is a "
        "config.json mapping or list read whole (an empty one when the key is absent); it needs `config` "
        "(a `fallback` to another symbol of its kind may follow), no expression reads it, and only "
        "`position.scaling.params` (a mapping), `attention.window_layers.types`, "
        "`position.rotary_layers.types`, `position.scaling.layer_types`, `ffn.experts.layers.skip`, `ffn.experts.layers.only`, `ffn.experts.layers.types`, `ffn.glu_limits`, `attention.heads_per_layer`, `attention.type_sizes.types` and `attention.state_space.time_step_limit` (lists) name one; `count_of` "
        "counts a list's entries as a number. An expression reads a list only on the right of `in` or "
        "`not in` (`'c2p' in pos_att_type`).",
    )


class Switch(_Strict):
    """A structural choice read from config.json at construction time.

    The generated module holds every variant and picks modules in `__init__`;
    `forward` stays straight-line. Weights the reference keeps but a variant
    never applies live in an `unused_*` module that is never called."""

    switch: str = Field(description="A `bool` size symbol (for a `str` symbol, also give `cases`).")
    cases: dict[str, str] | None = Field(
        None, description="For a `str` symbol: config value -> knob value (e.g. `no_norm: no_norm`)."
    )
    unused: bool = Field(
        True,
        description="What a checkpoint holds when the switch is off. `true`: the weights are still "
        "there, and live in an `unused_*` module (MobileBERT's `embedding_transformation`). `false`: "
        "there are none (ELECTRA's `embeddings_project` exists only when the widths differ). Only "
        "`embeddings.transform` may say `false`.",
    )


class Constraint(_Strict):
    """A rule a checkpoint's config.json must satisfy, checked when the config is bound."""

    expr: str = Field(
        description="A boolean expression over size symbols, e.g. `embedding_size <= hidden_size`."
    )
    message: str = Field(
        description="What is wrong when the rule fails; names the config.json keys involved."
    )


class NormSpec(_Strict):
    """The normalisation used everywhere the backbone says `norm`."""

    kind: NormKind | Switch = Field(
        description="`layer_norm`: mean/variance with weight and bias. `rms_norm`: no mean, no bias, "
        "variance in fp32 then cast back (T5). `offset_rms_norm`: as `rms_norm`, scaled by `1 + weight` "
        "and all in fp32 before the cast back (Gemma). `offset_layer_norm`: as `layer_norm`, scaled by "
        "`1 + weight` (Nemotron's LayerNorm1P). `no_norm`: `x * weight + bias` (MobileBERT). Or a switch "
        "over a `str` symbol whose cases name these kinds (`{switch: normalization_type, cases: ...}`; a "
        "`str` expression can derive one, Cohere 2 MoE's `'rms' if rms_norm_eps > 0 else 'layer'`). The "
        "cases must hold the same tensors (with `bias: false`, `layer_norm` and `rms_norm` a weight each)."
    )
    eps: str | None = Field(
        None, description="The size symbol holding epsilon (required for all kinds but no_norm)."
    )
    bias: bool = Field(
        True,
        description="For `kind: layer_norm`: the norm has a bias; `false`: a weight only (Cohere's "
        "LayerNorm). With a kind switch, its `layer_norm` case (Cohere 2 MoE's bias-free LayerNorm or "
        "RMSNorm, both a weight only). A head's `norm` layer of the backbone's kind follows it.",
    )
    affine: bool = Field(
        True,
        description="For `kind: layer_norm` or `rms_norm`: the norm has a weight (and a bias, as `bias` "
        "says); `false`: no parameters at all, statistics only (OLMo's LayerNorm, with `bias: false`; "
        "NanoChat's RMSNorm). Its slots then read no checkpoint keys. A head's `norm` layer of the "
        "backbone's kind follows it.",
    )
    bias_free: list[Literal["final_norm", "attn.q_norm", "attn.k_norm"]] = Field(
        [],
        description="Norm slots that have a weight and no bias where the others have both (ESM C: its "
        "final norm and its query and key norms are bias-free LayerNorms, its layer norms not). With "
        "`kind: layer_norm` and `bias: true`.",
    )


RopeScalingType = Literal["linear", "llama3", "yarn", "longrope", "ntk_alpha", "proportional"]


class LongRopeSpec(_Strict):
    """How a `longrope` law reads its parameters, where a reference departs from Phi-3's."""

    factors: Literal["by_length", "short"] = Field(
        "by_length",
        description="`by_length`: a call whose largest position id reaches `original` rotates by the "
        "`long_factor` frequencies, another by the `short_factor` ones (Phi-3). `short`: every call "
        "rotates by the short ones (PhiMoE's reference computes its frequencies without the call's "
        "length; `long_factor` must still be there, one per pair).",
    )
    scale: Literal["attention_factor", "mscale"] = Field(
        "attention_factor",
        description="What cos and sin are scaled by. `attention_factor`: the mapping's `attention_factor`, "
        "else `sqrt(1 + log(factor) / log(original))` (Phi-3). `mscale`: the mapping's `short_mscale`, or "
        "its `long_mscale` for a call whose largest position id reaches `original` (PhiMoE; both keys "
        "required).",
    )


class RopeScalingSpec(_Strict):
    """RoPE scaling: how a checkpoint's config.json stretches rotary positions past the
    length it was pretrained at. Which law applies is the checkpoint's choice (its
    `rope_type`), not the architecture's: the spec names the mapping that holds it and the
    laws it builds, and the generated `Rotary` computes each law's frequencies as
    `transformers` does. `rope_type: default` (or no mapping) leaves RoPE as it is."""

    params: str = Field(
        description="A `mapping` size symbol holding the RoPE parameters, in the layout `transformers` "
        "writes (`rope_parameters`; older config.json files say `rope_scaling`, which a fallback symbol "
        "reads): `rope_type` (or `type`) and its fields. `linear`: `factor` (each frequency divided by "
        "it). `llama3`: `factor`, `low_freq_factor`, `high_freq_factor`, `original_max_position_embeddings` "
        "(long wavelengths divided by `factor`, short ones kept, a smooth blend between). `yarn`: "
        "`factor` (default `size / original`), `original_max_position_embeddings`, optional `beta_fast` "
        "(32), `beta_slow` (1), `truncate` (true), `attention_factor`, `mscale`, `mscale_all_dim` "
        "(interpolated and extrapolated frequencies blended by a linear ramp; cos and sin scaled by the "
        "attention factor). `longrope`: `short_factor` and `long_factor` (one per rotated feature pair), "
        "`original_max_position_embeddings`, optional `factor` and `attention_factor`; a call whose "
        "largest position id reaches `original` uses the long factors, otherwise the short ones, for "
        "the whole call (as the reference decides per batch; `run_batch` packs several sequences into one call, "
        "so there too). `ntk_alpha` (built only where `types` lists it): `alpha` (theta stretched to "
        "`theta * alpha ** (dim / (dim - 2))`, fixed frequencies; HunYuan's checkpoints label it `dynamic`, "
        "an alias). `proportional` (built only where `types` lists it): optional `partial_rotary_factor` (1) and "
        "`factor` (1): the first `int(partial_rotary_factor * head_dim // 2)` pairs turn at "
        "`theta ** (-2i / head_dim) / factor`, the others not at all (their features pass unrotated, though "
        "paired over the whole head as RoPE's halves; Gemma 4's and LFM3's full-attention layers). A mapping of one set of parameters per layer type (Gemma 3's) needs `layer_types`; "
        "another `rope_type` (e.g. `dynamic`, whose frequencies depend on the longest sequence seen so far) "
        "is refused when the model is built."
    )
    layer_types: str | None = Field(
        None,
        description="A `list` size symbol with each layer's type (`layer_types`): `params` then holds one set "
        "of parameters per type (Gemma 3's `rope_parameters`: `full_attention` and `sliding_attention`), "
        "each with its own law and `rope_theta` (the position `theta` symbol where it has none), and each "
        "layer rotates by its type's. Without the list, where `attention.window_layers` reads the same "
        "list and has a `period` (or `windowed_from`), the types follow it: a windowed layer's type is "
        "`window_layers.windowed`, another's `window_layers.full` (Gemma 3's and ModernBERT's older "
        "config.json files). A config.json without the list otherwise, or without parameters for a type "
        "it names (and no `type_theta` for it), is refused when the model is built.",
    )
    type_theta: dict[str, str] = Field(
        {},
        description="With `layer_types`: layer type -> float size symbol, the type's theta where `params` "
        "has no parameters for it; that type then rotates by plain RoPE at this theta (ModernBERT's "
        "`global_rope_theta` and `local_rope_theta`, which config.json files written before "
        "`rope_parameters` hold).",
    )
    types: list[RopeScalingType] = Field(
        ["linear", "llama3", "yarn", "longrope"],
        min_length=1,
        description="The laws the generated module builds (only these appear in it); a checkpoint "
        "whose `rope_type` is another is refused, naming these.",
    )
    aliases: dict[str, RopeScalingType] = Field(
        {},
        description="Other `rope_type` values config.json may hold, each read as one of `types` (Phi-3: "
        "`{su: longrope, yarn: longrope}`, older names of its LongRoPE).",
    )
    longrope: LongRopeSpec = Field(
        default_factory=LongRopeSpec,
        description="For `longrope`: which frequencies a call rotates by and what scales cos and sin "
        "(see LongRopeSpec); the default is Phi-3's LongRoPE.",
    )
    partial_factor: bool = Field(
        False,
        description="Each set of parameters' `partial_rotary_factor` (1 where it has none) sets how many of "
        "each head's features rotate, as `transformers`' RoPE functions read it: the first "
        "`int(head_dim * partial_rotary_factor)`, in pairs `(i, i + r/2)` at `theta ** (-2i / r)`, the "
        "rest unrotated; one count per layer type where `params` holds a set per type (Laguna's full "
        "layers rotate half of each head, its sliding ones all of it). The `proportional` law reads the "
        "factor its own way (its pairs that turn) and rotates the whole head. Not with `rotary_dim`.",
    )
    original_max: str | None = Field(
        None,
        description="A size symbol holding the pretraining length `original`, over the mapping's "
        "`original_max_position_embeddings` (Phi-3 keeps it at the top level of config.json). "
        "Unnamed: the mapping's key, else the position `size`.",
    )


class RotaryLayersSpec(_Strict):
    """Which layers rotate their queries and keys, read from config.json per layer; the others
    have no positions at all (NoPE layers: SmolLM3 every fourth layer, Cohere 2 its full-attention ones)."""

    types: str = Field(
        description="A `list` size symbol with one entry per layer (SmolLM3's `no_rope_layers`, Cohere 2's "
        "`layer_types`): layer i has rotary positions when entry i equals `roped`."
    )
    roped: int | str = Field(
        description="The entry that marks a layer with rotary positions (SmolLM3: `1`; Cohere 2: "
        "`sliding_attention`)."
    )
    period: str | None = Field(
        None,
        description="An int size symbol `p` for config.json files without the list: then layer i has "
        "rotary positions unless `(i + 1) % p == 0` (SmolLM3's `no_rope_layer_interval`, Cohere 2's "
        "`sliding_window_pattern`). Without it such a file is refused.",
    )
    all_when: str | None = Field(
        None,
        description="A `bool` size symbol: when it is true, every layer has rotary positions, whatever the "
        "list says (EXAONE 4.0 rotates every layer when config.json has no `sliding_window`).",
    )
    dense_when: str | None = Field(
        None,
        description="A `bool` size symbol: when it is true, the layers with the dense FFN "
        "(`ffn.experts.layers`) have rotary positions too, whatever the list says (Cohere 2 MoE rotates "
        "its dense prefix layers, which attend to every key, when `prefix_dense_sliding_window_pattern` "
        "is 1). Needs `ffn.experts.layers`.",
    )


class QueryScaleSpec(_Strict):
    """Queries scaled by their position, so attention sharpens on long inputs; keys are not scaled.
    The query of the token at position p is multiplied by a factor of `q = p + offset`:
    `law: log` (Ministral 3's), `1 + beta * log(1 + floor(q / period))`: 1 within the first `period`
    positions, growing by `beta * log 2` at the next; `law: power` (Beam's scalable softmax),
    `(1 + q / period) ** beta`, computed as `exp(beta * log1p(q / period))` in fp32. `layers` says
    which layers' queries: those with rotary positions (after rotation) or those without
    (`rotary_layers`' NoPE layers, after the query norm; multiplied in fp32 and cast back)."""

    beta: str = Field(
        description="A float size symbol: the growth `beta` (Ministral 3's `llama_4_scaling_beta`; Beam's "
        "power, 0.1, a `value` symbol)."
    )
    period: str = Field(
        description="An int size symbol: the positions per step (Ministral 3's `original_max_position_embeddings`; "
        "Beam's 2048, a `value` symbol)."
    )
    law: Literal["log", "power"] = Field(
        "log", description="The factor's law of `q = p + offset`: `log` or `power`, as the section says."
    )
    offset: int = Field(
        0, ge=0, description="Added to each position before the law (Beam counts positions from 1: `1`)."
    )
    layers: Literal["rotated", "unrotated"] = Field(
        "rotated",
        description="`rotated`: the layers with rotary positions, their rotated queries (Ministral 3). "
        "`unrotated`: the layers `rotary_layers` leaves without positions (Beam's full-attention layers); "
        "needs `rotary_layers`, not with per-type or per-layer RoPE parameters.",
    )


class PositionSpec(_Strict):
    """How token positions enter the model."""

    kind: Literal["none", "learned", "sinusoidal", "rotary", "alibi"] = Field(
        description="`learned`: an absolute position table added to the embeddings. `sinusoidal`: as "
        "`learned`, but the table is computed, not read (fairseq's, XGLM's): row r is `sin(r * w_i)` for "
        "the `width // 2` frequencies `w_i = exp(-i * ln(10000) / (width // 2 - 1))`, then their cos, "
        "and a zero column for an odd width; with `padding_row`, row `pad_token_id` is zero. Position p "
        "reads row `p + offset`; the table's length is `size`, past which a call is refused, as a learned "
        "table's (the reference computes any length). `rotary`: no table; "
        "every self-attention rotates each head's query and key feature pairs `(i, i + head_dim/2)` by "
        "`position * theta ** (-2i / head_dim)` (RoPE, as Llama). `alibi`: no table and no length limit; "
        "every self-attention adds `slope_h * p` to head h's score of a key at position p, p counting "
        "the key's sequence's tokens from 0 as the attention mask keeps them (`cumsum(mask) - 1`). With n "
        "heads and m the largest power of two at most n, the slopes are `(2 ** (-8 / m)) ** k` for "
        "k = 1..m, then `(2 ** (-4 / m)) ** k` for odd k = 1, 3, ... for the other n - m heads (ALiBi, "
        "as BLOOM). Adding `slope * p` instead of `-slope * (query - key)` differs by a constant per "
        "query, which softmax ignores; it is what the reference computes. Plain layers only (no "
        "bottleneck, `decoder` section or cross-attention), as for `rotary`. `none`: no position table "
        "(relative schemes live in attention)."
    )
    sinusoid: Literal["fairseq", "transformer"] = Field(
        "fairseq",
        description="For `sinusoidal`: which computed table. `fairseq`: as `kind` says (fairseq's, XGLM's and "
        "M2M100's, in fp32). `transformer`: the original Transformer's frequencies "
        "`w_k = 10000 ** (-2k / width)`; row r is `sin(r * w_k)` for the `ceil(width / 2)` first, then "
        "`cos(r * w_k)` for the `width // 2` first, computed in float64 and rounded once (Marian's and "
        "Pegasus's); no padding row, whatever `padding_row` says of the word table.",
    )
    ids: Literal["sequential", "padding_offset"] = Field(
        "sequential",
        description="`sequential`: ids 0..n-1 (BERT). `padding_offset`: padding-aware ids "
        "`cumsum(non_pad) * non_pad + pad_token_id`, so real tokens start at `pad_token_id + 1` and "
        "padding keeps the padding row (RoBERTa/fairseq).",
    )
    offset: int = Field(
        0,
        description="For `learned` or `sinusoidal` positions with `sequential` ids: table rows before "
        "position 0; position p reads row `p + offset` (BioGPT's and XGLM's 2). Position ids a caller "
        "passes are positions, not rows.",
    )
    size: str = Field(
        "max_positions",
        description="The size symbol holding the number of table rows (for `rotary`: the longest sequence).",
    )
    when: str | None = Field(
        None,
        description="For `learned` positions: a `bool` size symbol; the table exists, is added and bounds "
        "a call's length only when it is true (DeBERTa-v2's `position_biased_input`, beside its relative "
        "terms). Default: always.",
    )
    theta: str = Field("rope_theta", description="For `rotary`: the size symbol holding the base `theta`.")
    alibi_positions: Literal["kept_tokens", "slots"] = Field(
        "kept_tokens",
        description="For `alibi`: how a key's position counts. `kept_tokens`: the tokens the attention "
        "mask keeps before it (`cumsum(mask) - 1`, BLOOM). `slots`: its slot in the row or cache, padding "
        "included (MPT). The two differ only where a mask has holes: ALiBi is shift-invariant, so "
        "left padding alone changes nothing.",
    )
    rotary_pairs: Literal["halves", "adjacent"] | Switch = Field(
        "halves",
        description="For `rotary`: which features turn together. `halves`: `(i, i + r/2)` of the `r` rotated "
        "features (Llama, GPT-NeoX). `adjacent`: `(2i, 2i + 1)` (GPT-J, CodeGen). Pair `i` turns at "
        "`position * theta ** (-2i / r)` either way. Under `attention.latent`, also a switch over a "
        "`bool` symbol, `adjacent` when it is true (DeepSeek's `rope_interleave`).",
    )
    theta_layers: str | None = Field(
        None,
        description="For `rotary`: a `list` size symbol holding each layer's RoPE theta (GraniteSWA's "
        "`layer_rope_theta`); a layer whose theta is 0 has no positions. Each distinct theta rotates by "
        "the model's scaling law and parameters. A config.json without the list rotates every layer at "
        "`theta`. Not with `rotary_layers` or `scaling.layer_types`.",
    )
    rotary_direction: Literal["forward", "reversed"] = Field(
        "forward",
        description="For `rotary`: which way each pair `(a, b)` turns by its angle `x`. `forward`: to "
        "`(a cos x - b sin x, b cos x + a sin x)` (Llama). `reversed`: by `-x`, to "
        "`(a cos x + b sin x, b cos x - a sin x)` (NanoChat's `rotate_half`, `cat(x2, -x1)`).",
    )
    scaling: RopeScalingSpec | None = Field(
        None,
        description="For `rotary`: RoPE scaling laws a checkpoint may choose (see RopeScalingSpec). "
        "Default: none, RoPE as written.",
    )
    rotary_layers: RotaryLayersSpec | None = Field(
        None,
        description="For `rotary`: the layers that have rotary positions, the others none (see "
        "RotaryLayersSpec). Default: every layer.",
    )
    rotary_dim: str | None = Field(
        None,
        description="For `rotary`: the size symbol holding how many of each head's features rotate (an "
        "even number, at most `head_dim`): the first `rotary_dim`, in pairs `(i, i + rotary_dim/2)` at "
        "angles `position * theta ** (-2i / rotary_dim)`; the rest pass unrotated (partial rotary: Phi's "
        "`partial_rotary_factor`, GPT-NeoX's `rotary_pct`). Default: all of them.",
    )
    query_scale: QueryScaleSpec | None = Field(
        None,
        description="For `rotary`: queries scaled by their position as well (see QueryScaleSpec), in the "
        "layers with rotary positions or in those without (`layers`). Default: none.",
    )


class EmbeddingsSpec(_Strict):
    """The input embedding stage."""

    width: str = Field(
        "hidden_size", description="Size symbol of the embedding width (residual stream width)."
    )
    input_width: str | None = Field(
        None,
        description="Size symbol of the word table's width when it differs from `width` (MobileBERT's "
        "`embedding_size`); a `transform` then maps it to `width`. Default: `width`.",
    )
    trigram: bool | Switch = Field(
        False,
        description="Concatenate the next, current and previous token's word embeddings (zero past the ends of the "
        "row, or of each sequence where a (b, t, s) mask packs several in a row) "
        "before the transform: input width becomes 3 * `input_width`.",
    )
    transform: bool | Switch = Field(
        False,
        description="A linear map from `input_width` (3 * it with `trigram`) to `width`. A switch that is "
        "off keeps the weights, unused, as the reference does (unless it says `unused: false`).",
    )
    transform_bias: bool = Field(
        True, description="The `transform` projection has a bias (OPT-350m's `project_in` has none)."
    )
    transform_at: Literal["words", "sum"] = Field(
        "words",
        description="Where `transform` applies. `words`: to the (trigram) word vectors, before token "
        "types and positions (`width` wide) are added (MobileBERT). `sum`: token-type and position "
        "tables are `input_width` wide too, the sum is normed at `input_width`, and the transform maps "
        "the result to `width` (ELECTRA, ALBERT); not with `trigram`.",
    )
    norm_eps: str | None = Field(
        None, description="Size symbol of this norm's epsilon, if not the backbone's."
    )
    token_type: bool | Switch = Field(
        True,
        description="Add a token-type (segment) embedding table. A switch: only when config.json says so "
        "(GTE's table exists where `type_vocab_size` is not 0); without it the model takes token type "
        "ids of 0 alone and ignores them, as such a reference does.",
    )
    token_type_size: str = Field("type_vocab_size", description="Size symbol of the token-type table rows.")
    position: PositionSpec = Field(description="The position scheme.")
    norm: bool | Switch = Field(
        True,
        description="Normalise the summed embeddings with the backbone's norm; a switch too (TrOCR's "
        "`layernorm_embedding`: without it, no norm and no key).",
    )
    norm_at: Literal["sum", "words"] = Field(
        "sum",
        description="Where the embedding norm applies: `sum`, to the summed embeddings; `words`, to the "
        "word embeddings alone, before token types and positions are added (BlenderbotSmall's decoder; "
        "`decoder.norm_at` says so for a decoder's own embeddings alone).",
    )
    scale: Literal["none", "sqrt_width"] = Field(
        "none",
        description="`sqrt_width`: the word embeddings are multiplied by `sqrt(width)`, rounded to the "
        "activations' dtype first (Gemma).",
    )
    multiplier: str | None = Field(
        None,
        description="A float size symbol the word embeddings are multiplied by (Granite's "
        "`embedding_multiplier`); not with `scale: sqrt_width`.",
    )
    token_dropout: TokenDropoutSpec | None = Field(
        None, description="Token dropout's inference-time scaling of the word embeddings (ESM); see below."
    )
    zero_padding: bool = Field(
        False,
        description="The embeddings of padding (slots the attention mask drops) enter the layers as zeros "
        "(ESM multiplies them by the mask); outputs at padding then match the reference's too. For "
        "bidirectional stacks: no causal head, no `decoder` section.",
    )
    padding_row: bool = Field(
        True,
        description="The word (and learned position) table reserves `pad_token_id` as its padding row; "
        "documentary for inference, recorded in the generated module, except in a `sinusoidal` table, "
        "whose row `pad_token_id` is zero.",
    )


class TokenDropoutSpec(_Strict):
    """Token dropout's inference-time scaling (ESM's `token_dropout`). Trained with a share `ratio` of
    tokens replaced by the mask token, the model embeds every mask token as zeros and scales each
    sequence's word embeddings by `(1 - ratio) / (1 - m)`, m the sequence's share of mask tokens
    (mask tokens over the tokens its attention mask keeps), before positions are added."""

    token: str = Field(description="The int size symbol of the mask token's id (`mask_token_id`).")
    ratio: float = Field(description="The share of tokens masked in training (ESM: 0.15 * 0.8 = 0.12).")
    when: str | None = Field(
        None, description="A bool size symbol (config.json `token_dropout`); without it, always."
    )


class RelativeBiasSpec(_Strict):
    """A bucketed relative position bias added to the self-attention scores (T5), after their
    scaling (`attention.scale`: none for T5, 1/sqrt(head_dim) for MPNet), alone or beside
    learned absolute positions (MPNet).

    The relative position of a key to a query (key slot - query slot) falls in
    a bucket: in a bidirectional stack half the buckets are for each direction,
    in a causal stack all are for the past. Half of a direction's buckets are
    exact offsets, the rest log-spaced up to `max_distance`, computed exactly
    as the reference does (`log`, then integer truncation). The bucket of every
    relative position in [-max_distance, max_distance] is precomputed as a
    non-persistent buffer; farther positions share the outermost bucket. Each
    bucket has a learned bias per head."""

    num_buckets: str = Field("num_buckets", description="Size symbol of the number of buckets.")
    max_distance: str = Field(
        "max_distance", description="Size symbol of the distance at which the log-spaced buckets end."
    )
    per_layer: bool = Field(
        True,
        description="`true`: every layer's self-attention has its own bias table (UMT5). `false`: only "
        "layer 0 has a table, and its bias is shared by every layer of the stack (T5, mT5).",
    )
    key_at: Literal["layer", "backbone"] = Field(
        "layer",
        description="Where the checkpoint key of a shared table (`per_layer: false`) sits. `layer`: in "
        "layer 0, `keys.attn.relative_bias` relative to the layer prefix with `{i}` = 0 (T5's "
        "`encoder.block.0.layer.0.SelfAttention.relative_attention_bias`). `backbone`: beside the layers, "
        "relative to `base_prefix` as the `embeddings.*` keys are (MPNet's "
        "`encoder.relative_attention_bias`); not with a `decoder` section, whose stack would read the same key.",
    )


class DisentangledSpec(_Strict):
    """DeBERTa-v2's disentangled attention: beside the content scores `q_i . k_j`, each pair of
    query i and key j adds a content-to-position term `q_i . Pk[r]` (`c2p`) and a
    position-to-content term `k_j . Pq[r]` (`p2c`), where `r` is the row of their relative
    position `i - j` in a table of `2 * span` learned position embeddings shared by every layer
    (slot `rel_table`, normed by `rel_table_norm` where `table_norm` says), projected to each
    layer's keys `Pk` and queries `Pq` by the layer's own `attn.pos_k` and `attn.pos_q`, or by
    its key and query projections (`shared_projections`). The row of a relative position `d` is
    `clamp(bucket(d) + span, 0, 2 * span - 1)`: `bucket(d) = d` where `buckets` is unnamed or
    not positive; otherwise distances within `buckets / 2` are exact and farther ones
    log-spaced up to `max_distance`, computed as the reference does (`make_log_bucket_position`).
    All three terms are scaled together by `attention.scale` (DeBERTa's
    `1 / sqrt(head_dim * (1 + c2p + p2c))`, a size expression). Relative positions count slots,
    so they hold inside packed rows. Bidirectional self-attention only (no causal head, no
    `decoder`), multi-head (no `num_kv_heads`, `latent`, `relative_bias`, `softcap`, `sinks`),
    without rotary positions."""

    span: str = Field(
        description="An int size symbol: half the table's rows (DeBERTa: `position_buckets` where "
        "positive, else `max_relative_positions`, itself `max_position_embeddings` where below 1)."
    )
    buckets: str | None = Field(
        None,
        description="An int size symbol: the bucket count of log-spaced relative positions "
        "(`position_buckets`); 0 or below: exact distances. Unnamed: exact distances.",
    )
    max_distance: str | None = Field(
        None, description="With `buckets`: an int size symbol, the distance the log-spaced buckets reach."
    )
    c2p: bool | Switch = Field(
        True, description="Add the content-to-position term (`'c2p' in pos_att_type`); a switch too."
    )
    p2c: bool | Switch = Field(
        True, description="Add the position-to-content term (`'p2c' in pos_att_type`); a switch too."
    )
    shared_projections: bool | Switch = Field(
        False,
        description="Project the table by the layer's own key and query projections, biases included, "
        "in place of `attn.pos_k` and `attn.pos_q` (`share_att_key`); a switch too.",
    )
    table_norm: bool | Switch = Field(
        False,
        description="Norm the table with a norm of the model's kind (slot `rel_table_norm`) before any "
        "layer projects it (`norm_rel_ebd: layer_norm`); a switch too.",
    )
    key_bias: bool = Field(
        True,
        description="`attn.pos_k` has a bias (DeBERTa-v2's `pos_key_proj`; DeBERTa's `pos_proj` has none).",
    )
    query_bias: bool = Field(True, description="`attn.pos_q` has a bias (both DeBERTas' do).")


class LatentSpec(_Strict):
    """Multi-head latent attention (DeepSeek-V2/V3's MLA): keys and values come from a narrow latent.

    Each token's input goes through `attn.kv_a` to `kv_rank + r` features (`r` the rotated
    features, `position.rotary_dim`, or `shared_dim` unrotated without positions): the first `kv_rank`
    are the latent, normed by `attn.kv_a_norm`
    and widened by `attn.kv_b` to each head's unrotated key features (`head_dim - r`) followed by
    its `value_dim` value features; the last `r` are one rotated key part that every head shares.
    Each head's query (`attn.q`, or the low-rank `attn.q_a` -> `attn.q_a_norm` -> `attn.q_b`) has
    `head_dim` features: the unrotated ones, then the `r` rotated ones. Rotary positions turn the
    rotated parts only, in the pairs `position.rotary_pairs` says (a switch there too). Scores
    are scaled by `attention.scale` (1/sqrt(head_dim) by default); the heads' `value_dim`-wide
    outputs are joined and projected by `attn.o`. `attention.bias` applies to `attn.q_a`,
    `attn.kv_a` and `attn.o` (DeepSeek's `attention_bias`); `attn.q`, `attn.q_b` and `attn.kv_b`
    never have one. The KV cache holds the widened keys and values."""

    kv_rank: str = Field(description="An int size symbol: the latent's width (`kv_lora_rank`).")
    value_dim: str = Field(description="An int size symbol: each head's value features (`v_head_dim`).")
    q_rank: str | None = Field(
        None,
        description="An int size symbol: the width of a low-rank query path, `attn.q_a` (input -> "
        "`q_rank`), `attn.q_a_norm`, then `attn.q_b` (-> `num_heads * head_dim`), in place of one "
        "projection `attn.q` (`q_lora_rank`). Default: one projection.",
    )
    q_rank_when: str | None = Field(
        None,
        description="With `q_rank`: a `bool` size symbol; the queries take the low-rank path only when "
        "it is true, and one projection `attn.q` otherwise (DeepSeek-V2-Lite's `q_lora_rank: null`, as "
        "`q_lora_rank > 0`). Default: always the low-rank path.",
    )
    shared_dim: str | None = Field(
        None,
        description="An int size symbol: the width of the key part every head shares, for latent attention "
        "without positions (position `kind: none`; Kimi Linear's NoPE layers keep DeepSeek's "
        "`qk_rope_head_dim`-wide shared part, unrotated). With rotary positions it is `position.rotary_dim`.",
    )
    q_b_input: Literal["normed", "normed_and_raw"] = Field(
        "normed",
        description="With `q_rank`: what `attn.q_b` reads. `normed`: the normed low-rank queries. "
        "`normed_and_raw`: those, then the low-rank queries before their norm, `2 * q_rank` features "
        "(A.X-K2's `q_gate_proj` over `cat(q_a_layernorm(q), q)`).",
    )
    norm_eps: str | None = Field(
        None,
        description="A float size symbol: the epsilon of `attn.kv_a_norm` and `attn.q_a_norm` (DeepSeek's "
        "are its RMSNorm's default 1e-6, whatever `rms_norm_eps` says). Default: the backbone's.",
    )


class StateSpaceLayersSpec(_Strict):
    """Which layers mix by state-space, the others attending as `attention` describes (hybrid
    stacks: Bamba, GraniteMoeHybrid, Jamba), read from config.json. One of `types`, `attention_at`
    and `attention_period`, or `types` with `attention_at` for config.json files without the list."""

    types: str | None = Field(
        None,
        description="A `list` size symbol with one entry per layer (`layer_types`): layer i mixes by "
        "state-space when entry i is `marked`, and attends otherwise.",
    )
    marked: list[str] = Field(
        ["linear_attention", "mamba"],
        description="The `types` entries of a state-space layer (`transformers` 5 writes "
        "`linear_attention`, older config.json files `mamba`).",
    )
    attention_at: str | None = Field(
        None,
        description="A `list` size symbol of the layer indices that attend (Bamba's "
        "`attn_layer_indices`); every other layer mixes by state-space. Beside `types`: where config.json "
        "has no `types` list (an empty one), this list decides (Kimi Linear's released config.json files "
        "list `linear_attn_config.full_attn_layers`; `transformers` writes `layer_types`).",
    )
    counted_from: int = Field(
        0,
        description="With `attention_at`: the index its list gives the first layer (Kimi Linear's "
        "`full_attn_layers` count from 1).",
        ge=0,
    )
    attention_period: str | None = Field(
        None,
        description="An int size symbol `p`: layer i attends when `i % p == attention_offset`, the others "
        "mix by state-space (Jamba's `attn_layer_period`).",
    )
    attention_offset: str | None = Field(
        None,
        description="With `attention_period`: an int size symbol, the attending layers' index modulo the "
        "period (Jamba's `attn_layer_offset`). Default: 0.",
    )


class StateSpaceSpec(_Strict):
    """State-space mixing in place of attention: Mamba-2's (SSD, `form: ssd`, described first),
    Mamba-1's selective scan (`form: selective`) or a gated short convolution (`form: gated_conv`),
    both below. Each form reads some of the knobs below and refuses the others.

    Each token's input goes through `ssm.in_proj` to `num_heads * head_dim` gate features `z`,
    then the convolution's `num_heads * head_dim + 2 * groups * state_size` inputs (the values
    `x`, then `B`, then `C`), then one time step per head `dt`. The convolution inputs pass a
    causal depthwise convolution over the slots (`ssm.conv`, `conv_kernel` wide) and
    `activation`; then, per head `h` (its `B` and `C` those of its group, the heads falling in
    `groups` equal groups in order), with `dt = softplus(dt + dt_bias)` clamped to
    `time_step_limit` and `a = dt * -exp(A_log)`, `y_t = sum_{s <= t} (C_t . B_s) exp(a_{s+1} + ...
    + a_t) dt_s x_s + D x_t`: a state of `head_dim x state_size` per head that decays by
    `exp(a_t)` and takes in `dt_t B_t x_t` at each token, read out by `C_t` (the slots
    `ssm.dt_bias`, `ssm.A_log` and `ssm.D`, bare `(num_heads,)` tensors whose keys are named
    whole). `y * silu(z)` is normed (an RMSNorm over each group's `num_heads * head_dim / groups`
    features, slot `ssm.norm`) and projected back by `ssm.o`. The `ssm.*` slots are the
    layer's mixing sublayer, `attn` in the generated module (normed before by `attn_norm`); with
    `layers`, the other layers attend through the `attn.*` slots.

    archgen reads the attention mask: a token reads only the slots of its own sequence, in its
    convolution window too (slots outside it read as zeros, as for a sequence alone), so padding
    leaves real tokens' outputs alone and `run_batch` packs rows. A call without a cache scans
    in chunks of 64 slots, as the reference's chunked scan (the mask's sequence boundaries
    carried as counts of sequence starts), linear in the length; compiled artifacts and
    generation's steps sum over the slots directly (the quadratic, attention-like form; a
    step reads its cache of each slot's convolution inputs, convolved features and time steps,
    written at the step's slots as a KV cache). The reference's decode steps run a recurrence:
    all equal up to rounding. `python bench/state_space.py` measures the chunked scan against
    the reference (bench/RESULTS.md).

    `form: selective` (Mamba-1, Falcon-Mamba, Jamba's Mamba layers): `ssm.in_proj` gives each token
    `inner` values `x`, then `inner` gate features `z`. `x` passes the causal depthwise convolution
    and `activation` as above; `ssm.x_proj` (no bias) takes the convolved `x` to a low-rank time step
    (`time_step_rank` features), then `B`, then `C` (`state_size` each), which `selection_norm` may
    norm; `ssm.dt_proj` (with its bias) widens the time step to one per channel, `dt =
    softplus(dt_proj(.))`. Each of the `inner` channels `c` keeps a state of `state_size` entries
    `n`, decaying at its own rate `A[c, n] = -exp(A_log[c, n])` (`ssm.A_log` is `(inner,
    state_size)`): `h_t = exp(dt_t A) h_{t-1} + dt_t B_t x_t`, `y_t = h_t . C_t + D x_t` (`ssm.D`,
    `(inner,)`), then `y * silu(z)` through `ssm.o`; no gated norm. The state restarts at each
    sequence's first slot, so packed rows stay exact. archgen runs the recurrence as a loop over
    the call's slots, as the reference does (`python bench/state_space.py --form selective`:
    faster than the reference, with less memory); where the length is symbolic (compiled
    artifacts, made for calls of any length) it cannot loop, and scans by recursive doubling
    instead, a fixed 20 steps, enough for 2^20 slots (longer calls are refused there).
    Generation keeps each layer's state and convolution inputs (StateCache) and steps it one
    slot at a time, as the reference's decode. It reads `state_size`, `conv_kernel`, `conv_bias`,
    `activation` (and its config key), `bias`, `inner`, `time_step_rank`, `selection_norm` (and its
    epsilon) and `layers`.

    `form: gated_conv` (LFM2's short convolutions): `ssm.in_proj` gives each token `B`, then `C`,
    then `x`, each as wide as the model; `B * x` passes the causal depthwise convolution (`ssm.conv`,
    `conv_kernel` wide, no activation), which `C` gates, and `ssm.o` projects back. No state beyond
    the convolution's window: generation caches each slot's `B * x` as a KV cache. It reads
    `conv_kernel`, `conv_bias`, `bias` and `layers`.

    `form: gated_delta` (Gated DeltaNet's linear attention: Qwen3-Next's, Qwen3.5's): each token's
    queries and keys (`key_heads` heads of `key_head_dim`, slots `ssm.q`, `ssm.k`) and values
    (`num_heads` heads of `head_dim`, `ssm.v`) pass the causal depthwise convolution together (`ssm.conv`,
    in that order) and `activation`; queries and keys are L2-normed per head (epsilon 1e-6 inside the
    root) and the queries scaled by `key_head_dim ** -0.5`, each key head serving `num_heads /
    key_heads` consecutive value heads. Per value head, `beta = sigmoid(ssm.b(x))` and `g =
    -exp(A_log) * softplus(ssm.a(x) + dt_bias)` (slots `ssm.A_log`, `ssm.dt_bias`, `(num_heads,)`);
    a state `S` of `key_head_dim x head_dim` decays by `exp(g)`, then the delta rule writes
    `beta (v - S^T k)` at `k` (`S += k (beta (v - S^T k))^T`), and the token reads `S^T q`. Each
    head's output is RMSNormed (`ssm.norm`, a `head_dim` weight shared by the heads, epsilon
    `norm_eps`), gated by `silu(ssm.gate(x))` and projected back by `ssm.o`. The state restarts at each
    sequence's first slot (packed rows stay exact). archgen computes the rule in chunks of 64 slots
    as the reference's chunked form (each chunk's updates through one triangular solve); where the
    length is symbolic (compiled artifacts) the call is one chunk. Generation keeps each layer's
    convolution inputs and its state (StateCache). It reads `key_heads`, `key_head_dim`,
    `num_heads`, `head_dim`, `conv_kernel`, `conv_bias`, `activation` (and its config key), `bias`,
    `norm_eps` and `layers`. A key holding several slots' rows per key head (Qwen3-Next's
    `in_proj_qkvz`, `in_proj_ba`) loads through `grouped_rows`.

    `form: lightning` (MiniMax's lightning attention: linear attention under a fixed decay): each
    token's queries, keys and values (`num_heads` heads of `head_dim`, slots `ssm.q`, `ssm.k`,
    `ssm.v`) pass `activation` (no convolution); each head's output is `y_t = sum_{s <= t} exp(-r
    (t - s)) (q_t . k_s) v_s` over the slots of the token's own sequence, the rate `r` fixed by the
    head `h` (from 0) of `H` and the layer `l` of `L`: `r = 2 ** (-8 (h + 1) / H) * (1 - l / (L - 1 +
    1e-5) + 1e-5)`, as its reference builds it (the decay tables its checkpoints may store are
    derived from it: `ignore` them). The heads' joined outputs are RMSNormed together (`ssm.norm`,
    a `num_heads * head_dim` weight, epsilon `norm_eps`), gated by `sigmoid(ssm.gate(x))` and projected
    back by `ssm.o`. archgen sums over the slots directly (as attention does, a `(b, h, t, s)`
    score per call); generation caches each slot's keys and values as a KV cache. It reads
    `num_heads`, `head_dim`, `activation` (and its config key), `bias`, `norm_eps` and `layers`; a
    key holding the three per head (MiniMax's `qkv_proj`) loads through `grouped_rows`.

    `layers` and `block.layer_kinds` build hybrid stacks with any form."""

    form: Literal["ssd", "selective", "gated_conv", "gated_delta", "lightning"] = Field(
        "ssd",
        description="`ssd`: Mamba-2's mixing, scalar decay per head. `selective`: Mamba-1's selective "
        "scan, a decay per channel and state entry. `gated_conv`: LFM2's gated short convolution. "
        "`gated_delta`: Gated DeltaNet's gated delta rule. `lightning`: MiniMax's lightning attention "
        "(see above).",
    )
    key_heads: str | None = Field(
        None,
        description="An int size symbol, `form: gated_delta` only (and required there): the query and key "
        "heads (`linear_num_key_heads`), each serving `num_heads / key_heads` value heads.",
    )
    key_head_dim: str | None = Field(
        None,
        description="An int size symbol, `form: gated_delta` only (and required there): each query and "
        "key head's features (`linear_key_head_dim`).",
    )
    inner: str | None = Field(
        None,
        description="An int size symbol, `form: selective` only (and required there): the mixing's "
        "channels (`intermediate_size`; Jamba's `mamba_expand * hidden_size`).",
    )
    time_step_rank: str | None = Field(
        None,
        description="An int size symbol, `form: selective` only (and required there): the time step's "
        "low-rank features between `ssm.x_proj` and `ssm.dt_proj` (`time_step_rank`).",
    )
    selection_norm: Literal["none", "weightless", "weighted"] = Field(
        "none",
        description="`form: selective`: an RMSNorm on each token's low-rank time step, `B` and `C` "
        "before they are used: `weightless` (Falcon-Mamba's, no checkpoint keys) or `weighted` "
        "(Jamba's, slots `ssm.dt_norm`, `ssm.b_norm`, `ssm.c_norm`).",
    )
    selection_norm_eps: str | None = Field(
        None,
        description="A float size symbol: `selection_norm`'s epsilon (Falcon-Mamba's `mixer_rms_eps`). "
        "Default: the backbone's.",
    )

    state_size: str = Field(
        "state_size", description="An int size symbol: the state's features per head (`state_size`)."
    )
    groups: str = Field(
        "n_groups",
        description="An int size symbol: the groups of heads that share one `B` and one `C`, which the "
        "gated norm norms apart too (`n_groups`).",
    )
    conv_kernel: str = Field(
        "conv_kernel", description="An int size symbol: the convolution's width (`conv_kernel`)."
    )
    conv_bias: bool | Switch = Field(
        True, description="The convolution has a bias, or a switch over a `bool` symbol (`use_conv_bias`)."
    )
    activation: Activation = Field("silu", description="The activation after the convolution.")
    activation_config: str | None = Field(
        None,
        description="A config.json key that must agree with `activation` (Mamba-2's `hidden_act`), as "
        "`ffn.activation_config`.",
    )
    time_step_limit: str | None = Field(
        None,
        description="A `list` size symbol of two floats: the time steps are clamped to `[low, high]` after "
        "the softplus (`time_step_limit`; `[0.0, inf]`, its default, changes nothing, and so does an "
        "absent key). Default: no clamp. (The reference's one-token decode steps skip the clamp; archgen "
        "clamps in every call, as the reference's full forward does.)",
    )
    time_step_min: str | None = Field(
        None,
        description="A float size symbol: the time steps are clamped below at it after the softplus "
        "(Nemotron-H's reference clamps at `time_step_min`, whatever `time_step_limit` says), beside "
        "any `time_step_limit`. Default: none.",
    )
    norm_eps: str | None = Field(
        None,
        description="A float size symbol: the gated norm's epsilon. Default: the backbone's.",
    )
    bias: bool | Switch | None = Field(
        None,
        description="`ssm.in_proj` and `ssm.o` carry a bias, or a switch over a `bool` symbol (Mamba-2's "
        "`use_bias`, Bamba's `mamba_proj_bias`). Default: as `attention.bias`.",
    )
    num_heads: str | None = Field(
        None,
        description="An int size symbol: the state-space heads, where they are not the attention's "
        "(`mamba_n_heads` beside attention layers). Default: `attention.num_heads`.",
    )
    head_dim: str | None = Field(
        None,
        description="An int size symbol: each state-space head's features (`mamba_d_head`). Default: "
        "`attention.head_dim`.",
    )
    layers: StateSpaceLayersSpec | None = Field(
        None,
        description="Which layers mix by state-space, the others attending (see StateSpaceLayersSpec). "
        "Default: every layer.",
    )
    negative_eigenvalues: bool | Switch = Field(
        False,
        description="`form: gated_delta`: `beta = 2 sigmoid(b)`, in (0, 2), so the delta rule's write may "
        "flip the state's component along the key (OLMo-Hybrid's `linear_allow_neg_eigval`), or a switch "
        "over a `bool` symbol. Default: `sigmoid(b)`.",
    )
    decay: Literal["per_head", "per_channel"] = Field(
        "per_head",
        description="`form: gated_delta`: what the state's decay varies by. `per_head`: one log decay per "
        "value head and slot, `g = -exp(A_log) softplus(a(x) + dt_bias)` with `a` one row per head (Gated "
        "DeltaNet's). `per_channel`: one per key feature of each head, so the state's rows decay apart (Kimi "
        "Delta Attention's, KDA), `a` and `dt_bias` `num_heads * key_head_dim` wide, `A_log` one per head; "
        "needs `key_heads` equal to the value heads. A chunk then weighs every pair of its slots per key "
        "feature: its memory grows as chunk x chunk x key_head_dim per head.",
    )
    decay_bound: str | None = Field(
        None,
        description="With `decay: per_channel`: a float size symbol `L` (negative): the log decay is bounded, "
        "`g = L sigmoid(exp(A_log) (a(x) + dt_bias))` in (L, 0), in place of the softplus (Bailing's "
        "`kda_lower_bound` under `kda_safe_gate`). Default: unbounded.",
    )
    decay_bound_when: str | None = Field(
        None,
        description="With `decay_bound`: a `bool` size symbol; the bound applies only when it is true, "
        "the softplus otherwise (Bailing's `kda_safe_gate`). Default: always.",
    )
    gate_rank: str | None = Field(
        None,
        description="`form: gated_delta`: an int size symbol `r`: the decay's input and the output's gate each "
        "pass a rank of `r`, `ssm.a_down` (input -> r) then `ssm.a`, and `ssm.gate_down` then `ssm.gate` "
        "(Kimi Linear's `f_a_proj`, `f_b_proj`, `g_a_proj` and `g_b_proj`, of rank `linear_head_dim`). "
        "Default: one projection each.",
    )
    norm_gate: Literal["silu", "sigmoid"] = Field(
        "silu",
        description="`form: gated_delta`: the activation of the gate on each head's normed output: "
        "`silu(z)` (Gated DeltaNet's) or `sigmoid(z)` (KDA's).",
    )
    conv_keys: list[str] | None = Field(
        None,
        description="`form: gated_delta`: the convolution's weight stored as three keys, the queries', "
        "the keys' and the values' channels (OLMo-Hybrid's `q_conv1d`, `k_conv1d`, `v_conv1d`, relative to "
        "the layer) in place of a key for `ssm.conv` (without a bias): concatenated on load, whatever rows "
        "each holds (OLMo-core writes each part's own width, `transformers` 5 three near-equal chunks of the "
        "concatenation), written on export as `transformers` saves them. Default: the one key `keys` gives.",
    )
    placement: Literal["pre"] | None = Field(
        None,
        description="With `layers`: the state-space layers' placement where it differs from "
        "`block.placement` (OLMo-Hybrid's pre-norm linear-attention layers among post-sublayer-norm "
        "attending layers, `block.placement: sublayer`). Their norms are the same slots, `attn_norm` and "
        "`ffn_norm`, whose keys there `keys` may give. Default: `block.placement`.",
    )
    keys: dict[str, str] = Field(
        default_factory=dict,
        description="Checkpoint keys of the norm slots `attn_norm` and `ffn_norm` in the state-space layers, "
        "where they differ from the attending layers' (`keys`): OLMo-Hybrid's pre-norm layers name "
        "theirs `input_layernorm` and `post_attention_layernorm`, its attending layers "
        "`post_attention_layernorm` and `post_feedforward_layernorm`.",
    )


class WindowLayersSpec(_Strict):
    """Which layers have the sliding window, read from config.json per layer. Beside state-space
    layers (`state_space.layers`) the window is the attending layers' alone: a layer that mixes
    otherwise reads the plain mask whatever its entry (a window there needs this list)."""

    types: str = Field(
        description="A `list` size symbol with one entry per layer (`layer_types`): layer i has the window "
        "when entry i is `windowed`."
    )
    windowed: str = Field("sliding_attention", description="The entry that marks a windowed layer.")
    full: str = Field(
        "full_attention",
        description="The entry of a layer without the window, where a list is derived from `period` "
        "(for `position.scaling.layer_types`).",
    )
    period: str | None = Field(
        None,
        description="An int size symbol `p` for config.json files without the list: then layer i has the "
        "window unless `(i + 1) % p == 0` (Gemma 2's default of 2, Gemma 3's `sliding_window_pattern`). "
        "Without it such a file is refused when the window is on.",
    )
    windowed_from: str | None = Field(
        None,
        description="An int size symbol `m` for config.json files without the list, instead of `period`: "
        "then the layers from index `m` on have the window, those before it attend to every earlier key "
        "(Qwen2's and Qwen3's `max_window_layers`, as their references derive the list).",
    )
    from_rotary: bool = Field(
        False,
        description="For config.json files without the list, instead of `period`: the layers with rotary "
        "positions (`position.rotary_layers`) have the window, the others none (Llama 4 derives its "
        "`chunked_attention` layers from `no_rope_layers`).",
    )
    full_at: Literal["last", "first"] = Field(
        "last",
        description="With `period`: which layer of each `p` attends to every key. `last`: layer i with "
        "`(i + 1) % p == 0` (Gemma 2). `first`: layer i with `i % p == 0`, so layer 0 is one (ModernBERT's "
        "`global_attn_every_n_layers`).",
    )


class TypeSizesSpec(_Strict):
    """Attention sizes that differ by layer type: each layer is built from a copy of the config in
    which the size symbols its type's entry names take other symbols' values, so its modules (and
    its KV cache) take them; the weight table reads a switch so overridden per layer (`sinks`)."""

    types: str = Field(
        description="A `list` size symbol with each layer's type (`layer_types`); a config.json without "
        "it is refused when the model is built."
    )
    sizes: dict[str, dict[str, str]] = Field(
        description="Layer type -> {symbol: symbol}: in the layers of that type, the first symbol takes "
        "the second's value. The first is one the attention reads per layer: its `num_heads`, "
        "`num_kv_heads`, `value_head_dim` or `value_scale` symbol, or the symbol of its `sinks` switch; "
        "the second a symbol of the same kind (e.g. `{sliding_attention: {num_kv_heads: "
        "sliding_kv_heads}}`, `sliding_kv_heads: {expr: 2 * num_kv_heads}`).",
    )


class AttentionExpertsSpec(_Strict):
    """A mixture of attention heads (JetMoE's MoA): each token's queries and output projection come
    from `top_k` of `count` experts, its keys and values from one projection every expert shares.

    A router (slot `attn.router`, a bias-free linear) scores the experts in fp32; each token takes
    its `top_k` best by logit, weighted by the softmax of those logits. Each chosen expert projects
    the token to a query of `num_kv_heads` heads (slot `attn.q`, a bare `(count, num_kv_heads *
    head_dim, width)` tensor), whose head j attends with key/value head j (slots `attn.k`, `attn.v`,
    `num_kv_heads` heads, rotary positions as configured). Each expert's heads' joined outputs go
    through its own output projection (`attn.o`, a bare `(count, width, num_kv_heads * head_dim)`
    tensor), weighted and summed, then a bias (`attn.o_bias`, `(width,)`, where `out_bias` says).
    `num_heads` is `num_kv_heads * top_k` (its KV cache holds the `num_kv_heads` heads). Each expert
    computes only the tokens routed to it. Plain sequential softmax self-attention with rotary or
    no positions; not with latent, differential or windowed attention, query/key norms, gates,
    sinks, caps or a relative bias."""

    count: str = Field(description="An int size symbol: the experts (JetMoE's `num_local_experts`).")
    top_k: str = Field(
        description="An int size symbol: the experts each token takes (`num_experts_per_tok`)."
    )


class AttentionSpec(_Strict):
    """Multi-head attention."""

    mixing: Literal["softmax", "fourier", "state_space"] = Field(
        "softmax",
        description="How a layer mixes its tokens. `softmax`: multi-head scaled dot-product attention, as "
        "the other fields describe. `fourier`: FNet's Fourier transform, the real part of the 2-D discrete "
        "Fourier transform over a row's slots and features (`torch.fft.fftn(x, dim=(1, 2)).real`), with no "
        "weights (no `attn.*` slots; `attn_norm` still norms the residual sum) and no mask: every slot of a "
        "row mixes in, padding too, as its reference computes, so padding changes the real tokens' outputs "
        "and `run_batch` groups sequences of equal length only. Bidirectional stacks without a `decoder` "
        "section; the fields about projections and scores (`scale`, `bias`, `num_heads`, `head_dim`) are "
        "unused and the others refused. `state_space`: Mamba-2's state-space mixing, as `state_space` "
        "describes (`num_heads` and `head_dim` its heads, `bias` on its projections); causal stacks "
        "without positions or a `decoder` section, the other fields refused.",
    )
    scale: Literal["inverse_sqrt_head_dim", "none", "size"] = Field(
        "inverse_sqrt_head_dim",
        description="`inverse_sqrt_head_dim`: scores are scaled by 1/sqrt(head_dim). `none`: no scaling "
        "(T5 folds it into the initialisation). `size`: by the float size symbol `scale_size` (Granite's "
        "`attention_multiplier`).",
    )
    scale_size: str | None = Field(
        None, description="With `scale: size`: the float size symbol the scores are scaled by."
    )
    bias: bool | Switch = Field(
        True,
        description="q/k/v/o projections carry a bias. Or a switch over a `bool` symbol: the biases exist "
        "when config.json turns it on (Llama's `attention_bias`, StableLM's `use_qkv_bias`).",
    )
    last_out_bias: bool = Field(
        False,
        description="The last layer's output projection alone has a bias, a bare `(width,)` tensor under "
        "that layer's prefix (slot `attn.last_out_bias`: GPT-NeoX-Japanese's `dense_bias`); needs "
        "`out_bias: false` for the others.",
    )
    bias_parts: Literal["qkv", "qv"] = Field(
        "qkv",
        description="With `bias: true`, which of the projections from the input carry a bias. `qkv`: each "
        "of q, k and v, as their linear layers. `qv`: the queries and values only, each a bare "
        "`(num_heads * head_dim,)` tensor added after the projection (slots `attn.q_bias`, `attn.v_bias`: "
        "DeBERTa's `q_bias` and `v_bias`); the keys have none. Fused multi-head attention only (no "
        "`num_kv_heads` or `latent`).",
    )
    out_bias: bool | Switch | None = Field(
        None,
        description="The output projection (`attn.o`) carries a bias (or a switch, as `bias`); default: as "
        "`bias` (Qwen2 biases q/k/v but not o).",
    )
    head_dim: str = Field(
        "head_dim", description="Size symbol of the per-head width; inner width is `num_heads * head_dim`."
    )
    num_heads: str = Field("num_heads", description="Size symbol of the number of heads.")
    num_kv_heads: str | None = Field(
        None,
        description="Size symbol of the number of key/value heads, for grouped-query attention: each "
        "serves `num_heads / num_kv_heads` query heads (Llama's `num_key_value_heads`). The queries "
        "then have a projection of their own (`attn.q`) and keys and values a fused one (`attn.kv`). "
        "Omit for one key/value head per query head, all three fused.",
    )
    qkv_layout: Literal["stacked", "per_head", "per_group", "per_shard"] = Field(
        "stacked",
        description="Where `attn.q`, `attn.k` and `attn.v` name one checkpoint key, the order of its rows. "
        "`stacked`: all queries, then all keys, then all values (GPT-2's `c_attn`), as the generated "
        "module holds them. `per_head`: each head's query, key and value rows together (GPT-NeoX's "
        "`query_key_value`); the loader regroups them and export restores the checkpoint's order. "
        "`per_group`: with `num_kv_heads`, each key/value head's rows together: the queries of the "
        "`num_heads / num_kv_heads` heads it serves, then its key, then its value (Falcon-40B's "
        "`query_key_value`); regrouped and restored the same way. `per_shard`: the rows fall in "
        "`qkv_shards` equal shards, each holding the queries, keys and values (in `qkv_order`) of its "
        "`num_heads / qkv_shards` heads (CodeGen's `qkv_proj`, four shards of q, v, k); regrouped and "
        "restored the same way.",
    )
    qkv_shards: str | None = Field(
        None, description="With `qkv_layout: per_shard`: an int size symbol, the number of shards."
    )
    qkv_order: Literal["qkv", "qvk"] = Field(
        "qkv",
        description="With `qkv_layout: per_shard`: the order of a shard's parts (CodeGen's `qvk`).",
    )
    qk_norm: bool | Switch = Field(
        False,
        description="Normalise each head's queries and keys over its `head_dim` features, with the "
        "backbone's norm kind and epsilon, before rotary positions (slots `attn.q_norm`, `attn.k_norm`; "
        "Qwen3, Phi's `qk_layernorm`). A switch that is off has no such weights.",
    )
    qk_norm_at: Literal["before_rotary", "after_rotary"] = Field(
        "before_rotary",
        description="With a per-head `qk_norm` (`head`, `head_weights` or `head_plain` scope): whether the norms read "
        "each head's queries and keys before rotary positions turn them (Qwen3) or after (HunYuan).",
    )
    qk_norm_scope: Literal["head", "head_weights", "head_plain", "all_heads"] = Field(
        "head",
        description="With `qk_norm`: what one norm spans. `head`: each head's `head_dim` features, one "
        "`head_dim`-wide weight shared by the heads (Qwen3). `head_weights`: each head's `head_dim` "
        "features, with a weight of its own for each head, `(num_heads, head_dim)` for queries and "
        "`(num_kv_heads, head_dim)` for keys (Cohere's `use_qk_norm`; a `layer_norm` or `rms_norm` kind, "
        "never a bias). `head_plain`: each head's `head_dim` features, without weights: an RMSNorm in "
        "fp32 at the backbone's epsilon, cast back (Llama 4's `Llama4TextL2Norm`), with no slots. "
        "`all_heads`: the whole projection, all heads' "
        "features at once, before it is split into heads: weights `num_heads * head_dim` wide for queries "
        "and `num_kv_heads * head_dim` for keys (OLMo2); needs `num_kv_heads`.",
    )
    qk_norm_kind: Literal["layer_norm"] | None = Field(
        None,
        description="With `qk_norm_scope: head_weights`: the norm's kind where it is not the backbone's. "
        "`layer_norm`: each head's features less their mean, over their standard deviation, times a "
        "weight and plus a bias of the head's own, both `(heads, head_dim)` (Chameleon's `q_norm`, "
        "`k_norm` in an RMSNorm model). Default: the backbone's kind, without a bias.",
    )
    qk_norm_eps: str | None = Field(
        None,
        description="A float size symbol: the query/key norms' epsilon where it is not the backbone's "
        "(Chameleon's are 1e-5 whatever `rms_norm_eps` says). Per-head scopes (`head`, `head_weights`).",
    )
    qk_norm_layers: Literal["all", "rotated"] = Field(
        "all",
        description="With a per-head `qk_norm`: which layers norm their queries and keys. `all`, or "
        "`rotated`: only those with rotary positions (`position.rotary_layers`), the others none (Llama 4's "
        "`use_qk_norm`, on its RoPE layers alone); needs `qk_norm_at: after_rotary` and `rotary_layers`.",
    )
    sliding_window: str | None = Field(
        None,
        description="Size symbol of a sliding window in causal self-attention: a query sees only the keys "
        "fewer than this many slots back (Mistral's `sliding_window`); 0 means no window. Every layer "
        "has it, unless `window_layers` picks some.",
    )
    window_sides: Literal["past", "both", "follows_attention", "chunks"] = Field(
        "past",
        description="Which keys the `sliding_window` `w` limits. `past`: those `w` or more slots before the "
        "query, in causal attention (Mistral). `both`: those more than `w` slots away on either side, so a "
        "query sees `2w + 1` slots, in bidirectional attention too (ModernBERT's local attention, `w` = "
        "`local_attention // 2`). `follows_attention`: `past` for a causal query, `both` for a "
        "bidirectional one (Gemma 3 under `bidirectional_when`; `w` is then usually an expression that "
        "differs per case). `chunks`: those outside the query's chunk, in causal attention: the slots "
        "from the first one the query's sequence keeps fall in chunks of `w`, and a query sees the earlier "
        "keys of its own chunk alone (Llama 4's chunked attention, `attention_chunk_size`; the first kept "
        "slot is where its reference's chunks start under left padding, and a packed sequence's own).",
    )
    bidirectional_when: str | None = Field(
        None,
        description="A `bool` size symbol: when config.json sets it, every head that attends causally "
        "attends both ways instead (Gemma 3's `use_bidirectional_attention`, EmbeddingGemma's), and such a "
        "model cannot generate (refused before any compute). Not with a `decoder` section.",
    )
    masked_rows: Literal["all_keys", "two_masks", "finite_causal"] = Field(
        "all_keys",
        description="How a causal query attends when every key in its reach is padding (a left-padded "
        "position, or a window holding only padding). `all_keys`: uniformly over every key, as a "
        "reference whose one additive mask blocks keys with dtype-min does. `two_masks`: as a reference "
        "that first sets the scores its causal window blocks to dtype-min, then adds a padding-and-causal "
        "mask of dtype-min (GPT-Neo): keys both block (later keys, padding before the window) are -inf, "
        "so such a query attends uniformly over the padding in its window and the real keys before it. "
        "`finite_causal`: as a reference that replaces the scores of later keys by -1e4 and adds "
        "dtype-min at padding (GPT-1): such a query attends uniformly over the row's real keys (all of "
        "them later), or over every key in a row of padding alone; SDPA has no such step, so attention "
        "runs as explicit math (scores, the fill, softmax), with every head causal and no window. Real "
        "tokens attend alike either way; `two_masks` with a `past` window only.",
    )
    window_layers: WindowLayersSpec | None = Field(
        None,
        description="With `sliding_window`: the layers that have the window, the others attending to "
        "every earlier key (Gemma 2's alternating layers, Qwen2's `layer_types`). Default: all layers.",
    )
    softcap: str | None = Field(
        None,
        description="A float size symbol `c`: each head's scaled scores become `c * tanh(scores / c)` "
        "before the mask is added (Gemma 2's `attn_logit_softcapping`). SDPA has no such step, so "
        "attention then runs as explicit math (scores, softmax in fp32, weighted sum), as the "
        "reference's eager attention does; a value of 0 (config.json null) turns it off, and SDPA runs.",
    )
    clip: str | None = Field(
        None,
        description="A float size symbol `c`: the projected queries, keys and values are clamped to "
        "`[-c, c]` (OLMo's `clip_qkv`), after a norm across all heads (`qk_norm_scope: all_heads`, as "
        "OLMoE) and before a per-head one; 0 (config.json null) turns it off.",
    )
    sinks: bool | Switch = Field(
        False,
        description="Each head has a learned logit of its own (slot `attn.sinks`, a bare `(num_heads,)` "
        "tensor whose key is named whole) that joins its scores in the softmax and attends to nothing: "
        "`softmax([scores + mask, sink])` without the last column (Flint's, GPT-OSS's `sinks`). SDPA has "
        "no such step, so attention then runs as explicit math, scores and softmax in fp32. Or a switch "
        "over a `bool` symbol: the sinks exist in the layers where it is on, the others attending "
        "through SDPA (with `type_sizes`, a layer type may set it: MiMo-V2-Flash's sliding layers alone).",
    )
    length_limit: str | None = Field(
        None,
        description="An int size symbol: the longest call the model takes where that is less than its "
        "position table (0: no bound), for attention this spec computes exactly only up to a length. "
        "BigBird's block-sparse attention is full attention for rows of at most `(5 + 2 * "
        "num_random_blocks) * block_size` tokens, where its reference falls back to it: its released "
        "checkpoints (`attention_type: block_sparse`) load, and a longer call is refused by name before "
        "any compute.",
    )
    differential: bool = Field(
        False,
        description="Differential attention, as `transformers`' DiffLlama computes it: the value heads "
        "fall in two halves, and each key/value head's values become its half's values beside the "
        "other half's, `2 * head_dim` wide; each query head attends once over those, and head `p` of "
        "the first half of the query heads minus `λ` times head `p` of the second is normed (an RMSNorm "
        "without weights over its `2 * head_dim` features, the backbone's epsilon) and scaled by "
        "`1 - λ_init`, so the output projection reads `num_heads * head_dim` features as usual. `λ = "
        "exp(λq1 · λk1) - exp(λq2 · λk2) + λ_init`, from four learned `(head_dim,)` vectors of each "
        "layer (slots `attn.lambda_q1`, `attn.lambda_k1`, `attn.lambda_q2`, `attn.lambda_k2`, bare "
        "tensors whose keys are named whole), `λ_init = 0.8 - 0.6 exp(-0.3 l)` in layer `l` (the "
        "Differential Transformer's schedule). Needs an even count of key/value heads; plain sequential "
        "self-attention through SDPA (no sinks, softcap, latent, disentangled or relative-bias terms, "
        "no decoder section).",
    )
    output_gate: bool | Literal["per_head"] = Field(
        False,
        description="The heads' outputs are gated by `sigmoid(gate(x))` before the output projection, "
        "`gate` a bias-free linear from the layer's (normed) input (slot `attn.gate`). `true`: feature by "
        "feature, the gate `num_heads * head_dim` wide (AFMoE's `gate_proj`). `per_head`: one gate per head "
        "scales all of that head's features, the gate `num_heads` wide (LFM3's and Bailing's `g_proj`). "
        "Under latent attention a head's features are its `value_dim` values: a gate per feature is "
        "`num_heads * value_dim` wide and reads the query latent (`output_gate_input`), a gate per head "
        "reads the input (the forms references have).",
    )
    output_gate_input: Literal["input", "query_latent"] = Field(
        "input",
        description="With `output_gate`: what the gate's projection `attn.gate` reads. `input`: the layer's "
        "(normed) input. `query_latent`: under latent attention with a low-rank query path, what `attn.q_b` "
        "reads (its `q_b_input`): A.X-K2's `q_gate_proj` holds, per head, the query's rows then its gate's "
        "(`grouped_rows` splits them).",
    )
    output_gate_activation: Literal["sigmoid", "softplus"] = Field(
        "sigmoid",
        description="With `output_gate`: what turns the gate's projection into its factors, `sigmoid` "
        "(factors in (0, 1)) or `softplus` (`log(1 + exp(g))`, computed in fp32 and unbounded: Laguna's "
        "`g_proj`).",
    )
    output_gate_bias: bool = Field(
        False,
        description="With `output_gate: true` (a gate per feature): a learned bias per head (slot "
        "`attn.gate_bias`, a bare `(num_heads,)` tensor) added to the gate of each of that head's features "
        "before the activation, `sigmoid(gate(x) + bias[head])` (Beam's `gate_bias`).",
    )
    output_gate_per_head: str | None = Field(
        None,
        description="With `output_gate: true`: a `bool` size symbol, config.json's choice of the gate's "
        "form: one gate per head (as `per_head`, `num_heads` wide) when it is true, one per feature "
        "(`num_heads * head_dim` wide) when false (Laguna's `gating`: `true` and `per-head` against "
        "`per-element`; an expression over a `str` symbol). Default: per feature.",
    )
    value_head_dim: str | None = Field(
        None,
        description="Size symbol of each value head's width where it differs from `head_dim` (MiMo-V2-Flash's "
        "`v_head_dim`): keys and values then have projections of their own (`attn.k`, `attn.v`: `k` and `v` "
        "in the module), the output projection reads `num_heads * value_head_dim` features and the KV cache "
        "holds values that wide. Needs `num_kv_heads`; not with latent or differential attention, a gate per "
        "feature, `sub_norm`, `bias_parts: qv`, `qk_norm_scope: all_heads` or a non-stacked q/k/v layout.",
    )
    value_scale: str | None = Field(
        None,
        description="A float size symbol the projected values are multiplied by, before the KV cache "
        "(MiMo-V2-Flash's `attention_value_scale`).",
    )
    type_sizes: TypeSizesSpec | None = Field(
        None,
        description="Attention sizes a layer's type overrides (see TypeSizesSpec): MiMo-V2-Flash's sliding "
        "layers have twice the key/value heads and sinks. Default: every layer the config's.",
    )
    heads_per_layer: str | None = Field(
        None,
        description="A `list` size symbol with each layer's count of query heads (Laguna's "
        "`num_attention_heads_per_layer`): layer i's queries, output gate and output projection have "
        "entry i heads of `head_dim`, keys and values `num_kv_heads` heads in every layer (each entry a "
        "multiple of it); a config.json without the list gives every layer `num_heads`. Plain "
        "softmax self-attention layers (no latent or differential attention, ALiBi or a relative bias "
        "table, stacked q/k/v rows), in a stack without a `decoder` section, shared layers, a "
        "bottleneck or a switched parallel block.",
    )
    sub_norm: bool = Field(
        False,
        description="A norm of the model's kind over the heads' joined outputs (`num_heads * head_dim` "
        "wide) before the output projection (slot `attn.sub_norm`; BitNet's `attn_sub_norm`).",
    )
    relative_bias: RelativeBiasSpec | None = Field(
        None,
        description="A bucketed relative position bias in self-attention (slot `attn.relative_bias`); "
        "omit for none. Cross-attention never has one.",
    )
    disentangled: DisentangledSpec | None = Field(
        None,
        description="DeBERTa-v2's disentangled attention (see DisentangledSpec): relative position terms "
        "from a shared table, computed from each layer's queries and keys. Default: none.",
    )
    padded_queries: Literal["attend", "blocked", "zeroed"] = Field(
        "attend",
        description="How a padding slot attends as a query in a bidirectional stack. `attend`: as any "
        "other query, to the real keys. `blocked`: every key is blocked for it (DeBERTa's mask, the "
        "padding mask times its transpose), so it attends uniformly over every slot, as the reference "
        "whose masked scores are all dtype-min computes. `zeroed`: it attends to nothing, its attention "
        "output zero before the output projection (Longformer's reference zeroes a padding query's "
        "weights). Real tokens attend alike either way; only the outputs at padding slots differ.",
    )
    state_space: StateSpaceSpec | None = Field(
        None,
        description="With `mixing: state_space`: its sizes and knobs (see StateSpaceSpec). Default: "
        "Mamba-2's names.",
    )
    key_bias_from_values: bool = Field(
        False,
        description="Each key slot's score gets a bias computed from its values (Doge's dynamic mask): "
        "`exp(A_j * softplus(dt(v))_j)` for key/value head j, `dt` a linear from the slot's values (every "
        "key/value head's, joined) to one per head (slot `attn.dt`, biased as `bias` says) and `A` a bare "
        "`(num_kv_heads,)` tensor (slot `attn.A`); every query head of head j's group adds it to its score "
        "of that slot. Needs `num_kv_heads`; plain softmax self-attention through SDPA (no latent, "
        "differential or disentangled terms, sinks, caps, relative bias, `value_head_dim`, "
        "`heads_per_layer`, `type_sizes` or mixture of heads; no bottleneck or `decoder` section). Doge "
        "keeps only each query's `keep_window_size` best-biased keys past that many: `length_limit` "
        "refuses those calls.",
    )
    experts: AttentionExpertsSpec | None = Field(
        None,
        description="A mixture of attention heads (see AttentionExpertsSpec): each token's queries and "
        "output projection from its chosen experts (slots `attn.router`, `attn.q`, `attn.o`, `attn.o_bias`). "
        "Default: none.",
    )
    latent: LatentSpec | None = Field(
        None,
        description="Multi-head latent attention (see LatentSpec): queries, keys and values through the "
        "slots `attn.q` (or `attn.q_a`, `attn.q_a_norm`, `attn.q_b`), `attn.kv_a`, `attn.kv_a_norm` and "
        "`attn.kv_b` in place of `attn.q`/`attn.k`/`attn.v`. Needs rotary positions with `rotary_dim` "
        "(the rotated features; a `query_scale` scales the whole query), in plain layers (also beside state-space layers); not with "
        "`num_kv_heads`, `qk_norm`, `softcap`, "
        "`clip`, `sinks`, `sub_norm` or a relative bias (`output_gate: per_head` gates its heads' values). Default: "
        "none.",
    )


class FFNVariant(_Strict):
    """One FFN structure that config.json may select (see `ffn.variants`)."""

    kind: Literal["dense", "gated"] = Field(description="As `ffn.kind`.")
    activation: Activation = Field(description="As `ffn.activation`.")
    keys: dict[str, str] = Field(
        default_factory=dict,
        description="Checkpoint keys of FFN slots that differ in this variant (e.g. `ffn.up` is `wi` in a "
        "dense T5 FFN but `wi_1` in a gated one); the others are those of `keys`.",
    )
    decoder_keys: dict[str, str] = Field(
        default_factory=dict,
        description="The same for the decoder stack of an encoder-decoder (over `decoder.keys`).",
    )


class SharedExpertSpec(_Strict):
    """An FFN beside the routed experts that computes every token (Qwen2-MoE's `shared_expert`):
    the FFN's kind and activation at its own width (slots `ffn.shared.gate`, `ffn.shared.up`,
    `ffn.shared.down`), its output added to the experts'."""

    size: str = Field(description="Size symbol of its inner width (`shared_expert_intermediate_size`).")
    gated: bool = Field(
        True,
        description="Its output is weighted per token by `sigmoid(shared_gate(x))`, a bias-free linear "
        "to one value (slot `ffn.shared_gate`, Qwen2-MoE's `shared_expert_gate`); `false`: added as it is.",
    )
    average_when: str | None = Field(
        None,
        description="A `bool` size symbol: when it is true, the shared expert's output and the routed "
        "experts' sum are averaged, `(routed + shared) / 2`, not added (Cohere 2 MoE's "
        "`shared_expert_combination_strategy: average`). Default: added.",
    )
    when: str | None = Field(
        None,
        description="A `bool` size symbol: the shared expert exists only when it is true (GraniteMoE-SWA's "
        "`shared_intermediate_size` may be 0: `{expr: shared_intermediate_size > 0, kind: bool}`); its "
        "slots then read keys only then. Default: always.",
    )


class ExpertLayersSpec(_Strict):
    """Which layers hold the mixture of experts; the others hold one dense FFN of the FFN's kind
    and activation at `dense_size` (slots `ffn.dense.gate`, `ffn.dense.up`, `ffn.dense.down`),
    without a router or shared expert. Layer i holds the experts when every rule given holds:
    it is not in `skip`, `i % step == offset` (`offset` defaults to `step - 1`: `(i + 1) % step ==
    0`), `i >= start` and `i <= end`; where config.json has the `types` list, when the list marks
    it `sparse` instead, or the `only` list, when it lists i. The weight table maps each layer's
    keys by the same rules, read from config.json at load time."""

    dense_size: str = Field(description="Size symbol of the dense FFN's inner width (`intermediate_size`).")
    skip: str | None = Field(
        None,
        description="A `list` size symbol: the indices of layers with the dense FFN (Qwen2-MoE's and "
        "Qwen3-MoE's `mlp_only_layers`).",
    )
    only: str | None = Field(
        None,
        description="A `list` size symbol: the indices of the layers with the experts (Llama 4's `moe_layers`). "
        "Where config.json has the list, it decides alone, as `types` does; without it (an empty list) the "
        "other rules decide (Llama 4's `interleave_moe_layer_step` as `step`). Not with `types`.",
    )
    step: str | None = Field(
        None,
        description="An int size symbol `s`: layer i holds the experts only when `(i + 1) % s == 0` "
        "(Qwen2-MoE's `decoder_sparse_step`); 1 means every layer.",
    )
    offset: str | None = Field(
        None,
        description="With `step`: an int size symbol `o`, layer i holds the experts when `i % step == o` "
        "(Jamba's `expert_layer_period` and `expert_layer_offset`). Default: `step - 1`.",
    )
    start: str | None = Field(
        None,
        description="An int size symbol: the layers before this index hold the dense FFN (DeepSeek's "
        "`first_k_dense_replace`).",
    )
    end: str | None = Field(
        None,
        description="An int size symbol: the layers after this index hold the dense FFN (ERNIE 4.5 MoE's "
        "`moe_layer_end_index`; a size expression can map its -1 to the last layer).",
    )
    types: str | None = Field(
        None,
        description="A `list` size symbol with one entry per layer (`mlp_layer_types`): where config.json "
        "has the list, layer i holds the experts when entry i is `sparse`, whatever the other rules say; "
        "without it (an empty list) the other rules decide (K-EXAONE's list takes precedence over its "
        "`first_k_dense_replace`, as its reference's).",
    )
    sparse: str = Field("sparse", description="With `types`: the entry that marks a layer with experts.")


class SelectionBiasSpec(_Strict):
    """A bias of each expert's, added to its score to choose the experts but not to weight them
    (slot `ffn.router_bias`, a bare tensor whose checkpoint key is named whole)."""

    one_group: bool = Field(
        False,
        description="The tensor is `(1, count)`, one group of experts (ERNIE 4.5 MoE's "
        "`moe_statics.e_score_correction_bias`); else `(count,)` (GLM-4.5's `gate.e_score_correction_bias`).",
    )
    added_to: Literal["scores", "logits"] = Field(
        "scores",
        description="What the bias is added to for the choice: the router's `scores` (after the score "
        "function: GLM-4.5, DeepSeek-V3) or its raw `logits` (Kolibri-1). The chosen experts are "
        "weighted by their scores either way.",
    )


class ExpertsSpec(_Strict):
    """A mixture of experts in place of each layer's FFN: `count` FFNs of the FFN's kind, of
    which a router (slot `ffn.router`, a bias-free linear) picks `top_k` for each token by its
    scores in fp32 (`scores`: the softmax of its logits by default; a `selection_bias` and
    `groups` may shape the choice); the token's output is the chosen experts' outputs weighted
    by their scores. The keys of `ffn.gate`, `ffn.up` and `ffn.down` hold `{e}`, the expert's
    index (unless `stacked`). Each expert computes only the tokens routed to it."""

    count: str = Field(description="Size symbol of the number of experts (Mixtral's `num_local_experts`).")
    top_k: str = Field(
        description="Size symbol of the experts each token is routed to (`num_experts_per_tok`)."
    )
    normalize: bool | Switch = Field(
        True,
        description="Divide the chosen experts' probabilities by their sum (Mixtral), or a switch over a "
        "`bool` symbol (Qwen2-MoE's `norm_topk_prob`); `false`: the softmax's probabilities as they are "
        "(OLMoE).",
    )
    shared: SharedExpertSpec | None = Field(
        None, description="An expert every token goes through besides the routed ones (see SharedExpertSpec)."
    )
    scores: Literal["softmax", "sigmoid", "sparsemixer"] = Field(
        "softmax",
        description="Each expert's score from the router's logits, in fp32: `softmax` over the experts "
        "(Mixtral), or the `sigmoid` of its own logit (GLM-4.5's, DeepSeek-V3's). The chosen experts are "
        "weighted by their scores. `sparsemixer` (PhiMoE's routing at inference, two experts): the best "
        "expert, weighted by its softmax among the experts whose logit l is within `2 * jitter` of the "
        "best logit m, relatively (`(m - l) / max(|l|, m) <= 2 * jitter`); then the best of the rest, "
        "weighted likewise against the second best logit. Not normalized, without groups or a "
        "selection bias.",
    )
    sigmoid_when: str | None = Field(
        None,
        description="With `scores: softmax`: a `bool` size symbol; when it is true, each expert's score is "
        "the sigmoid of its own logit instead (Cohere 2 MoE's `expert_selection_fn`, through an expression "
        "over a `str` symbol). Not with `selection_bias`, `groups` or `logit_softcap`.",
    )
    jitter: str | None = Field(
        None,
        description="For `scores: sparsemixer`: the float size symbol of its `jitter` (`router_jitter_noise`).",
    )
    selection_bias: SelectionBiasSpec | None = Field(
        None,
        description="Experts are chosen by their score plus a bias of their own and weighted by the "
        "score alone (see SelectionBiasSpec).",
    )
    groups: str | None = Field(
        None,
        description="An int size symbol `g` for group-limited routing (DeepSeek-V3's `n_group`, with "
        "`top_groups`): the experts split into `g` equal groups in order, each group scored as "
        "`group_score` says, and each token chooses its experts from its `top_groups` best groups only. "
        "1 leaves the choice alone.",
    )
    top_groups: str | None = Field(
        None,
        description="With `groups`: an int size symbol, the groups a token may choose from (`topk_group`).",
    )
    group_score: Literal["top_two", "best"] = Field(
        "top_two",
        description="With `groups`: what scores a group. `top_two`: the sum of its two best (biased) "
        "scores (DeepSeek-V3). `best`: its best score alone (DeepSeek-V2's `group_limited_greedy`).",
    )
    scale: str | None = Field(
        None,
        description="A float size symbol the chosen experts' weights are multiplied by, after any "
        "`normalize` (GLM-4.5's `routed_scaling_factor`).",
    )
    normalize_min: str | None = Field(
        None,
        description="With `normalize`: a float size symbol the chosen scores' sum is clamped to "
        "at least before the division (ERNIE 4.5 MoE's `moe_norm_min`).",
    )
    normalize_eps: str | None = Field(
        None,
        description="With `normalize`: a float size symbol added to the chosen scores' sum before the "
        "division (LFM2-MoE's reference adds 1e-6: a `value` symbol).",
    )
    layers: ExpertLayersSpec | None = Field(
        None,
        description="Which layers hold the experts, the others a dense FFN (see ExpertLayersSpec). "
        "Default: every layer.",
    )
    weights_at: Literal["output", "input"] = Field(
        "output",
        description="Where a chosen expert's weight applies: to its `output` (Mixtral and most), or to its "
        "`input`, the expert reading the token scaled by its weight (Llama 4's `routed_in`; the same only "
        "for an expert linear in its input).",
    )
    stacked: bool = Field(
        False,
        description="The keys of `ffn.gate`, `ffn.up` and `ffn.down` each name one tensor per layer "
        "holding every expert's weight, stacked along its first dimension (GraniteMoE's `input_linear`, "
        "`(experts, 2 * inner, width)`, gate and up in one key), and hold no `{e}`. Each such key is "
        "read once, each expert's parameters are its slices, and export stacks them again; a key "
        "whose first dimension is not the expert count is refused, naming its shape.",
    )
    bare_keys: bool = Field(
        False,
        description="With `stacked`: the keys of `ffn.gate`, `ffn.up` and `ffn.down` name their tensors "
        "whole, without `.weight` (GraniteMoE-SWA's `experts.gate_up_proj`), and their biases, where "
        "`ffn.bias` gives them, as the key with `_bias` appended (GPT-OSS's `experts.gate_up_proj_bias`).",
    )
    flat: bool = Field(
        False,
        description="With `stacked`: each key holds the experts' tensors concatenated along their first "
        "dimension, `(experts * rows, cols)`, not stacked on a dimension of their own (DBRX's `w1`, "
        "`(moe_num_experts * ffn_hidden_size, d_model)`); the loader views it as `(experts, rows, cols)`.",
    )
    latent: str | None = Field(
        None,
        description="An int size symbol: the routed experts run at this width, between a projection "
        "down to it (slot `ffn.latent_in`) and one back (slot `ffn.latent_out`), each with the FFN's "
        "`bias`; the router and any shared expert read the layer's input as it is (Nemotron-H's "
        "`moe_latent_size`: `fc1_latent_proj`, `fc2_latent_proj`). Default: the model's width.",
    )
    latent_when: str | None = Field(
        None,
        description="With `latent`: a `bool` size symbol; the projections exist only when it is true, and "
        "the routed experts run at the model's width otherwise (Nemotron-H's `moe_latent_size: null`). "
        "Default: always.",
    )
    output_bias: bool = Field(
        False,
        description="A bias added to the mixture's output (the routed experts' weighted sum) in the layers "
        "with experts (slot `ffn.output_bias`, a bare `(width,)` tensor; JetMoE's `mlp.bias`).",
    )
    output_norm: bool = Field(
        False,
        description="A norm of the model's kind on the mixture's output (the routed experts' and any "
        "shared expert's, summed) before the residual sum, in the layers with experts only (slot "
        "`ffn.output_norm`, keyed relative to the layer; A.X-K1's `post_mlp_layernorm`).",
    )
    keys: dict[str, str] = Field(
        default_factory=dict,
        description="Checkpoint keys of the norm slots `attn_norm` and `ffn_norm` in the layers with "
        "experts, where they differ from the other layers' (`keys`): A.X-K2 gates its `ffn_norm` in those "
        "layers alone (`block.norm_gate`), its reference wrapping the norm there, "
        "`post_attention_layernorm.norm` against the dense layers' `post_attention_layernorm`. Needs `layers`.",
    )
    router_bias: bool = Field(
        False,
        description="The router (`ffn.router`) carries a bias (GPT-OSS's `router.bias`).",
    )
    logit_softcap: str | None = Field(
        None,
        description="A float size symbol `c`: the router's logits become `c * tanh(logits / c)` (in fp32) "
        "before anything reads them, scores, selection bias and groups alike (Laguna's "
        "`moe_router_logit_softcapping`); 0 turns it off. Not with `scores: sparsemixer`.",
    )


class ClampedGluSpec(_Strict):
    """GPT-OSS's clamped SwiGLU: with `g = min(gate(x), limit)` and `u = clamp(up(x), -limit, limit)`,
    the inner activations are `(u + 1) * g * sigmoid(alpha * g)`; `activation` names `silu`."""

    limit: str = Field(description="A float size symbol: the clamp (`swiglu_limit`).")
    alpha: str = Field(description="A float size symbol: the sigmoid's slope (`swiglu_alpha`).")


class GluLimitsSpec(_Strict):
    """A gated FFN's activations clamped at a limit of each layer's (Step-3.7's): with `L` the
    layer's limit, `min(act(gate(x)), L) * clamp(up(x), -L, L)` (the activation first, then the
    clamp: GPT-OSS's `clamped_glu` clamps the gate before its own activation). An entry of 0 or null,
    or config.json without the list, leaves a layer unclamped."""

    routed: str = Field(
        description="A `list` size symbol, one limit per layer: the routed experts' (Step-3.7's "
        "`swiglu_limits`), or, without `ffn.experts`, the FFN's."
    )
    shared: str | None = Field(
        None,
        description="With `ffn.experts`: a `list` size symbol, one limit per layer, for the shared expert "
        "and the dense FFN of the layers without experts (Step-3.7's `swiglu_limits_shared`). Default: "
        "those unclamped.",
    )


class FFNSpec(_Strict):
    """The position-wise feed-forward network."""

    kind: Literal["dense", "gated", "none"] = Field(
        "dense",
        description="`dense`: up -> act -> down. `gated`: `act(gate(x)) * up(x)` -> down. `none`: the layer "
        "has no FFN, only its mixing sublayer (Mamba-2's layers: `x + mix(norm(x))`, no `ffn.*` or "
        "`ffn_norm` slots); plain `pre` layers, the other FFN fields unused.",
    )
    activation: Activation | Literal["xielu"] | None = Field(
        None,
        description="The activation (required unless `kind: none`). `gelu` is exact (erf), `gelu_tanh` the tanh approximation, `relu2` the "
        "squared relu (Persimmon, Nemotron). `xielu`: xIELU, with learned parameters of each layer's "
        "(Apertus): `where(x > 0, a_p * x^2 + beta * x, a_n * (expm1(min(x, eps)) - x) + beta * x)`, "
        "`a_p = softplus(alpha_p)` and `a_n = beta + softplus(alpha_n)`, its four tensors bare keys in the "
        "slots `ffn.act.alpha_p`, `ffn.act.alpha_n`, `ffn.act.beta` and `ffn.act.eps`; one FFN per "
        "plain layer (no `experts`, `variants` or `ffn_stack`).",
    )
    activation_config: str | None = Field(
        None,
        description="A config.json key that must agree with `activation` (e.g. `hidden_act`). A "
        "checkpoint whose value differs is rejected at load time, naming both values.",
    )
    size: str = Field("intermediate_size", description="Size symbol of the inner width.")
    bias: bool | Switch = Field(
        True,
        description="The FFN linears carry a bias. Or a switch over a `bool` symbol, as `attention.bias` "
        "(Llama's `mlp_bias`).",
    )
    down_bias: bool | Switch | None = Field(
        None,
        description="The down projection (`ffn.down`) carries a bias, or a switch as `bias`; default: as "
        "`bias` (GTE: a bias on the down projection alone). Not with `ffn_stack`, `variants` or a "
        "`decoder` section.",
    )
    gate_up_order: Literal["gate_first", "up_first", "interleaved"] = Field(
        "gate_first",
        description="Where `ffn.gate` and `ffn.up` name one key: which rows come first (Phi-3's "
        "`gate_up_proj`: `gate_first`; GTE's `up_gate_proj`: `up_first`), or `interleaved`: a gate row, "
        "then an up row, feature by feature (GPT-OSS's `gate_up_proj`, whose bias interleaves alike); "
        "the loader regroups them and export restores the checkpoint's order.",
    )
    clamped_glu: ClampedGluSpec | None = Field(
        None,
        description="A gated FFN's product clamped as GPT-OSS's (see ClampedGluSpec), in place of "
        "`act(gate(x)) * up(x)`. Not with `variants`.",
    )
    glu_limits: GluLimitsSpec | None = Field(
        None,
        description="A gated FFN's activations clamped at a limit of each layer's, read from config.json "
        "lists (see GluLimitsSpec). Not with `clamped_glu`, `variants`, `ffn_stack`, `block.layer_kinds` or a "
        "`decoder`.",
    )
    sub_norm: bool = Field(
        False,
        description="A norm of the model's kind over the inner activations (`size` wide) before the down "
        "projection (slot `ffn.sub_norm`; BitNet's `ffn_sub_norm`). Not with `experts` or `ffn_stack`.",
    )
    experts: ExpertsSpec | None = Field(
        None,
        description="A mixture of experts of this FFN (see ExpertsSpec); plain layers only. Default: one FFN.",
    )
    variant: str | None = Field(
        None,
        description="A `str` size symbol (e.g. bound from `feed_forward_proj`) whose value picks one of "
        "`variants` when the model is constructed; `kind` and `activation` must then describe the variant "
        "its default picks. One generated module holds a class per variant; the weight table maps each "
        "variant's keys under a flag `<symbol>=<value>`.",
    )
    variants: dict[str, FFNVariant] = Field(
        default_factory=dict,
        description="The FFN structures `variant` may select, by config.json value (e.g. `gated-gelu`, `relu`). "
        "A value not listed is rejected at load time, naming the ones that are.",
    )


class BottleneckSpec(_Strict):
    """A layer that runs at a bottleneck width (MobileBERT).

    The layer input x (width) is projected and normed to `size` (the layer
    input inside the block); attention and FFNs run at `size`, their
    residuals add the bottlenecked input; an output projection back to width
    is normed together with x."""

    enabled: bool | Switch = Field(True, description="Use the bottleneck (else the plain block runs).")
    size: str = Field(
        description="Size symbol of the bottleneck width (attention's inner width follows `attention.head_dim`)."
    )
    attention_from_bottleneck: bool | Switch = Field(
        False, description="Queries, keys and values all read the bottlenecked input (takes precedence)."
    )
    shared_query_key: bool | Switch = Field(
        False,
        description="Queries and keys read a second, shared bottleneck of x; values read x at full width. "
        "When `attention_from_bottleneck` wins, its weights are kept unused, as the reference does.",
    )


class FirstLayerConvSpec(_Strict):
    """A convolution beside the first layer (DeBERTa-v2-xlarge's `ConvLayer`): the stack's input
    (the embeddings) goes through a 1-D convolution over the slots (`kernel` wide, padded to keep
    the length, in `groups`), padding slots zeroed, then `activation`; the sum of that and the
    first layer's output is normed by a norm of the model's kind (slot `conv_norm`, the convolution
    slot `conv`) and padding zeroed again; the other layers read that. A convolution reads the
    slots beside each token, so such a model runs `run_batch` in length buckets, never packed rows.
    Bidirectional stacks only (no causal head, no `decoder`)."""

    when: str | None = Field(
        None,
        description="A `bool` size symbol: the convolution exists only when it is true (DeBERTa-v2: "
        "`conv_kernel_size > 0`). Default: always.",
    )
    kernel: str = Field(description="An int size symbol: the kernel width, odd (`conv_kernel_size`).")
    groups: str | None = Field(
        None, description="An int size symbol: the convolution's groups (`conv_groups`). Default: 1."
    )
    activation: Activation | Switch = Field(
        "tanh",
        description="The activation after the convolution, or a switch over a `str` symbol whose cases "
        "name activations (DeBERTa-v2's `conv_act`: `{switch: conv_act, cases: {gelu: gelu, tanh: tanh}}`).",
    )


class LayerKindsSpec(_Strict):
    """Stacks whose every layer is one sublayer between a pre-norm (`attn_norm`) and the residual
    sum, `x + sublayer(attn_norm(x))`: attention (the `attn.*` slots), state-space mixing
    (`ssm.*`, with `attention.mixing: state_space`), a dense FFN (`ffn.up`/`ffn.down`, or with
    experts `ffn.dense.*` at `dense_size`) or the experts (`ffn.*` with `ffn.experts`), by a
    config.json list with one entry per layer (Nemotron-H's `layers_block_type`). No `ffn_norm`;
    plain `pre` layers. An entry none of the four lists names is refused when the model is built."""

    types: str = Field(description="A `list` size symbol with one entry per layer.")
    attention: list[str] = Field(
        ["full_attention", "attention"], description="The entries of attention layers."
    )
    state_space: list[str] = Field(
        ["linear_attention", "mamba"], description="The entries of state-space layers."
    )
    ffn: list[str] = Field(["mlp"], description="The entries of dense FFN layers.")
    experts: list[str] = Field(["moe"], description="The entries of the experts' layers.")
    dense_size: str | None = Field(
        None,
        description="With `ffn.experts`: an int size symbol, the dense FFN layers' width (`ffn.size` is "
        "the experts'). Default: `ffn.size`.",
    )


class ResidualWeights(_Strict):
    """A residual sum's two weights: `residual * x + output * sublayer(...)`."""

    residual: str = Field(description="A float size symbol: the weight of the residual stream's term.")
    output: str = Field(description="A float size symbol: the weight of the sublayer's output.")


class ResidualWeightsSpec(_Strict):
    """Weights on each residual sum (MiniMax's `*_alpha_factor` on the residual, `*_beta_factor` on
    the sublayer's output), by the sublayer: the attending layers' attention, the state-space
    layers' mixing (where `state_space.layers` builds a hybrid stack), the FFN. A sublayer without
    an entry sums plainly."""

    attention: ResidualWeights | None = Field(None, description="The attention sublayer's weights.")
    state_space: ResidualWeights | None = Field(
        None, description="The state-space mixing sublayer's weights."
    )
    ffn: ResidualWeights | None = Field(None, description="The FFN sublayer's weights.")


class NormGateSpec(_Strict):
    """A gate on a norm's output: `y * sigmoid(up(act(down(y))))`, `y` the norm's output, `down` (width
    -> `rank`) and `up` (`rank` -> width) bias-free linears, the sigmoid in fp32 (A.X-K2's
    `GatedRMSNorm`, Megatron's `GatedNormWrapper`). The gated norms' slots `attn_norm_gate.down`,
    `attn_norm_gate.up`, `ffn_norm_gate.down` and `ffn_norm_gate.up` are keyed relative to the layer;
    in the module the norm and its gate are one module (`attn_norm.norm`, `attn_norm.down`,
    `attn_norm.up`). Plain sequential layers with `placement: pre` (no bottleneck, `parallel`,
    `layer_kinds`, `ffn_stack` or `decoder` section)."""

    rank: str = Field(description="An int size symbol: the gate's inner width (A.X-K2's `gated_norm_rank`).")
    activation: Activation = Field("silu", description="The gate's inner activation (as `ffn.activation`).")
    attn_norm: Literal["all", "expert_layers", "none"] = Field(
        "all",
        description="Which layers gate their `attn_norm`: every layer, the layers with experts "
        "(`ffn.experts.layers`), or none.",
    )
    ffn_norm: Literal["all", "expert_layers", "none"] = Field(
        "all",
        description="Which layers gate their `ffn_norm`, as `attn_norm` (A.X-K2: `expert_layers`).",
    )


class BlockSpec(_Strict):
    """One transformer layer: where norms sit around attention and FFN."""

    placement: Literal["post", "pre", "sublayer", "sandwich"] = Field(
        description="`post`: `norm(x + sublayer(x))` (BERT). `pre`: `x + sublayer(norm(x))`, usually with "
        "`final_norm` (GPT/T5/PreLN). `sublayer`: `x + norm(sublayer(x))`, each sublayer's output normed "
        "before the residual sum and the layer input never (OLMo2's `post_attention_layernorm` and "
        "`post_feedforward_layernorm` in the `attn_norm` and `ffn_norm` slots), usually with `final_norm`. "
        "`sandwich`: `x + out_norm(sublayer(norm(x)))`, both (Gemma 2: `attn_norm` and `ffn_norm` before "
        "each sublayer, the slots `attn_out_norm` and `ffn_out_norm` after it). `sublayer` and `sandwich` "
        "are for plain sequential layers only (no bottleneck, `decoder` section, cross-attention or "
        "`parallel`)."
    )
    parallel: bool | Switch = Field(
        False,
        description="With `placement: pre`: attention and FFN both read the layer input, "
        "`x + attn(attn_norm(x)) + ffn(ffn_norm(x))`, instead of the FFN reading attention's output "
        "(GPT-NeoX, GPT-J, Phi). A switch picks it per checkpoint (GPT-NeoX's `use_parallel_residual`). "
        "Plain layers only: no bottleneck, FFN stack or cross-attention.",
    )
    shared_norm: bool = Field(
        False,
        description="With `parallel: true`: attention and FFN read one norm, `x + attn(h) + ffn(h)` with "
        "`h = attn_norm(x)`, and there is no `ffn_norm` slot (Phi, GPT-J).",
    )
    final_norm: bool = Field(False, description="Apply the backbone's norm after the last layer.")
    first_layer_conv: FirstLayerConvSpec | None = Field(
        None, description="A convolution beside the first layer (see FirstLayerConvSpec). Default: none."
    )
    zero_padding: bool = Field(
        False,
        description="Padding (slots the attention mask drops) leaves every layer as zeros (XLM multiplies "
        "each layer's output by the mask); outputs at padding then match the reference's too. For "
        "bidirectional stacks, as `embeddings.zero_padding`.",
    )
    first_attn_norm: bool = Field(
        True,
        description="With `placement: pre`: layer 0 norms its input before attention. `false`: layer 0's "
        "attention reads the embeddings as they are (already normed by `embeddings.norm`), and its "
        "`attn_norm` slot reads no checkpoint key (ModernBERT); the other layers keep theirs.",
    )
    residual_scale: str | None = Field(
        None,
        description="A float size symbol each sublayer's output is multiplied by before the residual sum, "
        "`x + r * attn(attn_norm(x))` (Granite's `residual_multiplier`); with `placement: sandwich`, its "
        "normed output, `x + r * attn_out_norm(attn(attn_norm(x)))` (HyperCLOVA X). Sequential `pre` "
        "or `sandwich` layers only.",
    )
    depth_scaled_residuals: bool = Field(
        False,
        description="Each residual sum weighs its two terms by its depth, keeping the stream's variance: "
        "the k-th sum of the stack (k = 2l + 2 for layer l's attention, 2l + 3 for its FFN, l from 0) is "
        "`out / sqrt(k) + x * sqrt((k - 1) / k)`, `out` the sublayer's output (its normed output with "
        "`placement: sandwich`) and `x` the residual (Beam's `depth_scaled_residual_add`). This is the "
        "stream of plain sums scaled by `1 / sqrt(k)`, which norms before every sublayer undo up to their "
        "epsilon: the layers' outputs (`output_hidden_states`) show it, a head's barely. Sequential "
        "`pre` or `sandwich` layers with an FFN only; not with `residual_scale`.",
    )
    output_norms: bool | Switch = Field(
        True,
        description="With `placement: sandwich`: the sublayers' output norms exist. A switch: only when "
        "config.json says so (HyperCLOVA X's `use_post_norm`); otherwise they pass their input through, "
        "the layers are pre-norm, and their slots read no keys.",
    )
    norm_gate: NormGateSpec | None = Field(
        None,
        description="Gates on the norms before attention and the FFN (see NormGateSpec). Default: none.",
    )
    sublayer_when: str | None = Field(
        None,
        description="With `placement: pre`: a `bool` size symbol; when it is true the layers norm each "
        "sublayer's output instead of its input, `x + norm(f(x))` (placement `sublayer`, through the same "
        "`attn_norm` and `ffn_norm` slots): Chameleon's `swin_norm`. Plain sequential layers of attention and "
        "an FFN (no `parallel`, residual knobs, norm gates, bottleneck, `layer_kinds`, `ffn_stack`, "
        "state-space layers or `decoder` section).",
    )
    residual_gains: bool = Field(
        False,
        description="With `placement: pre`: each residual sum scales the residual feature by feature by a "
        "learned vector, `g * x + f(norm(x))` (slots `attn_residual` and `ffn_residual`, bare `(width,)` "
        "tensors: Doge's `input_residual` and `post_attention_residual`). Sequential layers, as `residual`.",
    )
    residual: Literal["input", "normed"] = Field(
        "input",
        description="With `placement: pre`: what each residual sum adds the sublayer's output to. `input`: "
        "the sublayer's input, `x + f(norm(x))`. `normed`: its normed input, `norm(x) + f(norm(x))` "
        "(MiniMax's layers keep the norm's output as the residual). Sequential layers without "
        "`residual_scale` or `depth_scaled_residuals`.",
    )
    residual_weights: ResidualWeightsSpec | None = Field(
        None,
        description="Weights on each residual sum's two terms, by sublayer (see ResidualWeightsSpec). "
        "Sequential `pre` layers without `residual_scale` or `depth_scaled_residuals`. Default: plain sums.",
    )
    num_layers: str = Field("num_layers", description="Size symbol of the number of layers.")
    layer_groups: str | None = Field(
        None,
        description="Size symbol of the number of distinct layers when layers share weights: the stack "
        "holds that many, and layer `i` of `num_layers` runs group `int(i / (num_layers / layer_groups))` "
        "(ALBERT's `num_hidden_groups`; 1 shares one layer's weights across the stack). The `{i}` of "
        "`keys.layer` then counts groups. Default: every layer has its own weights. Bidirectional stacks "
        "only: not with a causal head (one KV cache per layer) or a `decoder` section.",
    )
    ffn_stack: str | None = Field(
        None,
        description="Size symbol of the number of FFNs per layer: `n - 1` extra FFN + residual + norm blocks "
        "run before the final FFN (MobileBERT's `num_feedforward_networks`).",
    )
    ffn_norm_eps: str | None = Field(
        None, description="Size symbol of the final FFN norm's epsilon, if not the backbone's."
    )
    attn_norm_eps: str | None = Field(
        None,
        description="Size symbol of the attention norm's epsilon, if not the backbone's (JetMoE's layer "
        "norms keep RMSNorm's default 1e-6, its final norm `rms_norm_eps`). Plain sequential layers.",
    )
    bottleneck: BottleneckSpec | None = Field(None, description="Run attention and FFNs at a narrower width.")
    layer_kinds: LayerKindsSpec | None = Field(
        None,
        description="Stacks whose every layer is one sublayer of a kind config.json gives (see "
        "LayerKindsSpec). Default: every layer attention (or state-space mixing) then FFN.",
    )


class PoolerSpec(_Strict):
    """The pooler of the bare model: first token -> dense -> activation."""

    activation: Activation = Field("tanh", description="Activation after the dense layer.")
    dense: bool | Switch = Field(
        True,
        description="With the dense layer and activation; off, the pooled output is the first token itself.",
    )


class IgnoredKey(_Strict):
    """A checkpoint key the loader accepts and drops."""

    key: str = Field(
        description="The key (relative to the base prefix unless it starts with `/`); `{i}` is the layer."
    )
    reason: str = Field(description="Why it is safe to drop; printed by `archgen mapping`.")
    same_as: str | None = Field(
        None,
        description="A key (same base as `key`) this one must equal when both are in a checkpoint: a tied "
        "copy, checked, then dropped.",
    )
    keep: bool = Field(
        False,
        description="Keep the tensor as it was read and write it back on export, so a round trip "
        "reproduces the checkpoint (a table the model computes instead, such as RoFormer's sinusoidal "
        "`embed_positions`).",
    )
    prefix: bool = Field(
        False,
        description="`key` is a prefix: every checkpoint key that starts with it is dropped, however "
        "many there are, none included (multi-token prediction layers the model never runs, Mellum's "
        "`mtp.`, as `transformers` drops them); `{symbol}` in it is an int size's value (GLM-4.5's "
        "`layers.{num_layers}.`, the layer stored after the last), `{i}` each layer. With `keep`, each "
        "such key is kept and written back (a decoder-only BART's unused cross-attention, "
        "`layers.{i}.encoder_attn`). Not with `same_as`.",
    )


class KeySpelling(_Strict):
    """Another spelling of checkpoint keys that the reference reads as well (`transformers`' legacy
    renames: TF-era `LayerNorm.gamma` for `LayerNorm.weight`)."""

    written: str = Field(
        description="The part of a key as some checkpoints write it, e.g. `LayerNorm.gamma`."
    )
    reads_as: str = Field(description="What it stands for in the keys `keys` names, e.g. `LayerNorm.weight`.")


class DecoderSpec(_Strict):
    """The decoder of an encoder-decoder architecture (T5 and BART families).

    The backbone described by the rest of the spec is the encoder. The decoder
    has the same layers with causal self-attention (and a KV cache when
    generating), a cross-attention to the encoder output after it, its own
    final norm, and shares the encoder's word embedding (`embeddings`). Heads with
    `encoder_decoder: true` run both stacks."""

    num_layers: str = Field("num_decoder_layers", description="Size symbol of the number of decoder layers.")
    start_token: str = Field(
        "decoder_start_token_id",
        description="Size symbol of the token that starts every decoder input: labels (or inputs) shifted "
        "right behind it become the decoder's input, with -100 replaced by padding.",
    )
    keys: dict[str, str] = Field(
        description="Checkpoint keys of the decoder stack's slots that differ from `keys`: `layer`, "
        "`final_norm`, the `cross.*` and `cross_norm` slots, and `embeddings.word` (the decoder's tied copy "
        "of the word embedding, accepted when a checkpoint carries it)."
    )
    ignore: list[IgnoredKey] = Field(
        default_factory=list, description="Decoder keys accepted and dropped (by heads that run the decoder)."
    )
    shift: Literal["start_token", "last_kept"] = Field(
        "start_token",
        description="How a head that derives the decoder's input from `labels` or `input_ids` shifts them "
        "right. `start_token`: behind `start_token` (T5, BART). `last_kept`: behind each row's last "
        "non-padding token, its language code (mBART's `shift_tokens_right`); generation still starts "
        "with `start_token`.",
    )
    word_multiplier: bool = Field(
        True,
        description="With `embeddings: own`: `false` leaves the decoder's word embeddings unmultiplied, "
        "whatever `embeddings.multiplier` does to the encoder's (BlenderbotSmall's decoder).",
    )
    norm_at: Literal["sum", "words"] = Field(
        "sum",
        description="With `embeddings: own` and an embedding norm: `words` norms the decoder's word "
        "embeddings before positions are added, not their sum (BlenderbotSmall's decoder).",
    )
    mask_padding: bool = Field(
        False,
        description="Where a call gives no decoder attention mask, the pad tokens of the decoder's input "
        "are masked as keys (`decoder_input_ids != pad_token_id`; FSMT's reference, as fairseq). Default: "
        "every decoder token is attended.",
    )
    vocab: str | None = Field(
        None,
        description="With `embeddings: own`: a size symbol, the rows of a word table of the decoder's own "
        "(FSMT's `tgt_vocab_size`; its key is `embeddings.word` in `keys`), apart from the encoder's "
        "(`vocab`). Decoder inputs and labels are ids of it, an LM head projects onto it (tied to it, "
        "where tied), and generation writes its ids. Unnamed: the decoder reads the encoder's table.",
    )
    embeddings: Literal["shared", "own"] = Field(
        "shared",
        description="`shared`: the decoder embeds its tokens with the encoder's embeddings module (T5: a "
        "word table and nothing else). `own`: the decoder has embeddings of its own, built as `embeddings` "
        "says (position table, embedding norm, scale), whose word table alone is the encoder's (BART's "
        "`decoder.embed_positions` and `decoder.layernorm_embedding`); their slots, `embeddings.position`, "
        "`embeddings.norm` and the rest but the word table, then need `decoder.keys`. The decoder's position "
        "ids count from the first decoder token, across cached steps.",
    )


class HeadLayer(_Strict):
    """One step of a head's layer pipeline."""

    op: Literal["linear", "activation", "norm", "lm_decoder", "squeeze", "scale", "softcap", "bias"] = Field(
        description="`linear`: a dense layer. `activation`: apply `fn`. `norm`: the backbone's norm. "
        "`lm_decoder`: a projection onto the vocabulary whose weight is tied to the word embedding when "
        "`tie_config` says so, plus its own bias. `squeeze`: drop the last dimension, which the layer "
        "before (a `linear` with `out: 1`) made one wide: one logit per token (ELECTRA's discriminator). "
        "`scale`: multiply by the float size symbol `by` (Cohere's `logit_scale`), or divide with "
        "`divide: true` (Granite's `logits_scaling`). `softcap`: `c * tanh(x / c)` for the float size "
        "symbol `by` (Gemma 2's `final_logit_softcapping`), nothing when it is 0 (config.json null). "
        "`bias`: add a learned row as wide as the layer before's output, stored `(1, width)` under its key "
        "itself (BART's `final_logits_bias`, added to the LM logits)."
    )
    name: str | None = Field(None, description="Parameter name; required for layers with weights.")
    out: str | int | None = Field(
        None, description="Size symbol or literal integer of the output width (for `linear`)."
    )
    fn: Activation | Literal["model"] | None = Field(
        None, description="For `activation`: the function, or `model` for the FFN's activation."
    )
    bias: bool | Switch = Field(
        True,
        description="For `linear` and `lm_decoder`: carry a bias. For `lm_decoder`, a switch too: a bias of "
        "its own only when config.json says so (PhiMoE's `lm_head_bias`).",
    )
    by: str | None = Field(None, description="For `scale` and `softcap`: the float size symbol.")
    divide: bool = Field(False, description="For `scale`: divide by `by` instead of multiplying.")
    scale_when_tied: bool = Field(
        False,
        description="For `lm_decoder`: when tied to the word embedding, scale the hidden state by "
        "`width ** -0.5` before the projection (T5); decided when the model is constructed.",
    )
    scale_when: str | None = Field(
        None,
        description="For `lm_decoder`: a `bool` size symbol; when it is true, scale the hidden state by "
        "`width ** -0.5` before the projection, tied or not (T5 as `transformers` 5 builds it, from "
        "`scale_decoder_outputs`). Not with `scale_when_tied`.",
    )
    norm_kind: NormKind | None = Field(
        None, description="For `norm`: this kind instead of the backbone's (eps: the backbone's)."
    )
    extra_rows: bool = Field(
        False,
        description="For `lm_decoder`: when the word embedding is narrower than the hidden width, the "
        "projection is `[embedding.T ; extra]` with an extra `(hidden - embedding, vocab)` weight (MobileBERT). "
        "Its key is `<name>.extra`.",
    )


class HeadBranch(_Strict):
    """A second output of a head, computed from its own input (e.g. next-sentence prediction)."""

    input: Literal["sequence", "first_token", "pooled"] = Field(description="What the branch reads.")
    layers: list[HeadLayer] = Field(description="The branch's layer pipeline.")
    output: str = Field(description="The output field name, e.g. `seq_relationship_logits`.")
    loss: Literal["classification"] = Field(
        "classification", description="`classification`: cross-entropy over the last layer's classes."
    )
    labels: str = Field(
        description="The forward argument holding this branch's labels, e.g. `next_sentence_label`."
    )


class HeadSpec(_Strict):
    """A task head, shared across architectures (``specs/heads/<name>.yaml``)."""

    spec_version: int = Field(description="The spec language version; must be 1.")
    name: str = Field(description="The head's name; must equal the file stem.")
    title: str = Field(description="One line for docs and CLI output.")
    class_suffix: str = Field(
        description="Appended to the architecture's `class_prefix` to form the reference class name that "
        "config.json `architectures` lists (e.g. `ForMaskedLM`)."
    )
    task: str | None = Field(None, description="The `archgen run --task` this head serves, if any.")
    input: Literal[
        "sequence", "first_token", "pooled", "last_token", "last_eos", "mean", "first_kept", "late_mean"
    ] = Field(
        description="What the head reads: every token, the first token, the pooler output, the token at "
        "each row's last position that is not padding (the rightmost `input_ids` other than `pad_token`, "
        "as decoder-only classifiers pick it; rows are then never packed), the token at "
        "each row's last `eos_token` in `input_ids` (rows must hold equally many, at least one; the runtime "
        "rejects other inputs before any compute), the mean of each row's tokens that `attention_mask` "
        "keeps (ModernBERT's `classifier_pooling: mean`; rows are then never packed), or each row's first "
        "token that `attention_mask` keeps (column 0 for a row it keeps none of: ModernBERT's multiple "
        "choice under `classifier_pooling: cls`, which differs from `first_token` on left-padded rows; "
        "rows are then never packed), or every token, the head's output then the mean of its layers' outputs "
        "over the tokens `attention_mask` keeps (`late_mean`: EuroBERT's `classifier_pooling: late`; rows "
        "are then never packed)."
    )
    encoder_decoder: bool = Field(
        False,
        description="The head runs the architecture's encoder-decoder stack (its `decoder` section): the "
        "encoder reads `input_ids`, the decoder reads `decoder_input_ids` and cross-attends, and the head "
        "reads the decoder's output. Outputs also carry `encoder_last_hidden_state`.",
    )
    decoder_input: Literal["given", "input_ids", "labels"] = Field(
        "given",
        description="For `encoder_decoder` heads, the decoder's input when no `decoder_input_ids` are passed: "
        "none (they are required), `input_ids` shifted right, or `labels` shifted right (behind "
        "`decoder.start_token`, -100 replaced by padding).",
    )
    pooler: bool = Field(
        False,
        description="Whether the backbone keeps its pooler in this model. On an architecture without "
        "a `pooler`, a head that keeps it but neither reads it (`input: pooled`, a pooled branch) nor "
        "returns `pooler_output` runs without one; one that does is an error.",
    )
    attention: Literal["bidirectional", "causal"] = Field(
        "bidirectional", description="`causal` makes the backbone a decoder with a KV cache."
    )
    cross_attention_config: str | None = Field(
        None,
        description="For causal heads: a config.json flag that adds cross-attention to every layer "
        "(e.g. `add_cross_attention`).",
    )
    choices: bool = Field(
        False,
        description="Inputs are `(batch, choices, seq)`; flattened in, logits reshaped to `(batch, choices)`.",
    )
    layers: list[HeadLayer] = Field(default_factory=list, description="The head's layer pipeline, in order.")
    outputs: list[
        Literal[
            "last_hidden_state",
            "pooler_output",
            "logits",
            "prediction_logits",
            "start_logits",
            "end_logits",
            "encoder_last_hidden_state",
        ]
    ] = Field(
        description="Output fields. `start_logits`/`end_logits` split the last layer's two channels; "
        "`prediction_logits` names the logits as a pre-training head does; `encoder_last_hidden_state` is "
        "the encoder's output of an `encoder_decoder` head."
    )
    branches: list[HeadBranch] = Field(
        default_factory=list,
        description="Further outputs from their own inputs. With labels for every branch and the main "
        "output, the loss is their sum (as pre-training heads do).",
    )
    loss: Literal[
        "none",
        "masked_lm",
        "causal_lm",
        "sequence_classification",
        "token_classification",
        "span",
        "multiple_choice",
        "classification",
        "seq2seq_lm",
        "token_binary",
    ] = Field(
        "none",
        description="The loss computed when labels are given; -100 labels are ignored throughout, "
        "`causal_lm` shifts by one, `sequence_classification` follows `problem_type`, `span` clamps "
        "positions and averages start and end, `classification` is cross-entropy over the classes, "
        "`seq2seq_lm` scores each decoder position against its label (the decoder reads the labels shifted "
        "right, so no shift), `token_binary` is binary cross-entropy of each token's one logit against its "
        "0/1 label, over the tokens `attention_mask` keeps (ELECTRA's replaced-token detection).",
    )
    prefixed: bool = Field(
        True,
        description="Backbone keys sit under the architecture's `base_prefix` (false for the bare model).",
    )
    keys: dict[str, str] = Field(
        default_factory=dict,
        description="Checkpoint key (without `.weight`/`.bias`) for each named layer. An architecture may "
        "override entries under `heads.<name>.keys`.",
    )
    ignore: list[IgnoredKey] = Field(default_factory=list, description="Head keys accepted and dropped.")
    reference_config: dict[str, int | float | str | bool] = Field(
        default_factory=dict,
        description="config.json values the reference needs for this head (e.g. `is_decoder: true` for a "
        "causal LM); used by `archgen verify` and the tests when they build a reference model.",
    )


class HeadOverride(_Strict):
    """An architecture's use of a head: the head as-is, or with its keys renamed."""

    keys: dict[str, str] = Field(default_factory=dict, description="Key overrides for this architecture.")
    class_suffix: str | None = Field(
        None,
        description="Replace the head's class suffix (e.g. `LMHeadModel` where the reference names it so).",
    )
    layers: list[HeadLayer] | None = Field(None, description="Replace the head's layer pipeline.")
    input: (
        Literal["sequence", "first_token", "pooled", "last_token", "mean", "first_kept", "late_mean"]
        | Switch
        | None
    ) = Field(
        None,
        description="Replace the head's input. Or a switch over a `str` symbol whose cases name "
        "`first_token`, `first_kept`, `mean` or `late_mean`: config.json picks how a sequence is pooled (ModernBERT's "
        "`classifier_pooling`: `{switch: classifier_pooling, cases: {cls: first_token, mean: mean}}`); "
        "a value not among the cases is refused when the model is built.",
    )
    ignore: list[IgnoredKey] = Field(default_factory=list, description="Extra keys accepted and dropped.")
    base_prefix: str | None = Field(
        None,
        description="The backbone's key prefix in this head's checkpoints, where it is not the "
        "architecture's `base_prefix` (Llama's question answering keeps its backbone under `transformer`).",
    )
    prefixed: bool | None = Field(
        None,
        description="Replace the head's `prefixed`: whether this architecture's checkpoints of the head keep "
        "the backbone under `base_prefix` (BART's LM and question answering do, T5's do not).",
    )
    attention: Literal["bidirectional", "causal"] | None = Field(
        None,
        description="Replace the head's attention: a decoder-only architecture's bare model and "
        "classifiers attend causally (OPT).",
    )
    decoder_input: Literal["given", "input_ids", "labels"] | None = Field(
        None,
        description="Replace an `encoder_decoder` head's `decoder_input`: what its decoder reads when no "
        "`decoder_input_ids` are passed (FSMT's LM reads `input_ids` shifted, as its reference does).",
    )
    cross_attention: bool = Field(
        True,
        description="`false`: this architecture's decoder never cross-attends, whatever the head's "
        "`cross_attention_config` (a decoder-only LM such as OPT); its `cross.*` slots need no keys.",
    )


class ReferenceSpec(_Strict):
    """How `archgen verify` and the tests build a reference model with `transformers`."""

    config_class: str = Field(description="The `transformers` config class, e.g. `XLMRobertaConfig`.")
    tiny: dict[str, int | float | str | bool | list | dict] = Field(
        description="config.json values for a tiny reference model (also the example config used by "
        "`archgen validate` to shape-check the spec); a list too, for config keys that hold one "
        "(GPT-Neo's `attention_types`)."
    )
    padding_outputs: Literal["compared", "ignored"] = Field(
        "compared",
        description="Whether the reference's per-token outputs at padding slots are compared with archgen's. "
        "`ignored` where the reference computes a padding slot from the real tokens before it and archgen's "
        "padding reads nothing (Bailing's linear attention: a right-padding slot's convolution reaches the "
        "real tokens, and its sigmoid output gate is 1/2, not 0, at a zeroed input): `archgen verify` and the "
        "tests then compare per-token outputs at real tokens alone. Outputs at padding feed nothing real "
        "either way.",
    )


class ArchSpec(_Strict):
    """An architecture (``specs/<name>.yaml``)."""

    spec_version: int = Field(description="The spec language version; must be 1.")
    name: str = Field(
        description="The architecture's name; must equal the file stem. Names the generated module."
    )
    extends: str | None = Field(
        None,
        description="A spec this one is a delta of: a file stem in the same folder, else in `specs/`. "
        "Mappings merge key by key; lists and scalars replace; `null` deletes. A `sizes` entry "
        "that names its source (`config`, `count_of`, `expr` or `value`) replaces the inherited "
        "entry's source, with its `default` and `fallback`, and keeps its `kind`.",
    )
    abstract: bool = Field(
        False, description="An abstract spec only serves as a base; nothing is generated for it."
    )
    title: str = Field(description="Human name, used in the module docstring.")
    model_types: list[str] = Field(description="config.json `model_type` values that select this spec.")
    class_prefix: str = Field(description="Prefix of the reference class names, e.g. `XLMRoberta`.")
    base_prefix: str = Field(
        description="Checkpoint key prefix of the backbone inside head models, e.g. `roberta`."
    )
    sizes: dict[str, SizeSpec] = Field(description="Size symbols, bound from config.json.")
    constraints: list[Constraint] = Field(
        default_factory=list,
        description="Rules a config.json must satisfy; a checkpoint that breaks one is rejected.",
    )
    pad_token: str = Field("pad_token_id", description="Size symbol of the padding token id.")
    vocab: str = Field("vocab_size", description="Size symbol of the vocabulary size.")
    norm: NormSpec
    embeddings: EmbeddingsSpec
    attention: AttentionSpec
    ffn: FFNSpec
    block: BlockSpec
    pooler: PoolerSpec | None = Field(None, description="The bare model's pooler; omit for none.")
    decoder: DecoderSpec | None = Field(
        None,
        description="Makes the architecture an encoder-decoder: the backbone is the encoder, this is the "
        "decoder. Omit for encoder (or decoder) only architectures.",
    )
    eos_token: str = Field(
        "eos_token_id",
        description="Size symbol of the end-of-sequence token id, used by `last_eos` heads and by generation "
        "of `encoder_decoder` heads; declared only where used.",
    )
    tie_config: str | None = Field(
        "tie_word_embeddings",
        description="config.json flag (default true) that ties `lm_decoder` weights to the word embedding; "
        "a bool size symbol of the same name decides it where a spec declares one, its own default "
        "included (FSMT's and RemBERT's configs are untied when they say nothing).",
    )
    heads: dict[str, HeadOverride | None] = Field(
        description="The heads this architecture offers: head spec name -> overrides (or nothing)."
    )
    keys: dict[str, str] = Field(
        description="Checkpoint key (without `.weight`/`.bias`, relative to `base_prefix`) for each backbone "
        "slot. `layer` is the layer prefix containing `{i}`; slots under a layer are relative to it. An empty "
        "`layer` says the checkpoint groups each kind of sublayer in a list of its own (XLM's "
        "`attentions.{i}`, `ffns.{i}`): every layer slot's key then holds `{i}` itself. "
        "`attn.q`, `attn.k` and `attn.v` may name one key: it then holds the three concatenated, in that "
        "order (GPT-2's `c_attn`; with grouped-query attention, all queries, then the key heads, then the "
        "value heads, as Phi-3's `qkv_proj` and GPT-BigCode's multi-query `c_attn`); under grouped-query attention `attn.k` and `attn.v` may name one key apart from `attn.q`'s, keys then values (JetMoE's `kv_proj`). `ffn.gate` and `ffn.up` "
        "may name one key too, gate rows first (Phi-3's `gate_up_proj`). A key that several parameters "
        "load is a `split` entry of the table: its rows cut at each parameter's size on load, "
        "concatenated again on export."
    )
    transposed: list[str] = Field(
        default_factory=list,
        description="Linear slots whose checkpoint weight is stored `(in, out)`, the transpose of "
        "`nn.Linear`'s `(out, in)` (GPT-2's `Conv1D`): loaded as a transposed view, exported transposed back.",
    )
    unit_dims: dict[str, list[int]] = Field(
        default_factory=dict,
        description="Bare tensor slots (`ssm.A_log`, `ssm.dt_bias`, ...) whose checkpoint tensor holds "
        "dimensions of size 1 beyond the parameter's, slot -> their positions in the stored shape (Kimi "
        "Linear's `A_log`, stored `(1, 1, heads, 1)`: `{ssm.A_log: [0, 1, 3]}`): loading views them away, "
        "export puts them back.",
    )
    conv_weights: dict[str, str] = Field(
        default_factory=dict,
        description="Linear slots whose checkpoint weight is a 1x1 convolution's, slot -> an int size "
        "symbol of its `groups`: stored `(out, in / groups, 1)` (SqueezeBERT's `Conv1d` layers, "
        "`q_groups` and so on). A grouped weight loads as the block-diagonal dense weight it computes "
        "(`groups` blocks: exact, at `groups` times the grouped form's multiplications) and exports as "
        "its blocks again; a dense weight with non-zero entries off its blocks is refused on export, "
        "by key. Plain layers' slots, not split keys, stacked experts or `transposed` slots.",
    )
    grouped_rows: dict[str, str] = Field(
        default_factory=dict,
        description="Slots that share one checkpoint key whose rows fall in groups, slot -> an int size "
        "symbol of the group count: each of the `groups` groups holds each sharing slot's `rows / groups` "
        "rows in turn, in the slots' order (Qwen3-Next's `in_proj_qkvz`: per key head, its query, its key, "
        "its value heads' values and gates: `ssm.q`, `ssm.k`, `ssm.v`, `ssm.gate`; its `q_proj`: per head, "
        "the query's rows then the output gate's, `attn.q` and `attn.gate`). Loading reorders the rows "
        "into each slot's (a copy); export restores the checkpoint's order. Every slot sharing the key is "
        "listed, with one symbol.",
    )
    ignore: list[IgnoredKey] = Field(default_factory=list, description="Backbone keys accepted and dropped.")
    key_spellings: list[KeySpelling] = Field(
        default_factory=list,
        description="Other spellings of checkpoint keys, read as the keys they stand for (a key holding "
        "`written` is read as the key with `reads_as` in its place); a checkpoint holding both spellings of "
        "one key is refused, naming both. `save_pretrained` writes each key as the checkpoint spelled it "
        "(ESM: `transformers` 5 saves its `LayerNorm` weights as `gamma` and `beta`, older checkpoints as "
        "`weight` and `bias`).",
    )
    reference: ReferenceSpec | None = Field(
        None, description="How to build a reference model for verification."
    )
