import dataclasses

import numpy as np
import pytest

from esrl.es.config import ESConfig
from esrl.es.evaluation import Evaluator, gather, plan_generation, plan_mean_evaluation
from esrl.es.noise import NoiseTable

from .conftest import SMALL_NOISE


def test_generation_layout_depends_on_config_only():
    indices = np.arange(10) * 100
    tasks = plan_generation(3, indices, pairs_per_task=4, eval_episodes=5)
    assert [len(t.indices) for t in tasks] == [2 * 4 + 2, 2 * 4 + 2, 2 * 2 + 1]
    assert sum(int((t.signs == 0).sum()) for t in tasks) == 5
    first = tasks[0]
    np.testing.assert_array_equal(first.indices[:4], first.indices[4:8])  # antithetic twins
    np.testing.assert_array_equal(first.signs[:8], [1] * 4 + [-1] * 4)
    np.testing.assert_array_equal(first.episodes, [0, 1, 2, 3, 0, 1, 2, 3, 10, 11])
    assert sorted(np.concatenate([t.episodes[t.signs == 0] for t in tasks])) == list(range(10, 15))


def test_gather_puts_every_return_back_in_its_pair():
    indices = np.arange(5)
    tasks = plan_generation(0, indices, pairs_per_task=2, eval_episodes=2)

    class Fake:  # results that encode (pair, sign) in the return
        def __init__(self, task):
            pair = np.r_[task.indices]
            self.task_id = task.task_id
            self.returns = pair * 10.0 + task.signs
            self.lengths = np.ones(len(pair), np.int64)
            self.obs_sum = self.obs_sumsq = np.ones((len(pair), 1))
            self.obs_count = len(pair)
            self.executed_steps = 3

    result = gather(tasks, [Fake(t) for t in tasks])
    np.testing.assert_array_equal(result.returns[:, 0], indices * 10 + 1)
    np.testing.assert_array_equal(result.returns[:, 1], indices * 10 - 1)
    assert len(result.eval_returns) == 2 and result.env_steps == 12
    assert result.executed_steps == 3 * len(tasks)
    assert result.obs_stats.sum[0] == result.obs_stats.count == 12


def test_same_task_gives_the_same_episodes_and_other_tasks_differ():
    config = ESConfig(noise_size=SMALL_NOISE, obs_norm=True)
    evaluator = Evaluator(config, NoiseTable.shared(config.seed, config.noise_size))
    params = evaluator.policy.init_params(np.random.default_rng(0))
    tasks = plan_generation(0, np.arange(6) * 7, pairs_per_task=3, eval_episodes=2)
    a = evaluator.evaluate(params, None, tasks[0])
    b = evaluator.evaluate(params, None, tasks[0])
    c = evaluator.evaluate(params, None, tasks[1])
    np.testing.assert_array_equal(a.returns, b.returns)
    assert a.obs_count == a.lengths.sum()  # every observation seen is counted once
    assert a.obs_sum.shape == (len(a.lengths), 4)
    # CartPole: a slot per member, every slot steps until the longest episode ends
    assert a.executed_steps == a.lengths.max() * len(a.lengths)
    assert not np.array_equal(a.returns, c.returns)
    assert np.all(a.lengths >= 1) and np.all(a.returns == a.lengths)  # CartPole: +1 per step


def test_mean_evaluation_splits_episodes_into_fixed_tasks():
    tasks = plan_mean_evaluation(0, episodes=120, per_task=50, stream=2)
    assert [len(t.indices) for t in tasks] == [50, 50, 20]
    assert all(not t.signs.any() for t in tasks)


def _generation(config: ESConfig, pairs_per_task: int):
    evaluator = Evaluator(config, NoiseTable.shared(config.seed, config.noise_size))
    params = evaluator.policy.init_params(np.random.default_rng(0))
    obs_norm = (np.full(evaluator.stats_shape, 0.1, np.float32),) * 2 if config.obs_norm else None
    indices = np.arange(config.pairs) * 11
    tasks = plan_generation(4, indices, pairs_per_task, config.eval_episodes)
    try:
        return gather(tasks, [evaluator.evaluate(params, obs_norm, t) for t in tasks])
    finally:
        evaluator.close()


LAYOUT_CASES = [
    ("CartPole-v1", "gymnasium"),  # gymnasium's numpy vector env, slots refilled
    ("Acrobot-v1", "gymnasium"),  # gymnasium.make envs (every episode hits the cap here)
    ("Acrobot-v1", "envpool"),
    ("Hopper-v5", "envpool"),
    ("Hopper-v5", "gymnasium"),
]


