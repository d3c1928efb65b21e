"""Cold start: compiled artifacts (forward, and generation's steps) are reused by a second process,
keyed so a stale one is never used."""

from __future__ import annotations

import contextlib
import fcntl
import gc
import json
import subprocess
import sys
import threading
from pathlib import Path

import pytest
import torch
from support import ATOL, arch, save
from support_t5 import t5_reference

import archgen
import archgen.runtime.model
from archgen.runtime import artifacts
from archgen.runtime.artifacts import AotForward, default_cache_dir, kv_caches
from archgen.runtime.packed import unpacked_weights
from archgen.runtime.reference import build_reference

SECOND_PROCESS = """
import json, sys, torch, archgen
directory, cache, out = sys.argv[1:4]
model = archgen.load(directory, compile=True, cache_dir=cache)
ids = torch.randint(2, 99, (3, 11), generator=torch.Generator().manual_seed(5))
mask = torch.ones_like(ids)
mask[0, -4:] = 0
torch.save({"ids": ids, "mask": mask, "out": model(ids, mask)["last_hidden_state"]}, out)
print(json.dumps({"compiled": model.aot.compiled, "loaded": model.aot.loaded}))
"""


SECOND_GENERATION = """
import json, sys, torch, archgen
directory, cache, out, steps = sys.argv[1:5]
model = archgen.load(directory, compile=True, cache_dir=cache)
ids = torch.randint(4, 90, (2, 9), generator=torch.Generator().manual_seed(7))
mask = torch.ones_like(ids)
ids[1, :3], mask[1, :3] = model.sizes[model.ir.spec.pad_token], 0  # left padding
tokens = model.generate(ids, mask, max_new_tokens=int(steps), eos_token_id=-1)
streamed = torch.stack(list(model.stream(ids[:1], mask[:1], max_new_tokens=5, eos_token_id=-1)), 1)
torch.save({"ids": ids, "mask": mask, "tokens": tokens, "streamed": streamed}, out)
dynamo = "torch._dynamo" in sys.modules
print(json.dumps({"compiled": model.aot.compiled, "loaded": model.aot.loaded, "dynamo": dynamo}))
"""


@pytest.fixture(scope="module")
def checkpoint() -> Path:
    ir = arch("xlm_roberta")
    return save(build_reference(ir, ir.head("base")))


