"""The team: who has which role and scope, and adding a person (the owner only)."""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from kuaifa.domain.access import Perm, Role
from kuaifa.domain.shared.errors import DomainError
from kuaifa.persistence.models import Membership, Shop
from kuaifa.services.people import add_member
from kuaifa.web.access import member, requires
from kuaifa.web.feedback import refused
from kuaifa.web.words import now


@requires(Perm.PEOPLE_MANAGE)
def people(request):
    if request.method == "POST":
        post = request.POST
        try:
            add_member(post.get("username", ""), post.get("role", ""), post.get("password", ""),
                       shops=post.getlist("shops"), actor=member(request).actor, now=now())  # fmt: skip
        except DomainError as err:
            refused(request, err)
        else:
            messages.success(request, _("%(name)s can now sign in.") % {"name": post.get("username")})
            return redirect("people")
    members = Membership.objects.select_related("user").prefetch_related("shops").order_by("user__username")
    return render(request, "web/people.html", {"members": members, "roles": [r.value for r in Role],
                                               "shops": Shop.objects.order_by("name")})  # fmt: skip
