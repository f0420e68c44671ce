"""TimeLimit: an (amount, unit) pair, validated, shown as "4 工作时" and turned into a due instant."""
from dataclasses import dataclass

from gridgov.core.errors import FieldError

from .models import LimitUnit

# Upper bounds keep a typo (4000 working days) from becoming a deadline nobody notices.
MAX_AMOUNT = {
    LimitUnit.MINUTES: 60 * 24 * 366,
    LimitUnit.HOURS: 24 * 366,
    LimitUnit.WORK_HOURS: 8 * 250 * 2,
    LimitUnit.WORK_DAYS: 250 * 2,
}


def validate_limit(amount, unit, field="amount", unit_field="unit"):
    """FieldError unless unit is one of LimitUnit and amount a whole number in 1..MAX_AMOUNT[unit]."""
    if unit not in LimitUnit.values:
        raise FieldError(unit_field, "invalid_unit",
                         f"时限单位 {unit!r} 无效，应为 {'、'.join(str(lbl) for lbl in LimitUnit.labels)}"
                         f"（{', '.join(LimitUnit.values)}）",
                         f"time-limit unit {unit!r} is not one of {', '.join(LimitUnit.values)}")
    if isinstance(amount, bool) or not isinstance(amount, int):
        raise FieldError(field, "not_integer", f"时限数值 {amount!r} 应为正整数",
                         f"time-limit amount {amount!r} must be a whole number")
    if amount <= 0:
        raise FieldError(field, "not_positive", f"时限数值应大于 0（收到 {amount}）",
                         f"time-limit amount must be positive (got {amount})")
    top = MAX_AMOUNT[LimitUnit(unit)]
    if amount > top:
        raise FieldError(field, "too_large", f"时限 {amount} {LimitUnit(unit).label} 超过上限 {top}",
                         f"time limit {amount} {unit} exceeds the maximum of {top}")


@dataclass(frozen=True)
class TimeLimit:
    amount: int
    unit: str

    def __post_init__(self):
        validate_limit(self.amount, self.unit)
        object.__setattr__(self, "unit", LimitUnit(self.unit))

    @classmethod
    def from_fields(cls, amount, unit):
        """From two model fields; None if the limit is not set (both empty)."""
        if amount is None and not unit:
            return None
        return cls(amount, unit)

    @classmethod
    def parse(cls, text):
        """"4 work_hours" / "4 工作时" / "30 分钟" → TimeLimit."""
        parts = str(text).split()
        if len(parts) != 2 or not parts[0].isdigit():
            raise FieldError("time_limit", "malformed", f"时限 {text!r} 格式错误，应为“数值 单位”",
                             f"time limit {text!r} must be '<amount> <unit>'")
        by_label = {str(lbl): val for val, lbl in LimitUnit.choices}
        return cls(int(parts[0]), by_label.get(parts[1], parts[1]))

    @property
    def is_working_time(self):
        return self.unit in (LimitUnit.WORK_HOURS, LimitUnit.WORK_DAYS)

    def due(self, start, calendar=None):
        from .deadlines import add_limit

        return add_limit(start, self.amount, self.unit, calendar=calendar)

    def __str__(self):
        return f"{self.amount} {self.unit.label}"
