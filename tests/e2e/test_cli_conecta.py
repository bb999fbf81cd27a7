"""`practice conecta …` run as a process, the way scripts use it, against the
WhatsApp fake and an SMTP server on loopback: setup, starting, sending (Meta's
rules apply here too), editing, the call log, and the exit status of each."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.e2e.test_cli_reminders import run
from tests.fakes.smtp import SmtpServer
from tests.fakes.whatsapp import FakeWhatsApp


class Cli:
    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def ok(self, *args: str, stdin: str | None = None) -> Any:
        result = run(self.folder, *args, "--json", stdin=stdin)
        assert result.returncode == 0, result.stderr
        return json.loads(result.stdout)

    def refused(self, *args: str) -> tuple[str, str]:
        result = run(self.folder, *args)
        assert result.returncode == 3, (result.returncode, result.stdout, result.stderr)
        assert "Traceback" not in result.stderr
        return result.stdout, result.stderr


def test_conecta_from_the_command_line(tmp_path: Path) -> None:
    cli = Cli(tmp_path / "p")
    with FakeWhatsApp() as wa, SmtpServer() as smtp:
        wa.rules.templates[("boas_vindas", "pt_BR")] = 1
        for key, value in (("whatsapp.api_base", wa.url),
                           ("whatsapp.phone_number_id", wa.rules.phone_number_id),
                           ("smtp.host", "127.0.0.1"), ("smtp.port", str(smtp.port)),
                           ("smtp.security", "none"), ("smtp.from", "agenda@bemestar.example")):
            cli.ok("config", "set", key, value)
        cli.ok("secret", "set", "whatsapp.token", stdin=wa.rules.token + "\n")
        cli.ok("settings", "set", "country", "BR")
        maria = cli.ok("client", "add", "--name", "Maria Silva", "--phone", "(11) 98765-4321",
                       "--email", "maria@example.com")["id"]

        # Setup: numbers per channel, own types, templates; refusals change nothing.
        assert "123" in cli.refused("conecta", "originator", "set", "whatsapp", "123")[1]
        assert cli.ok("conecta", "originator", "set", "whatsapp", "(11) 3000-1000") == [
            "+551130001000"]
        assert cli.ok("conecta", "originator", "list")["whatsapp"] == ["+551130001000"]
        assert cli.ok("conecta", "originator", "list")["email"] == ["agenda@bemestar.example"]
        assert "built-in" in cli.refused("conecta", "type", "add", "Support")[1]
        cli.ok("conecta", "type", "add", "Avaliação")
        assert [t["key"] for t in cli.ok("conecta", "type", "list")][-1] == "Avaliação"
        assert "lower case" in cli.refused("conecta", "template", "add", "--name", "Boas Vindas",
                                           "--body", "Olá {{1}}!")[1]
        cli.ok("conecta", "template", "add", "--name", "boas_vindas", "--body", "Olá {{1}}!",
               "--param-label", "Nome")
        [template] = cli.ok("conecta", "template", "list")
        assert (template["name"], template["parameters"]) == ("boas_vindas", ["Nome"])

        # Starting: fields checked per channel; the client is linked by phone.
        assert "E-mail is required" in cli.refused("conecta", "start", "--channel", "email",
                                                   "--name", "Maria")[1]
        card = cli.ok("conecta", "start", "--channel", "whatsapp", "--name", "Maria Silva",
                      "--phone", "11987654321", "--originator", "+551130001000",
                      "--type", "Avaliação", "--tag", "primeira")
        assert (card["client_id"], card["phone"], card["type"], card["tags"]) == (
            maria, "+5511987654321", "Avaliação", ["primeira"])
        aid = str(card["id"])
        assert "already an open" in cli.refused("conecta", "start", "--channel", "whatsapp",
                                                "--name", "Maria", "--phone", "11987654321",
                                                "--originator", "+551130001000")[1]

        # Sending: template first; free text refused before a reply, nothing reaches Meta.
        assert "approved template" in cli.refused("conecta", "send", aid, "--text", "Oi")[1]
        assert wa.sent == []
        assert "needs 1 parameters" in cli.refused("conecta", "send", aid, "--template",
                                                   "boas_vindas")[1]
        sent = cli.ok("conecta", "send", aid, "--template", "boas_vindas", "--param", "Maria")
        assert (sent["state"], sent["body"]) == ("sent", "Olá Maria!")
        [out] = wa.sent
        assert (out.to, out.template, out.parameters) == ("5511987654321", "boas_vindas",
                                                          ["Maria"])
        assert cli.ok("conecta", "list", "--channel", "whatsapp")[0]["preview"] == \
            "Template: boas_vindas"
        # The connection drops after Meta took the next one: it is not "not sent".
        wa.after_taking.append(("drop",))
        said = run(tmp_path / "p", "conecta", "send", aid, "--template", "boas_vindas",
                   "--param", "Maria")
        assert said.returncode == 0 and said.stdout.startswith(
            "Not known whether it was sent: The connection to WhatsApp dropped"), said.stdout
        assert len(wa.sent) == 2
        shown = cli.ok("conecta", "show", aid)
        assert [e["body"] for e in shown["entries"]] == ["Olá Maria!", "Olá Maria!"]
        assert shown["window"] == {"open": False, "reason": "no_reply", "closes_at": None}
        # Read by a person: the practice's clock (12:00 UTC is 9:00 in São Paulo).
        said = run(cli.folder, "conecta", "show", str(aid)).stdout.replace("\u202f", " ")
        assert "11/20/26, 9:00 AM" in said and "12:00 PM" not in said, said
        assert "[queued]" in said and "[sent]" in said
        assert "(11) 98765-4321" in said and "+5511987654321" not in said

        # A number that is not on WhatsApp: the failure is the exit status.
        wa.rules.not_on_whatsapp.add("5521999998888")
        other = cli.ok("conecta", "start", "--channel", "whatsapp", "--name", "João",
                       "--phone", "21 99999-8888", "--originator", "+551130001000")
        assert other["client_id"] is None
        stdout, _err = cli.refused("conecta", "send", str(other["id"]), "--template",
                                   "boas_vindas", "--param", "João")
        assert "Not sent" in stdout

        # E-mail goes through SMTP with the subject given.
        mail = cli.ok("conecta", "start", "--channel", "email", "--name", "Maria Silva",
                      "--email", "maria@example.com")
        cli.ok("conecta", "send", str(mail["id"]), "--text", "Segue o recibo.", "--subject",
               "Recibo de novembro")
        [received] = smtp.received
        message = received.message
        assert message["Subject"] == "Recibo de novembro" and message["Message-ID"]

        # VoIP: the call log.
        call = cli.ok("conecta", "start", "--channel", "voip", "--name", "Maria Silva",
                      "--phone", "11987654321")
        cli.ok("conecta", "call", str(call["id"]), "--outcome", "answered", "--minutes", "3",
               "--notes", "Remarcou para quinta")
        [logged] = cli.ok("conecta", "show", str(call["id"]))["entries"]
        assert cli.ok("conecta", "list", "--channel", "voip")[0]["preview"] == "Call: answered"
        assert (logged["kind"], logged["call_seconds"], logged["call_outcome"]) == (
            "call", 180, "answered")

        # Editing, filters, search.
        changed = cli.ok("conecta", "update", aid, "--status", "finished", "--tags", "a, b",
                         "--no-client")
        assert (changed["status"], changed["tags"], changed["client_id"]) == (
            "finished", ["a", "b"], None)
        assert "There is no client" in cli.refused("conecta", "update", aid, "--client",
                                                   "999")[1]
        assert [c["id"] for c in cli.ok("conecta", "list", "--status", "finished")] == [
            card["id"]]
        assert {c["medium"] for c in cli.ok("conecta", "list", "--search", "maria")} == {
            "whatsapp", "email", "voip"}
        assert [c["name"] for c in cli.ok("conecta", "list", "--channel", "whatsapp",
                                          "--status", "in_progress")] == ["João"]
        assert cli.refused("conecta", "show", "999")
