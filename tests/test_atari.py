"""The Atari pipeline: constructors, game-score accounting, pixel policies, ES on Pong."""

import dataclasses
import json

import numpy as np
import pytest

import esrl
from esrl.envs.atari import (
    AtariProtocol,
    channels_last,
    game_name,
    make_atari,
    make_pong,
    nature_dqn_env,
    play_atari_games,
)
from esrl.errors import UserError
from esrl.es.evaluation import ATARI_NOOP_MAX, StickyActions, noop_starts, plan_generation
from esrl.es.policies.conv import ConvPolicy

from .conftest import cli, tiny_pong


@pytest.mark.slow
def test_every_constructor_gives_its_documented_shape_and_dtype():
    single = make_pong()
    obs, _ = single.reset(seed=0)
    assert obs.shape == (4, 42, 42) and obs.dtype == np.uint8
    obs, reward, *_ = single.step(single.action_space.sample())
    assert obs.shape == (4, 42, 42) and isinstance(reward, float)
    single.close()

    batch = make_pong(3)
    obs, _ = batch.reset(seed=0)
    assert obs.shape == (3, 4, 42, 42) and obs.dtype == np.uint8
    batch.close()

    breakout = make_atari("Breakout", 2, size=84)
    assert breakout.reset(seed=0)[0].shape == (2, 4, 84, 84)
    breakout.close()

    env = nature_dqn_env("SpaceInvadersNoFrameskip-v4", nenvs=8)
    obs, _ = env.reset(seed=0)
    assert obs.shape == (8, 84, 84, 4) and obs.dtype == np.uint8  # the A2C notebook's asserts
    obs, *_ = env.step(np.zeros(8, np.int64))
    assert obs.shape == (8, 84, 84, 4) and obs.dtype == np.uint8
    assert env.observation_space.shape == (8, 84, 84, 4)
    env.close()


def test_channels_last_copy_is_the_transposed_stack():
    frames = np.random.default_rng(0).integers(0, 256, (3, 4, 5, 7), dtype=np.uint8)
    out = channels_last(frames)
    assert out.shape == (3, 5, 7, 4) and out.flags.c_contiguous
    np.testing.assert_array_equal(out, frames.transpose(0, 2, 3, 1))


@pytest.mark.parametrize("env_id", ["pong", "Pong", "PongNoFrameskip-v4", "ALE/Pong-v5"])
def test_game_ids_in_every_style_name_the_same_rom(env_id):
    assert game_name(env_id) == "pong"


def test_non_atari_ids_are_left_alone_and_unknown_games_are_refused():
    assert game_name("CartPole-v1") is None
    assert game_name("MsPacmanNoFrameskip-v4") == "ms_pacman"
    with pytest.raises(UserError, match=r"ale_py\.roms"):
        game_name("ALE/NotAGame-v5")
    result = cli("train", "es", "--env", "NotAGameNoFrameskip-v4")
    assert result.returncode == 2 and result.stderr.count("\n") == 1
    assert "ale_py.roms" in result.stderr


@pytest.mark.slow
@pytest.mark.parametrize("same_step_reset", [False, True])
def test_game_scores_count_whole_games_while_training_sees_lives_and_clipped_rewards(
    same_step_reset,
):
    env = make_atari(
        "Breakout", 4, life_loss_terminal=True, clip_rewards=True, same_step_reset=same_step_reset
    )
    env.reset(seed=0)
    rng = np.random.default_rng(0)
    raw_sum, clipped_seen, terminals, games = np.zeros(4), set(), 0, []
    for _ in range(2500):
        _, reward, terminated, _, info = env.step(rng.integers(0, env.num_actions, 4))
        clipped_seen |= set(np.unique(reward).tolist())
        raw_sum += info["raw_reward"]
        terminals += int(terminated.sum())
        for k in np.flatnonzero(info["game_over"]):
            games.append((info["game_score"][k], raw_sum[k]))
            raw_sum[k] = 0.0
        assert np.isnan(info["game_score"][~info["game_over"]]).all()
    env.close()
    assert len(games) >= 8
    assert all(score == total for score, total in games)  # every point of every life
    assert clipped_seen <= {-1.0, 0.0, 1.0}
    assert terminals >= 4 * len(games)  # Breakout has 5 lives: a terminal for each
    assert max(score for score, _ in games) > 1  # raw, unclipped scores


@pytest.mark.slow
def test_without_life_loss_terminals_an_episode_is_a_whole_game():
    env = make_atari("Breakout", 2)
    env.reset(seed=0)
    rng = np.random.default_rng(1)
    for _ in range(1500):
        _, _, terminated, _, info = env.step(rng.integers(0, env.num_actions, 2))
        assert np.array_equal(terminated, info["game_over"])
    env.close()


@pytest.mark.parametrize("arch", ["cnn", "dense"])
def test_batched_members_act_as_each_member_would_alone(arch):
    rng = np.random.default_rng(0)
    frame_norm = (
        rng.uniform(0, 1, (4, 42, 42)).astype(np.float32),
        rng.uniform(1, 10, (4, 42, 42)).astype(np.float32),
    )
    policy = ConvPolicy((4, 42, 42), 6, arch, frame_norm)
    params = policy.init_params(rng)
    rows = params + 0.5 * rng.standard_normal((5, policy.num_params)).astype(np.float32)
    obs = rng.integers(0, 256, (5, 4, 42, 42), dtype=np.uint8)
    prepared = policy.prepare(rows)
    batched = policy.logits(prepared, obs)
    alone = np.concatenate(
        [policy.member_logits(rows[m], obs[m : m + 1], *frame_norm) for m in range(5)]
    )
    np.testing.assert_allclose(batched, alone, rtol=1e-4, atol=1e-5)
    np.testing.assert_array_equal(policy.act(prepared, obs), alone.argmax(axis=1))
    assert len(set(alone.argmax(axis=1))) > 1  # members really differ
    tail = policy.prepare_slice(prepared, slice(2, 5))
    np.testing.assert_allclose(policy.logits(tail, obs[2:]), batched[2:], rtol=1e-5, atol=1e-6)


