"""The mail servers of an e-mail address, found as Thunderbird's account set-up
finds them (comm-central mail/components/accountcreation, FetchConfig and
GuessConfig; https://wiki.mozilla.org/Thunderbird:Autoconfiguration), in its
order, the first source that answers winning:

1. "domain": the domain's own autoconfig file,
   https://autoconfig.{domain}/mail/config-v1.1.xml?emailaddress={address}, then
   https://{domain}/.well-known/autoconfig/mail/config-v1.1.xml;
2. "ispdb": Mozilla's database of providers, https://autoconfig.thunderbird.net/v1.1/{domain};
3. "mx": the same database for the domain of the host that receives the
   domain's mail (its MX: a Google Workspace or Microsoft 365 domain);
4. "srv": the domain's SRV records (RFC 6186 §3.1 _submission and _imap(s);
   RFC 8314 §5.1 _submissions, submission over implicit TLS);
5. "guess": well-known names (smtp., mail., imap.{domain}) probed on their ports:
   a greeting, and STARTTLS offered where the port wants it.

A file in the clientConfig format (https://wiki.mozilla.org/Thunderbird:Autoconfiguration:
ConfigFileFormat) is data from outside: read without a DTD (a file declaring one,
as an entity bomb does, is refused), its names and ports checked. A source that
fails (unreachable, broken, refused, without an outgoing server) is noted in
`Found.tried` and the next one is asked; nothing is filled in silently: the result
names the source. Unencrypted servers are never proposed.

Every network step has a time limit and the whole search a deadline; run it off
the GUI thread. `Sources` points each source elsewhere (tests: loopback)."""

from __future__ import annotations

import logging
import re
import socket
import ssl
import time
import xml.etree.ElementTree as ET
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from urllib.parse import quote, urlsplit
from xml.parsers import expat

import dns.exception
import dns.resolver
import requests

from app.i18n import _
from app.services.channels import text
from app.services.errors import InvalidInput, PracticeError
from app.services.values import normalize_email

log = logging.getLogger(__name__)

SOURCES = ("domain", "ispdb", "mx", "srv", "guess")
MAX_FILE = 64 * 1024  # bytes; providers' files are a few kilobytes
# Logins the app can make (a password); a server offering only OAuth2, Kerberos
# or NTLM cannot be used with one. No <authentication> at all: a password too.
PASSWORD_LOGINS = {"password-cleartext", "plain", "password-encrypted", "secure", "none"}
SECURITY_OF = {"SSL": "ssl", "TLS": "ssl", "STARTTLS": "starttls"}  # socketType → ours
_HOST = re.compile(r"(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)*"
                   r"[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?", re.I)
# Second-level labels under a country code that are not a registrant's own
# (bemestar.com.br, clinic.co.uk): the MX's registered domain keeps one more label.
_SHARED_SECOND_LEVEL = {"com", "net", "org", "gov", "edu", "co", "ac", "or", "ne"}


@dataclass(frozen=True)
class Server:
    host: str  # a DNS name (or an IP address, as a domain's own file may give)
    port: int
    security: str  # "ssl" or "starttls", as config's smtp.security / imap.security
    user: str  # the login name, the file's %EMAILADDRESS% and the like filled in


@dataclass(frozen=True)
class Attempt:
    source: str  # one of SOURCES
    where: str  # the URL, DNS name or host:port asked
    outcome: str  # in English, for the log and a tooltip: "found", "answered 404", ...


@dataclass(frozen=True)
class Found:
    address: str  # the e-mail address, normalised
    source: str  # one of SOURCES: where the servers below come from
    where: str  # the URL, DNS name or host names of that source
    smtp: Server
    imap: Server | None  # None: the source named no IMAP server the app can use
    provider: str  # the provider's name as its file gives it ("" if none): outside text
    tried: tuple[Attempt, ...]  # every source asked, in order, this one last


class NothingFound(PracticeError):
    """No source named an outgoing server for the address; the sentence says what
    to do. `tried`: what was asked."""

    def __init__(self, message: str, tried: tuple[Attempt, ...]) -> None:
        super().__init__(message)
        self.tried = tried


