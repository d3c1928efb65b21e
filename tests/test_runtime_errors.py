"""Loading and running fail early and say why: bad checkpoints, configs and inputs.

Checkpoint problems raise :class:`CheckpointError` (every bad key named in one
error), config problems ``ValueError``/``FileNotFoundError``, and bad inputs
:class:`InputError` *before any compute*: the generated module's ``forward`` is
replaced by one that records the call, and each test asserts it never ran.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file, save_file
from support import arch, save
from typer.testing import CliRunner

import archgen
from archgen.compiler.cli import app
from archgen.runtime.model import InputError
from archgen.runtime.reference import build_reference
from archgen.runtime.weights import CheckpointError

_REFS: dict[str, tuple[object, Path]] = {}


def reference(head: str, **overrides) -> tuple[object, Path]:
    """A tiny XLM-RoBERTa reference with ``head`` and its saved directory (built once; never modified)."""
    key = json.dumps([head, overrides], sort_keys=True)
    if key not in _REFS:
        ir = arch("xlm_roberta")
        ref = build_reference(ir, ir.head(head), overrides)
        _REFS[key] = ref, save(ref)
    return _REFS[key]


@pytest.fixture
def ckpt(tmp_path) -> Path:
    """A fresh copy of the masked-LM checkpoint, for tests that damage it."""
    target = tmp_path / "ckpt"
    shutil.copytree(reference("masked_lm")[1], target)
    return target


def tensors(directory: Path) -> dict[str, torch.Tensor]:
    return load_file(directory / "model.safetensors")


def write(directory: Path, state: dict[str, torch.Tensor]) -> None:
    save_file({k: v.contiguous() for k, v in state.items()}, str(directory / "model.safetensors"))


def edit_config(directory: Path, **changes) -> None:
    path = directory / "config.json"
    config = json.loads(path.read_text())
    config.update(changes)
    path.write_text(json.dumps(config))


def logits(model, seed: int = 0) -> torch.Tensor:
    ids = torch.randint(3, 90, (2, 9), generator=torch.Generator().manual_seed(seed))
    return model(ids).logits


MISSING = "roberta.encoder.layer.1.output.dense.bias"
FUSED = "roberta.encoder.layer.0.attention.self.key.weight"  # one of the q/k/v fused into qkv
UNEXPECTED = "roberta.encoder.layer.7.output.dense.weight"


# --------------------------------------------------------------- checkpoints


def test_missing_key(ckpt):
    state = tensors(ckpt)
    del state[MISSING]
    write(ckpt, state)
    with pytest.raises(CheckpointError, match="missing keys") as info:
        archgen.load(ckpt)
    assert MISSING in str(info.value)


def test_missing_part_of_a_fused_key(ckpt):
    state = tensors(ckpt)
    del state[FUSED]
    write(ckpt, state)
    with pytest.raises(CheckpointError, match="missing keys") as info:
        archgen.load(ckpt)
    assert FUSED in str(info.value)


def test_missing_part_of_a_fused_key_does_not_call_its_siblings_unexpected(ckpt):
    state = tensors(ckpt)
    del state[FUSED]
    write(ckpt, state)
    with pytest.raises(CheckpointError) as info:
        archgen.load(ckpt)
    assert "unexpected" not in str(info.value)


def test_unexpected_key(ckpt):
    state = tensors(ckpt)
    state[UNEXPECTED] = torch.zeros(3, 3)
    write(ckpt, state)
    with pytest.raises(CheckpointError, match="unexpected keys") as info:
        archgen.load(ckpt)
    assert UNEXPECTED in str(info.value)


@pytest.mark.parametrize(
    "key, shape, want",
    [
        ("lm_head.dense.weight", (32, 31), "expected (32, 32), got (32, 31)"),
        (FUSED, (16, 32), "expected (32, 32), got (16, 32)"),
        ("roberta.embeddings.position_embeddings.weight", (65, 32), "expected (64, 32), got (65, 32)"),
    ],
)
def test_misshapen_key(ckpt, key, shape, want):
    state = tensors(ckpt)
    state[key] = torch.zeros(shape)
    write(ckpt, state)
    with pytest.raises(CheckpointError, match="misshapen keys") as info:
        archgen.load(ckpt)
    assert f"{key}: {want}" in str(info.value)


def test_every_problem_is_named_in_one_error(ckpt):
    state = tensors(ckpt)
    del state[MISSING]
    del state["lm_head.bias"]
    state[UNEXPECTED] = torch.zeros(2)
    state["extra.thing"] = torch.zeros(2)
    state["lm_head.dense.weight"] = torch.zeros(32, 31)
    write(ckpt, state)
    with pytest.raises(CheckpointError) as info:
        archgen.load(ckpt)
    message = str(info.value)
    for part in ("missing keys", "unexpected keys", "misshapen keys", MISSING, "lm_head.bias"):
        assert part in message
    for part in (UNEXPECTED, "extra.thing", "lm_head.dense.weight"):
        assert part in message


def _shard(directory: Path, state: dict[str, torch.Tensor]) -> dict[str, str]:
    """Split ``state`` over two shard files with an index; remove model.safetensors."""
    keys = sorted(state)
    weight_map = {k: "model-00001-of-00002.safetensors" for k in keys[::2]}
    weight_map |= {k: "model-00002-of-00002.safetensors" for k in keys[1::2]}
    for name in set(weight_map.values()):
        save_file({k: state[k] for k, f in weight_map.items() if f == name}, str(directory / name))
    (directory / "model.safetensors").unlink()
    write_index(directory, weight_map)
    return weight_map


def write_index(directory: Path, weight_map: dict[str, str]) -> None:
    index = {"metadata": {"total_size": 0}, "weight_map": weight_map}
    (directory / "model.safetensors.index.json").write_text(json.dumps(index))


def test_sharded_checkpoint_loads_like_the_single_file(ckpt):
    single = archgen.load(ckpt)
    _shard(ckpt, tensors(ckpt))
    assert not (ckpt / "model.safetensors").exists()
    sharded = archgen.load(ckpt)
    assert torch.equal(logits(sharded), logits(single))
    ref = reference("masked_lm")[0]
    ids = torch.randint(3, 90, (2, 9), generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        torch.testing.assert_close(logits(sharded), ref(input_ids=ids).logits, atol=1e-5, rtol=0)


def test_sharded_checkpoint_problems_are_named_too(ckpt):
    state = tensors(ckpt)
    del state[MISSING]
    state[UNEXPECTED] = torch.zeros(2)
    _shard(ckpt, state)
    with pytest.raises(CheckpointError) as info:
        archgen.load(ckpt)
    assert MISSING in str(info.value) and UNEXPECTED in str(info.value)


def test_index_naming_a_missing_shard(ckpt):
    weight_map = _shard(ckpt, tensors(ckpt))
    (ckpt / "model-00002-of-00002.safetensors").unlink()
    with pytest.raises(CheckpointError, match="shard index names files that do not exist") as info:
        archgen.load(ckpt)
    assert "model-00002-of-00002.safetensors" in str(info.value)
    assert "model-00001-of-00002.safetensors" not in str(info.value)
    assert len(weight_map) > 2


def test_index_that_disagrees_with_its_shards(ckpt):
    weight_map = _shard(ckpt, tensors(ckpt))
    moved = sorted(weight_map)[0]  # listed in the wrong shard
    weight_map[moved] = "model-00002-of-00002.safetensors"
    dropped = sorted(weight_map)[1]  # stored in a shard, absent from the index
    del weight_map[dropped]
    write_index(ckpt, weight_map)
    with pytest.raises(CheckpointError, match="shard index disagrees with its files") as info:
        archgen.load(ckpt)
    message = str(info.value)
    assert f"the index puts {moved} in model-00002-of-00002.safetensors" in message
    assert f"{dropped} in model-00002-of-00002.safetensors is not in the index" in message


@pytest.mark.parametrize("text", ["not json", "[1, 2]", '{"metadata": {}}', '{"weight_map": {"a": 3}}'])
def test_malformed_index(ckpt, text):
    _shard(ckpt, tensors(ckpt))
    (ckpt / "model.safetensors.index.json").write_text(text)
    with pytest.raises(CheckpointError, match="model.safetensors.index.json"):
        archgen.load(ckpt)


def test_corrupt_safetensors_file(ckpt):
    (ckpt / "model.safetensors").write_bytes(b"\x10\x00\x00\x00\x00\x00\x00\x00{not a header}")
    with pytest.raises(CheckpointError, match="not a readable safetensors file") as info:
        archgen.load(ckpt)
    assert "model.safetensors" in str(info.value)


def test_no_config_json(ckpt):
    (ckpt / "config.json").unlink()
    with pytest.raises(FileNotFoundError, match="no config.json"):
        archgen.load(ckpt)


def test_no_safetensors(ckpt):
    (ckpt / "model.safetensors").unlink()
    with pytest.raises(FileNotFoundError, match="no model.safetensors or model.safetensors.index.json"):
        archgen.load(ckpt)


def test_unknown_model_type(ckpt):
    edit_config(ckpt, model_type="gpt2")
    with pytest.raises(ValueError, match="no spec handles model_type 'gpt2'") as info:
        archgen.load(ckpt)
    assert "xlm-roberta" in str(info.value) and "camembert" in str(info.value)


def test_architectures_that_no_head_provides(ckpt):
    edit_config(ckpt, architectures=["XLMRobertaForPreTraining"])
    with pytest.raises(ValueError, match="XLMRobertaForPreTraining") as info:
        archgen.load(ckpt)
    assert "XLMRobertaForMaskedLM" in str(info.value)  # the heads that exist are listed
    assert archgen.load(ckpt, head="masked_lm").head.name == "masked_lm"  # and head= gets around it


def test_unknown_head_argument(ckpt):
    with pytest.raises(ValueError, match="no head 'seq2seq'"):
        archgen.load(ckpt, head="seq2seq")


def test_activation_the_spec_is_not_built_for(ckpt):
    edit_config(ckpt, hidden_act="relu")
    with pytest.raises(ValueError, match="hidden_act='relu'") as info:
        archgen.load(ckpt)
    assert "ffn.activation='gelu'" in str(info.value)


def test_config_missing_a_required_size(ckpt):
    path = ckpt / "config.json"
    config = json.loads(path.read_text())
    del config["hidden_size"]
    path.write_text(json.dumps(config))
    with pytest.raises(ValueError, match="hidden_size"):
        archgen.load(ckpt)


def test_older_checkpoint_with_ignored_keys_loads(ckpt):
    state = tensors(ckpt)
    state["roberta.embeddings.position_ids"] = torch.arange(64)[None]
    state["roberta.embeddings.token_type_ids"] = torch.zeros(1, 64, dtype=torch.long)
    state["lm_head.decoder.bias"] = state["lm_head.bias"].clone()
    state["lm_head.decoder.weight"] = state["roberta.embeddings.word_embeddings.weight"].clone()  # tied copy
    write(ckpt, state)
    model = archgen.load(ckpt)
    assert torch.equal(logits(model), logits(archgen.load(reference("masked_lm")[1])))
    assert model.module.decoder.weight is model.module.backbone.embeddings.word.weight


def test_cli_reports_checkpoint_errors_without_traceback(ckpt, tmp_path):
    state = tensors(ckpt)
    del state[MISSING]
    write(ckpt, state)
    result = CliRunner().invoke(app, ["run", str(ckpt), "--task", "fill-mask", "the <mask>"])
    assert result.exit_code == 2
    assert MISSING in result.output and "Traceback" not in result.output


# --------------------------------------------------------------- inputs


class NotCalled(RuntimeError):
    pass


def guarded(head: str = "masked_lm", monkeypatch=None, **overrides):
    """The loaded model with its generated module's forward replaced by one that must not run."""
    model = archgen.load(reference(head, **overrides)[1])
    calls = []

    def forward(*args, **kwargs):
        calls.append(kwargs)
        raise NotCalled("the generated module ran")

    monkeypatch.setattr(model.module, "forward", forward)
    return model, calls


