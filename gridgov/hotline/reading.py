"""Read a 12345 ticket file (CSV in UTF-8 or GBK, or XLSX) into rows with canonical keys, and
check each row on its own (no database). Problems become RowError(reason_zh, reason_en).
"""
import csv
import io
import math
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from django.utils import timezone

from geodata.datums import DATUMS, UnknownDatum, normalise_datum
from gridgov.core.errors import FieldError
from gridgov.grids.locate import validate_point

# Canonical key → the column headings accepted for it (lower-cased; zh and en).
COLUMNS = {
    "ticket_no": ["工单号", "工单编号", "ticket_no", "ticket", "ticket number"],
    "time": ["来电时间", "受理时间", "时间", "time", "called_at"],
    "text": ["诉求内容", "来电内容", "内容", "问题描述", "text", "content"],
    "phone": ["来电号码", "联系电话", "电话", "phone", "caller_phone"],
    "name": ["来电人", "联系人", "姓名", "caller_name", "name"],
    "lon": ["经度", "lon", "lng", "longitude", "x"],
    "lat": ["纬度", "lat", "latitude", "y"],
    "datum": ["坐标系", "datum", "crs"],
    "address": ["地址", "事发地址", "address"],
    "village": ["村社区", "村/社区", "社区", "村", "village", "community"],
}
_HEADING = {h.lower(): key for key, names in COLUMNS.items() for h in names}
TIME_FORMATS = ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y/%m/%d %H:%M:%S", "%Y/%m/%d %H:%M",
                "%Y%m%d%H%M%S", "%Y-%m-%dT%H:%M:%S", "%Y年%m月%d日 %H:%M")
MAX_TEXT = 2000


class RowError(Exception):
    def __init__(self, zh, en):
        super().__init__(en)
        self.zh, self.en = zh, en


@dataclass
class Row:
    line: int  # 1-based line in the file (heading = 1)
    raw: dict  # the cells as read, for the error report
    ticket_no: str = ""
    reported_at: datetime | None = None
    text: str = ""
    phone: str = ""
    name: str = ""
    lon: float | None = None
    lat: float | None = None
    datum: str = "wgs84"
    address: str = ""
    village: str = ""
    extra: dict = field(default_factory=dict)


