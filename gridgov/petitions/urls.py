from django.urls import path

from . import views

urlpatterns = [
    path("new/", views.register_page, name="petition-register"),
    path("person/<int:pk>/", views.person_page, name="petition-person"),
]
