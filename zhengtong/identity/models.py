"""Tables of the identity centre: relying-party clients, signing keys, authorization codes,
tokens (access token ids and refresh token digests) and consents.

Secrets are never stored: client secrets live in ``accounts.Credential`` (kind
``client_secret``), codes and refresh tokens as SHA-256 digests, access tokens are signed JWTs
found by their ``jti``.
"""

from __future__ import annotations

import hmac

from authlib.oauth2.rfc6749 import AuthorizationCodeMixin, ClientMixin, TokenMixin
from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from zhengtong.accounts import credentials
from zhengtong.accounts.models import Credential, Department, OrgUnit


class ClientType(models.TextChoices):
    CONFIDENTIAL = "confidential", _("confidential (server with a secret)")
    PUBLIC = "public", _("public (browser or mobile app, PKCE)")


class SubjectType(models.TextChoices):
    PAIRWISE = "pairwise", _("pairwise (per sector)")
    PUBLIC = "public", _("public (same for every client)")


class Client(ClientMixin, models.Model):
    """A relying party registered by an administrator. The ``ClientMixin`` methods are what
    Authlib asks of a client (redirect URIs matched exactly, scopes, grant types, secret)."""

    client_id = models.SlugField(_("client ID"), max_length=64, unique=True)
    name = models.CharField(_("name"), max_length=100)
    department = models.ForeignKey(
        Department, models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("department")
    )
    org_unit = models.ForeignKey(OrgUnit, models.PROTECT, related_name="+", verbose_name=_("org unit"))
    purpose = models.CharField(_("purpose"), max_length=300)
    logo_url = models.URLField(_("logo URL"), blank=True)
    client_type = models.CharField(_("type"), max_length=12, choices=ClientType.choices)
    secret = models.ForeignKey(
        Credential, models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("secret")
    )
    redirect_uris = models.JSONField(_("redirect URIs"), default=list)
    post_logout_redirect_uris = models.JSONField(_("post-logout redirect URIs"), default=list, blank=True)
    backchannel_logout_uri = models.URLField(_("back-channel logout URI"), blank=True)
    scopes = models.JSONField(_("allowed scopes"), default=list)
    grant_types = models.JSONField(_("grant types"), default=list)
    sector = models.CharField(_("sector"), max_length=100)
    subject_type = models.CharField(
        _("subject type"), max_length=10, choices=SubjectType.choices, default=SubjectType.PAIRWISE
    )
    public_sub_reason = models.CharField(_("reason for public subject"), max_length=300, blank=True)
    legal_basis = models.CharField(_("legal basis for the ID number"), max_length=300, blank=True)
    id_token_alg = models.CharField(
        _("ID token algorithm"),
        max_length=8,
        choices=[("RS256", "RS256"), ("ES256", "ES256")],
        default="RS256",
    )
    enabled = models.BooleanField(_("enabled"), default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["client_id"]
        verbose_name = _("OIDC client")
        verbose_name_plural = _("OIDC clients")

    def __str__(self) -> str:
        return f"{self.name} ({self.client_id})"

    @property
    def is_public(self) -> bool:
        return self.client_type == ClientType.PUBLIC

    @property
    def client_metadata(self) -> dict:
        return {"post_logout_redirect_uris": self.post_logout_redirect_uris}

    def get_client_id(self) -> str:
        return self.client_id

    def get_default_redirect_uri(self) -> None:
        return None  # the redirect_uri parameter is required (OIDC Core 3.1.2.1)

    def get_allowed_scope(self, scope: str) -> str | None:
        """The requested scope, or None (→ ``invalid_scope``) when any of it is not allowed."""
        requested = (scope or "").split()
        # A data entitlement (``sharing:grant:<id>``) is allowed by its family (``sharing:grant:*``);
        # whether this client may have that one is the client-credentials grant's check.
        if any(s not in self.scopes and f"{s.rpartition(':')[0]}:*" not in self.scopes for s in requested):
            return None
        return " ".join(dict.fromkeys(requested))

    def check_redirect_uri(self, redirect_uri: str) -> bool:
        return redirect_uri in self.redirect_uris

    def check_client_secret(self, client_secret: str) -> bool:
        # The client names its credential (the client_id does what a secret's prefix does for
        # other kinds); the secret must match its digest, and the credential must be live.
        row = self.secret
        if row is None or not client_secret or len(client_secret) > 200:
            return False
        if credentials.credential_refusal(row) is not None:
            return False
        if not hmac.compare_digest(credentials.credential_digest(client_secret), row.digest):
            return False
        credentials.credential_touch(row)
        return True

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        if self.is_public:
            return method == "none" and endpoint in {"token", "revocation"}
        return method in {"client_secret_basic", "client_secret_post"}

    def check_response_type(self, response_type: str) -> bool:
        return response_type == "code" and "authorization_code" in self.grant_types

    def check_grant_type(self, grant_type: str) -> bool:
        return grant_type in self.grant_types


class SigningKey(models.Model):
    """A key that signs ID tokens and access tokens. ``active``: signs; ``retiring``: published in
    the JWKS so the tokens it signed still verify, signs nothing new; ``retired``: gone."""

    class Status(models.TextChoices):
        ACTIVE = "active", _("active")
        RETIRING = "retiring", _("retiring")
        RETIRED = "retired", _("retired")

    kid = models.CharField(max_length=64, unique=True)
    alg = models.CharField(max_length=8)
    private_encrypted = models.BinaryField()
    public_jwk = models.JSONField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.ACTIVE)
    created_at = models.DateTimeField(auto_now_add=True)
    retiring_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("signing key")
        verbose_name_plural = _("signing keys")
        ordering = ["alg", "-created_at"]

    def __str__(self) -> str:
        return f"{self.alg} {self.kid} ({self.status})"


