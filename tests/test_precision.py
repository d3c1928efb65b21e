"""Lower precision (bf16, dynamic int8): opt in only, clear errors, and error against fp32 within its bound."""

from __future__ import annotations

import json
from functools import cache

import pytest
import torch
from support import arch, save

import archgen
from archgen.runtime import precision
from archgen.runtime.precision import ERROR_BOUNDS, Int8Linear
from archgen.runtime.reference import build_reference, random_inputs, toy_tokenizer

CASES = [
    ("xlm_roberta", "base"),
    ("xlm_roberta", "masked_lm"),
    ("mobilebert", "masked_lm"),
    ("umt5", "conditional_generation"),
]
MODES = {"bf16": {"dtype": "bfloat16"}, "int8": {"quantize": "int8"}}
#: The documented bounds must stay within this factor of the worst error these tests measure,
#: so that they are bounds of this implementation and not of any implementation.
TIGHTNESS = 3.0


@cache
def checkpoint(name: str, head: str):
    ir = arch(name)
    return save(build_reference(ir, ir.head(head)))


def relative_error(name: str, head: str, **options) -> float:
    """max |y - y_fp32| / max |y_fp32| of the logits (or last hidden state) on fixed inputs."""
    directory = checkpoint(name, head)
    fp32 = archgen.load(directory)
    gen = torch.Generator().manual_seed(0)
    inputs = random_inputs(arch(name), fp32.head, fp32.sizes, batch=4, length=16, generator=gen)
    expected = fp32(**inputs)
    key = "logits" if "logits" in expected else "last_hidden_state"
    got = archgen.load(directory, **options)(**inputs)[key].float()
    return float((got - expected[key]).abs().max() / expected[key].abs().max())


@cache
def measured(name: str, head: str, mode: str) -> float:
    return relative_error(name, head, **MODES[mode])


