"""An architecture outside specs/ needs only a spec: BERT, from tests/fixtures/bert.yaml.

BERT differs from the RoBERTa family in its position ids (sequential), pad id,
key prefix and head layouts (`cls.predictions.*`, a pooled sequence
classifier, `BertLMHeadModel`); the spec says exactly that and nothing else.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st
from support import HEADS, padded_batch, save

import archgen
from archgen.compiler import load_arch
from archgen.runtime.reference import build_reference

BERT = Path(__file__).parent / "fixtures" / "bert.yaml"


@pytest.mark.parametrize("head", HEADS)
@given(data=st.data())
def test_bert_from_a_user_spec_matches_reference(head: str, data) -> None:
    ir = load_arch(BERT)
    head_ir = ir.head(head)
    heads = data.draw(st.integers(1, 4))
    config = {
        "num_hidden_layers": data.draw(st.integers(1, 3)),
        "num_attention_heads": heads,
        "hidden_size": heads * data.draw(st.integers(4, 16)),
        "intermediate_size": data.draw(st.integers(4, 48)),
        "vocab_size": data.draw(st.integers(30, 300)),
        "max_position_embeddings": 32,
        "hidden_act": data.draw(st.sampled_from(["gelu", "relu"])),
        "num_labels": 2 if head == "question_answering" else 3,
    }
    ref = build_reference(ir, head_ir, config)
    if config["hidden_act"] != "gelu":  # the spec is built for gelu and says so
        with pytest.raises(ValueError, match="hidden_act='relu'"):
            archgen.load(save(ref), spec=BERT)
        return
    model = archgen.load(save(ref), spec=BERT)
    inputs = data.draw(padded_batch(config["vocab_size"], 0, 16, 2))
    if head == "multiple_choice":
        inputs = {k: v[:, None].repeat(1, 2, 1) for k, v in inputs.items()}
    with torch.no_grad():
        expected = ref(**inputs)
    ours = model(**inputs)
    for key in head_ir.spec.outputs:
        torch.testing.assert_close(ours[key], getattr(expected, key), atol=1e-5, rtol=0)
