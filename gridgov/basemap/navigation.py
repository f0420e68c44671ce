"""One-tap navigation links for responders: 高德 (GCJ-02) and 百度 (BD-09), converted locally from WGS-84.

Each vendor gets an app link (opens the installed app: amapuri:// on Android, baidumap://) and a web link
(uri.amap.com / api.map.baidu.com, which offers to open the app on a phone and works on a desktop).
"""
from urllib.parse import quote, urlencode

from geodata.datums import BD09, GCJ02, from_wgs84

SRC = "gridgov"


def _c(v):
    return f"{v:.6f}"


def navigation_links(lon, lat, name=""):
    """{"amap": {...}, "baidu": {...}} for a WGS-84 point; None without a point."""
    if lon is None or lat is None:
        return None
    name = (name or "").strip()[:60] or "案件位置"
    glon, glat = from_wgs84(lon, lat, GCJ02)
    blon, blat = from_wgs84(lon, lat, BD09)
    amap_web = "https://uri.amap.com/navigation?" + urlencode({
        "to": f"{_c(glon)},{_c(glat)},{name}", "mode": "car", "coordinate": "gaode", "callnative": "1", "src": SRC})
    amap_app = "amapuri://route/plan/?" + urlencode({
        "sourceApplication": SRC, "dlat": _c(glat), "dlon": _c(glon), "dname": name, "dev": "0", "t": "0"})
    dest = f"latlng:{_c(blat)},{_c(blon)}|name:{name}"
    baidu_app = "baidumap://map/direction?" + urlencode({
        "destination": dest, "coord_type": "bd09ll", "mode": "driving", "src": SRC}, quote_via=quote, safe=":,|")
    baidu_web = "https://api.map.baidu.com/marker?" + urlencode({
        "location": f"{_c(blat)},{_c(blon)}", "title": name, "content": name, "output": "html",
        "coord_type": "bd09ll", "src": SRC}, quote_via=quote, safe=",")
    return {
        "amap": {"label": "高德导航", "app": amap_app, "web": amap_web, "lon": glon, "lat": glat, "datum": GCJ02},
        "baidu": {"label": "百度导航", "app": baidu_app, "web": baidu_web, "lon": blon, "lat": blat, "datum": BD09},
    }
