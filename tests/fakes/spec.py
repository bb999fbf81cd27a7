"""The providers' published OpenAPI specs, as checks the fakes run on every request.

The specs are not copied into the project: they are read where the workplace keeps
them, `$PRACTICE_DESK_SPECS` or a `shared/specs` folder beside an ancestor of this
checkout (or of the checkout it was cloned from). Without them the fakes keep their
own field checks and the spec's tests are skipped, saying so.

Where the published WhatsApp spec is itself wrong, a small patch says why:
- `TemplateComponent.index` has the pattern `^[2-6, 11-14]$`; Meta's docs say a
  button's index is 0 to 9.
- The message types' `allOf` branches say `additionalProperties: false` next to
  `BaseMessageProperties`: under `allOf` a branch cannot see its sibling's
  properties, so every real message (which has `to`) would be refused."""

from __future__ import annotations

import copy
import os
import subprocess
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import yaml
from jsonschema import Draft202012Validator

WHATSAPP = "whatsapp-business-messaging-api_v23.0.yaml"
TWILIO = "twilio_api_v2010.yaml"


def folder() -> Path | None:
    """Where the specs are, or None."""
    named = os.environ.get("PRACTICE_DESK_SPECS")
    if named:
        return Path(named) if (Path(named) / WHATSAPP).is_file() else None
    for start in (Path(__file__).resolve(), Path.cwd().resolve(), *_cloned_from()):
        for parent in start.parents:
            candidate = parent / "shared" / "specs"
            if (candidate / WHATSAPP).is_file():
                return candidate
    return None


