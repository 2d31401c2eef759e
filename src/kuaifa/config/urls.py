"""Every route of the web: the workbench at the root (static files come from WhiteNoise, see settings)."""

from django.urls import include, path

from kuaifa.api.api import api

urlpatterns = [path("api/", api.urls), path("", include("kuaifa.web.urls"))]
