from django.urls import path

from . import api

urlpatterns = [
    path("cases/", api.CaseListCreateView.as_view(), name="case-list"),
    path("cases/mine/", api.MyCasesView.as_view(), name="case-mine"),
    path("cases/duplicates/", api.DuplicateCandidatesView.as_view(), name="case-duplicates"),
    path("cases/<str:number>/", api.CaseDetailView.as_view(), name="case-detail"),
    path("cases/<str:number>/photos/<int:photo_id>/original/", api.PhotoOriginalView.as_view(),
         name="case-photo-original"),
    path("categories/", api.CategoryListView.as_view(), name="category-list"),
    path("me/", api.MeView.as_view(), name="me"),
]
