"""The API refuses text with NUL characters before any view runs.

PostgreSQL cannot store a NUL in a text column and SQLite silently can, so a NUL that reached a service would fail
on one database and be kept on the other. The file imports refuse NUL in the parser for the same reason; this is the
API's one home for the rule: 422 ``invalid_input`` with a Chinese sentence, the same on both databases.
"""

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import translation
from django.utils.translation import gettext


class RefuseNulMiddleware:
    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path.startswith("/api/") and _has_nul(request):
            with translation.override("zh-hans"):
                message = gettext("The request holds a NUL character (\\0); remove it and send again.")
            return JsonResponse({"code": "invalid_input", "message": message}, status=422)
        return self.get_response(request)


def _has_nul(request: HttpRequest) -> bool:
    query = request.GET.lists()
    if "\x00" in request.path or any("\x00" in key or any("\x00" in v for v in values) for key, values in query):
        return True
    body = request.body  # read once; Django keeps it for the view
    return b"\x00" in body or b"\\u0000" in body  # raw, or the JSON escape that decodes to NUL
