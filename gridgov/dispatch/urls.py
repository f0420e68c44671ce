from django.urls import path

from . import api

urlpatterns = [
    path("cases/<str:number>/whistle/", api.WhistleView.as_view(), name="case-whistle"),
    path("cases/<str:number>/file/", api.FileCaseView.as_view(), name="case-file"),
    path("cases/<str:number>/escalate/", api.EscalateView.as_view(), name="case-escalate"),
    path("cases/<str:number>/close/", api.CloseCaseView.as_view(), name="case-close"),
    path("cases/<str:number>/reroute/", api.RerouteView.as_view(), name="case-reroute"),
    path("cases/<str:number>/dispatches/", api.CaseDispatchesView.as_view(), name="case-dispatches"),
    path("routing/preview/", api.RoutingPreviewView.as_view(), name="routing-preview"),
    path("dispatches/", api.DispatchListView.as_view(), name="dispatch-list"),
    path("dispatches/<int:pk>/", api.DispatchDetailView.as_view(), name="dispatch-detail"),
    path("dispatches/<int:pk>/accept/", api.AcceptView.as_view(), name="dispatch-accept"),
    path("dispatches/<int:pk>/start/", api.StartView.as_view(), name="dispatch-start"),
    path("dispatches/<int:pk>/feedback/", api.FeedbackView.as_view(), name="dispatch-feedback"),
    path("dispatches/<int:pk>/verify/", api.VerifyView.as_view(), name="dispatch-verify"),
    path("dispatches/<int:pk>/return/", api.ReturnView.as_view(), name="dispatch-return"),
    path("dispatches/<int:pk>/suspend/", api.SuspendView.as_view(), name="dispatch-suspend"),
    path("dispatches/<int:pk>/resume/", api.ResumeView.as_view(), name="dispatch-resume"),
    path("suspensions/", api.SuspensionListView.as_view(), name="suspension-list"),
    path("suspensions/<int:pk>/decide/", api.SuspensionDecideView.as_view(), name="suspension-decide"),
    path("triage/", api.TriageListView.as_view(), name="triage-list"),
]
