"""A session the client asked to cancel is refused for confirmation by the
professional, but the client's own confirmation still settles the request."""

from __future__ import annotations

import pytest

from app.services import queries, scheduling
from app.services.errors import IllegalTransition
from app.services.practice import Practice
from app.services.scheduling import BookingRequest
from tests.conftest import add_client, add_service, local
from tests.outside import asks_to_cancel, confirms


def test_the_clients_confirmation_withdraws_their_request(practice: Practice) -> None:
    a = scheduling.book(practice, BookingRequest(
        client_id=add_client(practice), start=local("2026-11-23T10:00"),
        service_id=add_service(practice)))
    asks_to_cancel(practice, a, "Viagem")
    assert queries.show(practice, a).cancel_requested
    with pytest.raises(IllegalTransition):
        scheduling.confirm(practice, a)
    confirms(practice, a)  # the client changed their mind
    view = queries.show(practice, a)
    assert view.status.value == "confirmed" and not view.cancel_requested
