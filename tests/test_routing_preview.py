"""One routing preview (gridgov.dispatch.selectors.routing_preview) behind the dispatch API, the
command-centre preview page and a case's page: the same lead, limits and due times for the same input."""
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.utils import timezone

from gridgov.dispatch.selectors import routing_preview
from tests.dispatch_helpers import N1, N1_POINT, build_world
from tests.factories import api_client, page_client

# Friday 16:50 local: a working-hours limit runs over the weekend, so a wrong clock or rule shows
FRIDAY = datetime(2026, 11, 20, 16, 50, tzinfo=ZoneInfo("Asia/Shanghai"))


@pytest.fixture
def world(county, categories, media):
    return build_world()


@pytest.mark.parametrize("urgency", ["urgent", None])
def test_the_api_the_preview_page_and_the_case_page_show_the_same_route_and_due_times(world, urgency):
    with time_machine.travel(FRIDAY, tick=False):
        case = world.case(category="E0101", **({"urgency": urgency} if urgency else {}))
        query = {"lon": N1_POINT[0], "lat": N1_POINT[1], "category": "E0101", **({"urgency": urgency} if urgency else {})}
        api = api_client(world.users["dispatcher"]).get("/api/v1/routing/preview/", query).json()
        page = page_client(world.users["dispatcher"]).get("/console/command/preview/", query).context["result"]
        case_page = page_client(world.users["dispatcher"]).get(
            f"/console/command/case/{case.number}/").context["preview"]
        expected = routing_preview(case.category, N1, urgency)

    assert expected["urgency"] == (urgency or "normal")
    assert expected["accept_due"] is not None and expected["accept_due"] > FRIDAY
    for shown in (page, case_page):
        assert shown["route"].lead == expected["route"].lead == world.depts["cg"]
        assert (shown["accept_due"], shown["feedback_due"]) == (expected["accept_due"], expected["feedback_due"])
        assert str(shown["limits"].response) == str(expected["limits"].response)
        assert shown["explain"] == expected["explain"]
    assert api["lead"]["code"] == "cg" and api["limits"]["urgency"] == expected["urgency"]
    assert api["due_if_dispatched_now"] == {
        "accept_due": timezone.localtime(expected["accept_due"]).isoformat(),
        "feedback_due": timezone.localtime(expected["feedback_due"]).isoformat()}
    assert api["limits"]["response"] == str(expected["limits"].response)


def test_an_unknown_urgency_is_refused_by_the_one_preview(world):
    from gridgov.cases.models import Category
    from gridgov.core.errors import FieldError

    with pytest.raises(FieldError) as exc:
        routing_preview(Category.objects.get(code="E0101"), N1, "soon")
    assert (exc.value.field, exc.value.code) == ("urgency", "invalid_choice")
    r = api_client(world.users["dispatcher"]).get("/api/v1/routing/preview/", {
        "lon": N1_POINT[0], "lat": N1_POINT[1], "category": "E0101", "urgency": "soon"})
    assert r.status_code == 400 and r.json()["errors"][0]["field"] == "urgency"
