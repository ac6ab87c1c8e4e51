from __future__ import annotations

from django.conf import settings


def portal(request):
    user = getattr(request, "user", None)
    is_staff = bool(user and user.is_authenticated and (user.is_superuser or user.is_staff_member))
    return {
        "elder_mode": getattr(request, "elder_mode", False),
        "site_name": settings.SITE_NAME,
        "is_staff_member": is_staff,
        "current_path": request.get_full_path(),
    }
