"""Every route of the web: the workbench at the root (static files come from WhiteNoise, see settings)."""

from django.urls import include, path

urlpatterns = [path("", include("kuaifa.web.urls"))]
