"""Expose a config dataclass as command-line flags, and read back only what was given."""

import argparse
import dataclasses
import math
from typing import Any

from esrl.configs import field_type


def _parse_int_tuple(text: str) -> tuple[int, ...]:
    try:
        return tuple(int(part) for part in text.split(",") if part.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected comma-separated integers, got {text!r}"
        ) from None


_SUFFIXES = {"k": 1_000, "m": 1_000_000, "g": 1_000_000_000}


def parse_count(text: str) -> int:
    """An integer, optionally with a K/M/G suffix: '10M' -> 10_000_000, '2.5k' -> 2_500."""
    stripped = text.strip().replace("_", "")
    scale = _SUFFIXES.get(stripped[-1:].lower(), 1)
    number = stripped[:-1] if scale > 1 else stripped
    try:
        value = float(number) * scale if scale > 1 else int(number)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected an integer such as 500 or 10M, got {text!r}"
        ) from None
    if not math.isfinite(value) or value != int(value):
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number")
    return int(value)


def add_config_arguments(parser: argparse.ArgumentParser, cls: type) -> None:
    """One flag per field (`learning_rate` -> `--learning-rate`); defaults are not filled in,
    so that `given_values` can tell what the user actually asked for. A field renamed
    in `cls.RENAMED` keeps its old flag as an alias."""
    aliases: dict[str, list[str]] = {}
    for old, new in getattr(cls, "RENAMED", {}).items():
        aliases.setdefault(new, []).append("--" + old.replace("_", "-"))
    for field in dataclasses.fields(cls):
        kind, _ = field_type(cls, field.name)
        default = (
            field.default if field.default is not dataclasses.MISSING else field.default_factory()
        )
        flags = ["--" + field.name.replace("_", "-"), *aliases.get(field.name, [])]
        help_text = f"{field.metadata.get('help', '')} (default: {default})"
        kwargs: dict[str, Any] = {
            "default": argparse.SUPPRESS,
            "help": help_text,
            "dest": field.name,
        }
        if kind is bool:
            parser.add_argument(*flags, action=argparse.BooleanOptionalAction, **kwargs)
            continue
        if kind == tuple[int, ...]:
            kwargs["type"] = _parse_int_tuple
        elif kind is int:
            kwargs["type"] = parse_count
        elif kind in (float, str):
            kwargs["type"] = kind
        if field.metadata.get("choices"):
            kwargs["choices"] = field.metadata["choices"]
        else:
            kwargs["metavar"] = {int: "N", float: "X", str: "NAME"}.get(kind, "N,N")
        parser.add_argument(*flags, **kwargs)


def given_values(args: argparse.Namespace, cls: type) -> dict[str, Any]:
    names = {f.name for f in dataclasses.fields(cls)}
    return {k: v for k, v in vars(args).items() if k in names}
