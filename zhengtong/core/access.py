"""Access policies for HTML views: every view declares one (a test walks the URLconf to check).

- ``public``: anyone;
- ``authenticated``: any logged-in user;
- ``staff``: staff, grid workers and platform admins (finer checks happen in services).
"""

from __future__ import annotations

from functools import wraps

from django.contrib.auth.views import redirect_to_login

from zhengtong.core.errors import PermissionDenied


def public(view):
    view.access_policy = "public"
    return view


def authenticated(view):
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        return view(request, *args, **kwargs)

    wrapper.access_policy = "authenticated"
    return wrapper


def staff(view):
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not (request.user.is_superuser or request.user.is_staff_member):
            raise PermissionDenied("staff only")
        return view(request, *args, **kwargs)

    wrapper.access_policy = "staff"
    return wrapper
