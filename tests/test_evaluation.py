import numpy as np

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


def test_gather_puts_every_return_back_in_its_pair():
    indices = np.arange(5)
    tasks = plan_generation(0, indices, pairs_per_task=2, eval_episodes=2)

    class Fake:  # results that encode (pair, sign) in the return
        def __init__(self, task):
            pair = np.r_[task.indices]
            self.task_id = task.task_id
            self.returns = pair * 10.0 + task.signs
            self.lengths = np.ones(len(pair), np.int64)
            from esrl.es.observation_stats import ObservationStats

            self.obs_stats = ObservationStats.zeros((1,))
            self.executed_steps = 3

    result = gather(tasks, [Fake(t) for t in tasks])
    np.testing.assert_array_equal(result.returns[:, 0], indices * 10 + 1)
    np.testing.assert_array_equal(result.returns[:, 1], indices * 10 - 1)
    assert len(result.eval_returns) == 2 and result.env_steps == 12
    assert result.executed_steps == 3 * len(tasks)


def test_same_task_gives_the_same_episodes_and_other_tasks_differ():
    config = ESConfig(noise_size=SMALL_NOISE, obs_norm=True)
    evaluator = Evaluator(config, NoiseTable.shared(config.seed, config.noise_size))
    params = evaluator.policy.init_params(np.random.default_rng(0))
    tasks = plan_generation(0, np.arange(6) * 7, pairs_per_task=3, eval_episodes=2)
    a = evaluator.evaluate(params, None, tasks[0])
    b = evaluator.evaluate(params, None, tasks[0])
    c = evaluator.evaluate(params, None, tasks[1])
    np.testing.assert_array_equal(a.returns, b.returns)
    assert a.obs_stats.count == a.lengths.sum()  # every observation seen is counted once
    assert a.executed_steps == a.lengths.max() * len(a.lengths)
    assert not np.array_equal(a.returns, c.returns)
    assert np.all(a.lengths >= 1) and np.all(a.returns == a.lengths)  # CartPole: +1 per step


def test_mean_evaluation_splits_episodes_into_fixed_tasks():
    tasks = plan_mean_evaluation(0, episodes=120, per_task=50, stream=2)
    assert [len(t.indices) for t in tasks] == [50, 50, 20]
    assert all(not t.signs.any() for t in tasks)
