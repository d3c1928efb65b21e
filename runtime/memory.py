"""Keep freed activation memory in the process instead of handing it back to the kernel.

A forward call allocates and frees the same activation buffers every call: 0.4-12 MB
each for a base-size model. torch's CPU allocator takes them from ``malloc``, and
glibc's ``malloc`` serves blocks that large with fresh ``mmap`` pages (or trims
the heap once they are freed), so the next call takes a page fault on every 4 KiB
it writes. ``python bench/page_faults.py CHECKPOINT [--compile] [--batch N]``
measures it, alternating fresh processes with and without the setting (2 cores):

- XLM-R base, compiled, b1x128: 835-1,594 minor page faults per call by default
  (2,000-5,000 in earlier runs), 7-62 with :func:`reuse_freed_memory`; 155.8-167.8
  ms per call against 155.2-164.3;
- XLM-R base, eager, b8x128: 51,547-64,988 faults and 136-171 ms of kernel time per
  call by default, 173-250 faults and under 2 ms with it; 1161-1326 against
  1122-1197 ms per call;
- the UMT5-small encoder, compiled, b1x128: 93-113 against 0-5 faults, 36.3-36.8
  against 35.9-36.0 ms.

ONNX Runtime avoids the same faults with its own memory arena.

:func:`reuse_freed_memory` raises glibc's two thresholds (``mallopt``): blocks up to
:data:`MMAP_THRESHOLD` come from the heap, and up to :data:`TRIM_THRESHOLD` of free
memory at the heap's top is kept. Peak memory is unchanged (the pages were in use
at the peak); what changes is that memory freed after a large batch stays with
the process, up to ``TRIM_THRESHOLD``, for the next call to reuse.

The setting is process-wide, so :func:`~.model.load` applies it once a model is
loaded (the libraries you imported are not touched earlier), and only where the C
library is glibc. Set ``ARCHGEN_REUSE_FREED_MEMORY=0`` to keep your process's
``malloc`` settings as they are.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
from collections.abc import Callable

__all__ = ["MMAP_THRESHOLD", "TRIM_THRESHOLD", "glibc_mallopt", "reuse_freed_memory"]

#: Blocks up to this size come from the heap (glibc's upper bound for the setting on 64-bit).
MMAP_THRESHOLD = 32 << 20
#: Free memory at the heap's top kept for reuse, not handed back to the kernel.
TRIM_THRESHOLD = 256 << 20

_M_TRIM_THRESHOLD = -1  # glibc's malloc.h
_M_MMAP_THRESHOLD = -3
_applied = False


def glibc_mallopt() -> Callable[[int, int], int] | None:
    """glibc's ``mallopt``, or None where the C library is not glibc (its parameter numbers are glibc's)."""
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
    except OSError:
        return None
    if not hasattr(libc, "gnu_get_libc_version") or not hasattr(libc, "mallopt"):
        return None
    mallopt = libc.mallopt
    mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    return mallopt


def reuse_freed_memory() -> bool:
    """Raise glibc's ``malloc`` thresholds once per process; return whether they are raised.

    False where the C library is not glibc (macOS, musl: nothing is changed) or where
    ``ARCHGEN_REUSE_FREED_MEMORY=0`` is set."""
    global _applied
    if _applied:
        return True
    if os.environ.get("ARCHGEN_REUSE_FREED_MEMORY", "1") == "0":
        return False
    mallopt = glibc_mallopt()
    if mallopt is None:
        return False
    _applied = bool(mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD)) and bool(
        mallopt(_M_TRIM_THRESHOLD, TRIM_THRESHOLD)
    )
    return _applied
