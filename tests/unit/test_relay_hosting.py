"""packaging/relay/ holds together: the compose file, the image recipe, the
Caddyfile, the systemd unit and their settings files name the same services,
ports, paths and relay variables, and no secret is written in them. Nothing is
built here (no container engine); tests/e2e/test_relay_alone.py starts the relay
exactly as the unit does."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from ipaddress import ip_address, ip_network
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy.engine import make_url

from relay.config import RelaySettings
from relay.guard import networks
from tests.systemd_unit import environment_assignments, read_unit

ROOT = Path(__file__).resolve().parents[2]
HERE = ROOT / "packaging" / "relay"
COMPOSE: dict[str, Any] = yaml.safe_load((HERE / "compose.yaml").read_text(encoding="utf-8"))
SERVICES: dict[str, Any] = COMPOSE["services"]
CADDYFILE = (HERE / "Caddyfile").read_text(encoding="utf-8")
UNIT_TEXT = (HERE / "practice-relay.service").read_text(encoding="utf-8")
UNIT = read_unit(UNIT_TEXT)
SECRET_WORDS = ("PASSWORD", "SECRET", "TOKEN", "KEY", "DATABASE_URL")


def relay_variables() -> set[str]:
    """Every RELAY_ variable the relay's code names (relay/config.py reads them)."""
    return {name for path in (ROOT / "relay").glob("*.py")
            for name in re.findall(r"\bRELAY_[A-Z0-9_]+\b", path.read_text(encoding="utf-8"))}


def interpolate(value: str, env: dict[str, str]) -> str:
    """Compose's ${NAME}, ${NAME:?message} and ${NAME:-default}."""
    def one(m: re.Match[str]) -> str:
        name, how, rest = m.group(1), m.group(2) or "", m.group(3) or ""
        if env.get(name):
            return env[name]
        if how == ":?":
            raise KeyError(f"{name}: {rest}")
        return rest if how == ":-" else ""
    return re.sub(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(:\?|:-)?([^}]*)\}", one, value)


def interpolated_names(text: str) -> set[str]:
    return set(re.findall(r"\$\{([A-Za-z_][A-Za-z0-9_]*)", text))


def settings_file(name: str) -> dict[str, str]:
    """A settings file's variables, those given as a commented example too."""
    out = {}
    for line in (HERE / name).read_text(encoding="utf-8").splitlines():
        m = re.fullmatch(r"#?\s*([A-Z][A-Z0-9_]*)=(.*)", line.strip())
        if m:
            out[m.group(1)] = m.group(2)
    return out


def dockerfile() -> list[tuple[str, str]]:
    """The recipe's instructions, continuation lines joined, comments dropped."""
    text = re.sub(r"\\\n", " ", (HERE / "Dockerfile").read_text(encoding="utf-8"))
    out = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            word, _, rest = line.partition(" ")
            out.append((word.upper(), rest.strip()))
    return out


def instruction(name: str) -> list[str]:
    return [rest for word, rest in dockerfile() if word == name]


def relay_port() -> int:
    (command,) = instruction("CMD")
    args = json.loads(command)
    return int(args[args.index("--port") + 1])


