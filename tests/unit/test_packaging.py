"""The three PyInstaller recipes, read the way PyInstaller reads them but with
stand-ins that record what each build step is given: only the Linux one can be
built here (tests/e2e/test_bundle.py), so this is what keeps the Windows and
macOS recipes pointing at files that exist and building the programs promised."""

from __future__ import annotations

import sys
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from app import __version__

ROOT = Path(__file__).resolve().parents[2]
PACKAGING = ROOT / "packaging"


def read_recipe(name: str) -> dict[str, list[SimpleNamespace]]:
    steps: dict[str, list[SimpleNamespace]] = {}

    def step(kind: str) -> Any:
        def record(*args: Any, **kw: Any) -> SimpleNamespace:
            made = SimpleNamespace(args=args, kw=kw, pure=[], scripts=[], binaries=[],
                                   datas=[("babel/locale-data/de.dat", "de.dat", "DATA"),
                                          ("babel/locale-data/pt_BR.dat", "pt_BR.dat", "DATA")])
            steps.setdefault(kind, []).append(made)
            return made
        return record

    path = PACKAGING / name
    namespace = {"SPECPATH": str(PACKAGING), "__file__": str(path),
                 **{kind: step(kind) for kind in ("Analysis", "PYZ", "EXE", "COLLECT", "BUNDLE")}}
    saved = list(sys.path)
    try:
        exec(compile(path.read_text(), str(path), "exec"), namespace)
    finally:
        sys.path[:] = saved
    steps["_namespace"] = [SimpleNamespace(**{"a": namespace["a"]})]
    return steps


@pytest.mark.parametrize("recipe", ["linux.spec", "windows.spec", "macos.spec"])
def test_every_recipe_bundles_files_that_exist(recipe: str) -> None:
    steps = read_recipe(recipe)
    analysis = steps["Analysis"][0]
    assert [Path(s) for s in analysis.args[0]] == [PACKAGING / "entry.py"]
    datas = analysis.kw["datas"]
    for source, _dest in datas:
        assert Path(source).exists(), source
    destinations = {dest for _source, dest in datas}
    # what the app reads from files beside its code when frozen
    assert {"resources/locale", "resources/icons", "app/services/migrations",
            "app/services/migrations/versions"} <= destinations
    revisions = [s for s, d in datas if d == "app/services/migrations/versions"]
    assert len(revisions) == len(list((ROOT / "app/services/migrations/versions").glob("*.py")))
    assert any(h.startswith("keyring.backends.") for h in analysis.kw["hiddenimports"])
    # Babel's data trimmed to the two languages the app speaks
    assert [d[0] for d in steps["_namespace"][0].a.datas] == ["babel/locale-data/pt_BR.dat"]
    assert steps["COLLECT"][0].kw["name"] == "practice-desk"


def test_linux_builds_the_practice_command() -> None:
    (exe,) = read_recipe("linux.spec")["EXE"]
    assert exe.kw["name"] == "practice" and exe.kw["console"] is True


def test_windows_builds_a_window_program_and_a_terminal_one_with_the_icon() -> None:
    steps = read_recipe("windows.spec")
    programs = {e.kw["name"]: e.kw for e in steps["EXE"]}
    assert programs["Practice Desk"]["console"] is False
    assert programs["practice"]["console"] is True
    for kw in programs.values():
        assert Path(kw["icon"]).read_bytes()[:4] == b"\x00\x00\x01\x00"  # an .ico
    collected = steps["COLLECT"][0].args
    assert all(any(program is part for part in collected) for program in steps["EXE"])


def test_macos_builds_an_app_with_its_icon_and_version() -> None:
    (app,) = read_recipe("macos.spec")["BUNDLE"]
    assert app.kw["name"] == "Practice Desk.app"
    assert Path(app.kw["icon"]).read_bytes()[:4] == b"icns"
    assert app.kw["version"] == __version__
    assert app.kw["bundle_identifier"]
