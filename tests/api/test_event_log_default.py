"""Where each process writes the event log: a configured path exactly as given; by default one
shared name for the first process in a folder and a file of its own for every other one."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from domain.plays.event_log import event_log_path

ROOT = Path(__file__).resolve().parents[2]
# Prints the default path this process gets, then holds it until its stdin closes.
HOLD = """
import sys
from domain.plays.event_log import event_log_path
print(event_log_path(None), flush=True)
sys.stdin.read()
"""


def start(cwd: Path) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen([sys.executable, "-c", HOLD], cwd=cwd, env=env, text=True,
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE)


def test_a_configured_path_is_used_exactly(tmp_path):
    assert event_log_path(str(tmp_path / "events.jsonl")) == tmp_path / "events.jsonl"
    assert event_log_path("./var/plays.log") == Path("./var/plays.log")
    assert event_log_path(str(tmp_path / "events-{pid}.jsonl")) == tmp_path / f"events-{os.getpid()}.jsonl"


def test_by_default_a_second_process_in_the_folder_gets_a_file_of_its_own(tmp_path):
    first = start(tmp_path)
    try:
        assert Path(first.stdout.readline().strip()) == tmp_path / "var" / "events.jsonl"
        second = start(tmp_path)
        try:
            assert Path(second.stdout.readline().strip()) == tmp_path / "var" / f"events-{second.pid}.jsonl"
        finally:
            second.communicate("")
    finally:
        first.communicate("")
    third = start(tmp_path)  # the first has ended: its name is free again
    assert Path(third.stdout.readline().strip()) == tmp_path / "var" / "events.jsonl"
    third.communicate("")


def test_processes_in_other_folders_each_get_the_shared_name(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    a, b = start(tmp_path / "a"), start(tmp_path / "b")
    try:
        assert Path(a.stdout.readline().strip()) == tmp_path / "a" / "var" / "events.jsonl"
        assert Path(b.stdout.readline().strip()) == tmp_path / "b" / "var" / "events.jsonl"
    finally:
        a.communicate("")
        b.communicate("")
