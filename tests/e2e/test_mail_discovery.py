"""Finding an address's mail servers as Thunderbird does, against a fake
autoconfig server (the domain's own file and the ISPDB, over HTTPS on loopback),
a loopback DNS server (MX, SRV, A records) and real SMTP and IMAP servers probed
on loopback ports: each source in order, the first that answers wins, a hostile
or broken file is skipped to the next, and the result says where it came from."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from app.services.channels import mail_discovery
from app.services.channels.mail_discovery import NothingFound, Server
from app.services.errors import InvalidInput
from tests.fakes import tls
from tests.fakes.autoconfig import AutoconfigServer, client_config
from tests.fakes.imap import ImapServer
from tests.fakes.nameserver import NameServer
from tests.fakes.smtp import SmtpServer, free_port

ADDRESS = "contato@bemestar.example"
DOMAIN_FILE = client_config("bemestar.example", name="Bem-Estar",
                            smtp=("smtp.bemestar.example", 587, "STARTTLS"),
                            imap=("imap.bemestar.example", 993, "SSL"))
ISPDB_FILE = client_config("bemestar.example", name="Hospedagem Exemplo",
                           smtp=("smtp.hospedagem.example", 465, "SSL"),
                           imap=("imap.hospedagem.example", 993, "SSL"),
                           username="%EMAILLOCALPART%")
BOMB = b"""<?xml version="1.0"?>
<!DOCTYPE clientConfig [
 <!ENTITY a "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa">
 <!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">
 <!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">
 <!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;">
]>
<clientConfig version="1.1"><emailProvider id="x"><displayName>&d;</displayName>
<outgoingServer type="smtp"><hostname>evil.example</hostname><port>465</port>
<socketType>SSL</socketType><username>&d;</username></outgoingServer>
</emailProvider></clientConfig>"""

XXE = b"""<?xml version="1.0"?>
<!DOCTYPE clientConfig [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<clientConfig version="1.1"><emailProvider id="x"><displayName>&secret;</displayName>
<outgoingServer type="smtp"><hostname>evil.example</hostname><port>465</port>
<socketType>SSL</socketType><username>&secret;</username></outgoingServer>
</emailProvider></clientConfig>"""


@pytest.fixture
def web(monkeypatch: pytest.MonkeyPatch) -> Iterator[AutoconfigServer]:
    certificate = tls.loopback()
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(certificate.cert))
    with AutoconfigServer(certificate.server_context()) as server:
        yield server


@pytest.fixture
def dns_server() -> Iterator[NameServer]:
    with NameServer() as server:
        yield server


def sources(web: AutoconfigServer, dns_server: NameServer, **kw: object):  # type: ignore[no-untyped-def]
    return web.sources(resolver=dns_server.resolver(), smtp_ports=(), imap_ports=(), **kw)


def test_the_domains_own_file_comes_first(web: AutoconfigServer,
                                          dns_server: NameServer) -> None:
    web.data.domain_files["bemestar.example"] = DOMAIN_FILE
    web.data.ispdb["bemestar.example"] = ISPDB_FILE
    found = mail_discovery.discover(" contato@BemEstar.example ",
                                    sources(web, dns_server))
    assert (found.source, found.address, found.provider) == ("domain", ADDRESS, "Bem-Estar")
    assert found.where.startswith(web.url + "/autoconfig/bemestar.example/")
    assert found.smtp == Server("smtp.bemestar.example", 587, "starttls", ADDRESS)
    assert found.imap == Server("imap.bemestar.example", 993, "ssl", ADDRESS)
    assert web.asked() == ["/autoconfig/bemestar.example/mail/config-v1.1.xml"]
    assert web.data.requests[0].query["emailaddress"] == [ADDRESS]
    assert dns_server.asked == []  # nothing more was asked once a source answered


def test_the_well_known_file_then_the_ispdb(web: AutoconfigServer,
                                            dns_server: NameServer) -> None:
    web.data.well_known["bemestar.example"] = DOMAIN_FILE
    found = mail_discovery.discover(ADDRESS, sources(web, dns_server))
    assert found.source == "domain" and "/.well-known/autoconfig/" in found.where
    assert [a.outcome for a in found.tried] == ["answered 404", "found"]

    del web.data.well_known["bemestar.example"]
    web.data.ispdb["bemestar.example"] = ISPDB_FILE
    found = mail_discovery.discover(ADDRESS, sources(web, dns_server))
    assert (found.source, found.provider) == ("ispdb", "Hospedagem Exemplo")
    assert found.where == f"{web.url}/ispdb/v1.1/bemestar.example"
    assert found.smtp == Server("smtp.hospedagem.example", 465, "ssl", "contato")
    assert [(a.source, a.outcome) for a in found.tried] == [
        ("domain", "answered 404"), ("domain", "answered 404"), ("ispdb", "found")]


@pytest.mark.parametrize("hostile", [BOMB, XXE], ids=["entity bomb", "external entity"])
def test_a_hostile_file_is_refused_and_the_next_source_answers(
        web: AutoconfigServer, dns_server: NameServer, hostile: bytes) -> None:
    web.data.domain_files["bemestar.example"] = hostile
    web.data.ispdb["bemestar.example"] = ISPDB_FILE
    started = time.monotonic()
    found = mail_discovery.discover(ADDRESS, sources(web, dns_server))
    assert time.monotonic() - started < 5
    assert found.source == "ispdb" and found.smtp.host == "smtp.hospedagem.example"
    assert found.tried[0].outcome == "refused: it declares a DTD or entities"


@pytest.mark.parametrize(("body", "why"), [
    (b"<clientConfig><emailProvider id='x'><outgoingServer", "not readable XML"),
    (b"<html><body>Welcome to nginx!</body></html>", "not a clientConfig file"),
    (client_config("bemestar.example", smtp=("smtp.bemestar.example", 25, "plain")),
     "no encrypted SMTP server"),
    (client_config("bemestar.example", smtp=("smtp.bemestar.example;rm -rf", 465, "SSL")),
     "no encrypted SMTP server"),
    (client_config("bemestar.example", smtp=("smtp.bemestar.example", 70000, "SSL")),
     "no encrypted SMTP server"),
])
def test_a_file_that_cannot_be_used_is_skipped(web: AutoconfigServer, dns_server: NameServer,
                                               body: bytes, why: str) -> None:
    web.data.domain_files["bemestar.example"] = body
    web.data.ispdb["bemestar.example"] = ISPDB_FILE
    found = mail_discovery.discover(ADDRESS, sources(web, dns_server))
    assert found.source == "ispdb"
    assert found.tried[0].outcome.startswith(why)


def test_a_server_offering_only_oauth_is_not_proposed(web: AutoconfigServer,
                                                      dns_server: NameServer) -> None:
    oauth_only = client_config("bemestar.example", smtp=("smtp.bemestar.example", 465, "SSL"),
                               imap=("imap.bemestar.example", 993, "SSL")).replace(
        b"<authentication>password-cleartext</authentication>",
        b"<authentication>OAuth2</authentication>")
    web.data.domain_files["bemestar.example"] = oauth_only
    web.data.ispdb["bemestar.example"] = ISPDB_FILE
    assert mail_discovery.discover(ADDRESS, sources(web, dns_server)).source == "ispdb"


def test_a_source_that_does_not_answer_in_time_is_passed_over(
        web: AutoconfigServer, dns_server: NameServer) -> None:
    web.data.domain_files["bemestar.example"] = DOMAIN_FILE
    web.data.slow["/autoconfig/bemestar.example/mail/config-v1.1.xml"] = 3.0
    web.data.ispdb["bemestar.example"] = ISPDB_FILE
    started = time.monotonic()
    found = mail_discovery.discover(ADDRESS, sources(web, dns_server, step_timeout=0.5))
    assert time.monotonic() - started < 2.5
    assert found.source == "ispdb" and found.tried[0].outcome == "no answer in time"


def test_the_mx_hosts_provider_in_the_ispdb(web: AutoconfigServer,
                                            dns_server: NameServer) -> None:
    """A domain whose mail a big provider receives (Google Workspace, Microsoft
    365): the ISPDB knows the provider, not the domain."""
    dns_server.add("bemestar.example", "MX", "20 alt1.aspmx.l.mailhost.example.",
                   "10 aspmx.l.mailhost.example.")
    web.data.ispdb["mailhost.example"] = client_config(
        "mailhost.example", name="Mail Host", smtp=("smtp.mailhost.example", 465, "SSL"),
        imap=("imap.mailhost.example", 993, "SSL"))
    found = mail_discovery.discover(ADDRESS, sources(web, dns_server))
    assert (found.source, found.provider) == ("mx", "Mail Host")
    assert found.smtp == Server("smtp.mailhost.example", 465, "ssl", ADDRESS)
    assert web.asked()[-2:] == ["/ispdb/v1.1/l.mailhost.example",
                                "/ispdb/v1.1/mailhost.example"]


def test_srv_records_rfc_6186(web: AutoconfigServer, dns_server: NameServer) -> None:
    dns_server.add("_submissions._tcp.bemestar.example", "SRV", "0 0 0 .")  # not offered
    dns_server.add("_submission._tcp.bemestar.example", "SRV",
                   "10 1 587 smtp2.bemestar.example.", "5 1 587 smtp.bemestar.example.")
    dns_server.add("_imaps._tcp.bemestar.example", "SRV", "0 1 993 imap.bemestar.example.")
    found = mail_discovery.discover(ADDRESS, sources(web, dns_server))
    assert found.source == "srv"
    assert found.smtp == Server("smtp.bemestar.example", 587, "starttls", ADDRESS)
    assert found.imap == Server("imap.bemestar.example", 993, "ssl", ADDRESS)
    assert ("_submissions._tcp.bemestar.example", "SRV") in dns_server.asked


def test_well_known_names_are_probed_on_their_ports(
        web: AutoconfigServer, dns_server: NameServer) -> None:
    """Nothing published: smtp. and imap.{domain} exist and greet as mail servers
    on their ports, STARTTLS offered. An SSL port where nobody listens and a
    server that does not offer STARTTLS are not proposed."""
    certificate = tls.loopback()
    dns_server.add("smtp.bemestar.example", "A", "127.0.0.1")
    dns_server.add("mail.bemestar.example", "A", "127.0.0.1")
    dns_server.add("imap.bemestar.example", "A", "127.0.0.1")
    with SmtpServer(tls=certificate.server_context()) as submission, \
            SmtpServer() as no_starttls, \
            ImapServer(starttls=certificate.server_context()) as imap:
        found = mail_discovery.discover(ADDRESS, web.sources(
            resolver=dns_server.resolver(),
            smtp_ports=((free_port(), "ssl"), (no_starttls.port, "starttls"),
                        (submission.port, "starttls")),
            imap_ports=((free_port(), "ssl"), (imap.port, "starttls"))))
        assert (found.source, found.where) == ("guess",
                                               "smtp.bemestar.example, imap.bemestar.example")
        assert found.smtp == Server("smtp.bemestar.example", submission.port, "starttls",
                                    ADDRESS)
        assert found.imap == Server("imap.bemestar.example", imap.port, "starttls", ADDRESS)
        outcomes = {a.where: a.outcome for a in found.tried if a.source == "guess"}
        assert outcomes[f"smtp.bemestar.example:{no_starttls.port}"] == "STARTTLS not offered"
        assert imap.box.logins == 0 and submission.received == []  # only greeted


def test_nothing_found_says_what_to_do(web: AutoconfigServer,
                                       dns_server: NameServer) -> None:
    with pytest.raises(NothingFound, match=r"No server settings were found for "
                       r"bemestar\.example: fill in the servers") as caught:
        mail_discovery.discover(ADDRESS, sources(web, dns_server))
    assert [a.source for a in caught.value.tried] == ["domain", "domain", "ispdb", "mx",
                                                      "srv", "srv"]


def test_not_an_address(web: AutoconfigServer, dns_server: NameServer) -> None:
    with pytest.raises(InvalidInput, match="is not a valid e-mail address"):
        mail_discovery.discover("contato.bemestar.example", sources(web, dns_server))
    assert web.asked() == []
