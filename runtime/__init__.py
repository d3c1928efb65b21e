"""The runtime: load checkpoints through weight tables, run and save models."""

from .model import ArchgenModel, InputError, ModelOutput, find_spec, load
from .weights import CheckpointError

__all__ = ["ArchgenModel", "CheckpointError", "InputError", "ModelOutput", "find_spec", "load"]
