import contextlib
import hashlib
import io
import os
import subprocess
import sys
import warnings
from pathlib import Path

import pytest

# Ray (tests/test_ray_backend.py) would otherwise bind to this machine's network
# address; its clusters in tests stay on loopback. Read by Ray at import time.
os.environ.setdefault("RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER", "0")

SMALL_NOISE = 2**20  # enough for the small MLPs in tests, quick to create


def run_cli(
    *args: str, cwd: Path | None = None, timeout: float = 300
) -> subprocess.CompletedProcess:
    """Run `esrl ...` in a fresh interpreter, as a user would."""
    return subprocess.run(
        [sys.executable, "-m", "esrl", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=timeout,
        env={**os.environ, "PYTHONWARNINGS": "ignore"},
    )


def cli(*args: str) -> subprocess.CompletedProcess:
    """`esrl ...` as a call in this interpreter: the same parsing, output, messages and
    exit code as `run_cli`, without starting Python and importing torch (seconds each).
    The environment is restored afterwards (the program sets OMP_WAIT_POLICY)."""
    from esrl.cli.main import main

    out, err, environ = io.StringIO(), io.StringIO(), dict(os.environ)
    try:
        with (
            contextlib.redirect_stdout(out),
            contextlib.redirect_stderr(err),
            warnings.catch_warnings(),
        ):
            warnings.simplefilter("ignore")
            try:
                code = main(list(args))
            except SystemExit as exc:  # argparse's errors and --help
                code = exc.code
    finally:
        os.environ.clear()
        os.environ.update(environ)
    return subprocess.CompletedProcess(["esrl", *args], code, out.getvalue(), err.getvalue())


def snapshot(directory: Path) -> dict[str, str]:
    """Every file under a directory with a hash of its bytes."""
    return {
        str(p.relative_to(directory)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(directory.rglob("*"))
        if p.is_file()
    }


def small_hopper(**overrides):
    """ES on Hopper-v5 (EnvPool) in seconds: 12 members, 60-step episodes, 3 generations."""
    import esrl

    base = dict(
        env="Hopper-v5",
        seed=2,
        population=12,
        generations=3,
        episode_steps=60,
        eval_episodes=3,
        target_return=float("inf"),
        target_episodes=4,
        noise_size=SMALL_NOISE,
    )
    return esrl.ESConfig(**{**base, **overrides})


def tiny_pong(**overrides):
    """ES on Pong with a budget of seconds: 4 members, 60-step games, 2 generations."""
    import esrl

    tiny = dict(
        population=4,
        pairs_per_task=1,
        eval_episodes=1,
        episode_steps=60,
        generations=2,
        max_seconds=0.0,
        noise_size=SMALL_NOISE,
        target_episodes=2,
    )
    return esrl.ESConfig(env="pong", **{**tiny, **overrides})


@pytest.fixture(scope="session")
def small_run(tmp_path_factory) -> Path:
    """A short finished CartPole run that error tests can try to damage."""
    out = tmp_path_factory.mktemp("runs") / "small"
    result = run_cli(
        "train",
        "es",
        "--out",
        str(out),
        "--generations",
        "2",
        "--noise-size",
        str(SMALL_NOISE),
        "--target-episodes",
        "5",
    )
    assert result.returncode == 0, result.stderr
    return out


@pytest.fixture(autouse=True)
def _grouped_tests_share_a_worker(request) -> None:
    """Fail loudly if xdist's loadgroup stops keeping the Ray tests on one worker."""
    if getattr(request.config.option, "loadgroup", False):
        grouped = request.node.get_closest_marker("xdist_group") is not None
        assert not grouped or "@" in request.node.nodeid, (
            "--dist loadgroup ignored this test's xdist_group (pytest-xdist#1386): "
            "check the pytest pin in pyproject.toml"
        )


def wait_for_first_record(run_dir: Path, timeout: float = 120) -> Path:
    """Block until a training subprocess has written its first metrics line."""
    import time

    metrics = run_dir / "metrics.jsonl"
    deadline = time.time() + timeout
    while time.time() < deadline and not (metrics.exists() and metrics.read_text().count("\n")):
        time.sleep(0.05)
    return metrics
