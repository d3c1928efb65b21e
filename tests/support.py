"""Shared helpers for the tests: specs, reference checkpoints and input strategies."""

from __future__ import annotations

import atexit
import shutil
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


#: A tiny RoBERTa-family decoder config (decoding and streaming tests).
TINY_DECODER = {
    "vocab_size": 97,
    "hidden_size": 24,
    "num_attention_heads": 3,
    "num_hidden_layers": 2,
    "intermediate_size": 40,
    "max_position_embeddings": 48,
    "pad_token_id": 1,
}


#: One directory per test process for reference checkpoints, removed when the process exits.
_CHECKPOINTS = Path(tempfile.mkdtemp(prefix="archgen-ref-"))
atexit.register(shutil.rmtree, _CHECKPOINTS, ignore_errors=True)


#: Specs written as a user would, outside specs/ (loaded with ``spec=``).
FIXTURES = Path(__file__).parent / "fixtures"


def spec_path(name: str) -> Path:
    """A built-in spec, else the user spec of that name in tests/fixtures."""
    path = SPECS_DIR / f"{name}.yaml"
    return path if path.exists() else FIXTURES / f"{name}.yaml"


@cache
def arch(name: str) -> ArchIR:
    return load_arch(spec_path(name))


def save(model) -> Path:
    """Save a reference model into a fresh directory, kept until the test process exits."""
    directory = Path(tempfile.mkdtemp(dir=_CHECKPOINTS))
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


ATOL = 1e-5


def labels_for(head: HeadIR, config: dict, inputs: dict, gen: torch.Generator) -> dict:
    """Random labels for every loss a head computes (by its spec's loss kinds), with -100s."""
    ids, mask = inputs["input_ids"], inputs["attention_mask"]
    b = ids.shape[0]

    def classes_of(layers) -> int:
        out = layers[-1].out
        return config.get(out, 2) if isinstance(out, str) else out

    loss = head.spec.loss
    out: dict = {}
    if loss in ("masked_lm", "token_classification"):
        classes = config["vocab_size"] if loss == "masked_lm" else config["num_labels"]
        labels = torch.randint(0, classes, ids.shape, generator=gen)
        out["labels"] = torch.where(torch.rand(ids.shape, generator=gen) < 0.3, -100, labels)
    elif loss == "causal_lm":
        # Nothing precedes a row's first real token, so it is no target (with left
        # padding the reference would otherwise predict it from a padding position).
        first = (mask.cumsum(1) == 1) & (mask == 1)
        out["labels"] = torch.where((mask == 0) | first, -100, ids)
    elif loss == "token_binary":
        out["labels"] = torch.randint(0, 2, ids.shape, generator=gen)
    elif loss == "multiple_choice":
        out["labels"] = torch.randint(0, ids.shape[1], (b,), generator=gen)
    elif loss == "classification":
        out["labels"] = torch.randint(0, classes_of(head.layers), (b,), generator=gen)
    elif loss == "span":
        hi = ids.shape[1] + 3  # positions past the end are clamped and ignored
        out["start_positions"] = torch.randint(0, hi, (b,), generator=gen)
        out["end_positions"] = torch.randint(0, hi, (b,), generator=gen)
    elif loss == "sequence_classification":
        n = config["num_labels"]
        problem = config.get("problem_type") or ("regression" if n == 1 else "single_label_classification")
        if problem == "regression":
            out["labels"] = torch.randn((b, n) if n > 1 else (b,), generator=gen)
        elif problem == "single_label_classification":
            out["labels"] = torch.randint(0, n, (b,), generator=gen)
        else:
            out["labels"] = torch.randint(0, 2, (b, n), generator=gen).float()
    for branch in head.spec.branches:
        out[branch.labels] = torch.randint(0, classes_of(branch.layers), (b,), generator=gen)
    return out


def compare(ours, ref, what: str, real_tokens: torch.Tensor | None = None) -> None:
    """Every output field both sides have agrees within ATOL (NaN where the reference has NaN)."""

    def select(t: torch.Tensor) -> torch.Tensor:
        if real_tokens is None or t.shape[: real_tokens.dim()] != real_tokens.shape:
            return t
        return t[real_tokens.bool()]

    for key, value in ours.items():
        other = getattr(ref, key, None)
        if other is None:
            continue
        if isinstance(value, tuple):
            assert len(value) == len(other), f"{what}: {key} has {len(value)} entries, reference {len(other)}"
            for i, (a, b) in enumerate(zip(map(select, value), map(select, other))):
                torch.testing.assert_close(
                    a, b, atol=ATOL, rtol=0, equal_nan=True, msg=lambda m, k=key, i=i: f"{what} {k}[{i}]: {m}"
                )
        else:
            value, other = select(value), select(other)
            torch.testing.assert_close(
                value, other, atol=ATOL, rtol=0, equal_nan=True, msg=lambda m, k=key: f"{what} {k}: {m}"
            )


def assert_compiles(ir: ArchIR, head: HeadIR, overrides: dict | None = None, lengths=(5, 9, 14)) -> None:
    """0 graph breaks; compiled equals eager within 1e-5; no recompile across lengths and batch sizes."""
    import torch._dynamo

    import archgen
    from archgen.runtime.reference import random_inputs

    directory = save(build_reference(ir, head, overrides))
    eager, compiled = archgen.load(directory), archgen.load(directory, compile=True)
    gen = torch.Generator().manual_seed(0)
    torch._dynamo.reset()
    first = random_inputs(ir, head, eager.sizes, batch=2, length=lengths[0], generator=gen, right_pad=[0, 2])
    explain = torch._dynamo.explain(eager.module)(**first)
    assert explain.graph_break_count == 0, explain.break_reasons
    torch._dynamo.reset()
    for i, length in enumerate(lengths):
        batch = 2 + i  # new batch sizes too
        inputs = random_inputs(
            ir, head, eager.sizes, batch=batch, length=length, generator=gen, left_pad=[1] + [0] * (batch - 1)
        )
        with torch._dynamo.config.patch(error_on_recompile=i > 0):
            out = compiled(**inputs)
        for key, value in eager(**inputs).items():
            torch.testing.assert_close(out[key], value, atol=ATOL, rtol=0, msg=lambda m, k=key: f"{k}: {m}")


def assert_exports_as_read(model, source: Path, target: Path) -> None:
    """``model`` (loaded from ``source``) saved to ``target`` writes the checkpoint it read:
    the same keys, tensor for tensor (the weight table read backwards)."""
    from safetensors.torch import load_file

    model.save_pretrained(target)
    ours, theirs = load_file(target / "model.safetensors"), load_file(source / "model.safetensors")
    assert sorted(ours) == sorted(theirs)
    for key in theirs:
        assert torch.equal(ours[key], theirs[key]), key


def assert_round_trip(source: Path, target: Path) -> None:
    """Load ``source``, save to ``target``: the reference's keys and tensors exactly; reloading is bitwise."""
    import archgen

    model = archgen.load(source)
    assert_exports_as_read(model, source, target)
    again = archgen.load(target)
    a, b = model.state_dict(), again.state_dict()
    assert a.keys() == b.keys()
    for key in a:
        assert torch.equal(a[key], b[key]), key
