from django.urls import path

from . import command, notices, rankings, verify, views

# No namespace: gridgov.home sends each role to "dispatch-queue-page" / "command-centre-page".
urlpatterns = [
    path("", views.queue_page, name="dispatch-queue-page"),
    path("dispatch/<int:pk>/", views.dispatch_page, name="console-dispatch"),
    path("dispatch/<int:pk>/<slug:name>/", views.dispatch_action, name="console-dispatch-action"),
    path("photos/<int:pk>/<slug:variant>/", views.photo, name="console-photo"),
    path("verify/", verify.verify_list, name="console-verify"),
    path("verify/<int:pk>/", verify.verify_page, name="console-verify-dispatch"),
    path("notifications/", notices.notifications_page, name="console-notifications"),
    path("rankings/", rankings.rankings_page, name="console-rankings"),
    path("command/", command.home, name="command-centre-page"),
    path("command/preview/", command.preview_page, name="console-preview"),
    path("command/file/", command.file_page, name="console-file"),
    path("command/suspensions/<int:pk>/", command.decide_suspension, name="console-suspension-decide"),
    path("command/case/<str:number>/", command.case_page, name="console-command-case"),
    path("command/case/<str:number>/<slug:name>/", command.case_action, name="console-command-action"),
]