def _cloned_from() -> list[Path]:
    """The checkout this one was cloned from, when it is on this machine (a clean
    clone made to run the tests)."""
    try:
        url = subprocess.run(["git", "config", "--get", "remote.origin.url"],
                             cwd=Path(__file__).parent, capture_output=True, text=True,
                             timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return []
    path = Path(url.removeprefix("file://")) if url else None
    return [path.resolve() / "x"] if path is not None and path.is_dir() else []


@cache
def _load(name: str) -> dict[str, Any] | None:
    where = folder()
    if where is None:
        return None
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    with open(where / name, encoding="utf-8") as f:
        return dict(yaml.load(f, Loader=loader))


def _patched_whatsapp(spec: dict[str, Any]) -> dict[str, Any]:
    schemas = copy.deepcopy(spec["components"]["schemas"])
    schemas["TemplateComponent"]["properties"]["index"]["pattern"] = "^[0-9]$"
    for schema in schemas.values():
        for branch in schema.get("allOf", []):
            branch.pop("additionalProperties", None)
    return {"components": {"schemas": schemas}}


@cache
def _whatsapp_validators() -> dict[str, Draft202012Validator] | None:
    """One validator per message type, following the `Message` schema's
    discriminator (a oneOf's error says only "not valid under any")."""
    spec = _load(WHATSAPP)
    if spec is None:
        return None
    operation = spec["paths"]["/{Version}/{Phone-Number-ID}/messages"]["post"]
    ref = operation["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    patched = _patched_whatsapp(spec)
    message = patched["components"]["schemas"][ref.rsplit("/", 1)[-1]]
    return {kind: Draft202012Validator({"$ref": target, **patched})
            for kind, target in message["discriminator"]["mapping"].items()}


def whatsapp_message_errors(body: object) -> list[str] | None:
    """What in a POST /{phone-id}/messages body breaks Meta's spec; None when the
    spec is not at hand."""
    validators = _whatsapp_validators()
    if validators is None:
        return None
    kind = body.get("type") if isinstance(body, dict) else None
    if not isinstance(kind, str) or kind not in validators:
        return [f"type: {kind!r} is not one of {sorted(validators)}"]
    return [f"{'/'.join(map(str, e.absolute_path)) or 'body'}: {e.message}"
            for e in validators[kind].iter_errors(body)]


@cache
def _twilio_message_form() -> dict[str, Any] | None:
    spec = _load(TWILIO)
    if spec is None:
        return None
    operation = spec["paths"]["/2010-04-01/Accounts/{AccountSid}/Messages.json"]["post"]
    schema = operation["requestBody"]["content"]["application/x-www-form-urlencoded"]["schema"]
    return dict(schema)


def twilio_message_errors(raw: bytes) -> list[str] | None:
    """What in a Create Message form breaks Twilio's spec (names, required fields,
    single values); None when the spec is not at hand."""
    schema = _twilio_message_form()
    if schema is None:
        return None
    form = parse_qs(raw.decode(), keep_blank_values=True)
    known = schema["properties"]
    errors = [f"{name}: not a parameter of Create Message" for name in form
              if name not in known]
    errors += [f"{name}: required" for name in schema.get("required", []) if name not in form]
    errors += [f"{name}: given {len(values)} times" for name, values in form.items()
               if len(values) > 1 and known.get(name, {}).get("type") != "array"]
    return errors


@cache
def _twilio_form(template: str) -> dict[str, Any] | None:
    spec = _load(TWILIO)
    if spec is None:
        return None
    operation = spec["paths"][template]["post"]
    schema = operation["requestBody"]["content"]["application/x-www-form-urlencoded"]["schema"]
    return dict(schema)


def twilio_form_errors(template: str, raw: bytes, operation: str) -> list[str] | None:
    """What in a form posted to Twilio's `template` (a path of the spec, e.g.
    "/2010-04-01/Accounts/{AccountSid}/Calls.json") breaks the spec: names it does
    not take, required fields missing, a single value given twice, an enum or an
    integer off its values. None when the spec is not at hand."""
    schema = _twilio_form(template)
    if schema is None:
        return None
    form = parse_qs(raw.decode(), keep_blank_values=True)
    known = schema["properties"]
    errors = [f"{name}: not a parameter of {operation}" for name in form if name not in known]
    errors += [f"{name}: required" for name in schema.get("required", []) if name not in form]
    for name, values in form.items():
        field = known.get(name, {})
        if len(values) > 1 and field.get("type") != "array":
            errors.append(f"{name}: given {len(values)} times")
        if "enum" in field and values[0] not in field["enum"]:
            errors.append(f"{name}: {values[0]!r} is not one of {field['enum']}")
        if field.get("type") == "integer" and not values[0].lstrip("-").isdigit():
            errors.append(f"{name}: {values[0]!r} is not an integer")
    return errors


def warm_up() -> None:
    """Load the specs now, not inside a request a test times (loading takes ~0.5 s)."""
    _whatsapp_validators()
    _twilio_message_form()


def _twilio_get(template: str) -> dict[str, Any] | None:
    spec = _load(TWILIO)
    return None if spec is None else dict(spec["paths"][template]["get"])


def twilio_read_errors(template: str, path: dict[str, str],
                       query: dict[str, list[str]]) -> list[str] | None:
    """What in a GET of Twilio's `template` (a path of the spec, e.g.
    "/2010-04-01/Accounts/{Sid}.json") breaks the spec's parameters: a path value
    off its pattern or length, a query name the operation does not take, a value
    of the wrong type or range, or one given twice. None when the spec is not at
    hand."""
    operation = _twilio_get(template)
    if operation is None:
        return None
    params = {(p["in"], p["name"]): p["schema"] for p in operation.get("parameters", [])}
    errors: list[str] = []
    for name, value in path.items():
        schema = params.get(("path", name))
        if schema is None:
            errors.append(f"{name}: not a path parameter of {template}")
            continue
        errors += [f"{name}: {e.message}" for e in
                   Draft202012Validator(schema).iter_errors(value)]
    for name, values in query.items():
        schema = params.get(("query", name))
        if schema is None:
            errors.append(f"{name}: not a query parameter of {template}")
            continue
        if len(values) > 1:
            errors.append(f"{name}: given {len(values)} times")
        value: object = values[0]
        if schema.get("type") == "integer":
            value = int(values[0]) if values[0].lstrip("-").isdigit() else values[0]
        elif schema.get("type") == "boolean":
            value = {"true": True, "false": False}.get(values[0], values[0])
        errors += [f"{name}: {e.message}" for e in
                   Draft202012Validator(schema).iter_errors(value)]
    return errors


def _nullable(node: Any) -> Any:
    """OpenAPI 3.0's `nullable: true` as JSON Schema's type [..., "null"]."""
    if isinstance(node, dict):
        out = {k: _nullable(v) for k, v in node.items() if k != "nullable"}
        if node.get("nullable") and "type" in node:
            out["type"] = [node["type"], "null"]
        elif node.get("nullable") and "$ref" in node:
            out = {"anyOf": [{"$ref": node["$ref"]}, {"type": "null"}]}
        return out
    if isinstance(node, list):
        return [_nullable(v) for v in node]
    return node


@cache
def _twilio_answer(template: str) -> Draft202012Validator | None:
    spec, operation = _load(TWILIO), _twilio_get(template)
    if spec is None or operation is None:
        return None
    schema = operation["responses"]["200"]["content"]["application/json"]["schema"]
    schemas = spec["components"]["schemas"]
    return Draft202012Validator({**_nullable(schema), "components": {"schemas": {
        name: _nullable(schemas[name]) for name in schemas
        if name.startswith(("api.v2010.account", "account_enum", "incoming_phone_number"))}}})


def twilio_answer_errors(template: str, body: object) -> list[str] | None:
    """What in a 200 answer to a GET of `template` breaks the spec's response schema
    (how the fake holds its own answers to Twilio's shapes); None without the spec."""
    validator = _twilio_answer(template)
    if validator is None:
        return None
    return [f"{'/'.join(map(str, e.absolute_path)) or 'body'}: {e.message}"
            for e in validator.iter_errors(body)]
