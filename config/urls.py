"""URL map: the REST API under /api/, the browser pages everywhere else.

The handlers answer /api/ paths in the API's JSON error shape and pages with Django's own.
"""

from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/", include("labeling.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("", include("frontend.urls")),
]

handler400 = "labeling.api.errors.bad_request"
handler403 = "labeling.api.errors.permission_denied"
handler404 = "labeling.api.errors.not_found"
