"""Same seed and config give bitwise-identical parameters on any backend and worker count,
and after a kill and resume."""

import dataclasses
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

import esrl

from .conftest import SMALL_NOISE, cli, run_cli

GENERATIONS = 6


def _config(**kw):
    return esrl.ESConfig(
        seed=3,
        generations=GENERATIONS,
        target_return=float("inf"),
        noise_size=SMALL_NOISE,
        pairs_per_task=5,
        obs_norm=True,
        action_noise=0.01,
        target_episodes=10,
        **kw,
    )


@pytest.fixture(scope="module")
def serial_params(tmp_path_factory):
    out = tmp_path_factory.mktemp("det") / "serial"
    return esrl.load_params(
        esrl.train_es(_config(backend="serial"), out, log=lambda s: None).run_dir
    )


@pytest.mark.parametrize("workers", [1, 2])
def test_process_backend_matches_serial_bitwise(serial_params, tmp_path, workers):
    result = esrl.train_es(
        _config(backend="process", workers=workers), tmp_path / "p", log=lambda s: None
    )
    assert result.iterations == GENERATIONS
    np.testing.assert_array_equal(esrl.load_params(result.run_dir), serial_params)


def test_different_seed_gives_different_parameters(serial_params, tmp_path):
    other = esrl.train_es(
        dataclasses.replace(_config(backend="serial"), seed=4),
        tmp_path / "o",
        log=lambda s: None,
    )
    assert not np.array_equal(esrl.load_params(other.run_dir), serial_params)


@pytest.mark.slow
def test_resume_after_kill_matches_an_uninterrupted_run(tmp_path):
    args = [
        "train",
        "es",
        "--seed",
        "5",
        "--generations",
        "30",
        "--population",
        "400",
        "--pairs-per-task",
        "200",
        "--target-return",
        "inf",
        "--obs-norm",
        "--noise-size",
        str(SMALL_NOISE),
        "--target-episodes",
        "10",
    ]
    full = cli(*args, "--out", str(tmp_path / "full"))
    assert full.returncode == 0, full.stderr

    killed = tmp_path / "killed"
    proc = subprocess.Popen(
        [sys.executable, "-m", "esrl", *args, "--out", str(killed)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    metrics = killed / "metrics.jsonl"
    deadline = time.time() + 120
    while time.time() < deadline:
        if metrics.exists() and len(metrics.read_text().splitlines()) >= 5:
            break
        time.sleep(0.01)
    assert proc.poll() is None, "run finished before it could be killed"
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    done = len(metrics.read_text().splitlines())
    assert 5 <= done < 30

    resumed = run_cli("train", "es", "--resume", str(killed))
    assert resumed.returncode == 0, resumed.stderr
    np.testing.assert_array_equal(esrl.load_params(killed), esrl.load_params(tmp_path / "full"))
    generations = [
        int(line.split('"generation": ')[1].split(",")[0])
        for line in metrics.read_text().splitlines()
    ]
    assert generations == list(range(30))  # no generation lost or logged twice
