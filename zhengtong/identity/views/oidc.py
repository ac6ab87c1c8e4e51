"""The protocol endpoints: discovery, JWKS, authorization (with the consent page), token,
userinfo, introspection, revocation and RP-initiated logout. Authlib answers the protocol; these
views add the sign-in (the portal's one login, with its second step), consent, the enterprise
choice, auditing and the per-address budget for refusals."""

from __future__ import annotations

import base64
import contextlib
import json
import time

from authlib.oauth2 import OAuth2Error
from authlib.oauth2.rfc6749.errors import AccessDeniedError, InvalidRequestError
from authlib.oidc.core.errors import ConsentRequiredError, LoginRequiredError
from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.http import HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from zhengtong.core import ratelimit
from zhengtong.core.access import public
from zhengtong.core.errors import RateLimited
from zhengtong.identity import claims, keys, selectors, services
from zhengtong.identity.server import issuer, server, set_issuer
from zhengtong.identity.services.authorize import _failure_budget

NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


def _url(request, name: str) -> str:
    return issuer() + reverse(name)


@public
@require_GET
def discovery(request):
    """OpenID Provider metadata (OpenID Connect Discovery 1.0), at the site root."""
    set_issuer(request)
    body = {
        "issuer": issuer(),
        "authorization_endpoint": _url(request, "identity:authorize"),
        "token_endpoint": _url(request, "identity:token"),
        "userinfo_endpoint": _url(request, "identity:userinfo"),
        "jwks_uri": _url(request, "identity:jwks"),
        "introspection_endpoint": _url(request, "identity:introspect"),
        "revocation_endpoint": _url(request, "identity:revoke"),
        "end_session_endpoint": _url(request, "identity:end_session"),
        "scopes_supported": list(claims.SCOPES),
        "claims_supported": sorted({c for cs in claims.SCOPE_CLAIMS.values() for c in cs} | {"acr", "sid"}),
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "grant_types_supported": ["authorization_code", "refresh_token", "client_credentials"],
        "subject_types_supported": ["pairwise", "public"],
        "id_token_signing_alg_values_supported": list(keys.ALGS),
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post", "none"],
        "introspection_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        "revocation_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post", "none"],
        "code_challenge_methods_supported": ["S256"],
        "acr_values_supported": claims.ACR_VALUES,
        "backchannel_logout_supported": True,
        "backchannel_logout_session_supported": True,
        "ui_locales_supported": ["zh-CN", "en"],
    }
    return JsonResponse(body, headers={"Cache-Control": "public, max-age=300"})


@public
@require_GET
def jwks(request):
    """The public signing keys (ES256 and RS256; active and retiring)."""
    return JsonResponse(keys.public_jwks(), headers={"Cache-Control": "public, max-age=300"})


def _error_page(request, error: OAuth2Error, status: int = 400):
    return render(
        request,
        "identity/error.html",
        {"error": error.error, "description": error.description},
        status=status,
    )


def _refuse(request, error: OAuth2Error, client_id: str):
    """A refused authorization request: audited; redirected back with the error only when the
    redirect URI was registered for the client (Authlib sets it only then), else a page here."""
    services.authorization_refused(
        request=request,
        actor=request.user,
        client_id=client_id,
        error=error.error,
        description=error.description,
    )
    if getattr(error, "redirect_uri", None):
        return server.handle_error_response(request, error)
    return _error_page(request, error)


def _denied(grant, description: str, error_class=AccessDeniedError):
    error = error_class(description=description, redirect_uri=grant.redirect_uri)
    error.state = grant.request.payload.state
    return error


# When a sign-in was asked for by ``prompt=login`` or an exceeded ``max_age`` (a Unix time in
# the session): a sign-in completed after it satisfies the request.
REAUTH_SINCE = "zt_oidc_reauth_since"


def _max_age(grant) -> int | None:
    raw = grant.request.payload.data.get("max_age")
    if raw in (None, ""):
        return None
    if not str(raw).isdecimal() or len(str(raw)) > 9:
        raise _denied(grant, "'max_age' must be a whole number of seconds", InvalidRequestError)
    return int(raw)


