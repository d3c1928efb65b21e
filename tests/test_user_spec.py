"""Architectures outside specs/ need only a spec: BERT, DistilBERT, ELECTRA, OPT, GPT-2,
XLM-RoBERTa-XL, Llama, Qwen2, Mistral, Mixtral, OLMoE, Qwen3-MoE, Qwen2-MoE, Gemma, Gemma 2, Gemma 3, Qwen3, Phi, GPT-NeoX, GPT-J, ALBERT,
BLOOM, Phi-3, GPT-BigCode, Starcoder2, StableLM, OLMo, OLMo 2, Persimmon, Granite, GraniteMoE (and shared),
Cohere, Cohere 2, Falcon, Nemotron, MPT, RoFormer, BioGPT, RoBERTa, Data2Vec (text), Arcee,
SmolLM3, OLMo 3, Ministral, Helium, HunYuan (dense and MoE), ERNIE 4.5 (and MoE), GLM-4.5 (MoE), dots.llm1, FlexOlmo, Solar Open, Mellum, K-EXAONE, Cohere 2 MoE, Seed-OSS, EXAONE 4.0, VaultGemma, GLM,
ModernBERT, GLM-4, MPNet and GPT-Neo, from tests/fixtures/.

BERT differs from the RoBERTa family in its position ids (sequential), pad id,
key prefix and head layouts (`cls.predictions.*`, a pooled sequence
classifier, `BertLMHeadModel`). DistilBERT differs in its config.json names
(`dim`, `n_heads`, ...), a fixed epsilon, no token types, no pooler, its key
layout, and heads that read the first token through a ReLU pre-classifier.
ELECTRA sums and norms its embeddings at `embedding_size` and projects them to
`hidden_size` only where the two differ (`transform_at: sum`, a switch with
`unused: false`), with generator heads at `embedding_size`. OPT is a
decoder-only LM: every head attends causally, and its classifier reads each
row's last non-padding token. GPT-2 is one too, whose checkpoint stores its
projections transposed (`Conv1D`) and q/k/v in one key. XLM-RoBERTa-XL is
RoBERTa-PreLayerNorm without an embedding norm, its norms under other keys.
Llama has rotary positions, grouped-query attention, RMSNorm and a SwiGLU FFN;
Qwen2 is Llama with q/k/v biases and none on the output projection (and a
sliding window on the layers `layer_types` marks, as Qwen3), Mistral
Llama with a causal sliding window, Mixtral Mistral with a mixture of experts
for each FFN (OLMoE and Qwen3-MoE have one too; Qwen2-MoE adds a shared expert that
every token goes through, weighted by a sigmoid gate; both Qwen MoEs may have layers with a
dense FFN among the experts), Gemma Llama with scaled embeddings, `1 +
weight` RMSNorms and a tied LM head, Gemma 2 Gemma with each sublayer's
input and output normed, capped scores and logits and a window on alternate
layers, Qwen3 Llama with an RMSNorm over each
head's queries and keys. Phi runs attention and FFN side by side on one
LayerNorm, rotates part of each head's features and may norm its queries and
keys (a config switch); GPT-NeoX runs them side by side or not (a switch), on
two norms, with q/k/v in one key whose rows are grouped by head. GPT-J runs
them side by side on one norm and turns adjacent features together. ALBERT
sums its embeddings at `embedding_size`, always projects them, and shares its
layers' weights among `num_hidden_groups` groups, with a pre-training head of
its own (a user head spec: sentence-order prediction). BLOOM has ALiBi
positions (a per-head bias on each key's position, no table), a normed word
embedding and q/k/v grouped by head. Phi-3 is Mistral with q/k/v in one key
under grouped-query attention and the FFN's gate and up in one key (the table
splits each), GPT-BigCode GPT-2 with multi-query attention in one `c_attn`. Starcoder2 is
Mistral with LayerNorms, biases and a plain FFN (no new knob); StableLM Llama
with LayerNorms, partial rotary and q/k/v biases that a config switch turns on;
OLMo 2 Llama with its norms after each sublayer and RMSNorms over all queries and
all keys; Persimmon GPT-NeoX with sequential layers, switched per-head query/key
norms and the squared relu; Granite Llama with four config multipliers (word
embeddings, residual branches, attention scores, logits), GraniteMoE Granite with a mixture
of experts whose checkpoint stacks each layer's experts in one tensor per key (and, as
GraniteMoeShared, an ungated shared expert); Cohere Llama with
attention and FFN side by side on one bias-free LayerNorm, adjacent rotary pairs
and scaled logits; Falcon (7B) attention and FFN side by side on one norm with
multi-query attention in one key and switched biases (its new decoder architecture,
Falcon-40B's, on two norms or one, with grouped-query attention whose key orders q/k/v per
key/value head); Nemotron Llama with
`1 + weight` LayerNorms, the squared relu, partial rotary and switched biases;
MPT has ALiBi positions counted by slot, bias-free LayerNorms and no biases;
RoFormer is a BERT-style encoder whose only positions are rotary; BioGPT is OPT
with sequential positions two rows into the table and a `sqrt(hidden_size)`
embedding scale; RoBERTa and Data2Vec (text) are the RoBERTa family under their
names, Arcee Llama with a plain squared-relu FFN and switched biases. OLMo is
Llama with parameterless LayerNorms and queries, keys and values clamped to
`clip_qkv` (OLMoE clamps them too); SmolLM3 Llama with no positions in the layers
`no_rope_layers` marks 0; Cohere 2 Cohere whose windowed layers alone take rotary
positions, the others none; Gemma 3 (text) Gemma 2 with per-head query/key norms, no
score cap, and RoPE parameters per layer type (and, as EmbeddingGemma, every head
bidirectional with its window on both sides when `use_bidirectional_attention` says so). Of the nine after it (OLMo 3 to GLM), all
but one need no knob that was not there (each file says which it uses); HunYuan (dense) is Llama with each head's queries and keys
normed after rotary positions, and RoPE at a theta stretched by a fixed `alpha` (labelled `dynamic`);
HunYuan-MoE is that with a mixture of experts and an ungated shared expert in each layer; ERNIE 4.5
MoE has experts in a drawn range of layers, chosen by probability plus a bias of their own, and
GLM-4.5 scores its experts by a sigmoid, scales their weights and has dense layers first (dots.llm1
is Qwen3's attention with GLM-4.5's experts, Solar Open Llama's with them in every layer; FlexOlmo
is OLMoE's experts on OLMo 2's layers). Mellum has experts in the layers `mlp_layer_types` marks
sparse, dense FFNs in the others, as K-EXAONE (EXAONE 4.0's attention with GLM-4.5's experts)
where config.json has the list; Cohere 2 MoE is Cohere 2 with experts in every layer. ModernBERT is a bidirectional encoder whose
local layers see a window on both sides, every `global_attn_every_n_layers`-th layer
(from the first) full, each kind with its own RoPE theta; its layer 0 has no attention
norm, and its classifiers read the first token (multiple choice: the first one the mask
keeps) or the mean of the kept ones (a config switch). GLM-4 is GLM with each
sublayer's input and output normed (Gemma 2's four norms a layer), no new knob.
MPNet is the RoBERTa family without token types, plus T5's bidirectional relative
position bias added to its scaled scores: one table shared by every layer, whose key
sits beside the layers. GPT-Neo is GPT-2 with plain linear weights, unscaled scores and
a causal window on the layers `attention_layers` marks local, masking each query's keys
twice as its reference does (which decides where a query has only padding in reach). Every
rotary spec but GPT-J's and RoFormer's lets config.json scale RoPE (`linear`,
`llama3`, `yarn`, `longrope`; Phi-3 LongRoPE only), and the drawn configs choose
each. Each spec says exactly that and nothing else; every head it offers is compared with
the `transformers` class of that name.
"""

from __future__ import annotations

import json
import math
import os
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from safetensors.torch import load_file, save_file
from support import assert_exports_as_read, padded_batch, save

import archgen
from archgen.compiler import load_arch
from archgen.compiler.lower import bind_sizes, lazy_symbols, token_types
from archgen.compiler.render import render_module
from archgen.runtime import InputError
from archgen.runtime.reference import build_reference
from archgen.runtime.weights import CheckpointError

FIXTURES = Path(__file__).parent / "fixtures"


def bert_config(draw, heads: int) -> dict:
    return {
        "num_hidden_layers": draw(st.integers(1, 3)),
        "num_attention_heads": heads,
        "hidden_size": heads * draw(st.integers(4, 16)),
        "intermediate_size": draw(st.integers(4, 48)),
        "hidden_act": draw(st.sampled_from(["gelu", "relu"])),
    }


def openai_config(draw, heads: int) -> dict:
    """GPT-1: GPT-2's sizes, its FFN always 4 * n_embd, each activation `afn` names."""
    return {
        "n_layer": draw(st.integers(1, 3)),
        "n_head": heads,
        "n_embd": heads * draw(st.integers(4, 16)),
        "afn": draw(st.sampled_from(["gelu", "relu", "silu", "swish"])),
    }


def ibert_config(draw, heads: int) -> dict:
    """BERT's sizes at gelu, the one activation its reference takes, without quant_mode."""
    return bert_config(draw, heads) | {"hidden_act": "gelu", "quant_mode": False}


def big_bird_config(draw, heads: int) -> dict:
    """BERT's draws with BigBird's switches: q/k/v biases, embeddings scaled by sqrt(width), and
    block-sparse attention (its default, which its reference runs as full attention at these
    lengths) or full attention; gelu_new, its default, or relu (refused)."""
    return bert_config(draw, heads) | {
        "hidden_act": draw(st.sampled_from(["gelu_new", "relu"])),
        "use_bias": draw(st.booleans()),
        "rescale_embeddings": draw(st.booleans()),
        "attention_type": draw(st.sampled_from(["block_sparse", "original_full"])),
    }


def fnet_config(draw, heads: int) -> dict:
    """FNet: no attention heads (the drawn count only scales the width), FNet's gelu_new or
    another activation (refused), 2-4 token types."""
    return {
        "num_hidden_layers": draw(st.integers(1, 3)),
        "hidden_size": heads * draw(st.integers(4, 16)),
        "intermediate_size": draw(st.integers(4, 48)),
        "hidden_act": draw(st.sampled_from(["gelu_new", "relu"])),
        "type_vocab_size": draw(st.integers(2, 4)),
    }


def deberta_v2_config(draw, heads: int) -> dict:
    """BERT's draws with DeBERTa-v2's disentangled attention: either or both position terms (a list,
    or a `|`-joined string as released config.json files write it), the table projected by each
    layer's own or its query and key projections, normed or not, log buckets on or off (half of
    them reached by the drawn lengths or not), a span from `max_relative_positions` or the position
    size, token types or none."""
    config = bert_config(draw, heads)
    kinds = draw(st.sampled_from([["c2p"], ["p2c"], ["p2c", "c2p"], "p2c|c2p", "c2p | P2C"]))
    return config | {
        "relative_attention": True,
        "position_biased_input": draw(st.booleans()),  # an absolute table beside the relative terms
        "pos_att_type": kinds,
        "share_att_key": draw(st.booleans()),
        "norm_rel_ebd": draw(st.sampled_from(["layer_norm", "none"])),
        "position_buckets": draw(st.sampled_from([-1, 4, 6, 16, 64])),
        "max_relative_positions": draw(st.sampled_from([-1, 3, 8, 24])),
        "type_vocab_size": draw(st.sampled_from([0, 2])),
        "layer_norm_eps": 1e-7,
        "legacy": draw(st.booleans()),  # the masked LM's key layout
        # the convolution beside the first layer (DeBERTa-v2-xlarge's), or none
        "conv_kernel_size": draw(st.sampled_from([0, 1, 3, 5])),
        "conv_groups": draw(st.sampled_from([1, heads])),
        "conv_act": draw(st.sampled_from(["gelu", "tanh"])),
    }


def deberta_config(draw, heads: int) -> dict:
    """DeBERTa-v2's draws without what DeBERTa lacks (buckets, a table norm, shared projections)."""
    config = deberta_v2_config(draw, heads)
    for key in (
        "share_att_key",
        "norm_rel_ebd",
        "position_buckets",
        "conv_kernel_size",
        "conv_groups",
        "conv_act",
    ):
        del config[key]
    return config


def distilbert_config(draw, heads: int) -> dict:
    return {
        "n_layers": draw(st.integers(1, 3)),
        "n_heads": heads,
        "dim": heads * draw(st.integers(4, 16)),
        "hidden_dim": draw(st.integers(4, 48)),
        "activation": draw(st.sampled_from(["gelu", "relu"])),
        # sinusoidal tables are written into the position embedding, a learned table to a loader
        "sinusoidal_pos_embds": draw(st.booleans()),
    }


def electra_config(draw, heads: int) -> dict:
    config = bert_config(draw, heads)
    # narrower embeddings are projected to the hidden width; equal ones have no projection
    config["embedding_size"] = draw(st.sampled_from([config["hidden_size"], draw(st.integers(4, 24))]))
    return config


def albert_config(draw, heads: int) -> dict:
    config = bert_config(draw, heads) | {"hidden_act": draw(st.sampled_from(["gelu_new", "relu"]))}
    config["num_hidden_layers"] = draw(st.integers(1, 4))
    # any number of weight groups the layers share, from one to one per layer
    config["num_hidden_groups"] = draw(st.integers(1, config["num_hidden_layers"]))
    config["embedding_size"] = draw(st.integers(4, 24))
    return config


def roformer_config(draw, heads: int) -> dict:
    config = electra_config(draw, heads)
    # rotary pairs features: an even head width (and embeddings projected only where widths differ)
    config["hidden_size"] = heads * 2 * draw(st.integers(2, 8))
    config["embedding_size"] = draw(st.sampled_from([config["hidden_size"], draw(st.integers(4, 24))]))
    return config


def opt_config(draw, heads: int) -> dict:
    return {
        "num_hidden_layers": draw(st.integers(1, 3)),
        "num_attention_heads": heads,
        "hidden_size": heads * draw(st.integers(4, 16)),
        "ffn_dim": draw(st.integers(4, 48)),
        "activation_function": draw(st.sampled_from(["relu", "gelu"])),
    }


def opt_350m_config(draw, heads: int) -> dict:
    """OPT's draws in OPT-350m's layout: post-norm layers, a word table narrower than the layers."""
    config = opt_config(draw, heads)
    return config | {
        "do_layer_norm_before": False,
        "word_embed_proj_dim": draw(st.integers(2, config["hidden_size"] - 1)),
        "tie_word_embeddings": draw(st.booleans()),
    }


def bart_causal_config(draw, heads: int) -> dict:
    """A BART-family config.json for its decoder alone: the decoder's sizes (the encoder's as many layers,
    which its reference sizes the KV cache by), the activation config.json picks, scaled words, the LM
    head tied or not."""
    layers = draw(st.integers(1, 3))
    return {
        "d_model": heads * draw(st.integers(1, 8)),
        "decoder_layers": layers,
        "encoder_layers": layers,
        "decoder_attention_heads": heads,
        "encoder_attention_heads": heads,
        "decoder_ffn_dim": draw(st.integers(4, 48)),
        "activation_function": draw(st.sampled_from(["gelu", "relu", "swish", "gelu_new"])),
        "scale_embedding": draw(st.booleans()),
        "tie_word_embeddings": draw(st.booleans()),
    }


def trocr_config(draw, heads: int) -> dict:
    """BART's decoder draws, with the embedding norm switched."""
    return bart_causal_config(draw, heads) | {"layernorm_embedding": draw(st.booleans())}


def biogpt_config(draw, heads: int) -> dict:
    return bert_config(draw, heads) | {"scale_embedding": draw(st.booleans())}


def xglm_config(draw, heads: int) -> dict:
    """XGLM's names; a width that may be odd (its computed table's zero column). Its pad id, 3,
    makes position 1 read the table's zeroed padding row."""
    return {
        "num_layers": draw(st.integers(1, 3)),
        "attention_heads": heads,
        "d_model": heads * draw(st.integers(4, 16)),
        "ffn_dim": draw(st.integers(4, 48)),
        "activation_function": draw(st.sampled_from(["gelu", "relu"])),
        "scale_embedding": draw(st.booleans()),
    }


def gpt2_config(draw, heads: int) -> dict:
    return {
        "n_layer": draw(st.integers(1, 3)),
        "n_head": heads,
        "n_embd": heads * draw(st.integers(4, 16)),
        "n_inner": draw(st.one_of(st.none(), st.integers(4, 48))),  # none: 4 * n_embd
        "activation_function": draw(st.sampled_from(["gelu_new", "relu"])),
    }


def llama_config(draw, heads: int, own_head_dim: bool = False) -> dict:
    """Llama's sizes; `own_head_dim`: always a head width of its own (a reference whose
    default is not hidden_size / heads)."""
    kv_heads = draw(st.sampled_from([d for d in range(1, heads + 1) if heads % d == 0]))
    hidden = heads * draw(st.integers(2, 8)) * 2  # rotary pairs features: an even head width
    config = {
        "num_hidden_layers": draw(st.integers(1, 3)),
        "num_attention_heads": heads,
        "num_key_value_heads": kv_heads,
        "hidden_size": hidden,
        "intermediate_size": draw(st.integers(4, 48)),
        "hidden_act": draw(st.sampled_from(["silu", "gelu"])),
        "rope_parameters": {"rope_type": "default", "rope_theta": draw(st.sampled_from([10000.0, 5e5]))},
        "tie_word_embeddings": draw(st.booleans()),
    }
    if own_head_dim or draw(st.booleans()):  # a head width of its own, not hidden_size / heads
        config["head_dim"] = 2 * draw(st.integers(1, 6))
    return rope_scaling(draw, config, heads)


ROPE_TYPES = ("default", "linear", "llama3", "yarn", "longrope")


def rope_scaling(draw, config: dict, heads: int, kinds: tuple[str, ...] = ROPE_TYPES) -> dict:
    """`config` with one of the RoPE scaling laws `kinds` (or none), over its rotated feature
    pairs; lengths of 4 to 32 pretrained positions put the drawn sequences (up to 16 tokens) on
    both sides of it."""
    head_dim = config.get("head_dim") or config["hidden_size"] // heads
    params = config["rope_parameters"]
    pairs = int(head_dim * params.get("partial_rotary_factor", 1.0)) // 2
    kept = {key: params[key] for key in ("rope_theta", "partial_rotary_factor") if key in params}
    kind = draw(st.sampled_from(kinds))
    params = {"rope_type": kind, **kept}
    original = {"original_max_position_embeddings": draw(st.sampled_from([4, 8, 16, 32]))}
    factor = draw(st.sampled_from([1.0, 2.0, 8.0]))
    if kind == "linear":
        params["factor"] = factor
    elif kind == "llama3":
        params |= original | {"factor": factor, "low_freq_factor": 1.0, "high_freq_factor": 4.0}
    elif kind == "yarn":
        params |= original | {"factor": factor, "truncate": draw(st.booleans())}
        params |= draw(st.sampled_from([{}, {"beta_fast": 8.0, "beta_slow": 2.0}]))
        params |= draw(
            st.sampled_from([{}, {"attention_factor": 0.8}, {"mscale": 1.0, "mscale_all_dim": 0.5}])
        )
    elif kind == "dynamic":  # HunYuan's label for RoPE at a theta stretched by a fixed alpha
        params |= {"alpha": draw(st.sampled_from([1.5, 50.0, 1000.0])), "factor": 1.0}
    elif kind == "longrope":
        factors = st.lists(st.sampled_from([1.0, 1.5, 4.0, 16.0]), min_size=pairs, max_size=pairs)
        params |= original | {"short_factor": draw(factors), "long_factor": draw(factors)}
        params |= draw(st.sampled_from([{}, {"factor": factor}, {"attention_factor": 1.2}]))
    return config | {"rope_parameters": params}


def qwen2_config(draw, heads: int, own_head_dim: bool = False) -> dict:
    config = llama_config(draw, heads, own_head_dim)
    return config | {  # the reference windows the layers from `max_window_layers` on, when on
        "use_sliding_window": draw(st.booleans()),
        "sliding_window": draw(st.integers(1, 8)),
        "max_window_layers": draw(st.integers(0, config["num_hidden_layers"])),
    }


def qwen3_config(draw, heads: int) -> dict:
    return qwen2_config(draw, heads, own_head_dim=True)  # its default is 128


#: (head width, partial rotary factor) pairs whose rotated width is even, as rotary pairs need
ROTARY_SHAPES = [
    (width, factor)
    for width in (4, 8, 12, 16)
    for factor in (0.25, 0.4, 0.5, 1.0)
    if int(width * factor) % 2 == 0 and int(width * factor) > 0
]


def partial_rotary_config(draw, heads: int) -> dict:
    head_dim, factor = draw(st.sampled_from(ROTARY_SHAPES))
    config = {
        "num_hidden_layers": draw(st.integers(1, 3)),
        "num_attention_heads": heads,
        "hidden_size": heads * head_dim,
        "intermediate_size": draw(st.integers(4, 48)),
        "rope_parameters": {
            "rope_type": "default",
            "rope_theta": draw(st.sampled_from([10000.0, 5e5])),
            "partial_rotary_factor": factor,
        },
        "tie_word_embeddings": draw(st.booleans()),
    }
    return rope_scaling(draw, config, heads)


def phi_config(draw, heads: int) -> dict:
    return partial_rotary_config(draw, heads) | {
        "num_key_value_heads": draw(st.sampled_from([d for d in range(1, heads + 1) if heads % d == 0])),
        "hidden_act": draw(st.sampled_from(["gelu_new", "relu"])),
        "qk_layernorm": draw(st.booleans()),
    }


def stablelm_config(draw, heads: int) -> dict:
    return partial_rotary_config(draw, heads) | {
        "num_key_value_heads": draw(st.sampled_from([d for d in range(1, heads + 1) if heads % d == 0])),
        "hidden_act": draw(st.sampled_from(["silu", "gelu"])),
        "use_qkv_bias": draw(st.booleans()),  # a bias switch: on, q/k/v carry biases; off, none
    }


def gpt_neox_config(draw, heads: int) -> dict:
    return partial_rotary_config(draw, heads) | {
        "hidden_act": draw(st.sampled_from(["gelu", "relu"])),
        "use_parallel_residual": draw(st.booleans()),
    }


def gpt_neox_japanese_config(draw, heads: int) -> dict:
    """Partial rotary draws, its FFN a multiple of the width, tied or not."""
    config = partial_rotary_config(draw, heads)
    del config["intermediate_size"]
    return config | {
        "intermediate_multiple_size": draw(st.sampled_from([1, 2, 3, 4])),
        "hidden_act": draw(st.sampled_from(["gelu", "relu"])),
    }


def persimmon_config(draw, heads: int) -> dict:
    return partial_rotary_config(draw, heads) | {
        "hidden_act": draw(st.sampled_from(["relu2", "relu"])),
        "qk_layernorm": draw(st.booleans()),
    }


