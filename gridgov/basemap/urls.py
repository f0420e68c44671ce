from django.urls import path

from . import views

# Mounted at /api/v1/geo/ (gridgov/urls.py).
urlpatterns = [
    path("tiles/<int:z>/<int:x>/<int:y>.pbf", views.tile_view, name="basemap-tile"),
    path("places.geojson", views.places_view, name="basemap-places"),
    path("reverse/", views.reverse_view, name="geo-reverse"),
]
