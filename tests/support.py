"""Shared helpers for the tests: specs, reference checkpoints and input strategies."""

from __future__ import annotations

import tempfile
from functools import cache
from pathlib import Path

import torch
from hypothesis import strategies as st

from archgen.compiler.lower import SPECS_DIR, ArchIR, HeadIR, load_arch
from archgen.runtime.reference import build_reference

ROBERTA_FAMILY = ["xlm_roberta", "camembert", "roberta_prelayernorm"]
HEADS = [
    "base",
    "masked_lm",
    "causal_lm",
    "sequence_classification",
    "token_classification",
    "question_answering",
    "multiple_choice",
]


@cache
def arch(name: str) -> ArchIR:
    return load_arch(SPECS_DIR / f"{name}.yaml")


def save(model) -> Path:
    """Save a reference model into a fresh temporary directory (kept for the session)."""
    directory = Path(tempfile.mkdtemp(prefix="archgen-ref-"))
    model.save_pretrained(directory)
    return directory


@st.composite
def roberta_configs(draw, head: HeadIR) -> dict:
    """Small RoBERTa-family configs drawn from the spec's knobs."""
    heads = draw(st.integers(1, 4))
    head_dim = draw(st.integers(4, 16))
    pad = draw(st.integers(0, 3))
    cfg = {
        "num_hidden_layers": draw(st.integers(1, 3)),
        "num_attention_heads": heads,
        "hidden_size": heads * head_dim,
        "intermediate_size": draw(st.integers(4, 64)),
        "vocab_size": draw(st.integers(30, 300)),
        "max_position_embeddings": draw(st.integers(24, 64)),
        "type_vocab_size": draw(st.integers(1, 3)),
        "layer_norm_eps": draw(st.sampled_from([1e-12, 1e-6, 1e-5])),
        "pad_token_id": pad,
        "bos_token_id": (pad + 1) % 4,
        "eos_token_id": (pad + 2) % 4,
        "num_labels": 2 if head.name == "question_answering" else draw(st.integers(1, 5)),
    }
    if head.name in ("masked_lm", "causal_lm"):
        cfg["tie_word_embeddings"] = draw(st.booleans())
    if head.name == "causal_lm":
        cfg["add_cross_attention"] = draw(st.booleans())
    if head.name == "sequence_classification":
        cfg["problem_type"] = draw(
            st.sampled_from([None, "regression", "single_label_classification", "multi_label_classification"])
        )
        if cfg["problem_type"] == "regression":
            cfg["num_labels"] = draw(st.integers(1, 3))
        elif cfg["problem_type"] is not None:  # the reference needs 2+ labels to classify
            cfg["num_labels"] = max(cfg["num_labels"], 2)
    return cfg


@st.composite
def padded_batch(draw, vocab: int, pad: int, max_len: int, type_vocab: int) -> dict:
    """Random ids with left or right padding per row; rows may be fully padded only if longer than 1."""
    batch = draw(st.integers(1, 4))
    length = draw(st.integers(1, max_len))
    gen = torch.Generator().manual_seed(draw(st.integers(0, 2**31 - 1)))
    ids = torch.randint(0, vocab, (batch, length), generator=gen)
    ids = torch.where(ids == pad, (ids + 1) % vocab, ids)
    mask = torch.ones_like(ids)
    for row in range(batch):
        n_pad = draw(st.integers(0, length - 1))  # at least one real token per row
        if n_pad and draw(st.booleans()):
            ids[row, :n_pad], mask[row, :n_pad] = pad, 0
        elif n_pad:
            ids[row, length - n_pad :], mask[row, length - n_pad :] = pad, 0
    types = torch.randint(0, type_vocab, (batch, length), generator=gen)
    return {"input_ids": ids, "attention_mask": mask, "token_type_ids": types}


def reference_pair(name: str, head_name: str, config: dict, attn: str = "eager"):
    ir = arch(name)
    head = ir.head(head_name)
    return ir, head, build_reference(ir, head, config, attn_implementation=attn)
