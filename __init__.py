"""archgen: a declarative model compiler for transformer architectures.

YAML specs (``archgen/specs``) are compiled (``archgen.compiler``) into readable
PyTorch modules (``archgen.generated``) plus weight-mapping tables; the runtime
(``archgen.runtime``) loads checkpoints through those tables.
"""

from .runtime import ArchgenModel, ModelOutput, load
from .runtime.pipelines import pipeline

__all__ = ["ArchgenModel", "ModelOutput", "load", "pipeline"]
__version__ = "0.1.0"