def _needs_sign_in(request, grant, user, prompt: list[str]) -> bool:
    """Whether this request needs the person to sign in (again): ``prompt=login``, or a sign-in
    older than ``max_age`` (OIDC Core 3.1.2.1). A sign-in completed after the request asked for
    one satisfies it; ``prompt=none`` answers ``login_required`` instead of asking."""
    max_age = _max_age(grant)
    auth_time = user.last_login.timestamp() if user.last_login else 0.0
    asked = request.session.get(REAUTH_SINCE)
    if asked is not None and auth_time >= asked:
        return False  # signed in again since we asked (forgotten once the request is answered)
    stale = max_age is not None and time.time() - auth_time > max_age
    if "none" in prompt:
        if stale:
            raise _denied(grant, "the sign-in is older than max_age", LoginRequiredError)
        return False
    return "login" in prompt or stale


@public
@require_http_methods(["GET", "POST"])
def authorize(request):
    """The authorization endpoint. Anonymous: to the portal's sign-in (then back here). Signed
    in: the consent page, unless an earlier consent covers the request."""
    set_issuer(request)
    client_id = request.GET.get("client_id", "")
    user = request.user if request.user.is_authenticated else None
    try:
        grant = server.get_consent_grant(request, end_user=user)
    except OAuth2Error as error:
        return _refuse(request, error, client_id)
    prompt = (grant.request.payload.data.get("prompt") or "").split()
    try:
        if user is None or _needs_sign_in(request, grant, user, prompt):
            if user is not None or "login" in prompt:
                request.session[REAUTH_SINCE] = time.time()
            return redirect_to_login(request.get_full_path())
    except OAuth2Error as error:
        return _refuse(request, error, client_id)
    client = grant.request.client
    scopes = grant.request.scope.split()
    entities = claims.entities_for(user) if "enterprise" in scopes else []
    hinted = request.GET.get("entity", "")
    if "enterprise" in scopes and (not entities or (hinted and hinted not in {e.uscc for e in entities})):
        reason = (
            "the account may not act for that enterprise" if hinted else "the account acts for no enterprise"
        )
        return _refuse(request, _denied(grant, reason), client_id)
    if request.method == "GET":
        covered = (
            selectors.consent_covers(user, client, scopes)
            and "consent" not in prompt
            and not ("enterprise" in scopes and not hinted and len(entities) > 1)
        )
        if covered or "none" in prompt:
            # Answered now, without the consent page: a later prompt=login asks for a new sign-in.
            request.session.pop(REAUTH_SINCE, None)
        if "none" in prompt and not covered:
            return _refuse(
                request, _denied(grant, "the person has not consented", ConsentRequiredError), client_id
            )
        if covered:
            entity = next((e for e in entities if e.uscc == hinted), entities[0] if entities else None)
            return services.authorize_issue(
                request=request, actor=user, grant=grant, consent_scopes=None, entity=entity
            )
        return render(
            request,
            "identity/consent.html",
            {
                "client": client,
                "scopes": [(s, claims.SCOPES[s], claims.SCOPE_CLAIMS.get(s, [])) for s in scopes],
                "entities": entities,
                "hinted": hinted,
                "acr": claims.acr_for(user, second_factor=False),
            },
        )
    request.session.pop(REAUTH_SINCE, None)
    if request.POST.get("decision") != "allow":
        return _refuse(request, _denied(grant, "the person declined"), client_id)
    entity = None
    if "enterprise" in scopes:
        chosen = request.POST.get("entity") or hinted
        entity = next((e for e in entities if e.uscc == chosen), None)
        if entity is None:
            return _refuse(request, _denied(grant, "the account may not act for that enterprise"), client_id)
    return services.authorize_issue(
        request=request, actor=user, grant=grant, consent_scopes=scopes, entity=entity
    )


def _budget_exhausted(request) -> HttpResponse | None:
    address, budget = _failure_budget(request)
    try:
        # Known in this process, no cache round trip on requests that succeed (core.ratelimit).
        ratelimit.failure_check("identity.failures", address, **budget)
    except RateLimited as exc:
        body = {
            "error": "invalid_request",
            "error_description": "too many refused requests from this address",
        }
        return JsonResponse(
            body, status=429, headers={**NO_STORE, "Retry-After": str(exc.details.get("retry_after", 60))}
        )
    return None


