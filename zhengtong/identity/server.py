"""The OAuth 2.0 / OpenID Connect protocol, by Authlib: the authorization server, its grants
(authorization code with PKCE and OpenID Connect, refresh token with rotation, client
credentials), JWT access tokens (RFC 9068), introspection (RFC 7662), revocation (RFC 7009) and
RP-initiated logout. This module only fills in what Authlib asks of storage and policy; the
protocol checks (redirect URI, PKCE verifier, client authentication, scopes, error codes) are
Authlib's.
"""

from __future__ import annotations

import base64
import contextvars
import hashlib
import hmac
import json
import os
import secrets
import time
from datetime import timedelta

from authlib.integrations.django_oauth2 import AuthorizationServer
from authlib.oauth2.rfc6749 import grants
from authlib.oauth2.rfc6749.errors import InvalidRequestError, InvalidScopeError
from authlib.oauth2.rfc7009 import RevocationEndpoint
from authlib.oauth2.rfc7636 import CodeChallenge
from authlib.oauth2.rfc7662 import IntrospectionEndpoint
from authlib.oauth2.rfc9068 import JWTBearerTokenGenerator
from authlib.oidc.core import grants as oidc_grants
from authlib.oidc.rpinitiated import EndSessionEndpoint
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from zhengtong.audit import services as audit
from zhengtong.core import cache
from zhengtong.identity import claims, entitlements, keys, statements
from zhengtong.identity.ids import plain_client_id
from zhengtong.identity.models import AuthorizationCode, Client, Token

API_AUDIENCE = "urn:zhengtong:api"
ACCESS_ALG = "ES256"
ALGORITHMS = list(keys.ALGS)
_issuer: contextvars.ContextVar[str] = contextvars.ContextVar("identity_issuer", default="")
# The longest a token being issued may live (seconds): the end of the data entitlements it
# carries (set by the client-credentials grant for its one request; None: no cap).
_lifetime_cap: contextvars.ContextVar[int | None] = contextvars.ContextVar("identity_cap", default=None)
# The assurance level of the sign-in a token being issued comes from (its code or refresh token).
_token_acr: contextvars.ContextVar[str] = contextvars.ContextVar("identity_acr", default="")
# The entity an enterprise agent acts for in the sign-in a token being issued comes from.
_token_entity: contextvars.ContextVar[tuple[str, str]] = contextvars.ContextVar(
    "identity_entity", default=("", "")
)
# Access tokens carrying this claim hold everything introspection answers (``acr`` included), so
# they are introspected from their signed claims and the revocation set, without a query. From
# format 3 they also carry ``zt_p``: the person (and enterprise) they act for, encrypted
# (``seal_person``), so userinfo and the API find the person without reading the token row.
FORMAT_CLAIM, FORMAT, SIGNED_FORMATS = "zt_v", 3, (2, 3)
PERSON_CLAIM = "zt_p"


def set_issuer(request) -> str:
    """The issuer for this request (``IDENTITY_ISSUER``, else the request's scheme and host)."""
    value = settings.IDENTITY_ISSUER or f"{request.scheme}://{request.get_host()}"
    _issuer.set(value.rstrip("/"))
    return _issuer.get()


def issuer() -> str:
    return settings.IDENTITY_ISSUER.rstrip("/") or _issuer.get()


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


_person_aead: dict[str, AESGCM] = {}


def _person_cipher() -> AESGCM:
    secret = settings.SECRET_KEY
    cipher = _person_aead.get(secret)
    if cipher is None:
        key = hmac.new(secret.encode(), b"zhengtong.identity.token-person", hashlib.sha256).digest()
        cipher = _person_aead[secret] = AESGCM(key)
    return cipher


def seal_person(user_id: int, entity_uscc: str = "", entity_delegation: str = "") -> str:
    """The ``zt_p`` claim: the person's id (and the enterprise acted for) encrypted with a key
    derived from SECRET_KEY (AES-GCM, a fresh nonce per token), so a relying party learns nothing
    from it and two tokens of one person do not look alike (the pairwise ``sub`` stays the only
    identifier a client sees)."""
    nonce = os.urandom(12)
    plain = json.dumps([user_id, entity_uscc, entity_delegation], separators=(",", ":")).encode()
    sealed = nonce + _person_cipher().encrypt(nonce, plain, b"zt_p")
    return base64.urlsafe_b64encode(sealed).decode().rstrip("=")


