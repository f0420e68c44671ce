"""Writes for Open311: issuing API keys, and service requests (cases through gridgov.cases)."""
import secrets
import uuid

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from gridgov.accounts.models import Role
from gridgov.cases.actions import do_create_case
from gridgov.cases.inputs import MAX_DESCRIPTION, CaseInput
from gridgov.core.errors import FieldError

from .errors import Open311Error
from .inputs import RequestInput
from .models import ApiKey, Datatype, RequestToken, hash_key
from .selectors import service, unit_for_address


@transaction.atomic
def do_issue_api_key(name, channel="citizen"):
    """A new key for a client system, with its own system user. Returns (ApiKey, raw key): the raw
    key is not stored and cannot be shown again."""
    raw = secrets.token_urlsafe(32)
    user = get_user_model().objects.create_user(
        username=f"open311-{secrets.token_hex(6)}", role=Role.GRID_WORKER, display_name=f"Open311：{name}"[:50])
    user.set_unusable_password()
    user.save(update_fields=["password"])
    key = ApiKey.objects.create(name=name, prefix=raw[:8], key_hash=hash_key(raw), user=user, channel=channel)
    return key, raw


@transaction.atomic
def do_revoke_api_key(key):
    ApiKey.objects.filter(pk=key.pk).update(is_active=False)


def _check_attributes(category, given):
    """Values for the service's attributes → lines for the case description."""
    defined = {a.code: a for a in category.open311_attributes.all()}
    unknown = sorted(set(given) - set(defined))
    if unknown:
        raise Open311Error(400, f"attribute[{unknown[0]}]", "unknown_attribute",
                           f"服务 {category.code} 没有属性 {unknown[0]}",
                           f"service {category.code} has no attribute {unknown[0]!r}")
    lines = []
    for code, attr in defined.items():
        values = given.get(code, [])
        name = f"attribute[{code}]"
        if not attr.variable:
            continue
        if attr.required and not values:
            raise Open311Error(400, name, "required", f"缺少必填属性 {code}（{attr.description}）",
                               f"attribute {code} is required")
        if not values:
            continue
        if attr.datatype != Datatype.MULTIVALUELIST and len(values) > 1:
            raise Open311Error(400, name, "not_a_single_value", f"属性 {code} 只能有一个值",
                               f"attribute {code} takes one value")
        if attr.datatype in (Datatype.SINGLEVALUELIST, Datatype.MULTIVALUELIST):
            keys = {str(v.get("key")): v.get("name") for v in attr.values}
            bad = [v for v in values if v not in keys]
            if bad:
                raise Open311Error(400, name, "invalid_choice", f"属性 {code} 的取值 {bad[0]!r} 不在可选值中",
                                   f"{bad[0]!r} is not one of the values of attribute {code}")
            shown = "、".join(str(keys[v]) for v in values)
        elif attr.datatype == Datatype.NUMBER:
            try:
                float(values[0])
            except ValueError:
                raise Open311Error(400, name, "not_a_number", f"属性 {code} 应为数字", f"attribute {code} must be a number")
            shown = values[0]
        else:
            shown = values[0]
        lines.append(f"{attr.description}：{shown}")
    return lines


def _description(inp, lines):
    parts = [inp.description] if inp.description else []
    parts += lines
    if inp.media_url:
        parts.append(f"图片链接：{inp.media_url}")
    text = "\n".join(parts)
    if len(text) > MAX_DESCRIPTION:
        raise Open311Error(400, "description", "too_long", f"描述连同属性过长，上限 {MAX_DESCRIPTION} 字",
                           f"description with attributes is longer than {MAX_DESCRIPTION} characters")
    return text


def do_submit_request(api_key, inp: RequestInput, jurisdiction=None):
    """Create the case for a POST requests; returns the RequestToken (token + case)."""
    category = service(inp.service_code)
    lines = _check_attributes(category, inp.attributes)
    lon, lat, address = inp.lon, inp.lat, inp.address_string
    if lon is None:
        _, lon, lat = unit_for_address(address, jurisdiction)
    case_input = CaseInput(
        client_uuid=uuid.uuid4(), lon=lon, lat=lat, category=category.code, description=_description(inp, lines),
        channel=api_key.channel, address=address, contact_name=inp.contact_name, contact_phone=inp.contact_phone,
        reported_at=timezone.now(), photos=[inp.media] if inp.media is not None else [])
    with transaction.atomic():
        try:
            case = do_create_case(api_key.user, case_input).case
        except FieldError as exc:
            field = {"lon": "long"}.get(exc.field, exc.field)
            field = "media" if str(field or "").startswith("photos") else field
            raise Open311Error(400, field, exc.code, exc.message_zh, exc.message_en)
        if jurisdiction is not None and jurisdiction.area_code and not case.grid_code.startswith(jurisdiction.area_code):
            raise Open311Error(400, "lat", "outside_jurisdiction", f"位置不在辖区 {jurisdiction.name} 内",
                               f"the location is outside jurisdiction {jurisdiction.jurisdiction_id}")
        token = RequestToken.objects.create(token=secrets.token_urlsafe(18), api_key=api_key, case=case)
        ApiKey.objects.filter(pk=api_key.pk).update(last_used_at=timezone.now())
    return token
