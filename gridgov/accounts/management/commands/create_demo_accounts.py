"""manage.py create_demo_accounts: one demo user per role, grid workers on a few demo grids.

Idempotent. Passwords are random (or GRIDGOV_DEMO_PASSWORD) and printed only when the accounts
are created, the first time; they are also kept in var/demo-accounts.txt (git-ignored, mode 600).
A later run prints one line and only completes what is missing (a worker's grids once the demo
county exists, a department membership once the demo departments exist); it never resets a
password.
"""
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from gridgov.accounts.models import Role, User
from gridgov.grids.actions import do_assign_workers
from gridgov.grids.models import GridUnit, Level

CREDENTIALS_FILE = Path(settings.BASE_DIR) / "var" / "demo-accounts.txt"
GRIDS_PER_WORKER = 2


@dataclass(frozen=True)
class DemoAccount:
    username: str
    role: str
    display_name: str
    superuser: bool = False
    department: str = ""  # code of a demo department (gridgov.departments.demo) to join, if it exists


ACCOUNTS = (
    DemoAccount("admin", Role.ADMIN, "系统管理员", superuser=True),
    DemoAccount("dispatcher", Role.DISPATCHER, "周敏", department="zhzx"),
    DemoAccount("monitor", Role.MONITOR, "陈静"),
    DemoAccount("responder", Role.RESPONDER, "李强", department="cgj"),
    DemoAccount("leader", Role.LEADER, "王建国"),
    DemoAccount("worker01", Role.GRID_WORKER, "张伟"),
    DemoAccount("worker02", Role.GRID_WORKER, "刘芳"),
    DemoAccount("worker03", Role.GRID_WORKER, "杨洋"),
    DemoAccount("worker04", Role.GRID_WORKER, "赵磊"),
    DemoAccount("worker05", Role.GRID_WORKER, "孙丽"),
    DemoAccount("worker06", Role.GRID_WORKER, "吴军"),
)


def demo_grids_for_workers(n_workers, county_code=None):
    """For worker i: the first GRIDS_PER_WORKER grids of the first community of the i-th street/town."""
    county_code = county_code or settings.GRIDGOV_COUNTY_CODE
    towns = list(GridUnit.objects.filter(level=Level.STREET, code__startswith=county_code, is_active=True)
                 .order_by("code").values_list("code", flat=True)[:n_workers])
    out = []
    for town in towns:
        community = (GridUnit.objects.filter(level=Level.COMMUNITY, code__startswith=town, is_active=True)
                     .order_by("code").values_list("code", flat=True).first())
        grids = list(GridUnit.objects.filter(level=Level.GRID, code__startswith=community or town, is_active=True)
                     .order_by("code")[:GRIDS_PER_WORKER]) if community else []
        out.append(grids)
    return out + [[] for _ in range(n_workers - len(out))]


def _join_department(user, code):
    try:
        from gridgov.departments.actions import do_add_responder
        from gridgov.departments.models import Department, Membership
    except ImportError:  # departments app not installed
        return False
    dept = Department.objects.filter(code=code, is_active=True).first()
    if dept is None or Membership.objects.filter(user=user, department=dept).exists():
        return False
    do_add_responder(dept, user)
    return True


@transaction.atomic
def do_create_demo_accounts(password=None):
    """Create the missing demo accounts. Returns (created [(account, password)], completed count)."""
    created, completed = [], 0
    for acc in ACCOUNTS:
        user = User.objects.filter(username=acc.username).first()
        if user is None:
            pw = password or secrets.token_urlsafe(9)
            fields = {"role": acc.role, "display_name": acc.display_name}
            if acc.superuser:
                user = User.objects.create_superuser(username=acc.username, password=pw, email="", **fields)
            else:
                user = User.objects.create_user(username=acc.username, password=pw, **fields)
            created.append((acc, pw))
        if acc.department and user.role == acc.role:
            completed += _join_department(user, acc.department)
    workers = [a for a in ACCOUNTS if a.role == Role.GRID_WORKER]
    for acc, grids in zip(workers, demo_grids_for_workers(len(workers))):
        user = User.objects.get(username=acc.username)
        if grids and user.role == Role.GRID_WORKER and not user.grids.exists():
            for grid in grids:
                do_assign_workers(grid, list(grid.workers.all()) + [user])
            completed += 1
    return created, completed


def _save_credentials(lines):
    CREDENTIALS_FILE.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(CREDENTIALS_FILE, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    with os.fdopen(fd, "a", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")
    os.chmod(CREDENTIALS_FILE, 0o600)


class Command(BaseCommand):
    help = "创建演示账号（每个角色一个，网格员分配到演示网格）；密码只在首次创建时显示。"

    def handle(self, *args, **options):
        password = os.environ.get("GRIDGOV_DEMO_PASSWORD") or None
        created, completed = do_create_demo_accounts(password)
        if not created:
            extra = f"，补全 {completed} 项关联" if completed else ""
            self.stdout.write(f"演示账号已存在（{len(ACCOUNTS)} 个），未改动密码{extra}；首次生成的密码见 {CREDENTIALS_FILE}")
            return
        stamp = timezone.localtime().strftime("%Y-%m-%d %H:%M")
        lines = [f"# 演示账号 / demo accounts, {stamp}", f"{'username':<12} {'password':<14} 角色 role"]
        for acc, pw in created:
            user = User.objects.get(username=acc.username)
            grids = ", ".join(user.grids.order_by("code").values_list("code", flat=True))
            lines.append(f"{acc.username:<12} {pw:<14} {user.get_role_display()}"
                         + (f"（网格 {grids}）" if grids else ""))
        _save_credentials(lines)
        self.stdout.write("已创建演示账号（密码只显示这一次，另存于 %s）：" % CREDENTIALS_FILE)
        self.stdout.write("\n".join(lines[1:]))
