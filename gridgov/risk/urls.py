"""URLs of gridgov.risk, included at the site root (gridgov/urls.py): full paths here (console/..., api/v1/...)."""
urlpatterns = []