def test_compose_runs_the_relay_behind_caddy_with_postgresql() -> None:
    assert set(SERVICES) == {"relay", "caddy", "db"}
    relay, caddy, db = SERVICES["relay"], SERVICES["caddy"], SERVICES["db"]
    # The image is built from the relay's folder alone, with this folder's recipe.
    context = (HERE / relay["build"]["context"]).resolve()
    assert context == ROOT / "relay" and (context / "pyproject.toml").exists()
    assert (context / relay["build"]["dockerfile"]).resolve() == HERE / "Dockerfile"
    assert "ports" not in relay and "ports" not in db  # only Caddy faces the internet

    env = relay["environment"]
    assert set(env) <= relay_variables(), set(env) - relay_variables()
    sample = {"POSTGRES_PASSWORD": "0123abcd", "DOMAIN": "relay.example.org"}
    url = make_url(interpolate(env["RELAY_DATABASE_URL"], sample))
    assert (url.drivername, url.host, url.port) == ("postgresql+psycopg", "db", 5432)
    assert (url.username, url.password, url.database) == (
        db["environment"]["POSTGRES_USER"], "0123abcd", db["environment"]["POSTGRES_DB"])
    assert interpolate(db["environment"]["POSTGRES_PASSWORD"], sample) == "0123abcd"
    assert interpolate(env["RELAY_PUBLIC_URL"], sample) == "https://relay.example.org"
    with pytest.raises(KeyError, match="POSTGRES_PASSWORD"):  # compose stops, says which
        interpolate(env["RELAY_DATABASE_URL"], {})

    # The relay believes X-Forwarded-For from Caddy's fixed address, and only it.
    caddy_address = ip_address(caddy["networks"]["relay"]["ipv4_address"])
    assert networks(env["RELAY_TRUSTED_PROXIES"]) == (ip_network(caddy_address),)
    (pool,) = COMPOSE["networks"]["relay"]["ipam"]["config"]
    assert caddy_address in ip_network(pool["subnet"])
    assert caddy_address not in ip_network(pool["ip_range"])  # never handed to another
    assert relay["depends_on"]["db"]["condition"] == "service_healthy"
    assert "pg_isready" in " ".join(db["healthcheck"]["test"])
    volume, _, target = db["volumes"][0].partition(":")
    assert volume in COMPOSE["volumes"] and target == "/var/lib/postgresql/data"


def test_caddy_serves_the_domain_and_proxies_to_the_relays_port() -> None:
    caddy = SERVICES["caddy"]
    assert {"80:80", "443:443"} <= set(caddy["ports"])
    mounts = dict(v.split(":", 1) for v in caddy["volumes"])
    assert mounts["./Caddyfile"] == "/etc/caddy/Caddyfile:ro"
    assert "/data" in mounts.values()  # certificates survive a restart
    assert set(caddy["environment"]) == {"DOMAIN"}
    sites = re.findall(r"^(\S+) \{$", CADDYFILE, re.M)
    assert sites == ["{$DOMAIN}"]
    (upstream,) = re.findall(r"^\s*reverse_proxy (\S+)$", CADDYFILE, re.M)
    host, port = upstream.split(":")
    assert host in SERVICES and host == "relay" and int(port) == relay_port()
    (size,) = re.findall(r"max_size (\d+)KiB", CADDYFILE)
    assert int(size) * 1024 == RelaySettings.__dataclass_fields__["max_body"].default


def test_the_image_runs_the_relay_alone_as_a_user_of_its_own() -> None:
    assert instruction("FROM") == ["python:3.11-slim"]
    (user,) = instruction("USER")
    assert user not in ("root", "0") and any("useradd" in r and r.endswith(user)
                                             for r in instruction("RUN"))
    # The last USER comes after every RUN: the relay never runs as root.
    words = [w for w, _ in dockerfile()]
    assert words.index("USER") > max(i for i, w in enumerate(words) if w == "RUN")
    (copy,) = instruction("COPY")
    source, target = copy.split()
    assert source == "."  # the build context: relay/, without what a local run left there
    ignored = (HERE / "Dockerfile.dockerignore").read_text(encoding="utf-8").splitlines()
    assert {"**/__pycache__", "build", "*.egg-info", "*.sqlite3*"} <= set(ignored)
    assert any(f'pip install "{target}[postgres]"' in r for r in instruction("RUN"))
    (command,) = instruction("CMD")
    assert json.loads(command) == ["practice-relay", "--host", "0.0.0.0", "--port",
                                   str(relay_port())]
    assert instruction("EXPOSE") == [str(relay_port())]
    (health,) = instruction("HEALTHCHECK")
    assert f"http://127.0.0.1:{relay_port()}/healthz" in health


