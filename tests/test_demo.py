"""`flask diaspora demo-data`: a realistic, idempotent data set built through the services."""
from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa

from diaspora.auth.models import User
from diaspora.extensions import db
from diaspora.facilities.models import Facility
from diaspora.needs.models import Need
from missions.core.models import Mission

FIXTURE = Path(__file__).parent / "data" / "who-format-fixture.csv"


def counts():
    return tuple(db.session.scalar(sa.select(sa.func.count()).select_from(model))
                 for model in (User, Facility, Need, Mission))


def test_demo_data_loads_once(runner):
    first = runner.invoke(args=["diaspora", "demo-data", "--facilities", str(FIXTURE),
                                "--professionals", "25"])
    assert first.exit_code == 0, first.output
    assert "25 professionals" in first.output
    users, facilities, needs, missions = counts()
    assert (users, facilities) == (4 + 25, 10)
    assert needs >= 4 and missions >= 1
    statuses = set(db.session.scalars(sa.select(Mission.status)))
    assert "closed" in statuses  # the completed, reported first visit
    # the people README.md invites to sign in as, with the story it tells of them
    by_email = {email: sorted(status for (status,) in db.session.execute(
        sa.select(Mission.status).join(Mission.professional).join(User).where(User.email == email)))
        for email in ("dzifa.ocansey.1@demo.example", "nana.osei.2@demo.example")}
    assert by_email == {"dzifa.ocansey.1@demo.example": ["closed", "confirmed"],
                        "nana.osei.2@demo.example": ["proposed"]}
    second = runner.invoke(args=["diaspora", "demo-data", "--facilities", str(FIXTURE),
                                 "--professionals", "25"])
    assert second.exit_code == 0 and "nothing added" in second.output
    assert "facilities already present: none imported" in second.output  # not on every start
    assert counts() == (users, facilities, needs, missions)


def test_demo_data_without_shared_files_generates_facilities(runner, monkeypatch, tmp_path):
    from diaspora import demo

    monkeypatch.setattr(demo, "SHARED_GHANA", tmp_path / "absent.csv")
    result = runner.invoke(args=["diaspora", "demo-data", "--professionals", "5"])
    assert result.exit_code == 0, result.output
    assert "generated WHO-format facilities: 400 rows read: 400 new" in result.output
