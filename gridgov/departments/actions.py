"""Every write to departments goes through here: validated first, then one transaction."""
import re

from django.db import IntegrityError, transaction

from gridgov.accounts.models import Role
from gridgov.core.errors import FieldError
from gridgov.grids.models import GridUnit

from .models import CODE_REGEX, Department, Kind, Membership
from .selectors import descendant_ids

PHONE_RE = re.compile(r"^[0-9+\-() 转,/]{3,40}$")
NAME_MAX = Department._meta.get_field("name").max_length
# Who may be a member: responders anywhere; dispatchers only in a command centre.
MEMBER_ROLES = {Role.RESPONDER: None, Role.DISPATCHER: {Kind.COMMAND}}


def check_name(name):
    name = (name or "").strip()
    if not name:
        raise FieldError("name", "required", "部门名称不能为空", "department name is required")
    if len(name) > NAME_MAX:
        raise FieldError("name", "too_long", f"部门名称超过 {NAME_MAX} 字", f"name longer than {NAME_MAX} characters")
    return name


def check_code(code, instance=None):
    code = (code or "").strip()
    if not re.match(CODE_REGEX, code):
        raise FieldError("code", "malformed_code",
                         f"简码 {code!r} 格式错误：2–40 位字母、数字、点、横线或下划线，以字母或数字开头",
                         f"code {code!r} must be 2–40 letters, digits, '.', '-' or '_', starting with a letter or digit")
    clash = Department.objects.filter(code=code)
    if instance is not None and instance.pk:
        clash = clash.exclude(pk=instance.pk)
    if clash.exists():
        raise FieldError("code", "duplicate_code", f"简码 {code} 已被其他部门使用", f"code {code} is already used")
    return code


def check_kind(kind):
    if kind not in Kind.values:
        raise FieldError("kind", "invalid_kind", f"部门类型 {kind!r} 无效，应为：{'、'.join(str(x) for x in Kind.labels)}",
                         f"kind {kind!r} is not one of {', '.join(Kind.values)}")
    return kind


def check_phone(phone):
    phone = (phone or "").strip()
    if phone and (not PHONE_RE.match(phone) or sum(c.isdigit() for c in phone) < 3):
        raise FieldError("contact_phone", "malformed_phone", f"联系电话 {phone!r} 格式错误",
                         f"contact phone {phone!r} is malformed")
    return phone


def check_parent(parent, instance=None):
    """The parent exists, is active, and is not the department itself or one of its descendants."""
    if parent is None:
        return None
    if not isinstance(parent, Department) or not parent.pk:
        raise FieldError("parent", "unknown_parent", "上级单位不存在", "parent department does not exist")
    if not parent.is_active:
        raise FieldError("parent", "inactive_parent", f"上级单位 {parent.name} 已停用", f"parent {parent.code} is inactive")
    if instance is not None and instance.pk and parent.pk in descendant_ids(instance):
        raise FieldError("parent", "cycle", f"不能把 {parent.name} 设为上级：它是本部门自身或下级",
                         f"{parent.code} is this department or one of its descendants: that would make a cycle")
    return parent


def resolve_units(units, field="jurisdiction"):
    """Grid units from GridUnit instances or codes; FieldError naming the first unknown code."""
    units = list(units or [])
    codes = [u.code if isinstance(u, GridUnit) else str(u).strip() for u in units]
    found = {u.code: u for u in GridUnit.objects.filter(code__in=codes)}
    for code in codes:
        if code not in found:
            raise FieldError(field, "unknown_unit", f"网格单元 {code} 不存在", f"grid unit {code} does not exist")
    return [found[c] for c in dict.fromkeys(codes)]


def _save(dept):
    """Save; a concurrent insert of the same code surfaces as FieldError, not IntegrityError."""
    try:
        with transaction.atomic():
            dept.save()
    except IntegrityError:
        if Department.objects.filter(code=dept.code).exclude(pk=dept.pk).exists():
            raise FieldError("code", "duplicate_code", f"简码 {dept.code} 已被其他部门使用",
                             f"code {dept.code} is already used")
        raise


@transaction.atomic
def do_create_department(*, name, code, kind, parent=None, jurisdiction=(), contact_phone="", is_active=True):
    dept = Department(name=check_name(name), code=check_code(code), kind=check_kind(kind),
                      parent=check_parent(parent), contact_phone=check_phone(contact_phone),
                      is_active=bool(is_active))
    units = resolve_units(jurisdiction)
    _save(dept)
    dept.jurisdiction.set(units)
    return dept


@transaction.atomic
def do_update_department(dept, **fields):
    """Change name, code, kind, parent, contact_phone or is_active; all checked before saving."""
    checks = {"name": check_name, "code": lambda v: check_code(v, dept), "kind": check_kind,
              "parent": lambda v: check_parent(v, dept), "contact_phone": check_phone, "is_active": bool}
    unknown = set(fields) - set(checks)
    if unknown:
        raise FieldError(sorted(unknown)[0], "unknown_field", "不能修改该字段", "this field cannot be changed here")
    cleaned = {key: checks[key](value) for key, value in fields.items()}
    for key, value in cleaned.items():
        setattr(dept, key, value)
    _save(dept)
    return dept


@transaction.atomic
def do_set_jurisdiction(dept, units):
    """Replace the department's jurisdiction with these grid units (instances or codes, any level)."""
    resolved = resolve_units(units)
    dept.jurisdiction.set(resolved)
    return resolved


def check_member(dept, user):
    if not dept.is_active:
        raise FieldError("department", "inactive_department", f"部门 {dept.name} 已停用", f"{dept.code} is inactive")
    if not getattr(user, "pk", None) or not user.is_active:
        raise FieldError("user", "inactive_user", "该用户不存在或已停用", "the user does not exist or is inactive")
    if user.role not in MEMBER_ROLES:
        raise FieldError("user", "wrong_role", f"用户 {user} 的角色（{user.get_role_display()}）不能加入部门，应为部门人员",
                         f"user {user.username} has role {user.role}; only responders can join a department")
    kinds = MEMBER_ROLES[user.role]
    if kinds is not None and dept.kind not in kinds:
        raise FieldError("user", "wrong_role", f"{user.get_role_display()}只能加入指挥中心",
                         f"a {user.role} can only join a command centre")


@transaction.atomic
def do_add_responder(dept, user, is_lead=False):
    """Add a member (or change is_lead if already one). A user may belong to several departments."""
    check_member(dept, user)
    membership, _created = Membership.objects.update_or_create(user=user, department=dept,
                                                               defaults={"is_lead": bool(is_lead)})
    return membership


@transaction.atomic
def do_remove_responder(dept, user):
    return Membership.objects.filter(user=user, department=dept).delete()[0]
