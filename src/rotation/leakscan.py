"""A static second opinion on strategy files: source patterns that often mean look-ahead.

``scan(path)`` parses a strategy file (never runs it) and returns one ``Finding`` per suspicious
spot, naming the file and line:

- a negative shift (``.shift(-1)``, ``.shift(periods=-k)``, ``np.roll(x, -1)``): reads later rows;
- ``center=True`` in a rolling window: half the window lies in the future;
- ``bfill`` / ``backfill`` (method or ``method=`` argument): fills the past from the future;
- inside ``target_weights``, a reduction over the whole index (``.iloc[-1]``, ``.index[-1]``,
  ``.max()`` / ``.mean()`` / ... with no axis, or axis 0, on prices or returns): uses the last
  day of the data, or every day, on every row;
- reading files, the network or subprocesses (``open``, ``read_csv``, ``read_parquet``,
  ``np.load``, ``urlopen``, ``subprocess``, ``socket``, ...).

Findings are warnings: a pattern can be honest (``shift(-1)`` of a calendar to find month ends)
and a leak can take another shape. ``rotation check lookahead`` prints them next to its
verdict, which truncation, adversarial futures and the sandbox decide.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

REDUCTIONS = frozenset(
    {"max", "min", "mean", "median", "std", "var", "sum", "quantile", "rank", "idxmax", "idxmin"}
)
READERS = frozenset(
    {
        "read_csv", "read_parquet", "read_json", "read_pickle", "read_excel", "read_table",
        "read_feather", "read_hdf", "read_sql", "loadtxt", "genfromtxt", "fromfile",
        "read_text", "read_bytes", "urlopen", "urlretrieve", "popen", "Popen",
        "check_output", "check_call", "create_connection",
    }
)  # fmt: skip
OUTSIDE_MODULES = frozenset(
    {"subprocess", "socket", "urllib", "requests", "http", "ftplib", "ctypes", "shutil", "glob"}
)
_DATA_WORDS = ("price", "return", "close", "value", "panel")


@dataclass(frozen=True)
class Finding:
    path: str
    line: int
    message: str

    def describe(self) -> str:
        return f"{self.path}:{self.line}: {self.message}"


def _negative(node: ast.AST | None) -> bool:
    return (
        isinstance(node, ast.UnaryOp)
        and isinstance(node.op, ast.USub)
        and not (isinstance(node.operand, ast.Constant) and node.operand.value == 0)
    ) or (isinstance(node, ast.Constant) and isinstance(node.value, int | float) and node.value < 0)


def _name(node: ast.AST) -> str:
    """The last name of a call target: ``np.load`` -> ``load``, ``open`` -> ``open``."""
    if isinstance(node, ast.Attribute):
        return node.attr
    if isinstance(node, ast.Name):
        return node.id
    return ""


def _mentions_data(node: ast.AST) -> bool:
    text = ast.unparse(node).lower()
    return any(word in text for word in _DATA_WORDS)


def _keyword(call: ast.Call, name: str) -> ast.expr | None:
    return next((k.value for k in call.keywords if k.arg == name), None)


class _Scanner(ast.NodeVisitor):
    def __init__(self, path: str) -> None:
        self.path = path
        self.findings: list[Finding] = []
        self._in_target_weights = 0

    def warn(self, node: ast.AST, message: str) -> None:
        self.findings.append(Finding(self.path, getattr(node, "lineno", 0), message))

    def visit_FunctionDef(self, node: ast.FunctionDef) -> None:
        inside = node.name == "target_weights"
        self._in_target_weights += inside
        self.generic_visit(node)
        self._in_target_weights -= inside

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            if alias.name.split(".")[0] in OUTSIDE_MODULES:
                self.warn(node, f"imports {alias.name}: files, network or subprocesses")

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        if (node.module or "").split(".")[0] in OUTSIDE_MODULES:
            self.warn(node, f"imports from {node.module}: files, network or subprocesses")

    def visit_Call(self, node: ast.Call) -> None:
        name = _name(node.func)
        code = ast.unparse(node)
        if name == "shift" and (
            _negative(node.args[0] if node.args else None) or _negative(_keyword(node, "periods"))
        ):
            self.warn(node, f"negative shift reads later rows: {code}")
        if name == "roll" and len(node.args) > 1 and _negative(node.args[1]):
            self.warn(node, f"negative roll reads later rows: {code}")
        center = _keyword(node, "center")
        if isinstance(center, ast.Constant) and center.value is True:
            self.warn(node, f"centred window uses later rows: {code}")
        method = _keyword(node, "method")
        if name in {"bfill", "backfill"} or (
            isinstance(method, ast.Constant) and method.value in {"bfill", "backfill"}
        ):
            self.warn(node, f"backward fill copies later values into the past: {code}")
        if name in READERS or (name == "open" and isinstance(node.func, ast.Name)):
            self.warn(node, f"reads outside the batch (files, network or a subprocess): {code}")
        elif name in {"load", "open", "system"}:
            self.warn(node, f"may read a file or run a command: {code}")
        if self._in_target_weights and name in REDUCTIONS and isinstance(node.func, ast.Attribute):
            axis = _keyword(node, "axis")
            whole = (axis is None and not node.args) or (
                isinstance(axis, ast.Constant) and axis.value in (0, "index")
            )
            if whole and _mentions_data(node.func.value):
                self.warn(node, f"reduction over the whole index in target_weights: {code}")
        self.generic_visit(node)

    def visit_Subscript(self, node: ast.Subscript) -> None:
        holder = node.value
        if (
            self._in_target_weights
            and isinstance(holder, ast.Attribute)
            and holder.attr in {"iloc", "iat", "index", "values"}
            and _negative(node.slice)
        ):
            self.warn(
                node, f"the last rows of the whole data in target_weights: {ast.unparse(node)}"
            )
        self.generic_visit(node)


def scan(path: Path) -> tuple[Finding, ...]:
    """Findings in the strategy file ``path`` (empty when it does not parse: loading it
    reports that error)."""
    try:
        tree = ast.parse(Path(path).read_text(), filename=str(path))
    except (OSError, SyntaxError, ValueError):
        return ()
    scanner = _Scanner(str(path))
    scanner.visit(tree)
    return tuple(sorted(scanner.findings, key=lambda f: f.line))