@pytest.fixture
def mlm(monkeypatch):
    return guarded("masked_lm", monkeypatch)


IDS = torch.tensor([[0, 5, 17, 42, 2], [0, 9, 98, 2, 1]])


def test_the_guard_sees_valid_inputs(mlm):
    model, calls = mlm
    with pytest.raises(NotCalled):
        model(IDS, attention_mask=(IDS != 1).long(), token_type_ids=torch.zeros_like(IDS))
    assert len(calls) == 1


@pytest.mark.parametrize(
    "inputs, message",
    [
        (
            {"input_ids": torch.tensor([[0, 5, 99]])},
            r"input_ids must lie in \[0, 99\); got values in \[0, 99\]",
        ),
        ({"input_ids": torch.tensor([[0, 5, 1000]])}, r"must lie in \[0, 99\).*1000"),
        (
            {"input_ids": torch.tensor([[0, -3, 5]])},
            r"input_ids must lie in \[0, 99\); got values in \[-3, 5\]",
        ),
        ({"input_ids": IDS.float()}, "input_ids must be an int64 or int32 tensor, got torch.float32"),
        ({"input_ids": IDS.to(torch.int16)}, "input_ids must be an int64 or int32 tensor, got torch.int16"),
        ({"input_ids": [[0, 5, 2]]}, "input_ids must be an int64 or int32 tensor, got list"),
        ({"input_ids": IDS[0]}, r"input_ids must have shape \(batch, seq\), got \(5,\)"),
        ({"input_ids": IDS[None]}, r"input_ids must have shape \(batch, seq\), got \(1, 2, 5\)"),
        ({"input_ids": torch.zeros(2, 0, dtype=torch.long)}, "input_ids is empty"),
        (
            {"input_ids": IDS, "attention_mask": torch.ones(2, 4)},
            r"attention_mask has shape \(2, 4\), expected \(2, 5\)",
        ),
        ({"input_ids": IDS, "attention_mask": torch.ones(5, 2)}, r"attention_mask has shape \(5, 2\)"),
        ({"input_ids": IDS, "attention_mask": [[1] * 5] * 2}, "attention_mask must be a tensor, got list"),
        ({"input_ids": IDS, "attention_mask": torch.full((2, 5), 2)}, "attention_mask must hold only 0"),
        (
            {"input_ids": IDS, "token_type_ids": torch.full((2, 5), 2)},
            r"token_type_ids must lie in \[0, 2\); got values in \[2, 2\]",
        ),
        (
            {"input_ids": IDS, "token_type_ids": torch.full((2, 5), -1)},
            r"token_type_ids must lie in \[0, 2\)",
        ),
        (
            {"input_ids": IDS, "token_type_ids": torch.zeros(2, 4, dtype=torch.long)},
            r"token_type_ids has shape \(2, 4\)",
        ),
        (
            {"input_ids": IDS, "token_type_ids": torch.zeros(2, 5)},
            "token_type_ids must be an int64 or int32 tensor",
        ),
        (
            {"input_ids": IDS, "position_ids": torch.full((2, 5), 64)},
            r"position_ids must lie in \[0, 64\); got values in \[64, 64\]",
        ),
        ({"input_ids": IDS, "position_ids": torch.full((2, 5), -1)}, r"position_ids must lie in \[0, 64\)"),
        (
            {"input_ids": IDS, "position_ids": torch.full((2, 5), 3.0)},
            "position_ids must be an int64 or int32 tensor",
        ),
        ({"input_ids": IDS, "labels": torch.full((2, 5), 99)}, r"labels must lie in \[0, 99\) or be -100"),
        ({"input_ids": IDS, "labels": torch.full((2, 5), -5)}, r"labels must lie in \[0, 99\) or be -100"),
        (
            {"input_ids": IDS, "labels": torch.zeros(2, 4, dtype=torch.long)},
            r"labels has shape \(2, 4\), expected \(2, 5\)",
        ),
        (
            {"input_ids": IDS, "labels": torch.zeros(2, 5, dtype=torch.int32)},
            "labels must be an int64 tensor",
        ),
    ],
)
def test_bad_inputs_fail_before_compute(mlm, inputs, message):
    model, calls = mlm
    with pytest.raises(InputError, match=message):
        model(**inputs)
    assert calls == []