def open_person(value: str) -> tuple[int, str, str] | None:
    """(user id, entity credit code, delegation) of a ``zt_p`` claim, or None when it does not
    decrypt."""
    try:
        sealed = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
        user_id, uscc, delegation = json.loads(_person_cipher().decrypt(sealed[:12], sealed[12:], b"zt_p"))
    except (InvalidTag, ValueError, TypeError):
        return None
    if not isinstance(user_id, int) or not isinstance(uscc, str) or not isinstance(delegation, str):
        return None
    return user_id, uscc, delegation


# Tokens whose signature verified, kept per process (``verified``): a relying party calls userinfo
# and the API many times with one access token. 8,192 entries of a few hundred bytes each.
VERIFIED_MAX = 8192


def verified(token: str) -> tuple[dict, dict]:
    """(header, claims) of a JWT signed by one of the provider's active or retiring keys; raises
    ``JoseError`` or ``ValueError`` when it is malformed or its signature does not verify. The
    signature check is kept per process (at most ``keys.CACHE_SECONDS``, bounded to
    ``VERIFIED_MAX`` tokens) in the key set's own cache namespace, so a rotation or retirement
    drops it with the key set; a failure is never kept. Everything that can change while a token
    lives (``exp``, revocation, the client, the person) is the caller's check at every use. The
    dicts are copies: a caller may change them."""

    def verify() -> tuple[dict, dict]:
        decoded = jwt.decode(token, keys.verification_keys(), algorithms=ALGORITHMS)
        return dict(decoded.header), dict(decoded.claims)

    header, claims = cache.cached(
        keys.CACHE, token, verify, keys.CACHE_SECONDS, local=True, shared=False, local_max=VERIFIED_MAX
    )
    return dict(header), dict(claims)


def unverified_claims(token: str) -> dict:
    """The payload of a JWT we just signed (no verification needed: it never left this process)."""
    payload = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


class _Subject:
    """What Authlib's JWT access token generator asks of a user: its identifier, here the
    client's pairwise ``sub``."""

    def __init__(self, user, client):
        self.user, self.client = user, client

    def get_user_id(self) -> str:
        return claims.client_subject(self.user.pk, self.client)


class AccessTokens(JWTBearerTokenGenerator):
    """RFC 9068 JWT access tokens signed with the active ES256 key; ``aud`` is the client (its
    own API) and, with an ``api:*`` scope, the platform API."""

    def __init__(self):
        super().__init__(
            issuer="",
            alg=ACCESS_ALG,
            # 288 random bits in one call (Authlib's generate_token draws a character at a time).
            refresh_token_generator=lambda **kwargs: secrets.token_urlsafe(36),
            expires_generator=lambda client, grant_type: settings.IDENTITY_ACCESS_TOKEN_SECONDS,
        )

    @property
    def issuer(self) -> str:
        return issuer()

    @issuer.setter
    def issuer(self, value) -> None:
        pass  # the issuer is read per request

    def get_jwks(self):
        return KeySet([keys.signing_key(ACCESS_ALG)])

    def get_acr(self, user):
        return _token_acr.get() or None

    def get_extra_claims(self, client, grant_type, user, scope):
        extra = {FORMAT_CLAIM: FORMAT}
        if user is not None:
            extra[PERSON_CLAIM] = seal_person(user.user.pk, *_token_entity.get())
        return extra

    def _get_expires_in(self, client, grant_type):
        seconds = super()._get_expires_in(client, grant_type)
        cap = _lifetime_cap.get()
        return seconds if cap is None else min(seconds, cap)

    def get_jti(self, client, grant_type, user, scope) -> str:
        return secrets.token_urlsafe(12)  # 96 random bits, as Authlib's 16 characters, in one call

    def get_audiences(self, client, user, scope):
        aud = [client.client_id]
        scopes = (scope or "").split()
        if {"api:read", "api:write"} & set(scopes):
            aud.append(API_AUDIENCE)
        if any(s.startswith(entitlements.SHARING) for s in scopes):
            aud.append(entitlements.SHARING_AUDIENCE)
        return aud

    def access_token_generator(self, client, grant_type, user, scope):
        subject = _Subject(user, client) if user is not None else None
        return super().access_token_generator(client, grant_type, subject, scope)


