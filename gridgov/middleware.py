from django.conf import settings
from django.middleware.locale import LocaleMiddleware
from django.utils import translation


class DefaultLanguageMiddleware(LocaleMiddleware):
    """Chinese unless the user chose otherwise (language cookie set by /i18n/setlang/ or ?lang=).

    Django's LocaleMiddleware would follow the browser's Accept-Language; a county's shared
    terminals and test browsers are often set to English, and the product's default is zh-hans.
    """

    def process_request(self, request):
        supported = dict(settings.LANGUAGES)
        choice = request.GET.get("lang") or request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        language = choice if choice in supported else settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()

    def process_response(self, request, response):
        lang = request.GET.get("lang")
        if lang in dict(settings.LANGUAGES):
            response.set_cookie(settings.LANGUAGE_COOKIE_NAME, lang, max_age=365 * 86400, samesite="Lax")
        response.headers.setdefault("Content-Language", translation.get_language())
        # The active language is thread-local: reset it so that it does not leak into whatever this
        # thread does next (the next request, a test, a job).
        translation.deactivate()
        return response