def _after(request, response, endpoint: str):
    if response.status_code >= 400:
        address, budget = _failure_budget(request)
        ratelimit.failure_count("identity.failures", address, **budget)
        body = {}
        with contextlib.suppress(ValueError, AttributeError):
            body = json.loads(response.content)
        services.token_refused(
            request=request,
            client_id=request.POST.get("client_id", "") or _basic_client(request),
            endpoint=endpoint,
            error=str(body.get("error", ""))[:64],
            description=str(body.get("error_description", ""))[:200],
        )
    return response


def _basic_client(request) -> str:
    auth = request.headers.get("Authorization", "")
    if not auth.lower().startswith("basic "):
        return ""
    try:
        return base64.b64decode(auth[6:]).decode().partition(":")[0]
    except (ValueError, UnicodeDecodeError):
        return ""


@public
@csrf_exempt
@require_POST
def token(request):
    """The token endpoint: authorization code (PKCE), refresh token (rotated), client credentials."""
    set_issuer(request)
    refused = _budget_exhausted(request)
    if refused is not None:
        return refused
    return _after(request, server.create_token_response(request), "token")


@public
@csrf_exempt
@require_POST
def introspect(request):
    """RFC 7662: a client asks about its own tokens (another's: ``{"active": false}``)."""
    set_issuer(request)
    refused = _budget_exhausted(request)
    if refused is not None:
        return refused
    return _after(request, server.create_endpoint_response("introspection", request), "introspection")


@public
@csrf_exempt
@require_POST
def revoke(request):
    """RFC 7009: a client revokes one of its access or refresh tokens."""
    set_issuer(request)
    refused = _budget_exhausted(request)
    if refused is not None:
        return refused
    return _after(request, server.create_endpoint_response("revocation", request), "revocation")


def _bearer_error(status: int, error: str, description: str, challenge: str = ""):
    challenge = challenge or f'Bearer error="{error}", error_description="{description}"'
    body = {"error": error, "error_description": description}
    return status, body, {**NO_STORE, "WWW-Authenticate": challenge}


def userinfo_answer(request) -> tuple[int, dict, dict[str, str]]:
    """Userinfo's answer: (status, JSON body, headers). The one implementation, called by the view
    below and by the lean service's fast path (``identity.wsgi_oidc``): the token's signature,
    expiry, revocation, client and person (``selectors.access_token_verify``), the ``openid``
    scope, the claims its scopes release (``claims.user_claims_cached``), RFC 6750 errors."""
    set_issuer(request)
    auth = request.META.get("HTTP_AUTHORIZATION", "")  # request.headers would build every header
    if not auth.lower().startswith("bearer "):
        return _bearer_error(401, "invalid_request", "send the access token as a Bearer token", "Bearer")
    row, values, reason = selectors.access_token_verify(auth[7:].strip())
    if row is None:
        return _bearer_error(401, "invalid_token", reason)
    if row.user is None or "openid" not in row.scope.split():
        return _bearer_error(403, "insufficient_scope", "the token has no openid scope")
    body = claims.user_claims_cached(
        row.user,
        scope=row.scope,
        client=row.client,
        entity_uscc=row.entity_uscc,
        entity_delegation=row.entity_delegation,
    )
    return 200, body, NO_STORE


@public
@csrf_exempt
@require_http_methods(["GET", "POST"])
def userinfo(request):
    """The claims the access token's scopes release (RFC 6750 bearer errors)."""
    status, body, headers = userinfo_answer(request)
    return JsonResponse(body, status=status, headers=headers)


@public
@require_http_methods(["GET", "POST"])
def end_session(request):
    """RP-initiated logout: with a valid ``id_token_hint`` at once, otherwise after the person
    confirms; then back to a registered ``post_logout_redirect_uri`` (with ``state``) or a page."""
    set_issuer(request)
    try:
        req = server.validate_endpoint_request("end_session", request)
    except OAuth2Error as error:
        return _error_page(request, error)
    if req.needs_confirmation and request.method == "GET":
        return render(
            request, "identity/logout_confirm.html", {"client": req.client, "params": request.GET.items()}
        )
    if request.method == "POST" and req.needs_confirmation and request.POST.get("decision") != "logout":
        return render(request, "identity/signed_out.html", {"stayed": True})
    services.session_logout(request=request, client=req.client)
    response = server.create_endpoint_response("end_session", req)
    if response is not None:
        return response
    return render(request, "identity/signed_out.html", {"stayed": False, "login_url": settings.LOGIN_URL})