def _claims_of_request(request) -> dict:
    return getattr(request, "zt_context", None) or {}


class _AcrOfSource:
    """Issue the access token with the ``acr`` of the code or refresh token it comes from."""

    def generate_token(self, *args, **kwargs):
        source = getattr(self.request, "authorization_code", None) or getattr(
            self.request, "refresh_token", None
        )
        reset = _token_acr.set(getattr(source, "acr", "") or "")
        entity = _token_entity.set(
            (getattr(source, "entity_uscc", "") or "", getattr(source, "entity_delegation", "") or "")
        )
        try:
            return super().generate_token(*args, **kwargs)
        finally:
            _token_entity.reset(entity)
            _token_acr.reset(reset)


class CodeGrant(_AcrOfSource, grants.AuthorizationCodeGrant):
    TOKEN_ENDPOINT_AUTH_METHODS = ["client_secret_basic", "client_secret_post", "none"]

    def validate_requested_scope(self):
        super().validate_requested_scope()
        if entitlements.data_scopes(self.request.payload.scope):
            raise InvalidScopeError("data entitlements are granted to client credentials only")

    def save_authorization_code(self, code, request):
        context = _claims_of_request(request)
        data = request.payload.data
        AuthorizationCode.objects.create(
            code_digest=digest(code),
            client=request.client,
            user=request.user,
            redirect_uri=request.payload.redirect_uri,
            scope=request.scope,
            nonce=data.get("nonce", ""),
            code_challenge=data.get("code_challenge", ""),
            code_challenge_method=data.get("code_challenge_method", "")
            or ("plain" if data.get("code_challenge") else ""),
            auth_time=context.get("auth_time", int(time.time())),
            acr=context.get("acr", claims.ACR_REGISTERED),
            amr=context.get("amr", ["pwd"]),
            sid=context.get("sid", ""),
            entity_uscc=context.get("entity_uscc", ""),
            entity_delegation=context.get("entity_delegation", ""),
            expires_at=timezone.now() + timedelta(seconds=settings.IDENTITY_CODE_SECONDS),
        )

    def query_authorization_code(self, code, client):
        """The code, claimed for this exchange; a code used before is refused and every token
        issued from it revoked (RFC 6749 4.1.2)."""
        now = timezone.now()
        # One statement claims the code and reads it with what the exchange needs of the person
        # (UPDATE ... RETURNING); only a code that is unknown or used before is read again, to tell
        # the two apart.
        row = statements.claim_code(digest(code or ""), client.pk, now)
        if row is None:
            row = AuthorizationCode.objects.filter(code_digest=digest(code or ""), client=client).first()
            if row is None:
                return None
            revoked = revoke_tokens(Token.objects.filter(code=row), now)
            audit.record(
                actor=None,
                action="identity.code_reused",
                target=client,
                after={"client": client.client_id, "tokens_revoked": revoked},
            )
            return None
        if row.expires_at <= now:
            return None
        return row

    def delete_authorization_code(self, authorization_code):
        pass  # claimed (used_at) when queried: a code is good for one exchange

    def authenticate_user(self, authorization_code):
        user = authorization_code.user
        return user if user.is_active else None


class PkceForPublicClients(CodeChallenge):
    """PKCE (S256 only) required of public clients at the authorization request itself."""

    SUPPORTED_CODE_CHALLENGE_METHOD = ["S256"]

    def validate_code_challenge(self, grant, redirect_uri):
        request = grant.request
        if request.client.is_public and not request.payload.data.get("code_challenge"):
            raise InvalidRequestError("PKCE is required: send 'code_challenge' with method S256")
        if (
            request.payload.data.get("code_challenge")
            and request.payload.data.get("code_challenge_method") != "S256"
        ):
            raise InvalidRequestError("'code_challenge_method' must be S256")
        return super().validate_code_challenge(grant, redirect_uri)


