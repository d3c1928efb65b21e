"""save_pretrained writes the reference layout; reloading gives bitwise-equal tensors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file
from support import HEADS, ROBERTA_FAMILY, arch, assert_round_trip, save

import archgen
from archgen.runtime.reference import build_reference

VARIANTS = {
    "default": {},
    "untied": {"tie_word_embeddings": False},
    "cross": {"add_cross_attention": True},
}


def _cases():
    for name in ROBERTA_FAMILY:
        for head in HEADS:
            yield name, head, "default"
        yield name, "masked_lm", "untied"
        yield name, "causal_lm", "cross"


@pytest.mark.parametrize(("name", "head", "variant"), list(_cases()))
def test_save_reload_bitwise(name: str, head: str, variant: str, tmp_path: Path) -> None:
    ir = arch(name)
    ref = build_reference(ir, ir.head(head), VARIANTS[variant])
    source = save(ref)
    assert_round_trip(source, tmp_path)
    assert json.loads((tmp_path / "config.json").read_text())["architectures"] == [ir.head(head).class_name]
    again = archgen.load(tmp_path)
    if variant != "untied" and head in ("masked_lm", "causal_lm"):
        assert again.module.decoder.weight is again.module.backbone.embeddings.word.weight
    if variant == "untied":
        assert again.module.decoder.weight is not again.module.backbone.embeddings.word.weight


@pytest.mark.parametrize("tie", [True, False], ids=["tied", "untied"])
def test_lm_decoder_uses_the_bias_the_reference_uses(tie: bool, tmp_path: Path) -> None:
    """Tied, the bias is `lm_head.bias`; untied, the reference uses `lm_head.decoder.bias`."""
    ir = arch("xlm_roberta")
    ref = build_reference(ir, ir.head("masked_lm"), {"tie_word_embeddings": tie})
    with torch.no_grad():
        ref.lm_head.bias.copy_(torch.linspace(-1, 1, ref.lm_head.bias.numel()))
        if not tie:
            ref.lm_head.decoder.bias.copy_(torch.linspace(2, 3, ref.lm_head.bias.numel()))
    source = save(ref)
    ids = torch.tensor([[0, 5, 6, 7, 2]])
    with torch.no_grad():
        expected = ref(input_ids=ids).logits
    model = archgen.load(source)
    torch.testing.assert_close(model(ids).logits, expected, atol=1e-5, rtol=0)
    model.save_pretrained(tmp_path)
    assert sorted(load_file(tmp_path / "model.safetensors")) == sorted(
        load_file(source / "model.safetensors")
    )
