"""Forms of the console pages. They only parse what was posted; what is allowed and what is missing
(a return without a reason, feedback without a photo, a stale version) is decided by the actions,
whose FieldError names the field in Chinese and English."""
from django import forms
from django.utils.translation import gettext_lazy as _

from gridgov.cases.models import Channel, Urgency
from gridgov.departments.models import Department
from gridgov.dispatch.models import State, SuspensionKind, WhistleLevel

TEXTAREA = forms.Textarea(attrs={"rows": 3})


class QueueFilterForm(forms.Form):
    state = forms.ChoiceField(label=_("状态"), required=False, choices=[("", _("未办结"))] + list(State.choices))
    category = forms.CharField(label=_("分类"), required=False, max_length=20)
    street = forms.CharField(label=_("街镇"), required=False, max_length=15)
    overdue = forms.BooleanField(label=_("只看超期"), required=False)
    number = forms.CharField(label=_("案卷编号"), required=False, max_length=16)
    department = forms.TypedChoiceField(label=_("部门"), required=False, coerce=int, empty_value=None)

    def __init__(self, data=None, departments=(), **kwargs):
        super().__init__(data, **kwargs)
        self.fields["department"].choices = [("", _("全部部门"))] + [(d.pk, d.name) for d in departments]

    def clean_street(self):
        value = self.cleaned_data["street"].strip()
        if value and not value.isdigit():
            raise forms.ValidationError(_("街镇编码应为数字"))
        return value


class VersionForm(forms.Form):
    """The version of the dispatch the page showed: a change since then is a conflict (HTTP 409)."""

    expected_version = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)


class NoteForm(VersionForm):
    note = forms.CharField(label=_("说明"), required=False, widget=TEXTAREA, max_length=2000)


class FeedbackForm(VersionForm):
    text = forms.CharField(label=_("处置结果"), required=False, widget=TEXTAREA, max_length=2000)


class ReturnForm(VersionForm):
    reason = forms.CharField(label=_("退回理由"), required=False, widget=TEXTAREA, max_length=2000)


class SuspendForm(forms.Form):
    kind = forms.ChoiceField(label=_("类型"), choices=SuspensionKind.choices, initial=SuspensionKind.DEFER)
    reason = forms.CharField(label=_("理由"), required=False, widget=TEXTAREA, max_length=2000)


class VerifyForm(VersionForm):
    result = forms.ChoiceField(label=_("核查结果"), choices=[("pass", _("通过")), ("fail", _("不通过，返工"))])
    note = forms.CharField(label=_("核查意见"), required=False, widget=TEXTAREA, max_length=2000)


class RerouteForm(forms.Form):
    lead = forms.ModelChoiceField(label=_("主办单位"), required=False, queryset=Department.objects.none(),
                                  empty_label=_("（不指定）"))
    assists = forms.ModelMultipleChoiceField(label=_("协办单位"), required=False, queryset=Department.objects.none(),
                                             widget=forms.CheckboxSelectMultiple)
    notified = forms.ModelMultipleChoiceField(label=_("知会单位"), required=False, queryset=Department.objects.none(),
                                              widget=forms.CheckboxSelectMultiple)
    legal_basis = forms.CharField(label=_("法律依据"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    note = forms.CharField(label=_("改派说明"), required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        active = Department.objects.filter(is_active=True).order_by("kind", "name")
        for name in ("lead", "assists", "notified"):
            self.fields[name].queryset = active


class EscalateForm(forms.Form):
    expected_level = forms.ChoiceField(choices=WhistleLevel.choices, required=False, widget=forms.HiddenInput)
    note = forms.CharField(label=_("升级理由"), required=False, widget=forms.Textarea(attrs={"rows": 2}))


class SuperviseForm(forms.Form):
    dispatch = forms.IntegerField(widget=forms.HiddenInput)
    note = forms.CharField(label=_("督办意见"), required=False, widget=forms.Textarea(attrs={"rows": 2}),
                           max_length=2000)


class CloseForm(forms.Form):
    note = forms.CharField(label=_("结案说明"), required=False, widget=forms.Textarea(attrs={"rows": 2}))


class FileForm(forms.Form):
    level = forms.ChoiceField(label=_("吹哨级别"), choices=WhistleLevel.choices, initial=WhistleLevel.ROUTINE)
    note = forms.CharField(label=_("说明"), required=False, widget=forms.Textarea(attrs={"rows": 2}))


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(choices=[("approve", _("批准")), ("reject", _("不批准"))])
    note = forms.CharField(label=_("审批意见"), required=False, widget=forms.Textarea(attrs={"rows": 2}))


class PreviewForm(forms.Form):
    lon = forms.FloatField(label=_("经度"), required=False)
    lat = forms.FloatField(label=_("纬度"), required=False)
    category = forms.CharField(label=_("分类"), required=False)
    urgency = forms.ChoiceField(label=_("紧急程度"), choices=Urgency.choices, initial=Urgency.NORMAL, required=False)


class NewCaseForm(forms.Form):
    """A case the command centre takes in (12345 hotline, a citizen, a letter) and files at once."""

    lon = forms.CharField(label=_("经度"), required=False)
    lat = forms.CharField(label=_("纬度"), required=False)
    category = forms.CharField(label=_("分类"), required=False)
    description = forms.CharField(label=_("问题描述"), required=False, widget=TEXTAREA, max_length=2000)
    urgency = forms.ChoiceField(label=_("紧急程度"), choices=[("", _("按分类默认"))] + list(Urgency.choices),
                                required=False)
    channel = forms.ChoiceField(label=_("来源渠道"), choices=[(c, label) for c, label in Channel.choices
                                                          if c != Channel.GRID_PATROL], initial=Channel.HOTLINE)
    address = forms.CharField(label=_("地址描述"), required=False, max_length=255)
    contact_name = forms.CharField(label=_("联系人姓名"), required=False, max_length=50)
    contact_phone = forms.CharField(label=_("联系电话"), required=False, max_length=30)
    level = forms.ChoiceField(label=_("吹哨级别"), choices=WhistleLevel.choices, initial=WhistleLevel.ROUTINE)
    note = forms.CharField(label=_("派遣说明"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
