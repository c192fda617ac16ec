"""What `import esrl` sets for torch: idle OpenMP threads sleep, unless the user chose."""

import os
import subprocess
import sys


def _policy_after_import(env: dict[str, str]) -> str:
    code = "import esrl, torch, os; print(os.environ.get('OMP_WAIT_POLICY'))"
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )
    return out.stdout.strip()


def test_import_makes_openmp_threads_passive_but_keeps_a_users_choice():
    env = {k: v for k, v in os.environ.items() if k != "OMP_WAIT_POLICY"}
    assert _policy_after_import(env) == "PASSIVE"
    assert _policy_after_import({**env, "OMP_WAIT_POLICY": "ACTIVE"}) == "ACTIVE"
