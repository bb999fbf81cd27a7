"""What the window reads before its first week is painted (opening the practice,
its settings, the working hours, the week's sessions, the change feed's
watermark) is read from the plain tables (app.models.plain_tables): no table
class is defined until after that paint, and what is read is the same as
through the table classes."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import date
from pathlib import Path

from app.services import queries, scheduling, settings
from app.services.practice import Practice
from app.services.scheduling import BookingRequest
from tests.conftest import add_client, add_service, local

ROOT = Path(__file__).resolve().parents[2]

READS = """
import json, sys
from datetime import date
from app.models import TABLE_MODULES
from app.services import queries, settings
from app.services.practice import open_followed

practice, watcher = open_followed(sys.argv[1])
view = settings.get(practice)
hours = settings.working_hours(practice, None)
week = queries.list_appointments(practice, start=date(2026, 11, 23), end=date(2026, 11, 29))
classes = sorted(m for m in sys.modules if m in TABLE_MODULES)
print(json.dumps({"classes": classes, "zone": view.timezone,
                  "hours": {str(k): [[str(a), str(b)] for a, b in v] for k, v in hours.items()},
                  "week": [[s.id, s.client_name, s.staff_name, s.service_name,
                            s.start.isoformat(), s.cancel_requested] for s in week]}))
practice.close()
"""


def test_the_first_week_is_read_without_the_table_classes(practice: Practice, data_dir: Path
                                                   ) -> None:
    p = practice
    settings.set_value(p, "hours", "mon-fri 08:00-12:00,13:00-19:00")
    service = add_service(p, name="Avaliação")
    booked = scheduling.book(p, BookingRequest(client_id=add_client(p, "Érica Nunes"),
                                               service_id=service,
                                               start=local("2026-11-24 10:00")))
    expected = queries.list_appointments(p, start=date(2026, 11, 23), end=date(2026, 11, 29))

    done = subprocess.run([sys.executable, "-c", READS, str(data_dir)], cwd=ROOT,
                          capture_output=True, text=True, check=True)
    read = json.loads(done.stdout.splitlines()[-1])

    assert read["classes"] == []  # not one table class defined
    assert read["zone"] == "America/Sao_Paulo"
    assert read["hours"]["0"] == [["08:00:00", "12:00:00"], ["13:00:00", "19:00:00"]]
    assert "5" not in read["hours"]  # Saturday closed
    assert read["week"] == [[s.id, s.client_name, s.staff_name, s.service_name,
                             s.start.isoformat(), s.cancel_requested] for s in expected]
    assert read["week"][0][:2] == [booked, "Érica Nunes"]