def test_ignored_labels_are_accepted(mlm):
    model, calls = mlm
    with pytest.raises(NotCalled):
        model(IDS, labels=torch.where(IDS == 1, -100, IDS))
    assert len(calls) == 1


def test_max_length_for_padding_offset_positions():
    model = archgen.load(reference("masked_lm")[1])
    config = model.config
    # RoBERTa positions start after the pad id: max_position_embeddings - pad_token_id - 1 real tokens.
    assert model.max_length == config["max_position_embeddings"] - config["pad_token_id"] - 1 == 62
    ref = reference("masked_lm")[0]
    ids = torch.randint(3, 90, (1, model.max_length), generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        torch.testing.assert_close(model(ids).logits, ref(input_ids=ids).logits, atol=1e-5, rtol=0)


def test_sequence_longer_than_the_position_table(monkeypatch):
    model, calls = guarded("masked_lm", monkeypatch)
    ids = torch.full((1, model.max_length + 1), 5)
    with pytest.raises(InputError, match="sequence length 63 exceeds the position table: at most 62 tokens"):
        model(ids)
    with pytest.raises(NotCalled):  # exactly max_length reaches the module
        model(ids[:, :-1])
    assert len(calls) == 1


def test_multiple_choice_needs_3d_input(monkeypatch):
    model, calls = guarded("multiple_choice", monkeypatch)
    with pytest.raises(InputError, match=r"input_ids must have shape \(batch, choices, seq\), got \(2, 5\)"):
        model(IDS)
    with pytest.raises(InputError, match=r"labels must lie in \[0, 3\)"):
        model(IDS[:, None].expand(2, 3, 5), labels=torch.tensor([0, 3]))
    assert calls == []
    with pytest.raises(NotCalled):
        model(IDS[:, None].expand(2, 3, 5), labels=torch.tensor([0, 2]))


def test_token_classification_labels_are_checked(monkeypatch):
    model, calls = guarded("token_classification", monkeypatch, num_labels=3)
    with pytest.raises(InputError, match=r"labels must lie in \[0, 3\) or be -100"):
        model(IDS, labels=torch.full((2, 5), 3))
    assert calls == []


def test_sequence_classification_labels_are_checked(monkeypatch):
    model, calls = guarded("sequence_classification", monkeypatch)
    with pytest.raises(InputError, match=r"labels must lie in \[0, 2\)"):
        model(IDS, labels=torch.tensor([0, 2]))
    with pytest.raises(InputError, match=r"labels has shape \(3,\), expected \(2,\)"):
        model(IDS, labels=torch.tensor([0, 1, 1]))
    assert calls == []
    for labels in (torch.tensor([0, 1]), torch.tensor([[0], [1]]), torch.rand(2, 2)):  # float: multi-label
        with pytest.raises(NotCalled):
            model(IDS, labels=labels)


def test_question_answering_positions_are_checked(monkeypatch):
    model, calls = guarded("question_answering", monkeypatch)
    with pytest.raises(InputError, match="start_positions must be an int64 tensor"):
        model(IDS, start_positions=torch.tensor([1.0, 2.0]), end_positions=torch.tensor([1, 2]))
    with pytest.raises(InputError, match=r"end_positions has shape \(3,\)"):
        model(IDS, start_positions=torch.tensor([1, 2]), end_positions=torch.tensor([1, 2, 3]))
    assert calls == []
    with pytest.raises(NotCalled):  # positions past the end are clamped and ignored, as in the reference
        model(IDS, start_positions=torch.tensor([1, 50]), end_positions=torch.tensor([2, 50]))


def test_encoder_states_for_a_decoder_without_cross_attention(monkeypatch):
    model, calls = guarded("causal_lm", monkeypatch)
    with pytest.raises(InputError, match="no cross-attention.*add_cross_attention"):
        model(IDS, encoder_hidden_states=torch.randn(2, 3, 32))
    assert calls == []


@pytest.mark.parametrize(
    "extra, message",
    [
        (
            {"encoder_hidden_states": torch.randn(2, 3, 16)},
            r"encoder_hidden_states has shape \(2, 3, 16\), expected \(2, 3, 32\)",
        ),
        ({"encoder_hidden_states": torch.randn(1, 3, 32)}, r"encoder_hidden_states has shape \(1, 3, 32\)"),
        ({"encoder_hidden_states": torch.randn(2, 32)}, r"float tensor \(batch, source, hidden\)"),
        ({"encoder_hidden_states": torch.ones(2, 3, 32, dtype=torch.long)}, "float tensor"),
        (
            {"encoder_hidden_states": torch.randn(2, 3, 32), "encoder_attention_mask": torch.ones(2, 4)},
            r"encoder_attention_mask has shape \(2, 4\), expected \(2, 3\)",
        ),
    ],
)
def test_cross_attention_inputs(monkeypatch, extra, message):
    model, calls = guarded("causal_lm", monkeypatch, add_cross_attention=True)
    with pytest.raises(InputError, match=message):
        model(IDS, **extra)
    assert calls == []


def test_cross_attention_inputs_that_fit_run():
    ref, directory = reference("causal_lm", add_cross_attention=True)
    model = archgen.load(directory)
    enc = torch.randn(2, 3, 32, generator=torch.Generator().manual_seed(0))
    enc_mask = torch.tensor([[1, 1, 1], [1, 1, 0]])
    ours = model(IDS, (IDS != 1).long(), encoder_hidden_states=enc, encoder_attention_mask=enc_mask)
    with torch.no_grad():
        want = ref(
            input_ids=IDS,
            attention_mask=(IDS != 1).long(),
            encoder_hidden_states=enc,
            encoder_attention_mask=enc_mask,
        )
    real = IDS != 1
    torch.testing.assert_close(ours.logits[real], want.logits[real], atol=1e-5, rtol=0)


def test_generation_checks_inputs_before_compute(monkeypatch):
    model, calls = guarded("causal_lm", monkeypatch)
    with pytest.raises(InputError, match="must lie in"):
        model.generate(torch.tensor([[0, 5, 120]]), max_new_tokens=2)
    with pytest.raises(InputError, match=r"exceeds the position table \(62\)"):
        model.generate(torch.full((1, 60), 5), max_new_tokens=3)
    assert calls == []
    with pytest.raises(InputError, match="needs a causal head"):
        guarded("masked_lm", monkeypatch)[0].generate(IDS)


def test_a_tied_copy_in_the_checkpoint_must_equal_its_target(tmp_path):
    """Older checkpoints may carry the tied decoder weight; it is accepted only if equal."""
    ir = arch("xlm_roberta")
    ref = build_reference(ir, ir.head("masked_lm"))
    directory = save(ref)
    state = load_file(directory / "model.safetensors")
    state["lm_head.decoder.weight"] = state["roberta.embeddings.word_embeddings.weight"].clone()
    save_file(state, str(directory / "model.safetensors"), metadata={"format": "pt"})
    archgen.load(directory)  # an equal copy loads
    state["lm_head.decoder.weight"] += 1.0
    save_file(state, str(directory / "model.safetensors"), metadata={"format": "pt"})
    with pytest.raises(
        CheckpointError, match=r"lm_head.decoder.weight \(a tied copy of backbone.embeddings.word.weight\)"
    ):
        archgen.load(directory)


def test_a_cross_attention_decoder_needs_encoder_states():
    ir = arch("xlm_roberta")
    model = archgen.load(save(build_reference(ir, ir.head("causal_lm"), {"add_cross_attention": True})))
    ids = torch.tensor([[5, 6, 7]])
    with pytest.raises(InputError, match="pass encoder_hidden_states"):
        model(ids)
    with pytest.raises(InputError, match="pass encoder_hidden_states"):
        model.generate(ids, max_new_tokens=2)
    with pytest.raises(InputError, match="encoder_hidden_states"):
        model.generate(ids, max_new_tokens=2, encoder_hidden_states=torch.zeros(2, 4, 32))