def decode(data: bytes):
    """UTF-8 (with or without BOM) if it decodes, else GB18030 (a superset of GBK)."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("gb18030")


def _cell(value):
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, float) and value.is_integer() and abs(value) > 1e6:
        return str(int(value))  # ticket numbers read by Excel as numbers
    return str(value).strip()


def _check_xlsx_size(data):
    """An XLSX is a zip: refuse one that unpacks beyond the limit (a zip bomb) before openpyxl reads it."""
    import zipfile

    from gridgov.conf import setting

    limit = int(setting("GRIDGOV_HOTLINE_MAX_UNZIPPED_BYTES", 256 * 1024 ** 2, int))
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            total = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise FieldError("file", "bad_xlsx", f"无法读取 Excel 文件：{exc}", f"cannot read the XLSX file: {exc}")
    if total > limit:
        raise FieldError("file", "too_large_unzipped",
                         f"Excel 文件解压后过大（{total // 1024 ** 2} MB，上限 {limit // 1024 ** 2} MB），疑似压缩炸弹",
                         f"the XLSX file unpacks to {total // 1024 ** 2} MB, more than the limit of "
                         f"{limit // 1024 ** 2} MB (zip bomb?)")


def read_table(path, data=None):
    """(headings, [cells…]) from a .csv or .xlsx file."""
    path = Path(path)
    data = path.read_bytes() if data is None else data
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        from openpyxl import load_workbook

        _check_xlsx_size(data)
        try:
            wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        except Exception as exc:  # openpyxl raises several types for a damaged file
            raise FieldError("file", "bad_xlsx", f"无法读取 Excel 文件：{exc}", f"cannot read the XLSX file: {exc}")
        rows = [[_cell(v) for v in r] for r in wb.worksheets[0].iter_rows(values_only=True)]
        wb.close()
    elif path.suffix.lower() in (".csv", ".txt"):
        rows = list(csv.reader(io.StringIO(decode(data))))
    else:
        raise FieldError("file", "bad_format", f"不支持的文件类型 {path.suffix}（请用 CSV 或 XLSX）",
                         f"unsupported file type {path.suffix} (CSV or XLSX)")
    if not rows:
        raise FieldError("file", "empty", "文件为空", "the file is empty")
    return [h.strip() for h in rows[0]], rows[1:]


def map_headings(headings):
    keys = [_HEADING.get(h.lower().strip()) for h in headings]
    missing = [k for k in ("ticket_no", "text") if k not in keys]
    if missing:
        names = "、".join(COLUMNS[k][0] for k in missing)
        raise FieldError("file", "missing_columns", f"缺少必需的列：{names}", f"missing columns: {', '.join(missing)}")
    if not ({"lon", "lat"} <= set(keys) or {"address", "village"} & set(keys)):
        raise FieldError("file", "no_location_columns", "缺少位置列：需要 经度+纬度，或 地址/村社区",
                         "no location columns: lon+lat, or address / village")
    return keys


def parse_time(value):
    value = (value or "").strip()
    if not value:
        raise RowError("缺少来电时间", "the call time is missing")
    for fmt in TIME_FORMATS:
        try:
            return timezone.make_aware(datetime.strptime(value, fmt))  # Asia/Shanghai
        except ValueError:
            continue
    raise RowError(f"来电时间格式错误：{value!r}（应为 2024-05-01 08:30:00）",
                   f"bad call time {value!r} (expected 2024-05-01 08:30:00)")


def _float(value):
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise RowError(f"坐标不是数字：{value!r}", f"coordinate is not a number: {value!r}")
    if math.isnan(number) or math.isinf(number):
        raise RowError("坐标不是有限数值", "coordinate is not a finite number")
    return number


def parse_row(line, keys, cells, default_datum, now):
    raw = {}
    for key, value in zip(keys, cells):
        if key:
            raw[key] = _cell(value)
    row = Row(line=line, raw=raw)
    row.ticket_no = raw.get("ticket_no", "")
    if not row.ticket_no:
        raise RowError("缺少工单号", "the ticket number is missing")
    if len(row.ticket_no) > 64:
        raise RowError("工单号过长（上限 64 字符）", "the ticket number is longer than 64 characters")
    row.text = raw.get("text", "")
    if not row.text:
        raise RowError("诉求内容为空", "the ticket text is empty")
    row.text = row.text[:MAX_TEXT]
    row.reported_at = parse_time(raw.get("time", ""))
    if row.reported_at > now:
        raise RowError("来电时间晚于当前时间", "the call time is in the future")
    row.phone = raw.get("phone", "")[:30]
    row.name = raw.get("name", "")[:50]
    row.address = raw.get("address", "")[:255]
    row.village = raw.get("village", "")
    datum = raw.get("datum") or default_datum
    try:
        row.datum = normalise_datum(datum)
    except UnknownDatum:
        raise RowError(f"不支持的坐标系：{datum!r}（可选 {', '.join(DATUMS)}）",
                       f"unknown datum {datum!r} (one of {', '.join(DATUMS)})")
    lon, lat = raw.get("lon", ""), raw.get("lat", "")
    if lon or lat:
        if not (lon and lat):
            raise RowError("经度和纬度须同时填写", "lon and lat must both be given")
        try:
            row.lon, row.lat, _ = validate_point(_float(lon), _float(lat), row.datum)
        except FieldError as exc:
            raise RowError(f"坐标错误：{exc.message_zh}", f"bad coordinates: {exc.message_en}")
    elif not (row.address or row.village):
        raise RowError("没有坐标，也没有地址或村社区名称", "no coordinates and no address or village name")
    return row