def gptj_config(draw, heads: int) -> dict:
    head_dim = 2 * draw(st.integers(1, 8))
    return {
        "n_layer": draw(st.integers(1, 3)),
        "n_head": heads,
        "n_embd": heads * head_dim,
        "n_inner": draw(st.one_of(st.none(), st.integers(4, 48))),  # none: 4 * n_embd
        "rotary_dim": 2 * draw(st.integers(1, head_dim // 2)),
        "activation_function": draw(st.sampled_from(["gelu_new", "relu"])),
        "tie_word_embeddings": draw(st.booleans()),
    }


def codegen_config(draw, heads: int) -> dict:
    """GPT-J's sizes with four to sixteen heads: its reference splits q/k/v into four shards of heads."""
    return gptj_config(draw, 4 * heads)


def alibi_config(draw, heads: int, layers: str, heads_key: str, width: str) -> dict:
    """BLOOM's and MPT's drawn sizes, under their config.json names."""
    heads += draw(st.sampled_from([0, 1, 2, 4]))  # counts past a power of two take the extra slopes
    return {
        layers: draw(st.integers(1, 3)),
        heads_key: heads,
        width: heads * draw(st.integers(2, 8)),
        "tie_word_embeddings": draw(st.booleans()),
    }


def bloom_config(draw, heads: int) -> dict:
    return alibi_config(draw, heads, "n_layer", "n_head", "hidden_size")


def mpt_config(draw, heads: int) -> dict:
    return alibi_config(draw, heads, "n_layers", "n_heads", "d_model") | {"max_seq_len": 64}


def mistral_config(draw, heads: int) -> dict:
    # a window shorter than the drawn sequences (up to 16 tokens), or none
    return llama_config(draw, heads) | {"sliding_window": draw(st.one_of(st.none(), st.integers(1, 8)))}


def doge_config(draw, heads: int) -> dict:
    """Mistral's sizes (a window or none), each key's bias from its values, learned residual scales,
    per-head query/key norms, switched biases, and a keep window no shorter than the drawn calls."""
    return mistral_config(draw, heads) | {
        "attention_bias": draw(st.booleans()),
        "mlp_bias": draw(st.booleans()),
        "keep_window_size": draw(st.sampled_from([16, 64])),
    }


def chameleon_text_config(draw, heads: int) -> dict:
    """Llama's sizes with per-head query/key LayerNorms at 1e-5 beside RMSNorms at a drawn epsilon,
    normed before or after each sublayer, and a tiny image tokenizer (its weights in the checkpoint,
    never run)."""
    vq = {"embed_dim": 4, "num_embeddings": 8, "base_channels": 32, "channel_multiplier": [1]}
    vq |= {
        "num_res_blocks": 1,
        "attn_resolutions": [],
        "resolution": 8,
        "in_channels": 3,
        "latent_channels": 4,
    }
    config = llama_config(draw, heads)
    if "head_dim" in config:  # its reference's heads are always hidden_size / heads wide: RoPE drawn again
        del config["head_dim"]
        config = rope_scaling(draw, config, heads)
    return config | {
        "rms_norm_eps": draw(st.sampled_from([1e-5, 1e-2])),
        "swin_norm": draw(st.booleans()),  # norms after each sublayer (Chameleon-30B's) or before
        "vocabulary_map": {"<image>": 1},
        "vq_config": vq,
    }


def mixtral_config(draw, heads: int) -> dict:
    experts = draw(st.integers(1, 6))  # one to six experts, one to all of them per token
    config = mistral_config(draw, heads)
    # its reference checks LongRoPE's factors against an explicit head width (None by default)
    config["head_dim"] = config.get("head_dim") or config["hidden_size"] // heads
    return config | {
        "num_local_experts": experts,
        "num_experts_per_tok": draw(st.integers(1, experts)),
    }


def minimax_config(draw, heads: int) -> dict:
    """Mixtral's sizes (a window on the softmax layers or none), each layer softmax or lightning attention (at least one
    softmax layer), the reference's blocks of 2 to 8 slots (the drawn calls, up to 16 tokens, cross
    them), and each residual sum's two weights drawn apart."""
    config = mixtral_config(draw, heads)  # a window on the softmax layers, or none
    layers = config["num_hidden_layers"]
    kinds = draw(
        st.lists(st.sampled_from(["linear_attention", "full_attention"]), min_size=layers, max_size=layers)
    )
    kinds[draw(st.integers(0, layers - 1))] = "full_attention"
    factors = st.sampled_from([1, 0.5, 2.0])
    weights = {
        f"{sub}_{kind}_factor": draw(factors)
        for sub in ("full_attn", "linear_attn", "mlp")
        for kind in ("alpha", "beta")
    }
    # blocks of 2 slots at least: the checkpoint's decay tables of 1-slot blocks hold one value each,
    # which the reference checkpoints' noise on constant tensors would change (never read here)
    return config | weights | {"layer_types": kinds, "block_size": draw(st.integers(2, 8))}


def experts(draw) -> dict:
    """A mixture's sizes: one to six experts, one to all of them per token, renormalized or not."""
    count = draw(st.integers(1, 6))
    return {
        "num_experts": count,
        "num_experts_per_tok": draw(st.integers(1, count)),
        "norm_topk_prob": draw(st.booleans()),
    }


def clip_qkv(draw) -> dict:
    """OLMo's clamp of queries, keys and values: none, or bounds that bite on tiny models' values."""
    return {"clip_qkv": draw(st.sampled_from([None, 0.01, 0.05, 8.0]))}


def olmo_config(draw, heads: int) -> dict:
    config = llama_config(draw, heads)
    config.pop("head_dim", None)  # OLMo's heads are hidden_size / heads wide
    return rope_scaling(draw, config, heads) | clip_qkv(draw)


def olmoe_config(draw, heads: int) -> dict:
    config = llama_config(draw, heads)
    config.pop("head_dim", None)  # its query/key norms are hidden_size wide: heads of hidden_size / heads
    return rope_scaling(draw, config, heads) | experts(draw) | clip_qkv(draw)


def dense_layers(draw, config: dict) -> dict:
    """Qwen-MoE's layers with a dense FFN among the experts: those `mlp_only_layers` lists, and
    all but every `decoder_sparse_step`-th."""
    layers = range(config["num_hidden_layers"])
    return {
        "mlp_only_layers": draw(st.lists(st.sampled_from(layers), unique=True, max_size=2)),
        "decoder_sparse_step": draw(st.sampled_from([1, 1, 2])),
    }


def qwen2_moe_config(draw, heads: int) -> dict:
    sizes = {"moe_intermediate_size": draw(st.integers(4, 24))}
    sizes["shared_expert_intermediate_size"] = draw(st.integers(4, 24))
    config = qwen2_config(draw, heads) | experts(draw) | sizes | {"qkv_bias": draw(st.booleans())}
    return config | dense_layers(draw, config)


def qwen3_moe_config(draw, heads: int) -> dict:
    config = qwen3_config(draw, heads) | experts(draw) | {"moe_intermediate_size": draw(st.integers(4, 24))}
    return config | dense_layers(draw, config)


def phi3_config(draw, heads: int) -> dict:
    config = mistral_config(draw, heads)
    head_dim = config["head_dim"] = config["hidden_size"] // heads  # its reference checks LongRoPE's over it
    # a rotated width that pairs: int(head_dim * factor) even and positive
    factors = [f for f in (0.25, 0.5, 0.75, 1.0) if int(head_dim * f) % 2 == 0 and int(head_dim * f) > 0]
    config["rope_parameters"]["partial_rotary_factor"] = draw(st.sampled_from(factors))
    # its only scaling is LongRoPE, its pretraining length at the top of config.json
    config = rope_scaling(draw, config, heads, ("default", "longrope"))
    if config["rope_parameters"]["rope_type"] == "longrope":
        config["original_max_position_embeddings"] = config["rope_parameters"][
            "original_max_position_embeddings"
        ]
    return config


def phimoe_config(draw, heads: int) -> dict:
    """Mixtral's draws with two experts per token (the sparse mixer's), a jitter that lets one to all
    of the other experts into each softmax, switched attention and LM head biases, and RoPE plain or
    LongRoPE with its own cos and sin scales (short and long differ, as Phi-3.5-MoE's need not)."""
    config = mixtral_config(draw, heads)
    config["rope_parameters"] = {"rope_theta": config["rope_parameters"]["rope_theta"]}
    config = rope_scaling(draw, config, heads, ("default", "longrope"))
    if config["rope_parameters"]["rope_type"] == "longrope":
        config["rope_parameters"] |= {
            "short_mscale": 1.25,
            "long_mscale": draw(st.sampled_from([1.25, 0.75])),
        }
    count = draw(st.integers(2, 6))
    return config | {
        "num_local_experts": count,
        "num_experts_per_tok": 2,
        "router_jitter_noise": draw(st.sampled_from([0.01, 0.3, 5.0])),
        "attention_bias": draw(st.booleans()),
        "lm_head_bias": draw(st.booleans()),
        "tie_word_embeddings": False,
    }


def starcoder2_config(draw, heads: int) -> dict:
    return mistral_config(draw, heads) | {"hidden_act": draw(st.sampled_from(["gelu_pytorch_tanh", "silu"]))}


def granite_config(draw, heads: int) -> dict:
    return llama_config(draw, heads) | {
        "embedding_multiplier": draw(st.sampled_from([1.0, 3.0, 12.0])),
        "residual_multiplier": draw(st.sampled_from([1.0, 0.22, 0.5])),
        "attention_multiplier": draw(st.sampled_from([0.0078125, 0.1, 0.5])),
        "logits_scaling": draw(st.sampled_from([1.0, 4.0, 8.0])),
    }


def granitemoe_config(draw, heads: int) -> dict:
    count = draw(st.integers(1, 6))
    config = granite_config(draw, heads) | {"num_local_experts": count}
    return config | {"num_experts_per_tok": draw(st.integers(1, count))}


def granitemoeshared_config(draw, heads: int) -> dict:
    return granitemoe_config(draw, heads) | {"shared_intermediate_size": draw(st.integers(4, 24))}


def cohere_config(draw, heads: int) -> dict:
    config = llama_config(draw, heads) | {"logit_scale": draw(st.sampled_from([0.0625, 0.125, 1.0]))}
    return config | {"use_qk_norm": draw(st.booleans())}


def layer_kinds(draw, config: dict) -> dict:
    """Half the time, each layer's kind drawn (`layer_types`); else the reference's default."""
    if draw(st.booleans()):
        kinds = st.sampled_from(["sliding_attention", "full_attention"])
        layers = config["num_hidden_layers"]
        return {"layer_types": draw(st.lists(kinds, min_size=layers, max_size=layers))}
    return {}


def cohere2_config(draw, heads: int) -> dict:
    config = cohere_config(draw, heads)
    config.pop("head_dim", None)  # Cohere 2's heads are hidden_size / heads wide
    config = rope_scaling(draw, config, heads)  # LongRoPE's factors for that width
    config |= {"sliding_window": draw(st.integers(1, 8)), "sliding_window_pattern": draw(st.integers(1, 3))}
    return config | layer_kinds(draw, config)


def mamba_sizes(draw, hidden: int) -> dict:
    """The sizes of Mamba-2 layers beside attention ones (`mamba_*`), for a model `hidden` wide."""
    expand = draw(st.sampled_from([1, 2]))
    ssm_heads = draw(st.sampled_from([n for n in range(1, 9) if expand * hidden % n == 0]))
    config = {
        "mamba_expand": expand,
        "mamba_n_heads": ssm_heads,
        "mamba_d_head": expand * hidden // ssm_heads,
        "mamba_n_groups": draw(st.sampled_from([g for g in range(1, ssm_heads + 1) if ssm_heads % g == 0])),
        "mamba_d_state": draw(st.integers(1, 8)),
        "mamba_d_conv": draw(st.integers(2, 4)),
        "mamba_conv_bias": draw(st.booleans()),
    }
    if draw(st.booleans()):  # a window the drawn time steps fall on both sides of
        config["time_step_limit"] = [0.005, 0.05]
    return config


def bamba_config(draw, heads: int) -> dict:
    """Llama's attention (rotary positions on half of each head's features) in the layers
    `attn_layer_indices` lists, Mamba-2's state-space mixing of sizes its own in the others."""
    config = llama_config(draw, heads)
    layers = config["num_hidden_layers"]
    # at least one attending layer: its reference's cache fails without one (`get_seq_length`)
    indices = st.lists(st.integers(0, layers - 1), min_size=1, max_size=layers, unique=True)
    return (
        config
        | mamba_sizes(draw, config["hidden_size"])
        | {
            "rope_parameters": {
                "rope_type": "default",
                "rope_theta": draw(st.sampled_from([10000.0, 100.0])),
            },
            "head_dim": 4 * draw(st.integers(1, 3)),  # its rotated half pairs features: a multiple of 4
            "attn_layer_indices": sorted(draw(indices)),
        }
    )


def granitemoehybrid_config(draw, heads: int) -> dict:
    """GraniteMoeShared's attention layers (without positions) where `layer_types` says, Mamba-2's
    state-space mixing of sizes its own in the others, experts in every layer."""
    config = granitemoeshared_config(draw, heads)
    config.pop("rope_parameters")
    layers = config["num_hidden_layers"]
    kinds = draw(
        st.lists(st.sampled_from(["linear_attention", "full_attention"]), min_size=layers, max_size=layers)
    )
    kinds[draw(st.integers(0, layers - 1))] = "full_attention"  # one at least, as for Bamba's reference
    return config | mamba_sizes(draw, config["hidden_size"]) | {"layer_types": kinds}


def nemotron_h_config(draw, heads: int) -> dict:
    """Layers of one sublayer each, their kinds drawn (one attending at least, as Bamba's): Mamba-2's
    state-space mixing of sizes its own, grouped-query attention without positions, a dense
    squared-ReLU FFN, or squared-ReLU experts routed as DeepSeek-V3's beside a shared expert,
    at the model's width or a latent one."""
    layers = draw(st.integers(1, 4))
    kinds = st.sampled_from(["linear_attention", "full_attention", "mlp", "moe"])
    types = draw(st.lists(kinds, min_size=layers, max_size=layers))
    types[draw(st.integers(0, layers - 1))] = "full_attention"
    ssm_heads = draw(st.integers(1, 8))
    experts = sigmoid_experts(draw)
    del experts["n_shared_experts"], experts["first_k_dense_replace"]
    config = {
        "layers_block_type": types,
        "num_attention_heads": heads,
        "num_key_value_heads": draw(st.sampled_from([d for d in range(1, heads + 1) if heads % d == 0])),
        "head_dim": draw(st.integers(1, 8)),
        "hidden_size": heads * draw(st.integers(2, 8)),
        "intermediate_size": draw(st.integers(4, 32)),
        "mlp_hidden_act": draw(st.sampled_from(["relu2", "silu"])),
        "mamba_num_heads": ssm_heads,
        "mamba_head_dim": draw(st.integers(1, 8)),
        "n_groups": draw(st.sampled_from([g for g in range(1, ssm_heads + 1) if ssm_heads % g == 0])),
        "ssm_state_size": draw(st.integers(1, 8)),
        "conv_kernel": draw(st.integers(2, 4)),
        "use_conv_bias": draw(st.booleans()),
        "attention_bias": draw(st.booleans()),
        "moe_shared_expert_intermediate_size": draw(st.integers(4, 24)),
        "tie_word_embeddings": draw(st.booleans()),
        # a floor the drawn time steps (about 0.001 to 0.1) fall on both sides of, or its default;
        # a time_step_limit its reference ignores
        "time_step_min": draw(st.sampled_from([0.001, 0.02])),
        "time_step_limit": [0.005, 0.05],
        "moe_latent_size": draw(st.one_of(st.none(), st.integers(2, 8))),  # the routed experts' width
        **experts,
    }
    return config


def cohere_compass_config(draw, heads: int) -> dict:
    """Cohere's parallel layers without query/key norms, heads hidden_size / heads wide, its
    layers' kinds drawn one by one, the sliding ones windowed and rotated by their own RoPE
    parameters, the full ones by theirs or (a null entry) not at all."""
    config = llama_config(draw, heads)
    config.pop("head_dim", None)
    layers = config["num_hidden_layers"]
    kinds = st.sampled_from(["sliding_attention", "full_attention"])
    full = {"rope_type": "default", "rope_theta": draw(st.sampled_from([50000.0, 100.0]))}
    rope = {
        "sliding_attention": {"rope_type": "default", "rope_theta": draw(st.sampled_from([10000.0, 500.0]))},
        "full_attention": draw(st.sampled_from([None, full])),
    }
    return config | {
        "logit_scale": draw(st.sampled_from([0.0625, 1.0])),
        "layer_types": draw(st.lists(kinds, min_size=layers, max_size=layers)),
        "sliding_window": draw(st.integers(1, 8)),
        "rope_parameters": rope,
    }


def smollm3_config(draw, heads: int) -> dict:
    config = llama_config(draw, heads)
    layers = config["num_hidden_layers"]
    config |= {"use_sliding_window": draw(st.booleans()), "sliding_window": draw(st.integers(1, 8))}
    if draw(st.booleans()):  # layer by layer (1: rotary positions, 0: none); else every n-th has none
        config["no_rope_layers"] = draw(st.lists(st.sampled_from([0, 1]), min_size=layers, max_size=layers))
    else:
        config["no_rope_layer_interval"] = draw(st.integers(1, 3))
    return config | layer_kinds(draw, config)


def falcon_config(draw, heads: int) -> dict:
    head_dim = 2 * draw(st.integers(1, 8))  # rotary pairs features: an even head width
    config = {
        "num_hidden_layers": draw(st.integers(1, 3)),
        "num_attention_heads": heads,
        "hidden_size": heads * head_dim,
        "ffn_hidden_size": draw(st.one_of(st.none(), st.integers(4, 48))),  # none: 4 * hidden_size
        "activation": draw(st.sampled_from(["gelu", "relu"])),
        "bias": draw(st.booleans()),  # a bias switch over every projection
        "rope_parameters": {"rope_type": "default", "rope_theta": draw(st.sampled_from([10000.0, 5e5]))},
        "tie_word_embeddings": draw(st.booleans()),
    }
    return rope_scaling(draw, config, heads)


def falcon_40b_config(draw, heads: int) -> dict:
    config = falcon_config(draw, heads)
    kv_heads = draw(st.sampled_from([k for k in range(1, heads + 1) if heads % k == 0]))
    return config | {"new_decoder_architecture": True, "num_kv_heads": kv_heads}


def falcon_40b_one_norm_config(draw, heads: int) -> dict:
    return falcon_40b_config(draw, heads) | {"num_ln_in_parallel_attn": 1}


def nemotron_config(draw, heads: int) -> dict:
    return phi3_config(draw, heads) | {
        "hidden_act": draw(st.sampled_from(["relu2", "silu"])),
        "attention_bias": draw(st.booleans()),  # bias switches
        "mlp_bias": draw(st.booleans()),
        "sliding_window": None,
    }


def arcee_config(draw, heads: int) -> dict:
    return llama_config(draw, heads) | {
        "hidden_act": draw(st.sampled_from(["relu2", "silu"])),
        "attention_bias": draw(st.booleans()),  # bias switches
        "mlp_bias": draw(st.booleans()),
    }


def gemma_config(draw, heads: int) -> dict:
    config = llama_config(draw, heads, own_head_dim=True)  # its default is 256
    return config | {"hidden_act": draw(st.sampled_from(["gelu_pytorch_tanh", "silu"]))}


def gemma2_config(draw, heads: int) -> dict:
    config = llama_config(draw, heads, own_head_dim=True)  # its default is 256
    layers = config["num_hidden_layers"]
    config |= {
        "hidden_activation": draw(st.sampled_from(["gelu_pytorch_tanh", "silu"])),
        "query_pre_attn_scalar": draw(st.sampled_from([4, 8, 256])),
        # caps that bite on these tiny models' scores and logits (about 1e-2 and 1e-1), a loose one, or none
        "attn_logit_softcapping": draw(st.sampled_from([None, 0.002, 0.01, 50.0])),
        "final_logit_softcapping": draw(st.sampled_from([None, 0.05, 30.0])),
        "sliding_window": draw(st.integers(1, 8)),  # shorter than the drawn sequences, or not
    }
    if draw(st.booleans()):  # layer by layer; otherwise the reference's default, every other layer
        kinds = st.sampled_from(["sliding_attention", "full_attention"])
        config["layer_types"] = draw(st.lists(kinds, min_size=layers, max_size=layers))
    return config


def gemma3_text_config(draw, heads: int) -> dict:
    config = gemma2_config(draw, heads) | {"sliding_window_pattern": draw(st.integers(1, 3))}
    # RoPE per layer type, each with its own theta and any law (the full layers' scaled in the larger models)
    full = rope_scaling(draw, config, heads)["rope_parameters"]
    theta = {"rope_parameters": {"rope_theta": draw(st.sampled_from([10000.0, 100.0]))}}
    local = rope_scaling(draw, config | theta, heads)["rope_parameters"]
    for params in (full, local):  # the reference ignores a type's `truncate: false`; the spec refuses it
        params.pop("truncate", None)
    config |= {"rope_parameters": {"full_attention": full, "sliding_attention": local}}
    if draw(st.booleans()):  # EmbeddingGemma's: every head attends both ways, the window both sides
        config |= {"use_bidirectional_attention": True, "sliding_window": draw(st.integers(2, 12))}
    return config


def olmo3_config(draw, heads: int) -> dict:
    config = llama_config(draw, heads) | {"attention_bias": draw(st.booleans())}
    config["sliding_window"] = draw(
        st.integers(1, 8)
    )  # never null: its reference builds the windowed mask from it
    full = config[
        "rope_parameters"
    ]  # RoPE per layer type, each with any law and its own theta (as Gemma 3's)
    theta = {"rope_parameters": {"rope_theta": draw(st.sampled_from([10000.0, 100.0]))}}
    local = rope_scaling(draw, config | theta, heads)["rope_parameters"]
    for params in (full, local):  # the reference ignores a type's `truncate: false`; the spec refuses it
        params.pop("truncate", None)
    config["rope_parameters"] = {"full_attention": full, "sliding_attention": local}
    return config | layer_kinds(draw, config)


def ministral_config(draw, heads: int) -> dict:
    config = llama_config(draw, heads, own_head_dim=True)  # its reference fails on head_dim null
    config["sliding_window"] = draw(st.integers(1, 8))  # never null, as OLMo 3's
    return config | layer_kinds(draw, config)


def ministral3_config(draw, heads: int) -> dict:
    """Mistral's (a head width always given), with the query scale's two values, which its
    reference needs: a period of 2 to 8 positions scales most of the drawn tokens' queries (up to
    16 of them, and generation's)."""
    config = llama_config(draw, heads, own_head_dim=True)  # its reference's default head_dim is 128
    config["sliding_window"] = draw(st.one_of(st.none(), st.integers(1, 8)))
    params = config["rope_parameters"] | {"llama_4_scaling_beta": draw(st.sampled_from([0.1, 0.5, 2.0]))}
    params["original_max_position_embeddings"] = draw(st.sampled_from([2, 4, 8]))
    return config | {"rope_parameters": params}


def hunyuan_config(draw, heads: int) -> dict:
    config = llama_config(draw, heads)
    # its reference reads head_dim (None by default) without a fallback
    config["head_dim"] = config.get("head_dim") or config["hidden_size"] // heads
    # its `dynamic` law divides by head_dim - 2, so its reference cannot build a head 2 wide (archgen
    # refuses it by name: test_ntk_alpha_on_a_head_two_wide_is_refused_by_name)
    config["head_dim"] = max(config["head_dim"], 4)
    config = rope_scaling(draw, config, heads, (*ROPE_TYPES, "dynamic"))
    return config | {"attention_bias": draw(st.booleans())}


def hunyuan_moe_config(draw, heads: int) -> dict:
    count = draw(st.integers(1, 6))
    return hunyuan_config(draw, heads) | {"num_experts": count, "moe_topk": draw(st.integers(1, count))}


def helium_config(draw, heads: int) -> dict:
    config = llama_config(draw, heads)
    config["head_dim"] = (
        config["hidden_size"] // heads
    )  # its o_proj is hidden_size -> hidden_size (default 128)
    config = rope_scaling(draw, config, heads)  # LongRoPE's factors for that width
    return config | {"attention_bias": draw(st.booleans()), "mlp_bias": draw(st.booleans())}


def ernie4_5_config(draw, heads: int) -> dict:
    return llama_config(draw, heads, own_head_dim=True) | {
        "use_bias": draw(st.booleans())
    }  # its default is 128


def ernie4_5_moe_config(draw, heads: int) -> dict:
    """Experts in the layers from a drawn start to a drawn end (-1: the last), every first or
    second one; a shared expert one or two experts wide."""
    config = llama_config(draw, heads, own_head_dim=True)  # its default is 128
    count, layers = draw(st.integers(1, 6)), config["num_hidden_layers"]
    return config | {
        "moe_num_experts": count,
        "moe_k": draw(st.integers(1, count)),
        "moe_intermediate_size": draw(st.integers(4, 24)),
        "moe_num_shared_experts": draw(st.integers(1, 2)),
        "moe_layer_start_index": draw(st.integers(0, 1)),
        "moe_layer_end_index": draw(st.sampled_from([-1, *range(layers)])),
        "moe_layer_interval": draw(st.integers(1, 2)),
    }


def sigmoid_experts(draw, count_key: str = "n_routed_experts", shared_key: str = "n_shared_experts") -> dict:
    """GLM-4.5's experts: two to six in one to three groups of at least two (its reference scores
    each group by its top two), a token choosing from one to all of its best groups, one to all of
    them per token, renormalized or not, scaled, beside a shared expert one or two experts wide,
    after up to two dense layers."""
    count = draw(st.integers(2, 6))
    groups = draw(st.sampled_from([g for g in (1, 2, 3) if count % g == 0 and count // g >= 2]))
    best = draw(st.integers(1, groups))  # group-limited routing past 1: a token chooses from its best groups
    return {
        count_key: count,
        "n_group": groups,
        "topk_group": best,
        "num_experts_per_tok": draw(st.integers(1, best * count // groups)),
        "moe_intermediate_size": draw(st.integers(4, 24)),
        shared_key: draw(st.integers(1, 2)),
        "first_k_dense_replace": draw(st.integers(0, 2)),
        "norm_topk_prob": draw(st.booleans()),
        "routed_scaling_factor": draw(st.sampled_from([1.0, 2.5])),
    }


def ffn_kinds(draw, layers: int) -> list[str] | None:
    """Half the time, each layer's FFN kind drawn (`mlp_layer_types`); else None, the reference's default."""
    if draw(st.booleans()):
        return draw(st.lists(st.sampled_from(["sparse", "dense"]), min_size=layers, max_size=layers))
    return None


def glm4_moe_config(draw, heads: int) -> dict:
    """Partial rotary positions and GLM-4.5's experts, with optional q/k/v biases and query/key norms."""
    config = partial_rotary_config(draw, heads)
    return (
        config
        | sigmoid_experts(draw)
        | {
            "num_key_value_heads": draw(st.sampled_from([d for d in range(1, heads + 1) if heads % d == 0])),
            "hidden_act": draw(st.sampled_from(["silu", "gelu"])),
            "attention_bias": draw(st.booleans()),
            "use_qk_norm": draw(st.booleans()),
        }
    )


def latent_config(draw, heads: int) -> dict:
    """Multi-head latent attention on Llama's dense layers: a drawn latent, query rank (or null:
    one query projection), unrotated, rotated and value widths, adjacent or halved rotary pairs,
    and RoPE unscaled, linear or YaRN (whose `mscale_all_dim` also scales the scores)."""
    config = {
        "num_hidden_layers": draw(st.integers(1, 3)),
        "num_attention_heads": heads,
        "num_key_value_heads": heads,  # its references repeat keys and values otherwise
        # at least 4 wide: a model 2 wide amplifies rounding past the tolerance (its reference moves
        # 1.1e-5 when one weight moves by 1e-7 of itself)
        "hidden_size": heads * draw(st.integers(2, 8)) * 2,
        "intermediate_size": draw(st.integers(4, 48)),
        "hidden_act": draw(st.sampled_from(["silu", "gelu"])),
        "qk_nope_head_dim": draw(st.integers(1, 8)),
        "qk_rope_head_dim": 2 * draw(st.integers(1, 4)),
        "v_head_dim": draw(st.integers(1, 8)),
        "kv_lora_rank": draw(st.integers(2, 16)),
        "q_lora_rank": draw(st.one_of(st.none(), st.integers(2, 16))),
        "rope_interleave": draw(st.booleans()),
        "attention_bias": draw(st.booleans()),
        "rms_norm_eps": draw(st.sampled_from([1e-6, 1e-2])),  # not the latent norms' epsilon, 1e-6
        "rope_parameters": {"rope_type": "default", "rope_theta": draw(st.sampled_from([10000.0, 5e5]))},
        "tie_word_embeddings": draw(st.booleans()),
    }
    return rope_scaling(draw, config, heads, ("default", "linear", "yarn"))


def deepseek_v3_config(draw, heads: int) -> dict:
    """Multi-head latent attention on GLM-4.5's experts."""
    return latent_config(draw, heads) | sigmoid_experts(draw)


def kda_experts_and_kinds(draw, config: dict) -> tuple[dict, list[str]]:
    """GLM-4.5's experts under the names Bailing Hybrid's and Kimi Linear's config.json files hold
    (and their tiny configs', which they replace), and each layer's kind, linear or attending."""
    names = {"n_group": "num_expert_group", "num_experts_per_tok": "num_experts_per_token"}
    names |= {"norm_topk_prob": "moe_renormalize"}
    experts = sigmoid_experts(draw, count_key="num_experts", shared_key="num_shared_experts")
    config = config | {names.get(key, key): value for key, value in experts.items()}
    layers = config["num_hidden_layers"]
    kinds = draw(
        st.lists(st.sampled_from(["linear_attention", "full_attention"]), min_size=layers, max_size=layers)
    )
    # at least one attending layer: their references' caches fail without one (`get_seq_length`)
    kinds[draw(st.integers(0, layers - 1))] = "full_attention"
    return config, kinds


def bailing_hybrid_config(draw, heads: int) -> dict:
    """DeepSeek-V3's latent attention (one query projection, adjacent rotary pairs) and experts in
    the layers `layer_types` marks `full_attention` and `mlp_layer_types` marks `sparse`, Kimi Delta
    Attention in the others: heads of their own width, a decay per key feature bounded by a sigmoid
    or not, a convolution 2 to 4 wide."""
    config = latent_config(draw, heads)
    for key in ("rope_interleave", "q_lora_rank"):  # not keys of its: always adjacent, one projection
        del config[key]
    config, kinds = kda_experts_and_kinds(draw, config)
    layers = config["num_hidden_layers"]
    return config | {
        "mlp_layer_types": ffn_kinds(draw, layers),  # None: its reference's, from first_k_dense_replace
        "layer_types": kinds,
        "head_dim": draw(st.integers(1, 8)),  # the linear heads' (config.json then holds qk_rope_head_dim)
        "short_conv_kernel_size": draw(st.integers(2, 4)),
        "kda_safe_gate": draw(st.booleans()),
        "kda_lower_bound": draw(st.sampled_from([-5.0, -1.0])),
    }


def kimi_linear_config(draw, heads: int) -> dict:
    """Bailing Hybrid's layers without positions: latent attention whose shared key part is not
    rotated (queries through a low rank or not), Kimi Delta Attention whose decay input and output
    gate pass a rank of its head width, heads and convolution width given flat or in the
    `linear_attn_config` mapping released config.json files hold (which takes precedence)."""
    config = latent_config(draw, heads)
    for key in ("rope_interleave", "rope_parameters"):  # not keys of its: it has no positions
        config.pop(key, None)
    config, kinds = kda_experts_and_kinds(draw, config)
    layers = config["num_hidden_layers"]
    linear = {
        "linear_head_dim": draw(st.integers(1, 8)),
        "linear_num_heads": draw(st.integers(1, 4)),
        "linear_conv_kernel_dim": draw(st.integers(2, 4)),
    }
    if draw(st.booleans()):  # as released config.json files write them
        names = {"linear_head_dim": "head_dim", "linear_num_heads": "num_heads"}
        names |= {"linear_conv_kernel_dim": "short_conv_kernel_size"}
        linear = {"linear_attn_config": {names[key]: value for key, value in linear.items()}}
    return config | linear | {"mlp_layer_types": ffn_kinds(draw, layers), "layer_types": kinds}


def deepseek_v32_config(draw, heads: int, indexer_types: bool = False) -> dict:
    """DeepSeek-V3's, its queries always through the low rank and its rotary pairs always
    adjacent, experts in the layers `mlp_layer_types` marks (or after the dense ones), and a
    sparse-attention indexer that keeps at least as many keys as the drawn calls have (16
    tokens at most); `indexer_types`: GLM-5's layers that share the last full one's indexer."""
    config = latent_config(draw, heads) | sigmoid_experts(draw)
    del config["rope_interleave"]  # not a key of its
    layers = config["num_hidden_layers"]
    kinds = ffn_kinds(draw, layers)
    if kinds is not None:
        config["mlp_layer_types"] = kinds
    if indexer_types and draw(st.booleans()):
        rest = st.lists(st.sampled_from(["full", "shared"]), min_size=layers - 1, max_size=layers - 1)
        config["indexer_types"] = ["full", *draw(rest)]
    return config | {
        "q_lora_rank": draw(st.integers(2, 16)),
        "index_topk": draw(st.sampled_from([16, 64])),
        "index_n_heads": draw(st.integers(1, 2)),
        "index_head_dim": config["qk_rope_head_dim"] + 2 * draw(st.integers(1, 3)),
    }


def axk2_config(draw, heads: int) -> dict:
    """DeepSeek-V3.2's (its indexer keeping every key), the query up-projection reading the normed
    and raw low-rank queries and gating each value feature, gated norms of a drawn rank (before the
    FFN only in the layers with experts), and half the time no routing groups (`n_group` null)."""
    config = deepseek_v32_config(draw, heads)
    if draw(st.booleans()):  # its default: one group of every expert
        config |= {"n_group": None, "topk_group": None}
    return config | {"gated_norm_rank": draw(st.integers(1, 8))}


def jetmoe_config(draw, heads: int) -> dict:
    """A mixture of attention heads: `heads` key/value heads of an even width of their own, one to
    four experts in both sublayers, one to all of them per token (its config derives the query
    heads, `heads * top_k`), the FFN's experts GraniteMoE's, RoPE under any law, and a final
    norm's epsilon the layers' norms ignore."""
    count = draw(st.integers(1, 4))
    head_dim = 2 * draw(st.integers(1, 4))
    config = {
        "num_hidden_layers": draw(st.integers(1, 3)),
        "num_key_value_heads": heads,
        "hidden_size": 2 * draw(st.integers(2, 8)),  # any width: the heads' features are their own
        "intermediate_size": draw(st.integers(4, 24)),
        "num_local_experts": count,
        "num_experts_per_tok": draw(st.integers(1, count)),
        "activation_function": draw(st.sampled_from(["silu", "gelu"])),
        "rms_norm_eps": draw(st.sampled_from([1e-6, 1e-2])),
        "rope_parameters": {"rope_type": "default", "rope_theta": draw(st.sampled_from([10000.0, 5e5]))},
        "tie_word_embeddings": draw(st.booleans()),
    }
    config = rope_scaling(draw, config | {"head_dim": head_dim}, heads * config["num_experts_per_tok"])
    del config["head_dim"]  # its config's name for it is kv_channels
    return config | {"kv_channels": head_dim}


def glm_moe_dsa_config(draw, heads: int) -> dict:
    return deepseek_v32_config(draw, heads, indexer_types=True)


def deepseek_v2_config(draw, heads: int) -> dict:
    """Multi-head latent attention (its pairs always adjacent) on two to six softmax-routed experts,
    chosen greedily or, group-limited, from a token's best groups (each scored by its best expert,
    groups of one included), never renormalized, scaled, beside a shared expert one or two experts
    wide, after up to two dense layers."""
    config = latent_config(draw, heads)
    del config["rope_interleave"]  # not a key of its
    # its reference views the rotated parts as complex numbers, which needs them at even offsets
    config |= {"qk_nope_head_dim": 2 * draw(st.integers(1, 4)), "kv_lora_rank": 2 * draw(st.integers(1, 8))}
    count = draw(st.integers(2, 6))
    groups = draw(st.sampled_from([g for g in range(1, count + 1) if count % g == 0]))
    method = draw(st.sampled_from(["greedy", "group_limited_greedy"]))
    best = draw(st.integers(1, groups))
    reach = best * count // groups if method == "group_limited_greedy" else count
    return config | {
        "n_routed_experts": count,
        "n_group": groups,
        "topk_group": best,
        "topk_method": method,
        "num_experts_per_tok": draw(st.integers(1, reach)),
        "moe_intermediate_size": draw(st.integers(4, 24)),
        "n_shared_experts": draw(st.integers(1, 2)),
        "first_k_dense_replace": draw(st.integers(0, 2)),
        "routed_scaling_factor": draw(st.sampled_from([1.0, 16.0])),
    }


def mistral4_config(draw, heads: int) -> dict:
    """Multi-head latent attention on GLM-4.5's expert layout, softmax-routed, under a RoPE scaling
    law (its reference's default RoPE rotates every feature of qk_nope + qk_rope, and fails), its
    queries scaled by position: `llama_4_scaling_beta` (0 for none) per drawn pretraining length,
    which the drawn sequences (up to 16 tokens) cross."""
    config = latent_config(draw, heads) | sigmoid_experts(draw)
    head_dim = config["qk_nope_head_dim"] + config["qk_rope_head_dim"]
    base = {
        "rope_theta": config["rope_parameters"]["rope_theta"],
        "partial_rotary_factor": config["qk_rope_head_dim"] / head_dim,  # as its reference defaults it
    }
    kinds = ("linear", "llama3", "yarn", "longrope")
    params = rope_scaling(draw, {"head_dim": head_dim, "rope_parameters": base}, heads, kinds)[
        "rope_parameters"
    ]
    params.setdefault("original_max_position_embeddings", draw(st.sampled_from([4, 8, 16, 32])))
    beta = draw(st.sampled_from([0.0, 0.1, 2.0]))
    return config | {"rope_parameters": params | {"llama_4_scaling_beta": beta}}


def minicpm3_config(draw, heads: int) -> dict:
    """Multi-head latent attention on Llama's dense layers (its rotary pairs always halves, RoPE
    under any law) with muP multipliers: word embeddings times `scale_emb`, each sublayer's output
    times `scale_depth / sqrt(num_hidden_layers)`, the LM head's input divided by
    `hidden_size / dim_model_base`; switched biases, and a value width of its own or null
    (hidden_size / heads)."""
    config = latent_config(draw, heads)
    del config["rope_interleave"]  # not a key of its: its pairs are always halves
    # its reference rotates `qk_rope_head_dim` features (its head_dim): LongRoPE's factors are per pair
    config = rope_scaling(draw, config | {"head_dim": config["qk_rope_head_dim"]}, heads)
    return config | {
        "mlp_bias": draw(st.booleans()),
        "v_head_dim": draw(st.one_of(st.none(), st.integers(1, 8))),  # null: hidden_size // heads
        "scale_emb": draw(st.sampled_from([1.0, 12.0, 2.5])),
        "scale_depth": draw(st.sampled_from([1.4, 0.5, 3.0, None])),  # null: sqrt(layers), written resolved
        "dim_model_base": draw(st.sampled_from([4, 8, 256, None])),  # null: hidden_size, written resolved
    }


def axk1_config(draw, heads: int) -> dict:
    """Multi-head latent attention, its queries always low-rank, on GLM-4.5's experts, whose
    output is normed, in the layers a drawn `mlp_layer_types` marks sparse (or all but the first:
    its reference's default)."""
    config = latent_config(draw, heads) | sigmoid_experts(draw)
    del config["first_k_dense_replace"]  # its config turns it into the list
    return config | {
        "q_lora_rank": draw(st.integers(2, 16)),  # never null: its reference always takes the low-rank path
        "mlp_layer_types": ffn_kinds(draw, config["num_hidden_layers"]),
    }


def glm4_moe_lite_config(draw, heads: int) -> dict:
    """Multi-head latent attention on GLM-4.5's experts, in the layers a drawn `mlp_layer_types`
    marks sparse (or all but the first: the reference's default)."""
    config = latent_config(draw, heads) | sigmoid_experts(draw)
    del config["first_k_dense_replace"]  # not a key of its
    return config | {"mlp_layer_types": ffn_kinds(draw, config["num_hidden_layers"])}


def gpt_oss_config(draw, heads: int) -> dict:
    """Llama's sizes at a head width of its own (its default is 64), with q/k/v/o biases or none, a
    window on the layers a drawn `layer_types` marks (or every other one: the reference's default),
    and one to six experts, one to all of them per token, their products clamped at a limit the
    drawn activations cross (0.05, 0.5) or seldom reach (7)."""
    config = llama_config(draw, heads, own_head_dim=True)
    count = draw(st.integers(1, 6))
    layers = config["num_hidden_layers"]
    kinds = st.sampled_from(["sliding_attention", "full_attention"])
    return config | {
        "attention_bias": draw(st.booleans()),
        "num_local_experts": count,
        "num_experts_per_tok": draw(st.integers(1, count)),
        "sliding_window": draw(st.integers(1, 8)),
        "layer_types": draw(st.one_of(st.none(), st.lists(kinds, min_size=layers, max_size=layers))),
        "swiglu_limit": draw(st.sampled_from([0.05, 0.5, 7.0])),
        "swiglu_alpha": draw(st.sampled_from([1.0, 1.702])),
    }


def diffllama_config(draw, heads: int) -> dict:
    """Llama's draws at twice the drawn head count with an even count of key/value heads (its
    reference refuses an odd one), attention biases or none, and λ vectors drawn at the
    reference's initial spread or five times it (λ far from its initial value)."""
    config = llama_config(draw, 2 * heads)
    kv_heads = [d for d in range(2, 2 * heads + 1, 2) if 2 * heads % d == 0]
    return config | {
        "num_key_value_heads": draw(st.sampled_from(kv_heads)),
        "attention_bias": draw(st.booleans()),
        "lambda_std_dev": draw(st.sampled_from([0.1, 0.5])),
    }


def longformer_config(draw, heads: int) -> dict:
    """BERT's draws with one attention window for every layer (4 to 32 slots: narrower and wider than
    the drawn rows), written as one number or one per layer, as config.json may."""
    config = bert_config(draw, heads)
    window = draw(st.sampled_from([4, 8, 32]))  # its reference fails at 2
    as_list = draw(st.booleans())
    return config | {"attention_window": [window] * config["num_hidden_layers"] if as_list else window}


def squeezebert_config(draw, heads: int) -> dict:
    """BERT's draws with each layer projection's groups (1, 2 or 4, dividing the widths they cut)."""
    config = bert_config(draw, heads)
    divisors = [d for d in (1, 2, 4) if config["hidden_size"] % d == 0]
    up, down = draw(st.sampled_from(divisors)), draw(st.sampled_from(divisors))
    return config | {
        "embedding_size": config["hidden_size"],
        "intermediate_size": up * down * draw(st.integers(1, 12)),
        "q_groups": draw(st.sampled_from(divisors)),
        "k_groups": draw(st.sampled_from(divisors)),
        "v_groups": draw(st.sampled_from(divisors)),
        "post_attention_groups": draw(st.sampled_from(divisors)),
        "intermediate_groups": up,
        "output_groups": down,
        "layer_norm_eps": 1e-12,
    }


def text_mrope(draw, config: dict, pairs: int) -> dict:
    """`config` at the default RoPE (no scaling law) over M-RoPE sections (t, h, w) of its `pairs`
    rotated pairs: text alone gives the three one position each, which is plain RoPE."""
    t = draw(st.integers(1, pairs))
    h = draw(st.integers(0, pairs - t))
    params = config["rope_parameters"]
    kept = {k: params[k] for k in ("rope_theta", "partial_rotary_factor") if k in params}
    return config | {
        "rope_parameters": {"rope_type": "default", **kept, "mrope_section": [t, h, pairs - t - h]}
    }


def qwen2_vl_text_config(draw, heads: int) -> dict:
    """Qwen2's draws (a window from `max_window_layers` on) at hidden_size / heads wide heads."""
    config = qwen2_config(draw, heads)
    config.pop("head_dim", None)
    return text_mrope(draw, config, config["hidden_size"] // heads // 2)


def qwen3_vl_text_config(draw, heads: int) -> dict:
    """Llama's draws at a head width of its own, q/k/v/o biases or none, no window."""
    config = llama_config(draw, heads, own_head_dim=True) | {"attention_bias": draw(st.booleans())}
    return text_mrope(draw, config, config["head_dim"] // 2)


def glm4v_text_config(draw, heads: int) -> dict:
    """GLM-4's draws at hidden_size / heads wide heads (GLM-4.1V's), half or all of each head rotated."""
    config = llama_config(draw, heads)
    config.pop("head_dim", None)
    head_dim = config["hidden_size"] // heads
    factor = draw(st.sampled_from([f for f in (0.5, 1.0) if int(head_dim * f) % 4 == 0] or [1.0]))
    config["rope_parameters"]["partial_rotary_factor"] = factor
    return text_mrope(draw, config, int(head_dim * factor) // 2)


def paddleocr_vl_text_config(draw, heads: int) -> dict:
    """ERNIE 4.5's draws (q/k/v/o biases or none, a head width of its own) under text M-RoPE."""
    config = ernie4_5_config(draw, heads)
    return text_mrope(draw, config, config["head_dim"] // 2)


def hunyuan_vl_text_config(draw, heads: int) -> dict:
    """HunYuan's draws (a head width always written, q/k/v/o biases or none) under text M-RoPE."""
    config = hunyuan_config(draw, heads)
    return text_mrope(draw, config, config["head_dim"] // 2)


def qwen3_vl_moe_text_config(draw, heads: int) -> dict:
    """Qwen3-VL's draws with stacked experts: one to six, one to all per token, dense layers among them."""
    config = (
        qwen3_vl_text_config(draw, heads)
        | experts(draw)
        | {"moe_intermediate_size": draw(st.integers(4, 24))}
    )
    return config | dense_layers(draw, config)


def glm4v_moe_text_config(draw, heads: int) -> dict:
    """GLM-4.5's draws (partial rotary, grouped sigmoid-scored experts) without query/key norms,
    under text M-RoPE over the rotated pairs."""
    config = glm4_moe_config(draw, heads)
    del config["use_qk_norm"]
    params = config["rope_parameters"]
    head_dim = config["head_dim"] = config["hidden_size"] // heads  # (its example config's is 16)
    config["rope_parameters"] = {k: params[k] for k in ("rope_type", "rope_theta", "partial_rotary_factor")}
    config["rope_parameters"]["rope_type"] = "default"
    return text_mrope(draw, config, int(head_dim * params["partial_rotary_factor"]) // 2)


def ernie4_5_vl_moe_text_config(draw, heads: int) -> dict:
    """Its text experts in the layers `mlp_layer_types` marks (or all but the first without the list),
    one to six, one to all per token, zero to two shared experts, its reference's M-RoPE sections
    `[h, h, t]` (t at least 1) over each head's pairs."""
    config = llama_config(draw, heads, own_head_dim=True)
    count, layers = draw(st.integers(1, 6)), config["num_hidden_layers"]
    kinds = st.lists(st.sampled_from(["dense", "sparse"]), min_size=layers, max_size=layers)
    pairs = config["head_dim"] // 2
    h = draw(st.integers(0, (pairs - 1) // 2))
    theta = config["rope_parameters"]["rope_theta"]
    return config | {
        "moe_num_experts": count,
        "moe_k": draw(st.integers(1, count)),
        "moe_intermediate_size": [draw(st.integers(4, 16)), draw(st.integers(4, 16))],
        "moe_num_shared_experts": draw(st.integers(0, 2)),
        "mlp_layer_types": draw(st.one_of(st.none(), kinds)),
        "use_bias": False,
        "rope_parameters": {
            "rope_type": "default",
            "rope_theta": theta,
            "mrope_section": [h, h, pairs - 2 * h],
        },
    }


def aria_text_config(draw, heads: int) -> dict:
    """Llama's draws with Aria's experts: one to six, one to all of them per token, one or two
    shared experts' widths in the shared FFN."""
    count = draw(st.integers(1, 6))
    return llama_config(draw, heads) | {
        "moe_num_experts": count,
        "moe_topk": draw(st.integers(1, count)),
        "moe_num_shared_experts": draw(st.integers(1, 2)),
    }


def esmc_config(draw, heads: int) -> dict:
    """Llama's draws at one key/value head per query head and no head width of its own (ESM C's
    query and key norms span the whole width), layer counts that move its residual scale."""
    config = llama_config(draw, heads)
    config.pop("head_dim", None)
    theta = config["rope_parameters"]["rope_theta"]
    config["rope_parameters"] = {"rope_type": "default", "rope_theta": theta}
    config = rope_scaling(draw, config, heads)  # over the whole width's pairs, as drawn now
    return config | {"num_key_value_heads": heads, "num_hidden_layers": draw(st.integers(1, 4))}


def openai_privacy_filter_config(draw, heads: int) -> dict:
    """GPT-OSS's draws without layer types: every layer's window reaches both sides."""
    config = gpt_oss_config(draw, heads)
    del config["layer_types"]
    return config


def cosmos3_edge_text_config(draw, heads: int) -> dict:
    """Llama's sizes with its squared-ReLU FFN (or silu, refused), at the default RoPE alone (its
    reference allows no other), each head's pairs split in three M-RoPE sections (text alone
    gives them one position each)."""
    config = llama_config(draw, heads, own_head_dim=True)
    sections = draw(st.lists(st.integers(1, 2), min_size=3, max_size=3))
    theta = config["rope_parameters"]["rope_theta"]
    return config | {
        "head_dim": 2 * sum(sections),
        "hidden_act": draw(st.sampled_from(["relu2", "silu"])),
        "rope_parameters": {"rope_type": "default", "rope_theta": theta, "mrope_section": sections},
    }


def dbrx_config(draw, heads: int) -> dict:
    """DBRX's sizes, nested in `attn_config` and `ffn_config`: grouped-query heads, q/k/v clamped
    or not, one to six experts, one to all of them per token, their probabilities divided by
    their sum or not (`moe_normalize_expert_weights` 1 or null). Its activation is silu (the spec
    is built for it; the refusal of another is the generic `activation_config` check)."""
    count = draw(st.integers(1, 6))
    return {
        "d_model": heads * draw(st.integers(2, 8)) * 2,
        "n_heads": heads,
        "n_layers": draw(st.integers(1, 3)),
        "attn_config": {
            "kv_n_heads": draw(st.sampled_from([d for d in range(1, heads + 1) if heads % d == 0])),
            "clip_qkv": draw(st.sampled_from([0.05, 8.0])),  # its reference cannot run without one
            "rope_theta": draw(st.sampled_from([10000.0, 5e5])),
        },
        "ffn_config": {
            "ffn_hidden_size": draw(st.integers(4, 48)),
            "moe_num_experts": count,
            "moe_top_k": draw(st.integers(1, count)),
            "moe_normalize_expert_weights": draw(st.sampled_from([1.0, None])),
            "ffn_act_fn": {"name": "silu"},
        },
        "tie_word_embeddings": False,  # its reference refuses to tie
    }


def apertus_config(draw, heads: int) -> dict:
    """Llama's sizes with xIELU (or silu, which the spec refuses by name)."""
    return llama_config(draw, heads) | {"hidden_act": draw(st.sampled_from(["xielu", "silu"]))}


def dots1_config(draw, heads: int) -> dict:
    """Qwen3's drawn sizes and window (its `use_sliding_window` ignored: the window follows
    `max_window_layers` alone), with GLM-4.5's experts."""
    return qwen3_config(draw, heads) | sigmoid_experts(draw) | {"attention_bias": draw(st.booleans())}


def flex_olmo_config(draw, heads: int) -> dict:
    """OLMoE's experts on OLMo 2's layers, heads of any width (its query/key norms span
    num_heads * head_dim and num_kv_heads * head_dim), with a bias switch over all four projections."""
    return llama_config(draw, heads) | experts(draw) | {"attention_bias": draw(st.booleans())}


def solar_open_config(draw, heads: int) -> dict:
    """Llama's attention (q/k/v biases on a switch, full rotary) with GLM-4.5's experts in every layer."""
    config = llama_config(draw, heads, own_head_dim=True)  # its default is 128
    config.pop("intermediate_size")  # not a key of Solar Open's: every layer holds the experts
    experts = sigmoid_experts(draw)
    del experts["first_k_dense_replace"]
    return config | experts | {"attention_bias": draw(st.booleans())}


def mellum_config(draw, heads: int) -> dict:
    """OLMo 3's window and per-type RoPE on Qwen3-MoE's experts, in the layers a drawn
    `mlp_layer_types` marks sparse (or every layer: the reference's default)."""
    config = olmo3_config(draw, heads) | experts(draw) | {"moe_intermediate_size": draw(st.integers(4, 24))}
    config["head_dim"] = config.get("head_dim") or config["hidden_size"] // heads  # its default is 128
    config.setdefault("layer_types", None)  # None: the reference's default (over the tiny config's list)
    return config | {"mlp_layer_types": ffn_kinds(draw, config["num_hidden_layers"])}


def exaone_moe_config(draw, heads: int) -> dict:
    """EXAONE 4.0's layers (a window and rotary positions on those `layer_types` marks sliding,
    drawn or by `sliding_window_pattern`; its strict config always has a window), with GLM-4.5's
    experts in the layers a drawn `mlp_layer_types` marks sparse, or from `first_k_dense_replace` on."""
    config = llama_config(draw, heads)
    config |= {"sliding_window": draw(st.integers(1, 8)), "sliding_window_pattern": draw(st.integers(1, 3))}
    config |= layer_kinds(draw, config)
    experts = sigmoid_experts(draw, "num_experts", "num_shared_experts")
    return config | experts | {"mlp_layer_types": ffn_kinds(draw, config["num_hidden_layers"])}


def cohere2_moe_config(draw, heads: int) -> dict:
    """Cohere 2's drawn layers and logit scale at a head width of its own (its default is 128),
    with optional q/k/v/o biases and a mixture of one to six experts routed by softmax or sigmoid
    scores (renormalized or not), beside none, one or two shared experts' width, averaged or added;
    RMSNorms or LayerNorms, and dense layers where a drawn `mlp_layer_types` says, or a prefix of
    `first_k_dense_replace` (its reference writes both lists from it), rotated whatever their
    attention when `prefix_dense_sliding_window_pattern` is 1."""
    config = llama_config(draw, heads, own_head_dim=True)
    config |= {
        "logit_scale": draw(st.sampled_from([0.0625, 0.125, 1.0])),
        "attention_bias": draw(st.booleans()),
        "sliding_window": draw(st.integers(1, 8)),
        "sliding_window_pattern": draw(st.integers(1, 3)),
    }
    config |= layer_kinds(draw, config)
    count = draw(st.integers(1, 6))
    return (
        config
        | {
            "num_experts": count,
            "num_experts_per_tok": draw(st.integers(1, count)),
            "expert_selection_fn": draw(st.sampled_from(["softmax", "sigmoid"])),
            "norm_topk_prob": draw(st.booleans()),
            "num_shared_experts": draw(st.integers(0, 2)),
            "shared_expert_combination_strategy": draw(st.sampled_from(["average", "sum"])),
            "rms_norm_eps": draw(st.sampled_from([None, 1e-6, 1e-2])),
            "prefix_dense_intermediate_size": draw(st.integers(4, 24)),
            "prefix_dense_sliding_window_pattern": draw(st.integers(1, 3)),
        }
        | (
            {"mlp_layer_types": ffn_kinds(draw, config["num_hidden_layers"])}
            if draw(st.booleans())
            else {
                "mlp_layer_types": None,
                "first_k_dense_replace": draw(st.integers(0, config["num_hidden_layers"])),
            }
        )
    )


def seed_oss_config(draw, heads: int) -> dict:
    config = llama_config(draw, heads, own_head_dim=True)  # its default is 128
    return config | {k: draw(st.booleans()) for k in ("attention_bias", "attention_out_bias", "mlp_bias")}


def bitnet_config(draw, heads: int) -> dict:
    config = llama_config(draw, heads)
    if config.pop("head_dim", None):  # its config has none: the sub-norm is hidden_size wide
        config = rope_scaling(draw, config, heads)  # RoPE factors for hidden_size / heads features
    return config | {
        "hidden_act": draw(st.sampled_from(["relu2", "silu"])),
        "attention_bias": draw(st.booleans()),  # a bias switch
    }


def nanochat_config(draw, heads: int) -> dict:
    return llama_config(draw, heads) | {
        "hidden_act": draw(st.sampled_from(["relu2", "silu"])),
        "attention_bias": draw(st.booleans()),  # a bias switch
        "final_logit_softcapping": draw(st.sampled_from([None, 15.0, 0.5])),  # 0.5 caps most logits
    }


def hyperclovax_config(draw, heads: int) -> dict:
    config = granite_config(draw, heads) | {
        "use_post_norm": draw(st.booleans()),  # sandwich layers, or pre-norm ones
        "attention_bias": draw(st.booleans()),  # bias switches
        "mlp_bias": draw(st.booleans()),
    }
    if draw(st.booleans()):  # its reference's default, head_dim ** -0.5
        config["attention_multiplier"] = None
    return config


def megatron_bert_config(draw, heads: int) -> dict:
    return bert_config(draw, heads) | {"layer_norm_eps": draw(st.sampled_from([1e-5, 1e-12]))}


def ernie_config(draw, heads: int) -> dict:
    return bert_config(draw, heads) | {"use_task_id": False}  # the task-type table is refused by the spec


def rotary_bert_config(draw, heads: int, thetas: tuple[float, float], head_dim: bool = True) -> dict:
    """BERT's sizes with rotary positions: an even head width (rotary pairs features), with
    `head_dim` one of its own half the time, RoPE at one of `thetas`, scaled or not."""
    config = bert_config(draw, heads)
    config["hidden_size"] = heads * 2 * draw(st.integers(2, 8))
    if head_dim and draw(st.booleans()):  # a head width of its own, not hidden_size / heads
        config["head_dim"] = 2 * draw(st.integers(1, 6))
    config["rope_parameters"] = {"rope_type": "default", "rope_theta": draw(st.sampled_from(thetas))}
    return rope_scaling(draw, config, heads)


def rembert_config(draw, heads: int) -> dict:
    """BERT's draws with decoupled input and output embedding widths."""
    return bert_config(draw, heads) | {
        "input_embedding_size": draw(st.integers(4, 24)),
        "output_embedding_size": draw(st.integers(4, 24)),
    }


def ctrl_config(draw, heads: int) -> dict:
    return {
        "n_layer": draw(st.integers(1, 3)),
        "n_head": heads,
        "n_embd": heads * draw(st.integers(2, 12)),  # the computed table takes an odd width too
        "dff": draw(st.integers(4, 48)),
        "n_positions": 32,
    }


def xlm_config(draw, heads: int) -> dict:
    return {
        "n_layers": draw(st.integers(1, 3)),
        "n_heads": heads,
        "emb_dim": heads * draw(st.integers(2, 12)),
        "layer_norm_eps": draw(st.sampled_from([1e-5, 1e-12])),
        "pad_index": 2,
        "dropout": 0.0,
        "attention_dropout": 0.0,
    }


def esm_config(draw, heads: int) -> dict:
    """ESM-2: rotary positions over an even head width, token dropout on or off; the mask token is
    one of the low ids, which the drawn batches hold now and then."""
    return {
        "num_hidden_layers": draw(st.integers(1, 3)),
        "num_attention_heads": heads,
        "hidden_size": heads * 2 * draw(st.integers(2, 8)),
        "intermediate_size": draw(st.integers(4, 48)),
        "position_embedding_type": "rotary",
        "rope_theta": draw(st.sampled_from([10000.0, 1000.0])),
        "mask_token_id": draw(st.sampled_from([2, 3])),
        "token_dropout": draw(st.booleans()),
        "layer_norm_eps": draw(st.sampled_from([1e-5, 1e-12])),
    }


def esm1b_config(draw, heads: int) -> dict:
    """ESM-1b: ESM's draws with learned padding-aware positions and an embedding norm."""
    return esm_config(draw, heads) | {"position_embedding_type": "absolute", "emb_layer_norm_before": True}


def nomic_bert_config(draw, heads: int) -> dict:
    return rotary_bert_config(draw, heads, (1000.0, 10000.0)) | {
        "hidden_act": draw(st.sampled_from(["silu", "gelu"])),
        "layer_norm_eps": draw(st.sampled_from([1e-5, 1e-12])),
    }


def gte_config(draw, heads: int) -> dict:
    return rotary_bert_config(draw, heads, (160000.0, 10000.0), head_dim=False) | {
        "type_vocab_size": draw(st.sampled_from([0, 2])),  # none (no table), or types 0 and 1
    }


def jina_embeddings_v3_config(draw, heads: int) -> dict:
    return rotary_bert_config(draw, heads, (20000.0, 10000.0)) | {
        "layer_norm_eps": draw(st.sampled_from([1e-5, 1e-12])),
        "type_vocab_size": 2,  # its default is 1; the drawn batches hold types 0 and 1
        "tie_word_embeddings": draw(st.booleans()),
    }


def eurobert_config(draw, heads: int) -> dict:
    # mlp_bias is refused by the spec: drawn only where it builds
    return llama_config(draw, heads) | {
        "classifier_pooling": draw(st.sampled_from(["bos", "mean", "late"])),
        "attention_bias": draw(st.booleans()),
    }


def ultrabert_config(draw, heads: int) -> dict:
    config = llama_config(draw, heads)
    layers = config["num_hidden_layers"] = draw(st.integers(1, 4))
    kinds = st.sampled_from(["sliding_attention", "full_attention"])
    rope = {}
    for kind in ("full_attention", "sliding_attention"):  # RoPE per layer type, each its own theta and law
        theta = {"rope_parameters": {"rope_theta": draw(st.sampled_from([2560000.0, 10000.0, 100.0]))}}
        rope[kind] = rope_scaling(draw, config | theta, heads)["rope_parameters"]
        rope[kind].pop("truncate", None)  # the reference reads truncate from the top of the mapping
    return config | {
        "layer_types": draw(st.lists(kinds, min_size=layers, max_size=layers)),
        "rope_parameters": rope,
        "sliding_window": draw(st.integers(1, 10)),
        "prediction_head_size": draw(st.integers(4, 48)),
        "classifier_pooling": draw(st.sampled_from(["cls", "mean"])),
        "attention_bias": draw(st.booleans()),
        "mlp_bias": draw(st.booleans()),
    }


def minimax_m2_config(draw, heads: int) -> dict:
    """Partial rotary positions (a factor in `rope_parameters`, or the released top-level
    `rotary_dim`) at a head width of its own (its default is 128), with one to six
    sigmoid-scored experts, one to all of them per token."""
    head_dim, factor = draw(st.sampled_from(ROTARY_SHAPES))
    config = {
        "num_hidden_layers": draw(st.integers(1, 3)),
        "num_attention_heads": heads,
        "num_key_value_heads": draw(st.sampled_from([d for d in range(1, heads + 1) if heads % d == 0])),
        "hidden_size": heads * 2 * draw(st.integers(1, 8)),
        "head_dim": head_dim,
        "intermediate_size": draw(st.integers(4, 24)),
        "hidden_act": draw(st.sampled_from(["silu", "gelu"])),
        "rope_parameters": {
            "rope_type": "default",
            "rope_theta": draw(st.sampled_from([10000.0, 5e6])),
            "partial_rotary_factor": factor,
        },
        "tie_word_embeddings": draw(st.booleans()),
    }
    config = rope_scaling(draw, config, heads)
    if draw(st.booleans()):  # as released: the rotated width at the top of config.json
        config["rotary_dim"] = int(head_dim * config["rope_parameters"].pop("partial_rotary_factor"))
    count = draw(st.integers(1, 6))
    return config | {"num_local_experts": count, "num_experts_per_tok": draw(st.integers(1, count))}


def hy_v3_config(draw, heads: int) -> dict:
    """Llama's sizes at a head width of its own (its default is 128), with q/k/v/o biases or none
    and one to six sigmoid-scored experts, one to all of them per token, scaled, beside a shared
    expert one or two experts wide, in the layers a drawn `mlp_layer_types` marks sparse (or all
    but the first: the reference's default)."""
    config = llama_config(draw, heads, own_head_dim=True)
    count = draw(st.integers(1, 6))
    return config | {
        "attention_bias": draw(st.booleans()),
        "num_experts": count,
        "num_experts_per_tok": draw(st.integers(1, count)),
        "moe_intermediate_size": draw(st.integers(4, 24)),
        "num_shared_experts": draw(st.integers(1, 2)),
        "router_scaling_factor": draw(st.sampled_from([1.0, 2.826])),
        "mlp_layer_types": ffn_kinds(draw, config["num_hidden_layers"]),
    }


def modernbert_decoder_config(draw, heads: int) -> dict:
    """ModernBERT's drawn layers, windows and RoPE per layer type (its classifier reads the last
    non-padding token, so no `classifier_pooling`), its LM head tied or not."""
    config = modernbert_config(draw, heads)
    del config["classifier_pooling"]
    return config | {"tie_word_embeddings": draw(st.booleans())}


def afmoe_config(draw, heads: int) -> dict:
    """Kolibri-1's layers with a window period of their own (`global_attn_every_n_layers`), one to
    six experts after up to two dense layers, scaled, beside a shared expert one or two experts
    wide, and the word embeddings scaled by sqrt(hidden_size) or not."""
    config = llama_config(draw, heads, own_head_dim=True)  # its default head width is 128
    config |= {
        "sliding_window": draw(st.integers(1, 8)),
        "global_attn_every_n_layers": draw(st.integers(1, 3)),
    }
    count = draw(st.integers(1, 6))
    return (
        config
        | layer_kinds(draw, config)
        | {
            "num_experts": count,
            "num_experts_per_tok": draw(st.integers(1, count)),
            "moe_intermediate_size": draw(st.integers(4, 24)),
            "num_shared_experts": draw(st.integers(1, 2)),
            "num_dense_layers": draw(st.integers(0, 2)),
            "route_scale": draw(st.sampled_from([1.0, 2.5])),
            "mup_enabled": draw(st.booleans()),
        }
    )


def flint_config(draw, heads: int) -> dict:
    """Qwen3-MoE's sizes (Llama's, a head width of its own) with sigmoid-scored experts beside a
    shared expert, a window, and each layer's kind drawn (its reference's default list follows a
    rule no spec reads, so the list is always given)."""
    config = llama_config(draw, heads, own_head_dim=True) | experts(draw)
    layers = config["num_hidden_layers"]
    kinds = st.sampled_from(["sliding_attention", "full_attention"])
    return (
        config
        | dense_layers(draw, config)
        | {
            "moe_intermediate_size": draw(st.integers(4, 24)),
            "shared_expert_intermediate_size": draw(st.integers(4, 24)),
            "sliding_window": draw(st.integers(1, 8)),
            "layer_types": draw(st.lists(kinds, min_size=layers, max_size=layers)),
        }
    )


def swa_layers(draw, config: dict) -> dict:
    """GraniteSWA's attention: a window, each layer's kind drawn or by its default, and half the
    time a RoPE theta per layer, a 0 for a layer without positions (else none: every layer at
    rope_theta; the tiny examples' lists are 3 long)."""
    layers = config["num_hidden_layers"]
    thetas = st.lists(st.sampled_from([0, 10000.0, 500.0]), min_size=layers, max_size=layers)
    config = config | {"sliding_window": draw(st.integers(1, 8)), "layer_rope_theta": None}
    if draw(st.booleans()):
        config["layer_rope_theta"] = draw(thetas)
    return config | layer_kinds(draw, config)


def granite_swa_config(draw, heads: int) -> dict:
    config = granite_config(draw, heads) | {
        "attention_bias": draw(st.booleans()),
        "mlp_bias": draw(st.booleans()),
    }
    return swa_layers(draw, config)


def granitemoe_swa_config(draw, heads: int) -> dict:
    """GraniteMoE's experts beside a shared expert, or none (0, its default), with GraniteSWA's attention."""
    config = granitemoe_config(draw, heads) | {"shared_intermediate_size": draw(st.sampled_from([0, 8, 20]))}
    return swa_layers(draw, config)


def internlm3_config(draw, heads: int) -> dict:
    config = llama_config(draw, heads, own_head_dim=True)  # its default head width is 128
    bias = draw(st.booleans())  # its config refuses qkv_bias != bias
    return config | {"attention_bias": bias, "mlp_bias": bias}


def iquestcoder_config(draw, heads: int) -> dict:
    config = llama_config(draw, heads, own_head_dim=True)  # its default head width is 128
    return config | {"attention_bias": draw(st.booleans()), "mlp_bias": draw(st.booleans())}


def cwm_config(draw, heads: int) -> dict:
    config = llama_config(draw, heads, own_head_dim=True)  # its default head width is 128
    config |= {
        "num_hidden_layers": draw(
            st.integers(1, 5)
        ),  # its default list: layers 0 and 4 full, others windowed
        "mlp_bias": draw(st.booleans()),
        "sliding_window": draw(st.integers(1, 8)),  # never null or 0: its reference refuses them
    }
    return config | layer_kinds(draw, config)


def kolibri1_config(draw, heads: int) -> dict:
    """EXAONE 4.0's layers (its default head width is 128, so one is always given; its reference
    builds a windowed mask whatever the layers, so it always has a window), with two to six
    sigmoid-scored experts, one to all of them per token, beside a shared expert, in every layer."""
    config = llama_config(draw, heads, own_head_dim=True) | {"sliding_window": draw(st.integers(1, 8))}
    count = draw(st.integers(2, 6))
    return (
        config
        | layer_kinds(draw, config)
        | {
            "num_experts": count,
            "num_experts_per_tok": draw(st.integers(1, count)),
            "moe_intermediate_size": draw(st.integers(4, 24)),
            "shared_expert_intermediate_size": draw(st.integers(4, 24)),
            "norm_topk_prob": draw(st.booleans()),
        }
    )


def exaone4_config(draw, heads: int) -> dict:
    config = llama_config(draw, heads)
    window = draw(st.one_of(st.none(), st.integers(1, 8)))  # none: no hybrid attention, every layer rotates
    config |= {"sliding_window": window, "sliding_window_pattern": draw(st.integers(1, 3))}
    kinds = layer_kinds(draw, config)
    if window is None:  # its reference then needs every layer full (it derives no list, nor windows one)
        kinds = {"layer_types": ["full_attention"] * config["num_hidden_layers"]}
    return config | kinds


def vaultgemma_config(draw, heads: int) -> dict:
    return gemma2_config(draw, heads) | {"attention_bias": draw(st.booleans())}


def glm_config(draw, heads: int) -> dict:
    config = llama_config(draw, heads, own_head_dim=True)  # its default is 128
    head_dim = config["head_dim"]
    factors = [f for f in (0.25, 0.5, 0.75, 1.0) if int(head_dim * f) % 2 == 0 and int(head_dim * f) > 0]
    config["rope_parameters"]["partial_rotary_factor"] = draw(st.sampled_from(factors))
    config = rope_scaling(draw, config, heads)  # LongRoPE's factors for the rotated pairs
    return config | {"attention_bias": draw(st.booleans())}


def glm4_config(draw, heads: int) -> dict:
    return glm_config(draw, heads)  # GLM's knobs; its four norms a layer are no config choice


def gpt_neo_config(draw, heads: int) -> dict:
    layers = draw(st.integers(1, 4))
    kinds = draw(st.lists(st.sampled_from(["global", "local"]), min_size=layers, max_size=layers))
    return {
        "num_layers": layers,
        "num_heads": heads,
        "hidden_size": heads * draw(st.integers(4, 16)),
        "intermediate_size": draw(st.one_of(st.none(), st.integers(4, 48))),
        "activation_function": draw(st.sampled_from(["gelu_new", "relu"])),
        "attention_types": [[kinds, 1]],
        "window_size": draw(st.one_of(st.integers(1, 8), st.just(256))),
        "tie_word_embeddings": draw(st.booleans()),
    }


def mpnet_config(draw, heads: int) -> dict:
    # 32 buckets up to 128 are the reference's constants, not choices (the spec refuses another count)
    config = bert_config(draw, heads) | {"layer_norm_eps": draw(st.sampled_from([1e-5, 1e-12]))}
    return config | {"tie_word_embeddings": draw(st.booleans())}


def modernbert_config(draw, heads: int) -> dict:
    layers = draw(st.integers(1, 4))
    config = {
        "num_hidden_layers": layers,
        "num_attention_heads": heads,
        "hidden_size": heads * 2 * draw(st.integers(2, 8)),  # rotary pairs features: even heads
        "intermediate_size": draw(st.integers(4, 48)),
        "hidden_activation": draw(st.sampled_from(["gelu", "silu"])),
        "norm_eps": draw(st.sampled_from([1e-5, 1e-12])),
        "local_attention": draw(st.integers(2, 20)),  # windows of 1-10 slots each side, or none reached
        "attention_bias": draw(st.booleans()),
        "mlp_bias": draw(st.booleans()),
        "classifier_pooling": draw(st.sampled_from(["cls", "mean"])),
        **{key: 1 for key in ("bos_token_id", "cls_token_id")},
        **{key: 2 for key in ("eos_token_id", "sep_token_id")},
    }
    if draw(st.booleans()):  # every layer's kind; otherwise every n-th from layer 0 is full
        kinds = st.sampled_from(["sliding_attention", "full_attention"])
        config["layer_types"] = draw(st.lists(kinds, min_size=layers, max_size=layers))
    else:
        config["global_attn_every_n_layers"] = draw(st.integers(1, 3))
    # RoPE per layer type, each with its own theta and any law
    rope = {}
    for kind in ("full_attention", "sliding_attention"):
        theta = {"rope_parameters": {"rope_theta": draw(st.sampled_from([160000.0, 10000.0, 100.0]))}}
        rope[kind] = rope_scaling(draw, config | theta, heads)["rope_parameters"]
        rope[kind].pop("truncate", None)  # the reference reads truncate from the top of the mapping
    return config | {"rope_parameters": rope}


def mamba2_config(draw, heads: int) -> dict:
    """Mamba-2's sizes: `heads` state-space heads in groups sharing B and C, a convolution
    2 to 4 wide, time steps clamped to a window or not."""
    head_dim, expand = 2 * draw(st.integers(1, 4)), draw(st.sampled_from([1, 2]))
    config = {
        "num_hidden_layers": draw(st.integers(1, 3)),
        "num_heads": heads,
        "head_dim": head_dim,
        "expand": expand,
        "hidden_size": heads * head_dim // expand,
        "n_groups": draw(st.sampled_from([d for d in range(1, heads + 1) if heads % d == 0])),
        "state_size": draw(st.integers(1, 8)),
        "conv_kernel": draw(st.integers(2, 4)),
        "use_conv_bias": draw(st.booleans()),
        "hidden_act": draw(st.sampled_from(["silu", "gelu"])),
        "tie_word_embeddings": draw(st.booleans()),
        "eos_token_id": 2,
    }
    if draw(st.booleans()):  # a window the drawn time steps (about 0.001 to 0.1) fall on both sides of
        config["time_step_limit"] = [0.005, 0.05]
    return config


def mamba_config(draw, heads: int) -> dict:
    """Mamba's sizes: `expand * hidden_size` channels with states of 1 to 8 entries, time steps of
    rank 1 to 4, a convolution 2 to 4 wide (`heads` only sizes the model)."""
    return {
        "num_hidden_layers": draw(st.integers(1, 3)),
        "hidden_size": 4 * heads,
        "expand": draw(st.sampled_from([1, 2])),
        "state_size": draw(st.integers(1, 8)),
        "time_step_rank": draw(st.integers(1, 4)),
        "conv_kernel": draw(st.integers(2, 4)),
        "use_conv_bias": draw(st.booleans()),
        "hidden_act": draw(st.sampled_from(["silu", "gelu"])),
        "layer_norm_epsilon": draw(st.sampled_from([1e-5, 1e-2])),
        "tie_word_embeddings": draw(st.booleans()),
        "eos_token_id": 2,
    }


def falcon_mamba_config(draw, heads: int) -> dict:
    """Mamba's sizes, and the epsilon of the RMSNorms of the time step, B and C."""
    return mamba_config(draw, heads) | {"mixer_rms_eps": draw(st.sampled_from([1e-6, 1e-1]))}


def jamba_config(draw, heads: int) -> dict:
    """Llama's attention (no positions) every `attn_layer_period` layers from `attn_layer_offset`,
    Mamba-1's mixing of sizes its own in the others; experts every `expert_layer_period` layers
    from `expert_layer_offset` (or none: one expert is a dense FFN everywhere), dense FFNs between."""
    config = llama_config(draw, heads)
    del config["rope_parameters"]
    layers = draw(st.integers(1, 4))
    attn_period, expert_period = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    experts = draw(st.sampled_from([1, 2, 4]))
    return config | {
        "num_hidden_layers": layers,
        "attn_layer_period": attn_period,
        # at least one attending layer: its reference's cache fails without one (`get_seq_length`)
        "attn_layer_offset": draw(st.integers(0, min(attn_period, layers) - 1)),
        "expert_layer_period": expert_period,
        "expert_layer_offset": draw(st.integers(0, expert_period - 1)),
        "num_experts": experts,
        "num_experts_per_tok": draw(st.integers(1, experts)),
        "mamba_expand": draw(st.sampled_from([1, 2])),
        "mamba_d_state": draw(st.integers(1, 8)),
        "mamba_d_conv": draw(st.integers(2, 4)),
        "mamba_dt_rank": draw(st.integers(1, 4)),
        "mamba_conv_bias": draw(st.booleans()),
        "rms_norm_eps": draw(st.sampled_from([1e-6, 1e-2])),
        "use_mamba_kernels": False,
    }


def lfm2_config(draw, heads: int) -> dict:
    """Llama's attention (with per-head query and key norms) in the layers `layer_types` marks
    `full_attention`, gated short convolutions 2 to 4 wide in the `conv` ones; an FFN width the
    reference adjusts (two thirds, a multiplier, a rounding) or not, from `intermediate_size` or
    the released files' `block_ff_dim`."""
    config = llama_config(draw, heads)
    layers = config["num_hidden_layers"]
    ff = config.pop("intermediate_size")
    kinds = draw(st.lists(st.sampled_from(["conv", "full_attention"]), min_size=layers, max_size=layers))
    # at least one attending layer: its reference's cache fails without one (`get_seq_length`)
    kinds[draw(st.integers(0, layers - 1))] = "full_attention"
    config |= {
        "layer_types": kinds,
        "conv_L_cache": draw(st.integers(2, 4)),
        "block_auto_adjust_ff_dim": draw(st.booleans()),
        "block_ffn_dim_multiplier": draw(st.sampled_from([1.0, 1.5, 0.75])),
        "block_multiple_of": draw(st.sampled_from([1, 8, 16])),
        "norm_eps": draw(st.sampled_from([1e-5, 1e-2])),
        draw(st.sampled_from(["intermediate_size", "block_ff_dim"])): max(ff, 6),
    }
    return config


def lfm3_config(draw, heads: int) -> dict:
    """Gated short convolutions, windowed and full attention layers by `layer_types`, each
    attending type with RoPE parameters of its own (`proportional` turning some of a head's
    pairs, `linear` or plain); a sigmoid gate per head, every sublayer's output normed."""
    config = llama_config(draw, heads, own_head_dim=True)
    layers = draw(st.integers(1, 4))
    kinds = draw(
        st.lists(
            st.sampled_from(["conv", "sliding_attention", "full_attention"]), min_size=layers, max_size=layers
        )
    )
    # at least one attending layer: its reference's cache fails without one (`get_seq_length`)
    kinds[draw(st.integers(0, layers - 1))] = draw(st.sampled_from(["sliding_attention", "full_attention"]))

    def rope() -> dict:
        kind = draw(st.sampled_from(["default", "proportional", "linear"]))
        params = {"rope_type": kind, "rope_theta": draw(st.sampled_from([10000.0, 100.0, 1e6]))}
        if kind == "proportional":
            params["partial_rotary_factor"] = draw(st.sampled_from([0.25, 0.5, 1.0]))
        if kind == "linear" or (kind == "proportional" and draw(st.booleans())):  # linear's is required
            params["factor"] = draw(st.sampled_from([2.0, 8.0]))
        return params

    config |= {
        "num_hidden_layers": layers,
        "layer_types": kinds,
        "rope_parameters": {"full_attention": rope(), "sliding_attention": rope()},
        "sliding_window": draw(st.integers(1, 8)),
        "conv_L_cache": draw(st.integers(2, 4)),
        "norm_eps": draw(st.sampled_from([1e-5, 1e-2])),
    }
    del config["hidden_act"]  # LFM3's FFN is SiLU-gated whatever config.json says
    return config


def rope_per_type(
    draw, config: dict, heads: int, factors: tuple[float, ...], kinds: tuple[str, ...] = ROPE_TYPES
) -> dict:
    """RoPE parameters for full and sliding layers, each with a law (one of `kinds`, or none),
    theta and rotated part (`partial_rotary_factor`, one of `factors`) of its own; YaRN's
    `truncate` left out (the reference reads it from the top of the per-type mapping)."""

    def one() -> dict:
        params = {
            "rope_theta": draw(st.sampled_from([10000.0, 5e5])),
            "partial_rotary_factor": draw(st.sampled_from(factors)),
        }
        base = {
            "hidden_size": config["hidden_size"],
            "head_dim": config["head_dim"],
            "rope_parameters": params,
        }
        params = rope_scaling(draw, base, heads, kinds)["rope_parameters"]
        params.pop("truncate", None)
        return params

    return {"full_attention": one(), "sliding_attention": one()}


def laguna_config(draw, heads: int) -> dict:
    """Qwen3-MoE's attention with each layer's query heads drawn (multiples of the key/value
    heads), a softplus output gate per head or per feature (`gating` in each spelling), RoPE
    parameters per layer type, each with a rotated part of its own (`partial_rotary_factor`)
    and a law of its own; sigmoid-scored experts under a capped router or not, scaled, beside a
    shared expert, in the layers `mlp_layer_types` marks sparse (or all but the first: the
    reference's default)."""
    config = llama_config(draw, heads, own_head_dim=True)
    config["head_dim"] = 4 * draw(st.integers(1, 3))  # half of it an even count of features too
    layers, kv_heads = config["num_hidden_layers"], config["num_key_value_heads"]
    count = draw(st.integers(1, 6))
    return config | {
        "num_attention_heads_per_layer": [
            kv_heads * draw(st.integers(1, 8 // kv_heads)) for _ in range(layers)
        ],
        "gating": draw(st.sampled_from([True, "per-head", "per-element", False])),
        "layer_types": draw(
            st.lists(
                st.sampled_from(["sliding_attention", "full_attention"]), min_size=layers, max_size=layers
            )
        ),
        "rope_parameters": rope_per_type(draw, config, heads, (0.5, 1.0)),
        "sliding_window": draw(st.integers(1, 8)),
        "attention_bias": draw(st.booleans()),
        "num_experts": count,
        "num_experts_per_tok": draw(st.integers(1, count)),
        "moe_intermediate_size": draw(st.integers(4, 24)),
        "shared_expert_intermediate_size": draw(st.integers(4, 24)),
        "moe_routed_scaling_factor": draw(st.sampled_from([1.0, 2.5])),
        "moe_router_logit_softcapping": draw(st.sampled_from([0.0, 0.5, 2.0])),
        "mlp_layer_types": ffn_kinds(draw, layers),
    }


def glu_limits(draw, layers: int) -> list | None:
    """Half the time, a clamp per layer (0 or null: none; most small enough to bite, the drawn models'
    activations reaching some 0.2-0.3); else no list."""
    if draw(st.booleans()):
        return draw(st.lists(st.sampled_from([0, None, 0.02, 0.1, 0.5]), min_size=layers, max_size=layers))
    return None


def step3p7_text_config(draw, heads: int) -> dict:
    """Laguna's layers under Gemma's norms, a sigmoid gate per head, the sliding
    layers with a head count of their own (multiples of the key/value heads), scores scaled by a
    drawn `query_pre_attn_scalar` or `head_dim`, and each layer's SwiGLU clamped at its drawn limits,
    the routed experts' and the shared expert's and dense FFN's apart; `mlp_layer_types` drawn or
    its reference's default (the first three layers dense)."""
    config = llama_config(draw, heads, own_head_dim=True)
    config["head_dim"] = 4 * draw(st.integers(1, 3))  # half of it an even count of features too
    layers, kv_heads = config["num_hidden_layers"], config["num_key_value_heads"]
    count = draw(st.integers(1, 6))
    return config | {
        "num_sliding_attention_heads": kv_heads * draw(st.integers(1, 8 // kv_heads)),
        "gating": draw(st.sampled_from([True, "per-head"])),  # its reference fails on a gate per feature
        "layer_types": draw(
            st.lists(
                st.sampled_from(["sliding_attention", "full_attention"]), min_size=layers, max_size=layers
            )
        ),
        # no LongRoPE: its reference's check of the factors reads a global head count, which a config
        # with a head count per layer type refuses to give
        "rope_parameters": rope_per_type(
            draw, config, heads, (0.5, 1.0), tuple(kind for kind in ROPE_TYPES if kind != "longrope")
        ),
        "sliding_window": draw(st.integers(1, 8)),
        "attention_bias": draw(st.booleans()),
        "query_pre_attn_scalar": draw(st.sampled_from([None, 2.0, 32])),
        "n_routed_experts": count,
        "num_experts_per_tok": draw(st.integers(1, count)),
        "moe_intermediate_size": draw(st.integers(4, 24)),
        "share_expert_dim": draw(st.integers(4, 24)),
        "moe_router_scaling_factor": draw(st.sampled_from([1.0, 2.5])),
        "mlp_layer_types": ffn_kinds(draw, layers),
        "swiglu_limits": glu_limits(draw, layers),
        "swiglu_limits_shared": glu_limits(draw, layers),
    }


def mimo_v2_flash_config(draw, heads: int) -> dict:
    """Queries and keys `head_dim` wide, values `v_head_dim` wide and scaled; the sliding layers
    (drawn where the key/value heads can double) with twice the key/value heads and a sink per
    head; RoPE per type, each with a rotated part of its own (0.334 of the head, its default);
    GLM-4.5's grouped sigmoid router, renormalized or not, scaled, in the layers
    `mlp_layer_types` marks sparse."""
    config = llama_config(draw, heads, own_head_dim=True)
    config["head_dim"] = draw(st.sampled_from([8, 12]))  # 0.334 and half of it rotate an even count
    layers = config["num_hidden_layers"]
    doubled = [d for d in range(1, heads + 1) if heads % (2 * d) == 0]  # the sliding layers' key/value heads
    kinds = ["full_attention"]
    if doubled:
        config["num_key_value_heads"] = draw(st.sampled_from(doubled))
        kinds.append("sliding_attention")
    experts = sigmoid_experts(draw)
    del experts["n_shared_experts"], experts["first_k_dense_replace"]  # not MiMo's
    return (
        config
        | experts
        | {
            "v_head_dim": draw(st.integers(1, 12)),
            "attention_value_scale": draw(st.sampled_from([0.707, 0.5, 2.0])),
            "layer_types": draw(st.lists(st.sampled_from(kinds), min_size=layers, max_size=layers)),
            "rope_parameters": rope_per_type(draw, config, heads, (0.334, 0.5, 1.0)),
            "sliding_window": draw(st.integers(1, 8)),
            "attention_bias": draw(st.booleans()),
            "mlp_layer_types": ffn_kinds(draw, layers),
        }
    )


def beam_config(draw, heads: int) -> dict:
    """AFMoE's layers (four norms, query/key norms, the output gated feature by feature) with a bias
    per head on that gate; a window and rotary positions in the layers `layer_types` marks sliding
    (or the reference's default list: every sixth layer and the last full), the full ones scaling
    their queries by position; RoPE parameters for the sliding type alone, with a law of their own;
    GLM-4.5's grouped sigmoid router without a shared expert in the layers `mlp_layer_types` marks
    sparse (or after the first three: the reference's default); the logits capped or not."""
    config = llama_config(draw, heads, own_head_dim=True)
    layers = config["num_hidden_layers"]
    params = config.pop("rope_parameters")
    params.pop("truncate", None)  # the reference reads YaRN's from the top of the per-type mapping
    experts = sigmoid_experts(draw, count_key="num_experts")
    del experts["n_shared_experts"], experts["first_k_dense_replace"]  # not Beam's
    kinds = st.lists(
        st.sampled_from(["sliding_attention", "full_attention"]), min_size=layers, max_size=layers
    )
    return (
        config
        | experts
        | {
            "sliding_window": draw(st.integers(1, 8)),
            "layer_types": draw(st.none() | kinds),
            "mlp_layer_types": ffn_kinds(draw, layers),
            "rope_parameters": {"sliding_attention": params, "full_attention": None},
            "final_logit_softcapping": draw(st.sampled_from([None, 0.5, 30.0])),
        }
    )


def llama4_text_config(draw, heads: int) -> dict:
    """Llama's sizes with rotary positions in the layers a drawn `no_rope_layers` marks (or all but
    every `no_rope_layer_interval`-th), their queries and keys normed without weights or not, the
    others' queries scaled by position under a drawn `floor_scale` or not at all; experts in the
    layers a drawn `moe_layers` lists (or every `interleave_moe_layer_step`-th), one to four of them,
    one to all per token, reading their tokens scaled, beside a shared expert; the other layers
    dense. The layers a drawn `layer_types` marks (or the RoPE layers) attend in chunks of one to
    five tokens, or of more than any drawn call has."""
    config = llama_config(draw, heads, own_head_dim=True)
    layers = config["num_hidden_layers"]
    count = draw(st.integers(1, 4))
    flags = st.lists(st.sampled_from([0, 1]), min_size=layers, max_size=layers)
    kinds = st.sampled_from(["chunked_attention", "full_attention"])
    listed = st.lists(st.integers(0, layers - 1), min_size=1, max_size=layers, unique=True).map(sorted)
    return config | {
        "intermediate_size_mlp": draw(st.integers(4, 48)),
        "num_local_experts": count,
        "num_experts_per_tok": draw(st.integers(1, count)),
        "moe_layers": draw(st.none() | listed),  # an empty list would read as none (see the spec)
        "interleave_moe_layer_step": draw(st.integers(1, 2)),
        "no_rope_layers": draw(st.none() | flags),
        "no_rope_layer_interval": draw(st.integers(1, 3)),
        "use_qk_norm": draw(st.booleans()),
        "attn_temperature_tuning": draw(st.booleans()),
        "floor_scale": draw(st.sampled_from([1, 3, 8192])),
        "attn_scale": draw(st.sampled_from([0.1, 0.5])),
        "attention_chunk_size": draw(st.sampled_from([1, 2, 3, 5, 8192])),
        "layer_types": draw(st.none() | st.lists(kinds, min_size=layers, max_size=layers)),
    }


def lfm2_moe_config(draw, heads: int) -> dict:
    """LFM2's layers with experts from `num_dense_layers` on: a sigmoid router biased per expert,
    its scores normalized or not and scaled; the dense layers `intermediate_size` wide."""
    config = lfm2_config(draw, heads)
    config["intermediate_size"] = config.pop("block_ff_dim", None) or config["intermediate_size"]
    experts = draw(st.integers(1, 4))
    return config | {
        "moe_intermediate_size": draw(st.integers(2, 16)),
        "num_experts": experts,
        "num_experts_per_tok": draw(st.integers(1, experts)),
        "num_dense_layers": draw(st.integers(0, config["num_hidden_layers"])),
        "norm_topk_prob": draw(st.booleans()),
        "routed_scaling_factor": draw(st.sampled_from([1.0, 2.5])),
    }


def qwen3_5_text_config(draw, heads: int) -> dict:
    """Qwen3-Next's draws with a dense FFN in every layer and M-RoPE sections (text alone: any)."""
    config = qwen3_next_config(draw, heads)
    for key in ("num_experts", "num_experts_per_tok", "norm_topk_prob", "moe_intermediate_size"):
        del config[key]
    for key in ("shared_expert_intermediate_size", "mlp_only_layers", "decoder_sparse_step"):
        del config[key]
    config["rope_parameters"]["mrope_section"] = draw(st.sampled_from([[1, 1, 0], [11, 11, 10]]))
    return config


def qwen3_5_moe_text_config(draw, heads: int) -> dict:
    """Qwen3-Next's draws with experts in every layer, always renormalized."""
    config = qwen3_next_config(draw, heads)
    for key in ("intermediate_size", "norm_topk_prob", "mlp_only_layers", "decoder_sparse_step"):
        del config[key]
    config["rope_parameters"]["mrope_section"] = [1, 1, 0]
    return config


def olmo_hybrid_config(draw, heads: int) -> dict:
    """OLMo 2's attending layers (attention biases switched) where `layer_types` marks
    `full_attention` (one at least), Gated DeltaNet's pre-norm linear attention of sizes its own
    in the others, beta doubled or not."""
    config = llama_config(draw, heads)
    layers = config["num_hidden_layers"] = draw(st.integers(2, 3))
    kinds = draw(
        st.lists(st.sampled_from(["linear_attention", "full_attention"]), min_size=layers, max_size=layers)
    )
    # one of each at least: its config refuses a stack without either
    kinds[0], kinds[draw(st.integers(1, layers - 1))] = "linear_attention", "full_attention"
    key_heads = draw(st.integers(1, 3))
    return config | {
        "layer_types": kinds,
        "attention_bias": draw(st.booleans()),
        "linear_num_key_heads": key_heads,
        "linear_num_value_heads": key_heads * draw(st.integers(1, 3)),
        # keys at least 2 wide: `transformers` saves the convolution weight as `torch.chunk(w, 3)`, two
        # keys for a weight of 4 channels (queries and keys 1 wide, values 2): no `v_conv1d`
        "linear_key_head_dim": draw(st.integers(2, 8)),
        "linear_value_head_dim": draw(st.integers(1, 8)),
        "linear_conv_kernel_dim": draw(st.integers(2, 4)),
        "linear_allow_neg_eigval": draw(st.booleans()),
        "rms_norm_eps": draw(st.sampled_from([1e-6, 1e-2])),
    }


def qwen3_next_config(draw, heads: int) -> dict:
    """Qwen2-MoE's draws (no window, no biases) with rotary positions on a drawn share of each
    head's features, an output gate in the attention layers, and Gated DeltaNet's linear attention
    of sizes its own (each key head serving one to three value heads) in the layers `layer_types`
    marks `linear_attention` (one attending at least)."""
    config = qwen2_moe_config(draw, heads)
    for key in ("use_sliding_window", "sliding_window", "max_window_layers", "qkv_bias"):
        del config[key]
    head_dim, factor = draw(st.sampled_from(ROTARY_SHAPES))
    config["head_dim"] = head_dim
    config["rope_parameters"] = {
        "rope_theta": config["rope_parameters"]["rope_theta"],
        "partial_rotary_factor": factor,
    }
    layers = config["num_hidden_layers"]
    kinds = draw(
        st.lists(st.sampled_from(["linear_attention", "full_attention"]), min_size=layers, max_size=layers)
    )
    # at least one attending layer: its reference's cache fails without one (`get_seq_length`)
    kinds[draw(st.integers(0, layers - 1))] = "full_attention"
    key_heads = draw(st.integers(1, 3))
    return config | {
        "layer_types": kinds,
        "linear_num_key_heads": key_heads,
        "linear_num_value_heads": key_heads * draw(st.integers(1, 3)),
        "linear_key_head_dim": draw(st.integers(1, 8)),
        "linear_value_head_dim": draw(st.integers(1, 8)),
        "linear_conv_kernel_dim": draw(st.integers(2, 4)),
        "rms_norm_eps": draw(st.sampled_from([1e-6, 1e-2])),
    }


@dataclass(frozen=True)
class UserSpec:
    draw_config: Callable  # (draw, heads) -> config.json values
    act_key: str | None  # the config.json key of the FFN activation the spec fixes (None: it has none)
    act: str  # the activation it fixes
    pad: int  # the pad id of its configs

    @property
    def fixed(self) -> dict:
        """The config.json values the spec is built for."""
        return {self.act_key: self.act} if self.act_key else {}


SPECS = {
    "bert": UserSpec(bert_config, "hidden_act", "gelu", 0),
    "distilbert": UserSpec(distilbert_config, "activation", "gelu", 0),
    "deberta_v2": UserSpec(deberta_v2_config, "hidden_act", "gelu", 0),
    "deberta": UserSpec(deberta_config, "hidden_act", "gelu", 0),
    "electra": UserSpec(electra_config, "hidden_act", "gelu", 0),
    "opt": UserSpec(opt_config, "activation_function", "relu", 1),
    "opt_350m": UserSpec(opt_350m_config, "activation_function", "relu", 1),
    "gpt2": UserSpec(gpt2_config, "activation_function", "gelu_new", 0),
    "xlm_roberta_xl": UserSpec(bert_config, "hidden_act", "gelu", 1),
    "llama": UserSpec(llama_config, "hidden_act", "silu", 0),
    "qwen2": UserSpec(qwen2_config, "hidden_act", "silu", 0),
    "mistral": UserSpec(mistral_config, "hidden_act", "silu", 0),
    "mixtral": UserSpec(mixtral_config, "hidden_act", "silu", 0),
    "minimax": UserSpec(minimax_config, "hidden_act", "silu", 0),
    "doge": UserSpec(doge_config, "hidden_act", "silu", 0),
    "chameleon_text": UserSpec(chameleon_text_config, "hidden_act", "silu", 0),
    "phimoe": UserSpec(phimoe_config, "hidden_act", "silu", 0),
    "olmo": UserSpec(olmo_config, "hidden_act", "silu", 1),
    "olmoe": UserSpec(olmoe_config, "hidden_act", "silu", 0),
    "qwen3_moe": UserSpec(qwen3_moe_config, "hidden_act", "silu", 0),
    "qwen2_moe": UserSpec(qwen2_moe_config, "hidden_act", "silu", 0),
    "gemma": UserSpec(gemma_config, "hidden_act", "gelu_pytorch_tanh", 0),
    "gemma2": UserSpec(gemma2_config, "hidden_activation", "gelu_pytorch_tanh", 0),
    "gemma3_text": UserSpec(gemma3_text_config, "hidden_activation", "gelu_pytorch_tanh", 0),
    "vaultgemma": UserSpec(vaultgemma_config, "hidden_activation", "gelu_pytorch_tanh", 0),
    "olmo3": UserSpec(olmo3_config, "hidden_act", "silu", 1),
    "ministral": UserSpec(ministral_config, "hidden_act", "silu", 0),
    "ministral3": UserSpec(ministral3_config, "hidden_act", "silu", 0),
    "helium": UserSpec(helium_config, "hidden_act", "silu", 3),
    "hunyuan_v1_dense": UserSpec(hunyuan_config, "hidden_act", "silu", 0),
    "hunyuan_v1_moe": UserSpec(hunyuan_moe_config, "hidden_act", "silu", 0),
    "ernie4_5": UserSpec(ernie4_5_config, "hidden_act", "silu", 0),
    "ernie4_5_moe": UserSpec(ernie4_5_moe_config, "hidden_act", "silu", 0),
    "glm4_moe": UserSpec(glm4_moe_config, "hidden_act", "silu", 0),
    "deepseek_v3": UserSpec(deepseek_v3_config, "hidden_act", "silu", 0),
    "bailing_hybrid": UserSpec(bailing_hybrid_config, "hidden_act", "silu", 0),
    "kimi_linear": UserSpec(kimi_linear_config, "hidden_act", "silu", 0),
    "glm4_moe_lite": UserSpec(glm4_moe_lite_config, "hidden_act", "silu", 0),
    "deepseek_v2": UserSpec(deepseek_v2_config, "hidden_act", "silu", 0),
    "mistral4": UserSpec(mistral4_config, "hidden_act", "silu", 0),
    "minicpm3": UserSpec(minicpm3_config, "hidden_act", "silu", 0),
    "axk1": UserSpec(axk1_config, "hidden_act", "silu", 0),
    "axk2": UserSpec(axk2_config, "hidden_act", "silu", 0),
    "jetmoe": UserSpec(jetmoe_config, "activation_function", "silu", 0),
    "gpt_oss": UserSpec(gpt_oss_config, "hidden_act", "silu", 0),
    "openai_privacy_filter": UserSpec(openai_privacy_filter_config, "hidden_act", "silu", 0),
    "diffllama": UserSpec(diffllama_config, "hidden_act", "silu", 0),
    "esmc": UserSpec(esmc_config, "hidden_act", "silu", 1),
    "squeezebert": UserSpec(squeezebert_config, "hidden_act", "gelu", 0),
    "longformer": UserSpec(longformer_config, "hidden_act", "gelu", 1),
    "mamba2": UserSpec(mamba2_config, "hidden_act", "silu", 0),
    "mamba": UserSpec(mamba_config, "hidden_act", "silu", 0),
    "falcon_mamba": UserSpec(falcon_mamba_config, "hidden_act", "silu", 0),
    "jamba": UserSpec(jamba_config, "hidden_act", "silu", 0),
    "lfm2": UserSpec(lfm2_config, None, "silu", 0),
    "lfm2_moe": UserSpec(lfm2_moe_config, None, "silu", 0),
    "lfm3": UserSpec(lfm3_config, None, "silu", 0),
    "laguna": UserSpec(laguna_config, "hidden_act", "silu", 0),
    "step3p7_text": UserSpec(
        step3p7_text_config, None, "silu", 0
    ),  # its config writes silu whatever it is given
    "mimo_v2_flash": UserSpec(mimo_v2_flash_config, "hidden_act", "silu", 0),
    "beam": UserSpec(beam_config, "hidden_act", "silu", 0),
    "llama4_text": UserSpec(llama4_text_config, "hidden_act", "silu", 0),
    "qwen3_next": UserSpec(qwen3_next_config, "hidden_act", "silu", 0),
    "olmo_hybrid": UserSpec(olmo_hybrid_config, "hidden_act", "silu", 0),
    "qwen3_5_text": UserSpec(qwen3_5_text_config, "hidden_act", "silu", 0),
    "qwen3_5_moe_text": UserSpec(qwen3_5_moe_text_config, "hidden_act", "silu", 0),
    "bamba": UserSpec(bamba_config, "hidden_act", "silu", 0),
    "granitemoehybrid": UserSpec(granitemoehybrid_config, "hidden_act", "silu", 0),
    "nemotron_h": UserSpec(nemotron_h_config, "mlp_hidden_act", "relu2", 0),
    "cohere_compass_text": UserSpec(cohere_compass_config, "hidden_act", "silu", 0),
    "deepseek_v32": UserSpec(deepseek_v32_config, "hidden_act", "silu", 0),
    "glm_moe_dsa": UserSpec(glm_moe_dsa_config, "hidden_act", "silu", 0),
    "kimi_k25": UserSpec(deepseek_v3_config, "hidden_act", "silu", 0),
    "exaone4_5_text": UserSpec(exaone4_config, "hidden_act", "silu", 0),
    "qwen2_vl_text": UserSpec(qwen2_vl_text_config, "hidden_act", "silu", 0),
    "qwen3_vl_text": UserSpec(qwen3_vl_text_config, "hidden_act", "silu", 0),
    "glm4v_text": UserSpec(glm4v_text_config, "hidden_act", "silu", 0),
    "emu3_text": UserSpec(llama_config, "hidden_act", "silu", 0),
    "aria_text": UserSpec(aria_text_config, "hidden_act", "silu", 0),
    "paddleocr_vl_text": UserSpec(paddleocr_vl_text_config, "hidden_act", "silu", 0),
    "hunyuan_vl_text": UserSpec(hunyuan_vl_text_config, "hidden_act", "silu", 0),
    "qwen3_vl_moe_text": UserSpec(qwen3_vl_moe_text_config, "hidden_act", "silu", 0),
    "glm4v_moe_text": UserSpec(glm4v_moe_text_config, "hidden_act", "silu", 0),
    "ernie4_5_vl_moe_text": UserSpec(ernie4_5_vl_moe_text_config, "hidden_act", "silu", 0),
    "cosmos3_edge_text": UserSpec(cosmos3_edge_text_config, "hidden_act", "relu2", 0),
    "dbrx": UserSpec(dbrx_config, None, "silu", 0),  # its activation key is nested (ffn_config)
    "apertus": UserSpec(apertus_config, "hidden_act", "xielu", 3),
    "youtu": UserSpec(latent_config, "hidden_act", "silu", 0),
    "dots1": UserSpec(dots1_config, "hidden_act", "silu", 0),
    "flex_olmo": UserSpec(flex_olmo_config, "hidden_act", "silu", 0),
    "solar_open": UserSpec(solar_open_config, "hidden_act", "silu", 0),
    "mellum": UserSpec(mellum_config, "hidden_act", "silu", 0),
    "exaone_moe": UserSpec(exaone_moe_config, "hidden_act", "silu", 0),
    "cohere2_moe": UserSpec(cohere2_moe_config, "hidden_act", "silu", 0),
    "seed_oss": UserSpec(seed_oss_config, "hidden_act", "silu", 1),
    "exaone4": UserSpec(exaone4_config, "hidden_act", "silu", 0),
    "kolibri1": UserSpec(kolibri1_config, "hidden_act", "silu", 0),
    "jais2": UserSpec(arcee_config, "hidden_act", "relu2", 0),
    "bitnet": UserSpec(bitnet_config, "hidden_act", "relu2", 0),
    "nanochat": UserSpec(nanochat_config, "hidden_act", "relu2", 1),
    "hyperclovax": UserSpec(hyperclovax_config, "hidden_act", "silu", 0),
    "granite_swa": UserSpec(granite_swa_config, "hidden_act", "silu", 0),
    "granitemoe_swa": UserSpec(granitemoe_swa_config, "hidden_act", "silu", 0),
    "afmoe": UserSpec(afmoe_config, "hidden_act", "silu", 0),
    "flint": UserSpec(flint_config, "hidden_act", "silu", 0),
    "minimax_m2": UserSpec(minimax_m2_config, "hidden_act", "silu", 0),
    "hy_v3": UserSpec(hy_v3_config, "hidden_act", "silu", 0),
    "modernbert_decoder": UserSpec(modernbert_decoder_config, "hidden_activation", "gelu", 0),
    "megatron_bert": UserSpec(megatron_bert_config, "hidden_act", "gelu", 0),
    "ernie": UserSpec(ernie_config, "hidden_act", "gelu", 0),
    "nomic_bert": UserSpec(nomic_bert_config, "hidden_act", "silu", 0),
    "rembert": UserSpec(rembert_config, "hidden_act", "gelu", 0),
    "bert_generation": UserSpec(bert_config, "hidden_act", "gelu", 0),
    "ctrl": UserSpec(ctrl_config, None, "relu", 0),  # its reference has no activation key
    # BART's family, each decoder alone; config.json picks the activation
    "bart_causal": UserSpec(bart_causal_config, None, "gelu", 1),
    "mbart_causal": UserSpec(bart_causal_config, None, "gelu", 1),
    "plbart_causal": UserSpec(bart_causal_config, None, "gelu", 1),
    "mvp_causal": UserSpec(bart_causal_config, None, "gelu", 1),
    "blenderbot_causal": UserSpec(bart_causal_config, None, "gelu", 0),
    "marian_causal": UserSpec(
        bart_causal_config, None, "swish", 3
    ),  # its default pad id lies past small vocabularies
    "pegasus_causal": UserSpec(bart_causal_config, None, "gelu", 0),
    "blenderbot_small_causal": UserSpec(bart_causal_config, None, "gelu", 0),
    "trocr": UserSpec(trocr_config, None, "gelu", 1),
    "esm": UserSpec(esm_config, None, "gelu", 1),  # its reference has no activation key
    "xlm": UserSpec(xlm_config, None, "gelu", 2),  # gelu_activation: a bool, held true by a constraint
    "flaubert": UserSpec(xlm_config, None, "gelu", 2),
    "esm1b": UserSpec(esm1b_config, None, "gelu", 1),
    "gte": UserSpec(gte_config, "hidden_act", "gelu", 1),
    "jina_embeddings_v3": UserSpec(jina_embeddings_v3_config, "hidden_act", "gelu", 1),
    "eurobert": UserSpec(eurobert_config, "hidden_act", "silu", 0),
    "ultrabert": UserSpec(ultrabert_config, "hidden_act", "silu", 0),
    "internlm3": UserSpec(internlm3_config, "hidden_act", "silu", 2),
    "iquestcoder": UserSpec(iquestcoder_config, "hidden_act", "silu", 0),
    "cwm": UserSpec(cwm_config, "hidden_act", "silu", 0),
    "glm": UserSpec(glm_config, "hidden_act", "silu", 0),
    "qwen3": UserSpec(qwen3_config, "hidden_act", "silu", 0),
    "phi": UserSpec(phi_config, "hidden_act", "gelu_new", 0),
    "gpt_neox": UserSpec(gpt_neox_config, "hidden_act", "gelu", 0),
    "gpt_neox_japanese": UserSpec(gpt_neox_japanese_config, "hidden_act", "gelu", 0),
    "gptj": UserSpec(gptj_config, "activation_function", "gelu_new", 0),
    "codegen": UserSpec(codegen_config, "activation_function", "gelu_new", 0),
    "albert": UserSpec(albert_config, "hidden_act", "gelu_new", 0),
    "fnet": UserSpec(fnet_config, "hidden_act", "gelu_new", 3),
    "openai": UserSpec(openai_config, None, "gelu", 0),  # `afn` picks one of the FFN's variants
    "ibert": UserSpec(ibert_config, None, "gelu", 1),  # its reference refuses another activation
    "big_bird": UserSpec(big_bird_config, "hidden_act", "gelu_new", 0),
    "bloom": UserSpec(bloom_config, None, "gelu_tanh", 0),  # BLOOM's FFN has no activation key
    "phi3": UserSpec(phi3_config, "hidden_act", "silu", 0),
    "gpt_bigcode": UserSpec(gpt2_config, "activation_function", "gelu_new", 0),
    "starcoder2": UserSpec(starcoder2_config, "hidden_act", "gelu_pytorch_tanh", 0),
    "stablelm": UserSpec(stablelm_config, "hidden_act", "silu", 0),
    "olmo2": UserSpec(llama_config, "hidden_act", "silu", 0),
    "persimmon": UserSpec(persimmon_config, "hidden_act", "relu2", 0),
    "granite": UserSpec(granite_config, "hidden_act", "silu", 0),
    "granitemoe": UserSpec(granitemoe_config, "hidden_act", "silu", 0),
    "granitemoeshared": UserSpec(granitemoeshared_config, "hidden_act", "silu", 0),
    "cohere": UserSpec(cohere_config, "hidden_act", "silu", 0),
    "cohere2": UserSpec(cohere2_config, "hidden_act", "silu", 0),
    "smollm3": UserSpec(smollm3_config, "hidden_act", "silu", 0),
    "falcon": UserSpec(falcon_config, "activation", "gelu", 0),
    "falcon_40b": UserSpec(falcon_40b_config, "activation", "gelu", 0),
    "falcon_40b_one_norm": UserSpec(falcon_40b_one_norm_config, "activation", "gelu", 0),
    "nemotron": UserSpec(nemotron_config, "hidden_act", "relu2", 0),
    "mpt": UserSpec(mpt_config, None, "gelu", 0),  # MPT's FFN has no activation key
    "roformer": UserSpec(roformer_config, "hidden_act", "gelu", 0),
    "biogpt": UserSpec(biogpt_config, "hidden_act", "gelu", 1),
    "xglm": UserSpec(xglm_config, "activation_function", "gelu", 3),
    "roberta": UserSpec(bert_config, "hidden_act", "gelu", 1),
    "data2vec_text": UserSpec(bert_config, "hidden_act", "gelu", 1),
    "arcee": UserSpec(arcee_config, "hidden_act", "relu2", 0),
    "modernbert": UserSpec(modernbert_config, "hidden_activation", "gelu", 0),
    "glm4": UserSpec(glm4_config, "hidden_act", "silu", 0),
    "mpnet": UserSpec(mpnet_config, "hidden_act", "gelu", 1),
    "gpt_neo": UserSpec(gpt_neo_config, "activation_function", "gelu_new", 0),
}
CASES = [(name, head.name) for name in SPECS for head in load_arch(FIXTURES / f"{name}.yaml").heads]


def test_the_user_specs_offer_the_heads_their_references_have() -> None:
    offered = {name: sorted(h for n, h in CASES if n == name) for name in SPECS}
    # the heads of BERT-like encoders (beside their bare model), and of decoder-only LMs
    encoder = ["masked_lm", "causal_lm", "sequence_classification", "token_classification"]
    encoder += ["question_answering", "multiple_choice"]
    decoder = ["encoder_model", "causal_lm", "sequence_classification", "token_classification"]
    with_qa = decoder + ["question_answering"]
    assert (
        offered
        == {
            "bert": sorted(["base", *encoder]),
            "rembert": sorted(["base", *encoder]),
            "bert_generation": sorted(["encoder_model", "causal_lm"]),
            "deberta_v2": sorted(["encoder_model", "masked_lm", *encoder[2:]]),
            "deberta": sorted(["encoder_model", "masked_lm", *encoder[2:-1]]),  # no multiple choice
            "ctrl": sorted(["encoder_model", "causal_lm", "sequence_classification"]),
            **{
                f"{name}_causal": ["causal_lm"]
                for name in (
                    "bart",
                    "mbart",
                    "plbart",
                    "mvp",
                    "blenderbot",
                    "blenderbot_small",
                    "marian",
                    "pegasus",
                )
            },
            "trocr": ["causal_lm"],
            "gpt_neox_japanese": sorted(["encoder_model", "causal_lm"]),
            "phimoe": sorted(["encoder_model", "causal_lm", "sequence_classification"]),
            **{name: sorted(["encoder_model", "masked_lm", *encoder[2:]]) for name in ("xlm", "flaubert")},
            "distilbert": sorted(["encoder_model", *encoder[:1], *encoder[2:]]),  # no causal LM
            "electra": sorted(["encoder_model", *encoder, "replaced_token_detection"]),
            "xlm_roberta_xl": sorted(["base", *encoder]),
            "opt": sorted(["encoder_model", "causal_lm", "sequence_classification", "question_answering"]),
            "opt_350m": sorted(["causal_lm", "sequence_classification", "question_answering"]),
            "gptj": sorted(["encoder_model", "causal_lm", "sequence_classification", "question_answering"]),
            "albert": sorted(
                ["base", *encoder[:1], "sentence_order_pretraining", *encoder[2:]]
            ),  # no causal LM
            **{name: sorted(decoder) for name in ("gemma", "gemma2")},
            "gemma3_text": sorted(["encoder_model", "causal_lm", "sequence_classification"]),
            "deepseek_v2": sorted(["encoder_model", "causal_lm", "sequence_classification"]),
            "minicpm3": sorted(["encoder_model", "causal_lm", "sequence_classification"]),
            "apertus": sorted(["encoder_model", "causal_lm", "token_classification"]),
            **{
                name: sorted(["encoder_model", "causal_lm", "sequence_classification"])
                for name in ("olmo3", "hunyuan_v1_dense", "hunyuan_v1_moe")
            },
            **{
                name: sorted(["encoder_model", "causal_lm"])
                for name in (
                    "ernie4_5",
                    "ernie4_5_moe",
                    "glm4_moe",
                    "glm4_moe_lite",
                    "youtu",
                    "dbrx",
                    "codegen",
                    "dots1",
                    "flex_olmo",
                    "solar_open",
                    "mellum",
                    "exaone_moe",
                    "cohere2_moe",
                    "kolibri1",
                    "jais2",
                    "bitnet",
                    "nanochat",
                    "hyperclovax",
                    "afmoe",
                    "flint",
                    "minimax_m2",
                    "hy_v3",
                    "internlm3",
                    "iquestcoder",
                    "cwm",
                    "vaultgemma",
                )
            },
            **{
                name: sorted(decoder)
                for name in ("helium", "glm", "glm4", "deepseek_v3", "gpt_oss", "mistral4", "axk1", "axk2")
            },
            "phi": sorted(decoder),
            "phi3": sorted(decoder),
            "gpt_bigcode": sorted(decoder),
            "starcoder2": sorted(decoder),
            "stablelm": sorted(decoder),
            **{
                name: sorted(["encoder_model", "causal_lm", "sequence_classification"])
                for name in ("olmo", "olmo2")
            },
            "olmoe": sorted(["encoder_model", "causal_lm"]),
            "jetmoe": sorted(["encoder_model", "causal_lm", "sequence_classification"]),
            "minimax": sorted(["encoder_model", "causal_lm"]),
            "doge": sorted(["encoder_model", "causal_lm", "sequence_classification"]),
            "persimmon": sorted(decoder),
            **{
                name: sorted(["encoder_model", "causal_lm"])
                for name in (
                    "granite",
                    "granitemoe",
                    "granitemoeshared",
                    "granite_swa",
                    "granitemoe_swa",
                    "cohere",
                    "cohere2",
                )
            },
            "falcon": sorted(with_qa),
            "falcon_40b": sorted(with_qa),
            "falcon_40b_one_norm": sorted(with_qa),
            "nemotron": sorted(with_qa),
            "mpt": sorted(with_qa),
            "roformer": sorted(["encoder_model", *encoder[:-1]]),  # no multiple choice
            "biogpt": sorted(decoder),
            **{name: sorted(["base", *encoder]) for name in ("roberta", "data2vec_text")},
            **{
                name: sorted(["base", *encoder, "pretraining", "next_sentence_prediction"])
                for name in ("megatron_bert", "ernie")
            },
            "openai_privacy_filter": sorted(["encoder_model", "token_classification"]),
            "cosmos3_edge_text": ["encoder_model"],  # its LM is multimodal
            "openai": sorted(["encoder_model", "causal_lm", "sequence_classification"]),
            "ibert": sorted(["base", *encoder[:1], *encoder[2:]]),
            # no question answering (its reference's reads the question's length from the tokens)
            "big_bird": sorted(["base", *encoder[:-2], "multiple_choice", "pretraining"]),
            "diffllama": sorted(with_qa),
            "esmc": sorted(["encoder_model", "masked_lm", "sequence_classification", "token_classification"]),
            "squeezebert": sorted(["base", *encoder[:1], *encoder[2:]]),
            "longformer": sorted(["base", "masked_lm", "token_classification"]),  # no global attention
            # multimodal models' text parts: a bare model, and a causal LM where transformers has one
            **{
                name: ["encoder_model"]
                for name in (
                    "qwen2_vl_text",
                    "qwen3_vl_text",
                    "glm4v_text",
                    "paddleocr_vl_text",
                    "hunyuan_vl_text",
                    "qwen3_vl_moe_text",
                    "glm4v_moe_text",
                    "ernie4_5_vl_moe_text",
                    "step3p7_text",
                    "chameleon_text",
                )
            },
            **{name: ["causal_lm", "encoder_model"] for name in ("emu3_text", "aria_text")},
            # no causal LM (a Fourier transform reads every slot of a row)
            "fnet": sorted(["base", *encoder[:1], *encoder[2:], "pretraining", "next_sentence_prediction"]),
            **{
                name: sorted(
                    ["encoder_model", "masked_lm", "sequence_classification", "token_classification"]
                )
                for name in ("nomic_bert", "eurobert", "gte")
            },
            **{
                name: sorted(["base", "masked_lm", "sequence_classification", "token_classification"])
                for name in ("esm", "esm1b")
            },
            "jina_embeddings_v3": sorted(
                ["base", "masked_lm", *encoder[2:5]]
            ),  # no causal LM, multiple choice
            **{
                name: sorted(["encoder_model", "causal_lm"])
                for name in (
                    "xglm",
                    "mamba2",
                    "mamba",
                    "falcon_mamba",
                    "lfm2",
                    "lfm2_moe",
                    "lfm3",
                    "laguna",
                    "mimo_v2_flash",
                    "beam",
                    "llama4_text",
                    "bailing_hybrid",
                    "kimi_linear",
                    "bamba",
                    "granitemoehybrid",
                    "nemotron_h",
                    "cohere_compass_text",
                    "deepseek_v32",
                    "glm_moe_dsa",
                    "qwen3_5_moe_text",
                    "olmo_hybrid",
                )
            },
            "jamba": sorted(["encoder_model", "causal_lm", "sequence_classification"]),
            "qwen3_5_text": sorted(["encoder_model", "causal_lm", "sequence_classification"]),
            "kimi_k25": sorted(decoder),  # DeepSeek-V3's
            "exaone4_5_text": sorted(with_qa),  # EXAONE 4.0's
            "modernbert_decoder": sorted(["encoder_model", "causal_lm", "sequence_classification"]),
            "ultrabert": sorted(["encoder_model", "masked_lm", *encoder[2:5]]),  # no multiple choice
            "arcee": sorted(with_qa),
            "modernbert": sorted(["encoder_model", "masked_lm", *encoder[2:]]),
            "mpnet": sorted(["base", *encoder[:1], *encoder[2:]]),  # no causal LM
            **{
                name: sorted(with_qa)
                for name in (
                    "llama",
                    "mistral",
                    "mixtral",
                    "qwen2",
                    "qwen3",
                    "qwen3_moe",
                    "qwen2_moe",
                    "qwen3_next",
                    "ministral",
                    "ministral3",
                    "seed_oss",
                    "exaone4",
                    "smollm3",
                    "gpt2",
                    "gpt_neox",
                    "bloom",
                    "gpt_neo",
                )
            },
        }
    )


#: 8 examples per spec and head under the CI profile (its 12, times some 230 cases, would take
#: the default suite past its budget on a cold machine); the profile's own count otherwise.
PER_CASE = settings(max_examples=8) if os.environ.get("HYPOTHESIS_PROFILE", "ci") == "ci" else settings()


@pytest.mark.parametrize(("name", "head"), CASES)
@PER_CASE
@given(data=st.data())
def test_a_user_spec_matches_reference(name: str, head: str, data) -> None:
    spec = FIXTURES / f"{name}.yaml"
    ir = load_arch(spec)
    head_ir = ir.head(head)
    user = SPECS[name]
    config = user.draw_config(data.draw, data.draw(st.integers(1, 4)))
    config |= {
        "vocab_size": data.draw(st.integers(30, 300)),
        "max_position_embeddings": 32,
        "num_labels": 2 if head == "question_answering" else 3,
        "pad_token_id": user.pad,
    }
    ref = build_reference(ir, head_ir, config)
    if user.act_key and config[user.act_key] != user.act:  # the spec is built for one activation and says so
        with pytest.raises(ValueError, match=f"{user.act_key}='{config[user.act_key]}'"):
            archgen.load(save(ref), spec=spec)
        return
    checkpoint = save(ref)
    model = archgen.load(checkpoint, spec=spec)
    inputs = data.draw(padded_batch(config["vocab_size"], user.pad, 16, 2))
    if not token_types(ir.spec, model.sizes):  # no table (or one config.json switches off)
        del inputs["token_type_ids"]
    if head_ir.spec.choices:
        inputs = {k: v[:, None].repeat(1, 2, 1) for k, v in inputs.items()}
    with torch.no_grad():
        expected = ref(**inputs)
    fields = (*head_ir.spec.outputs, *(branch.output for branch in head_ir.spec.branches))
    try:
        ours = model(**inputs)
    except (
        InputError
    ) as exc:  # refused only where the reference computes NaN (ESM: a row of mask tokens alone)
        assert any(bool(getattr(expected, key).isnan().any()) for key in fields), exc
        return
    for key in fields:
        a, b = ours[key], getattr(expected, key)
        # per-token outputs at real tokens alone where the spec says its reference's padding is not archgen's
        if ir.spec.reference.padding_outputs == "ignored" and key in head_ir.per_token_outputs:
            a, b = a[inputs["attention_mask"].bool()], b[inputs["attention_mask"].bool()]
        torch.testing.assert_close(a, b, atol=1e-5, rtol=0)
    with tempfile.TemporaryDirectory() as out:  # the table read backwards writes what it read
        assert_exports_as_read(model, checkpoint, Path(out))


@pytest.mark.parametrize("name", [name for name, head in CASES if head == "causal_lm"])
def test_a_user_spec_generates_as_the_reference(name: str) -> None:
    """Greedy generation of left-padded prompts of different lengths: each row's new tokens
    equal the reference's `generate` on that prompt alone (for padding-aware positions, its
    greedy forward: see below). (Alone, because the reference's
    batched `generate` gives BERT-like models 0-based positions under left padding, unlike
    their own forward; see the README.)"""
    spec = FIXTURES / f"{name}.yaml"
    ir = load_arch(spec)
    user = SPECS[name]
    config = dict(ir.spec.reference.tiny) | user.fixed | {"pad_token_id": user.pad}
    ref = build_reference(ir, ir.head("causal_lm"), config, seed=3)
    model = archgen.load(save(ref), spec=spec)
    gen = torch.Generator().manual_seed(5)
    prompts = [torch.randint(3, config["vocab_size"], (n,), generator=gen) for n in (6, 3, 5)]
    ids = torch.full((3, 6), user.pad)
    mask = torch.zeros_like(ids)
    for row, prompt in enumerate(prompts):
        ids[row, 6 - len(prompt) :], mask[row, 6 - len(prompt) :] = prompt, 1
    ours = model.generate(ids, mask, max_new_tokens=8, eos_token_id=-1)
    ref.generation_config.eos_token_id = None  # 8 tokens each, eos or not (min_new_tokens would mask eos)
    for row, prompt in enumerate(prompts):
        with torch.no_grad():
            if ir.spec.embeddings.position.ids == "padding_offset":
                # The reference's `generate` gives this family 0-based positions, unlike its
                # own forward (see test_decode.py and the README): greedy over that forward.
                alone = prompt[None]
                for _ in range(8):
                    token = ref(input_ids=alone).logits[:, -1].argmax(-1, keepdim=True)
                    alone = torch.cat([alone, token], dim=1)
            else:
                alone = ref.generate(
                    input_ids=prompt[None], max_new_tokens=8, do_sample=False, pad_token_id=user.pad
                )
        assert torch.equal(ours[row, 6:], alone[0, len(prompt) :]), row


@pytest.mark.parametrize(
    ("name", "head"),
    [
        ("llama", "token_classification"),
        ("llama", "sequence_classification"),
        ("mistral", "token_classification"),  # a sliding window inside packed rows
        ("gemma2", "token_classification"),  # windowed and full layers, capped scores, packed
        ("mixtral", "token_classification"),  # each packed token routed to its experts
        ("smollm3", "token_classification"),  # layers without positions beside rotated ones, packed
        ("phi", "token_classification"),  # partial rotary, parallel layers
        ("bloom", "token_classification"),  # ALiBi: each packed sequence's keys count from its start
        ("phi3", "token_classification"),  # split q/k/v and gate/up keys, packed (fp32) layers
        ("modernbert", "token_classification"),  # a window on both sides inside packed rows
        ("modernbert", "sequence_classification"),  # first tokens of packed sequences (`cls` pooling)
        ("mpnet", "token_classification"),  # a relative bias by slot inside packed rows
        ("opt", "encoder_model"),
        ("deberta_v2", "token_classification"),  # relative positions by slot inside packed rows
        ("deberta_v2", "sequence_classification"),
        ("deberta", "token_classification"),
        ("fnet", "token_classification"),  # equal lengths only share a bucket: padding would mix in
        ("fnet", "sequence_classification"),
        ("mamba2", "encoder_model"),  # state-space sums and convolution windows inside packed rows
        ("mamba", "encoder_model"),  # the selective scan's state restarting inside packed rows
        ("jamba", "encoder_model"),  # selective state-space layers beside attention ones, experts, packed
        ("lfm2", "encoder_model"),  # gated convolutions' windows inside packed rows, beside attention
        ("lfm3", "encoder_model"),  # windowed and full attention by type beside gated convolutions, packed
        ("bamba", "encoder_model"),  # state-space layers beside rotary attention layers, packed
        ("nemotron_h", "encoder_model"),  # layers of one sublayer each (experts among them), packed
        ("qwen3_next", "token_classification"),  # the gated delta rule's state restarting inside packed rows
        ("olmo_hybrid", "encoder_model"),  # pre-norm linear-attention layers beside post-norm attending ones
        ("bailing_hybrid", "encoder_model"),  # a decay per key feature restarting inside packed rows
        ("kimi_linear", "encoder_model"),  # low-rank decay inputs and gates, latent attention, no positions
        ("step3p7_text", "encoder_model"),  # the sliding layers' own head count, clamped SwiGLUs, packed
        ("laguna", "encoder_model"),  # each layer's own head count, RoPE and rotated part per type, packed
        ("mimo_v2_flash", "encoder_model"),  # sinks and doubled key/value heads in the sliding layers, packed
        ("beam", "encoder_model"),  # the full layers' query scale by position, counted per packed sequence
        ("llama4_text", "encoder_model"),  # experts reading scaled tokens, NoPE layers' temperature, packed
        ("axk2", "token_classification"),  # gated norms, value features gated from the query latent, packed
        ("jetmoe", "sequence_classification"),  # each packed token's query and output experts
        ("minimax", "encoder_model"),  # lightning attention's decay within each packed sequence
        ("doge", "sequence_classification"),  # each key's bias from its values, packed
    ],
)
def test_a_user_spec_runs_batches_as_each_sequence_alone(name: str, head: str) -> None:
    """`run_batch` packs the rows of a causal, rotary model (each sequence counts its
    positions from 0) and buckets a head that finds each row's last token by its padding;
    either way every output equals the reference on that sequence alone."""
    spec = FIXTURES / f"{name}.yaml"
    ir = load_arch(spec)
    user = SPECS[name]
    config = dict(ir.spec.reference.tiny) | user.fixed | {"num_labels": 3}
    ref = build_reference(ir, ir.head(head), config, seed=1)
    model = archgen.load(save(ref), spec=spec)
    gen = torch.Generator().manual_seed(2)
    sequences = [
        torch.randint(3, config["vocab_size"], (n,), generator=gen).tolist() for n in (5, 9, 3, 12, 7, 5)
    ]
    outputs = model.run_batch(sequences, row_tokens=16)
    for sequence, out in zip(sequences, outputs):
        ids = torch.tensor([sequence])
        with torch.no_grad():
            expected = ref(input_ids=ids, attention_mask=torch.ones_like(ids))
        key = ir.head(head).spec.outputs[0]
        torch.testing.assert_close(out[key], getattr(expected, key)[0], atol=1e-5, rtol=0)


#: LongRoPE over 4 pairs, pretrained at 8 positions: a 5-token prompt starts on the short
#: factors, and its decode steps past position 7 turn to the long ones.
LONGROPE = {
    "rope_type": "longrope",
    "rope_theta": 10000.0,
    "original_max_position_embeddings": 8,
    "short_factor": [1.0, 1.5, 4.0, 16.0],
    "long_factor": [16.0, 4.0, 1.5, 1.0],
}


# 70-115 s each with cold caches (Bamba's 146 s, LFM3's 188 s, Bailing Hybrid's 248 s, Qwen3-Next's
# 290 s): all but Gemma 2's in `make test-slow` (the default suite's budget; Mixtral's moved there
# when a clean clone's suite reached 18 minutes); `archgen verify` compiles each spec too.
@pytest.mark.parametrize(
    "name",
    [
        "gemma2",
        pytest.param("bloom", marks=pytest.mark.slow),
        pytest.param("mixtral", marks=pytest.mark.slow),
        pytest.param("cohere2", marks=pytest.mark.slow),
        pytest.param("gemma3_text", marks=pytest.mark.slow),
        pytest.param("bamba", marks=pytest.mark.slow),
        pytest.param("qwen3_next", marks=pytest.mark.slow),
        pytest.param("lfm3", marks=pytest.mark.slow),
        pytest.param("bailing_hybrid", marks=pytest.mark.slow),
        pytest.param("laguna", marks=pytest.mark.slow),
        pytest.param("mimo_v2_flash", marks=pytest.mark.slow),
        pytest.param("beam", marks=pytest.mark.slow),
        pytest.param("llama4_text", marks=pytest.mark.slow),
        pytest.param("kimi_linear", marks=pytest.mark.slow),
        pytest.param("axk2", marks=pytest.mark.slow),
        pytest.param("jetmoe", marks=pytest.mark.slow),
        pytest.param("minimax", marks=pytest.mark.slow),
        pytest.param("doge", marks=pytest.mark.slow),
    ],
)
def test_a_user_spec_compiles_and_generates_as_eager(name: str) -> None:
    """Gemma 2's knobs (rotary angles and the embedding scale held in buffers, grouped-query
    attention, LongRoPE's choice of factors within the compiled call, capped scores and
    logits, windowed and full layers side by side), BLOOM's (ALiBi slopes in a buffer, no
    position ids), Mixtral's (each expert computing the tokens routed to it, a number
    each call decides), Cohere 2's (layers with and without rotary positions) and Gemma 3's
    (RoPE parameters per layer type) run through the compiled artifacts, prefill and decode
    step alike; Bamba's state-space layers write and read their caches of slots there too, beside
    its attention layers' KV caches, Qwen3-Next's gated delta rule its state (each step a
    chunk of one slot), LFM3's windowed and full layers (RoPE per type) beside gated
    convolutions, Bailing Hybrid's decays per key feature beside latent attention's cache, and
    Laguna's layers of their own head counts (each its own KV cache) under RoPE per type, and
    MiMo-V2-Flash's sliding layers with sinks and twice the key/value heads, values narrower than keys."""
    spec = FIXTURES / f"{name}.yaml"
    ir = load_arch(spec)
    user = SPECS[name]
    config = dict(ir.spec.reference.tiny) | user.fixed
    if name == "gemma2":
        config["rope_parameters"] = LONGROPE
    directory = save(build_reference(ir, ir.head("causal_lm"), config, seed=4))
    eager, compiled = archgen.load(directory, spec=spec), archgen.load(directory, spec=spec, compile=True)
    ids = torch.tensor([[0, 0, 5, 6, 7], [8, 9, 10, 11, 12]])
    mask = (ids != 0).long()
    torch.testing.assert_close(compiled(ids, mask)["logits"], eager(ids, mask)["logits"], atol=1e-5, rtol=0)
    expected = eager.generate(ids, mask, max_new_tokens=6, eos_token_id=-1)
    assert torch.equal(compiled.generate(ids, mask, max_new_tokens=6, eos_token_id=-1), expected)


def test_longrope_turns_to_its_long_factors_past_the_pretraining_length() -> None:
    """Llama under LongRoPE (pretrained at 8 positions): a call of 6 tokens runs on the short
    factors, one of 12 on the long ones, as the reference's; greedy generation from 5 tokens
    crosses over mid-way, each decode step deciding for itself, as the reference's
    `generate` does. The two factor sets give different outputs, so each choice is tested."""
    spec = FIXTURES / "llama.yaml"
    ir = load_arch(spec)
    config = dict(ir.spec.reference.tiny) | {"hidden_act": "silu", "rope_parameters": LONGROPE}
    ref = build_reference(ir, ir.head("causal_lm"), config, seed=9)
    model = archgen.load(save(ref), spec=spec)
    ids = torch.randint(3, config["vocab_size"], (1, 12), generator=torch.Generator().manual_seed(1))
    for length in (6, 12):
        with torch.no_grad():
            expected = ref(input_ids=ids[:, :length]).logits
        torch.testing.assert_close(model(ids[:, :length])["logits"], expected, atol=1e-5, rtol=0)
    short_only = dict(LONGROPE, long_factor=LONGROPE["short_factor"])
    other = archgen.load(
        save(build_reference(ir, ir.head("causal_lm"), config | {"rope_parameters": short_only}, seed=9)),
        spec=spec,
    )
    assert not torch.allclose(other(ids)["logits"], model(ids)["logits"], atol=1e-3)
    prompt = ids[:, :5]
    ours = model.generate(prompt, torch.ones_like(prompt), max_new_tokens=7, eos_token_id=-1)
    ref.generation_config.eos_token_id = None
    with torch.no_grad():
        expected = ref.generate(input_ids=prompt, max_new_tokens=7, do_sample=False, pad_token_id=0)
    assert torch.equal(ours, expected)


def test_rope_scaling_reads_older_config_files() -> None:
    """A config.json as released before `rope_parameters` (Llama 3.1's: `rope_scaling` with
    `type`, `rope_theta` beside it) scales RoPE as the reference built from the newer one."""
    spec = FIXTURES / "llama.yaml"
    ir = load_arch(spec)
    llama3 = {
        "factor": 8.0,
        "low_freq_factor": 1.0,
        "high_freq_factor": 4.0,
        "original_max_position_embeddings": 16,
    }
    config = dict(ir.spec.reference.tiny) | {"hidden_act": "silu", "head_dim": 16, "num_attention_heads": 2}
    config["rope_parameters"] = {"rope_type": "llama3", "rope_theta": 500000.0, **llama3}
    ref = build_reference(ir, ir.head("causal_lm"), config, seed=10)
    checkpoint = save(ref)
    written = json.loads((checkpoint / "config.json").read_text())
    del written["rope_parameters"]
    written |= {"rope_scaling": {"type": "llama3", **llama3}, "rope_theta": 500000.0}
    (checkpoint / "config.json").write_text(json.dumps(written))
    model = archgen.load(checkpoint, spec=spec)
    ids = torch.randint(3, config["vocab_size"], (2, 20), generator=torch.Generator().manual_seed(2))
    with torch.no_grad():
        expected = ref(input_ids=ids).logits
    torch.testing.assert_close(model(ids)["logits"], expected, atol=1e-5, rtol=0)
    unscaled = json.loads((checkpoint / "config.json").read_text())
    del unscaled["rope_scaling"]
    (checkpoint / "config.json").write_text(json.dumps(unscaled))
    assert not torch.allclose(archgen.load(checkpoint, spec=spec)(ids)["logits"], expected, atol=1e-3)


def test_a_rope_scaling_law_not_built_is_refused_when_the_model_is_built() -> None:
    """`dynamic` RoPE recomputes its frequencies from the longest sequence seen so far (state
    across calls): it is not built, and a checkpoint that asks for it is refused by name, as
    is a law the spec leaves out (Phi-3 builds only LongRoPE) and parameters given per layer
    type to a spec that reads one set (Gemma 3's layout, for a spec with `layer_types`); a
    Gemma 3 config.json with one set is refused too."""
    per_type = {"full_attention": {"rope_type": "default"}, "sliding_attention": {"rope_type": "default"}}
    for name, rope, message in (
        (
            "llama",
            {"rope_type": "dynamic", "factor": 2.0},
            "rope_type 'dynamic' is not built; this spec builds: default, linear, llama3, yarn, longrope",
        ),
        (
            "phi3",
            {"rope_type": "linear", "factor": 2.0},
            "rope_type 'linear' is not built; this spec builds: default, longrope",
        ),
        (
            "llama",
            per_type,
            r"holds parameters per layer type \(full_attention, sliding_attention\): this spec reads one set",
        ),
        (
            "gemma3_text",
            {"sliding_attention": None, "rope_type": "default", "rope_theta": 10000.0},
            "config rope_parameters has no parameters for layer type 'sliding_attention' "
            r"\(one set per layer type, the layout transformers 5 writes\)",
        ),
        (
            "gemma3_text",
            {
                "sliding_attention": {
                    "rope_type": "yarn",
                    "rope_theta": 100.0,
                    "factor": 2.0,
                    "truncate": False,
                }
            },
            "rope_parameters' YaRN truncate must not be false",
        ),
    ):
        spec = FIXTURES / f"{name}.yaml"
        ir = load_arch(spec)
        config = dict(ir.spec.reference.tiny) | {"hidden_act": "silu"}
        checkpoint = save(build_reference(ir, ir.head("causal_lm"), config))
        written = json.loads((checkpoint / "config.json").read_text())
        written["rope_parameters"] |= rope
        if not rope:
            del written["layer_types"]
        (checkpoint / "config.json").write_text(json.dumps(written))
        with pytest.raises(ValueError, match=message):
            archgen.load(checkpoint, spec=spec)


def without(checkpoint: Path, key: str) -> dict:
    """Rewrite the checkpoint's config.json without ``key`` (as files written before
    `transformers` saved it); the file's values as they were."""
    written = json.loads((checkpoint / "config.json").read_text())
    (checkpoint / "config.json").write_text(json.dumps({k: v for k, v in written.items() if k != key}))
    return written


def test_window_layers_follow_the_period_when_config_json_has_no_list() -> None:
    """A Gemma 2 config.json without `layer_types` (as released before the list existed)
    windows every layer but each second one, as the reference's default; Qwen2 and Qwen3
    window the layers from `max_window_layers` on (`windowed_from`); a Qwen2-MoE one with its
    window on is refused, naming the key (its reference derives the list otherwise)."""
    spec = FIXTURES / "gemma2.yaml"
    ir = load_arch(spec)
    config = dict(ir.spec.reference.tiny) | {"num_hidden_layers": 4, "sliding_window": 2}
    ref = build_reference(ir, ir.head("causal_lm"), config, seed=11)
    assert ref.config.layer_types[:2] == ["sliding_attention", "full_attention"]
    checkpoint = save(ref)
    without(checkpoint, "layer_types")
    model = archgen.load(checkpoint, spec=spec)
    assert model.module.backbone.windowed == [True, False, True, False]
    ids = torch.randint(3, config["vocab_size"], (2, 9), generator=torch.Generator().manual_seed(3))
    with torch.no_grad():
        expected = ref(input_ids=ids).logits
    torch.testing.assert_close(model(ids)["logits"], expected, atol=1e-5, rtol=0)

    window = {"use_sliding_window": True, "sliding_window": 2, "hidden_act": "silu"}
    for name in ("qwen2", "qwen3"):
        spec = FIXTURES / f"{name}.yaml"
        ir = load_arch(spec)
        config = dict(ir.spec.reference.tiny) | window | {"num_hidden_layers": 3, "max_window_layers": 1}
        ref = build_reference(ir, ir.head("causal_lm"), config, seed=11)
        assert ref.config.layer_types == ["full_attention", "sliding_attention", "sliding_attention"]
        checkpoint = save(ref)
        without(checkpoint, "layer_types")
        model = archgen.load(checkpoint, spec=spec)
        assert model.module.backbone.windowed == [False, True, True]
        with torch.no_grad():
            expected = ref(input_ids=ids).logits
        torch.testing.assert_close(model(ids)["logits"], expected, atol=1e-5, rtol=0)

    spec = FIXTURES / "qwen2_moe.yaml"
    ir = load_arch(spec)
    config = dict(ir.spec.reference.tiny) | window | {"max_window_layers": 1}
    checkpoint = save(build_reference(ir, ir.head("causal_lm"), config))
    without(checkpoint, "layer_types")
    with pytest.raises(
        ValueError, match="config.json has no layer_types: which layers have the sliding window"
    ):
        archgen.load(checkpoint, spec=spec)


def test_rope_types_follow_the_window_period_when_config_json_has_no_list() -> None:
    """A Gemma 3 config.json without `layer_types`: which layers take the sliding-window
    RoPE parameters follows `sliding_window_pattern`, as the reference's default, and the
    two thetas differ enough that a wrong assignment would show."""
    spec = FIXTURES / "gemma3_text.yaml"
    ir = load_arch(spec)
    config = dict(ir.spec.reference.tiny) | {
        "num_hidden_layers": 3,
        "sliding_window_pattern": 3,
        "hidden_act": "silu",
    }
    ref = build_reference(ir, ir.head("causal_lm"), config, seed=13)
    assert ref.config.layer_types == ["sliding_attention", "sliding_attention", "full_attention"]
    thetas = {kind: ref.config.rope_parameters[kind]["rope_theta"] for kind in ref.config.layer_types}
    assert thetas["sliding_attention"] != thetas["full_attention"]
    checkpoint = save(ref)
    without(checkpoint, "layer_types")
    model = archgen.load(checkpoint, spec=spec)
    assert model.module.backbone.windowed == [True, True, False]
    ids = torch.randint(3, config["vocab_size"], (2, 9), generator=torch.Generator().manual_seed(4))
    with torch.no_grad():
        expected = ref(input_ids=ids).logits
    torch.testing.assert_close(model(ids)["logits"], expected, atol=1e-5, rtol=0)


def test_a_bidirectional_gemma3_does_not_generate_and_refuses_a_window_it_cannot_say() -> None:
    """EmbeddingGemma's config.json (`use_bidirectional_attention`) makes Gemma 3's causal LM
    attend both ways: its forward equals the reference's (the drawn configs compare every
    head), generation is refused before any compute, and a `sliding_window` of 1, whose
    reference window holds only the query, is refused by name."""
    spec = FIXTURES / "gemma3_text.yaml"
    ir = load_arch(spec)
    config = dict(ir.spec.reference.tiny) | {"use_bidirectional_attention": True, "sliding_window": 4}
    ref = build_reference(ir, ir.head("causal_lm"), config | {"hidden_act": "gelu_pytorch_tanh"})
    model = archgen.load(save(ref), spec=spec)
    assert not model.module.backbone.causal and model.module.backbone.window == 2
    with pytest.raises(
        InputError, match="config.json use_bidirectional_attention makes this model attend both"
    ):
        model.generate(torch.tensor([[5, 6, 7]]), max_new_tokens=2)
    ref = build_reference(ir, ir.head("encoder_model"), config | {"sliding_window": 1})
    with pytest.raises(ValueError, match="a bidirectional Gemma 3 needs sliding_window >= 2"):
        archgen.load(save(ref), spec=spec)


def test_rotary_layers_follow_the_period_when_config_json_has_no_list() -> None:
    """SmolLM3 without `no_rope_layers`: every layer but each `no_rope_layer_interval`-th has
    rotary positions, as the reference's default; those layers matter (all of them rotated
    differs); a list of the wrong length is refused, naming the key."""
    spec = FIXTURES / "smollm3.yaml"
    ir = load_arch(spec)
    config = dict(ir.spec.reference.tiny) | {"num_hidden_layers": 4, "no_rope_layer_interval": 2}
    ref = build_reference(ir, ir.head("causal_lm"), config | {"hidden_act": "silu"}, seed=12)
    assert ref.config.no_rope_layers == [1, 0, 1, 0]
    checkpoint = save(ref)
    written = without(checkpoint, "no_rope_layers")
    model = archgen.load(checkpoint, spec=spec)
    assert model.module.backbone.roped == [True, False, True, False]
    ids = torch.randint(3, config["vocab_size"], (2, 9), generator=torch.Generator().manual_seed(3))
    with torch.no_grad():
        expected = ref(input_ids=ids).logits
    torch.testing.assert_close(model(ids)["logits"], expected, atol=1e-5, rtol=0)
    model.module.backbone.roped = [True] * 4
    assert not torch.allclose(model(ids)["logits"], expected, atol=1e-4, rtol=0)

    (checkpoint / "config.json").write_text(json.dumps(written | {"no_rope_layers": [1, 0, 1]}))
    with pytest.raises(ValueError, match="config.json no_rope_layers has 3 entries for 4 layers"):
        archgen.load(checkpoint, spec=spec)


def test_smollm3_windows_the_layers_its_list_marks_whatever_use_sliding_window_says() -> None:
    """Found by the dev profile: SmolLM3's reference builds its windowed mask from
    `sliding_window` for every layer `layer_types` marks, even with `use_sliding_window` off
    (that flag only shapes the default list; Qwen2's config nulls the window instead)."""
    spec = FIXTURES / "smollm3.yaml"
    ir = load_arch(spec)
    config = dict(ir.spec.reference.tiny) | {
        "hidden_act": "silu",
        "num_hidden_layers": 2,
        "use_sliding_window": False,
        "sliding_window": 1,
        "layer_types": ["sliding_attention", "full_attention"],
        "no_rope_layers": [0, 1],
    }
    ref = build_reference(ir, ir.head("causal_lm"), config, seed=14)
    model = archgen.load(save(ref), spec=spec)
    assert model.module.backbone.windowed == [True, False]
    ids = torch.randint(3, config["vocab_size"], (2, 7), generator=torch.Generator().manual_seed(6))
    with torch.no_grad():
        expected = ref(input_ids=ids).logits
    torch.testing.assert_close(model(ids)["logits"], expected, atol=1e-5, rtol=0)


def test_rotary_layers_without_window_layers(tmp_path: Path) -> None:
    """NoPE layers in a stack without per-layer windows (SmolLM3 less its `window_layers`, its
    window off): the layer loop that hands rotary positions to the marked layers alone."""
    for name in ("llama", "smollm3"):
        shutil.copy(FIXTURES / f"{name}.yaml", tmp_path)
    spec = tmp_path / "nope.yaml"
    spec.write_text(
        "spec_version: 1\nname: nope\nextends: smollm3\ntitle: NoPE\nmodel_types: [smollm3]\n"
        "class_prefix: SmolLM3\nattention: {sliding_window: null, window_layers: null}\n"
    )
    ir = load_arch(spec)
    assert ir.spec.attention.window_layers is None
    config = dict(ir.spec.reference.tiny) | {"num_hidden_layers": 3, "no_rope_layers": [0, 1, 0]}
    ref = build_reference(ir, ir.head("causal_lm"), config | {"hidden_act": "silu"}, seed=13)
    model = archgen.load(save(ref), spec=spec)
    assert model.module.backbone.roped == [False, True, False]
    ids = torch.randint(3, config["vocab_size"], (2, 9), generator=torch.Generator().manual_seed(5))
    with torch.no_grad():
        expected = ref(input_ids=ids).logits
    torch.testing.assert_close(model(ids)["logits"], expected, atol=1e-5, rtol=0)


@pytest.mark.parametrize("name", ["qwen2_moe", "qwen3_moe"])
def test_dense_layers_among_the_experts(name: str) -> None:
    """Layers with a dense FFN among the experts (`ffn.experts.layers`): each layer holds the
    FFN its reference builds, the table maps each layer's keys by the same rules, outputs match,
    and export writes the checkpoint back bitwise. Four layers: those `mlp_only_layers` lists
    are dense, and with `decoder_sparse_step` 2 so are layers 0 and 2."""
    spec = FIXTURES / f"{name}.yaml"
    ir = load_arch(spec)
    for change, want in (
        ({"mlp_only_layers": [1]}, [True, False, True, True]),
        ({"decoder_sparse_step": 2}, [False, True, False, True]),
        ({"mlp_only_layers": [3], "decoder_sparse_step": 2}, [False, True, False, False]),
    ):
        config = dict(ir.spec.reference.tiny) | {"hidden_act": "silu", "num_hidden_layers": 4} | change
        ref = build_reference(ir, ir.head("causal_lm"), config, seed=3)
        checkpoint = save(ref)
        model = archgen.load(checkpoint, spec=spec)
        assert model.module.backbone.expert_layers == want
        assert [hasattr(layer.mlp, "experts") for layer in ref.model.layers] == want
        ids = torch.randint(3, config["vocab_size"], (2, 7), generator=torch.Generator().manual_seed(5))
        with torch.no_grad():
            expected = ref(input_ids=ids).logits
        torch.testing.assert_close(model(ids)["logits"], expected, atol=1e-5, rtol=0)
        with tempfile.TemporaryDirectory() as out:
            assert_exports_as_read(model, checkpoint, Path(out))


def reference_with_extra_keys(name: str, change: dict, extra: dict) -> tuple:
    """A reference causal LM of fixture ``name`` (its tiny config with ``change``), and its
    checkpoint with the ``extra`` tensors added: (reference, checkpoint, the tensors it had)."""
    ir = load_arch(FIXTURES / f"{name}.yaml")
    ref = build_reference(ir, ir.head("causal_lm"), dict(ir.spec.reference.tiny) | change, seed=5)
    checkpoint = save(ref)
    stored = load_file(checkpoint / "model.safetensors")
    save_file(stored | extra, checkpoint / "model.safetensors")
    return ref, checkpoint, stored


def test_a_prefix_ignore_drops_every_key_it_starts() -> None:
    """Mellum's multi-token prediction layers (`mtp.*` keys, which its reference drops) load
    and are dropped by one `ignore` entry with `prefix: true`; outputs match the reference.
    GLM-4.5's prefix names a size (`layers.{num_layers}.`): its layer is stored after the last,
    and a key of the layer after that is still unexpected, named by the loader."""
    ids = torch.randint(3, 99, (2, 9), generator=torch.Generator().manual_seed(5))
    mtp = {"mtp.layers.0.mlp.gate.weight": torch.ones(4, 2), "mtp.norm.weight": torch.ones(2)}
    after_last = {
        "model.layers.2.eh_proj.weight": torch.ones(4, 2),
        "model.layers.2.enorm.weight": torch.ones(2),
    }
    cases = [("mellum", {"num_mtp_layers": 1}, mtp), ("glm4_moe", {"num_hidden_layers": 2}, after_last)]
    for name, change, extra in cases:
        ref, checkpoint, stored = reference_with_extra_keys(name, {"hidden_act": "silu"} | change, extra)
        with torch.no_grad():
            expected = ref(input_ids=ids).logits
        model = archgen.load(checkpoint, spec=FIXTURES / f"{name}.yaml")
        torch.testing.assert_close(model(ids)["logits"], expected, atol=1e-5, rtol=0)
    save_file(stored | {"model.layers.3.enorm.weight": torch.ones(2)}, checkpoint / "model.safetensors")
    with pytest.raises(CheckpointError, match="unexpected keys: model.layers.3.enorm.weight"):
        archgen.load(checkpoint, spec=FIXTURES / "glm4_moe.yaml")


def test_stacked_experts_with_a_wrong_count_are_named() -> None:
    """GraniteMoE stores each layer's experts in one tensor (`ffn.experts.stacked`): a
    config.json whose expert count differs from the tensors' is refused, naming each stacked
    key with both shapes (the property tests check the slices' values and export)."""
    spec = FIXTURES / "granitemoe.yaml"
    ir = load_arch(spec)
    config = dict(ir.spec.reference.tiny) | {"hidden_act": "silu"}
    checkpoint = save(build_reference(ir, ir.head("encoder_model"), config))
    archgen.load(checkpoint, spec=spec)
    written = json.loads((checkpoint / "config.json").read_text())
    (checkpoint / "config.json").write_text(json.dumps(written | {"num_local_experts": 3}))
    with pytest.raises(CheckpointError) as caught:
        archgen.load(checkpoint, spec=spec)
    width, inner = config["hidden_size"], config["intermediate_size"]
    for i in range(config["num_hidden_layers"]):
        key = f"layers.{i}.block_sparse_moe.input_linear.weight"  # the bare model has no prefix
        assert f"{key}: expected (3, {2 * inner}, {width}), got (4, {2 * inner}, {width})" in str(
            caught.value
        )
        assert f"layers.{i}.block_sparse_moe.output_linear.weight: expected (3," in str(caught.value)


@pytest.mark.parametrize("buckets", [16, 64])
def test_mpnet_refuses_a_bucket_count_its_reference_does_not_use(buckets: int) -> None:
    """MPNet's reference buckets relative positions into 32 whatever
    `relative_attention_num_buckets` says (the key only sizes its table): another count is
    refused by name rather than built with a table the reference reads otherwise."""
    spec = FIXTURES / "mpnet.yaml"
    ir = load_arch(spec)
    config = dict(ir.spec.reference.tiny) | {"relative_attention_num_buckets": buckets}
    checkpoint = save(build_reference(ir, ir.head("base"), config))
    with pytest.raises(ValueError, match="relative_attention_num_buckets"):
        archgen.load(checkpoint, spec=spec)


def test_mpnet_biases_every_relative_position_as_the_reference() -> None:
    """The drawn configs' bias tables are initialised small (std 0.02) and their rows reach
    16 tokens; here the table is of unit scale and the rows 200 tokens long, left and right
    padded, so every bucket of both directions is read, past `max_distance` (128) too."""
    spec = FIXTURES / "mpnet.yaml"
    ir = load_arch(spec)
    config = dict(ir.spec.reference.tiny) | {"max_position_embeddings": 256}
    ref = build_reference(ir, ir.head("base"), config)
    with torch.no_grad():
        table = ref.encoder.relative_attention_bias.weight
        table.copy_(torch.randn(table.shape, generator=torch.Generator().manual_seed(7)))
    model = archgen.load(save(ref), spec=spec)
    ids = torch.randint(3, config["vocab_size"], (3, 200), generator=torch.Generator().manual_seed(8))
    mask = torch.ones_like(ids)
    ids[1, :60], mask[1, :60] = 1, 0  # left padding
    ids[2, 150:], mask[2, 150:] = 1, 0  # right padding
    with torch.no_grad():
        expected = ref(input_ids=ids, attention_mask=mask).last_hidden_state
    torch.testing.assert_close(model(ids, mask)["last_hidden_state"], expected, atol=1e-5, rtol=0)


def test_a_list_of_eos_ids_loads_and_ends_a_row_at_any_of_them() -> None:
    """Llama 3's config.json lists its eos ids: the spec's `eos_token_id` symbol reads the first
    (`first: true`, the pad id's fallback), and greedy generation given the list ends each row at
    whichever comes first, padding it after, as the reference's `generate` does."""
    spec = FIXTURES / "llama.yaml"
    ir = load_arch(spec)
    config = dict(ir.spec.reference.tiny) | {"hidden_act": "silu", "pad_token_id": None}
    ref = build_reference(ir, ir.head("causal_lm"), config, seed=15)
    checkpoint = save(ref)
    ids = torch.randint(3, config["vocab_size"], (3, 5), generator=torch.Generator().manual_seed(8))
    free = archgen.load(checkpoint, spec=spec).generate(ids, max_new_tokens=8)
    stops = [int(free[0, 7]), int(free[1, 9]), 1]  # tokens rows 0 and 1 emit, and one that may not occur
    written = json.loads((checkpoint / "config.json").read_text())
    (checkpoint / "config.json").write_text(json.dumps(written | {"eos_token_id": stops}))
    model = archgen.load(checkpoint, spec=spec)
    assert model.sizes["eos_token_id"] == stops[0] == model.sizes["pad_token_id"]
    ours = model.generate(ids, max_new_tokens=8, eos_token_id=model.config["eos_token_id"])
    with torch.no_grad():
        expected = ref.generate(
            input_ids=ids, max_new_tokens=8, do_sample=False, eos_token_id=stops, pad_token_id=stops[0]
        )
    assert torch.equal(ours[:, : expected.shape[1]], expected)
    assert (ours[:, expected.shape[1] :] == stops[0]).all()  # the reference stops once every row has
    with pytest.raises(InputError, match="eos_token_id must be an int or a non-empty list of ints"):
        model.generate(ids, max_new_tokens=2, eos_token_id=[])


def test_a_rotated_width_that_cannot_pair_is_refused_when_the_model_is_built() -> None:
    """Rotary features turn in pairs: Phi's `int(head_dim * partial_rotary_factor)` must be even."""
    spec = FIXTURES / "phi.yaml"
    ir = load_arch(spec)
    config = dict(ir.spec.reference.tiny) | {"hidden_size": 24, "hidden_act": "gelu_new"}  # 6 per head
    config["rope_parameters"] = {"rope_type": "default", "rope_theta": 1e4, "partial_rotary_factor": 0.5}
    checkpoint = save(build_reference(ir, ir.head("encoder_model"), config))  # builds; it fails at run time
    with pytest.raises(ValueError, match=r"rotary_dim \(3\) must be even and in 1..head_dim \(6\)"):
        archgen.load(checkpoint, spec=spec)


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (
            {"num_attention_heads_per_layer": [4, 4]},
            "config.json num_attention_heads_per_layer has 2 entries for 3 layers",
        ),
        (
            {"num_attention_heads_per_layer": [4, 3, 4]},
            r"num_attention_heads_per_layer \(\[4, 3, 4\]\): each layer's query heads must be a positive "
            r"multiple of num_kv_heads \(2\)",
        ),
        (
            {"rope_parameters": {"full_attention": {"rope_theta": 1e4, "partial_rotary_factor": 0.375}}},
            r"partial_rotary_factor 0.375 rotates 3 of head_dim's 8 features: an even count, at least 2",
        ),
    ],
)
def test_laguna_refuses_layer_shapes_its_config_cannot_give(edit: dict, message: str) -> None:
    """Each layer's query heads come from `num_attention_heads_per_layer`, one entry per layer,
    each a multiple of the key/value heads; each type's rotated part from its parameters'
    `partial_rotary_factor`, an even count of at least 2: else the model is refused by name
    when it is built, before any compute."""
    spec = FIXTURES / "laguna.yaml"
    ir = load_arch(spec)
    config = dict(ir.spec.reference.tiny) | {"hidden_act": "silu"}
    checkpoint = save(build_reference(ir, ir.head("causal_lm"), config))
    written = json.loads((checkpoint / "config.json").read_text())
    for key, value in edit.items():
        written[key] = value if not isinstance(value, dict) else written[key] | value
    (checkpoint / "config.json").write_text(json.dumps(written))
    with pytest.raises(ValueError, match=message):
        archgen.load(checkpoint, spec=spec)


def test_laguna_without_its_head_counts_gives_every_layer_num_attention_heads() -> None:
    """A config.json without `num_attention_heads_per_layer` builds every layer with
    `num_attention_heads` query heads, as the reference's default list."""
    spec = FIXTURES / "laguna.yaml"
    ir = load_arch(spec)
    config = dict(ir.spec.reference.tiny) | {"hidden_act": "silu", "num_attention_heads_per_layer": [6, 6, 6]}
    config["num_attention_heads"] = 6
    ref = build_reference(ir, ir.head("causal_lm"), config)
    checkpoint = save(ref)
    written = json.loads((checkpoint / "config.json").read_text())
    del written["num_attention_heads_per_layer"]
    (checkpoint / "config.json").write_text(json.dumps(written))
    model = archgen.load(checkpoint, spec=spec)
    ids = torch.tensor([[3, 4, 5, 6, 7]])
    with torch.no_grad():
        expected = ref(input_ids=ids).logits
    torch.testing.assert_close(model(ids)["logits"], expected, atol=1e-5, rtol=0)


def test_mimo_reads_a_released_window_size_as_one_less_than_its_window() -> None:
    """MiMo-V2-Flash's released config.json files say `sliding_window_size`, the keys before a
    query's own that it sees; its reference's window is one more. A file that says so loads as the
    reference built with that window; the sliding layers' sinks and doubled key/value heads with it."""
    spec = FIXTURES / "mimo_v2_flash.yaml"
    ir = load_arch(spec)
    config = dict(ir.spec.reference.tiny) | {"hidden_act": "silu"}
    ref = build_reference(ir, ir.head("causal_lm"), config)
    checkpoint = save(ref)
    written = json.loads((checkpoint / "config.json").read_text())
    del written["sliding_window"]
    written["sliding_window_size"] = config["sliding_window"] - 1
    (checkpoint / "config.json").write_text(json.dumps(written))
    model = archgen.load(checkpoint, spec=spec)
    ids = torch.tensor([[3, 4, 5, 6, 7, 8, 9]])
    with torch.no_grad():
        expected = ref(input_ids=ids).logits
    torch.testing.assert_close(model(ids)["logits"], expected, atol=1e-5, rtol=0)


def test_beam_scales_the_queries_of_its_full_layers_by_position() -> None:
    """Beam's full-attention layers have no rotary positions; their queries are scaled by
    `(1 + (p + 1) / 2048) ** 0.1` instead, which the short sequences of the property tests leave
    within 1e-3 of 1. Positions from 100,000 (a scale of about 1.48) show it: the logits equal the
    reference's there, in a stack of one full and one sliding layer."""
    spec = FIXTURES / "beam.yaml"
    ir = load_arch(spec)
    config = dict(ir.spec.reference.tiny) | {
        "hidden_act": "silu",
        "num_hidden_layers": 2,
        "layer_types": ["full_attention", "sliding_attention"],
        "mlp_layer_types": ["sparse", "dense"],
        "max_position_embeddings": 1 << 20,
    }
    ref = build_reference(ir, ir.head("causal_lm"), config)
    model = archgen.load(save(ref), spec=spec)
    ids = torch.tensor([[3, 4, 5, 6, 7, 8]])
    positions = torch.arange(6)[None] + 100_000
    with torch.no_grad():
        expected = ref(input_ids=ids, position_ids=positions).logits
        near = ref(input_ids=ids).logits
    assert (expected - near).abs().max() > 1e-3  # the positions change the reference's logits
    scales = []  # what the full layer's attention is given in place of cos and sin
    full = model.module.backbone.layers[0].attn
    hook = full.register_forward_pre_hook(lambda module, args: scales.append(args[3]))
    torch.testing.assert_close(model(ids, position_ids=positions)["logits"], expected, atol=1e-5, rtol=0)
    # the scale itself, bit for bit, at every position (p + 1 counted, as the reference counts)
    from transformers.models.beam.modeling_beam import compute_attention_scaling

    for start in (0, 100_000):
        scales.clear()
        model(ids, position_ids=torch.arange(6)[None] + start)
        assert torch.equal(scales[0], compute_attention_scaling(torch.arange(6)[None] + start))
    hook.remove()


def test_beam_weighs_each_residual_sum_by_its_depth() -> None:
    """Beam's k-th residual sum is `out / sqrt(k) + x * sqrt((k - 1) / k)`: the stream of plain sums
    scaled by 1 / sqrt(k), which the norms before every sublayer and after the stack undo up to
    their epsilon, so the heads' outputs barely show it. Every layer's output does: each equals the
    reference's hidden state."""
    spec = FIXTURES / "beam.yaml"
    ir = load_arch(spec)
    config = dict(ir.spec.reference.tiny) | {"hidden_act": "silu"}
    ref = build_reference(ir, ir.head("encoder_model"), config)
    model = archgen.load(save(ref), spec=spec)
    ids = torch.tensor([[3, 4, 5, 6, 7, 8]])
    with torch.no_grad():
        expected = ref(input_ids=ids, output_hidden_states=True).hidden_states
    ours = model(ids, output_hidden_states=True)["hidden_states"]
    assert len(ours) == len(expected) == config["num_hidden_layers"] + 1
    for a, b in zip(ours, expected):
        torch.testing.assert_close(a, b, atol=1e-5, rtol=0)


def test_depth_scaled_residuals_in_pre_norm_layers_are_plain_sums_scaled(tmp_path: Path) -> None:
    """`block.depth_scaled_residuals` in pre-norm layers (Beam's are sandwich-normed; no reference
    has them pre-norm): the stack's k-th sum is the plain stream divided by sqrt(k), which each
    pre-norm undoes up to its epsilon. So on a Llama checkpoint, layer l's output (the stack's
    (2l + 3)-th sum, the embeddings its first) is Llama's divided by sqrt(2l + 3), and the normed
    last state and the logits are Llama's."""
    shutil.copy(FIXTURES / "llama.yaml", tmp_path)
    spec = tmp_path / "deep.yaml"
    spec.write_text(
        "spec_version: 1\nname: deep\nextends: llama\ntitle: Deep\nmodel_types: [llama]\n"
        "class_prefix: Llama\nblock: {depth_scaled_residuals: true}\n"
    )
    assert load_arch(spec).spec.block.depth_scaled_residuals
    llama = load_arch(FIXTURES / "llama.yaml")
    config = dict(llama.spec.reference.tiny) | {
        "num_hidden_layers": 3,
        "hidden_act": "silu",
        "rms_norm_eps": 1e-12,
    }
    checkpoint = save(build_reference(llama, llama.head("causal_lm"), config, seed=4))
    deep, plain = archgen.load(checkpoint, spec=spec), archgen.load(checkpoint, spec=FIXTURES / "llama.yaml")
    ids = torch.randint(3, config["vocab_size"], (2, 7), generator=torch.Generator().manual_seed(8))
    ours, theirs = deep(ids, output_hidden_states=True), plain(ids, output_hidden_states=True)
    *layers, last = ours["hidden_states"]
    *plain_layers, plain_last = theirs["hidden_states"]
    for layer, (a, b) in enumerate(zip(layers[1:], plain_layers[1:])):
        torch.testing.assert_close(a, b / math.sqrt(2 * layer + 3), atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(layers[0], plain_layers[0])  # the embeddings
    torch.testing.assert_close(last, plain_last, atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(ours["logits"], theirs["logits"], atol=1e-5, rtol=1e-5)


def test_llama4_attends_within_chunks_counted_from_each_rows_first_token() -> None:
    """Llama 4's chunked layers: a query sees the earlier keys of its own chunk of
    `attention_chunk_size` tokens, the chunks counted from each row's first kept slot (its
    reference offsets them by the left padding). A left-padded batch of nine-token rows in chunks of
    three equals the reference, and so does the same checkpoint whose config.json has no
    `layer_types` (the RoPE layers are then the chunked ones, as its reference derives them)."""
    spec = FIXTURES / "llama4_text.yaml"
    ir = load_arch(spec)
    config = dict(ir.spec.reference.tiny) | {"hidden_act": "silu", "attention_chunk_size": 3}
    ref = build_reference(ir, ir.head("causal_lm"), config)
    checkpoint = save(ref)
    ids = torch.randint(3, config["vocab_size"], (2, 9), generator=torch.Generator().manual_seed(3))
    mask = torch.ones_like(ids)
    mask[1, :2] = 0  # the second row left-padded: its chunks start at slot 2
    with torch.no_grad():
        expected = ref(input_ids=ids, attention_mask=mask).logits
    written = json.loads((checkpoint / "config.json").read_text())
    assert written["layer_types"] == ["chunked_attention", "full_attention"] * 2
    for edit in ({}, {"layer_types": None}):
        (checkpoint / "config.json").write_text(
            json.dumps({k: v for k, v in written.items() if k not in edit})
        )
        model = archgen.load(checkpoint, spec=spec)
        assert model.module.backbone.windowed == [True, False, True, False]
        torch.testing.assert_close(model(ids, attention_mask=mask)["logits"], expected, atol=1e-5, rtol=0)


#: User specs whose `transformers` config class, at its defaults, leaves out what released
#: config.json files always give, and what the binding names.
DEFAULTS_REFUSED = {
    "deepseek_v2": "num_experts_per_tok",  # None by default
    "dots1": "n_routed_experts",  # None by default
    "esm": "vocab_size",  # None by default
    "esm1b": "vocab_size",
    # no head_dim by default and 4096 / 96 heads (its reference floors it to 42); released: 128
    "glm4_moe": "not divisible",
    "glm4v_moe_text": "not divisible",
}


def test_each_user_spec_binds_its_config_class_at_its_defaults() -> None:
    """Every size a user spec reads binds from the config.json its reference's config class writes
    at its defaults (a released model's sizes, mostly), or is refused naming what is missing. This
    found Llama's `hidden_size // num_heads` failing where `head_dim` was given (now bound lazily)
    and Laguna's 2048 / 48. Constraints are not checked: a spec may build one layout of several."""
    import transformers

    names = sorted(p.stem for p in FIXTURES.glob("*.yaml"))
    checked = 0
    for name in names:
        ir = load_arch(FIXTURES / f"{name}.yaml")
        if ir.spec.reference is None or not ir.spec.reference.config_class:
            continue
        config = json.loads(getattr(transformers, ir.spec.reference.config_class)().to_json_string())
        if name in DEFAULTS_REFUSED:
            with pytest.raises(ValueError, match=DEFAULTS_REFUSED[name]):
                bind_sizes(ir.spec.sizes, config, lazy=lazy_symbols(ir.spec, ir.heads))
        else:
            bind_sizes(ir.spec.sizes, config, lazy=lazy_symbols(ir.spec, ir.heads))
        checked += 1
    assert checked > 150


def test_a_width_that_does_not_divide_by_the_heads_loads_where_head_dim_is_given() -> None:
    """GLM-4.5's released config (width 5120, 96 heads of 128): `hidden_size // num_heads`, the
    head width where config.json gives none (Llama's `default_head_dim`), does not hold, and is not
    needed; such a checkpoint loads and matches its reference."""
    spec = FIXTURES / "glm4_moe.yaml"
    ir = load_arch(spec)
    config = dict(ir.spec.reference.tiny) | {"hidden_act": "silu", "hidden_size": 40, "head_dim": 8}
    config |= {"num_attention_heads": 3, "num_key_value_heads": 1}
    ref = build_reference(ir, ir.head("causal_lm"), config)
    model = archgen.load(save(ref), spec=spec)
    ids = torch.tensor([[3, 4, 5, 6, 7]])
    with torch.no_grad():
        expected = ref(input_ids=ids).logits
    torch.testing.assert_close(model(ids)["logits"], expected, atol=1e-5, rtol=0)


def test_a_discriminator_loss_counts_the_tokens_the_mask_keeps() -> None:
    """ELECTRA's replaced-token detection (`squeeze`, loss `token_binary`): binary
    cross-entropy over the kept tokens equals the reference's; labels under padding
    (1 here, so counting them would change the loss) are not counted."""
    spec = FIXTURES / "electra.yaml"
    ir = load_arch(spec)
    config = dict(ir.spec.reference.tiny) | {"hidden_act": "gelu"}
    ref = build_reference(ir, ir.head("replaced_token_detection"), config, seed=6)
    model = archgen.load(save(ref), spec=spec)
    ids = torch.tensor([[5, 6, 7, 8, 0, 0], [9, 10, 11, 12, 13, 14]])
    mask = (ids != 0).long()
    labels = torch.tensor([[0, 1, 0, 1, 1, 1], [1, 0, 0, 1, 0, 0]])
    with torch.no_grad():
        expected = ref(input_ids=ids, attention_mask=mask, labels=labels)
    ours = model(ids, mask, labels=labels)
    assert ours["logits"].shape == (2, 6)
    torch.testing.assert_close(ours["loss"], expected.loss, atol=1e-6, rtol=0)
    with pytest.raises(InputError, match="labels must be 0 or 1"):
        model(ids, mask, labels=labels * 2)


def test_shared_layers_follow_the_references_group_of_each_layer() -> None:
    """ALBERT's layer i runs group `int(i / (layers / groups))`, in floating point: with 18
    layers in 14 groups, layer 9 runs group 6 (9 * 14 // 18 would give 7), and so on for
    layers 9 and 18 of 27 in 21 groups. The output equals the reference's, loss included."""
    spec = FIXTURES / "albert.yaml"
    ir = load_arch(spec)
    config = dict(ir.spec.reference.tiny) | {"num_hidden_layers": 18, "num_hidden_groups": 14}
    ref = build_reference(ir, ir.head("sentence_order_pretraining"), config, seed=7)
    model = archgen.load(save(ref), spec=spec)
    assert model.module.backbone.schedule[9] == 6
    ids = torch.tensor([[5, 6, 7, 8, 0, 0], [9, 10, 11, 12, 13, 14]])
    mask = (ids != 0).long()
    labels = torch.where(mask.bool(), ids, -100)
    order = torch.tensor([1, 0])
    with torch.no_grad():
        expected = ref(input_ids=ids, attention_mask=mask, labels=labels, sentence_order_label=order)
    ours = model(ids, mask, labels=labels, sentence_order_label=order)
    torch.testing.assert_close(ours["prediction_logits"], expected.prediction_logits, atol=1e-5, rtol=0)
    torch.testing.assert_close(ours["sop_logits"], expected.sop_logits, atol=1e-5, rtol=0)
    torch.testing.assert_close(ours["loss"], expected.loss, atol=1e-5, rtol=0)


@pytest.mark.parametrize(
    ("name", "six_heads"),
    [("bloom", {"n_head": 6, "hidden_size": 36}), ("mpt", {"n_heads": 6, "d_model": 36})],
)
def test_alibi_counts_positions_as_the_reference(name: str, six_heads: dict) -> None:
    """ALiBi's key positions count the tokens the mask keeps (`cumsum(mask) - 1`) in BLOOM
    and the key slots in MPT (`alibi_positions: slots`): a mask with a hole in the middle
    tells the two apart (left padding alone does not: ALiBi is shift-invariant). 6 heads
    take the slopes past the power of two (4) too."""
    spec = FIXTURES / f"{name}.yaml"
    ir = load_arch(spec)
    config = dict(ir.spec.reference.tiny) | six_heads
    ref = build_reference(ir, ir.head("encoder_model"), config, seed=8)
    model = archgen.load(save(ref), spec=spec)
    ids = torch.tensor([[5, 6, 7, 8, 9, 10], [11, 12, 13, 14, 15, 16]])
    mask = torch.tensor([[1, 1, 0, 1, 1, 1], [0, 1, 0, 0, 1, 1]])
    with torch.no_grad():
        expected = ref(input_ids=ids, attention_mask=mask).last_hidden_state
    ours = model(ids, mask)["last_hidden_state"]
    kept = mask.bool()  # the reference's rows for blocked queries are its own choice
    torch.testing.assert_close(ours[kept], expected[kept], atol=1e-5, rtol=0)


def test_a_split_key_of_the_wrong_size_is_named() -> None:
    """Phi-3's `qkv_proj` loads the queries and the fused keys and values (a `split` entry):
    a checkpoint whose key lacks the value rows is refused, naming the key and both shapes,
    and a missing one is named too."""
    spec = FIXTURES / "phi3.yaml"
    ir = load_arch(spec)
    config = dict(ir.spec.reference.tiny) | {"hidden_act": "silu"}  # 4 heads of 8, 2 kv heads
    checkpoint = save(build_reference(ir, ir.head("encoder_model"), config))
    tensors = load_file(checkpoint / "model.safetensors")
    key = "layers.0.self_attn.qkv_proj.weight"
    tensors[key] = tensors[key][:-16]  # no value rows
    del tensors["layers.1.mlp.gate_up_proj.weight"]
    save_file(tensors, checkpoint / "model.safetensors", metadata={"format": "pt"})
    with pytest.raises(CheckpointError) as info:
        archgen.load(checkpoint, spec=spec)
    assert f"{key}: expected (64, 32), got (48, 32)" in str(info.value)
    assert "missing keys: layers.1.mlp.gate_up_proj.weight" in str(info.value)


def test_an_offset_position_table_admits_positions_not_rows() -> None:
    """BioGPT's table has two rows before position 0 (`position.offset: 2`): 66 rows hold 64
    positions, so 64 tokens run (equal to the reference), and a 65th token or a position id
    of 64 is refused before any compute."""
    spec = FIXTURES / "biogpt.yaml"
    ir = load_arch(spec)
    config = dict(ir.spec.reference.tiny) | {"hidden_act": "gelu"}  # max_position_embeddings 64
    ref = build_reference(ir, ir.head("encoder_model"), config, seed=9)
    model = archgen.load(save(ref), spec=spec)
    assert model.max_length == 64
    ids = torch.randint(3, config["vocab_size"], (1, 64), generator=torch.Generator().manual_seed(9))
    with torch.no_grad():
        expected = ref(input_ids=ids).last_hidden_state
    torch.testing.assert_close(model(ids)["last_hidden_state"], expected, atol=1e-5, rtol=0)
    with pytest.raises(InputError, match="at most 64 tokens"):
        model(torch.cat([ids, ids[:, :1]], dim=1))
    with pytest.raises(InputError, match=r"position_ids must lie in \[0, 64\)"):
        model(ids[:, :2], position_ids=torch.tensor([[0, 64]]))


def refuses_packing_and_runs_buckets(model, ref, sequences: list, reason: str) -> None:
    """`run_batch` refuses to pack ``sequences`` for ``reason``, and its buckets give each
    one the reference's logits on that sequence alone."""
    with pytest.raises(ValueError, match=reason):
        model.run_batch(sequences, pack=True)
    for sequence, out in zip(sequences, model.run_batch(sequences)):
        ids = torch.tensor([sequence])
        with torch.no_grad():
            expected = ref(input_ids=ids, attention_mask=torch.ones_like(ids)).logits[0]
        torch.testing.assert_close(out["logits"], expected, atol=1e-5, rtol=0)


def test_modernbert_mean_pooling_runs_batches_in_buckets() -> None:
    """A ModernBERT classifier whose config.json says `classifier_pooling: mean` averages
    each row's tokens: `run_batch` cannot pack its rows, says why when asked to, and its
    buckets give each sequence the reference's logits on that sequence alone."""
    spec = FIXTURES / "modernbert.yaml"
    ir = load_arch(spec)
    config = dict(ir.spec.reference.tiny) | {"classifier_pooling": "mean", "num_labels": 3}
    ref = build_reference(ir, ir.head("sequence_classification"), config, seed=6)
    model = archgen.load(save(ref), spec=spec)
    assert model.module.pooling == "mean"
    gen = torch.Generator().manual_seed(7)
    sequences = [torch.randint(3, 99, (n,), generator=gen).tolist() for n in (5, 13, 2, 9)]
    refuses_packing_and_runs_buckets(model, ref, sequences, "the head averages each row's tokens")


def test_eurobert_late_pooling_averages_the_classifiers_outputs(tmp_path: Path) -> None:
    """EuroBERT's default `classifier_pooling: late` runs its classifier on every token and
    averages the logits over the kept tokens (input `late_mean`): a left-padded batch gives the
    reference's logits, a mean taken before the classifier would not (gelu between), and
    `run_batch` cannot pack its rows and says why."""
    spec = FIXTURES / "eurobert.yaml"
    ir = load_arch(spec)
    config = dict(ir.spec.reference.tiny) | {
        "classifier_pooling": "late",
        "num_labels": 3,
        "hidden_act": "silu",
    }
    ref = build_reference(ir, ir.head("sequence_classification"), config, seed=6)
    model = archgen.load(save(ref), spec=spec)
    assert model.module.pooling == "late_mean"
    ids = torch.randint(3, 99, (2, 9), generator=torch.Generator().manual_seed(3))
    mask = torch.ones_like(ids)
    mask[1, :4] = 0
    with torch.no_grad():
        expected = ref(input_ids=ids, attention_mask=mask).logits
        early = build_reference(
            ir, ir.head("sequence_classification"), config | {"classifier_pooling": "mean"}, seed=6
        )
        early.load_state_dict(ref.state_dict())
        assert not torch.allclose(early(input_ids=ids, attention_mask=mask).logits, expected, atol=1e-4)
    torch.testing.assert_close(
        model(input_ids=ids, attention_mask=mask)["logits"], expected, atol=1e-5, rtol=0
    )
    gen = torch.Generator().manual_seed(7)
    sequences = [torch.randint(3, 99, (n,), generator=gen).tolist() for n in (5, 13, 2, 9)]
    refuses_packing_and_runs_buckets(model, ref, sequences, "the head averages each row's tokens")
    # a switch whose one case pools late, and the input named outright, build the same head
    text = (FIXTURES / "eurobert.yaml").read_text()
    switch = "    input: {switch: classifier_pooling, cases: {bos: first_token, mean: mean, late: late_mean}}"
    assert switch in text
    for i, line in enumerate(
        ["    input: {switch: classifier_pooling, cases: {late: late_mean}}", "    input: late_mean"]
    ):
        (tmp_path / f"late{i}.yaml").write_text(
            text.replace(switch, line).replace("name: eurobert", f"name: late{i}")
        )
        (tmp_path / "llama.yaml").write_text((FIXTURES / "llama.yaml").read_text())
        alone = archgen.load(save(ref), spec=tmp_path / f"late{i}.yaml")
        torch.testing.assert_close(
            alone(input_ids=ids, attention_mask=mask)["logits"], expected, atol=1e-5, rtol=0
        )


def test_a_head_reading_each_rows_first_kept_token_is_not_packed(tmp_path: Path) -> None:
    """A classifier whose input is `first_kept` finds each row's first token by its mask:
    `run_batch` refuses to pack its rows, says why, and its buckets give each sequence the
    logits of that sequence alone (a ModernBERT spec whose classifier reads so)."""
    text = (FIXTURES / "modernbert.yaml").read_text()
    pooled = "    input: {switch: classifier_pooling, cases: {cls: first_token, mean: mean}}"
    assert pooled in text
    spec = tmp_path / "modernbert.yaml"
    spec.write_text(text.replace(pooled, "    input: first_kept"))
    ir = load_arch(FIXTURES / "modernbert.yaml")
    config = dict(ir.spec.reference.tiny) | {"num_labels": 3}
    ref = build_reference(ir, ir.head("sequence_classification"), config, seed=8)
    model = archgen.load(save(ref), spec=spec)
    gen = torch.Generator().manual_seed(9)
    sequences = [torch.randint(3, 99, (n,), generator=gen).tolist() for n in (4, 11, 7)]
    refuses_packing_and_runs_buckets(
        model, ref, sequences, "the head finds each row's first token by its mask"
    )


def test_modernbert_reads_config_files_written_before_per_type_rope() -> None:
    """A ModernBERT config.json as released (no `layer_types`, no `rope_parameters`:
    `global_attn_every_n_layers`, `global_rope_theta` and `local_rope_theta` instead) gives
    the reference's outputs: every n-th layer from layer 0 attends fully and rotates by the
    global theta, the others see a window either side and rotate by the local one."""
    spec = FIXTURES / "modernbert.yaml"
    ir = load_arch(spec)
    config = dict(ir.spec.reference.tiny) | {"num_hidden_layers": 4, "global_attn_every_n_layers": 2}
    config["rope_parameters"] = {
        "full_attention": {"rope_type": "default", "rope_theta": 160000.0},
        "sliding_attention": {"rope_type": "default", "rope_theta": 100.0},
    }
    ref = build_reference(ir, ir.head("masked_lm"), config, seed=8)
    assert ref.config.layer_types == ["full_attention", "sliding_attention"] * 2
    checkpoint = save(ref)
    without(checkpoint, "layer_types")
    written = without(checkpoint, "rope_parameters")
    (checkpoint / "config.json").write_text(
        json.dumps(
            {k: v for k, v in written.items() if k not in ("layer_types", "rope_parameters")}
            | {"global_attn_every_n_layers": 2, "global_rope_theta": 160000.0, "local_rope_theta": 100.0}
        )
    )
    model = archgen.load(checkpoint, spec=spec)
    assert model.module.backbone.windowed == [False, True, False, True]
    assert model.module.backbone.rotary_types == ["full_attention", "sliding_attention"] * 2
    ids = torch.randint(3, config["vocab_size"], (2, 14), generator=torch.Generator().manual_seed(4))
    mask = torch.ones_like(ids)
    mask[1, 10:] = 0
    with torch.no_grad():
        expected = ref(input_ids=ids, attention_mask=mask).logits
    torch.testing.assert_close(model(ids, mask)["logits"], expected, atol=1e-5, rtol=0)


def test_a_switched_off_token_type_table_takes_type_zero_alone() -> None:
    """GTE without a token-type table (`type_vocab_size: 0`): no table is built or read, type ids of
    0 are accepted and change nothing, and any other type is refused before compute."""
    spec = FIXTURES / "gte.yaml"
    ir = load_arch(spec)
    config = dict(ir.spec.reference.tiny) | {"type_vocab_size": 0}
    ref = build_reference(ir, ir.head("encoder_model"), config)
    model = archgen.load(save(ref), spec=spec)
    assert model.module.backbone.embeddings.token_type is None
    ids = torch.randint(3, config.get("vocab_size", 99), (2, 5))
    with torch.no_grad():
        expected = ref(input_ids=ids).last_hidden_state
    zeros = model(input_ids=ids, token_type_ids=torch.zeros_like(ids))["last_hidden_state"]
    torch.testing.assert_close(zeros, expected, atol=1e-5, rtol=0)
    with pytest.raises(InputError, match=r"token_type_ids must lie in \[0, 1\)"):
        model(input_ids=ids, token_type_ids=torch.ones_like(ids))


def test_ntk_alpha_on_a_head_two_wide_is_refused_by_name() -> None:
    """HunYuan's `dynamic` RoPE (the law `ntk_alpha`) stretches theta by alpha ** (dim / (dim - 2)):
    a head of 2 features divides by zero, in its reference too (a hypothesis example found it);
    archgen names the problem when the model is built."""
    spec = FIXTURES / "hunyuan_v1_dense.yaml"
    ir = load_arch(spec)
    config = dict(ir.spec.reference.tiny) | {"hidden_size": 8, "num_attention_heads": 4, "head_dim": 2}
    checkpoint = save(build_reference(ir, ir.head("causal_lm"), config))
    written = json.loads((checkpoint / "config.json").read_text())
    written["rope_parameters"] = {
        "rope_type": "dynamic",
        "rope_theta": 10000.0,
        "alpha": 1000.0,
        "factor": 1.0,
    }
    (checkpoint / "config.json").write_text(json.dumps(written))
    with pytest.raises(ValueError, match=r"ntk_alpha .* needs more than 2 rotated features per head"):
        archgen.load(checkpoint, spec=spec)


def test_a_config_without_per_layer_thetas_rotates_every_layer_at_rope_theta() -> None:
    """GraniteSWA's config writes `layer_rope_theta` whole; a config.json without it (as its
    reference reads one: every layer at `rope_theta`) loads and matches."""
    spec = FIXTURES / "granite_swa.yaml"
    ir = load_arch(spec)
    config = dict(ir.spec.reference.tiny) | {"layer_rope_theta": None}
    ref = build_reference(ir, ir.head("causal_lm"), config)
    checkpoint = save(ref)
    written = json.loads((checkpoint / "config.json").read_text())
    assert set(written.pop("layer_rope_theta")) == {written["rope_parameters"]["rope_theta"]}
    (checkpoint / "config.json").write_text(json.dumps(written))
    model = archgen.load(checkpoint, spec=spec)
    ids = torch.randint(3, 90, (2, 12))
    with torch.no_grad():
        expected = ref(input_ids=ids).logits
    torch.testing.assert_close(model(input_ids=ids)["logits"], expected, atol=1e-5, rtol=0)


@pytest.mark.parametrize("interleave", [True, False])
def test_latent_attention_scales_scores_by_yarn_mscale_squared(interleave: bool) -> None:
    """DeepSeek-V3 under YaRN with `mscale_all_dim`: its reference scales the scores by
    `(0.1 * mscale_all_dim * log(factor) + 1) ** 2` beside the rotary's own factor; archgen's
    spec says so in a size expression. Both rotary pairings match, and the scale matters (the
    model without it is off)."""
    spec = FIXTURES / "deepseek_v3.yaml"
    ir = load_arch(spec)
    yarn = {
        "rope_type": "yarn",
        "rope_theta": 10000.0,
        "factor": 8.0,
        "original_max_position_embeddings": 8,
        "mscale": 1.0,
        "mscale_all_dim": 1.0,
    }
    config = dict(ir.spec.reference.tiny) | {"rope_parameters": yarn, "rope_interleave": interleave}
    ref = build_reference(ir, ir.head("causal_lm"), config, seed=3)
    checkpoint = save(ref)
    model = archgen.load(checkpoint, spec=spec)
    assert model.sizes["mscale"] == pytest.approx(0.1 * math.log(8.0) + 1)
    ids = torch.randint(3, config["vocab_size"], (2, 12), generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        expected = ref(input_ids=ids).logits
    torch.testing.assert_close(model(ids)["logits"], expected, atol=1e-5, rtol=0)
    model.module.backbone.layers[0].attn.scale = model.sizes["head_dim"] ** -0.5  # the scale without mscale
    assert not torch.allclose(model(ids)["logits"], expected, atol=1e-4)


@pytest.mark.parametrize("name", ["glm4_moe", "deepseek_v3", "glm4_moe_lite"])
def test_groups_of_one_expert_are_refused_where_groups_score_their_best_two(name: str) -> None:
    """GLM-4.5's routing (DeepSeek-V3's) scores each group by its two best experts: a config that
    splits the experts into groups of one is refused by name before any compute, in every spec
    that extends it. (DeepSeek-V2 scores a group by its best expert, and runs groups of one.)"""
    spec = FIXTURES / f"{name}.yaml"
    ir = load_arch(spec)
    config = dict(ir.spec.reference.tiny) | {"n_group": 4, "topk_group": 2}  # four experts, one a group
    checkpoint = save(build_reference(ir, ir.head("causal_lm"), config))
    with pytest.raises(
        ValueError, match="n_routed_experts must split into n_group groups of at least 2 experts"
    ):
        archgen.load(checkpoint, spec=spec)


@pytest.mark.parametrize("groups", [2, 6])
def test_deepseek_v2_scores_each_group_by_its_best_expert(groups: int) -> None:
    """DeepSeek-V2's `group_limited_greedy`: six experts in `groups` groups (of three, or of one),
    a token choosing its two experts from its best group, each group scored by its best expert
    (`group_score: best`; the sum of the two best chooses other groups for some of these tokens,
    and cannot score a group of one)."""
    spec = FIXTURES / "deepseek_v2.yaml"
    ir = load_arch(spec)
    config = dict(ir.spec.reference.tiny) | {
        "n_routed_experts": 6,
        "n_group": groups,
        "topk_group": 2 if groups == 6 else 1,
        "num_experts_per_tok": 2,
        "first_k_dense_replace": 0,
    }
    ref = build_reference(ir, ir.head("causal_lm"), config, seed=5)
    model = archgen.load(save(ref), spec=spec)
    ids = torch.randint(3, config["vocab_size"], (4, 16), generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        expected = ref(input_ids=ids).logits
    torch.testing.assert_close(model(ids)["logits"], expected, atol=1e-5, rtol=0)


def test_latent_attention_scales_whole_queries_by_position() -> None:
    """Mistral Small 4 scales each query, its unrotated and rotated parts alike, by
    `1 + beta * log(1 + floor(p / original_max_position_embeddings))` (`position.query_scale`
    under latent attention): 12 tokens over a period of 4 match the reference, and the same
    checkpoint read with beta 0 does not (the scale matters at this size)."""
    spec = FIXTURES / "mistral4.yaml"
    ir = load_arch(spec)
    config = dict(ir.spec.reference.tiny)
    config["rope_parameters"] = config["rope_parameters"] | {
        "llama_4_scaling_beta": 2.0,
        "original_max_position_embeddings": 4,
    }
    ref = build_reference(ir, ir.head("causal_lm"), config, seed=3)
    checkpoint = save(ref)
    ids = torch.randint(3, config["vocab_size"], (2, 12), generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        expected = ref(input_ids=ids).logits
    torch.testing.assert_close(
        archgen.load(checkpoint, spec=spec)(ids)["logits"], expected, atol=1e-5, rtol=0
    )
    written = json.loads((checkpoint / "config.json").read_text())
    written["rope_parameters"]["llama_4_scaling_beta"] = 0.0
    (checkpoint / "config.json").write_text(json.dumps(written))
    unscaled = archgen.load(checkpoint, spec=spec)(ids)["logits"]
    assert not torch.allclose(unscaled, expected, atol=1e-4)


def test_a_dense_layers_copy_of_the_expert_output_norm_is_accepted_and_dropped() -> None:
    """A.X-K1's released checkpoints store `post_mlp_layernorm` in dense layers too, which its
    reference drops: such a checkpoint loads (the spec ignores every layer's copy, while the layers
    with experts read theirs), computes as the reference, and exports without it."""
    spec = FIXTURES / "axk1.yaml"
    ir = load_arch(spec)
    config = dict(ir.spec.reference.tiny)  # layer 0 dense, layers 1 and 2 with experts
    ref = build_reference(ir, ir.head("causal_lm"), config)
    checkpoint = save(ref)
    tensors = load_file(checkpoint / "model.safetensors")
    extra = "model.layers.0.post_mlp_layernorm.weight"
    assert extra not in tensors and "model.layers.1.post_mlp_layernorm.weight" in tensors
    save_file(tensors | {extra: torch.ones(config["hidden_size"])}, checkpoint / "model.safetensors")
    model = archgen.load(checkpoint, spec=spec)
    ids = torch.randint(3, config["vocab_size"], (2, 9), generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        expected = ref(input_ids=ids).logits
    torch.testing.assert_close(model(ids)["logits"], expected, atol=1e-5, rtol=0)
    with tempfile.TemporaryDirectory() as out:
        model.save_pretrained(out)
        assert extra not in load_file(Path(out) / "model.safetensors")


def test_esm_scales_each_sequence_by_its_share_of_mask_tokens() -> None:
    """Token dropout at inference: rows with different shares of mask tokens, and padding (whose
    embeddings enter the layers as zeros, whatever its ids), equal the reference at every position; packed rows, whose
    sequences share a row, equal each sequence alone (the share is each sequence's own)."""
    ir = load_arch(FIXTURES / "esm.yaml")
    config = {"vocab_size": 33, "mask_token_id": 32, "token_dropout": True, "pad_token_id": 1}
    ref = build_reference(ir, ir.head("masked_lm"), config)
    model = archgen.load(save(ref), spec=FIXTURES / "esm.yaml")
    ids = torch.randint(4, 30, (3, 10), generator=torch.Generator().manual_seed(0))
    mask = torch.ones_like(ids)
    ids[0, [2, 5]] = 32  # 2 of 10 masked
    ids[1, 1], ids[1, 7:], mask[1, 7:] = 32, 1, 0  # 1 of 7 kept tokens masked, then padding
    mask[2, 8:] = 0  # padding slots that hold tokens: their embeddings enter the layers as zeros
    with torch.no_grad():
        expected = ref(input_ids=ids, attention_mask=mask).logits
    torch.testing.assert_close(model(ids, mask)["logits"], expected, atol=1e-5, rtol=0)
    sequences = [ids[0].tolist(), ids[1, :7].tolist(), ids[2, :4].tolist()]
    packed = model.run_batch(sequences, pack=True, batch_tokens=64)
    for sequence, out in zip(sequences, packed):
        alone = model(torch.tensor([sequence]), torch.ones(1, len(sequence), dtype=torch.long))["logits"][0]
        torch.testing.assert_close(out["logits"], alone, atol=1e-5, rtol=0)
    only_masks = torch.tensor([[32, 32, 1], [5, 32, 1]])
    with pytest.raises(InputError, match=r"rows \[0\] hold only the mask token \(32\)"):
        model(only_masks, torch.tensor([[1, 1, 0], [1, 1, 0]]))
    config["token_dropout"] = False  # off: mask tokens embed as any other
    ref = build_reference(ir, ir.head("masked_lm"), config)
    with torch.no_grad():
        expected = ref(input_ids=ids, attention_mask=mask).logits
    model = archgen.load(save(ref), spec=FIXTURES / "esm.yaml")
    torch.testing.assert_close(model(ids, mask)["logits"], expected, atol=1e-5, rtol=0)
    model(only_masks, torch.tensor([[1, 1, 0], [1, 1, 0]]))  # no scaling: nothing to refuse


def test_esm_reads_layer_norm_weights_in_either_spelling_and_writes_them_as_read(tmp_path: Path) -> None:
    """`transformers` 5 writes ESM's `LayerNorm` weights as `gamma`/`beta`; older checkpoints as
    `weight`/`bias`. Both load to the same model, each exports in its own spelling, and a checkpoint
    with both spellings of one tensor is refused, naming both."""
    ir = load_arch(FIXTURES / "esm.yaml")
    source = save(build_reference(ir, ir.head("masked_lm"), {}))
    tensors = load_file(source / "model.safetensors")
    assert any(k.endswith("LayerNorm.gamma") for k in tensors)
    renamed = {
        k.replace("LayerNorm.gamma", "LayerNorm.weight").replace("LayerNorm.beta", "LayerNorm.bias"): v
        for k, v in tensors.items()
    }
    older = tmp_path / "older"
    older.mkdir()
    (older / "config.json").write_text((source / "config.json").read_text())
    save_file(renamed, str(older / "model.safetensors"), metadata={"format": "pt"})
    ids = torch.tensor([[5, 6, 7, 8]])
    a = archgen.load(source, spec=FIXTURES / "esm.yaml")
    b = archgen.load(older, spec=FIXTURES / "esm.yaml")
    torch.testing.assert_close(a(ids)["logits"], b(ids)["logits"], atol=0, rtol=0)
    for model, original in ((a, tensors), (b, renamed)):
        out = tmp_path / f"out{len(list(tmp_path.iterdir()))}"
        model.save_pretrained(out)
        written = load_file(out / "model.safetensors")
        assert sorted(written) == sorted(original)
        assert all(torch.equal(written[k], original[k]) for k in original)
    both = dict(tensors)
    key = next(k for k in tensors if k.endswith("LayerNorm.gamma"))
    both[key.replace("gamma", "weight")] = tensors[key].clone()
    save_file(both, str(older / "model.safetensors"), metadata={"format": "pt"})
    with pytest.raises(CheckpointError, match=f"{key} and {key.replace('gamma', 'weight')}"):
        archgen.load(older, spec=FIXTURES / "esm.yaml")


def test_phimoe_longrope_scales_by_its_own_mscales(tmp_path: Path) -> None:
    """PhiMoE's LongRoPE as its reference computes it, at lengths on both sides of the pretraining
    length: the short factors always, cos and sin scaled by `short_mscale` or `long_mscale` by the
    call's length. Its config.json may write `rope_parameters` or the older `rope_scaling`."""
    ir = load_arch(FIXTURES / "phimoe.yaml")
    head_dim = 8
    params = LONGROPE | {"short_mscale": 1.3, "long_mscale": 0.7}  # pretrained at 8 positions
    overrides = {"hidden_size": 2 * head_dim, "num_attention_heads": 2, "num_key_value_heads": 1}
    reference = build_reference(ir, ir.head("causal_lm"), overrides | {"rope_parameters": params})
    source = save(reference)
    config = json.loads((source / "config.json").read_text())
    legacy = dict(config, rope_scaling=dict(params, type="longrope"))
    legacy.pop("rope_parameters")
    shutil.copy(source / "model.safetensors", tmp_path / "model.safetensors")
    (tmp_path / "config.json").write_text(json.dumps(legacy))
    for checkpoint in (source, tmp_path):
        model = archgen.load(checkpoint, spec=FIXTURES / "phimoe.yaml")
        for length in (4, 8, 9, 12):  # within, at and past the pretraining length
            ids = torch.randint(
                0, config["vocab_size"], (2, length), generator=torch.Generator().manual_seed(length)
            )
            with torch.no_grad():
                expected = reference(input_ids=ids).logits
            torch.testing.assert_close(model(ids)["logits"], expected, atol=1e-5, rtol=1e-5)


def test_a_decoder_only_lm_forces_the_tokens_its_reference_forces() -> None:
    """BART's decoder alone generates as its reference's `generate`, the forced tokens of its
    generation_config.json included: the last token (`forced_eos_token_id`) in every request, the
    first (`forced_bos_token_id`) only after a one-token prompt, as the reference forces it when the
    sequence so far is one token; one step gets the last's."""
    ir = load_arch(FIXTURES / "bart_causal.yaml")
    ref = build_reference(ir, ir.head("causal_lm"), dict(ir.spec.reference.tiny), seed=2)
    ref.generation_config.forced_bos_token_id = 7
    ref.generation_config.forced_eos_token_id = 3
    ref.generation_config.eos_token_id = None  # every requested token, none stopping a row
    model = archgen.load(save(ref), spec=FIXTURES / "bart_causal.yaml")
    for prompt in ([5], [5, 9, 11, 4]):
        ids = torch.tensor([prompt])
        for steps in (1, 6):
            with torch.no_grad():
                expected = ref.generate(input_ids=ids, max_new_tokens=steps, do_sample=False)
            got = model.generate(ids, max_new_tokens=steps)
            assert torch.equal(got, expected), (prompt, steps, got, expected)
            assert got[0, -1] == 3
            assert (got[0, len(prompt)] == 7) == (len(prompt) == 1 and steps > 1)


@pytest.mark.parametrize(("buckets", "max_relative"), [(-1, 8), (6, 8), (16, 24), (256, -1)])
def test_deberta_relative_rows_equal_the_references(buckets: int, max_relative: int) -> None:
    """Each (query, key) pair's row in DeBERTa-v2's position table, exact and log-bucketed, at lengths
    within and far past the distances the buckets reach (where rows saturate at the table's ends),
    equals the row the reference's attention gathers: `build_relative_position`, moved by the span
    and clamped."""
    from transformers.models.deberta_v2.modeling_deberta_v2 import build_relative_position

    ir = load_arch(FIXTURES / "deberta_v2.yaml")
    tiny = dict(ir.spec.reference.tiny) | {
        "position_buckets": buckets,
        "max_relative_positions": max_relative,
    }
    ref = build_reference(ir, ir.head("encoder_model"), tiny)
    model = archgen.load(save(ref), spec=FIXTURES / "deberta_v2.yaml")
    span = ref.encoder.layer[0].attention.self.pos_ebd_size
    limit = ref.encoder.max_relative_positions
    for length in (1, 7, 40, 600):
        states = torch.zeros(1, length, 1)
        relative = build_relative_position(states, states, bucket_size=buckets, max_position=limit)[0]
        expected = torch.clamp(relative + span, 0, 2 * span - 1)
        _, rows = model.module.backbone.rel(length, length)
        assert torch.equal(rows, expected), length


def test_deberta_masked_lm_loads_as_released_checkpoints_write_it(tmp_path: Path) -> None:
    """A masked LM in the newer layout (`legacy: false`, `lm_predictions.lm_head.*`, as released
    DeBERTa-v3 checkpoints hold it) with their replaced-token detection head and unused absolute
    position table beside it: it loads, predicts as its reference, and writes its keys back as
    read, without the two its reference drops."""
    ir = load_arch(FIXTURES / "deberta_v2.yaml")
    ref = build_reference(ir, ir.head("masked_lm"), dict(ir.spec.reference.tiny) | {"legacy": False})
    source = save(ref)
    tensors = load_file(source / "model.safetensors")
    assert any(key.startswith("lm_predictions.lm_head.") for key in tensors)
    extra = {
        "mask_predictions.dense.weight": torch.ones(2, 2),
        "deberta.embeddings.position_embeddings.weight": torch.ones(3, 2),
    }
    save_file(tensors | extra, str(tmp_path / "model.safetensors"), metadata={"format": "pt"})
    shutil.copy(source / "config.json", tmp_path / "config.json")
    model = archgen.load(tmp_path, spec=FIXTURES / "deberta_v2.yaml")
    ids = torch.tensor([[5, 6, 7, 8], [9, 10, 0, 0]])
    mask = (ids != 0).long()
    with torch.no_grad():
        expected = ref(input_ids=ids, attention_mask=mask).logits
    torch.testing.assert_close(model(ids, mask)["logits"], expected, atol=1e-5, rtol=0)
    model.save_pretrained(tmp_path / "out")
    written = load_file(tmp_path / "out" / "model.safetensors")
    assert sorted(written) == sorted(tensors)
    assert all(torch.equal(written[key], tensors[key]) for key in tensors)


def test_deberta_v2_convolution_beside_the_first_layer() -> None:
    """DeBERTa-v2-xlarge's convolution (grouped, GELU) on padded rows, left and right, equals the
    reference; `run_batch` runs such a model in length buckets (a convolution reads across packed
    sequences' bounds), each output equal to the reference on its sequence alone."""
    from archgen.runtime.batching import packing_blocker

    ir = load_arch(FIXTURES / "deberta_v2.yaml")
    tiny = dict(ir.spec.reference.tiny) | {"conv_kernel_size": 3, "conv_groups": 2, "conv_act": "gelu"}
    ref = build_reference(ir, ir.head("token_classification"), tiny | {"num_labels": 3}, seed=2)
    model = archgen.load(save(ref), spec=FIXTURES / "deberta_v2.yaml")
    assert model.module.backbone.first_conv is not None
    ids = torch.tensor([[5, 6, 7, 8, 9], [0, 0, 10, 11, 12], [13, 14, 15, 0, 0]])
    mask = (ids != 0).long()
    with torch.no_grad():
        expected = ref(input_ids=ids, attention_mask=mask).logits
    torch.testing.assert_close(model(ids, mask)["logits"], expected, atol=1e-5, rtol=0)
    assert "convolution" in packing_blocker(model)
    sequences = [[5, 6, 7], [8, 9, 10, 11, 12, 13], [14, 15]]
    for sequence, out in zip(sequences, model.run_batch(sequences)):
        with torch.no_grad():
            alone = ref(input_ids=torch.tensor([sequence])).logits[0]
        torch.testing.assert_close(out["logits"], alone, atol=1e-5, rtol=0)


def test_deberta_position_table_bounds_calls_only_where_switched_on() -> None:
    """DeBERTa-v2's absolute table (`position_biased_input`) bounds a call's length where config.json
    switches it on (one past it refused before compute); without it the relative terms reach any
    length, as its reference's."""
    ir = load_arch(FIXTURES / "deberta_v2.yaml")
    for on in (True, False):
        tiny = dict(ir.spec.reference.tiny) | {"position_biased_input": on, "max_position_embeddings": 8}
        ref = build_reference(ir, ir.head("encoder_model"), tiny)
        model = archgen.load(save(ref), spec=FIXTURES / "deberta_v2.yaml")
        assert (model.module.backbone.embeddings.position is not None) == on
        ids = torch.arange(5, 5 + (8 if on else 12))[None]
        with torch.no_grad():
            expected = ref(input_ids=ids).last_hidden_state
        torch.testing.assert_close(model(ids)["last_hidden_state"], expected, atol=1e-5, rtol=0)
        if on:
            with pytest.raises(InputError, match="exceeds the position table"):
                model(torch.arange(5, 14)[None])


def test_fnet_mixes_padding_in_and_computes_the_tpu_paths_transform_alike() -> None:
    """FNet's reference takes no mask: a padded row's real tokens differ from the sequence alone,
    and archgen's equal the reference's either way. With `use_tpu_fourier_optimizations` the
    reference multiplies by DFT matrices (rows of `tpu_short_seq_length` only); `fftn` agrees."""
    spec = FIXTURES / "fnet.yaml"
    ir = load_arch(spec)
    for tpu in (False, True):
        config = dict(ir.spec.reference.tiny) | SPECS["fnet"].fixed
        config |= {"use_tpu_fourier_optimizations": tpu, "tpu_short_seq_length": 7}
        ref = build_reference(ir, ir.head("base"), config, seed=1)
        checkpoint = save(ref)
        model = archgen.load(checkpoint, spec=spec)
        with tempfile.TemporaryDirectory() as out:  # the TPU path's matrices written back as read
            assert_exports_as_read(model, checkpoint, Path(out))
        ids = torch.randint(4, config["vocab_size"], (2, 7), generator=torch.Generator().manual_seed(2))
        ids[1, 4:] = 3
        mask = (ids != 3).long()
        with torch.no_grad():
            expected = ref(input_ids=ids, attention_mask=mask).last_hidden_state
        ours = model(input_ids=ids, attention_mask=mask)["last_hidden_state"]
        torch.testing.assert_close(ours, expected, atol=1e-5, rtol=0)
    alone = model(input_ids=ids[1:, :4])["last_hidden_state"]
    assert not torch.allclose(alone, ours[1:, :4], atol=1e-3)  # the padding mixed in


def test_differential_attention_refuses_an_odd_count_of_key_value_heads() -> None:
    spec = FIXTURES / "diffllama.yaml"
    ir = load_arch(spec)
    config = dict(ir.spec.reference.tiny) | {"num_key_value_heads": 2}
    checkpoint = save(build_reference(ir, ir.head("causal_lm"), config, seed=1))
    config_json = checkpoint / "config.json"
    config_json.write_text(
        config_json.read_text().replace('"num_key_value_heads": 2', '"num_key_value_heads": 1')
    )
    with pytest.raises(ValueError, match="count must be even"):
        archgen.load(checkpoint, spec=spec)


def test_big_bird_block_sparse_checkpoints_run_as_full_attention_up_to_its_bound() -> None:
    """BigBird's released `attention_type: block_sparse`: its reference runs full attention on rows
    of at most (5 + 2 * num_random_blocks) * block_size tokens (here 14), so archgen takes those,
    and refuses a longer call by name before any compute."""
    spec = FIXTURES / "big_bird.yaml"
    ir = load_arch(spec)
    config = dict(ir.spec.reference.tiny) | {"attention_type": "block_sparse", "block_size": 2}
    config |= {"num_random_blocks": 1, "max_position_embeddings": 32, "hidden_act": "gelu_new"}
    ref = build_reference(ir, ir.head("token_classification"), config, seed=1)
    model = archgen.load(save(ref), spec=spec)
    assert model.max_length == 14
    ids = torch.randint(3, config["vocab_size"], (2, 14), generator=torch.Generator().manual_seed(2))
    mask = torch.ones_like(ids)
    mask[1, 10:] = 0
    with torch.no_grad():
        expected = ref(input_ids=ids, attention_mask=mask).logits
    torch.testing.assert_close(
        model(input_ids=ids, attention_mask=mask)["logits"], expected, atol=1e-5, rtol=0
    )
    longer = torch.cat([ids, ids[:, :1]], dim=1)
    too_long = "sequence length 15 exceeds the longest call its attention computes"
    for positions in (None, torch.arange(15)[None].expand(2, -1)):  # position ids lift no such bound
        with pytest.raises(InputError, match=too_long):
            model(input_ids=longer, position_ids=positions)
    with pytest.raises(InputError, match=r"sequences \[0\] exceed the longest call"):
        model.run_batch([longer[0].tolist()])
    sequences = [row[:n].tolist() for row, n in zip(torch.cat([ids, ids]), (14, 13, 9, 14))]
    for sequence, out in zip(
        sequences, model.run_batch(sequences, row_tokens=64)
    ):  # packed: rows of 14 at most
        with torch.no_grad():
            alone = ref(input_ids=torch.tensor([sequence])).logits[0]
        torch.testing.assert_close(out["logits"], alone, atol=1e-5, rtol=0)


@pytest.mark.parametrize(
    ("name", "bound"),
    [
        ("deepseek_v32", "index_topk"),
        ("glm_moe_dsa", "index_topk"),
        ("axk2", "index_topk"),
        ("doge", "keep_window_size"),
    ],
)
def test_sparse_attention_checkpoints_run_as_dense_attention_up_to_their_top_k(name: str, bound: str) -> None:
    """DeepSeek Sparse Attention keeps each query's `index_topk` best keys (Doge's dynamic mask its
    `keep_window_size` best-biased ones): a call of at most that many tokens keeps every key, which
    archgen computes densely; one token more and the reference drops keys (its outputs then differ
    from its own with a larger bound), so archgen refuses that call, and generation that would
    reach it, by name."""
    spec = FIXTURES / f"{name}.yaml"
    ir = load_arch(spec)
    config = dict(ir.spec.reference.tiny) | {bound: 6}
    ref = build_reference(ir, ir.head("causal_lm"), config, seed=1)
    model = archgen.load(save(ref), spec=spec)
    ids = torch.randint(3, config["vocab_size"], (1, 7), generator=torch.Generator().manual_seed(2))
    with torch.no_grad():
        expected = ref(input_ids=ids[:, :6]).logits
        wider = build_reference(ir, ir.head("causal_lm"), config | {bound: 64}, seed=1)
        wider.load_state_dict(ref.state_dict())
        assert not torch.allclose(ref(input_ids=ids).logits, wider(input_ids=ids).logits, atol=1e-5)
    torch.testing.assert_close(model(input_ids=ids[:, :6])["logits"], expected, atol=1e-5, rtol=0)
    with pytest.raises(InputError, match="sequence length 7 exceeds the longest call its attention computes"):
        model(input_ids=ids)
    with pytest.raises(InputError, match="longest call"):
        model.generate(ids[:, :4], max_new_tokens=3, eos_token_id=-1)


@pytest.mark.parametrize("chunk", [1, 3, 5])
def test_state_space_chunks_carry_their_states_to_the_next_as_the_reference(chunk: int) -> None:
    """A call's state-space sums run in chunks (64 slots each, more than the other tests' calls):
    in chunks of a few slots, each chunk's final state carries into the next, and a sequence's
    first slot cuts it, in padded batches and in packed rows alike."""
    spec = FIXTURES / "mamba2.yaml"
    ir = load_arch(spec)
    ref = build_reference(ir, ir.head("causal_lm"), dict(ir.spec.reference.tiny), seed=2)
    model = archgen.load(save(ref), spec=spec)
    for layer in model.module.backbone.layers:
        layer.attn.chunk = chunk
    # left padding: the second row's sequence starts mid-chunk
    assert_padded_and_packed_as_the_reference(model, ref, 13, 4, (5, 9, 3, 7), 16)


def assert_padded_and_packed_as_the_reference(
    model: archgen.ArchgenModel,
    ref: torch.nn.Module,
    length: int,
    padding: int,
    lengths: tuple[int, ...],
    row_tokens: int,
) -> torch.Tensor:
    """Two rows of `length` tokens, the second's first `padding` slots padding, and sequences of
    `lengths` packed in rows of `row_tokens`: the logits at real tokens equal the reference's
    (each packed sequence's, the reference's on it alone). Returns the padded batch's ids."""
    gen = torch.Generator().manual_seed(3)
    ids = torch.randint(3, 99, (2, length), generator=gen)
    mask = torch.ones_like(ids)
    mask[1, :padding] = 0
    with torch.no_grad():
        expected = ref(input_ids=ids, attention_mask=mask).logits
    ours = model(ids, mask)["logits"]
    torch.testing.assert_close(ours[0], expected[0], atol=1e-5, rtol=0)
    torch.testing.assert_close(ours[1, padding:], expected[1, padding:], atol=1e-5, rtol=0)
    sequences = [torch.randint(3, 99, (n,), generator=gen).tolist() for n in lengths]
    for sequence, out in zip(sequences, model.run_batch(sequences, row_tokens=row_tokens)):
        with torch.no_grad():
            alone = ref(input_ids=torch.tensor([sequence])).logits[0]
        torch.testing.assert_close(out["logits"], alone, atol=1e-5, rtol=0)
    return ids


def test_lfm2_moe_divides_its_chosen_scores_by_their_sum_plus_an_epsilon() -> None:
    """LFM2-MoE's reference divides the chosen experts' sigmoid scores by their sum plus 1e-6
    (`ffn.experts.normalize_eps`). Where the router's logits are all far below zero (about -32 to
    -42) the scores sum to some 1e-14 and the epsilon decides the weights (about 1e-8, not 0.5):
    the experts layer's output equals the reference's layer's."""
    spec = FIXTURES / "lfm2_moe.yaml"
    ir = load_arch(spec)
    ref = build_reference(ir, ir.head("causal_lm"), dict(ir.spec.reference.tiny), seed=2)
    model = archgen.load(save(ref), spec=spec)
    layer = model.module.backbone.expert_layers.index(True)
    ours, theirs = model.module.backbone.layers[layer].ffn, ref.model.layers[layer].feed_forward
    with torch.no_grad():
        logits = -(1.0 + 0.1 * torch.arange(ours.router.weight.shape[0], dtype=torch.float32))
        for weight in (ours.router.weight, theirs.gate.weight):
            weight.copy_(logits[:, None].expand_as(weight))  # each row -c: every logit -c * sum(h)
        h = torch.ones(1, 3, ours.router.weight.shape[1])
        expected = theirs(h)
        assert expected.abs().max() < 1e-6  # the epsilon decides: without it the weights sum to 1
        torch.testing.assert_close(ours(h), expected, atol=1e-12, rtol=1e-4)


def mamba_reference() -> tuple[Path, torch.nn.Module]:
    """A tiny Mamba reference, saved: its checkpoint directory and the model."""
    ir = load_arch(FIXTURES / "mamba.yaml")
    config = dict(ir.spec.reference.tiny) | {"layer_norm_epsilon": 1e-2}
    ref = build_reference(ir, ir.head("causal_lm"), config, seed=2)
    return save(ref), ref


def assert_generates_as_the_reference(
    model: archgen.ArchgenModel, ref: torch.nn.Module, prompt: torch.Tensor
) -> None:
    """Greedy tokens and every step's scores equal the reference's `generate` (its recurrent decode)."""
    with torch.no_grad():
        reference = ref.generate(
            input_ids=prompt,
            max_new_tokens=6,
            do_sample=False,
            output_scores=True,
            return_dict_in_generate=True,
        )
    tokens, scores = model.generate(prompt, max_new_tokens=6, eos_token_id=-1, output_scores=True)
    assert torch.equal(tokens, reference.sequences)
    for step, expected in zip(scores, reference.scores, strict=True):
        torch.testing.assert_close(step, expected, atol=1e-5, rtol=0)


def test_the_selective_scan_runs_long_calls_and_steps_as_the_reference() -> None:
    """Mamba-1's scan takes log2(length) doubling steps: over 100 slots (7 steps), in a padded
    batch and in packed rows of long sequences, outputs equal the reference's sequential scan;
    generation's steps carry the state in the cache as the reference's recurrent decode."""
    spec = FIXTURES / "mamba.yaml"
    directory, ref = mamba_reference()
    model = archgen.load(directory, spec=spec)
    # left padding: the second row's state starts at slot 37
    ids = assert_padded_and_packed_as_the_reference(model, ref, 100, 37, (40, 70, 25, 50), 128)
    assert_generates_as_the_reference(model, ref, ids[:1, :9])


def assert_exported_as_the_reference(
    spec: Path, directory: Path, ref: torch.nn.Module, length: int, padding: int, traced: int | None = None
) -> None:
    """The module exported with every dimension dynamic (traced at `traced` tokens, else at
    `length`) runs two rows of `length` tokens, the second's first `padding` slots padding: its
    outputs equal the eager module's and, at real tokens, the reference's. (Exporting alone, not
    compiling: seconds. torch's guard function fails on a call of a length other than the traced
    one, llama's too; the program's own check of its inputs' shapes, which refuses a length export
    fixed, still runs.)"""
    module = archgen.load(directory, spec=spec).module
    ids = torch.randint(3, 99, (2, length), generator=torch.Generator().manual_seed(3))
    mask = torch.ones_like(ids)
    mask[1, :padding] = 0
    inputs = {"input_ids": ids, "attention_mask": mask}
    example = {name: value[:, : traced or length] for name, value in inputs.items()}
    dims = {name: {0: torch.export.Dim.AUTO, 1: torch.export.Dim.AUTO} for name in inputs}
    program = torch.export.export(module, (), example, dynamic_shapes=dims)
    with torch.no_grad():
        ours = program.module(check_guards=False)(**inputs)["logits"]
        expected = ref(**inputs).logits
        torch.testing.assert_close(ours, module(**inputs)["logits"], atol=1e-5, rtol=0)
    torch.testing.assert_close(ours[0], expected[0], atol=1e-5, rtol=0)
    torch.testing.assert_close(ours[1, padding:], expected[1, padding:], atol=1e-5, rtol=0)


def test_the_selective_scan_exported_with_a_symbolic_length_doubles_as_its_loop() -> None:
    """Exported with every dimension dynamic, the scan cannot loop over the slots: it takes its 20
    doubling steps, and over 100 slots (a left-padded row among them) the exported program's
    outputs equal the reference's and the eager loop's."""
    directory, ref = mamba_reference()
    assert_exported_as_the_reference(FIXTURES / "mamba.yaml", directory, ref, 100, 37)


# Cold, its prefill and decode step compile in some 165 s (inductor's code generation for the
# scan's symbolic shapes): in `make test-slow`.
@pytest.mark.slow
def test_the_selective_scan_compiles_its_prefill_and_steps() -> None:
    """Compiled, the prefill scans in its fixed 20 doubling steps (the length is symbolic) and each
    decode step reads and writes the state in the cache: every step's scores equal the
    reference's."""
    directory, ref = mamba_reference()
    compiled = archgen.load(directory, spec=FIXTURES / "mamba.yaml", compile=True)
    prompt = torch.randint(3, 99, (1, 9), generator=torch.Generator().manual_seed(3))
    assert_generates_as_the_reference(compiled, ref, prompt)


def qwen3_next_reference() -> tuple[Path, torch.nn.Module]:
    """A tiny Qwen3-Next reference (two linear-attention layers around an attending one), saved.
    Its decay rates are small (`A` 0.01 to 0.05: the state keeps a tenth to two thirds of itself
    over 36 slots), so a state read where it should not be (a packed sequence reading the one
    before it) shows."""
    ir = load_arch(FIXTURES / "qwen3_next.yaml")
    config = dict(ir.spec.reference.tiny) | {"hidden_act": "silu", "vocab_size": 99}
    ref = build_reference(ir, ir.head("causal_lm"), config, seed=2)
    with torch.no_grad():
        for layer in ref.model.layers:
            if hasattr(layer, "linear_attn"):
                rates = torch.linspace(0.01, 0.05, layer.linear_attn.A_log.numel())
                layer.linear_attn.A_log.copy_(rates.log())
    return save(ref), ref


def bailing_hybrid_reference() -> tuple[Path, torch.nn.Module]:
    """A tiny Bailing Hybrid reference (Kimi Delta Attention around a latent-attention layer),
    saved. Its decays per key feature are bounded to (-0.05, 0) (`kda_lower_bound`), so a state
    read where it should not be shows, as Qwen3-Next's."""
    ir = load_arch(FIXTURES / "bailing_hybrid.yaml")
    config = dict(ir.spec.reference.tiny) | {
        "vocab_size": 99,
        "kda_lower_bound": -0.05,
        "max_position_embeddings": 256,
    }
    config["layer_types"] = ["linear_attention", "full_attention", "linear_attention"]
    return save(ref := build_reference(ir, ir.head("causal_lm"), config, seed=2)), ref


GATED_DELTA = {"qwen3_next": qwen3_next_reference, "bailing_hybrid": bailing_hybrid_reference}


@pytest.mark.parametrize("name", sorted(GATED_DELTA))
def test_the_gated_delta_rule_runs_long_calls_and_steps_as_the_reference(name: str) -> None:
    """Over 150 slots the rule runs in three chunks of 64, each from the state the one before
    leaves: in a padded batch and in packed rows of long sequences (sequences starting mid-chunk)
    outputs equal the reference's chunked form; generation's steps carry the state in the cache as
    the reference's recurrent decode. Qwen3-Next's decays per head, Bailing's per key feature."""
    directory, ref = GATED_DELTA[name]()
    model = archgen.load(directory, spec=FIXTURES / f"{name}.yaml")
    # left padding: the second row's state starts at slot 70, in the second chunk
    ids = assert_padded_and_packed_as_the_reference(model, ref, 150, 70, (40, 100, 25, 80), 128)
    assert_generates_as_the_reference(model, ref, ids[:1, :9])


@pytest.mark.parametrize("name", sorted(GATED_DELTA))
def test_the_gated_delta_rule_exported_with_a_symbolic_length_runs_as_one_chunk(name: str) -> None:
    """Exported with every dimension dynamic, the rule takes a call as one chunk (its triangular
    solve as long as the call): over 150 slots, a left-padded row among them, the exported
    program's outputs equal the reference's and the eager chunks'. It is traced at 2 tokens, as
    archgen traces generation's steps: no size of the trace may be 1 there, which export would
    fix (the program would then refuse other lengths)."""
    directory, ref = GATED_DELTA[name]()
    assert_exported_as_the_reference(FIXTURES / f"{name}.yaml", directory, ref, 150, 70, traced=2)


def test_olmo_hybrid_reads_its_convolution_split_either_way(tmp_path: Path) -> None:
    """OLMo-Hybrid's convolution weight is three keys: OLMo-core writes the queries', keys' and
    values' own widths, `transformers` 5 three near-equal chunks of their concatenation (the
    tiny reference's 16 + 16 + 24 channels saved as 19 + 19 + 18). Both load to the same model,
    as the reference reads both; parts whose rows do not add up are refused, by key."""
    spec = FIXTURES / "olmo_hybrid.yaml"
    ir = load_arch(spec)
    ref = build_reference(
        ir, ir.head("causal_lm"), dict(ir.spec.reference.tiny) | {"hidden_act": "silu"}, seed=1
    )
    directory = save(ref)
    ids = torch.randint(3, 99, (2, 9), generator=torch.Generator().manual_seed(1))
    expected = archgen.load(directory, spec=spec)(ids)["logits"]

    def rewrite(name: str, widths: list[int]) -> Path:
        target = tmp_path / name
        shutil.copytree(directory, target)
        tensors = load_file(target / "model.safetensors")
        for i in (0, 2):  # the linear-attention layers
            parts = [f"model.layers.{i}.linear_attn.{p}_conv1d.weight" for p in "qkv"]
            assert [tensors[k].shape[0] for k in parts] == [19, 19, 18]
            whole = torch.cat([tensors.pop(k) for k in parts])[: sum(widths)]
            tensors.update(zip(parts, (t.contiguous() for t in whole.split(widths))))
        save_file(tensors, target / "model.safetensors", metadata={"format": "pt"})
        return target

    own = rewrite("own", [16, 16, 24])
    torch.testing.assert_close(archgen.load(own, spec=spec)(ids)["logits"], expected, atol=0, rtol=0)
    with torch.no_grad():
        # (its default attention is sdpa, the saved model's eager: equal up to rounding)
        torch.testing.assert_close(
            type(ref).from_pretrained(own)(ids).logits, ref(ids).logits, atol=1e-6, rtol=0
        )
    with pytest.raises(CheckpointError, match=r"v_conv1d\.weight: rows 16 \+ 16 \+ 23, expected 56 together"):
        archgen.load(rewrite("short", [16, 16, 23]), spec=spec)


def test_clamp_limits_render_where_nothing_else_imports_math(tmp_path: Path) -> None:
    """A clamp per layer (`ffn.glu_limits`) starts each FFN at `math.inf`: a spec with no other use
    of `math` (no RoPE scaling) once rendered a module that named it without importing it. The
    renderer now refuses undefined names, so this renders and runs."""
    shutil.copy(FIXTURES / "llama.yaml", tmp_path / "llama.yaml")
    spec = tmp_path / "clamped.yaml"
    spec.write_text(
        "spec_version: 1\nname: clamped\nextends: llama\ntitle: Clamped\nmodel_types: [clamped]\n"
        "class_prefix: Clamped\nsizes:\n  limits: {config: swiglu_limits, kind: list}\n"
        "  rope_parameters: null\n  legacy_rope_scaling: null\n"
        "embeddings: {position: {scaling: null}}\nffn: {glu_limits: {routed: limits}}\n"
    )
    source = render_module(load_arch(spec))
    assert "import math" in source
    namespace: dict = {}
    exec(compile(source, "clamped.py", "exec"), namespace)  # the module defines what it names
    assert "math" in namespace


def test_kimi_linear_reads_its_attending_layers_as_released_config_files_list_them(tmp_path: Path) -> None:
    """Kimi Linear's released config.json files have no `layer_types`: `linear_attn_config` lists
    the attending layers counted from 1 (`full_attn_layers`) beside the linear ones (`kda_layers`).
    Its reference reads them so, and so does archgen (`attention_at` beside `types`, `counted_from:
    1`): the same layers attend and the logits equal those of the file `transformers` saved. With
    neither list (its reference would attend in every fourth layer but the first) it is refused."""
    spec = FIXTURES / "kimi_linear.yaml"
    ir = load_arch(spec)
    kinds = ["linear_attention", "full_attention", "linear_attention", "full_attention"]
    config = dict(ir.spec.reference.tiny) | {"vocab_size": 99, "num_hidden_layers": 4, "layer_types": kinds}
    config["mlp_layer_types"] = ["dense", "sparse", "sparse", "dense"]
    ref = build_reference(ir, ir.head("causal_lm"), config, seed=1)
    directory = save(ref)
    ids = torch.randint(3, 99, (2, 9), generator=torch.Generator().manual_seed(1))
    expected = archgen.load(directory, spec=spec)(ids)["logits"]

    released = tmp_path / "released"
    shutil.copytree(directory, released)
    written = json.loads((released / "config.json").read_text())
    del written["layer_types"]
    written["linear_attn_config"] = {"full_attn_layers": [2, 4], "kda_layers": [1, 3]}
    (released / "config.json").write_text(json.dumps(written))
    model = archgen.load(released, spec=spec)
    assert model.module.backbone.layer_kinds == ["state_space", "attention", "state_space", "attention"]
    torch.testing.assert_close(model(ids)["logits"], expected, atol=0, rtol=0)
    with torch.no_grad():
        reread = type(ref).from_pretrained(released)
        assert reread.config.layer_types == kinds
        torch.testing.assert_close(reread(ids).logits, ref(ids).logits, atol=1e-6, rtol=0)

    del written["linear_attn_config"]
    (released / "config.json").write_text(json.dumps(written))
    with pytest.raises(ValueError, match=r"layer_types or linear_attn_config\.full_attn_layers must say"):
        archgen.load(released, spec=spec)


def test_granite_hybrid_reads_its_layer_kinds_as_older_config_files_write_them(tmp_path: Path) -> None:
    """Granite 4.0-H's released config.json files name the list `layers_block_type` and its
    entries `mamba` and `attention` (`transformers` 5 writes `layer_types`, `linear_attention`,
    `full_attention`): either way the same layers mix by state-space."""
    spec = FIXTURES / "granitemoehybrid.yaml"
    ir = load_arch(spec)
    directory = save(build_reference(ir, ir.head("causal_lm"), dict(ir.spec.reference.tiny), seed=1))
    model = archgen.load(directory, spec=spec)
    assert model.module.backbone.layer_kinds == ["state_space", "attention", "state_space"]
    legacy = tmp_path / "legacy"
    shutil.copytree(directory, legacy)
    config = json.loads((legacy / "config.json").read_text())
    kinds = config.pop("layer_types")
    config["layers_block_type"] = [
        {"linear_attention": "mamba", "full_attention": "attention"}[k] for k in kinds
    ]
    (legacy / "config.json").write_text(json.dumps(config))
    old = archgen.load(legacy, spec=spec)
    assert old.module.backbone.layer_kinds == ["state_space", "attention", "state_space"]
    ids = torch.tensor([[3, 4, 5, 6, 7]])
    torch.testing.assert_close(old(ids)["logits"], model(ids)["logits"], atol=0, rtol=0)


def test_nemotron_h_reads_its_layer_kinds_from_released_patterns(tmp_path: Path) -> None:
    """Nemotron-H's released config.json files give the layers' kinds as one string, a character
    each (`hybrid_override_pattern`), beside `num_hidden_layers`: the same model loads from it, and
    a character no kind reads is refused by name, as is a kind this model does not build."""
    spec = FIXTURES / "nemotron_h.yaml"
    ir = load_arch(spec)
    directory = save(build_reference(ir, ir.head("causal_lm"), dict(ir.spec.reference.tiny), seed=1))
    model = archgen.load(directory, spec=spec)
    assert model.module.backbone.layer_kinds == ["state_space", "experts", "attention", "ffn"]

    def rewrite(name: str, **changes) -> Path:
        target = tmp_path / name
        shutil.copytree(directory, target)
        config = json.loads((target / "config.json").read_text())
        del config["layers_block_type"]
        (target / "config.json").write_text(json.dumps(config | changes))
        return target

    released = archgen.load(
        rewrite("released", hybrid_override_pattern="ME*-", num_hidden_layers=4), spec=spec
    )
    assert released.module.backbone.layer_kinds == model.module.backbone.layer_kinds
    ids = torch.tensor([[3, 4, 5, 6, 7]])
    torch.testing.assert_close(released(ids)["logits"], model(ids)["logits"], atol=0, rtol=0)
    with pytest.raises(ValueError, match="characters 'X' name no entry"):
        archgen.load(rewrite("unknown", hybrid_override_pattern="ME*X", num_hidden_layers=4), spec=spec)
    with pytest.raises(ValueError, match="has 4 entries for 3 layers"):
        archgen.load(rewrite("short", hybrid_override_pattern="ME*-", num_hidden_layers=3), spec=spec)


def test_a_grouped_convolutions_weight_with_entries_off_its_blocks_is_not_exported(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """SqueezeBERT's grouped 1x1 convolutions load block-diagonal; a weight changed off its blocks
    cannot be written back as a grouped convolution, and export says which key."""
    monkeypatch.setenv("ARCHGEN_PACKED_GEMM", "0")  # the module's own nn.Linear weights, to edit
    spec = FIXTURES / "squeezebert.yaml"
    ir = load_arch(spec)
    ref = build_reference(ir, ir.head("base"), dict(ir.spec.reference.tiny), seed=1)
    model = archgen.load(save(ref), spec=spec)
    down = model.module.backbone.layers[0].ffn.down.weight  # output_groups 2: (32, 48) in two blocks
    assert torch.count_nonzero(down[:16, 24:]) == 0
    with torch.no_grad():
        down[0, 47] = 1.0
    with pytest.raises(
        CheckpointError, match=r"encoder\.layers\.0\.output\.conv1d\.weight: the weight has entries off"
    ):
        model.save_pretrained(tmp_path)


def test_longformer_refuses_a_window_per_layer_it_cannot_build() -> None:
    """`same`: config.json's per-layer windows load where they are one window, and are refused,
    naming the key, where they differ."""
    spec = FIXTURES / "longformer.yaml"
    ir = load_arch(spec)
    checkpoint = save(build_reference(ir, ir.head("base"), dict(ir.spec.reference.tiny), seed=1))
    assert archgen.load(checkpoint, spec=spec).sizes["attention_window"] == 4
    config_json = checkpoint / "config.json"
    config = json.loads(config_json.read_text())
    config_json.write_text(json.dumps(config | {"attention_window": [4, 8]}))
    with pytest.raises(ValueError, match=r"'attention_window' is \[4, 8\]: this spec builds one value"):
        archgen.load(checkpoint, spec=spec)


def test_deberta_refuses_one_bucket(tmp_path: Path) -> None:
    """One position bucket, which its reference divides by half of (and fails), is refused by name."""
    ir = load_arch(FIXTURES / "deberta_v2.yaml")
    source = save(build_reference(ir, ir.head("encoder_model"), dict(ir.spec.reference.tiny)))
    shutil.copy(source / "model.safetensors", tmp_path / "model.safetensors")
    config = json.loads((source / "config.json").read_text()) | {"position_buckets": 1}
    (tmp_path / "config.json").write_text(json.dumps(config))
    with pytest.raises(ValueError, match="position_buckets must be 0 or below"):
        archgen.load(tmp_path, spec=FIXTURES / "deberta_v2.yaml")


def test_a_bias_layer_adds_its_row_to_an_encoder_heads_logits(tmp_path: Path) -> None:
    """A `bias` head layer (BART's `final_logits_bias`) on a head that is not an encoder-decoder's: a
    BERT masked LM whose checkpoint also holds a `(1, vocab)` row adds it to the reference's logits,
    and writes it back as read."""
    (tmp_path / "specs").mkdir()
    shutil.copy(FIXTURES / "bert.yaml", tmp_path / "specs")  # the spec below extends it
    spec = tmp_path / "specs" / "biased.yaml"
    spec.write_text(
        "spec_version: 1\nname: biased\nextends: bert\ntitle: Biased BERT\nmodel_types: [biased]\n"
        "class_prefix: Bert\nheads:\n  masked_lm:\n    layers:\n"
        "      - {op: linear, name: dense, out: hidden_size}\n"
        "      - {op: activation, fn: model}\n"
        "      - {op: norm, name: layer_norm}\n"
        "      - {op: lm_decoder, name: decoder}\n"
        "      - {op: bias, name: final_logits_bias}\n"
        "    keys: {final_logits_bias: final_logits_bias}\n"
    )
    ir = load_arch(FIXTURES / "bert.yaml")
    ref = build_reference(ir, ir.head("masked_lm"), {"hidden_act": "gelu"})
    source = save(ref)
    row = torch.randn(1, ref.config.vocab_size, generator=torch.Generator().manual_seed(0))
    tensors = load_file(source / "model.safetensors") | {"final_logits_bias": row}
    checkpoint = tmp_path / "checkpoint"
    checkpoint.mkdir()
    shutil.copy(source / "config.json", checkpoint / "config.json")
    save_file(tensors, str(checkpoint / "model.safetensors"), metadata={"format": "pt"})
    model = archgen.load(checkpoint, spec=spec)
    ids = torch.tensor([[5, 6, 7, 8]])
    with torch.no_grad():
        expected = ref(input_ids=ids).logits + row
    torch.testing.assert_close(model(ids)["logits"], expected, atol=1e-5, rtol=0)
    assert_exports_as_read(model, checkpoint, tmp_path / "out")


def test_a_norm_keyed_apart_in_the_layers_with_experts_loads_and_exports_by_layer(tmp_path: Path) -> None:
    """`ffn.experts.keys` names a norm's key in the layers with experts alone (A.X-K2 gates its
    FFN norm there, stored under `.norm`). Ungated, the same parameter reads its key by the
    layer's kind: DeepSeek-V3's checkpoint with its expert layers' FFN norms renamed loads to the
    same logits, exports under the renamed keys, and the original names are refused by name."""
    fixtures = tmp_path / "specs"
    fixtures.mkdir()
    for name in ("llama", "glm4_moe", "deepseek_v3"):
        shutil.copy(FIXTURES / f"{name}.yaml", fixtures)
    spec = fixtures / "renamed.yaml"
    spec.write_text(
        "spec_version: 1\nname: renamed\nextends: deepseek_v3\ntitle: Renamed\nmodel_types: [deepseek_v3]\n"
        "ffn:\n  experts:\n    keys: {ffn_norm: post_moe_norm}\n"
    )
    ir = load_arch(FIXTURES / "deepseek_v3.yaml")
    config = dict(ir.spec.reference.tiny) | {
        "vocab_size": 99,
        "num_hidden_layers": 3,
        "first_k_dense_replace": 1,
    }
    ref = build_reference(ir, ir.head("causal_lm"), config, seed=1)
    directory = save(ref)
    ids = torch.randint(3, 99, (2, 7), generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        expected = ref(input_ids=ids).logits

    renamed = tmp_path / "renamed"
    shutil.copytree(directory, renamed)
    tensors = load_file(renamed / "model.safetensors")
    for i in (1, 2):  # the layers with experts
        old = f"model.layers.{i}.post_attention_layernorm.weight"
        tensors[f"model.layers.{i}.post_moe_norm.weight"] = tensors.pop(old)
    save_file(tensors, renamed / "model.safetensors", metadata={"format": "pt"})
    model = archgen.load(renamed, spec=spec)
    torch.testing.assert_close(model(ids)["logits"], expected, atol=1e-5, rtol=0)
    assert_exports_as_read(model, renamed, tmp_path / "exported")
    with pytest.raises(CheckpointError, match="post_moe_norm"):  # the file as transformers saved it
        archgen.load(directory, spec=spec)


@pytest.mark.parametrize("swin_norm", [False, True])
def test_chameleon_norms_each_sublayers_input_or_output_as_swin_norm_says(swin_norm: bool) -> None:
    """Chameleon-30B's `swin_norm` norms each sublayer's output (`x + norm(f(x))`) where the 7B
    layers norm its input: `block.sublayer_when` switches the same norms, and a padded batch gives
    the reference's hidden states either way (the two differ)."""
    spec = FIXTURES / "chameleon_text.yaml"
    ir = load_arch(spec)
    config = dict(ir.spec.reference.tiny) | {"swin_norm": swin_norm, "hidden_act": "silu"}
    ref = build_reference(ir, ir.head("encoder_model"), config, seed=5)
    model = archgen.load(save(ref), spec=spec)
    ids = torch.randint(3, 99, (2, 7), generator=torch.Generator().manual_seed(5))
    mask = torch.ones_like(ids)
    mask[0, :2] = 0
    with torch.no_grad():
        expected = ref(input_ids=ids, attention_mask=mask).last_hidden_state
        other = build_reference(ir, ir.head("encoder_model"), config | {"swin_norm": not swin_norm}, seed=5)
        other.load_state_dict(ref.state_dict())
        assert not torch.allclose(
            other(input_ids=ids, attention_mask=mask).last_hidden_state, expected, atol=1e-3
        )
    ours = model(input_ids=ids, attention_mask=mask)["last_hidden_state"]
    keep = mask.bool()
    torch.testing.assert_close(ours[keep], expected[keep], atol=1e-5, rtol=0)
