"""The ``archgen`` command line.

    archgen validate [SPEC...]          check specs; all errors at once, exit 2
    archgen generate [SPEC...]          write generated/<arch>.py, .weights.json and docs/spec-reference.md
    archgen check [--fix]               regenerate in memory, diff against generated/ and docs/
    archgen mapping SPEC [--head H]     print a weight-mapping table
    archgen verify [ARCH...]            every arch x head against the reference (needs transformers)
    archgen reference ARCH HEAD DIR     write a tiny reference checkpoint with a toy tokenizer
    archgen run CHECKPOINT --task T TEXT...

Spec arguments are paths or names of built-in specs; no argument means every
spec in ``specs/``.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from .check import ROOT, diff, outputs, write
from .errors import SpecError
from .lower import SPECS_DIR, discover_specs, load_arch

app = typer.Typer(
    add_completion=False, no_args_is_help=True, help="archgen: YAML specs in, readable PyTorch out."
)
# Wide enough for the verify and mapping tables when output goes to a file or CI log.
out = Console(highlight=False, width=None if sys.stdout.isatty() else 200)
err = Console(stderr=True, highlight=False, width=None if sys.stderr.isatty() else 200)


def _spec_paths(specs: list[str] | None, *, include_abstract: bool = False) -> list[Path]:
    if not specs:
        return discover_specs(SPECS_DIR, include_abstract=include_abstract)
    paths = []
    for item in specs:
        p = Path(item)
        if not p.exists() and (SPECS_DIR / f"{item}.yaml").exists():
            p = SPECS_DIR / f"{item}.yaml"
        if not p.exists():
            err.print(f"[red]error:[/] no spec file or built-in spec named {item!r}")
            raise typer.Exit(2)
        paths.append(p)
    return paths


def _report(exc: SpecError) -> None:
    for d in exc.diagnostics:
        err.print(
            f"[bold]{d.file}:{d.line}:{d.column}[/]: [cyan]{d.path}[/]: {d.message}"
            + (f" [yellow]({d.hint})[/]" if d.hint else ""),
            soft_wrap=True,
        )
    err.print(f"[red]{len(exc.diagnostics)} error(s)[/]")


@app.command()
def validate(
    specs: list[str] = typer.Argument(None, help="Spec files or names; default: all of specs/."),
) -> None:
    """Check specs: syntax, schema and cross-field rules. Reports every error; exit code 2 on any."""
    paths = _spec_paths(specs, include_abstract=True)
    problems = []
    for path in paths:
        try:
            load_arch(path)
        except SpecError as exc:
            problems.extend(exc.diagnostics)
    if problems:
        _report(SpecError(problems))
        raise typer.Exit(2)
    out.print(f"[green]ok[/]: {len(paths)} spec(s) valid")


@app.command()
def generate(
    specs: list[str] = typer.Argument(None, help="Spec files or names; default: all of specs/."),
) -> None:
    """Write generated/<arch>.py and .weights.json (and the spec reference). Writes nothing if any spec fails."""
    try:
        files = outputs(_spec_paths(specs), full=True)
    except SpecError as exc:
        _report(exc)
        raise typer.Exit(2) from None
    written = write(files)
    for path in written:
        out.print(f"wrote {path.relative_to(ROOT).as_posix()}")
    out.print(f"[green]ok[/]: {len(files)} file(s), {len(written)} changed")


@app.command()
def check(fix: bool = typer.Option(False, "--fix", help="Rewrite stale files instead of failing.")) -> None:
    """Regenerate everything in memory and diff against generated/ and docs/. Exit 1 on any difference."""
    try:
        files = outputs(_spec_paths(None), full=True)
    except SpecError as exc:
        _report(exc)
        raise typer.Exit(2) from None
    text = diff(files)
    if not text:
        out.print("[green]ok[/]: generated/ and docs/ are up to date")
        return
    if fix:
        from .check import stale

        for path in stale(files):
            path.unlink()
        for path in write(files):
            out.print(f"wrote {path.relative_to(ROOT).as_posix()}")
        return
    sys.stdout.write(text)
    err.print("[red]generated files are stale[/]: run `archgen generate` (or `archgen check --fix`)")
    raise typer.Exit(1)


@app.command()
def mapping(
    spec: str,
    head: str = typer.Option(None, help="One head; default: all."),
    as_json: bool = typer.Option(False, "--json", help="Print the raw table."),
) -> None:
    """Print the weight-mapping table: checkpoint key -> parameter, with its operation."""
    from .render import render_table

    try:
        ir = load_arch(_spec_paths([spec])[0])
    except SpecError as exc:
        _report(exc)
        raise typer.Exit(2) from None
    table = json.loads(render_table(ir))
    if as_json:
        out.print_json(data=table)
        return
    for name, h in table["heads"].items():
        if head and name != head:
            continue
        t = Table(title=f"{ir.name} / {name} ({h['class']})")
        for col in ("checkpoint key", "op", "parameter", "note"):
            t.add_column(col, overflow="fold")
        for e in h["entries"]:
            keys = "\n".join(e["keys"]) if "keys" in e else e.get("key", "")
            note = e.get("reason", "")
            if "when" in e:
                note = f"if {e['when']}"
            if "unless" in e:
                note = f"unless {e['unless']}"
            if e["op"] == "tie":
                note = f"= {e['to']}" + (f" (if {e['when']})" if "when" in e else "")
            if "same_as" in e:
                note += f" (must equal {e['same_as']})"
            if e.get("keep"):
                note += " (kept as read, written back on export)"
            if e.get("prefix"):
                note += " (every key starting with it)"
            if "layers" in e:
                note += f" ({{i}} < {e['layers']})"
            if "from_layer" in e:
                note += f" ({{i}} >= {e['from_layer']})"
            if "index" in e:
                note += " (slice {e} of a key stacking every expert's tensor)"
            if "layers_where" in e:
                rule = e["layers_where"]
                rules = ", ".join(
                    f"{k} {rule[k]}" for k in ("skip", "step", "start", "end", "types") if k in rule
                )
                note += f" ({{i}}: layers {'with' if rule['experts'] else 'without'} experts by {rules})"
            if e.get("transpose"):
                note = "stored (in, out): transposed" + (f"; {note}" if note else "")
            if "conv" in e:
                groups = e["conv"]["groups"]
                groups = ", ".join(groups) if isinstance(groups, list) else groups
                conv = f"a 1x1 convolution's (out, in / groups, 1), groups {groups}: loaded block-diagonal"
                note = conv + (f"; {note}" if note else "")
            if "regroup" in e and e["regroup"].get("by_param"):
                rows = f"rows in {e['regroup']['groups']} groups of each parameter's share: regrouped by parameter"
                note = rows + (f"; {note}" if note else "")
            elif "regroup" in e:
                parts = e["regroup"].get("parts") or f"{e['regroup']['heads']} / {e['regroup']['groups']} + 2"
                rows = f"rows ({e['regroup']['groups']}, {parts}, n) regrouped by part"
                note = rows + (f"; {note}" if note else "")
            t.add_row(keys, e["op"], "\n".join(e["params"]) if "params" in e else e.get("param", "-"), note)
        out.print(t)


@app.command()
def verify(
    archs: list[str] = typer.Argument(None, help="Architectures; default: all of specs/."),
    head: list[str] = typer.Option(None, "--head", help="Only these heads."),
) -> None:
    """Build a tiny reference for each arch x head, load it through archgen, compare eager and compiled."""
    from ..runtime.verify import TOLERANCE, verify_pair

    rows = []
    t = Table(title=f"archgen verify (fp32, tolerance {TOLERANCE:g} on |Δ| / max(1, |reference|))")
    for col in (
        "arch",
        "head",
        "max|Δ| eager",
        "max|Δ| sdpa",
        "max|Δ| compiled",
        "graph breaks",
        "compile s",
        "ref ms",
        "eager ms",
        "compiled ms",
        "status",
    ):
        t.add_column(col, justify="right" if col not in ("arch", "head") else "left")
    for path in _spec_paths(archs):
        ir = load_arch(path)
        for h in ir.heads:
            if head and h.name not in head:
                continue
            err.print(f"verifying {ir.name} / {h.name} ...")
            row = verify_pair(ir, h)
            rows.append(row)
            t.add_row(
                row.arch,
                row.head,
                f"{row.diff_eager:.1e}",
                "n/a" if row.diff_sdpa is None else f"{row.diff_sdpa:.1e}",
                f"{row.diff_compiled:.1e}",
                str(row.graph_breaks),
                f"{row.compile_s:.1f}",
                f"{row.ref_ms:.2f}",
                f"{row.eager_ms:.2f}",
                f"{row.compiled_ms:.2f}",
                "[green]ok[/]" if row.ok else "[red]FAIL[/]",
            )
    out.print(t)
    if not all(r.ok for r in rows):
        raise typer.Exit(1)


@app.command()
def reference(arch: str, head: str, directory: Path) -> None:
    """Write a tiny reference checkpoint (config.json, model.safetensors, toy tokenizer.json) to DIRECTORY."""
    from ..runtime.reference import build_reference, save_reference, toy_tokenizer

    ir = load_arch(_spec_paths([arch])[0])
    model = build_reference(ir, ir.head(head))
    save_reference(model, directory)
    toy_tokenizer(model.config.vocab_size).save(str(directory / "tokenizer.json"))
    out.print(f"wrote {directory}")


@app.command()
def run(
    checkpoint: Path,
    task: str = typer.Option(
        ...,
        "--task",
        help="fill-mask, token-classification, "
        "question-answering, text-classification, multiple-choice, text-generation, feature-extraction, "
        "text2text-generation",
    ),
    texts: list[str] = typer.Argument(
        None, help="Input texts (QA: QUESTION CONTEXT; multiple choice: PROMPT CHOICES...)."
    ),
    input_file: Path = typer.Option(
        None,
        "--input",
        help='A .txt (a text per line) or .jsonl file ({"text": ...}; QA: question, context).',
    ),
    output_file: Path = typer.Option(None, "--output", help="Write results as .jsonl (atomically)."),
    aggregation: str = typer.Option(
        "simple", help="Token classification: none, simple, first, average, max."
    ),
    stride: int = typer.Option(32, help="Question answering: overlap of context windows, in tokens."),
    pooling: str = typer.Option(
        None,
        help="Feature extraction: pooler, mean, cls or eos (default: pooler if the model has one, else mean).",
    ),
    spec: Path = typer.Option(None, help="A spec file for an architecture outside specs/."),
    dtype: str = typer.Option("float32", help="float32 (default) or bfloat16: the parameters' dtype."),
    quantize: str = typer.Option(None, help="int8: dynamic int8 linear layers (fp32 only). Default: none."),
) -> None:
    """Tokenize with the checkpoint's tokenizer.json and print (or stream to a file) the task's results."""
    from rich.progress import Progress

    from ..runtime.model import InputError
    from ..runtime.pipelines import pipeline, stream_file
    from ..runtime.weights import CheckpointError

    if bool(texts) == bool(input_file):
        err.print("[red]error:[/] give either TEXT... or --input FILE")
        raise typer.Exit(2)
    if input_file is not None and output_file is None:
        err.print("[red]error:[/] --input needs --output FILE.jsonl")
        raise typer.Exit(2)
    try:
        pipe = pipeline(task, checkpoint, spec=spec, dtype=dtype, quantize=quantize)
        options = {"aggregation": aggregation} if task == "token-classification" else {}
        options |= {"stride": stride} if task == "question-answering" else {}
        options |= {"pooling": pooling} if task == "feature-extraction" else {}
        if input_file is None:
            out.print_json(data=pipe(list(texts), **options))
            return
        total = sum(1 for line in input_file.read_text(encoding="utf-8").splitlines() if line.strip())
        with Progress(console=err, transient=True) as progress:
            bar = progress.add_task(f"{task}", total=total)
            done = stream_file(
                pipe, input_file, output_file, progress=lambda n: progress.advance(bar, n), **options
            )
        err.print(f"wrote {done} result(s) to {output_file}")
    except (InputError, CheckpointError, FileNotFoundError, ValueError) as exc:
        err.print(f"[red]error:[/] {exc}")
        raise typer.Exit(2) from None


if __name__ == "__main__":  # pragma: no cover
    app()