class OpenIDCode(oidc_grants.OpenIDCode):
    def exists_nonce(self, nonce, request):
        return AuthorizationCode.objects.filter(client=request.client, nonce=nonce).exists()

    def get_client_algorithm(self, client):
        return client.id_token_alg

    def resolve_client_private_key(self, client):
        return KeySet([keys.signing_key(client.id_token_alg)])

    def get_encode_header(self, client):
        return {"alg": client.id_token_alg, "kid": keys.signing_key(client.id_token_alg).kid}

    def get_client_claims(self, client):
        return {
            "iss": issuer(),
            "aud": client.client_id,
            "exp": int(time.time()) + settings.IDENTITY_ID_TOKEN_SECONDS,
        }

    def get_compatible_claims(self, request):
        result = super().get_compatible_claims(request)
        # sub is the client's pairwise identifier (generate_user_info does not know the client).
        result["sub"] = claims.client_subject(request.user.pk, request.client)
        code = request.authorization_code
        if code is not None and code.sid:
            result["sid"] = code.sid
        if code is not None and code.entity_uscc:
            result["entity"] = {"uscc": code.entity_uscc}
        return result

    def generate_user_info(self, user, scope):
        return {}  # the ID token carries sub and acr; the claims of the scopes come from userinfo


class RefreshGrant(_AcrOfSource, grants.RefreshTokenGrant):
    TOKEN_ENDPOINT_AUTH_METHODS = ["client_secret_basic", "client_secret_post", "none"]
    INCLUDE_NEW_REFRESH_TOKEN = True

    def authenticate_refresh_token(self, refresh_token):
        row = (
            Token.objects.select_related("user", "client")
            .filter(refresh_digest=digest(refresh_token or ""))
            .first()
        )
        if row is None:
            return None
        now = timezone.now()
        if row.revoked_at is not None:
            # A rotated-away refresh token presented again: someone holds a copy. Revoke the family.
            family = Token.objects.filter(revoked_at__isnull=True, client=row.client, user=row.user)
            family = family.filter(code=row.code) if row.code_id else family.filter(pk=row.pk)
            revoked = revoke_tokens(family, now)
            audit.record(
                actor=None,
                action="identity.refresh_reused",
                target=row.client,
                after={"client": row.client.client_id, "tokens_revoked": revoked},
            )
            return None
        if row.refresh_expires_at is None or row.refresh_expires_at <= now or not row.client.enabled:
            return None
        return row

    def authenticate_user(self, refresh_token):
        user = refresh_token.user
        return user if user is not None and user.is_active else None

    def revoke_old_credential(self, refresh_token):
        revoke_tokens(Token.objects.filter(pk=refresh_token.pk))


class ClientCredentialsGrant(grants.ClientCredentialsGrant):
    """Client credentials; the data entitlements among the scopes (``sharing:grant:<id>``,
    ``sandbox:project:<id>``) must be live entitlements of the client's department, and the token
    expires with the first of them to end."""

    TOKEN_ENDPOINT_AUTH_METHODS = ["client_secret_basic", "client_secret_post"]

    def validate_requested_scope(self):
        super().validate_requested_scope()
        client, wanted = self.request.client, entitlements.data_scopes(self.request.payload.scope)
        if sum(s.startswith(entitlements.SHARING) for s in wanted) > 1:
            raise InvalidScopeError("one sharing grant per token")
        now = timezone.now()
        ends = []
        for scope in wanted:
            reason, end = entitlements.refusal(client, scope, now)
            if reason:
                raise InvalidScopeError(reason)
            ends.append(end)
        self._cap = int((min(ends) - now).total_seconds()) if ends else None
        if self._cap is not None and self._cap < 1:
            raise InvalidScopeError("the entitlement ends now")

    def generate_token(self, *args, **kwargs):
        reset = _lifetime_cap.set(getattr(self, "_cap", None))
        try:
            return super().generate_token(*args, **kwargs)
        finally:
            _lifetime_cap.reset(reset)


CLIENTS_CACHE = "identity.clients"


def _client_row(client_id: str) -> Client | None:
    return _one(
        Client.objects.select_related("department", "org_unit", "secret").filter(
            client_id=client_id, enabled=True
        )
    )


def enabled_client(client_id: str) -> Client | None:
    """An enabled client with its department, org unit and secret credential. Kept per process
    for a minute (every token, introspection and revocation request authenticates one): every
    change of a client or its secret invalidates the namespace (``forget_clients``), at once in
    this process and within CACHE_LOCAL_REVALIDATE_SECONDS in the others."""
    client_id = plain_client_id(client_id or "")
    if not client_id or len(client_id) > 64:
        return None
    return cache.cached(
        CLIENTS_CACHE, client_id, lambda: _client_row(client_id), 60, local=True, shared=False
    )


