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
    "EmbeddingsSpec",
    "FFNSpec",
    "HeadBranch",
    "HeadLayer",
    "HeadOverride",
    "HeadSpec",
    "IgnoredKey",
    "NormSpec",
    "PoolerSpec",
    "PositionSpec",
    "ReferenceSpec",
    "SizeSpec",
    "Switch",
]

#: The version of the spec language this compiler reads. A spec with another
#: version is rejected with a pointer to the migration notes in the README.
SPEC_VERSION = 1

Activation = Literal["gelu", "gelu_tanh", "relu", "tanh", "silu"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SizeSpec(_Strict):
    """A size symbol: one constructor argument of the generated model.

    Exactly one of ``config`` or ``expr`` is given."""

    config: str | None = Field(
        None, description="The config.json key this symbol is read from, e.g. `hidden_size`."
    )
    default: int | float | bool | str | None = Field(
        None,
        description="The value used when config.json lacks the key. Without a default the key is required.",
    )
    count_of: str | None = Field(
        None,
        description="Fallback: the symbol is the number of entries of this config.json mapping "
        "(e.g. `num_labels` from `id2label`) when `config` is absent.",
    )
    expr: str | None = Field(
        None,
        description="An expression over other symbols: `+ - * //`, parentheses, comparisons, `and`/`or`/`not` "
        "and `A if COND else B`, e.g. `hidden_size // num_heads` or "
        "`intra_bottleneck_size if use_bottleneck else hidden_size`. Evaluated when the config is bound; "
        "`//` must divide exactly.",
    )
    value: int | float | bool | str | None = Field(
        None,
        description="A constant (e.g. the 1e-5 epsilon a reference norm uses regardless of config.json).",
    )
    kind: Literal["int", "float", "bool", "str"] = Field(
        "int",
        description="The symbol's type. `bool` and `str` symbols are structural switches read from "
        "config.json; knobs name them with `{switch: symbol}`.",
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

    kind: Literal["layer_norm", "rms_norm", "no_norm"] | Switch = Field(
        description="`layer_norm`: mean/variance with weight and bias. `rms_norm`: no mean, no bias, "
        "variance in fp32 then cast back (T5). `no_norm`: `x * weight + bias` (MobileBERT). Or a switch "
        "over a `str` symbol whose cases name these kinds (`{switch: normalization_type, cases: ...}`)."
    )
    eps: str | None = Field(
        None, description="The size symbol holding epsilon (required for layer_norm and rms_norm)."
    )


class PositionSpec(_Strict):
    """How token positions enter the model."""

    kind: Literal["none", "learned"] = Field(
        description="`learned`: an absolute position table added to the embeddings. `none`: no position "
        "table (relative schemes live in attention)."
    )
    ids: Literal["sequential", "padding_offset"] = Field(
        "sequential",
        description="`sequential`: ids 0..n-1 (BERT). `padding_offset`: padding-aware ids "
        "`cumsum(non_pad) * non_pad + pad_token_id`, so real tokens start at `pad_token_id + 1` and "
        "padding keeps the padding row (RoBERTa/fairseq).",
    )
    size: str = Field("max_positions", description="The size symbol holding the number of table rows.")


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
        description="Concatenate the next, current and previous token's word embeddings (zero at the ends) "
        "before the transform: input width becomes 3 * `input_width`.",
    )
    transform: bool | Switch = Field(
        False,
        description="A linear map from the (trigram) word width to `width`. A switch that is off keeps the "
        "weights, unused, as the reference does.",
    )
    norm_eps: str | None = Field(
        None, description="Size symbol of this norm's epsilon, if not the backbone's."
    )
    token_type: bool = Field(True, description="Add a token-type (segment) embedding table.")
    token_type_size: str = Field("type_vocab_size", description="Size symbol of the token-type table rows.")
    position: PositionSpec = Field(description="The position scheme.")
    norm: bool = Field(True, description="Normalise the summed embeddings with the backbone's norm.")
    padding_row: bool = Field(
        True,
        description="The word (and learned position) table reserves `pad_token_id` as its padding row; "
        "purely documentary for inference, recorded in the generated module.",
    )


class AttentionSpec(_Strict):
    """Multi-head attention."""

    scale: Literal["inverse_sqrt_head_dim", "none"] = Field(
        "inverse_sqrt_head_dim",
        description="`inverse_sqrt_head_dim`: scores are scaled by 1/sqrt(head_dim). `none`: no scaling "
        "(T5 folds it into the initialisation).",
    )
    bias: bool = Field(True, description="q/k/v/o projections carry a bias.")
    head_dim: str = Field(
        "head_dim", description="Size symbol of the per-head width; inner width is `num_heads * head_dim`."
    )
    num_heads: str = Field("num_heads", description="Size symbol of the number of heads.")


class FFNSpec(_Strict):
    """The position-wise feed-forward network."""

    kind: Literal["dense", "gated"] = Field(
        "dense",
        description="`dense`: up -> act -> down. `gated`: `act(gate(x)) * up(x)` -> down.",
    )
    activation: Activation = Field(
        description="The activation. `gelu` is exact (erf), `gelu_tanh` the tanh approximation."
    )
    activation_config: str | None = Field(
        None,
        description="A config.json key that must agree with `activation` (e.g. `hidden_act`). A "
        "checkpoint whose value differs is rejected at load time, naming both values.",
    )
    size: str = Field("intermediate_size", description="Size symbol of the inner width.")
    bias: bool = Field(True, description="The FFN linears carry a bias.")


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


class BlockSpec(_Strict):
    """One transformer layer: where norms sit around attention and FFN."""

    placement: Literal["post", "pre"] = Field(
        description="`post`: `norm(x + sublayer(x))` (BERT). `pre`: `x + sublayer(norm(x))`, usually with "
        "`final_norm` (GPT/T5/PreLN)."
    )
    final_norm: bool = Field(False, description="Apply the backbone's norm after the last layer.")
    num_layers: str = Field("num_layers", description="Size symbol of the number of layers.")
    ffn_stack: str | None = Field(
        None,
        description="Size symbol of the number of FFNs per layer: `n - 1` extra FFN + residual + norm blocks "
        "run before the final FFN (MobileBERT's `num_feedforward_networks`).",
    )
    ffn_norm_eps: str | None = Field(
        None, description="Size symbol of the final FFN norm's epsilon, if not the backbone's."
    )
    bottleneck: BottleneckSpec | None = Field(None, description="Run attention and FFNs at a narrower width.")


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


class HeadLayer(_Strict):
    """One step of a head's layer pipeline."""

    op: Literal["linear", "activation", "norm", "lm_decoder"] = Field(
        description="`linear`: a dense layer. `activation`: apply `fn`. `norm`: the backbone's norm. "
        "`lm_decoder`: a projection onto the vocabulary whose weight is tied to the word embedding when "
        "`tie_config` says so, plus its own bias."
    )
    name: str | None = Field(None, description="Parameter name; required for layers with weights.")
    out: str | int | None = Field(
        None, description="Size symbol or literal integer of the output width (for `linear`)."
    )
    fn: Activation | Literal["model"] | None = Field(
        None, description="For `activation`: the function, or `model` for the FFN's activation."
    )
    bias: bool = Field(True, description="For `linear`: carry a bias.")
    norm_kind: Literal["layer_norm", "rms_norm", "no_norm"] | None = Field(
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
    input: Literal["sequence", "first_token", "pooled"] = Field(
        description="What the head reads: every token, the first token, or the pooler output."
    )
    pooler: bool = Field(False, description="Whether the backbone keeps its pooler in this model.")
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
            "last_hidden_state", "pooler_output", "logits", "prediction_logits", "start_logits", "end_logits"
        ]
    ] = Field(
        description="Output fields. `start_logits`/`end_logits` split the last layer's two channels; "
        "`prediction_logits` names the logits as a pre-training head does."
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
    ] = Field(
        "none",
        description="The loss computed when labels are given; -100 labels are ignored throughout, "
        "`causal_lm` shifts by one, `sequence_classification` follows `problem_type`, `span` clamps "
        "positions and averages start and end, `classification` is cross-entropy over the classes.",
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
    input: Literal["sequence", "first_token", "pooled"] | None = Field(
        None, description="Replace the head's input."
    )
    ignore: list[IgnoredKey] = Field(default_factory=list, description="Extra keys accepted and dropped.")


class ReferenceSpec(_Strict):
    """How `archgen verify` and the tests build a reference model with `transformers`."""

    config_class: str = Field(description="The `transformers` config class, e.g. `XLMRobertaConfig`.")
    tiny: dict[str, int | float | str | bool] = Field(
        description="config.json values for a tiny reference model (also the example config used by "
        "`archgen validate` to shape-check the spec)."
    )


class ArchSpec(_Strict):
    """An architecture (``specs/<name>.yaml``)."""

    spec_version: int = Field(description="The spec language version; must be 1.")
    name: str = Field(
        description="The architecture's name; must equal the file stem. Names the generated module."
    )
    extends: str | None = Field(
        None,
        description="A spec (file stem in the same folder) this one is a delta of. Mappings merge key by "
        "key; lists and scalars replace; `null` deletes.",
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
    tie_config: str | None = Field(
        "tie_word_embeddings",
        description="config.json flag (default true) that ties `lm_decoder` weights to the word embedding.",
    )
    heads: dict[str, HeadOverride | None] = Field(
        description="The heads this architecture offers: head spec name -> overrides (or nothing)."
    )
    keys: dict[str, str] = Field(
        description="Checkpoint key (without `.weight`/`.bias`, relative to `base_prefix`) for each backbone "
        "slot. `layer` is the layer prefix containing `{i}`; slots under a layer are relative to it."
    )
    ignore: list[IgnoredKey] = Field(default_factory=list, description="Backbone keys accepted and dropped.")
    reference: ReferenceSpec | None = Field(
        None, description="How to build a reference model for verification."
    )