class AuthorizationCode(AuthorizationCodeMixin, models.Model):
    code_digest = models.CharField(max_length=64, unique=True)
    client = models.ForeignKey(Client, models.CASCADE, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, models.CASCADE, related_name="+")
    redirect_uri = models.CharField(max_length=500)
    scope = models.CharField(max_length=500)
    nonce = models.CharField(max_length=255, blank=True)
    code_challenge = models.CharField(max_length=128, blank=True)
    code_challenge_method = models.CharField(max_length=10, blank=True)
    auth_time = models.IntegerField()
    acr = models.CharField(max_length=64)
    amr = models.JSONField(default=list)
    sid = models.CharField(max_length=64, blank=True)
    entity_uscc = models.CharField(max_length=18, blank=True)
    entity_delegation = models.CharField(max_length=30, blank=True)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("authorization code")
        verbose_name_plural = _("authorization codes")

    def __str__(self) -> str:
        return f"code for {self.client_id} ({self.created_at:%Y-%m-%d %H:%M})"

    def get_redirect_uri(self) -> str:
        return self.redirect_uri

    def get_scope(self) -> str:
        return self.scope

    def get_nonce(self) -> str | None:
        return self.nonce or None

    def get_auth_time(self) -> int:
        return self.auth_time

    def get_acr(self) -> str:
        return self.acr

    def get_amr(self) -> list[str]:
        return self.amr


class Token(TokenMixin, models.Model):
    """One token grant: the access token's ``jti`` and, when issued, the refresh token's digest.
    A refresh rotates: the old row is revoked and the new one points to it (``parent``)."""

    client = models.ForeignKey(Client, models.CASCADE, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, models.CASCADE, null=True, related_name="+")
    jti = models.CharField(max_length=64, unique=True)
    refresh_digest = models.CharField(max_length=64, null=True, unique=True)
    scope = models.CharField(max_length=500)
    grant_type = models.CharField(max_length=40)
    code = models.ForeignKey(AuthorizationCode, models.SET_NULL, null=True, related_name="tokens")
    parent = models.ForeignKey("self", models.SET_NULL, null=True, related_name="+")
    sid = models.CharField(max_length=64, blank=True)
    acr = models.CharField(max_length=64, blank=True)
    auth_time = models.IntegerField(null=True)
    entity_uscc = models.CharField(max_length=18, blank=True)
    entity_delegation = models.CharField(max_length=30, blank=True)
    issued_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    refresh_expires_at = models.DateTimeField(null=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("access token")
        verbose_name_plural = _("access tokens")
        indexes = [models.Index(fields=["user", "client"], name="identity_token_user_client")]

    def __str__(self) -> str:
        return f"token {self.jti[:8]}… of client {self.client_id}"

    def check_client(self, client) -> bool:
        return self.client_id == client.pk

    def get_scope(self) -> str:
        return self.scope

    def get_expires_in(self) -> int:
        return int((self.expires_at - self.issued_at).total_seconds())

    def is_expired(self) -> bool:
        # A refresh token (looked up by digest) lives longer than its access token.
        end = self.refresh_expires_at if getattr(self, "_as_refresh", False) else self.expires_at
        return end is None or end <= timezone.now()

    def is_revoked(self) -> bool:
        return self.revoked_at is not None

    def get_user(self):
        return self.user

    def get_client(self):
        return self.client


class Consent(models.Model):
    """What a person allowed a client to know (scopes), until they revoke it."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, models.CASCADE, related_name="+")
    client = models.ForeignKey(Client, models.CASCADE, related_name="+")
    scopes = models.JSONField(default=list)
    granted_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("consent")
        verbose_name_plural = _("consents")
        ordering = ["-granted_at"]
        constraints = [models.UniqueConstraint(fields=["user", "client"], name="identity_consent_unique")]

    def __str__(self) -> str:
        return f"consent of user {self.user_id} to client {self.client_id}"
