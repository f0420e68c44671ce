"""manage.py check_grids [--code-prefix P] [--tolerance-m2 T] [--json]; exits 1 when problems exist."""
import json
import unicodedata

from django.core.management.base import BaseCommand, CommandError

from gridgov.core.errors import FieldError
from gridgov.grids.checks import DEFAULT_TOLERANCE_M2, check_grids


def _width(text):
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _pad(text, width):
    return text + " " * max(0, width - _width(text))


def format_table(report):
    headers = ["问题", "编码", "面积(m²)", "说明", "位置"]
    rows = [[p.label, ", ".join(p.codes), "" if p.area_m2 is None else f"{p.area_m2:,.1f}", p.detail, p.where]
            for p in report.problems]
    widths = [max([_width(h)] + [_width(r[i]) for r in rows]) for i, h in enumerate(headers)]
    lines = ["  ".join(_pad(h, w) for h, w in zip(headers, widths)).rstrip(),
             "  ".join("-" * w for w in widths)]
    lines += ["  ".join(_pad(c, w) for c, w in zip(r, widths)).rstrip() for r in rows]
    return "\n".join(lines)


class Command(BaseCommand):
    help = ("检查网格层级：同级重叠、上级内空隙、超出上级、无效几何、编码重复或格式错误等，"
            "列出涉及的编码和面积（平方米）；有问题时以非零状态退出。")

    def add_arguments(self, parser):
        parser.add_argument("--code-prefix", default="", help="只检查此编码前缀下的单元 / only codes with this prefix")
        parser.add_argument("--tolerance-m2", type=float, default=DEFAULT_TOLERANCE_M2,
                            help=f"小于此面积的碎片不算错误（默认 {DEFAULT_TOLERANCE_M2} m²）")
        parser.add_argument("--json", action="store_true", help="输出 JSON / JSON output")

    def handle(self, *args, code_prefix="", tolerance_m2=DEFAULT_TOLERANCE_M2, json=False, **options):
        try:
            report = check_grids(code_prefix=code_prefix, tolerance_m2=tolerance_m2)
        except FieldError as err:
            raise CommandError(f"{err.message_zh} / {err.message_en}", returncode=2)
        if json:
            self.stdout.write(_json_dumps(report.as_dict()))
        elif report.ok:
            self.stdout.write(f"网格检查通过：{report.units_checked} 个单元，未发现问题"
                              f"（容差 {report.tolerance_m2:g} m²）")
        else:
            self.stdout.write(format_table(report))
        if not report.ok:
            summary = "，".join(f"{k} {n}" for k, n in report.counts().items())
            raise CommandError(f"网格检查发现 {len(report.problems)} 个问题（{summary}）/ "
                               f"{len(report.problems)} grid problem(s) found", returncode=1)


def _json_dumps(data):
    return json.dumps(data, ensure_ascii=False, indent=2)
