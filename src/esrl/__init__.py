"""esrl: Evolution Strategies for reinforcement learning.

Heavy modules load on first use, so `import esrl` and the CLI start fast.
Importing esrl changes nothing outside it: no environment variable, no thread count.
"""

__version__ = "0.1.0"

__all__ = ["ESConfig", "export_policy", "load_params", "load_policy", "resume_es", "train_es"]


def __getattr__(name: str):
    if name == "ESConfig":
        from esrl.es.config import ESConfig

        return ESConfig
    if name in ("train_es", "resume_es"):
        from esrl.es import trainer

        return getattr(trainer, name)
    if name == "load_params":
        from esrl.es import saved

        return saved.load_params
    if name in ("load_policy", "export_policy"):
        from esrl import policy

        return getattr(policy, name)
    raise AttributeError(f"module 'esrl' has no attribute {name!r}")