def test_no_secret_is_written_in_the_compose_file_or_the_unit() -> None:
    def strings(node: Any, key: str = "") -> list[tuple[str, str]]:
        if isinstance(node, dict):
            return [s for k, v in node.items() for s in strings(v, str(k))]
        if isinstance(node, list):
            return [s for v in node for s in strings(v, key)]
        return [(key, str(node))]

    for key, value in strings(COMPOSE):
        if any(word in key.upper() for word in SECRET_WORDS):
            # Its secret part comes from .env, never from here.
            assert "${POSTGRES_PASSWORD" in value or key == "POSTGRES_USER", (key, value)
    assert SERVICES["relay"]["env_file"] == ".env"
    assert "packaging/relay/.env" in (ROOT / ".gitignore").read_text().splitlines()
    # Every ${NAME} the compose file needs is in the example .env.
    needed = interpolated_names((HERE / "compose.yaml").read_text(encoding="utf-8"))
    assert needed <= set(settings_file(".env.example")), needed
    assert settings_file(".env.example")["POSTGRES_PASSWORD"] == ""  # each server its own

    given = {name for line in UNIT.values("Service", "Environment")
             for name in environment_assignments(line)}
    assert not any(word in name for name in given for word in SECRET_WORDS), given
    assert UNIT.values("Service", "EnvironmentFile") == ["/etc/practice-relay/relay.env"]


def test_the_settings_files_name_only_what_the_relay_reads() -> None:
    known = relay_variables()
    compose_only = {"DOMAIN", "POSTGRES_PASSWORD"}  # read by Compose, Caddy and PostgreSQL
    unit_only = {"PORT"}  # read by ExecStart=
    assert set(settings_file(".env.example")) - compose_only <= known
    assert set(settings_file("practice-relay.env.example")) - unit_only <= known
    given = {name for line in UNIT.values("Service", "Environment")
             for name in environment_assignments(line)}
    assert given - unit_only <= known
    for name in ("RELAY_DATABASE_URL", "RELAY_PUBLIC_URL"):
        assert name in settings_file("practice-relay.env.example")


def test_the_unit_runs_the_installed_relay_as_its_own_user_and_hardened() -> None:
    service = UNIT.sections["Service"]
    assert UNIT.value("Service", "User") == "practice-relay"
    expected = {"NoNewPrivileges": "yes", "ProtectSystem": "strict", "PrivateTmp": "yes",
                "StateDirectory": "practice-relay", "Restart": "on-failure",
                "WorkingDirectory": "/var/lib/practice-relay"}
    assert {k: UNIT.value("Service", k) for k in expected} == expected
    (line,) = service["ExecStart"]
    assert line.split()[0] == "/opt/practice-relay/bin/practice-relay"
    assert "--host 127.0.0.1" in line  # behind the proxy on this server
    assert UNIT.value("Install", "WantedBy") == "multi-user.target"
    assert "ReadWritePaths" not in service  # nothing writable but its state folder


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd not installed")
def test_systemd_accepts_the_unit(tmp_path: Path) -> None:
    """systemd's own reading of the unit, with the relay installed where this test
    runs (`practice-relay` beside this Python) and a settings file of its own."""
    program = Path(sys.prefix) / "bin" / "practice-relay"
    if not program.exists():
        pytest.skip("practice-relay is not installed beside this Python")
    env_file = tmp_path / "relay.env"
    env_file.write_text("PORT=8080\n")
    unit = tmp_path / "practice-relay.service"
    unit.write_text(UNIT_TEXT.replace("/opt/practice-relay", sys.prefix)
                    .replace("/etc/practice-relay/relay.env", str(env_file)))
    checked = subprocess.run(["systemd-analyze", "verify", str(unit)], capture_output=True,
                             text=True, timeout=60)
    assert checked.returncode == 0, checked.stderr
    mentions = [line for line in checked.stderr.splitlines() if unit.name in line]
    assert mentions == []
