"""Each person's language: Chinese by default, English when they chose it (stored on their membership)."""

from django.utils import translation

from kuaifa.web.access import member


class UserLanguageMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.user.is_authenticated:
            chosen = member(request).language
            if chosen:
                translation.activate(chosen)
                request.LANGUAGE_CODE = chosen
        return self.get_response(request)
