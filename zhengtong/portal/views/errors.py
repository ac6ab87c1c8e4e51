from django.shortcuts import render


def forbidden(request, exception=None):
    return render(request, "portal/error.html", {"status": 403, "message": ""}, status=403)


def not_found(request, exception=None):
    return render(request, "portal/error.html", {"status": 404, "message": ""}, status=404)


def server_error(request):
    return render(request, "portal/error.html", {"status": 500, "message": ""}, status=500)