@dataclass(frozen=True)
class Sources:
    """Where each source is asked. URL templates take {domain} (IDNA) and
    {address} (URL-encoded). resolver: the DNS resolver for MX, SRV and the guessed
    names; None asks the system's (dnspython's configuration for MX and SRV, the
    operating system for names). Ports: (port, security) in the order tried.
    step_timeout: seconds for any one network step; within: seconds for the whole
    search."""

    domain_urls: tuple[str, ...] = (
        "https://autoconfig.{domain}/mail/config-v1.1.xml?emailaddress={address}",
        "https://{domain}/.well-known/autoconfig/mail/config-v1.1.xml")
    ispdb_url: str = "https://autoconfig.thunderbird.net/v1.1/{domain}"
    resolver: dns.resolver.Resolver | None = None
    smtp_names: tuple[str, ...] = ("smtp.{domain}", "mail.{domain}")
    imap_names: tuple[str, ...] = ("imap.{domain}", "mail.{domain}")
    smtp_ports: tuple[tuple[int, str], ...] = ((465, "ssl"), (587, "starttls"))
    imap_ports: tuple[tuple[int, str], ...] = ((993, "ssl"), (143, "starttls"))
    step_timeout: float = 5.0
    within: float = 45.0
    tls: Callable[[], ssl.SSLContext] = field(default=ssl.create_default_context)


class _Skip(Exception):
    """This source gave nothing usable; the message says why (English, for `tried`)."""


# ---------------------------------------------------------------- the config file

def _safe_tree(raw: bytes) -> ET.Element:
    """The XML document as elements, refusing any DTD: a clientConfig file has none,
    and entities (the "billion laughs" bomb, external entities reading files) are
    declared in one. Without a DTD, expat refuses every entity but the five
    predefined ones. Raises _Skip."""
    parser = expat.ParserCreate()
    builder = ET.TreeBuilder()

    def refuse(*_args: object) -> int:
        raise _Skip("refused: it declares a DTD or entities")

    parser.StartDoctypeDeclHandler = refuse
    parser.EntityDeclHandler = refuse
    parser.ExternalEntityRefHandler = refuse
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    parser.StartElementHandler = lambda name, attrs: builder.start(name, attrs)
    parser.EndElementHandler = lambda name: builder.end(name)
    parser.CharacterDataHandler = builder.data
    try:
        parser.Parse(raw, True)
    except expat.ExpatError as exc:
        raise _Skip(f"not readable XML ({expat.ErrorString(exc.code)})") from None
    return builder.close()


def _filled(value: str, address: str) -> str:
    local, domain = address.rsplit("@", 1)
    return (value.replace("%EMAILADDRESS%", address).replace("%EMAILLOCALPART%", local)
            .replace("%EMAILDOMAIN%", domain))


def _text_of(element: ET.Element, tag: str) -> str:
    return (element.findtext(tag) or "").strip()


def _server(element: ET.Element, address: str) -> Server | None:
    """One <incomingServer>/<outgoingServer> as a Server, or None when the app
    cannot use it: unencrypted, a login other than a password, a name or port
    that is not one."""
    security = SECURITY_OF.get(_text_of(element, "socketType").upper())
    logins = {(a.text or "").strip().lower() for a in element.findall("authentication")}
    host = _filled(_text_of(element, "hostname"), address).lower().rstrip(".")
    port = _text_of(element, "port")
    if security is None or (logins and not logins & PASSWORD_LOGINS):
        return None
    if not _HOST.fullmatch(host) or not port.isdigit() or not 0 < int(port) < 65536:
        return None
    user = _filled(_text_of(element, "username"), address) or address
    return Server(host, int(port), security, text.shorten(text.one_line(user), 200))


