"""QR codes generated locally with segno (no web service): SVG for print, PNG for download."""
import io

import segno


def qr_svg(url, scale=8):
    buf = io.BytesIO()
    segno.make(url, error="m").save(buf, kind="svg", scale=scale, border=2, xmldecl=False, svgns=True)
    return buf.getvalue()


def qr_png(url, scale=10):
    buf = io.BytesIO()
    segno.make(url, error="m").save(buf, kind="png", scale=scale, border=2)
    return buf.getvalue()
