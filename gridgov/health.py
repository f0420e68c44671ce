from django.db import connection
from django.http import JsonResponse


def healthz(request):
    """Liveness + database reachability, for docker-compose and load balancers."""
    try:
        with connection.cursor() as cur:
            cur.execute("SELECT postgis_lib_version()")
            postgis = cur.fetchone()[0]
    except Exception as exc:  # the point is to report it, not to raise
        return JsonResponse({"ok": False, "error": exc.__class__.__name__}, status=503)
    return JsonResponse({"ok": True, "postgis": postgis})
