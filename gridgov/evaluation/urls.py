from django.urls import path

from . import api

urlpatterns = [
    path("evaluation/", api.EvaluationView.as_view(), name="evaluation"),
    path("evaluation/ratings/", api.RatingView.as_view(), name="evaluation-rating"),
]
