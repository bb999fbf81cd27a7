"""Reads a systemd unit file and works out what systemd would run: the command
line of ExecStart= and its environment (Environment=, then EnvironmentFile=), by
the rules of systemd.unit(5), systemd.service(5) and systemd.exec(5)
(https://www.freedesktop.org/software/systemd/man/latest/systemd.exec.html), so a
test can start a program exactly as its unit does."""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass
from pathlib import Path

# What systemd itself hands a system service, before the unit's own settings.
SYSTEMD_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin"


@dataclass(frozen=True)
class Unit:
    sections: dict[str, dict[str, list[str]]]  # section → key → every value, in order

    def values(self, section: str, key: str) -> list[str]:
        """Every assignment of `key`, an empty one clearing those before it (as
        systemd does for list settings such as Environment=)."""
        out: list[str] = []
        for value in self.sections.get(section, {}).get(key, []):
            out = [] if value == "" else [*out, value]
        return out

    def value(self, section: str, key: str) -> str | None:
        """The last assignment of a single-valued setting, or None."""
        found = self.sections.get(section, {}).get(key, [])
        return found[-1] if found else None


def read_unit(text: str) -> Unit:
    """Sections and their settings: comments start with # or ;, a line ending in
    a backslash continues on the next, white space around = is not part of either
    side. Raises ValueError for a line that is neither."""
    sections: dict[str, dict[str, list[str]]] = {}
    current: dict[str, list[str]] | None = None
    joined: list[str] = []
    pending = ""
    for raw in text.splitlines():
        line = raw.strip()
        if not pending and (not line or line[0] in "#;"):
            continue
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        joined.append(pending + line)
        pending = ""
    for line in joined:
        if line.startswith("[") and line.endswith("]"):
            current = sections.setdefault(line[1:-1], {})
            continue
        key, sep, value = line.partition("=")
        if not sep or current is None:
            raise ValueError(f"not a setting: {line!r}")
        current.setdefault(key.strip(), []).append(value.strip())
    return Unit(sections)


def environment_assignments(value: str) -> dict[str, str]:
    """One Environment= line: assignments separated by spaces, each possibly in
    quotes ("VAR=a b" VAR2=c)."""
    out: dict[str, str] = {}
    for word in shlex.split(value):
        name, sep, val = word.partition("=")
        if not sep or not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
            raise ValueError(f"not an assignment: {word!r}")
        out[name] = val
    return out


def read_environment_file(text: str) -> dict[str, str]:
    """An EnvironmentFile=: KEY=VALUE lines, # or ; comments, blank lines; a value
    in single or double quotes loses them."""
    out: dict[str, str] = {}
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line[0] in "#;":
            continue
        name, sep, value = line.partition("=")
        if not sep:
            raise ValueError(f"not an assignment: {line!r}")
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = shlex.split(value)[0]
        out[name.strip()] = value
    return out


def service_environment(unit: Unit, files: dict[str, Path] | None = None) -> dict[str, str]:
    """What the service's process is given: Environment= in order, then each
    EnvironmentFile= (whose settings override Environment='s, systemd.exec(5));
    `files` says where each named file is to be read from instead (a test's).
    A missing file is an error unless its name starts with "-"."""
    env: dict[str, str] = {"PATH": SYSTEMD_PATH}
    for line in unit.values("Service", "Environment"):
        env.update(environment_assignments(line))
    for name in unit.values("Service", "EnvironmentFile"):
        optional = name.startswith("-")
        name = name.removeprefix("-")
        path = (files or {}).get(name, Path(name))
        if not path.exists() and optional:
            continue
        env.update(read_environment_file(path.read_text(encoding="utf-8")))
    return env


_VARIABLE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}|\$([A-Za-z_][A-Za-z0-9_]*)")
_BRACED = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


def exec_start(unit: Unit, env: dict[str, str]) -> list[str]:
    """ExecStart='s command line: words split as a shell would (quotes kept
    together), "${NAME}" (a word or part of one) replaced by the variable's value
    and "$NAME" (a word of its own) by its value split at white space, "$$" a
    dollar sign (systemd.service(5), "Command lines"). Prefixes such as "-" or
    "+" change how systemd runs the command; a test cannot copy them, so they
    raise ValueError."""
    lines = unit.values("Service", "ExecStart")
    if len(lines) != 1:
        raise ValueError(f"a service of Type=exec/simple has one ExecStart=, not {lines!r}")
    line = lines[0]
    if line[:1] in "@-:+!|":
        raise ValueError(f"ExecStart= with a prefix systemd interprets: {line!r}")
    words: list[str] = []
    for word in shlex.split(line.replace("$$", "\0")):
        whole = _VARIABLE.fullmatch(word)
        if whole and whole.group(2):
            words.extend(env.get(whole.group(2), "").split())
            continue
        words.append(_BRACED.sub(lambda m: env.get(m.group(1), ""), word).replace("\0", "$"))
    return words