def read_config(raw: bytes, address: str) -> tuple[str, Server, Server | None]:
    """A clientConfig file's (provider name, SMTP server, IMAP server or None): the
    first usable server of each kind, in the file's order (its preference).
    Raises _Skip when the file is refused, broken or names no usable SMTP server."""
    root = _safe_tree(raw)
    provider = root.find("emailProvider")
    if root.tag != "clientConfig" or provider is None:
        raise _Skip("not a clientConfig file")
    smtp = next((s for e in provider.findall("outgoingServer") if e.get("type") == "smtp"
                 for s in [_server(e, address)] if s), None)
    imap = next((s for e in provider.findall("incomingServer") if e.get("type") == "imap"
                 for s in [_server(e, address)] if s), None)
    if smtp is None:
        raise _Skip("no encrypted SMTP server with a password login in it")
    name = _text_of(provider, "displayName") or _text_of(provider, "displayShortName")
    return text.shorten(text.one_line(name), 80), smtp, imap


# ---------------------------------------------------------------- the search

class _Search:
    def __init__(self, address: str, sources: Sources) -> None:
        self.address, self.sources = address, sources
        domain = address.rsplit("@", 1)[1]
        try:
            self.domain = domain.encode("idna").decode("ascii").lower()
        except UnicodeError:
            raise InvalidInput(_("'{value}' is not a valid e-mail address.")
                               .format(value=address)) from None
        self.deadline = time.monotonic() + sources.within
        self.tried: list[Attempt] = []
        self._resolver: dns.resolver.Resolver | None = sources.resolver

    # -- limits

    def left(self) -> float:
        """Seconds for the next step: the step's limit, or what is left of the search's."""
        left = self.deadline - time.monotonic()
        if left <= 0.05:
            raise _OutOfTime
        return min(self.sources.step_timeout, left)

    def note(self, source: str, where: str, outcome: str) -> None:
        self.tried.append(Attempt(source, where, outcome))
        log.debug("mail settings for %s: %s %s: %s", self.domain, source, where, outcome)

    def found(self, source: str, where: str, provider: str, smtp: Server,
              imap: Server | None) -> Found:
        self.note(source, where, "found")
        return Found(self.address, source, where, smtp, imap, provider, tuple(self.tried))

    # -- files

    def fetch(self, url: str) -> bytes:
        """The body of a 200 answer, at most MAX_FILE bytes. Raises _Skip."""
        try:
            with requests.get(url, timeout=self.left(), stream=True, allow_redirects=True,
                              headers={"Accept": "application/xml, text/xml"}) as answer:
                if urlsplit(answer.url).scheme != urlsplit(url).scheme:
                    raise _Skip("redirected to an unencrypted address")
                if answer.status_code != 200:
                    raise _Skip(f"answered {answer.status_code}")
                body = b""
                for chunk in answer.iter_content(8192):
                    body += chunk
                    if len(body) > MAX_FILE:
                        raise _Skip("too large for a settings file")
                    self.left()
                return body
        except requests.Timeout:
            raise _Skip("no answer in time") from None
        except requests.RequestException as exc:
            raise _Skip(f"unreachable ({type(exc).__name__})") from None

    def from_file(self, source: str, url: str) -> Found | None:
        try:
            provider, smtp, imap = read_config(self.fetch(url), self.address)
        except _Skip as skip:
            self.note(source, url, str(skip))
            return None
        return self.found(source, url, provider, smtp, imap)

    def domain_files(self) -> Found | None:
        for template in self.sources.domain_urls:
            url = template.format(domain=self.domain, address=quote(self.address, safe="@"))
            found = self.from_file("domain", url)
            if found:
                return found
        return None

    def ispdb(self, domain: str, source: str = "ispdb") -> Found | None:
        return self.from_file(source, self.sources.ispdb_url.format(domain=domain))

    # -- DNS

    def resolver(self) -> dns.resolver.Resolver:
        if self._resolver is None:
            try:
                self._resolver = dns.resolver.Resolver()
            except dns.resolver.NoResolverConfiguration:
                raise _Skip("no DNS settings on this computer") from None
        return self._resolver

    def lookup(self, name: str, kind: str) -> dns.resolver.Answer | None:
        """The records, or None when there are none; _Skip when DNS did not answer."""
        try:
            return self.resolver().resolve(name, kind, lifetime=self.left(),
                                           raise_on_no_answer=False)
        except (dns.resolver.NXDOMAIN, dns.resolver.NoNameservers):
            return None
        except dns.exception.Timeout:
            raise _Skip("DNS did not answer in time") from None
        except dns.exception.DNSException as exc:
            raise _Skip(f"DNS failed ({type(exc).__name__})") from None

    def mx(self) -> Found | None:
        """The ISPDB for the domain of the host that receives this domain's mail:
        that host minus its first label, then its registered domain."""
        where = f"MX {self.domain}"
        try:
            answer = self.lookup(self.domain, "MX")
        except _Skip as skip:
            self.note("mx", where, str(skip))
            return None
        records = [r for r in (answer.rrset or []) if r.rdtype == dns.rdatatype.MX] \
            if answer is not None else []
        if not records:
            self.note("mx", where, "no MX record")
            return None
        best = min(records, key=lambda r: r.preference)
        host = best.exchange.to_text(omit_final_dot=True).lower()
        for domain in _mx_domains(host):
            if domain == self.domain:
                continue
            found = self.ispdb(domain, "mx")
            if found:
                return found
        return None

    def srv(self) -> Found | None:
        """RFC 6186 §3.1 (and RFC 8314 §5.1): the best record of each service; a
        target of "." says the service is not offered (RFC 2782)."""
        smtp = self.service("_submissions._tcp", "ssl") or \
            self.service("_submission._tcp", "starttls")
        if smtp is None:
            return None
        imap = self.service("_imaps._tcp", "ssl") or self.service("_imap._tcp", "starttls")
        return self.found("srv", f"SRV {self.domain}", "", smtp, imap)

    def service(self, label: str, security: str) -> Server | None:
        name = f"{label}.{self.domain}"
        try:
            answer = self.lookup(name, "SRV")
        except _Skip as skip:
            self.note("srv", name, str(skip))
            return None
        records = [r for r in (answer.rrset or []) if r.rdtype == dns.rdatatype.SRV] \
            if answer is not None else []
        if not records:
            self.note("srv", name, "no SRV record")
            return None
        best = min(records, key=lambda r: (r.priority, -r.weight))
        target = best.target.to_text(omit_final_dot=True).lower()
        if target in ("", ".") or not _HOST.fullmatch(target) or not 0 < best.port < 65536:
            self.note("srv", name, "the service is not offered")
            return None
        return Server(target, int(best.port), security, self.address)

    # -- guessing

    def addresses(self, name: str) -> list[str]:
        """The IP addresses of a guessed name (OSError when it has none)."""
        if self.sources.resolver is None:
            return list(dict.fromkeys(str(info[4][0]) for info in socket.getaddrinfo(
                name, None, type=socket.SOCK_STREAM)))
        answer = self.lookup(name, "A")
        found = [r.to_text() for r in (answer.rrset or [])] if answer is not None else []
        if not found:
            raise OSError(f"{name} has no address")
        return found

    def guess(self) -> Found | None:
        """Every candidate (name, port) probed at once; the first in order of
        preference that answers as a mail server wins."""
        names = {"smtp": [n.format(domain=self.domain) for n in self.sources.smtp_names],
                 "imap": [n.format(domain=self.domain) for n in self.sources.imap_names]}
        ports = {"smtp": self.sources.smtp_ports, "imap": self.sources.imap_ports}
        candidates = [(kind, name, port, security) for kind in ("smtp", "imap")
                      for name in names[kind] for port, security in ports[kind]]
        timeout = self.left()
        with ThreadPoolExecutor(max_workers=min(8, len(candidates) or 1)) as pool:
            futures = [pool.submit(self.probe, *c, timeout) for c in candidates]
            outcomes = [f.result() for f in futures]
        chosen: dict[str, Server] = {}
        for (kind, name, port, security), outcome in zip(candidates, outcomes, strict=True):
            self.note("guess", f"{name}:{port}", outcome)
            if outcome == "answers" and kind not in chosen:
                chosen[kind] = Server(name, port, security, self.address)
        if "smtp" not in chosen:
            return None
        where = ", ".join(dict.fromkeys(s.host for s in chosen.values()))
        return Found(self.address, "guess", where, chosen["smtp"], chosen.get("imap"), "",
                     tuple(self.tried))

    def probe(self, kind: str, name: str, port: int, security: str, timeout: float) -> str:
        """"answers" when `name`:`port` greets as an SMTP or IMAP server (and, for
        STARTTLS, offers it); else why not, in English."""
        try:
            address = self.addresses(name)[0]
            with socket.create_connection((address, port), timeout=timeout) as raw:
                raw.settimeout(timeout)
                if security == "ssl":
                    with self.sources.tls().wrap_socket(raw, server_hostname=name) as tls:
                        return _greets(tls, kind, security)
                return _greets(raw, kind, security)
        except ssl.SSLCertVerificationError:
            return "its certificate is not for this name"
        except (OSError, _Skip, _OutOfTime) as exc:
            return f"no ({type(exc).__name__})"


