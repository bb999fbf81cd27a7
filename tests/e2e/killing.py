"""Killing `practice worker` while it sends, as a power cut would, for the tests of
the outbox's promise on each channel (sent once or `unknown`, never twice)."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from app.services import reminders
from app.services.practice import open_practice

SEND_TIME = "2026-11-22T23:00:00+00:00"  # every reminder of the tests' sessions is due
LATER = "2026-11-22T23:30:00+00:00"  # past every lease: stale claims become `unknown`


@dataclass
class Killed:
    seed: int  # PRACTICE_KILL_SEED replays the same kills
    kills: int  # workers killed before they ended
    mid_send: int  # kills that left a message `sending` (claimed, answer not recorded)
    final: list[reminders.MessageView]  # the outbox after a last, unkilled pass


def kill_while_sending(folder: Path, rounds: int, arrived: threading.Event,
                       delay: float) -> Killed:
    """`rounds` workers started at SEND_TIME and killed (SIGKILL): every other one
    while the provider holds a request (`arrived` set by the fake, which answers
    after `delay` seconds), the others after a random moment; then one pass at LATER."""
    env = {**os.environ, "PRACTICE_NOW": SEND_TIME, "LANGUAGE": "en"}
    seed = int(os.environ.get("PRACTICE_KILL_SEED", time.time_ns() % 2**32))
    print(f"PRACTICE_KILL_SEED={seed}")
    rng = random.Random(seed)
    kills = mid_send = 0
    for round_ in range(rounds):
        arrived.clear()
        worker = subprocess.Popen([sys.executable, "-m", "app", "worker", "--data-dir",
                                   str(folder)], env=env, stdout=subprocess.DEVNULL,
                                  stderr=subprocess.DEVNULL)
        if round_ % 2:
            # While the provider holds a request of this worker's: the claim is
            # committed, the answer not yet recorded.
            if arrived.wait(20):
                time.sleep(rng.uniform(0, delay / 2))
        else:
            time.sleep(rng.uniform(0.5, 1.3))
        if worker.poll() is None:
            worker.send_signal(signal.SIGKILL)
            kills += 1
        worker.wait()
        p = open_practice(folder, logging_on=False)
        mid_send += sum(m.state == "sending" for m in reminders.list_outbox(p))
        p.close()
    subprocess.run([sys.executable, "-m", "app", "worker", "--once", "--data-dir",
                    str(folder)], env={**env, "PRACTICE_NOW": LATER}, check=True,
                   capture_output=True)
    p = open_practice(folder, logging_on=False)
    final = reminders.list_outbox(p)
    p.close()
    return Killed(seed, kills, mid_send, final)
