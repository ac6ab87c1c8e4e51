import re
from pathlib import Path

import pytest
from django.test import RequestFactory

import zhengtong
from zhengtong.core.middleware import client_ip


@pytest.mark.parametrize(
    ("proxies", "forwarded", "expected"),
    [
        (0, "203.0.113.9", "10.0.0.1"),  # no trusted proxy: the header is ignored
        (1, "203.0.113.9", "203.0.113.9"),
        (1, "198.51.100.7, 203.0.113.9", "203.0.113.9"),  # the client forged the left entry
        (2, "198.51.100.7, 203.0.113.9", "198.51.100.7"),
        (2, "203.0.113.9", "10.0.0.1"),  # fewer entries than proxies: not trusted
        (1, "not-an-ip", "10.0.0.1"),
    ],
)
def test_client_ip_counts_trusted_proxies_from_the_right(settings, proxies, forwarded, expected):
    settings.TRUSTED_PROXY_COUNT = proxies
    request = RequestFactory().get("/", REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR=forwarded)
    assert client_ip(request) == expected


def _directives(policy: str) -> dict[str, list[str]]:
    parts = (d.split() for d in policy.split(";") if d.strip())
    return {p[0]: p[1:] for p in parts}


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/", "/api/v1/openapi.json", "/login/"])
def test_every_response_has_a_content_security_policy_without_inline_scripts(client, path):
    response = client.get(path)
    directives = _directives(response["Content-Security-Policy"])
    assert directives["script-src"] == ["'self'"]
    assert directives["default-src"] == ["'self'"]
    assert directives["object-src"] == ["'none'"]
    assert directives["frame-ancestors"] == ["'none'"]


def test_templates_have_no_inline_scripts_or_event_handlers():
    # The policy allows scripts from static files only: an inline one would silently not run.
    root = Path(zhengtong.__file__).parent
    templates = list(root.rglob("templates/**/*.html"))
    assert len(templates) > 50
    inline_script = re.compile(r"<script\b(?![^>]*\bsrc=)(?![^>]*type=\"application/json\")[^>]*>", re.I)
    handler = re.compile(r"<[a-z][^>]*\son[a-z]+\s*=", re.I)
    offenders = [
        str(path.relative_to(root))
        for path in templates
        if inline_script.search(path.read_text())
        or handler.search(path.read_text())
        or "javascript:" in path.read_text()
    ]
    assert offenders == []
