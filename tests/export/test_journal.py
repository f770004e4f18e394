"""The append-only JSON lines journal: every record on disk at once, a torn tail survived."""

from __future__ import annotations

import json
import os

import pytest

from rotation.errors import DataError
from rotation.export.journal import Journal, read_journal


def test_records_are_appended_one_line_each_and_read_back(tmp_path):
    path = tmp_path / "sent.jsonl"
    journal = Journal(path)
    journal.append({"n": 1})
    journal.append({"n": 2, "text": "a\nb"})
    assert path.read_text().count("\n") == 2
    assert read_journal(path) == [{"n": 1}, {"n": 2, "text": "a\nb"}]
    Journal(path).append({"n": 3})  # a second writer (a rerun) appends, never rewrites
    assert [r["n"] for r in read_journal(path)] == [1, 2, 3]


def test_a_torn_last_line_is_ignored_and_cut_before_the_next_record(tmp_path):
    path = tmp_path / "sent.jsonl"
    Journal(path).append({"n": 1})
    with open(path, "a") as f:
        f.write('{"n": 2, "resp')  # the process died mid-write
    assert read_journal(path) == [{"n": 1}]
    Journal(path).append({"n": 3})
    assert read_journal(path) == [{"n": 1}, {"n": 3}]
    assert path.read_text() == '{"n": 1}\n{"n": 3}\n'


def test_other_damage_names_the_file_and_line(tmp_path):
    path = tmp_path / "sent.jsonl"
    path.write_text('{"n": 1}\nnot json\n{"n": 3}\n')
    with pytest.raises(DataError, match=r"sent\.jsonl line 2: not a JSON record"):
        read_journal(path)
    path.write_text('{"n": 1}\n[1, 2]\n')
    with pytest.raises(DataError, match=r"sent\.jsonl line 2: not a JSON object"):
        read_journal(path)
    with pytest.raises(DataError, match="journal not found"):
        read_journal(tmp_path / "missing.jsonl")


def test_a_symlink_at_the_journal_path_is_refused(tmp_path):
    target = tmp_path / "elsewhere.txt"
    target.write_text("precious\n")
    link = tmp_path / "sent.jsonl"
    os.symlink(target, link)
    with pytest.raises(DataError, match="cannot open the journal"):
        Journal(link).append({"n": 1})
    assert target.read_text() == "precious\n"
    with pytest.raises(DataError, match="cannot read the journal"):
        read_journal(link)


def test_records_are_scrubbed_and_kept_in_memory_until_attached(tmp_path):
    journal = Journal(None, scrub=lambda text: text.replace("SECRET", "***"))
    journal.append({"header": "SECRET"})
    path = tmp_path / "later" / "sent.jsonl"
    assert not path.exists()
    journal.attach(path)
    journal.append({"again": "SECRET"})
    assert "SECRET" not in path.read_text()
    assert [json.loads(line) for line in path.read_text().splitlines()] == [
        {"header": "***"},
        {"again": "***"},
    ]