def test_default_is_fp32_whatever_the_checkpoint_stores() -> None:
    ir = arch("xlm_roberta")
    directory = save(build_reference(ir, ir.head("masked_lm")).bfloat16())
    model = archgen.load(directory)
    assert {p.dtype for p in model.module.parameters()} == {torch.float32}
    assert not any(isinstance(m, Int8Linear) for m in model.module.modules())
    bf16 = archgen.load(directory, dtype=torch.bfloat16)
    assert {p.dtype for p in bf16.module.parameters()} == {torch.bfloat16}
    assert (
        archgen.load(directory, dtype="bfloat16").module.backbone.embeddings.word.weight.dtype
        == torch.bfloat16
    )


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"dtype": "float16"}, "dtype must be one of float32, bfloat16, float64, got 'float16'"),
        ({"dtype": torch.int8}, "dtype must be one of float32, bfloat16, float64, got torch.int8"),
        ({"quantize": "int4"}, "quantize must be None or one of int8, got 'int4'"),
        ({"quantize": "int8", "dtype": "bfloat16"}, "cannot be combined with dtype=torch.bfloat16"),
        ({"quantize": "int8", "compile": True}, "runs eager only; it cannot be combined with compile=True"),
    ],
)
def test_invalid_precision_is_a_clear_error(options: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        archgen.load(checkpoint("xlm_roberta", "base"), **options)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(("name", "head"), CASES)
def test_error_against_fp32_is_within_the_documented_bound(name: str, head: str, mode: str) -> None:
    assert measured(name, head, mode) <= ERROR_BOUNDS[mode]


@pytest.mark.parametrize("mode", MODES)
def test_bounds_are_tight(mode: str) -> None:
    worst = max(measured(name, head, mode) for name, head in CASES)
    assert ERROR_BOUNDS[mode] <= TIGHTNESS * worst, (
        f"{mode}: bound {ERROR_BOUNDS[mode]}, worst measured {worst}"
    )


def test_a_broken_quantization_exceeds_the_bound(monkeypatch) -> None:
    """Weights on 4-bit levels instead of int8's: the bound catches it."""
    monkeypatch.setattr(precision, "INT8_LEVELS", 7)
    assert relative_error("xlm_roberta", "masked_lm", quantize="int8") > ERROR_BOUNDS["int8"]


def test_int8_replaces_every_linear_and_is_not_saved(tmp_path) -> None:
    model = archgen.load(checkpoint("mobilebert", "masked_lm"), quantize="int8")
    assert not any(isinstance(m, torch.nn.Linear) for m in model.module.modules())
    layer = next(m for m in model.module.modules() if isinstance(m, Int8Linear))
    fp32 = archgen.load(checkpoint("mobilebert", "masked_lm"))
    weight = fp32.module.get_submodule(next(n for n, m in model.module.named_modules() if m is layer)).weight
    # Per output channel: each row within half a step of its own scale.
    step = weight.abs().amax(dim=1, keepdim=True) / precision.INT8_LEVELS
    assert bool(((layer.weight - weight).abs() <= step / 2 + 1e-7).all())
    with pytest.raises(ValueError, match="int8-quantized model cannot be saved"):
        model.save_pretrained(tmp_path)


def test_bf16_compiles_and_matches_eager() -> None:
    directory = checkpoint("xlm_roberta", "masked_lm")
    eager = archgen.load(directory, dtype="bfloat16")
    compiled = archgen.load(directory, dtype="bfloat16", compile=True)
    inputs = random_inputs(
        arch("xlm_roberta"),
        eager.head,
        eager.sizes,
        batch=2,
        length=9,
        generator=torch.Generator().manual_seed(1),
    )
    a, b = eager(**inputs).logits, compiled(**inputs).logits
    assert a.dtype == b.dtype == torch.bfloat16
    torch.testing.assert_close(b.float(), a.float(), atol=2e-2, rtol=0)


def test_pipeline_takes_the_precision_options() -> None:
    directory = checkpoint("xlm_roberta", "masked_lm")
    vocab = json.loads((directory / "config.json").read_text(encoding="utf-8"))["vocab_size"]
    toy_tokenizer(vocab).save(str(directory / "tokenizer.json"))
    pipe = archgen.pipeline("fill-mask", directory, quantize="int8")
    assert any(isinstance(m, Int8Linear) for m in pipe.model.module.modules())
    assert pipe(["the <mask> of paris"])


def test_cli_run_takes_dtype_and_quantize() -> None:
    from typer.testing import CliRunner

    from archgen.compiler.cli import app

    directory = checkpoint("xlm_roberta", "sequence_classification")
    vocab = json.loads((directory / "config.json").read_text(encoding="utf-8"))["vocab_size"]
    toy_tokenizer(vocab).save(str(directory / "tokenizer.json"))
    args = ["run", str(directory), "--task", "text-classification", "the city of paris"]
    for extra in (["--dtype", "bfloat16"], ["--quantize", "int8"]):
        result = CliRunner().invoke(app, args + extra)
        assert result.exit_code == 0, result.output
        assert json.loads(result.stdout)[0]["text"] == "the city of paris"
    result = CliRunner().invoke(app, args + ["--quantize", "int4"])
    assert result.exit_code == 2
    assert "quantize must be None or one of int8, got 'int4'" in result.stderr


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(("name", "head"), [("xlm_roberta", "causal_lm"), ("umt5", "conditional_generation")])
def test_generation_runs_in_each_mode(name: str, head: str, mode: str) -> None:
    """The KV caches take the model's dtype (bf16, or fp32 around int8 linears)."""
    model = archgen.load(checkpoint(name, head), **MODES[mode])
    ids = torch.randint(4, 90, (2, 6), generator=torch.Generator().manual_seed(0))
    tokens = model.generate(ids, max_new_tokens=5)
    assert tokens.shape[0] == 2 and tokens.dtype == torch.long
