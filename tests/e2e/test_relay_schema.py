"""Schemathesis generates requests from the relay's own OpenAPI schema and sends
them to the relay running under uvicorn: none may end in a server error — nor
the same requests again with characters outside ASCII in the headers that carry
signatures and keys, and every number made larger than any field allows."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import requests
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error

from tests.fakes.relay_server import API_KEY, RelayServer


def hostile_headers(keyed: bool) -> dict[str, str]:
    """Latin-1 text where ASCII is expected (requests sends str headers as Latin-1)."""
    found = {"X-Hub-Signature-256": "sha256=\xe9\xff" + "a" * 60,
             "X-Twilio-Signature": "\xe7" * 27 + "=", "Accept-Language": "pt-\xe9;q=\xff"}
    found["Authorization"] = f"Bearer {API_KEY}" if keyed else "Bearer \xe9\xe9"
    return found


def enlarged(value: Any, huge: int = 10**400) -> Any:
    """Every number in a query or body, far past any bound a field has."""
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int | float):
        return huge if value >= 0 else -huge
    if isinstance(value, str) and value.lstrip("-").replace(".", "", 1).isdigit():
        return "1e400"
    if isinstance(value, dict):
        return {k: enlarged(v, huge) for k, v in value.items()}
    if isinstance(value, list):
        return [enlarged(v, huge) for v in value]
    return value


def test_no_generated_request_causes_a_server_error(tmp_path: Path) -> None:
    with RelayServer(tmp_path, max_wait=0.05, per_ip_per_minute=10_000,
                     per_token_per_minute=10_000, per_ip_api_per_minute=100_000,
                     docs=True) as relay:
        schema = schemathesis.openapi.from_url(f"{relay.url}/openapi.json")
        operations = [result.ok() for result in schema.get_all_operations()]
        assert {f"{o.method.upper()} {o.path}" for o in operations} >= {
            "GET /c/{token}", "POST /c/{token}", "GET /api/v1/events",
            "POST /api/v1/events/ack", "POST /webhooks/whatsapp", "GET /healthz"}
        for operation in operations:
            @given(case=operation.as_strategy())
            @settings(max_examples=25, deadline=None, database=None,
                      suppress_health_check=list(HealthCheck))
            def check(case: schemathesis.Case) -> None:
                case.call_and_validate(headers={"Authorization": f"Bearer {API_KEY}"},
                                       checks=[not_a_server_error])
                case.query = enlarged(case.query)
                case.body = enlarged(case.body)
                for keyed in (True, False):
                    case.call_and_validate(headers=hostile_headers(keyed),
                                           checks=[not_a_server_error])
                if isinstance(case.body, dict | list) and "{" not in case.path:
                    # 1e400 itself, which no client library will write for us.
                    text = json.dumps(case.body).replace(str(10**400), "1e400")
                    r = requests.request(case.method, relay.url + case.path, data=text,
                                         timeout=10, headers={
                                             "Content-Type": "application/json",
                                             **hostile_headers(True)})
                    assert r.status_code < 500, (case.path, text[:200], r.text[:200])

            check()
