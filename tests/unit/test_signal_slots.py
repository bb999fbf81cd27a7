"""A Qt signal passes its arguments to whatever it is connected to: clicked(bool)
connected to `save(then=None)` once handed False to `then`, and the click raised in
the background while the window said "Saved". No slot connected by name may have
parameters with defaults, and a lambda's first parameter, which takes the signal's
first argument, must not be a captured value."""

from __future__ import annotations

import ast
from pathlib import Path

UI = Path(__file__).resolve().parents[2] / "app" / "ui"


def _defaulted(f: ast.FunctionDef | ast.Lambda) -> list[str]:
    args = f.args
    positional = [*args.posonlyargs, *args.args]
    with_default = positional[len(positional) - len(args.defaults):] if args.defaults else []
    keyword = [a for a, d in zip(args.kwonlyargs, args.kw_defaults, strict=True)
               if d is not None]
    return [a.arg for a in [*with_default, *keyword] if a.arg != "self"]


def test_no_slot_connected_by_name_takes_optional_parameters() -> None:
    offenders: list[str] = []
    for path in sorted(UI.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for cls in (n for n in ast.walk(tree) if isinstance(n, ast.ClassDef)):
            methods = {f.name: f for f in cls.body if isinstance(f, ast.FunctionDef)}
            for node in ast.walk(cls):
                if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                        and node.func.attr == "connect" and node.args):
                    continue
                slot = node.args[0]
                where = f"{path.relative_to(UI)}:{node.lineno}"
                if isinstance(slot, ast.Attribute) and isinstance(slot.value, ast.Name) \
                        and slot.value.id == "self" and slot.attr in methods:
                    optional = _defaulted(methods[slot.attr])
                    if optional:
                        offenders.append(f"{where} {slot.attr}({', '.join(optional)}=...)")
                elif isinstance(slot, ast.Lambda):
                    first = [*slot.args.posonlyargs, *slot.args.args][:1]
                    if first and first[0].arg in _defaulted(slot) \
                            and not first[0].arg.startswith("_"):
                        offenders.append(f"{where} lambda {first[0].arg}=...")
    assert offenders == []
