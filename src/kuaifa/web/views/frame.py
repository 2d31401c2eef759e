"""Signing in and out, the landing page per role, the language and shop switches, the 403 page."""

from django.conf import settings
from django.contrib.auth import views as auth_views
from django.shortcuts import redirect
from django.views.decorators.http import require_POST

from kuaifa.domain.access import LANDING
from kuaifa.domain.shared.errors import DomainError
from kuaifa.services.people import set_language
from kuaifa.web.access import member, public
from kuaifa.web.feedback import back_to, refused
from kuaifa.web.words import now

login = public(auth_views.LoginView.as_view(template_name="web/login.html", redirect_authenticated_user=True))
logout = public(auth_views.LogoutView.as_view(next_page="login"))


@public
def home(request):
    """Each role starts where its day starts (owner: dashboard, 客服: orders, 仓库: stock)."""
    if not request.user.is_authenticated:
        return redirect("login")
    role = member(request).role
    return redirect(LANDING[role]) if role else redirect("forbidden")


@public
def forbidden_page(request):
    from kuaifa.web.access import forbidden

    return forbidden(request)


@public
@require_POST
def language(request):
    """Switch the interface language; for a signed-in person it is remembered on their membership."""
    chosen = request.POST.get("language", "zh-hans")
    response = redirect(back_to(request, "home"))
    if chosen in dict(settings.LANGUAGES):
        response.set_cookie(settings.LANGUAGE_COOKIE_NAME, chosen, samesite="Lax")  # also before signing in
    if request.user.is_authenticated and member(request).role:
        try:
            set_language(request.user.id, chosen, actor=member(request).actor, now=now())
        except DomainError as err:
            refused(request, err)
    return response


@public
@require_POST
def shop_switch(request):
    """All shops, or one: the choice narrows the lists for this session (within the person's own scope)."""
    raw = request.POST.get("shop", "")
    request.session["shop_id"] = int(raw) if raw.isdigit() else None
    return redirect(back_to(request, "home"))
