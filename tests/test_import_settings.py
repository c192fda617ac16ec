"""`import esrl` leaves the process alone; the `esrl` program lets OpenMP threads sleep."""

import os
import subprocess
import sys

import pytest


def _policy_after(code: str, env: dict[str, str]) -> str:
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )
    return out.stdout.strip().splitlines()[-1]


@pytest.mark.slow
def test_import_sets_nothing_but_the_cli_makes_openmp_threads_passive_unless_chosen():
    env = {k: v for k, v in os.environ.items() if k != "OMP_WAIT_POLICY"}
    imported = "import esrl, esrl.cli.main, torch, os; print(os.environ.get('OMP_WAIT_POLICY'))"
    assert _policy_after(imported, env) == "None"
    ran = (
        "import os; from esrl.cli.main import main; main(['plot', '/nonexistent']); "
        "print(os.environ.get('OMP_WAIT_POLICY'))"
    )
    assert _policy_after(ran, env) == "PASSIVE"
    assert _policy_after(ran, {**env, "OMP_WAIT_POLICY": "ACTIVE"}) == "ACTIVE"
