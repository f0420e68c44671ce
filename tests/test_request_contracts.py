"""The OpenAPI schema documents the limits the parsers enforce (request contracts, gridgov.contracts):
each documented maxLength / maxItems / enum is checked against what the parser accepts and refuses."""
import uuid

import pytest
from django.urls import reverse
from drf_spectacular.generators import SchemaGenerator

from gridgov.cases.inputs import CASE_CREATE, CASE_UPDATE, parse_case_changes, parse_case_input
from gridgov.contracts import Choice, Text
from gridgov.dispatch import contracts
from gridgov.dispatch.actions import _text
from gridgov.dispatch.suspensions import _reason
from gridgov.core.errors import FieldError
from tests.factories import make_photo


def schema():
    return SchemaGenerator().get_schema(request=None, public=True)


def component(doc, name):
    return doc["components"]["schemas"][name]


def prop(doc, name, field):
    p = component(doc, name)["properties"][field]
    ref = p["allOf"][0]["$ref"] if "allOf" in p else p.get("$ref")
    if ref:  # an enum: drf-spectacular puts it in its own component
        return {**p, **doc["components"]["schemas"][ref.rsplit("/", 1)[-1]]}
    if "oneOf" in p:  # a pattern that may also be blank
        return p["oneOf"][0]
    return p


def case_body(**kw):
    return {"client_uuid": str(uuid.uuid4()), "lon": "119.005", "lat": "33.015", "category": "E0101", **kw}


def refused(fn):
    with pytest.raises(FieldError) as exc:
        fn()
    return exc.value


def test_every_documented_text_length_of_the_case_requests_is_the_parsers():
    doc = schema()
    checked = 0
    for name, contract, parse, body in (
            ("CaseCreateRequest", CASE_CREATE, lambda d: parse_case_input(d), case_body),
            ("PatchedCaseUpdateRequest", CASE_UPDATE, lambda d: parse_case_changes(d),
             lambda **kw: {"description": "路灯", "lon": "119.005", "lat": "33.015", **kw})):
        for f in contract.fields:
            if not isinstance(f, Text) or f.max_length is None or f.pattern is not None:
                continue
            documented = prop(doc, name, f.name)["maxLength"]
            parse(body(**{f.name: "字" * documented}))  # at the documented limit: accepted
            err = refused(lambda: parse(body(**{f.name: "字" * (documented + 1)})))
            assert (err.field, err.code) == (f.name, "too_long")
            checked += 1
    assert checked >= 12
    phone = prop(doc, "CaseCreateRequest", "contact_phone")
    assert phone["maxLength"] == 30 and phone["pattern"] == CASE_CREATE["contact_phone"].pattern.pattern
    assert refused(lambda: parse_case_input(case_body(contact_phone="call me"))).code == "invalid_phone"


def test_the_documented_enums_and_ranges_of_a_report_are_what_the_parser_takes():
    doc = schema()
    for field in ("urgency", "channel"):
        enum = prop(doc, "CaseCreateRequest", field)["enum"]
        for value in enum:
            assert getattr(parse_case_input(case_body(**{field: value})), field) == value
        assert refused(lambda: parse_case_input(case_body(**{field: "other-" + enum[0]}))).code == "invalid_choice"
    accuracy = prop(doc, "CaseCreateRequest", "gps_accuracy_m")
    assert parse_case_input(case_body(gps_accuracy_m=str(accuracy["maximum"]))).gps_accuracy_m == accuracy["maximum"]
    assert refused(lambda: parse_case_input(case_body(gps_accuracy_m=str(accuracy["maximum"] + 1)))).code == "out_of_range"
    assert refused(lambda: parse_case_input(case_body(gps_accuracy_m="-1"))).code == "out_of_range"
    required = set(component(doc, "CaseCreateRequest")["required"])
    assert required == {"client_uuid", "lon", "lat", "category"}
    assert refused(lambda: parse_case_input({k: v for k, v in case_body().items() if k != "category"})).field == "category"


@pytest.mark.parametrize("limit", [6, 2])
def test_the_documented_photo_count_is_the_one_the_api_enforces(settings, county, categories, api, media, limit):
    settings.GRIDGOV_PHOTO_MAX_COUNT = limit
    doc = schema()
    assert prop(doc, "CaseCreateRequest", "photos")["maxItems"] == limit
    assert prop(doc, "CaseCreateRequest", "after_photos")["maxItems"] == limit
    assert prop(doc, "FeedbackRequest", "photos")["maxItems"] == limit
    point = (119.005, 33.015)
    body = {**case_body(channel="other"), "photos": [make_photo(point, name=f"p{i}.jpg") for i in range(limit + 1)]}
    r = api.post(reverse("case-list"), body, format="multipart")
    assert r.status_code == 400 and (r.json()["errors"][0]["field"], r.json()["errors"][0]["code"]) == ("photos",
                                                                                                       "too_many")
    body = {**case_body(channel="other"), "photos": [make_photo(point, name=f"p{i}.jpg") for i in range(limit)]}
    assert api.post(reverse("case-list"), body, format="multipart").status_code == 201


def test_the_dispatch_requests_document_the_limits_the_actions_enforce():
    doc = schema()
    texts = [(n, f) for n, c in (("WhistleRequest", contracts.WHISTLE), ("EscalateRequest", contracts.ESCALATE),
                                 ("CloseRequest", contracts.CLOSE), ("RerouteRequest", contracts.REROUTE),
                                 ("StartRequest", contracts.START), ("FeedbackRequest", contracts.FEEDBACK),
                                 ("VerifyRequest", contracts.VERIFY), ("ReturnRequest", contracts.RETURN))
             for f in c.fields if isinstance(f, Text) and f.max_length]
    assert len(texts) >= 9
    for name, f in texts:
        p = prop(doc, name, f.name)
        _text("字" * p["maxLength"], f)
        assert refused(lambda: _text("字" * (p["maxLength"] + 1), f)).code == "too_long"
        if f.required:
            assert p["minLength"] == f.min_length
            assert f.name in component(doc, name)["required"]
            assert refused(lambda: _text("字" * (p["minLength"] - 1), f)).code in ("required", "too_short")
    for name, c in (("SuspendRequest", contracts.SUSPEND), ("DecideRequest", contracts.DECIDE)):
        for f in c.fields:
            if isinstance(f, Text):  # stored cut at the documented length
                p = prop(doc, name, f.name)
                assert len(_reason("字" * (p["maxLength"] + 5), f, required=True)) == p["maxLength"]
    for name, c, field in (("WhistleRequest", contracts.WHISTLE, "level"), ("SuspendRequest", contracts.SUSPEND, "kind")):
        assert isinstance(c[field], Choice)
        assert prop(doc, name, field)["enum"] == c[field].values


def test_a_whistle_with_a_level_outside_the_documented_enum_is_refused(county, categories, media):
    from gridgov.dispatch.actions import do_whistle
    from tests.dispatch_helpers import build_world

    world = build_world()
    enum = prop(schema(), "WhistleRequest", "level")["enum"]
    case = world.case()
    err = refused(lambda: do_whistle(case, world.users["worker"], "urgent-" + enum[0]))
    assert (err.field, err.code) == ("level", "invalid_choice")
    assert do_whistle(case, world.users["worker"], enum[0]).whistle.level == enum[0]
