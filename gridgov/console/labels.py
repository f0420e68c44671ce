"""Choice labels of other modules (dispatch states, whistle levels, urgencies, ...) that the console pages
show. They are translated where they are defined (gettext_lazy); listed here with gettext_noop so that
makemessages puts them in this app's English catalogue too (those modules ship no catalogue)."""
from django.utils.translation import gettext_noop

_DISPATCH = ["待签收", "已签收", "处置中", "已反馈", "已核查", "已结案", "返工", "已退回", "已改派", "缓办/挂账",
             "主办", "协办", "知会", "一般吹哨（社区）", "重点吹哨（街道）", "疑难吹哨（区县）",
             "无匹配规则", "部门退回", "规则主办单位已停用", "缓办", "挂账", "待审批", "已批准", "未批准",
             "已恢复办理"]
_CASES = ["一般", "紧急", "特急", "已上报", "已吹哨", "已合并", "网格巡查", "12345热线", "群众上报", "其他"]
_UNITS = ["分钟", "小时", "工作时", "工作日"]

# Literal calls, one per label, so that xgettext finds them.
LABELS = [
    gettext_noop("待签收"), gettext_noop("已签收"), gettext_noop("处置中"), gettext_noop("已反馈"),
    gettext_noop("已核查"), gettext_noop("已结案"), gettext_noop("返工"), gettext_noop("已退回"),
    gettext_noop("已改派"), gettext_noop("缓办/挂账"), gettext_noop("主办"), gettext_noop("协办"),
    gettext_noop("知会"), gettext_noop("一般吹哨（社区）"), gettext_noop("重点吹哨（街道）"),
    gettext_noop("疑难吹哨（区县）"), gettext_noop("无匹配规则"), gettext_noop("部门退回"),
    gettext_noop("规则主办单位已停用"), gettext_noop("缓办"), gettext_noop("挂账"), gettext_noop("待审批"),
    gettext_noop("已批准"), gettext_noop("未批准"), gettext_noop("已恢复办理"),
    gettext_noop("一般"), gettext_noop("紧急"), gettext_noop("特急"), gettext_noop("已上报"), gettext_noop("已吹哨"),
    gettext_noop("已合并"), gettext_noop("网格巡查"), gettext_noop("12345热线"), gettext_noop("群众上报"),
    gettext_noop("其他"),
    gettext_noop("分钟"), gettext_noop("小时"), gettext_noop("工作时"), gettext_noop("工作日"),
]
assert LABELS == _DISPATCH + _CASES + _UNITS
