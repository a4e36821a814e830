"""Scheduler processes started as an administrator would, their JSON log lines read as they come."""

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta

import pytest


class Process:
    """``ftz scheduler`` (or a script) in a process of its own, logging JSON to standard error."""

    def __init__(self, args: list[str], env: dict[str, str]):
        self.lines: list[dict] = []
        self.popen = subprocess.Popen(
            [sys.executable, *args], env=os.environ | {"FTZ_LOG_FORMAT": "json"} | env,
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        for line in self.popen.stderr:
            try:
                self.lines.append(json.loads(line))
            except json.JSONDecodeError:
                self.lines.append({"message": line.rstrip()})

    def said(self, text: str) -> bool:
        return any(text in str(line.get("message", "")) for line in self.lines)

    def wait_until_said(self, text: str, timeout: float = 30) -> None:
        wait_for(lambda: self.said(text), timeout, f"{text!r} in the log of {self.popen.args[1:]}: {self.lines}")

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.popen.poll() is None:
            self.popen.send_signal(sig)
        self.popen.wait(timeout=60)
        self._reader.join(timeout=5)


def wait_for(condition: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"waited {timeout:g} s for {what}")
        time.sleep(0.2)


def daily_at(moment: datetime) -> str:
    """A crontab line (with seconds) firing every day at ``moment``'s time of day, UTC."""
    return f"{moment.second} {moment.minute} {moment.hour} * * *"


@pytest.fixture
def processes() -> Iterator[list[Process]]:
    """Processes started by a test; any still running at its end are killed."""
    started: list[Process] = []
    yield started
    for process in started:
        process.stop(signal.SIGKILL)


@pytest.fixture
def soon() -> datetime:
    """A moment a few seconds ahead, on a whole second: time for processes to start before it."""
    return (datetime.now(UTC) + timedelta(seconds=12)).replace(microsecond=0)
