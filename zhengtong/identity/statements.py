"""The code exchange's hand-written statements (the token endpoint's hot path, ``server``): the
code claimed in one ``UPDATE ... RETURNING`` with what the exchange reads of its person, and the
token row written with its audit event (on PostgreSQL in one statement, one round trip)."""

from __future__ import annotations

from django.db import connections, router, transaction

from zhengtong.audit import services as audit
from zhengtong.core import prepared
from zhengtong.identity.models import AuthorizationCode, Token

# The person model, as the code's foreign key names it (modules import accounts' models only in
# their own models.py).
User = AuthorizationCode._meta.get_field("user").related_model


CODE_FIELDS = AuthorizationCode._meta.concrete_fields


def _claim_sql() -> str:
    code, user = AuthorizationCode._meta, User._meta
    # Table and column names from the models, no input: the values are parameters.
    person = f"(SELECT {{}} FROM {user.db_table} u WHERE u.{user.pk.column} = {code.db_table}.user_id)"  # noqa: S608
    columns = ", ".join(f.column for f in CODE_FIELDS)
    return (
        f"UPDATE {code.db_table} SET used_at = %s WHERE code_digest = %s AND client_id = %s"  # noqa: S608
        f" AND used_at IS NULL RETURNING {columns}, {person.format(user.get_field('username').column)},"
        f" {person.format(user.get_field('is_active').column)}"
    )


CLAIM_SQL = _claim_sql()


def claim_code(code_digest: str, client_pk: int, now) -> AuthorizationCode | None:
    """Claim the unused code ``code_digest`` of the client (one statement, UPDATE ... RETURNING):
    the code, with its person as the exchange reads it (id, username for the audit event,
    is_active for the refusal: a deferred ``User``, any other field would load on access), or
    None when no unused code matches."""
    connection = connections[router.db_for_write(AuthorizationCode)]
    with connection.cursor() as cursor:
        cursor.execute(CLAIM_SQL, [now, code_digest, client_pk])
        found = cursor.fetchone()
    if found is None:
        return None
    row = prepared.instance_from_row(AuthorizationCode, found, connection)
    username, active = found[len(CODE_FIELDS) :]
    row.user = User.from_db(
        connection.alias, ["id", "username", "is_active"], [row.user_id, username, active]
    )
    return row


def token_write(row: Token, event) -> Token:
    """Write the unsaved token ``row`` and its audit ``event`` (``audit.event_build``) together or
    not at all: on PostgreSQL in one statement, atomic by itself; elsewhere in one transaction."""
    connection = connections[router.db_for_write(Token)]
    if connection.vendor != "postgresql":
        with transaction.atomic(using=connection.alias):
            row.save(force_insert=True, using=connection.alias)
            audit.record_event(event)
        return row
    # One statement, atomic by itself (no BEGIN/COMMIT round trips): the token row, its audit
    # event and the event's place on the audit queue.
    token_sql, token_params = prepared.insert_sql(row, connection)
    event_sql, event_params = audit.event_insert_sql(event, connection)
    # SQL text from the models (no input): the values are parameters.
    sql = f"WITH zt_token AS ({token_sql} RETURNING id), {event_sql} SELECT (SELECT id FROM zt_token), (SELECT id FROM {audit.EVENT_CTE})"  # noqa: S608, E501
    with connection.cursor() as cursor:
        cursor.execute(sql, [*token_params, *event_params])
        token_id, event_id = cursor.fetchone()
    audit.event_inserted(event, event_id, connection)
    return prepared.saved(row, token_id, connection)
