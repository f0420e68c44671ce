"""Shared bench plumbing: Django set-up, a live gunicorn on loopback, timing helpers."""
import os
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gridgov.settings")


def setup_django():
    import django

    django.setup()


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LiveServer:
    """gunicorn serving the project on a loopback port, for the length of a `with` block."""

    def __init__(self, workers=2, threads=1):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.cmd = [str(ROOT / ".venv/bin/gunicorn"), "gridgov.wsgi:application", "--bind",
                    f"127.0.0.1:{self.port}", "--workers", str(workers), "--threads", str(threads),
                    "--log-level", "warning"]

    def __enter__(self):
        import requests

        self.proc = subprocess.Popen(self.cmd, cwd=ROOT, env={**os.environ, "GRIDGOV_DEBUG": "0",
                                                              "GRIDGOV_SECRET_KEY": "bench"})
        deadline = time.time() + 30
        while time.time() < deadline:
            try:
                if requests.get(self.url + "/healthz", timeout=1).ok:
                    return self
            except requests.RequestException:
                time.sleep(0.2)
        self.proc.kill()
        raise RuntimeError("gunicorn did not start")

    def __exit__(self, *exc):
        self.proc.terminate()
        self.proc.wait(10)


def percentiles(samples_ms):
    s = sorted(samples_ms)
    return {"p50": statistics.median(s), "p95": s[int(len(s) * 0.95) - 1], "n": len(s)}


def api_token(username="bench", role="dispatcher"):
    from rest_framework.authtoken.models import Token

    from gridgov.accounts.models import User

    user, _ = User.objects.get_or_create(username=username, defaults={"role": role})
    return Token.objects.get_or_create(user=user)[0].key
