"""`--device cuda` (A2C, DQN, the ES Atari CNN): learning on the GPU, and runs that
move between GPU and CPU. Skipped where torch sees no CUDA device."""

import json

import numpy as np
import pytest
import torch

import esrl
from esrl.a2c.trainer import train_a2c
from esrl.device import resolve_device
from esrl.dqn.trainer import train_dqn
from esrl.es.policies.conv import ConvPolicy

from .test_a2c import _cartpole
from .test_dqn import _small_cartpole

pytestmark = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")

PROBE = np.random.default_rng(0).normal(size=(256, 4)).astype(np.float32)


def _outputs_on(run, device: str) -> np.ndarray:
    """The saved network's outputs (logits or Q-values) on PROBE, loaded onto `device`."""
    saved = json.loads((run / "config.json").read_text())
    saved["config"]["device"] = device
    (run / "config.json").write_text(json.dumps(saved))
    policy = esrl.load_policy(run)
    network = policy.agent.online if hasattr(policy, "agent") else policy.policy.model
    assert next(network.parameters()).device.type == device
    with torch.no_grad():
        out = network(PROBE)
    return (out[0] if isinstance(out, tuple) else out).cpu().numpy()


def _plays_alike_on_cpu(run) -> None:
    on_gpu, on_cpu = _outputs_on(run, "cuda"), _outputs_on(run, "cpu")
    np.testing.assert_allclose(on_cpu, on_gpu, rtol=1e-3, atol=1e-3 * np.abs(on_cpu).max())


def test_auto_picks_the_gpu():
    assert resolve_device("auto").type == "cuda"


@pytest.mark.slow
def test_a2c_learns_cartpole_on_cuda_and_its_run_plays_on_the_cpu(tmp_path):
    config = _cartpole(device="cuda")  # the CPU learning test, on the GPU
    lines: list[str] = []
    result = train_a2c(config, tmp_path / "run", log=lines.append)
    assert "on cuda" in lines[0]
    assert result.scores["score_mean100"] >= 120  # random play: about 22
    _plays_alike_on_cpu(result.run_dir)


@pytest.mark.slow
@pytest.mark.parametrize("pipeline", [False, True])
def test_dqn_learns_cartpole_on_cuda_and_its_run_plays_on_the_cpu(tmp_path, pipeline):
    config = _small_cartpole(steps=15_000, pipeline=pipeline, device="cuda")
    lines: list[str] = []
    result = train_dqn(config, tmp_path / "run", log=lines.append)
    assert "on cuda" in lines[0]
    assert result.scores["eval_score"] >= 150  # random play: about 22
    _plays_alike_on_cpu(result.run_dir)


@pytest.mark.parametrize("arch", ["cnn", "dense"])
def test_es_atari_network_gives_the_cpus_logits_on_cuda(arch):
    shape, members = (4, 42, 42), 16
    on_cpu = ConvPolicy(shape, 6, arch)
    on_gpu = ConvPolicy(shape, 6, arch, device="cuda")
    rng = np.random.default_rng(0)
    params = np.stack([on_cpu.init_params(rng) for _ in range(members)])
    params[:, -6:] += rng.normal(size=(members, 6)).astype(np.float32)  # biases: spread logits
    frames = rng.integers(0, 256, (members, *shape), dtype=np.uint8)
    expected = on_cpu.logits(on_cpu.prepare(params), frames)
    got = on_gpu.logits(on_gpu.prepare(params), frames)
    np.testing.assert_allclose(got, expected, rtol=1e-3, atol=1e-3 * np.abs(expected).max())