def test_second_process_loads_the_artifact_and_equals_eager(checkpoint: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    first = archgen.load(checkpoint, compile=True, cache_dir=cache)
    ids = torch.randint(2, 99, (1, 7), generator=torch.Generator().manual_seed(1))
    first(ids)
    assert (first.aot.compiled, first.aot.loaded) == (1, 0)
    artifacts = sorted(cache.glob("*.pt2"))
    assert len(artifacts) == 1
    # Another batch size and length in the same process: the same artifact, nothing compiled.
    first(torch.randint(2, 99, (4, 13), generator=torch.Generator().manual_seed(2)))
    assert first.aot.compiled == 1

    out = tmp_path / "second.pt"
    done = subprocess.run(
        [sys.executable, "-c", SECOND_PROCESS, str(checkpoint), str(cache), str(out)],
        capture_output=True,
        text=True,
        check=True,
    )
    counts = json.loads(done.stdout.strip().splitlines()[-1])
    assert counts == {"compiled": 0, "loaded": 1}
    assert sorted(cache.glob("*.pt2")) == artifacts
    saved = torch.load(out)
    eager = archgen.load(checkpoint)(saved["ids"], saved["mask"])["last_hidden_state"]
    torch.testing.assert_close(saved["out"], eager, atol=ATOL, rtol=0)


# UMT5's (an encoder-decoder: three artifacts) in the default suite; the RoBERTa causal LM's in
# `make test-slow` (40 s with cold caches).
@pytest.mark.parametrize("name", [pytest.param("causal_lm", marks=pytest.mark.slow), "umt5"])
def test_second_process_generates_from_artifacts_and_equals_eager(name: str, tmp_path: Path) -> None:
    """Compiled generation (prefill and decode steps; UMT5's encode and decode) runs artifacts: a
    second process compiles nothing, whatever its batch and cache size, and its tokens are eager's."""
    if name == "umt5":
        directory = save(t5_reference("umt5", "conditional_generation", {}))
    else:
        ir = arch("xlm_roberta")
        directory = save(build_reference(ir, ir.head("causal_lm")))
    cache = default_cache_dir()  # the tests' cache (see conftest): a later run finds these artifacts
    first = archgen.load(directory, compile=True, cache_dir=cache)
    ids = torch.randint(4, 90, (1, 5), generator=torch.Generator().manual_seed(3))
    first.generate(ids, max_new_tokens=3, eos_token_id=-1)
    assert first.aot.compiled + first.aot.loaded == 2  # two steps: prefill / encode, and decode

    out = tmp_path / "second.pt"
    steps = 70 if name == "umt5" else 12  # UMT5: more slots than the first process's cache
    done = subprocess.run(
        [sys.executable, "-c", SECOND_GENERATION, str(directory), str(cache), str(out), str(steps)],
        capture_output=True,
        text=True,
        check=True,
    )
    counts = json.loads(done.stdout.strip().splitlines()[-1])
    assert (counts["compiled"], counts["loaded"]) == (0, 2)
    if name == "causal_lm":  # nothing traced, not even imported (UMT5's meta build imports it)
        assert not counts["dynamo"]
    saved = torch.load(out)
    eager = archgen.load(directory)
    ids, mask = saved["ids"], saved["mask"]
    assert torch.equal(saved["tokens"], eager.generate(ids, mask, max_new_tokens=steps, eos_token_id=-1))
    expected = torch.stack(list(eager.stream(ids[:1], mask[:1], max_new_tokens=5, eos_token_id=-1)), 1)
    assert torch.equal(saved["streamed"], expected)


def test_key_changes_with_a_parameters_layout(checkpoint: Path, tmp_path: Path) -> None:
    """Kernels are compiled for the weights' strides: an input-major weight (``w.t().contiguous().t()``)
    has another key, so a package compiled for the other layout is never fed it."""
    model = archgen.load(checkpoint, compile=True, cache_dir=tmp_path)
    ids = torch.ones(2, 5, dtype=torch.long)
    inputs = {"input_ids": ids, "attention_mask": ids}
    key = model.aot.key(inputs)
    weight = next(p for p in model.module.parameters() if p.dim() == 2 and p.shape[0] != p.shape[1])
    row_major = weight.data
    weight.data = row_major.t().contiguous().t()
    assert weight.stride() == (1, weight.shape[0]) and torch.equal(weight, row_major)
    assert model.aot.key(inputs) != key
    weight.data = row_major
    assert model.aot.key(inputs) == key


def test_key_changes_with_a_swapped_layers_source(
    checkpoint: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A layer swapped in after construction is traced into the artifact too: its class, and
    its source file's contents, are part of the key (an edited ``forward`` is never served
    by a package compiled from the old one). Packing off, so the model has plain
    ``nn.Linear`` layers to swap."""
    monkeypatch.setenv("ARCHGEN_PACKED_GEMM", "0")
    model = archgen.load(checkpoint, compile=True, cache_dir=tmp_path)
    ids = torch.ones(2, 5, dtype=torch.long)
    inputs = {"input_ids": ids, "attention_mask": ids}
    key = model.aot.key(inputs)

    layer_file = tmp_path / "swapped_layer.py"
    layer_file.write_text("import torch\nclass Swapped(torch.nn.Linear):\n    pass\n")
    sys.path.insert(0, str(tmp_path))
    try:
        import swapped_layer

        parent, name = next(
            (p, n)
            for p in model.module.modules()
            for n, c in p.named_children()
            if type(c) is torch.nn.Linear
        )
        old = getattr(parent, name)
        new = swapped_layer.Swapped(old.in_features, old.out_features)
        new.weight, new.bias = old.weight, old.bias
        setattr(parent, name, new)
        assert model.aot.key(inputs) == key  # found once: replacing modules asks for reset()
        model.aot.reset()
        swapped = model.aot.key(inputs)
        assert swapped != key
        layer_file.write_text(layer_file.read_text() + "# another forward\n")
        model.aot.reset()
        assert model.aot.key(inputs) not in (key, swapped)
        setattr(parent, name, old)
        model.aot.reset()
        assert model.aot.key(inputs) == key
    finally:  # the temporary module leaves no trace for later tests
        sys.path.remove(str(tmp_path))
        sys.modules.pop("swapped_layer", None)


def test_key_changes_with_spec_config_torch_and_signature(
    checkpoint: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    model = archgen.load(checkpoint, compile=True, cache_dir=tmp_path)
    ids = torch.ones(2, 5, dtype=torch.long)
    inputs = {"input_ids": ids, "attention_mask": ids}
    key = model.aot.key(inputs)
    assert archgen.load(checkpoint, compile=True, cache_dir=tmp_path).aot.key(inputs) == key

    ir = arch("xlm_roberta")
    layers = json.loads((checkpoint / "config.json").read_text())["num_hidden_layers"]
    deeper = save(build_reference(ir, ir.head("base"), {"num_hidden_layers": layers + 1}))
    assert archgen.load(deeper, compile=True).aot.key(inputs) != key
    masked_lm = save(build_reference(ir, ir.head("masked_lm")))
    assert archgen.load(masked_lm, compile=True).aot.key(inputs) != key

    # The same checkpoint through another spec: another generated source.
    other_spec = archgen.load(checkpoint, compile=True, spec=arch("camembert").path, head="base")
    assert other_spec.aot.key(inputs) != key
    assert model.aot.key(inputs | {"output_hidden_states": True}) != key
    assert model.aot.key({"input_ids": ids.int(), "attention_mask": ids}) != key
    assert model.aot.key(inputs, method="encode") != key
    model.module.backbone.setup_cache(2, 64)  # a KV cache is no constant: the forward key stays
    assert model.aot.key(inputs) == key
    caches = [(c.k, c.v) for c in kv_caches(model.module)]
    assert caches and model.aot.key(inputs, caches=caches) != key
    model.to(torch.float64)
    assert model.aot.key(inputs) != key
    model.to(torch.float32)
    monkeypatch.setattr(torch, "__version__", "0.0.0")
    assert model.aot.key(inputs) != key


def test_progress_only_when_asked_or_on_a_terminal(checkpoint: Path, capfd: pytest.CaptureFixture) -> None:
    archgen.load(checkpoint)
    archgen.load(checkpoint, progress=False)
    assert capfd.readouterr().err == ""
    archgen.load(checkpoint, progress=True)
    assert "reading weights" in capfd.readouterr().err


@pytest.mark.skipif(not Path("/proc/self/maps").exists(), reason="reads the process's memory map (Linux)")
def test_renamed_weights_are_pages_of_the_mapped_file(
    checkpoint: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No second copy: every renamed parameter lies inside the mapping of model.safetensors,
    except the weights of packed layers, which are packed copies (runtime/packed.py). (A tiny
    model's tensors are all under the size below which tensors are read, not mapped: that
    size is 0 here.)"""
    monkeypatch.setattr(archgen.runtime.model, "MAPPED_MIN_BYTES", 0)
    model = archgen.load(checkpoint)
    target = str((checkpoint / "model.safetensors").resolve())
    ranges = []
    for line in Path("/proc/self/maps").read_text().splitlines():
        if line.endswith(target):
            low, high = (int(x, 16) for x in line.split()[0].split("-"))
            ranges.append((low, high))
    assert ranges, "model.safetensors is not memory-mapped"
    params = dict(model.module.named_parameters(remove_duplicate=False))
    packed = set(unpacked_weights(model.module))
    renamed = [e["param"] for e in model.plan.entries if e["op"] == "rename" and e["param"] not in packed]
    assert renamed and set(params).isdisjoint(packed)
    copied = [
        name for name in renamed if not any(low <= params[name].data_ptr() < high for low, high in ranges)
    ]
    assert copied == []


@pytest.mark.skipif(not Path("/proc/self/maps").exists(), reason="reads the process's memory map (Linux)")
def test_generating_models_keep_widening_linear_weights_input_major_in_their_own_memory(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Widening linear weights (and the embedding an LM head is tied to) are input-major copies,
    not mapped pages; other tensors stay in the mapping; export writes the checkpoint's layout."""
    monkeypatch.setattr(archgen.runtime.model, "MAPPED_MIN_BYTES", 0)  # as above
    ir = arch("xlm_roberta")
    directory = save(build_reference(ir, ir.head("causal_lm"), {"tie_word_embeddings": True}))
    model = archgen.load(directory)
    target = str((directory / "model.safetensors").resolve())
    ranges = [
        tuple(int(x, 16) for x in line.split()[0].split("-"))
        for line in Path("/proc/self/maps").read_text().splitlines()
        if line.endswith(target)
    ]

    def mapped(t: torch.Tensor) -> bool:
        return any(low <= t.data_ptr() < high for low, high in ranges)

    linears = {f"{n}.weight": m for n, m in model.module.named_modules() if isinstance(m, torch.nn.Linear)}
    widening = {n for n, m in linears.items() if m.out_features > m.in_features}
    assert widening and len(widening) < len(linears)
    params = dict(model.module.named_parameters(remove_duplicate=False))
    for name, param in params.items():
        if name in widening or name == "backbone.embeddings.word.weight":  # that one: the tied LM head
            assert param.stride() == (1, param.shape[0]) and not mapped(param), name
        elif name in linears or name.endswith("norm.weight"):  # renamed: views of the mapped file
            assert param.is_contiguous() and mapped(param), name
    assert model.module.decoder.weight is model.module.backbone.embeddings.word.weight
    from safetensors.torch import load_file

    out = save_dir = directory.parent / (directory.name + "-export")
    model.save_pretrained(save_dir)
    original, exported = load_file(directory / "model.safetensors"), load_file(out / "model.safetensors")
    assert exported.keys() <= original.keys()
    for key, tensor in exported.items():
        assert tensor.is_contiguous() and torch.equal(tensor, original[key]), key


def _resident_kib(path: Path) -> int:
    """How much of ``path``'s mappings in this process is resident (``Rss`` in /proc/self/smaps)."""
    target, total, inside = str(path.resolve()), 0, False
    for line in Path("/proc/self/smaps").read_text().splitlines():
        fields = line.split()
        if fields and "-" in fields[0] and not fields[0].endswith(":"):  # a mapping's first line
            inside = fields[-1] == target
        elif inside and fields[0] == "Rss:":
            total += int(fields[1])
    return total


@pytest.mark.skipif(not Path("/proc/self/smaps").exists(), reason="reads the process's memory map (Linux)")
def test_small_tensors_are_read_not_mapped_so_no_page_of_the_file_stays_resident(
    checkpoint: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Viewing a small tensor in the mapped file makes the kernel map its neighbours too (fault-
    around), which kept packed weights' file pages resident beside their packed copies. Tensors
    under ``MAPPED_MIN_BYTES`` (all of a tiny model's) are read with file reads instead: after
    ``load``, no page of the file is resident, where viewing them left some."""
    file = checkpoint / "model.safetensors"
    ids = torch.randint(2, 99, (2, 9), generator=torch.Generator().manual_seed(4))
    gc.collect()  # earlier tests' models, which may map the file too, are gone; none counts below
    before = _resident_kib(file)
    model = archgen.load(checkpoint)
    assert _resident_kib(file) == before
    expected = model(ids)["last_hidden_state"]
    monkeypatch.setattr(archgen.runtime.model, "MAPPED_MIN_BYTES", 0)
    viewed = archgen.load(checkpoint)
    assert _resident_kib(file) > before
    torch.testing.assert_close(viewed(ids)["last_hidden_state"], expected, atol=0, rtol=0)


class _Waits:
    """A reporter that records its stages and says when a call starts waiting for the lock."""

    def __init__(self) -> None:
        self.stages: list[str] = []
        self.waiting = threading.Event()

    @contextlib.contextmanager
    def stage(self, description: str):
        self.stages.append(description)
        if description.startswith("waiting"):
            self.waiting.set()
        yield


def test_an_artifact_another_process_is_compiling_is_waited_for_then_loaded(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two processes that miss the same artifact compile it once: while another holds the
    artifact's lock (as a process compiling it does), a call waits, then loads what was written.
    Compiling and loading are stand-ins here; the lock is the real one."""
    compiled: list[Path] = []
    monkeypatch.setattr(artifacts, "_Runner", lambda loader: loader)
    reporter = _Waits()
    aot = AotForward(torch.nn.Linear(2, 2), {}, tmp_path, reporter)
    monkeypatch.setattr(aot, "_constants", lambda: {})
    monkeypatch.setattr(aot, "_compile", lambda path, *rest: compiled.append(path) or path.touch())

    class Loader:
        def __init__(self, path: Path) -> None:
            self.path = path

        def get_constant_fqns(self) -> list[str]:
            return []

        def load_constants(self, *args, **kwargs) -> None:
            pass

    monkeypatch.setattr(artifacts, "_load", Loader)
    runners: list = []
    with open(tmp_path / "k.lock", "a") as other:
        fcntl.flock(other, fcntl.LOCK_EX)  # "another process" compiling k
        waiter = threading.Thread(target=lambda: runners.append(aot._runner("k", {}, "forward", [])))
        waiter.start()
        assert reporter.waiting.wait(timeout=60), "the call did not wait for the lock"
        assert waiter.is_alive()
        (tmp_path / "k.pt2").write_bytes(b"written by the other process")
        fcntl.flock(other, fcntl.LOCK_UN)
    waiter.join(timeout=60)
    assert runners and runners[0].path == tmp_path / "k.pt2"
    assert (compiled, aot.compiled, aot.loaded) == ([], 0, 1)

    # Nobody holding the lock and no artifact: this call compiles it, taking the lock unopposed.
    aot._runner("j", {}, "forward", [])
    assert (compiled, aot.compiled, aot.loaded) == ([tmp_path / "j.pt2"], 1, 1)
    assert not any(s.startswith("waiting") for s in reporter.stages[-2:])