class _OutOfTime(Exception):
    pass


def _greets(sock: socket.socket, kind: str, security: str) -> str:
    """Reads the greeting (and asks for the capabilities when STARTTLS is wanted):
    RFC 5321 §4.2 / RFC 3207 for SMTP, RFC 3501 §7.1 / §6.2.1 for IMAP."""
    reader = sock.makefile("rb")

    def line() -> str:
        return reader.readline(1024).decode("ascii", "replace").rstrip("\r\n")

    if kind == "smtp":
        greeting = line()
        while greeting.startswith("220-"):
            greeting = line()
        if not greeting.startswith("220"):
            return "no SMTP greeting"
        sock.sendall(b"EHLO practice-desk\r\n")
        said = [line()]
        while said[-1].startswith("250-") and len(said) < 50:
            said.append(line())
        sock.sendall(b"QUIT\r\n")
        if security == "starttls" and not any("STARTTLS" in s.upper() for s in said):
            return "STARTTLS not offered"
        return "answers" if said[0].startswith("250") else "no answer to EHLO"
    greeting = line()
    if not greeting.startswith(("* OK", "* PREAUTH")):
        return "no IMAP greeting"
    capabilities = greeting
    if security == "starttls" and "STARTTLS" not in greeting.upper():
        sock.sendall(b"a1 CAPABILITY\r\n")
        said = [line()]
        while not said[-1].startswith("a1 ") and said[-1] and len(said) < 50:
            said.append(line())
        capabilities = " ".join(said)
    sock.sendall(b"a2 LOGOUT\r\n")
    if security == "starttls" and "STARTTLS" not in capabilities.upper():
        return "STARTTLS not offered"
    return "answers"


