"""Task pipelines: entity grouping, strided QA over long contexts, atomic file streaming."""

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
from archgen.runtime.pipelines import _group, _words, stream_file
from archgen.runtime.reference import build_reference, toy_tokenizer
from archgen.runtime.tasks import run_task

LABELS = {0: "O", 1: "B-PER", 2: "I-PER", 3: "B-LOC", 4: "I-LOC"}


def _checkpoint(head: str, overrides: dict | None = None) -> Path:
    ir = arch("xlm_roberta")
    ref = build_reference(ir, ir.head(head), overrides)
    directory = save(ref)
    toy_tokenizer(ref.config.vocab_size).save(str(directory / "tokenizer.json"))
    return directory


def _probs(label: int, score: float = 0.9, n: int = 5) -> torch.Tensor:
    p = torch.full((n,), (1 - score) / (n - 1))
    p[label] = score
    return p


def test_grouping_merges_b_and_i_of_one_type_and_drops_o() -> None:
    text = "ann lee went to paris france today"
    spans = [(0, 3), (4, 7), (8, 12), (13, 15), (16, 21), (22, 28), (29, 34)]
    labels = [1, 2, 0, 0, 3, 4, 0]  # B-PER I-PER O O B-LOC I-LOC O
    tokens = [
        {"index": i, "word_id": i, "start": s, "end": e, "probs": _probs(lab)}
        for i, ((s, e), lab) in enumerate(zip(spans, labels))
    ]
    entities = _group(_words(tokens, list(LABELS.values()), "simple"), text)
    assert [(e["entity_group"], e["word"]) for e in entities] == [("PER", "ann lee"), ("LOC", "paris france")]
    assert entities[0]["score"] == pytest.approx(0.9)


def test_a_b_label_starts_a_new_entity_even_after_the_same_type() -> None:
    text = "ann bob"
    tokens = [
        {"index": 0, "word_id": 0, "start": 0, "end": 3, "probs": _probs(1)},
        {"index": 1, "word_id": 1, "start": 4, "end": 7, "probs": _probs(1)},
    ]
    entities = _group(_words(tokens, list(LABELS.values()), "simple"), text)
    assert [e["word"] for e in entities] == ["ann", "bob"]


@pytest.mark.parametrize(
    ("aggregation", "label", "score"),
    [("first", "B-PER", 0.6), ("max", "B-LOC", 0.8), ("average", "B-LOC", 0.45)],
)
def test_word_aggregation_over_subtokens(aggregation: str, label: str, score: float) -> None:
    # one word split in two sub-tokens: 0.6 B-PER then 0.8 B-LOC
    first = torch.tensor([0.1, 0.6, 0.1, 0.1, 0.1])
    second = torch.tensor([0.05, 0.05, 0.05, 0.8, 0.05])
    tokens = [
        {"index": 0, "word_id": 0, "start": 0, "end": 3, "probs": first},
        {"index": 1, "word_id": 0, "start": 3, "end": 6, "probs": second},
    ]
    (word,) = _words(tokens, list(LABELS.values()), aggregation)
    assert (word["label"], word["start"], word["end"]) == (label, 0, 6)
    assert word["score"] == pytest.approx(score)


def test_no_aggregation_labels_every_token_with_the_reference_argmax() -> None:
    directory = _checkpoint("token_classification", {"num_labels": 5, "id2label": LABELS})
    pipe = archgen.pipeline("token-classification", directory)
    text = "the capital of france is paris"
    (result,) = pipe([text], aggregation="none")
    ids = torch.tensor([pipe.tokenizer.encode(text).ids])
    expected = [LABELS[int(i)] for i in pipe.model(ids).logits[0, 1:-1].argmax(-1)]
    assert [e["entity"] for e in result["entities"]] == expected
    assert [e["word"] for e in result["entities"]] == text.split()
    with pytest.raises(InputError, match="aggregation must be one of"):
        pipe([text], aggregation="mean")


def test_strided_qa_equals_the_plain_task_when_the_context_fits() -> None:
    directory = _checkpoint("question_answering")
    pipe = archgen.pipeline("question-answering", directory)
    question, context = "what is the capital", "paris is the capital of france and a city"
    (strided,) = pipe([question, context])
    (plain,) = run_task(pipe.model, pipe.tokenizer, "question-answering", [question, context])
    assert strided["windows"] == 1 and not strided["strided"]
    assert (strided["answer"], strided["start"], strided["end"]) == (
        plain["answer"],
        plain["start"],
        plain["end"],
    )


def test_strided_qa_reads_a_context_longer_than_the_model() -> None:
    directory = _checkpoint("question_answering")
    pipe = archgen.pipeline("question-answering", directory)
    context = " ".join(["the city of paris is in france"] * 30)  # 210 words, the model takes 62 tokens
    (result,) = pipe(["where is paris", context], stride=8)
    assert result["strided"] and result["windows"] > 3
    assert context[result["start"] : result["end"]] == result["answer"] and result["answer"]
    with pytest.raises(InputError, match="stride"):
        pipe(["where is paris", context], stride=1000)


def test_stream_file_writes_every_result_or_nothing(tmp_path: Path) -> None:
    directory = _checkpoint("sequence_classification")
    pipe = archgen.pipeline("text-classification", directory)
    source = tmp_path / "in.txt"
    source.write_text("the city\n\nmusic and water\nparis\n")
    target = tmp_path / "out.jsonl"
    assert stream_file(pipe, source, target, batch=2) == 3
    rows = [json.loads(line) for line in target.read_text().splitlines()]
    assert [r["text"] for r in rows] == ["the city", "music and water", "paris"]
    assert rows == run_task(
        pipe.model, pipe.tokenizer, "text-classification", ["the city", "music and water", "paris"]
    )

    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"text": "paris"}\nnot json\n')
    failed = tmp_path / "failed.jsonl"
    with pytest.raises(InputError, match="bad.jsonl:2: not JSON"):
        stream_file(pipe, bad, failed)
    assert not failed.exists() and not failed.with_name("failed.jsonl.tmp").exists()


def test_cli_streams_a_file(tmp_path: Path) -> None:
    directory = _checkpoint("masked_lm")
    source = tmp_path / "in.jsonl"
    source.write_text('{"text": "the <mask> of paris"}\n{"text": "<mask> is a city"}\n')
    target = tmp_path / "out.jsonl"
    result = CliRunner().invoke(
        app, ["run", str(directory), "--task", "fill-mask", "--input", str(source), "--output", str(target)]
    )
    assert result.exit_code == 0, result.output
    assert len(target.read_text().splitlines()) == 2
    both = CliRunner().invoke(
        app, ["run", str(directory), "--task", "fill-mask", "x", "--input", str(source)]
    )
    assert both.exit_code == 2 and "either TEXT... or --input" in both.output