def _keys(task):
    return [(0, task.generation, task.stream, int(e)) for e in task.episodes]


def test_both_members_of_an_antithetic_pair_start_from_the_same_no_ops():
    task = plan_generation(0, np.arange(6), pairs_per_task=6, eval_episodes=2)[0]
    noops = noop_starts(_keys(task))
    plus, minus = noops[task.signs == 1], noops[task.signs == -1]
    np.testing.assert_array_equal(plus, minus)
    assert len(set(plus.tolist())) > 1  # pairs differ from one another
    assert noops.min() >= 0 and noops.max() <= ATARI_NOOP_MAX


def test_sticky_training_actions_repeat_with_p_and_pairs_share_the_draws():
    task = plan_generation(0, np.arange(40), pairs_per_task=40, eval_episodes=0)[0]
    members = len(task.signs)
    sticky = StickyActions(0.25, _keys(task))
    halves = (np.arange(members // 2), np.arange(members // 2, members))
    kept = []
    rng = np.random.default_rng(1)
    for _ in range(200):
        got_both = []
        for ids in halves:  # as the evaluator asks: one half, then the other
            before = sticky.previous[ids].copy()
            wanted = rng.integers(1, 6, len(ids))  # never NOOP, never the previous action
            wanted = np.where(wanted == before, wanted % 5 + 1, wanted)
            got = sticky.apply(ids, wanted)
            assert np.all((got == before) | (got == wanted))
            kept.append(got == before)
            got_both.append(got == before)
        np.testing.assert_array_equal(*got_both)  # + and - member of each pair: same draws
    assert 0.2 < np.mean(kept) < 0.3
    never = StickyActions(0.0, _keys(task))
    assert np.all(never.apply(halves[0], np.ones(members // 2, np.int64)) == 1)


@pytest.mark.slow
def test_es_on_pong_runs_end_to_end_and_matches_across_backends_and_layouts(tmp_path):
    """With sticky and noisy training actions: their draws belong to the episode."""
    config = tiny_pong(sticky_actions=0.25, action_noise=0.5, pairs_per_task=2)
    serial = esrl.train_es(config, tmp_path / "serial", log=lambda s: None)
    records = [
        json.loads(x) for x in (tmp_path / "serial" / "metrics.jsonl").read_text().splitlines()
    ]
    assert [r["generation"] for r in records] == [0, 1]
    assert all(-21 <= r["return_min"] <= r["return_max"] <= 21 for r in records)
    assert records[-1]["env_steps"] > 0
    # two workers: one pair per task, where serial plays both pairs in one task
    process = esrl.train_es(
        dataclasses.replace(config, backend="process", workers=2),
        tmp_path / "process",
        log=lambda s: None,
    )
    np.testing.assert_array_equal(
        esrl.load_params(process.run_dir), esrl.load_params(serial.run_dir)
    )


@pytest.mark.slow
def test_eval_of_a_pong_run_plays_full_games_and_records_the_color_screen(tmp_path):
    out = tmp_path / "run"
    config = tiny_pong(generations=1)
    esrl.train_es(config, out, log=lambda s: None)
    video = tmp_path / "pong.mp4"
    result = cli("eval", str(out), "--episodes", "1", "--video", str(video))
    assert result.returncode == 0, result.stderr
    import imageio.v2 as imageio

    reader = imageio.get_reader(video)
    frame = reader.get_data(10)
    assert frame.shape == (420, 320, 3)  # 210x160 color screen, doubled
    # a whole game (the quickest, 21-0, lasts ~3,050 emulator frames), not the
    # training cap (60 steps); one video frame per step
    assert (
        reader.count_frames() * config.frame_skip > 2_800 > config.episode_steps * config.frame_skip
    )
    assert "protocol: sticky actions 0.25, ALE no-op starts up to 30, whole games" in result.stdout
    last = result.stdout.strip().splitlines()[-1]
    assert last.startswith("mean return") and -21 <= float(last.split()[2]) <= 21
    # the video is the evaluated game: same seed, same protocol
    shown = next(line for line in result.stdout.splitlines() if line.startswith("video:"))
    assert float(shown.rsplit("score ", 1)[1].rstrip(")")) == float(last.split()[2])


@pytest.mark.slow
def test_protocol_sticky_actions_act_inside_the_emulator():
    """With sticky actions 1 the emulator repeats its first action forever: whatever the
    policy chooses, the games come out the same; with 0 the policy's actions count."""
    up = lambda obs: np.full(len(obs), 2)  # noqa: E731 - UP in Pong
    down = lambda obs: np.full(len(obs), 3)  # noqa: E731
    frames = dict(size=42, frameskip=8)
    stuck = AtariProtocol(sticky_actions=1.0, noop_max=0)
    assert np.array_equal(
        play_atari_games("pong", up, 2, 0, stuck, **frames),
        play_atari_games("pong", down, 2, 0, stuck, **frames),
    )
    free = AtariProtocol(sticky_actions=0.0, noop_max=0)
    scores = play_atari_games("pong", up, 2, 0, free, **frames)
    assert np.all((scores >= -21) & (scores <= 21))
    with pytest.raises(UserError, match="--sticky-actions must be in"):
        AtariProtocol(sticky_actions=1.5)
    assert str(AtariProtocol()) == ("sticky actions 0.25, ALE no-op starts up to 30, whole games")
