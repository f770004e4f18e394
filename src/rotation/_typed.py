"""Build frozen dataclasses from plain mappings (parsed YAML), checking keys and types.

Every problem raises ``ConfigError`` with the dotted key path (``costs.fees``) and, for an
unknown key, the closest known key ("did you mean ...?"). Supported field types: bool, int,
float, str, ``datetime.date``, ``Literal[...]``, ``X | None``, ``tuple[str, ...]``,
``Mapping[str, X]`` and nested dataclasses.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import difflib
import functools
import math
import types
import typing
from collections.abc import Mapping
from typing import Any, Literal, TypeVar, get_args, get_origin

from rotation.errors import ConfigError

T = TypeVar("T")


def suggest(name: str, known: typing.Iterable[str]) -> str:
    """`` (did you mean 'x'?)`` when a known name is close to ``name``, else ``""``."""
    close = difflib.get_close_matches(name, list(known), n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _describe(value: Any) -> str:
    return f"{value!r} ({type(value).__name__})"


def coerce(value: Any, annotation: Any, where: str) -> Any:
    """``value`` checked and converted to ``annotation`` (``where`` names it in errors)."""
    origin = get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        options = get_args(annotation)
        if value is None and type(None) in options:
            return None
        for option in options:
            if option is type(None):
                continue
            return coerce(value, option, where)
    if origin is Literal:
        choices = get_args(annotation)
        if value not in choices:
            listed = ", ".join(repr(c) for c in choices)
            hint = suggest(str(value), [str(c) for c in choices])
            raise ConfigError(f"{where}: must be one of {listed}, got {value!r}{hint}")
        return value
    if dataclasses.is_dataclass(annotation):
        return build(annotation, value, where)
    if origin is tuple:
        if isinstance(value, str) or not isinstance(value, list | tuple):
            raise ConfigError(f"{where}: expected a list, got {_describe(value)}")
        (item_type, _ellipsis) = get_args(annotation)
        return tuple(coerce(v, item_type, f"{where}[{i}]") for i, v in enumerate(value))
    if origin in (Mapping, dict) or annotation is Mapping:
        if not isinstance(value, Mapping):
            raise ConfigError(f"{where}: expected a mapping, got {_describe(value)}")
        _key_type, value_type = get_args(annotation) or (str, Any)
        out = {}
        for key, item in value.items():
            if not isinstance(key, str):
                raise ConfigError(f"{where}: keys must be text, got {_describe(key)}")
            out[key] = coerce(item, value_type, f"{where}.{key}")
        return types.MappingProxyType(out)
    if annotation is Any:
        return value
    if annotation is bool:
        if not isinstance(value, bool):
            raise ConfigError(f"{where}: expected true or false, got {_describe(value)}")
        return value
    if annotation is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ConfigError(f"{where}: expected a whole number, got {_describe(value)}")
        return value
    if annotation is float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ConfigError(f"{where}: expected a number, got {_describe(value)}")
        if not math.isfinite(value):
            raise ConfigError(f"{where}: must be a finite number, got {value!r}")
        return float(value)
    if annotation is str:
        if not isinstance(value, str) or not value.strip():
            raise ConfigError(f"{where}: expected non-empty text, got {_describe(value)}")
        return value.strip()
    if annotation is dt.date:
        if isinstance(value, dt.datetime):
            return value.date()
        if isinstance(value, dt.date):
            return value
        if isinstance(value, str):
            try:
                return dt.date.fromisoformat(value.strip())
            except ValueError:
                pass
        raise ConfigError(f"{where}: expected a date YYYY-MM-DD, got {_describe(value)}")
    raise TypeError(f"unsupported config field type {annotation!r} at {where}")  # programming error


@functools.cache
def field_types(cls: type) -> tuple[dict[str, dataclasses.Field], dict[str, Any]]:
    """The init fields and resolved type hints of a dataclass (resolving hints is slow)."""
    return {f.name: f for f in dataclasses.fields(cls) if f.init}, typing.get_type_hints(cls)


def build(cls: type[T], raw: Any, where: str = "") -> T:
    """Instantiate dataclass ``cls`` from mapping ``raw``; ``where`` prefixes key paths."""
    label = where or "config"
    if raw is None:
        raw = {}
    if not isinstance(raw, Mapping):
        raise ConfigError(f"{label}: expected a mapping of keys, got {_describe(raw)}")
    fields, hints = field_types(cls)
    for key in raw:
        if key not in fields:
            path = f"{where}.{key}" if where else str(key)
            raise ConfigError(f"unknown key {path!r}{suggest(str(key), fields)}")
    values = {}
    for name, field in fields.items():
        path = f"{where}.{name}" if where else name
        if name in raw:
            values[name] = coerce(raw[name], hints[name], path)
        elif field.default is dataclasses.MISSING and field.default_factory is dataclasses.MISSING:
            raise ConfigError(f"missing required key {path!r}")
    try:
        return cls(**values)
    except ConfigError:
        raise
    except ValueError as exc:  # __post_init__ checks raise ValueError("key: message")
        raise ConfigError(f"{where + '.' if where else ''}{exc}") from None