def forget_clients() -> None:
    """Invalidate the clients kept for the hot path (now, and again after the transaction commits)."""
    cache.invalidate(CLIENTS_CACHE)
    transaction.on_commit(lambda: cache.invalidate(CLIENTS_CACHE))


REVOKED_CACHE = "identity.revoked"


def revoke_tokens(queryset, now=None) -> int:
    """Revoke the live tokens of ``queryset``; the one way tokens are revoked, so the revocation
    set the hot paths read (``revoked_jtis``) is invalidated with every revocation."""
    count = queryset.filter(revoked_at__isnull=True).update(revoked_at=now or timezone.now())
    if count:
        cache.invalidate(REVOKED_CACHE)
        transaction.on_commit(lambda: cache.invalidate(REVOKED_CACHE))
    return count


def revoked_jtis() -> frozenset[str]:
    """The ``jti`` of every revoked access token that has not expired yet: a JWT access token is
    live when its signature and ``exp`` verify and its ``jti`` is not here (no query per use).
    Kept per process through the one cache, invalidated by ``revoke_tokens``: at once in the
    revoking process, within CACHE_LOCAL_REVALIDATE_SECONDS in the others."""
    return cache.cached(
        REVOKED_CACHE,
        "live",
        lambda: frozenset(
            Token.objects.filter(revoked_at__isnull=False, expires_at__gt=timezone.now()).values_list(
                "jti", flat=True
            )
        ),
        30,
        local=True,
        shared=False,
    )


def _one(queryset):
    """The row of a lookup by a unique column, or None (no ORDER BY, unlike first())."""
    return next(iter(queryset[:1]), None)


def _find_token(token_string: str, hint: str | None) -> Token | None:
    """A token row by access token (a JWT we signed: its jti) or by refresh token (its digest)."""
    token_string = token_string or ""
    if hint != "refresh_token" and token_string.count(".") == 2:
        try:
            decoded = jwt.decode(token_string, keys.verification_keys(), algorithms=ALGORITHMS)
        except (JoseError, ValueError):
            return None
        jti = decoded.claims.get("jti")
        return _one(Token.objects.select_related("client", "user").filter(jti=str(jti))) if jti else None
    row = _one(Token.objects.select_related("client", "user").filter(refresh_digest=digest(token_string)))
    if row is not None:
        row._as_refresh = True
    return row


class _SignedAccess:
    """An access token known from its verified claims (signature, ``exp``, not in the revocation
    set, an enabled client): what introspection needs, without a row."""

    _as_refresh = False

    def __init__(self, values: dict, client: Client):
        self.values, self.client = values, client
        self.client_id = client.pk
        self.scope = str(values.get("scope") or "")

    def is_expired(self) -> bool:
        return int(self.values.get("exp", 0)) <= time.time()

    def is_revoked(self) -> bool:
        return False  # checked against the revocation set before this was made

    def introspection(self) -> dict:
        v = self.values
        body = {
            "active": True,
            "client_id": self.client.client_id,
            "scope": self.scope,
            "token_type": "access_token",
            "exp": int(v["exp"]),
            "iat": int(v.get("iat", 0)),
            "iss": v.get("iss") or issuer(),
            "sub": v.get("sub"),
        }
        if v.get("acr"):
            body["acr"] = v["acr"]
        return body


def _signed_access(token_string: str) -> _SignedAccess | None | bool:
    """A JWT access token of the current format, from its claims alone; None when it is not live;
    False when it is not such a token (the caller looks the row up)."""
    try:
        header, values = verified(token_string)
    except (JoseError, ValueError):
        return None
    if values.get(FORMAT_CLAIM) not in SIGNED_FORMATS or header.get("typ") != "at+jwt":
        return False
    if not isinstance(values.get("exp"), int) or values["exp"] <= time.time():
        return None
    if str(values.get("jti")) in revoked_jtis():
        return None
    client = enabled_client(str(values.get("client_id") or ""))
    return _SignedAccess(values, client) if client is not None else None


