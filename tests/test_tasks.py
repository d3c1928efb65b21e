"""The task pipelines of `archgen run`, each checked against the reference model itself.

Every task runs on a tiny XLM-RoBERTa reference checkpoint (saved with
`transformers`) and the toy tokenizer. The expected values are computed here
from the reference, one text at a time and without padding, so the pipeline's
batching, padding, truncation and post-processing are all under test.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
from support import arch, save
from typer.testing import CliRunner

import archgen
from archgen.compiler.cli import app
from archgen.runtime.model import InputError
from archgen.runtime.reference import build_reference, toy_tokenizer
from archgen.runtime.tasks import TASKS, load_tokenizer, run_task

ATOL = 1e-5
EOS = 2  # the toy tokenizer's </s>, the reference config's eos_token_id
PAD = 1


_CHECKPOINTS: dict[str, tuple[object, Path]] = {}


def checkpoint(head: str, **overrides) -> tuple[object, Path]:
    """A reference model with ``head`` and its saved directory (with tokenizer.json); built once."""
    key = json.dumps([head, overrides], sort_keys=True)
    if key not in _CHECKPOINTS:
        ir = arch("xlm_roberta")
        ref = build_reference(ir, ir.head(head), overrides)
        directory = save(ref)
        toy_tokenizer(ref.config.vocab_size).save(str(directory / "tokenizer.json"))
        _CHECKPOINTS[key] = ref, directory
    return _CHECKPOINTS[key]


def run(head: str, task: str, texts: list[str], **overrides):
    ref, directory = checkpoint(head, **overrides)
    tok = load_tokenizer(directory)
    return ref, tok, run_task(archgen.load(directory), tok, task, texts)


def ref_out(ref, ids: list[int], **kwargs):
    with torch.no_grad():
        return ref(input_ids=torch.tensor([ids]), **kwargs)


def test_every_task_is_tested():
    tested = {
        "fill-mask",
        "token-classification",
        "question-answering",
        "text-classification",
        "multiple-choice",
        "text-generation",
        "feature-extraction",
        "text2text-generation",  # below, and tests/test_umt5_decode.py for the CLI
    }
    assert set(TASKS) == tested


def test_text2text_generation_equals_reference_generate():
    from archgen.runtime.reference import toy_tokenizer
    from archgen.runtime.tasks import load_tokenizer, run_task

    ir = arch("umt5")
    # the reference's generate needs as many decoder layers as encoder layers
    layers = ir.spec.reference.tiny["num_layers"]
    ref = build_reference(ir, ir.head("conditional_generation"), {"num_decoder_layers": layers})
    directory = save(ref)
    toy_tokenizer(ref.config.vocab_size).save(str(directory / "tokenizer.json"))
    tok = load_tokenizer(directory)
    texts = ["the capital of france", "music"]
    result = run_task(archgen.load(directory), tok, "text2text-generation", texts)
    for text, row in zip(texts, result):
        ids = torch.tensor([tok.encode(text).ids])
        with torch.no_grad():
            expected = ref.generate(ids, max_new_tokens=20, do_sample=False, num_beams=1)
        assert row["generated"] == tok.decode(expected[0, 1:].tolist())


def test_fill_mask():
    texts = ["the <mask> of paris", "a river <mask> the city and the house of music"]
    ref, tok, result = run("masked_lm", "fill-mask", texts)
    assert len(result) == 2
    mask_id = tok.token_to_id("<mask>")
    for text, row in zip(texts, result):
        assert row["text"] == text and row["truncated"] is False
        assert len(row["predictions"]) == 5
        assert all(set(p) == {"token", "score"} for p in row["predictions"])
        ids = tok.encode(text).ids
        probs = ref_out(ref, ids).logits[0, ids.index(mask_id)].softmax(-1)
        top = probs.topk(5)
        assert row["predictions"][0]["token"] == tok.id_to_token(int(probs.argmax()))
        assert [p["token"] for p in row["predictions"]] == [tok.id_to_token(int(i)) for i in top.indices]
        torch.testing.assert_close(
            torch.tensor([p["score"] for p in row["predictions"]]), top.values, atol=ATOL, rtol=0
        )


def test_fill_mask_without_mask_token_is_an_input_error():
    with pytest.raises(InputError, match="no mask token"):
        run("masked_lm", "fill-mask", ["the city of paris"])


def test_token_classification():
    labels = {0: "O", 1: "B-LOC", 2: "I-LOC"}
    overrides = {"id2label": labels, "label2id": {v: k for k, v in labels.items()}}
    texts = ["the city of france", "london is a city on the river"]
    ref, tok, result = run("token_classification", "token-classification", texts, **overrides)
    for text, row in zip(texts, result):
        enc = tok.encode(text)
        pred = ref_out(ref, enc.ids).logits[0].argmax(-1).tolist()
        want = [
            {"token": enc.tokens[i], "label": labels[pred[i]]}
            for i in range(len(enc.ids))
            if not enc.special_tokens_mask[i]
        ]
        assert row == {"text": text, "truncated": False, "tokens": want}
        assert [t["token"] for t in row["tokens"]] == text.split()


def test_question_answering():
    question = "what is the city of france"
    context = "paris is the city of france and london is a city on the river"
    ref, tok, result = run("question_answering", "question-answering", [question, context])
    assert len(result) == 1
    row = result[0]
    assert set(row) == {"answer", "start", "end", "score", "truncated"}
    assert row["truncated"] is False
    enc = tok.encode(question, context)
    # The pipeline feeds the tokenizer's segment ids (the toy tokenizer marks the context with 1).
    out = ref_out(ref, enc.ids, token_type_ids=torch.tensor([enc.type_ids]))
    start, end = out.start_logits[0].tolist(), out.end_logits[0].tolist()
    context_tokens = [i for i, s in enumerate(enc.sequence_ids) if s == 1]
    best = max(
        ((start[s] + end[e], s, e) for s in context_tokens for e in context_tokens if 0 <= e - s < 30),
        key=lambda x: x[0],
    )
    score, s, e = best
    char_start, char_end = enc.offsets[s][0], enc.offsets[e][1]
    assert (row["start"], row["end"]) == (char_start, char_end)
    assert row["answer"] == context[char_start:char_end]
    assert row["answer"] and row["answer"] in context
    assert row["score"] == pytest.approx(score, abs=1e-4)


def test_question_answering_needs_two_texts():
    with pytest.raises(InputError, match="two texts"):
        run("question_answering", "question-answering", ["only a question"])


@pytest.mark.parametrize(
    "overrides",
    [{}, {"problem_type": "multi_label_classification", "num_labels": 3}],
    ids=["single_label", "multi_label"],
)
def test_text_classification(overrides):
    texts = ["the music of paris", "a book about water in the world", "london"]
    ref, tok, result = run("sequence_classification", "text-classification", texts, **overrides)
    multi = overrides.get("problem_type") == "multi_label_classification"
    for text, row in zip(texts, result):
        logits = ref_out(ref, tok.encode(text).ids).logits[0]
        want = logits.sigmoid() if multi else logits.softmax(-1)
        names = [ref.config.id2label[i] for i in range(len(want))]
        assert row["text"] == text and row["truncated"] is False
        assert list(row["scores"]) == names
        torch.testing.assert_close(torch.tensor(list(row["scores"].values())), want, atol=ATOL, rtol=0)
        if not multi:
            assert sum(row["scores"].values()) == pytest.approx(1.0, abs=1e-5)


def test_text_classification_single_logit_and_regression():
    """One logit: a sigmoid probability (a softmax over one logit is always 1); regression: the raw value."""
    text = "the music of paris"
    for overrides, fn in (
        ({"num_labels": 1}, torch.sigmoid),
        ({"num_labels": 1, "problem_type": "regression"}, lambda x: x),
    ):
        ref, tok, result = run("sequence_classification", "text-classification", [text], **overrides)
        want = fn(ref_out(ref, tok.encode(text).ids).logits[0])
        got = torch.tensor(list(result[0]["scores"].values()))
        torch.testing.assert_close(got, want, atol=ATOL, rtol=0)
        assert float(got[0]) != 1.0


def test_multiple_choice():
    prompt = "the city of france is"
    choices = ["paris", "a river in the city", "london"]
    ref, tok, result = run("multiple_choice", "multiple-choice", [prompt, *choices])
    assert len(result) == 1
    row = result[0]
    assert row["prompt"] == prompt and row["truncated"] is False
    assert list(row["scores"]) == choices
    # Each choice scored on its own (no padding), then a softmax over the choices.
    logits = torch.stack([_choice_logit(ref, tok.encode(prompt, c)) for c in choices])
    torch.testing.assert_close(
        torch.tensor(list(row["scores"].values())), logits.softmax(-1), atol=ATOL, rtol=0
    )


def _choice_logit(ref, enc) -> torch.Tensor:
    with torch.no_grad():
        out = ref(input_ids=torch.tensor([[enc.ids]]), token_type_ids=torch.tensor([[enc.type_ids]]))
        return out.logits[0, 0]


def test_multiple_choice_needs_two_choices():
    with pytest.raises(InputError, match="at least two choices"):
        run("multiple_choice", "multiple-choice", ["a prompt", "one choice"])


def _greedy(ref, ids: list[int], max_new_tokens: int) -> list[int]:
    """Greedy decoding by calling the reference on the whole growing sequence (no cache)."""
    new: list[int] = []
    for _ in range(max_new_tokens):
        token = int(ref_out(ref, ids + new).logits[0, -1].argmax())
        new.append(token)
        if token == EOS:
            break
    return new


def test_text_generation():
    prompts = ["the capital of france is", "music"]
    ref, tok, result = run("causal_lm", "text-generation", prompts)
    assert [r["prompt"] for r in result] == prompts
    for prompt, row in zip(prompts, result):
        assert set(row) == {"prompt", "truncated", "generated"} and row["truncated"] is False
        ids = tok.encode(prompt).ids[:-1]  # the prompt without its closing </s>
        new = _greedy(ref, ids, 20)
        assert PAD not in new  # (a generated pad would be re-read as padding by the no-cache reference)
        assert row["generated"] == tok.decode(new)
        assert row["generated"].strip()


def test_text_generation_at_the_end_of_the_position_table():
    """Generation stops where the position table ends; truncation cuts the closing </s>, not a word."""
    ref, tok, _ = run("causal_lm", "text-generation", ["city"])
    # 60 words: <s> + 60 + </s> = 62 tokens fit; without </s> there is room for exactly one new token.
    text = " ".join(["city"] * 59 + ["paris"])
    [row] = run("causal_lm", "text-generation", [text])[2]
    assert row["truncated"] is False
    assert row["generated"] == tok.decode(_greedy(ref, tok.encode(text).ids[:-1], 1)) != ""
    # 61 words: 63 tokens are cut to 62 (the last word kept); the table is full, nothing is generated.
    text = " ".join(["city"] * 60 + ["paris"])
    [row] = run("causal_lm", "text-generation", [text])[2]
    assert row["truncated"] is True
    assert row["generated"] == ""


@pytest.mark.parametrize("pooling", [None, "pooler", "mean", "cls", "eos"])
def test_feature_extraction(pooling: str | None):
    texts = ["the capital of france", "water", "a city"]  # different lengths: packed, not padded
    ref, directory = checkpoint("base")
    tok = load_tokenizer(directory)
    result = archgen.pipeline("feature-extraction", directory)(texts, pooling=pooling)
    for text, row in zip(texts, result):
        assert row["text"] == text and row["truncated"] is False
        assert row["pooling"] == (pooling or "pooler")
        out = ref_out(ref, tok.encode(text).ids)
        want = {
            "pooler": out.pooler_output[0],
            "mean": out.last_hidden_state[0].mean(0),
            "cls": out.last_hidden_state[0, 0],
            "eos": out.last_hidden_state[0, -1],
        }[row["pooling"]]
        assert len(row["embedding"]) == ref.config.hidden_size
        torch.testing.assert_close(torch.tensor(row["embedding"]), want, atol=ATOL, rtol=0)


def test_feature_extraction_rejects_an_unknown_or_missing_pooling():
    directory = checkpoint("base")[1]
    with pytest.raises(InputError, match="pooling must be one of pooler, mean, cls, eos"):
        archgen.pipeline("feature-extraction", directory)(["water"], pooling="max")


def test_long_text_is_truncated_to_the_position_table():
    long = "the <mask> of " + "the city of paris " * 30
    texts = [long, "a <mask> of london"]
    ref, tok, result = run("masked_lm", "fill-mask", texts)
    model = archgen.load(checkpoint("masked_lm")[1])
    assert len(tok.encode(long).ids) > model.max_length
    assert result[0]["truncated"] is True
    assert result[1]["truncated"] is False  # truncation is reported per text
    ids = tok.encode(long).ids[: model.max_length]
    logits = ref_out(ref, ids).logits[0, ids.index(tok.token_to_id("<mask>"))]
    assert result[0]["predictions"][0]["token"] == tok.id_to_token(int(logits.argmax()))
    assert result[0]["predictions"][0]["score"] == pytest.approx(float(logits.softmax(-1).max()), abs=ATOL)


def test_wrong_task_for_the_head():
    with pytest.raises(InputError, match="needs a head that serves it"):
        run("masked_lm", "text-classification", ["the city"])
    with pytest.raises(InputError, match="unknown task 'translation'"):
        run("masked_lm", "translation", ["the city"])


# --------------------------------------------------------------- the CLI


def test_cli_run_fill_mask():
    ref, directory = checkpoint("masked_lm")
    result = CliRunner().invoke(app, ["run", str(directory), "--task", "fill-mask", "the <mask> of paris"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data[0]["text"] == "the <mask> of paris" and data[0]["truncated"] is False
    tok = load_tokenizer(directory)
    ids = tok.encode("the <mask> of paris").ids
    logits = ref_out(ref, ids).logits[0, ids.index(tok.token_to_id("<mask>"))]
    assert data[0]["predictions"][0]["token"] == tok.id_to_token(int(logits.argmax()))


def test_cli_run_wrong_task_exits_2_without_traceback():
    _, directory = checkpoint("masked_lm")
    result = CliRunner().invoke(app, ["run", str(directory), "--task", "text-classification", "the city"])
    assert result.exit_code == 2
    assert "needs a head that serves it" in result.output
    assert "fill-mask" in result.output
    assert "Traceback" not in result.output
    assert isinstance(result.exception, SystemExit)


def test_cli_run_without_tokenizer_exits_2(tmp_path):
    ref, _ = checkpoint("masked_lm")
    ref.save_pretrained(tmp_path)
    result = CliRunner().invoke(app, ["run", str(tmp_path), "--task", "fill-mask", "the <mask>"])
    assert result.exit_code == 2
    assert "tokenizer.json" in result.output and "Traceback" not in result.output
