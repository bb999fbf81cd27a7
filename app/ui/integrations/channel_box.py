"""What every channel's box in Integrações shares: its fields, its secret (sent
to the system keyring only, never shown), Salvar, and a test."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLineEdit,
    QPushButton,
    QWidget,
)

from app.i18n import _
from app.models.enums import Channel
from app.services import config, outbox, secrets
from app.services.errors import ChangedMeanwhile, PracticeError
from app.services.practice import Practice
from app.ui.notifications_page import message_label

if TYPE_CHECKING:
    from app.ui.integrations.tab import IntegrationsTab


class ChannelBox(QGroupBox):
    """One integration: its fields, its secret, and a test message."""

    def __init__(self, tab: IntegrationsTab, title: str, channel: Channel,
                 fields: list[tuple[str, str, QWidget]], secret: tuple[str, str],
                 test_placeholder: str) -> None:
        super().__init__(title)
        self.tab, self.channel = tab, channel
        self.fields = fields
        self.secret_name = secret[1]
        # A step after Salvar, run off the GUI thread with the practice (never a
        # widget): its sentence follows "Saved." on the result line ("" for none).
        # It must not raise for an expected failure: the save stays done.
        self.after_save: Callable[[Practice], str] | None = None
        # Each field's value as last filled from the settings (load): one changed
        # since is being edited. Before the first fill, the fields were empty.
        self._filled: dict[str, str] | None = None
        # Each key's version as its field was last filled (versions.py): Salvar
        # names them, so a save over another computer's change is refused.
        self.versions: dict[str, int] = {}
        form = QFormLayout(self)
        for _key, label, widget in fields:
            form.addRow(label, widget)
        self.secret = QLineEdit()
        self.secret.setEchoMode(QLineEdit.EchoMode.Password)
        form.addRow(secret[0], self.secret)
        self.save_button = QPushButton(_("Save"))
        self.save_button.clicked.connect(self.save)
        self.test_to = QLineEdit()
        self.test_to.setPlaceholderText(test_placeholder)
        self.test_button = QPushButton(_("Send a test message"))
        self.test_button.clicked.connect(self.test)
        row = QHBoxLayout()
        row.addWidget(self.save_button)
        row.addWidget(self.test_to, 1)
        row.addWidget(self.test_button)
        form.addRow(row)
        self.result = message_label("muted")
        form.addRow(self.result)

    def note_versions(self, cfg: dict[str, str], versions: dict[str, int]) -> None:
        """Before load(): the keys' versions, taken for the fields load() refills
        and those showing what is stored (just saved); a field being edited keeps
        the version it was filled from."""
        shown = self.values()
        filled = self._filled or {
            key: "" for key, _l, widget in self.fields if isinstance(widget, QLineEdit)}
        own = {key for key, _l, _w in self.fields}
        for key in shown:
            if key in own and key in filled and shown[key] != filled[key] and \
                    shown[key] != cfg.get(key):
                continue  # being edited
            if key in versions:
                self.versions[key] = versions[key]

    def load(self, cfg: dict[str, str], stored: bool | None) -> None:
        """Shows the saved settings; a field the person changed since it was last
        filled keeps what they typed (a load can land while they type)."""
        shown = self.values()
        filled = self._filled or {
            key: "" for key, _l, widget in self.fields if isinstance(widget, QLineEdit)}
        for key, _label_text, widget in self.fields:
            if key in filled and shown.get(key) != filled[key]:
                continue  # being edited
            if isinstance(widget, QComboBox):
                widget.setCurrentIndex(max(0, widget.findData(cfg[key])))
            elif isinstance(widget, QLineEdit):
                widget.setText(cfg[key])
        self._filled = {k: v for k, v in self.values().items() if k in cfg}
        # A secret being typed stays (Salvar clears the field once it is stored).
        self.secret.setPlaceholderText(
            _("Stored in the system keyring; type to replace") if stored else
            _("Not set") if stored is False else _("The system keyring is not available"))

    def values(self) -> dict[str, str]:
        out: dict[str, str] = {}
        for key, _label_text, widget in self.fields:
            if isinstance(widget, QComboBox):
                out[key] = str(widget.currentData())
            elif isinstance(widget, QLineEdit):
                out[key] = widget.text()
        return out

    def save(self) -> None:
        """Salvar. Connected to clicked(bool): takes nothing, so the bool cannot
        land in a parameter (it once arrived as the callback below)."""
        self._save(then=None)

    def expected(self, values: dict[str, str]) -> dict[str, int]:
        """The versions Salvar names for these keys (those this box was filled from)."""
        return {k: self.versions[k] for k in values if k in self.versions}

    def _save(self, then: Callable[[], None] | None) -> None:
        p, values, secret, name = (self.tab.window_.practice, self.values(),
                                   self.secret.text(), self.secret_name)
        expected, after = self.expected(values), self.after_save

        def run() -> str:
            config.set_values(p, values, expected_versions=expected)
            if secret.strip():
                secrets.store(name, secret)
            return after(p) if after is not None else ""

        self.tab.window_.tasks.run(run, lambda said: self.saved(then, said), self.save_failed)

    def saved(self, then: Callable[[], None] | None, said: str = "") -> None:
        """Salvar went through: the secret field empties (it is in the keyring), the
        tab reads again, and `then` follows. `said`: what the step after the save
        (after_save) found, shown after "Saved."."""
        self.secret.clear()
        self.result.setText(" ".join(t for t in (_("Saved."), said) if t))
        self.tab.reload()
        if then is not None:
            then()

    def save_failed(self, exc: Exception) -> None:
        """Salvar was refused: why, and nothing saved."""
        if not isinstance(exc, PracticeError):
            self.tab.window_.show_error(exc)
            return
        self.result.setText("⚠ " + str(exc))
        if isinstance(exc, ChangedMeanwhile):
            self.refill()

    def refill(self) -> None:
        """After a save refused for another's change: every field shows what is
        stored now (nothing of the refused save is kept)."""
        self.forget_edits()
        self.tab.reload()

    def forget_edits(self) -> None:
        """The next load fills every field, none counting as being edited."""
        self._filled = self.values()

    def test(self) -> None:
        """Save what is typed, then send one message and say what the provider said."""
        p, channel, to = self.tab.window_.practice, self.channel, self.test_to.text()
        self.result.setText(_("Sending…"))

        def send() -> None:
            self.tab.window_.tasks.run(
                lambda: outbox.send_test(p, channel, to),
                lambda provider_id: self.result.setText(
                    _("Sent. The provider accepted it (id {id}).").format(id=provider_id)),
                lambda exc: self.result.setText("⚠ " + str(exc)))

        self._save(then=send)


