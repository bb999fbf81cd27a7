"""Schemathesis generates requests from the relay's own OpenAPI schema and sends
them to the relay running under uvicorn: none may end in a server error."""

from __future__ import annotations

from pathlib import Path

import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error

from tests.fakes.relay_server import API_KEY, RelayServer


def test_no_generated_request_causes_a_server_error(tmp_path: Path) -> None:
    with RelayServer(tmp_path, max_wait=0.05, per_ip_per_minute=10_000,
                     per_token_per_minute=10_000) as relay:
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

            check()
