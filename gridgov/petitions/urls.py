from django.urls import path

from . import views

urlpatterns = [
    path("", views.queue_page, name="petition-queue"),
    path("new/", views.register_page, name="petition-register"),
    path("measures/", views.measures_page, name="petition-measures"),
    path("person/<int:pk>/", views.person_page, name="petition-person"),
    path("<str:number>/print/<slug:kind>/", views.print_page, name="petition-print"),
    path("<str:number>/<slug:name>/", views.matter_action, name="petition-action"),
]
