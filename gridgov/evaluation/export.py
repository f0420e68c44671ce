"""The ranking table as JSON rows, CSV (UTF-8 with BOM, opens in Excel) and XLSX (openpyxl)."""
import csv
import io

from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from gridgov.spreadsheets import neutralise

# (key, Chinese header, kind): kind "rate" is shown as a percentage in the files.
COLUMNS = [
    ("rank", "排名", "int"), ("key", "编码", "str"), ("name", "名称", "str"), ("score", "综合得分", "num"),
    ("timely_acceptance_rate", "及时受理率", "rate"), ("on_time_closure_rate", "按期办结率", "rate"),
    ("closure_rate", "结案率", "rate"), ("rework_rate", "返工率", "rate"), ("bounce_rate", "退回率", "rate"),
    ("satisfaction_rate", "满意率", "rate"), ("mean_handling_hours", "平均办理时长(小时)", "num"),
    ("mean_handling_work_hours", "平均办理时长(工作小时)", "num"),
    ("dispatched", "派遣数", "int"), ("accept_counted", "应受理数", "int"), ("accepted_on_time", "及时受理数", "int"),
    ("due", "应结案数", "int"), ("suspended", "缓办数", "int"), ("closed_on_time", "按期办结数", "int"),
    ("closed", "结案数", "int"), ("verified", "核查数", "int"), ("reworked", "返工数", "int"),
    ("returned", "退回数", "int"), ("rated", "评价数", "int"), ("satisfied", "满意数", "int"),
]


def as_dict(unit):
    row = {"rank": unit.rank, "key": unit.key, "name": unit.name, "kind": unit.kind, "score": unit.score}
    row.update(unit.rates)
    for key, _header, _kind in COLUMNS:
        if key not in row:
            row[key] = getattr(unit, key)
    return row


def _cell(value, kind):
    if value is None:
        return ""
    if kind == "rate":
        return f"{value * 100:.2f}%"
    return neutralise(value)


def to_csv(units):
    buf = io.StringIO()
    buf.write("\ufeff")
    writer = csv.writer(buf)
    writer.writerow([h for _k, h, _t in COLUMNS])
    for u in units:
        d = as_dict(u)
        writer.writerow([_cell(d[k], t) for k, _h, t in COLUMNS])
    return buf.getvalue().encode("utf-8")


def to_xlsx(units, title="晾晒排名"):
    wb = Workbook()
    ws = wb.active
    ws.title = title[:31]
    ws.append([h for _k, h, _t in COLUMNS])
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for u in units:
        d = as_dict(u)
        ws.append([neutralise(d[k]) for k, _h, _t in COLUMNS])
    for i, (_k, header, kind) in enumerate(COLUMNS, start=1):
        letter = get_column_letter(i)
        ws.column_dimensions[letter].width = max(10, len(header) * 2 + 2)
        if kind == "rate":
            for cell in ws[letter][1:]:
                cell.number_format = "0.00%"
    ws.freeze_panes = "A2"
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
