"""The top of Integrações: can the practice reach its clients? One row per
channel and for the confirmation links: set up or not, working or not, the last
test, the last message, what failed in the last day, and what to do next."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QGridLayout, QGroupBox, QLabel, QPushButton

from app import i18n
from app.i18n import N_, _, ngettext
from app.services.channel_setup import NOTIFICATIONS
from app.services.reach import Reach, State
from app.ui.plain import plain

NAMES = {"whatsapp": "WhatsApp", "email": N_("E-mail"), "sms": "SMS",
         "voice": N_("Reminder calls"), "push": N_("Phone notifications"),
         "links": N_("Confirmation links")}
STATES = {State.WORKING: N_("Set up"), State.PROBLEM: N_("Has a problem"),
          State.NOT_SET_UP: N_("Not set up")}


class OverviewRow:
    """One channel's line: its widgets in the overview's grid."""

    def __init__(self, grid: QGridLayout, row: int, channel: str,
                 go: Callable[[str, str | None], None]) -> None:
        self.channel = channel
        self.fix: str | None = None
        self.name = QLabel(_(NAMES[channel]))
        self.name.setObjectName("strong")
        self.state = QLabel()
        self.state.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.details = plain(QLabel())
        self.details.setObjectName("muted")
        self.details.setWordWrap(True)
        self.step = plain(QLabel())
        self.step.setWordWrap(True)
        self.go = QPushButton(_("Set it up"))
        self.go.clicked.connect(lambda _c=False: go(channel, self.fix))
        grid.addWidget(self.name, row, 0, Qt.AlignmentFlag.AlignTop)
        grid.addWidget(self.state, row, 1, Qt.AlignmentFlag.AlignTop)
        grid.addWidget(self.details, row, 2, Qt.AlignmentFlag.AlignTop)
        grid.addWidget(self.step, row, 3, Qt.AlignmentFlag.AlignTop)
        grid.addWidget(self.go, row, 4, Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignRight)

    def show(self, reach: Reach, now: datetime) -> None:
        self.state.setText(_(STATES[reach.state]))
        self.state.setObjectName(f"reach_{reach.state.value}")
        self.state.style().unpolish(self.state)
        self.state.style().polish(self.state)
        self.details.setText("\n".join(details(reach, now)))
        self.step.setText(reach.next_step)
        self.step.setObjectName("error" if reach.state is State.PROBLEM else "")
        self.step.style().unpolish(self.step)
        self.step.style().polish(self.step)
        self.fix = reach.fix
        self.go.setText(_("Open Client notifications") if reach.fix == NOTIFICATIONS else
                        _("Set it up") if reach.state is State.NOT_SET_UP else _("Open"))


def details(reach: Reach, now: datetime) -> list[str]:
    """The lines under a channel: its last test, its last message, what failed."""
    zone = now.tzinfo
    lines = []
    if reach.check is not None:
        when = i18n.format_recent(reach.check.at.astimezone(zone), now)
        said = reach.check.said.strip()
        if reach.check.ok:
            line = _("Last test ({when}): worked.").format(when=when)
        else:
            line = _("Last test ({when}): failed.").format(when=when)
        lines.append(f"{line} {said}" if said else line)
    elif reach.state is not State.NOT_SET_UP:
        lines.append(_("Never tested."))
    if reach.last_sent is not None:
        when = i18n.format_recent(reach.last_sent.astimezone(zone), now)
        lines.append((_("Last answer through a link: {when}.") if reach.channel == "links"
                      else _("Last message sent: {when}.")).format(when=when))
    for failed in reach.failed:
        lines.append(ngettext("{n} failed in the last 24 hours: {reason}",
                              "{n} failed in the last 24 hours: {reason}",
                              failed.count).format(n=i18n.format_number(failed.count),
                                                   reason=failed.reason))
    # A date abbreviated at the end of a sentence ("10 de dez.") takes its full stop.
    return [line[:-1] if line.endswith("..") else line for line in lines]


class Overview(QGroupBox):
    """The overview box; `go(channel, fix)` brings that channel's box into view, or
    the tab that fixes it (channel_setup.NOTIFICATIONS)."""

    def __init__(self, channels: tuple[str, ...],
                 go: Callable[[str, str | None], None]) -> None:
        super().__init__(_("Can the practice reach its clients?"))
        grid = QGridLayout(self)
        grid.setColumnStretch(2, 4)
        grid.setColumnStretch(3, 3)
        grid.setHorizontalSpacing(14)
        self.rows = {ch: OverviewRow(grid, n, ch, go) for n, ch in enumerate(channels)}

    def show_reach(self, found: list[Reach], now: datetime) -> None:
        for reach in found:
            self.rows[reach.channel].show(reach, now)


