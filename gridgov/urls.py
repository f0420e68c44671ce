from django.conf import settings
from django.conf.urls.static import static
from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from gridgov.grids import api as grids_api
from gridgov.health import healthz
from maps import urls as maps_urls
from gridgov.home import home
from gridgov.security.views import csp_report

api_v1 = [
    path("grids/locate/", grids_api.locate_view, name="grid-locate"),
    path("grids/", grids_api.grid_list_view, name="grid-list"),
    path("grids/<str:code>/", grids_api.grid_detail_view, name="grid-detail"),
    path("", include("gridgov.cases.urls")),
    path("maps/", include(maps_urls.api_urlpatterns)),
    path("geo/", include("gridgov.basemap.urls")),
    path("", include("gridgov.dispatch.urls")),
    path("", include("gridgov.gisexport.urls")),
    path("", include("gridgov.classify.urls")),
    path("", include("gridgov.notifications.urls")),
    path("", include("gridgov.evaluation.urls")),
]

urlpatterns = [
    path("", home, name="home"),
    path("healthz", healthz, name="healthz"),
    path("csp-report/", csp_report, name="csp-report"),
    path("favicon.ico", RedirectView.as_view(url=settings.STATIC_URL + "field/icon-192.png", permanent=True)),
    path("admin/", admin.site.urls),
    path("accounts/", include("django.contrib.auth.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("field/", include("gridgov.field.urls")),
    path("mapwall/", include(maps_urls.page_urlpatterns)),
    path("console/", include("gridgov.console.urls")),
    path("console/petitions/", include("gridgov.petitions.urls")),
    path("api/v1/", include(api_v1)),
    path("open311/v2/", include("gridgov.open311.urls")),
    path("citizen/", include("gridgov.citizen.urls")),
    # the newer apps own their full paths (console/<app>/..., api/v1/<app>/...)
    path("", include("gridgov.bulletins.urls")),
    path("", include("gridgov.backlog.urls")),
    path("", include("gridgov.risk.urls")),
    path("", include("gridgov.patrol.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="schema"), name="api-docs"),  # init script not inline (CSP)
    # Redoc injects inline <style> elements (styled-components), which the CSP refuses: Swagger UI instead.
    path("api/redoc/", RedirectView.as_view(pattern_name="api-docs"), name="api-redoc"),
]
if settings.DEBUG:
    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
