"""Request bodies of the dispatch API, declared once (gridgov.contracts): the actions' text checks and the
API's parsing read these fields' limits; the OpenAPI schema (serializers.py) is built from them."""
from gridgov.cases import conf as case_conf
from gridgov.contracts import Boolean, Choice, Codes, Contract, Files, Integer, Text

from .models import SuspensionKind, WhistleLevel

REASON_MIN = 2  # a reason (return, feedback, refusal) has at least this many characters
TEXT_MAX = 2000

VERSION = Integer("version", "版本", help="the version you saw; a change since is a 409")


def _note(zh, **kw):
    return Text("note", zh, max_length=TEXT_MAX, **kw)


def _reason(name, zh, **kw):
    return Text(name, zh, required=True, min_length=REASON_MIN, max_length=TEXT_MAX, **kw)


WHISTLE = Contract("WhistleRequest", Choice("level", "吹哨级别", tuple(WhistleLevel.values),
                                            default=WhistleLevel.ROUTINE), _note("说明"))
ESCALATE = Contract("EscalateRequest", _note("升级理由"),
                    Text("expected_level", "当前级别", help="the level you saw (routine, key or hard); a change since "
                                                           "is a 409"))
CLOSE = Contract("CloseRequest", _note("结案说明"))
REROUTE = Contract("RerouteRequest", Text("lead", "主办单位", help="department code"),
                   Codes("assists", "协办单位", help="department codes"),
                   Codes("notified", "知会单位", help="department codes"),
                   _note("改派说明"), Text("legal_basis", "法律依据", max_length=TEXT_MAX))
ACCEPT = Contract("AcceptRequest", VERSION)
START = Contract("StartRequest", VERSION, _note("说明"))
FEEDBACK = Contract("FeedbackRequest", VERSION, _reason("text", "处置反馈"),
                    Files("photos", "处置后照片", limit=case_conf.photo_max_count,
                          help="after-photos (multipart); required unless GRIDGOV_FEEDBACK_PHOTO_REQUIRED is off"))
VERIFY = Contract("VerifyRequest", VERSION, Boolean("passed", "核查是否通过", required=True),
                  _note("核查意见", min_length=REASON_MIN, help="required when passed=false"))
RETURN = Contract("ReturnRequest", VERSION, _reason("reason", "退回理由"))
RESUME = Contract("ResumeRequest", _note("说明"))
SUSPEND = Contract("SuspendRequest", Choice("kind", "类型", tuple(SuspensionKind.choices), required=True),
                   _reason("reason", "理由", help=f"at least {REASON_MIN} characters; longer than {TEXT_MAX} is cut"))
DECIDE = Contract("DecideRequest", Boolean("approved", "是否批准", required=True),
                  _note("不予批准的理由", min_length=REASON_MIN, help="required when approved=false"))
