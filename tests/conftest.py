"""Test configuration: hypothesis profiles.

* ``ci`` (default): derandomized, a bounded number of examples, no deadline,
  so a red CI run is reproducible bit for bit.
* ``dev``: many more random examples for local bug hunting
  (``HYPOTHESIS_PROFILE=dev make test-slow``). A failure it finds becomes an
  ``@example`` or a regression test.

Compiled artifacts go to a cache in the temporary directory (kept between
runs, like torch's inductor cache), not the user's cache, unless
``ARCHGEN_CACHE_DIR`` says otherwise.
"""

import os
import tempfile

import torch
from hypothesis import HealthCheck, Phase, settings

settings.register_profile(
    "ci",
    derandomize=True,
    max_examples=12,
    deadline=None,
    # No shrinking in CI: a failure prints its draws and its @reproduce_failure blob at once.
    phases=[Phase.explicit, Phase.reuse, Phase.generate],
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.register_profile(
    "dev",
    max_examples=200,
    deadline=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))
os.environ.setdefault("ARCHGEN_CACHE_DIR", os.path.join(tempfile.gettempdir(), "archgen-test-cache"))

# Under pytest-xdist (make test runs two workers), the workers share the cores: each gets
# its share, and so do the processes it spawns (OMP_NUM_THREADS), so none oversubscribes.
_workers = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1"))
_threads = max(1, min(2, (os.cpu_count() or 1) // _workers))
os.environ.setdefault("OMP_NUM_THREADS", str(_threads))
torch.set_num_threads(_threads)