@pytest.mark.slow
@pytest.mark.parametrize(("env", "engine"), LAYOUT_CASES)
def test_a_generation_is_the_same_however_it_is_split(env, engine):
    """Each member's episode depends on (seed, generation, episode) only: one task, a task
    per pair and uneven tasks give the same returns, lengths and observation sums, bit for
    bit, which is what makes every backend and worker count agree."""
    config = ESConfig(
        env=env,
        engine=engine,
        population=10,
        eval_episodes=3,
        action_noise=0.05,
        obs_norm=True,
        noise_size=SMALL_NOISE,
        episode_steps=150,
    )
    whole = _generation(config, pairs_per_task=5)
    for per_task in (1, 2):
        split = _generation(config, pairs_per_task=per_task)
        for name in ("returns", "lengths", "eval_returns", "eval_lengths"):
            np.testing.assert_array_equal(getattr(split, name), getattr(whole, name))
        np.testing.assert_array_equal(split.obs_stats.sum, whole.obs_stats.sum)
        np.testing.assert_array_equal(split.obs_stats.sumsq, whole.obs_stats.sumsq)
        assert split.obs_stats.count == whole.obs_stats.count == whole.env_steps
    assert len(np.unique(whole.returns)) > 1 or env == "Acrobot-v1"  # episodes differ


@pytest.mark.parametrize("vector_slots", [4096, 64])
def test_cartpole_slots_play_the_episodes_gymnasium_make_plays(monkeypatch, vector_slots):
    """The numpy CartPole slots draw each start state as CartPoleEnv.reset(seed) does, so
    both gymnasium engines agree bit for bit: a slot per member, or refilled slots."""
    from esrl.envs import episodes
    from esrl.envs.episodes import CartPoleEngine, GymnasiumEngine

    monkeypatch.setattr(episodes, "MAX_VECTOR_SLOTS", vector_slots)

    weights = np.random.default_rng(1).standard_normal((150, 4))

    def act(members, obs):
        return (np.einsum("ij,ij->i", weights[members], obs) > 0).astype(np.int64)

    seeds = np.arange(1000, 1150)  # with 64 slots, more members than slots
    vector = CartPoleEngine("CartPole-v1").play(seeds, act, 500, track_obs=True)
    single = GymnasiumEngine("CartPole-v1").play(seeds, act, 500, track_obs=True)
    np.testing.assert_array_equal(vector.lengths, single.lengths)
    np.testing.assert_array_equal(vector.returns, single.returns)
    np.testing.assert_array_equal(vector.obs_sum, single.obs_sum)
    assert vector.lengths.min() < 50 < vector.lengths.max()


def test_engine_choice():
    from esrl.envs.episodes import choose_engine
    from esrl.errors import UserError

    assert choose_engine("CartPole-v1") == "gymnasium"
    assert choose_engine("HalfCheetah-v5") == "envpool"
    assert choose_engine("HalfCheetah-v5", "gymnasium") == "gymnasium"
    with pytest.raises(UserError, match="EnvPool has no environment"):
        choose_engine("LunarLander-v9", "envpool")


def test_mujoco_engines_agree_on_the_zero_policy():
    """EnvPool's MuJoCo tasks against gymnasium's on the same ids: the zero-action policy's
    returns (which depend only on dynamics, rewards and start noise) agree within noise."""
    config = ESConfig(env="HalfCheetah-v5", noise_size=SMALL_NOISE, episode_steps=200)
    returns = {}
    for engine in ("envpool", "gymnasium"):
        evaluator = Evaluator(dataclasses.replace(config, engine=engine), None)
        tasks = plan_mean_evaluation(0, episodes=8, per_task=8, stream=2)
        zero = np.zeros(evaluator.policy.num_params, np.float32)
        returns[engine] = evaluator.evaluate(zero, None, tasks[0]).returns
        evaluator.close()
    gap = abs(returns["envpool"].mean() - returns["gymnasium"].mean())
    spread = returns["gymnasium"].std() + returns["envpool"].std()
    assert gap <= 3 * spread + 1e-6, returns


@pytest.mark.parametrize("engine_name", ["gymnasium", "envpool"])
def test_finished_members_free_their_slot_for_the_next(monkeypatch, engine_name):
    """Every slot stays busy until no member is left to start, and only playing members act."""
    from esrl.envs import episodes

    monkeypatch.setattr(episodes, "MAX_SLOTS", 4)
    engine = episodes.make_engine("Acrobot-v1", engine_name, threads=1)
    rng = np.random.default_rng(0)
    batches = []

    def act(members, obs):
        batches.append(len(members))
        return rng.integers(0, 3, len(members))

    played = engine.play(np.arange(20), act, cap=40 + 0, track_obs=False)
    engine.close()
    assert sum(batches) == played.lengths.sum() == 20 * 40  # every action is a member's step
    assert played.executed >= played.lengths.sum()
    if engine_name == "gymnasium":
        assert played.executed == played.lengths.sum()  # no env steps a finished episode
        busy_until = (20 - 4) * 40 // 4  # 16 members queue behind 4 slots of 40-step episodes
        assert batches[:busy_until] == [4] * busy_until
        assert max(batches) == 4
