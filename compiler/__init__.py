"""The compiler: ``schema`` (pydantic) -> ``lower`` (IR) -> ``render`` (Jinja2) -> ``check``."""

from .errors import Diagnostic, SpecError
from .lower import ArchIR, HeadIR, bind_sizes, discover_specs, load_arch
from .render import render_module, render_table

__all__ = [
    "ArchIR",
    "Diagnostic",
    "HeadIR",
    "SpecError",
    "bind_sizes",
    "discover_specs",
    "load_arch",
    "render_module",
    "render_table",
]
