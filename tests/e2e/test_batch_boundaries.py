"""Paths that work a batch at a time, at sizes that cross their boundaries: the
outbox's passes, the notes the desktop pushes to the relay. Each thing is done
once, none is left behind; the relay's event pages are in test_handover.py and
the import's batches in unit/test_import.py."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from app.models.enums import Channel
from app.models.relay_records import LinkNotice
from app.services import (
    clients,
    config,
    link_notices,
    outbox,
    relay_client,
    reminders,
    scheduling,
    secrets,
)
from app.services.clock import FrozenClock
from app.services.practice import Practice
from app.services.scheduling import BookingRequest
from relay.store import Store
from tests.conftest import add_service, local
from tests.fakes.relay_server import API_KEY, LINK_SECRET, RelayServer
from tests.fakes.whatsapp import FakeWhatsApp


def book_many(p: Practice, n: int) -> list[int]:
    service = add_service(p)
    booked = []
    for i in range(n):
        c = clients.add(p, name=f"Cliente {i}", phone=f"+55 11 9876{i:05d}",
                        consent=[Channel.WHATSAPP]).id
        booked.append(scheduling.book(p, BookingRequest(
            client_id=c, service_id=service, start=local(f"2026-11-24T{8 + i:02d}:00"))))
    return booked


@pytest.mark.parametrize("limit", [1, 3, 7, 500])
def test_the_outbox_sends_every_due_message_once_whatever_the_pass_size(
        practice: Practice, clock: FrozenClock, limit: int) -> None:
    with FakeWhatsApp() as wa:
        config.set_values(practice, {
            "whatsapp.api_base": wa.url, "whatsapp.phone_number_id": wa.rules.phone_number_id,
            "whatsapp.template": "lembrete_sessao", "whatsapp.params": "first_name",
            "reminders.default": "whatsapp:1440"})
        wa.rules.templates[("lembrete_sessao", "pt_BR")] = 1
        secrets.store("whatsapp.token", wa.rules.token)
        booked = book_many(practice, 7)
        clock.set(local("2026-11-23T20:00"))
        report = outbox.Dispatcher(practice).dispatch_due(limit=limit)
    assert report.sent == 7
    assert sorted(s.to for s in wa.sent) == sorted({s.to for s in wa.sent}) and \
        len(wa.sent) == 7
    assert {m.state for a in booked for m in reminders.list_for(practice, a)} == {"sent"}


@pytest.mark.parametrize("batch", [1, 3, 8, 500])
def test_every_note_reaches_the_relay_once_whatever_the_batch(
        practice: Practice, clock: FrozenClock, tmp_path: Path, batch: int) -> None:
    booked = book_many(practice, 8)
    for a in booked[:5]:
        scheduling.cancel(practice, a, reason="Viagem")
    for a in booked[5:]:
        scheduling.reschedule(practice, a, local("2026-11-25T10:00") +
                              timedelta(hours=booked.index(a) - 5))
    with practice.db.read() as s:
        queued = len(s.exec(LinkNotice.__table__.select()).all())  # type: ignore[attr-defined]
    assert queued == 8
    public = relay_client.keys(practice)
    with RelayServer(tmp_path / "relay", public_key=public) as relay:
        config.set_value(practice, "relay.url", relay.url)
        secrets.store("relay.api_key", API_KEY)
        secrets.store("relay.link_secret", LINK_SECRET)
        assert link_notices.push(practice, relay.url, API_KEY, batch=batch) == 8
        assert link_notices.push(practice, relay.url, API_KEY, batch=batch) == 0
        store = Store(relay.settings.database_url)
        said = {a: store.session("default", a) for a in booked}
    assert [said[a].state for a in booked] == ["cancelled"] * 5 + ["moved"] * 3  # type: ignore[union-attr]
    with practice.db.read() as s:
        rows = s.exec(LinkNotice.__table__.select()).all()  # type: ignore[attr-defined]
    assert len(rows) == 8 and all(r.pushed_at is not None for r in rows)
    lock = practice.paths.root / "relay-notes.lock"
    assert oct(lock.stat().st_mode & 0o777) == "0o600"  # the data folder stays private


def test_notes_wait_while_another_process_tells_the_relay(
        practice: Practice, clock: FrozenClock, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The window and `practice worker` on one database push one at a time, so an
    older note can never land after a newer one."""
    import subprocess
    import sys

    monkeypatch.setattr(link_notices, "OTHER_PUSH_WAIT", 0.5)
    [a] = book_many(practice, 1)
    scheduling.cancel(practice, a, reason="Viagem")
    public = relay_client.keys(practice)
    lock = practice.paths.root / "relay-notes.lock"
    with RelayServer(tmp_path / "relay", public_key=public) as relay:
        other = subprocess.Popen(  # another process, in the middle of a push
            [sys.executable, "-c", "import sys; from filelock import FileLock; "
             f"held = FileLock({str(lock)!r}); held.acquire(); print('held', flush=True); "
             "sys.stdin.read()"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        try:
            assert other.stdout is not None and other.stdout.readline() == "held\n"
            assert link_notices.push(practice, relay.url, API_KEY) == 0
            assert Store(relay.settings.database_url).session("default", a) is None
        finally:
            other.communicate("")
        assert link_notices.push(practice, relay.url, API_KEY) == 1
        said = Store(relay.settings.database_url).session("default", a)
    assert said is not None and said.state == "cancelled"
