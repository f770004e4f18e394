"""Build frozen dataclasses from plain mappings (parsed YAML), checking keys and types.

Every problem raises ``ConfigError`` with the dotted key path (``costs.fees``) and, for an
unknown key, the closest known key ("did you mean ...?"). Supported field types: bool, int,
float, str, ``datetime.date``, ``Literal[...]``, ``X | None``, ``tuple[str, ...]``,
``Mapping[str, X]`` and nested dataclasses.

``load_yaml`` reads config text safely (plain data only, no tags that build Python objects, no
duplicate keys) and ``check_plain`` refuses what no config can be: a key that is not text
(YAML reads ``no:`` as false and ``1:`` as a number), a structure that contains itself (a
recursive YAML alias), nesting deeper than ``MAX_DEPTH`` or more than ``MAX_VALUES`` values once
aliases are expanded ("billion laughs").
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import difflib
import functools
import math
import os
import re
import stat
import types
import typing
from collections.abc import Hashable, Mapping
from pathlib import Path
from typing import Any, Literal, TypeVar, get_args, get_origin

import yaml

from rotation.errors import ConfigError, control_characters, printable

T = TypeVar("T")

MAX_DEPTH = 40
MAX_VALUES = 100_000


class _ConfigLoader(yaml.SafeLoader):
    """``yaml.SafeLoader`` that refuses duplicate keys and reads ``1e-3`` as a number."""

    def construct_mapping(self, node: yaml.Node, deep: bool = False) -> dict[Hashable, Any]:
        if isinstance(node, yaml.MappingNode):
            seen: dict[Any, yaml.Mark] = {}
            for key_node, _ in node.value:
                if key_node.tag == "tag:yaml.org,2002:merge":
                    continue  # `<<: *defaults` may be overridden by the keys beside it
                key = self.construct_object(key_node, deep=deep)
                try:
                    first = seen.setdefault(key, key_node.start_mark)
                except TypeError:
                    continue  # unhashable: the base class reports it
                if first is not key_node.start_mark:
                    raise yaml.constructor.ConstructorError(
                        None,
                        None,
                        f"duplicate key {key!r} (first given at line {first.line + 1})",
                        key_node.start_mark,
                    )
        # The base class itself refuses a node that is not a mapping (`!!map` on a scalar).
        return super().construct_mapping(node, deep=deep)  # type: ignore[arg-type]


# YAML 1.1 reads 1e-3 and 2e5 as text; configs take them as the numbers they look like.
_ConfigLoader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(r"^[-+]?[0-9][0-9_]*(?:\.[0-9_]*)?[eE][-+]?[0-9]+$"),
    list("-+0123456789"),
)


def load_yaml(text: str, label: str) -> Any:
    """Parse config ``text`` as plain data; every problem is a ``ConfigError`` naming ``label``
    and, where known, the line and column."""
    try:
        return yaml.load(text, Loader=_ConfigLoader)  # a SafeLoader: plain data only
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or ""
        if "constructor for the tag" in problem:
            problem += " (a config is plain data: tags that build objects are refused)"
        raise ConfigError(
            f"{label}: malformed YAML{where}{': ' + problem if problem else ''}"
        ) from None
    except RecursionError:
        raise ConfigError(f"{label}: malformed YAML: nested too deeply") from None
    except (ValueError, OverflowError) as exc:  # e.g. an integer of more than 4300 digits
        raise ConfigError(f"{label}: malformed YAML: {str(exc)[:200]}") from None


def refuse_control(text: str, where: str, allowed: str = "") -> None:
    """Raise ``ConfigError`` naming ``where`` when ``text`` holds a control character (ESC, BEL,
    any C0/C1 or a bidirectional mark) not in ``allowed``: names are printed on terminals."""
    found = control_characters(text, allowed)
    if "\0" in found:  # no file name or text can hold one
        raise ConfigError(f"{where}: must not contain a NUL character")
    if found:
        shown = ", ".join(dict.fromkeys(printable(c, keep="") for c in found))
        raise ConfigError(
            f"{where}: contains the control character(s) {shown}; names and text in a config "
            "are printed, so they may hold no terminal escapes"
        )


def check_plain(raw: Any) -> None:
    """Raise ``ConfigError`` when ``raw`` has a key that is not text, contains itself, nests
    deeper than ``MAX_DEPTH`` or holds more than ``MAX_VALUES`` values counting every alias as a
    copy, or text with a control character (``refuse_control``; a value may hold tabs and line
    breaks, a key nothing)."""
    count = 0
    open_containers: set[int] = set()

    def visit(value: Any, path: str, depth: int) -> None:
        nonlocal count
        count += 1
        if count > MAX_VALUES:
            raise ConfigError(
                f"more than {MAX_VALUES:,} values once YAML aliases are expanded; "
                "no config needs that many"
            )
        if isinstance(value, Mapping):
            for key in value:
                if not isinstance(key, str):
                    where = f"{path}: keys" if path else "keys"
                    raise ConfigError(
                        f"{where} must be text, got {_describe(key)} (YAML reads a bare "
                        "no/yes/on/off as true/false and digits as a number: quote the key)"
                    )
                refuse_control(
                    key,
                    f"{path}: key '{printable(key, keep='')}'"
                    if path
                    else f"'{printable(key, keep='')}'",
                )
            children = [(f"{path}.{k}" if path else k, v) for k, v in value.items()]
        elif isinstance(value, list | tuple):
            children = [(f"{path}[{i}]", v) for i, v in enumerate(value)]
        else:
            if isinstance(value, str):
                refuse_control(value, path or "config", allowed="\t\n")
            return
        if id(value) in open_containers:
            raise ConfigError(f"{path or 'config'}: contains itself (a recursive YAML alias)")
        if depth >= MAX_DEPTH:
            raise ConfigError(f"{path}: nested more than {MAX_DEPTH} levels deep")
        open_containers.add(id(value))
        for child_path, child in children:
            visit(child, child_path, depth + 1)
        open_containers.discard(id(value))

    visit(raw, "", 0)


def suggest(name: str, known: typing.Iterable[str]) -> str:
    """`` (did you mean 'x'?)`` when a known name is close to ``name``, else ``""``."""
    close = difflib.get_close_matches(name, list(known), n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _describe(value: Any) -> str:
    try:
        text = repr(value)
    except ValueError:  # an integer too long to print
        text = "a very long number"
    if len(text) > 80:
        text = text[:77] + "..."
    return f"{text} ({type(value).__name__})"


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
    if isinstance(annotation, type) and dataclasses.is_dataclass(annotation):
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
        try:
            number = float(value)
        except OverflowError:
            raise ConfigError(f"{where}: must be a finite number, got {_describe(value)}") from None
        if not math.isfinite(number):
            raise ConfigError(f"{where}: must be a finite number, got {value!r}")
        return number
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
def field_types(cls: type) -> tuple[dict[str, dataclasses.Field[Any]], dict[str, Any]]:
    """The init fields and resolved type hints of a dataclass (resolving hints is slow)."""
    return {f.name: f for f in dataclasses.fields(cls) if f.init}, typing.get_type_hints(cls)


def build(cls: type[T], raw: Any, where: str = "") -> T:
    """Instantiate dataclass ``cls`` from mapping ``raw``; ``where`` prefixes key paths."""
    label = where or "config"
    if raw is None:
        raw = {}
    if not isinstance(raw, Mapping):
        raise ConfigError(f"{label}: expected a mapping of keys, got {_describe(raw)}")
    # A class is hashable, but mypy does not see it through type[T].
    fields, hints = field_types(cls)  # type: ignore[arg-type]
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


def to_plain(value: Any) -> Any:
    """Dataclasses, mappings and tuples as plain dicts and lists (dates as ISO text)."""
    if dataclasses.is_dataclass(value):
        return {f.name: to_plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, Mapping):
        return {k: to_plain(v) for k, v in value.items()}
    if isinstance(value, tuple | list):
        return [to_plain(v) for v in value]
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def read_regular_file(path: Path, limit: int) -> bytes:
    """The bytes of ``path``, a regular file of at most ``limit`` bytes. Checked before it is
    read (a FIFO or a device such as /dev/zero would hang or never end) and opened without
    blocking, in case it was swapped for one in between; raises OSError saying why."""
    info = os.stat(path)
    if not stat.S_ISREG(info.st_mode):
        raise OSError(f"not a regular file ({_file_kind(info.st_mode)})")
    if info.st_size > limit:
        raise OSError(f"{info.st_size:,} bytes, more than the {limit:,} allowed")
    descriptor = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    with os.fdopen(descriptor, "rb") as handle:
        if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
            raise OSError("not a regular file")
        data = handle.read(limit + 1)
    if len(data) > limit:
        raise OSError(f"more than the {limit:,} bytes allowed")
    return data


def _file_kind(mode: int) -> str:
    kinds = {stat.S_ISDIR: "a folder", stat.S_ISFIFO: "a FIFO", stat.S_ISCHR: "a device",
             stat.S_ISBLK: "a device", stat.S_ISSOCK: "a socket"}  # fmt: skip
    return next((name for test, name in kinds.items() if test(mode)), "not a file")
