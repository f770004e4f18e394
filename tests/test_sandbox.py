"""The sandbox (``rotation.sandbox``): strategy code may not open files, use the network or
start processes while it is checked; everything else, and the import system, may."""

from __future__ import annotations

import importlib.util
import sys

import pytest

from rotation.sandbox import SandboxViolation, sandboxed

SUSPECT = """
import os
import socket
import subprocess


def read(path):
    with open(path) as f:  # line 8
        return f.read()


def swallowed(path):
    try:
        open(path)
    except OSError:
        return "carried on"


def connect():
    socket.socket()


def run():
    subprocess.run(["true"])


def system():
    os.system("true")


def call(function, *args):
    return function(*args)


def show_stack():
    import linecache
    import traceback

    linecache.clearcache()
    return traceback.format_stack()  # reads each frame's .py source through linecache


def read_through_linecache(path):
    import linecache

    return linecache.getlines(str(path))


def import_fresh():
    import tabnanny  # a stdlib module no test imports: the import system opens its source

    return tabnanny.__name__
"""


@pytest.fixture
def suspect(tmp_path):
    folder = tmp_path / "strategies"
    folder.mkdir()
    path = folder / "suspect.py"
    path.write_text(SUSPECT)
    spec = importlib.util.spec_from_file_location("suspect_for_sandbox_tests", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    data = tmp_path / "data.csv"
    data.write_text("date,close\n")
    return folder, module, data


def test_a_file_open_is_refused_and_names_the_line(suspect):
    folder, module, data = suspect
    with sandboxed([folder]) as violations, pytest.raises(SandboxViolation):
        module.read(data)
    (violation,) = violations
    assert violation.event == "open" and str(data) in violation.detail
    assert violation.path.endswith("suspect.py") and violation.line == 8
    assert violation.function == "read"
    assert "suspect.py:8 (in read) called open(" in violation.describe()


def test_a_swallowed_refusal_is_still_recorded(suspect):
    folder, module, data = suspect
    with sandboxed([folder]) as violations:
        assert module.swallowed(data) == "carried on"
    assert [v.function for v in violations] == ["swallowed"]


@pytest.mark.parametrize("name", ["connect", "run", "system"])
def test_network_and_subprocesses_are_refused(suspect, name):
    folder, module, _ = suspect
    with sandboxed([folder]) as violations, pytest.raises(SandboxViolation):
        getattr(module, name)()
    assert violations and violations[0].function == name


def test_code_outside_the_folder_may_read_even_when_called_from_inside(suspect, tmp_path):
    folder, module, data = suspect
    with sandboxed([folder]) as violations:
        with open(data) as f:  # the pipeline's own reads are not strategy code
            f.read()
        # a library called *by* strategy code is strategy code's doing: refused
        with pytest.raises(SandboxViolation):
            module.call(open, data)
    assert len(violations) == 1 and violations[0].function == "call"


def test_linecache_may_read_sources_but_not_data(suspect):
    folder, module, data = suspect
    with sandboxed([folder]) as violations:
        assert module.read_through_linecache(data) == []  # linecache swallows the refusal
    assert violations[0].function == "read_through_linecache"


def test_imports_are_allowed_and_the_hook_is_off_outside_the_block(suspect):
    folder, module, data = suspect
    sys.modules.pop("tabnanny", None)
    with sandboxed([folder]) as violations:
        assert module.import_fresh() == "tabnanny"
        assert any("format_stack" in line for line in module.show_stack())
    assert violations == []
    assert module.read(data) == "date,close\n"  # no block active: nothing refused
