"""Fuzzing and property tests of the parsers of outside data (see README.md here for how
to add a target: one small file `fuzz_<parser>.py`).

Hypothesis profiles keep `make test` fast: `ci` and `dev` run a bounded number of
examples per property, `fuzz` many more (`make fuzz`). Choose one with
SATCHEL_HYPOTHESIS_PROFILE; CI=true selects `ci` (derandomized, so a CI run is repeatable).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from hypothesis import HealthCheck, settings

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

_common = {"deadline": None, "suppress_health_check": [HealthCheck.too_slow, HealthCheck.data_too_large]}
settings.register_profile("dev", max_examples=40, **_common)
settings.register_profile("ci", max_examples=40, derandomize=True, database=None, **_common)
settings.register_profile("fuzz", max_examples=3000, **_common)
settings.load_profile(os.environ.get("SATCHEL_HYPOTHESIS_PROFILE") or ("ci" if os.environ.get("CI") else "dev"))
