from django.urls import path

from . import views

# Mounted at /api/v1/maps/ (gridgov/urls.py).
api_urlpatterns = [
    path("version/", views.version_view, name="maps-version"),
    path("dashboard/", views.dashboard_view, name="maps-dashboard"),
    path("tiles/cases/<int:z>/<int:x>/<int:y>.pbf", views.case_tile_view, name="maps-case-tile"),
    path("tiles/grids/<int:z>/<int:x>/<int:y>.pbf", views.grid_tile_view, name="maps-grid-tile"),
    path("grids.geojson", views.grids_geojson_view, name="maps-grids"),
    path("hexbins.geojson", views.hexbins_view, name="maps-hexbins"),
    path("heat/", views.heat_view, name="maps-heat"),
    path("hotspots.geojson", views.hotspots_view, name="maps-hotspots"),
    path("hotspots/trend.geojson", views.space_time_view, name="maps-space-time"),
    path("cases/<str:number>/", views.case_detail_view, name="maps-case-detail"),
    path("grids/<str:code>/", views.grid_detail_view, name="maps-grid-detail"),
]

# Mounted at /mapwall/.
page_urlpatterns = [
    path("", views.mapwall_page, name="mapwall"),
]
