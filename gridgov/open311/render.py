"""Open311 responses in both formats: JSON as in the spec, XML with the spec's element names.

data is a list of dicts (or one dict for discovery); XML wraps each item in `item` under `root`.
A nested list is written as <name><child>…</child></name> with the child names in LIST_CHILDREN.
None is an empty element (JSON null).
"""
import json
import re
from datetime import datetime
from xml.sax.saxutils import escape
from zoneinfo import ZoneInfo

from django.conf import settings
from django.http import HttpResponse

# Element name for the items of a nested list, by the list's name (GeoReport v2 spec).
LIST_CHILDREN = {"endpoints": "endpoint", "formats": "format", "attributes": "attribute", "values": "value",
                 "keywords": "keyword"}
CONTENT_TYPES = {"json": "application/json; charset=utf-8", "xml": "text/xml; charset=utf-8"}


def w3c(dt):
    """W3C date-time with the local offset, e.g. 2024-05-01T08:30:00+08:00 (shown in Asia/Shanghai)."""
    if dt is None:
        return None
    return dt.astimezone(ZoneInfo(settings.TIME_ZONE)).replace(microsecond=0).isoformat()


def _text(value):
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return w3c(value)
    return str(value)


# Characters XML 1.0 does not allow (control characters other than tab, LF, CR): dropped, so a
# description pasted with one cannot make the whole response unparsable for a client.
_ILLEGAL_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _write(out, name, value):
    if isinstance(value, dict):
        out.append(f"<{name}>")
        for key, child in value.items():
            _write(out, key, child)
        out.append(f"</{name}>")
    elif isinstance(value, (list, tuple)):
        child_name = LIST_CHILDREN.get(name, "item")
        out.append(f"<{name}>")
        for child in value:
            _write(out, child_name, child)
        out.append(f"</{name}>")
    else:
        text = _text(value)
        if text is None or text == "":
            out.append(f"<{name}/>")
        else:
            out.append(f"<{name}>{escape(_ILLEGAL_XML.sub('', text))}</{name}>")


def to_xml(data, root, item):
    """Element names come from this module's callers (the spec's names), never from input."""
    out = ['<?xml version="1.0" encoding="utf-8"?>\n', f"<{root}>"]
    if isinstance(data, dict):
        for key, value in data.items():
            _write(out, key, value)
    else:
        for row in data:
            _write(out, item, row)
    out.append(f"</{root}>")
    return "".join(out).encode("utf-8")


def _json_default(value):
    if isinstance(value, datetime):
        return w3c(value)
    raise TypeError(type(value))


def respond(data, fmt, root, item, status=200):
    if fmt == "xml":
        body = to_xml(data, root, item)
    else:
        body = json.dumps(data, ensure_ascii=False, default=_json_default).encode("utf-8")
    return HttpResponse(body, status=status, content_type=CONTENT_TYPES[fmt])


def error(fmt, status, description, code=None):
    """The spec's error: [{"code": 400, "description": "…"}] / <errors><error><code/><description/></error></errors>."""
    return respond([{"code": code or status, "description": description}], fmt, "errors", "error", status=status)
