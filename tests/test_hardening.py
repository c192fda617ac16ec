"""Hostile input and crashes: one line on stderr, exit code 2, no run directory lost.

Each test names the class of failure it guards: dead run directories, non-finite
values, the noise table's space, env names, tracebacks, and leftovers.
"""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from esrl.envs.atari import game_name
from esrl.metrics import read_metrics
from esrl.runs import load_checkpoint

from .conftest import SMALL_NOISE, cli, snapshot, wait_for_first_record

ROOT = Path(__file__).resolve().parents[1]
NOISE = ["--noise-size", str(SMALL_NOISE)]
ESRL = [sys.executable, "-m", "esrl"]


def assert_clean_error(result, fragment: str) -> None:
    assert result.returncode == 2, (result.stdout, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.stderr
    assert fragment in lines[0], lines[0]


def run_cli_with_nan_envs(*args: str) -> subprocess.CompletedProcess:
    """`esrl ...` in a fresh interpreter that has registered tests/nan_envs.py's ids."""
    code = (
        "import sys, tests.nan_envs; from esrl.cli.main import main; sys.exit(main(sys.argv[1:]))"
    )
    return subprocess.run(
        [sys.executable, "-c", code, *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=300,
        env={**os.environ, "PYTHONWARNINGS": "ignore"},
    )


@pytest.fixture
def tmpfs(tmp_path):
    """Mount small tmpfs file systems (size, read-only) under tmp_path; skip where the
    test cannot mount (not root, or no mount privilege in a container)."""
    mounted = []

    def mount(size: str, read_only: bool = False) -> Path:
        point = tmp_path / f"mnt{len(mounted)}"
        point.mkdir()
        options = f"size={size}" + (",ro" if read_only else "")
        done = subprocess.run(
            ["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(point)], capture_output=True
        )
        if done.returncode != 0:
            pytest.skip(f"cannot mount a tmpfs here: {done.stderr.decode().strip()}")
        mounted.append(point)
        return point

    yield mount
    for point in mounted:
        subprocess.run(["umount", str(point)], capture_output=True)


# --- 1. dead run directories -------------------------------------------------------


def test_a_run_killed_before_its_first_checkpoint_can_be_started_again(tmp_path, small_run):
    never_saved = tmp_path / "never_saved"
    never_saved.mkdir()
    (never_saved / "config.json").write_text((small_run / "config.json").read_text())
    (never_saved / "metrics.jsonl").write_text("")
    before = snapshot(never_saved)
    resumed = cli("train", "es", "--resume", str(never_saved))
    assert_clean_error(resumed, f"start it again with --out {never_saved}")
    assert snapshot(never_saved) == before
    again = cli("train", "es", "--out", str(never_saved), "--generations", "1", *NOISE)
    assert again.returncode == 0, again.stderr
    assert (never_saved / "checkpoint.npz").is_file()


@pytest.mark.slow
@pytest.mark.parametrize("algo", ["es", "a2c", "dqn"])
def test_sigkill_right_after_start_leaves_a_resumable_run(tmp_path, algo):
    out = tmp_path / algo
    long_run = {"es": [*NOISE, "--target-return", "inf"], "a2c": ["--steps", "10M"]}
    flags = long_run.get(algo, ["--steps", "10M"])
    proc = subprocess.Popen(
        [*ESRL, "train", algo, "--env", "CartPole-v1", *flags, "--out", str(out)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    saved = out / ("checkpoint.npz" if algo == "es" else "agent.pt")
    deadline = time.time() + 120
    while time.time() < deadline and not saved.exists():
        time.sleep(0.02)
    proc.kill()  # SIGKILL: no handler runs
    proc.wait()
    limit = ["--max-seconds", "2"] if algo == "es" else ["--steps", "500"]
    resumed = cli("train", algo, "--resume", str(out), *limit)
    assert resumed.returncode == 0, resumed.stderr


@pytest.mark.slow
def test_sigterm_stops_es_with_a_message_and_a_resumable_checkpoint(tmp_path):
    out = tmp_path / "es"
    proc = subprocess.Popen(
        [
            *ESRL,
            "train",
            "es",
            "--env",
            "Acrobot-v1",
            *NOISE,
            "--target-return",
            "inf",
            "--out",
            str(out),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    metrics = wait_for_first_record(out)
    proc.send_signal(signal.SIGTERM)
    stdout, stderr = proc.communicate(timeout=120)
    assert proc.returncode == 143, stderr
    assert stderr.splitlines()[-1] == "esrl: stopped by SIGTERM and saved (resume with --resume)"
    assert "stopped: SIGTERM after" in stdout
    generation = load_checkpoint(out / "checkpoint.npz")[1]["generation"]
    assert generation == read_metrics(metrics)[-1]["generation"] + 1
    resumed = cli("train", "es", "--resume", str(out), "--generations", str(generation + 1))
    assert resumed.returncode == 0, resumed.stderr


# --- 2. non-finite values ----------------------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize(
    ("algo", "flags"),
    [
        ("es", NOISE),
        ("a2c", ["--steps", "20000"]),
        ("dqn", ["--steps", "20000", "--learning-starts", "100"]),  # evaluates every 5000
    ],
)
def test_a_reward_turning_nan_stops_every_learner_with_one_line(tmp_path, algo, flags):
    out = tmp_path / algo
    result = run_cli_with_nan_envs(
        "train", algo, "--env", "esrl-test/NaNRewardCartPole-v0", *flags, "--out", str(out)
    )
    assert_clean_error(result, "non-finite")
    assert "nan" in result.stderr


def test_nan_observations_never_reach_the_saved_statistics(tmp_path):
    out = tmp_path / "obs"
    result = run_cli_with_nan_envs(
        "train", "es", "--env", "esrl-test/NaNObservationCartPole-v0", "--obs-norm", *NOISE,
        "--out", str(out),
    )  # fmt: skip
    assert_clean_error(result, "an observation became non-finite")
    arrays, _ = load_checkpoint(out / "checkpoint.npz")  # the one written at the start
    assert np.isfinite(arrays["obs_sum"]).all() and np.isfinite(arrays["params"]).all()


def _has_cuda() -> bool:
    import torch

    return torch.cuda.is_available()


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["es", "--learning-rate", "inf"], "--learning-rate must be a finite number"),
        (["es", "--l2-coeff", "nan"], "--l2-coeff must be a finite number"),
        (["es", "--max-seconds", "nan"], "--max-seconds must be a finite number"),
        (["es", "--generations", "infk"], "not a whole number"),
        (["a2c", "--steps", "infk"], "not a whole number"),
        (["a2c", "--entropy-coef", "nan"], "--entropy-coef must be a finite number"),
        (["dqn", "--learning-rate", "inf"], "--learning-rate must be a finite number"),
        (["es", "--noise-size", "10"], "smaller than the policy's 114 parameters"),
        (["a2c", "--env", "Pendulum-v1"], "discrete actions"),
        (["dqn", "--env", "Pendulum-v1"], "discrete actions"),
        (["es", "--env", "Blackjack-v1"], "'Blackjack-v1' has observation space Tuple"),
        (["es", "--backend", "process", "--workers", "100000"], "--workers must be at most"),
        pytest.param(
            ["es", "--env", "pong", "--frame-size", "1"],
            "too small for the CNN",
            marks=pytest.mark.slow,  # builds the emulator to measure the frame
        ),
        (["es", "--env", "pong", "--frame-skip", "100000"], "--frame-skip must be at most"),
        (["a2c", "--nenvs", "100M"], "--nenvs must be at most"),
        pytest.param(
            ["dqn", "--device", "cuda"],
            "--device cuda: torch sees no CUDA device",
            marks=pytest.mark.skipif(_has_cuda(), reason="this machine has a CUDA device"),
        ),
        pytest.param(
            ["es", "--env", "pong", "--device", "cuda"],
            "--device cuda: torch sees no CUDA device",
            marks=pytest.mark.skipif(_has_cuda(), reason="this machine has a CUDA device"),
        ),
        (["es", "--device", "cuda"], "--device cuda is for Atari networks"),
        (["a2c", "--device", "gpu"], "invalid choice: 'gpu'"),
        (["dqn", "--threads", "100000"], "--threads must be at most"),
    ],
)
def test_bad_values_are_refused_before_a_run_directory_exists(tmp_path, args, fragment):
    out = tmp_path / "new"
    algo, *flags = args
    assert_clean_error(cli("train", algo, *flags, "--out", str(out)), fragment)
    assert not out.exists()


@pytest.mark.slow
def test_a_replay_memory_larger_than_ram_is_one_line(tmp_path):
    result = cli("train", "dqn", "--replay-size", "100G", "--out", str(tmp_path / "r"))
    assert_clean_error(result, "not enough memory")


def test_eval_refuses_a_negative_seed(small_run):
    assert_clean_error(cli("eval", str(small_run), "--seed", "-1"), "--seed must be >= 0")


# --- 3. the noise table ------------------------------------------------------------


def test_a_noise_directory_without_room_is_one_line_and_no_partial_file(tmp_path, tmpfs):
    small = tmpfs("1m")
    out = tmp_path / "run"
    result = subprocess.run(
        [sys.executable, "-m", "esrl", "train", "es", "--env", "CartPole-v1", "--out", str(out)],
        capture_output=True,
        text=True,
        env={**os.environ, "ESRL_NOISE_DIR": str(small)},
        timeout=120,
    )
    assert_clean_error(result, "no room for the 128 MiB noise table")
    assert not list(small.glob("*.f32*")) and not out.exists()


def test_the_table_falls_back_to_a_place_with_room_and_says_so(
    tmp_path, tmpfs, monkeypatch, capsys
):
    from esrl.es import noise

    small, roomy = tmpfs("1m"), tmp_path / "roomy"
    monkeypatch.setattr(noise, "_candidates", lambda: [small, roomy])
    table = noise.NoiseTable.shared(seed=3, size=2**19)  # 2 MiB
    assert np.array_equal(table.table, noise.NoiseTable.in_memory(3, 2**19).table)
    assert list(roomy.glob("*.f32")) and not list(small.glob("*.f32*"))
    assert f"{small} has no room" in capsys.readouterr().err


def test_partial_tables_of_killed_writers_are_removed(tmp_path):
    from esrl.es.noise import NoiseTable

    orphan = tmp_path / "esrl-noise-seed1-size4096.f32.999999999.tmp"  # no such PID
    orphan.write_bytes(b"\0" * 100)
    NoiseTable.shared(seed=2, size=1024, directory=tmp_path)
    assert not orphan.exists()


# --- 4. names ----------------------------------------------------------------------


def test_a_registered_gymnasium_id_means_that_env_and_a_plain_name_says_which(capsys):
    assert game_name("Blackjack-v1") is None  # gymnasium's card game
    assert game_name("ALE/Blackjack-v5") == "blackjack"
    assert game_name("blackjack") == "blackjack"
    assert "for gymnasium's env use --env Blackjack-v1" in capsys.readouterr().err
    assert game_name("pong") == "pong" and game_name("CartPole-v1") is None


# --- 5. tracebacks instead of one line ---------------------------------------------


def test_a_read_only_out_is_one_line(tmpfs):
    read_only = tmpfs("1m", read_only=True)
    result = cli("train", "es", "--env", "CartPole-v1", *NOISE, "--out", str(read_only / "r"))
    assert_clean_error(result, "cannot create run directory")


def test_a_full_disk_at_the_first_checkpoint_is_one_line_and_the_dir_stays_usable(tmpfs):
    full = tmpfs("256k")
    out = full / "run"
    big = ["--hidden", "256,256", "--generations", "1"]  # 68k params: no room for them
    result = cli("train", "es", "--env", "CartPole-v1", *NOISE, *big, "--out", str(out))
    assert_clean_error(result, "No space left on device")
    assert not list(out.glob("*.tmp")) and not list(out.glob(".*.tmp"))
    assert_clean_error(cli("train", "es", "--resume", str(out)), "--out")
    retry = cli(
        "train", "es", "--env", "CartPole-v1", *NOISE, "--generations", "1", "--out", str(out)
    )
    assert retry.returncode == 0, retry.stderr  # a small policy fits: the same --out works


@pytest.mark.parametrize(
    ("edit", "fragment"),
    [
        (lambda c: c["config"].update(population="64"), "--population must be an integer"),
        (lambda c: c["config"].update(sigma=None), "--sigma must be a number"),
        (lambda c: c["config"].update(hidden=["a"]), "--hidden must be a list of integers"),
        (lambda c: c["config"].update(env=5), "--env must be a string"),
        (lambda c: c.update(config=[1, 2]), "is corrupt"),
    ],
)
def test_a_hand_edited_config_is_one_line_and_changes_nothing(small_run, tmp_path, edit, fragment):
    run = tmp_path / "edited"
    run.mkdir()
    for name in ("config.json", "checkpoint.npz", "metrics.jsonl"):
        (run / name).write_bytes((small_run / name).read_bytes())
    payload = json.loads((run / "config.json").read_text())
    edit(payload)
    (run / "config.json").write_text(json.dumps(payload))
    before = snapshot(run)
    assert_clean_error(cli("train", "es", "--resume", str(run), "--generations", "5"), fragment)
    assert snapshot(run) == before


def test_config_bytes_that_are_not_utf8_are_one_line(small_run, tmp_path):
    run = tmp_path / "bytes"
    run.mkdir()
    (run / "checkpoint.npz").write_bytes((small_run / "checkpoint.npz").read_bytes())
    (run / "config.json").write_bytes(b'{"algo": "es", "config": {"env": "\xff\xfe"}}')
    for command in (["train", "es", "--resume"], ["eval"]):
        assert_clean_error(cli(*command, str(run)), "corrupt")


def test_a_checkpoint_missing_a_key_is_one_line(small_run, tmp_path):
    run = tmp_path / "missing"
    run.mkdir()
    (run / "config.json").write_text((small_run / "config.json").read_text())
    arrays, meta = load_checkpoint(small_run / "checkpoint.npz")
    del arrays["opt_m"]
    from esrl.runs import save_checkpoint

    save_checkpoint(run / "checkpoint.npz", arrays, meta)
    before = snapshot(run)
    result = cli("train", "es", "--resume", str(run), "--generations", "5")
    assert_clean_error(result, "lacks 'opt_m'")
    assert snapshot(run) == before


def test_video_paths_are_checked_before_playing(small_run, tmpfs):
    read_only = tmpfs("1m", read_only=True)
    no_suffix = cli("eval", str(small_run), "--video", str(small_run.parent / "clip"))
    assert_clean_error(no_suffix, "--video needs a file name ending in .mp4")
    assert_clean_error(
        cli("eval", str(small_run), "--video", str(read_only / "a.mp4")), "cannot write"
    )


# --- 6. leftovers ------------------------------------------------------------------


def test_one_driver_per_run_directory_and_stale_temp_files_go(small_run, tmp_path):
    run = tmp_path / "locked"
    run.mkdir()
    for name in ("config.json", "checkpoint.npz", "metrics.jsonl"):
        (run / name).write_bytes((small_run / name).read_bytes())
    stale = run / ".checkpoint.npz.999999999.tmp"
    stale.write_bytes(b"torn")
    holder = subprocess.Popen(
        [sys.executable, "-c", "import fcntl, os, sys, time; f = os.open(sys.argv[1], os.O_RDONLY);"
         " fcntl.flock(f, fcntl.LOCK_EX); print('held', flush=True); time.sleep(60)",
         str(run)],
        stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert holder.stdout.readline().strip() == "held"
        busy = cli("train", "es", "--resume", str(run), "--generations", "3")
        assert_clean_error(busy, "in use by another esrl process")
        assert stale.exists()  # nothing touched while another driver holds it
    finally:
        holder.kill()
        holder.wait()
    resumed = cli("train", "es", "--resume", str(run), "--generations", "3")
    assert resumed.returncode == 0, resumed.stderr
    assert not stale.exists()


def test_video_of_a_classic_control_env_prints_no_display_warning(small_run, tmp_path):
    result = subprocess.run(
        [*ESRL, "eval", str(small_run), "--episodes", "1", "--video", str(tmp_path / "v.mp4")],
        capture_output=True,
        text=True,
        env={
            k: v for k, v in os.environ.items() if k not in ("XDG_RUNTIME_DIR", "SDL_VIDEODRIVER")
        },
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert "XDG_RUNTIME_DIR" not in result.stderr
    assert (tmp_path / "v.mp4").stat().st_size > 0


@pytest.mark.slow
def test_ctrl_c_on_the_process_group_saves_and_exits_130(tmp_path):
    out = tmp_path / "ctrl_c"
    process = ["--backend", "process", "--workers", "2", "--target-return", "inf"]
    proc = subprocess.Popen(
        [*ESRL, "train", "es", "--env", "Acrobot-v1", *process, *NOISE, "--out", str(out)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # its own process group, as a terminal gives it
    )
    metrics = wait_for_first_record(out)
    os.killpg(proc.pid, signal.SIGINT)  # what Ctrl-C does: the driver and its workers
    _, stderr = proc.communicate(timeout=120)
    assert proc.returncode == 130, stderr
    assert "Traceback" not in stderr
    assert stderr.splitlines()[-1] == "esrl: stopped by SIGINT and saved (resume with --resume)"
    generation = load_checkpoint(out / "checkpoint.npz")[1]["generation"]
    assert generation == read_metrics(metrics)[-1]["generation"] + 1