class Introspection(IntrospectionEndpoint):
    CLIENT_AUTH_METHODS = ["client_secret_basic", "client_secret_post"]

    def query_token(self, token_string, token_type_hint):
        token_string = token_string or ""
        if token_type_hint != "refresh_token" and token_string.count(".") == 2:
            found = _signed_access(token_string)
            if found is not False:
                return found
        return _find_token(token_string, token_type_hint)

    def check_permission(self, token, client, request):
        # A client introspects only its own tokens: another's answer is {"active": false}.
        return token.client_id == client.pk

    def introspect_token(self, token):
        if not entitlements.live(token.scope):
            return {"active": False}  # a data entitlement revoked, suspended or ended since
        if isinstance(token, _SignedAccess):
            return token.introspection()
        end = token.refresh_expires_at if getattr(token, "_as_refresh", False) else token.expires_at
        body = {
            "active": True,
            "client_id": token.client.client_id,
            "scope": token.scope,
            "token_type": "refresh_token" if getattr(token, "_as_refresh", False) else "access_token",
            "exp": int(end.timestamp()),
            "iat": int(token.issued_at.timestamp()),
            "iss": issuer(),
            "sub": claims.client_subject(token.user_id, token.client)
            if token.user_id
            else token.client.client_id,
        }
        if token.acr:
            body["acr"] = token.acr
        return body


class Revocation(RevocationEndpoint):
    CLIENT_AUTH_METHODS = ["client_secret_basic", "client_secret_post", "none"]

    def query_token(self, token_string, token_type_hint):
        return _find_token(token_string, token_type_hint)

    def revoke_token(self, token, request):
        with transaction.atomic():
            revoke_tokens(Token.objects.filter(pk=token.pk))
            audit.record(
                actor=token.user,
                action="identity.token_revoke",
                target=token.client,
                after={"client": token.client.client_id, "by": "client"},
                via="identity",
            )


class EndSession(EndSessionEndpoint):
    def get_server_jwks(self):
        return keys.verification_keys()

    def get_algorithms(self):
        return ALGORITHMS

    def end_session(self, end_session_request):
        pass  # the view signs the session out and notifies the clients (services.logout)


class Server(AuthorizationServer):
    def __init__(self):
        super().__init__(Client, Token)
        self.register_token_generator("default", AccessTokens())
        self.register_grant(CodeGrant, [PkceForPublicClients(required=True), OpenIDCode(require_nonce=False)])
        self.register_grant(RefreshGrant)
        self.register_grant(ClientCredentialsGrant)
        self.register_endpoint(Introspection)
        self.register_endpoint(Revocation)
        self.register_endpoint(EndSession)

    def query_client(self, client_id):
        return enabled_client(client_id)

    def save_token(self, token, request):
        """Record a token grant (its jti, the refresh token's digest) and audit it: the row and
        its audit event are written together or not at all (on PostgreSQL in one statement, one
        round trip; elsewhere in one transaction)."""
        values = unverified_claims(token["access_token"])
        client = request.client
        user = request.user
        code = getattr(request, "authorization_code", None)
        old = getattr(request, "refresh_token", None)
        now = timezone.now()
        source = code or old
        row = Token(
            client=client,
            user=user,
            jti=values["jti"],
            refresh_digest=digest(token["refresh_token"]) if token.get("refresh_token") else None,
            scope=token.get("scope", ""),
            grant_type=request.payload.grant_type or "",
            code=code if code is not None else getattr(old, "code", None),
            parent=old,
            sid=getattr(source, "sid", ""),
            acr=getattr(source, "acr", ""),
            auth_time=getattr(source, "auth_time", None),
            entity_uscc=getattr(source, "entity_uscc", ""),
            entity_delegation=getattr(source, "entity_delegation", ""),
            issued_at=now,
            expires_at=now + timedelta(seconds=token["expires_in"]),
            refresh_expires_at=now + timedelta(days=settings.IDENTITY_REFRESH_TOKEN_DAYS)
            if token.get("refresh_token")
            else None,
        )
        event = audit.event_build(
            actor=user,
            action="identity.token_issue",
            target=client,
            org_unit=client.org_unit,
            after={"client": client.client_id, "grant_type": row.grant_type, "scope": row.scope},
            via="identity" if user is not None else "",
        )
        return statements.token_write(row, event)


server = Server()
