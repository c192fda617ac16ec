"""Configuration dataclasses: declared once, exposed on the CLI, saved with each run."""

import dataclasses
import functools
import inspect
import json
import math
import os
import types
import typing
from collections.abc import Callable
from pathlib import Path
from typing import Any

from esrl.errors import UserError


def opt(
    default: Any,
    help: str,
    *,
    choices: tuple[str, ...] | None = None,
    resumable: bool = False,
    infinite: bool = False,
):
    """A config field with its CLI help.

    `resumable` fields (backend, workers, stop conditions) may change when a run is
    resumed: they decide where and how long a run goes, not what it computes.
    `infinite` float fields may be +-inf (a target never reached); NaN never passes.
    """
    meta = {"help": help, "choices": choices, "resumable": resumable, "infinite": infinite}
    if isinstance(default, list | dict | tuple):
        return dataclasses.field(default_factory=lambda: default, metadata=meta)
    return dataclasses.field(default=default, metadata=meta)


def apply_presets(preset_for: Callable[[str], dict[str, Any]]):
    """Class decorator for a config dataclass with an `env` field: the constructor starts
    from `preset_for(env)` and puts the fields it was given on top.

    The CLI builds configs from the flags given, so a preset applies identically from
    Python and from the command line; `dataclasses.replace` and saved configs pass
    every field, so nothing is re-applied to them.
    """

    def decorate(cls: type) -> type:
        init = cls.__init__
        signature = inspect.signature(init)
        env_default = signature.parameters["env"].default

        @functools.wraps(init)
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            given = signature.bind(self, *args, **kwargs).arguments
            given.pop("self")
            init(self, **{**preset_for(given.get("env", env_default)), **given})

        cls.__init__ = __init__
        return cls

    return decorate


def check_fields(config: Any) -> None:
    """Raise UserError for a field whose value has the wrong type or is not finite.

    Configs come from flags, Python and saved JSON alike; this is the one check that a
    value is what its annotation says, so a hand-edited config.json or `lr=float("inf")`
    fails here in one line rather than deep inside training.
    """
    for field in dataclasses.fields(config):
        kind, optional = field_type(type(config), field.name)
        value = getattr(config, field.name)
        flag = "--" + field.name.replace("_", "-")
        if value is None and optional:
            continue
        if kind is float:
            ok = isinstance(value, int | float) and not isinstance(value, bool)
            if ok and (
                math.isnan(value) or (math.isinf(value) and not field.metadata.get("infinite"))
            ):
                raise UserError(f"{flag} must be a finite number, got {value}")
        elif kind is int:
            ok = isinstance(value, int) and not isinstance(value, bool)
        elif kind == tuple[int, ...]:
            ok = isinstance(value, tuple) and all(
                isinstance(v, int) and not isinstance(v, bool) for v in value
            )
        else:
            ok = isinstance(value, kind)
        if not ok:
            raise UserError(f"{flag} must be {_KIND_NAMES.get(kind, kind)}, got {value!r}")
        choices = field.metadata.get("choices")
        if choices and value not in choices:
            raise UserError(f"{flag} must be one of {', '.join(choices)}, got {value!r}")


def check_ranges(
    config: Any,
    positive: tuple[str, ...] = (),
    nonnegative: tuple[str, ...] = (),
    unit: tuple[str, ...] = (),
    hidden: str = "",
) -> None:
    """UserError for the first named field out of its range: > 0, >= 0 or in [0, 1];
    `hidden`: a field of layer sizes, each positive."""
    rules = (
        (positive, lambda v: v > 0, "positive"),
        (nonnegative, lambda v: v >= 0, ">= 0"),
        (unit, lambda v: 0 <= v <= 1, "in [0, 1]"),
    )
    for names, ok, words in rules:
        for name in names:
            value = getattr(config, name)
            if not ok(value):
                raise UserError(f"--{name.replace('_', '-')} must be {words}, got {value}")
    if hidden and any(size <= 0 for size in getattr(config, hidden)):
        flag = "--" + hidden.replace("_", "-")
        raise UserError(f"{flag} needs positive layer sizes, got {getattr(config, hidden)}")


def check_device(device: str) -> None:
    """UserError for `--device cuda` where torch sees no GPU; torch loads only then."""
    if device == "cuda":
        from esrl.device import resolve_device

        resolve_device(device)


MAX_ENVS = 65_536  # envs side by side: far past any speed-up, short of exhausting memory
PER_CORE = 4  # threads or worker processes per core beyond which only switching grows


def check_at_most(flag: str, value: int, limit: int, why: str) -> None:
    """UserError unless value <= limit; `why` says what the limit protects."""
    if value > limit:
        raise UserError(f"{flag} must be at most {limit:,} ({why}), got {value:,}")


def check_per_core(flag: str, value: int) -> None:
    """Threads or processes: at most PER_CORE per core of this machine."""
    cores = os.cpu_count() or 1
    check_at_most(flag, value, PER_CORE * cores, f"{PER_CORE} per core, {cores} cores here")


_KIND_NAMES = {float: "a number", int: "an integer", str: "a string", bool: "true or false"}
_KIND_NAMES[tuple[int, ...]] = "a list of integers"


def to_dict(config: Any) -> dict[str, Any]:
    return {f.name: getattr(config, f.name) for f in dataclasses.fields(config)}


def from_dict(cls: type, data: dict[str, Any]) -> Any:
    """Build a config from saved JSON, coercing lists back to tuples; unknown keys are errors."""
    renamed = getattr(cls, "RENAMED", {})
    data = {renamed.get(key, key): value for key, value in data.items()}  # older spellings
    names = {f.name: f for f in dataclasses.fields(cls)}
    unknown = sorted(set(data) - set(names))
    if unknown:
        raise UserError(f"unknown config keys {unknown} for {cls.__name__}")
    kwargs = {}
    for key, value in data.items():
        kwargs[key] = tuple(value) if isinstance(value, list) else value
    if not isinstance(kwargs.get("env", ""), str):
        raise UserError(f"--env must be a string, got {kwargs['env']!r}")
    config = cls(**kwargs)
    check_fields(config)
    return config


def save_json(config: Any, path: Path) -> None:
    path.write_text(json.dumps(to_dict(config), indent=2) + "\n")


def field_type(cls: type, name: str) -> Any:
    """The field's annotation with Optional unwrapped: (type, optional?)."""
    hint = typing.get_type_hints(cls)[name]
    args = typing.get_args(hint)
    if isinstance(hint, types.UnionType) or typing.get_origin(hint) is typing.Union:
        non_none = [a for a in args if a is not type(None)]
        return non_none[0], True
    return hint, False


def with_resume_overrides(config: Any, overrides: dict[str, Any], where: Path) -> Any:
    """`config` with the `resumable` fields in `overrides` changed; changing any other
    field (e.g. the env) is an error, never a silent restart."""
    fields = {f.name: f for f in dataclasses.fields(config)}
    for name, value in overrides.items():
        if getattr(config, name) == value:
            continue
        if not fields[name].metadata.get("resumable"):
            raise UserError(
                f"{where} was trained with {name}={getattr(config, name)!r}; it cannot resume "
                f"with {name}={value!r} (start a new run with another --out)"
            )
        config = dataclasses.replace(config, **{name: value})
    return config
