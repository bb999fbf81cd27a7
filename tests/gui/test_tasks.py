"""TaskRunner: a function off the GUI thread, its outcome handed back on it once —
by the event loop, or at once when the GUI thread settles (waits for) it."""

from __future__ import annotations

import threading

from pytestqt.qtbot import QtBot

from app.ui.tasks import TaskRunner


def test_a_settled_task_is_handed_once_not_again_by_the_loop(qtbot: QtBot) -> None:
    runner = TaskRunner()
    got: list[int] = []
    task = runner.run(lambda: 42, got.append)
    assert task.settle(5) is True
    assert got == [42]  # handed now, before the event loop turned
    qtbot.wait(50)  # the queued signal arrives too
    assert got == [42]
    assert task.settle(0) is True  # already handed: nothing again
    assert got == [42]


def test_a_settled_failure_goes_to_its_error_callback_once(qtbot: QtBot) -> None:
    runner = TaskRunner()
    done: list[object] = []
    failed: list[Exception] = []

    def broken() -> int:
        raise ValueError("no such week")

    task = runner.run(broken, done.append, failed.append)
    assert task.settle(5) is True
    qtbot.wait(50)
    assert done == [] and [str(e) for e in failed] == ["no such week"]


def test_a_task_not_done_in_time_is_handed_by_the_loop_later(qtbot: QtBot) -> None:
    runner = TaskRunner()
    go = threading.Event()
    got: list[str] = []
    task = runner.run(lambda: (go.wait(5), "late")[1], got.append)
    assert task.settle(0.05) is False
    assert got == []
    go.set()
    qtbot.waitUntil(lambda: got == ["late"], timeout=5000)
    qtbot.wait(50)
    assert got == ["late"]
    assert task.settle(0) is True and got == ["late"]