def _mx_domains(host: str) -> list[str]:
    """aspmx.l.google.com → l.google.com, google.com; mx.bemestar.com.br →
    bemestar.com.br. The registered domain is approximated without the Public
    Suffix List that Thunderbird uses: a country's shared second level (com.br,
    co.uk) keeps a third label."""
    labels = [part for part in host.split(".") if part]
    if len(labels) < 2:
        return []
    keep = 3 if len(labels) >= 3 and len(labels[-1]) == 2 and \
        labels[-2] in _SHARED_SECOND_LEVEL else 2
    out = []
    if len(labels) > keep:
        out.append(".".join(labels[1:]))
    out.append(".".join(labels[-keep:]))
    return list(dict.fromkeys(out))


def discover(address: str, sources: Sources | None = None) -> Found:
    """The SMTP (and IMAP) servers for `address`, and where they were found.
    Raises InvalidInput for an address that is not one, NothingFound (with what
    was tried) when no source named a server the app can use."""
    address = normalize_email(address)
    search = _Search(address, sources or Sources())
    domain = search.domain
    steps: list[Callable[[], Found | None]] = [
        search.domain_files, lambda: search.ispdb(domain), search.mx, search.srv, search.guess]
    try:
        for step in steps:
            found = step()
            if found is not None:
                return found
    except _OutOfTime:
        raise NothingFound(_("Looking for the settings of {domain} took too long: fill in "
                             "the servers your e-mail provider gives (its help pages list "
                             "them for \"other mail programs\", as IMAP and SMTP).")
                           .format(domain=domain), tuple(search.tried)) from None
    raise NothingFound(_("No server settings were found for {domain}: fill in the servers "
                         "your e-mail provider gives (its help pages list them for \"other "
                         "mail programs\", as IMAP and SMTP).").format(domain=domain),
                       tuple(search.tried))
