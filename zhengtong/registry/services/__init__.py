"""Writes of the base registries, one module per use case (see docs/registry.md "Layout"):

- ``records``: person and legal-entity records (validation, create, change);
- ``births``: the registry's side of a birth registration, with resident-ID allocation;
- ``licences``: e-licence types, issuing and the lifecycle transitions;
- ``identity``: real-name verification, authorisations to act for an entity and enterprise links;
- ``corrections``: correction requests (数据纠错) and their transitions.

The public functions are re-exported here: callers write ``registry.person_create(...)``.
"""

from zhengtong.registry.services.births import person_register_birth, resident_id_allocate
from zhengtong.registry.services.corrections import (
    CORRECTABLE_ENTITY_FIELDS,
    CORRECTABLE_PERSON_FIELDS,
    CORRECTION_TRANSITIONS,
    correction_reject,
    correction_resolve,
    correction_submit,
    correction_take,
    correction_withdraw,
)
from zhengtong.registry.services.identity import (
    citizen_verify_real_name,
    enterprise_link,
    entity_authorization_revoke,
    entity_authorize,
)
from zhengtong.registry.services.licences import (
    LICENCE_TRANSITIONS,
    licence_expire,
    licence_issue,
    licence_restore,
    licence_revoke,
    licence_suspend,
    licence_type_create,
    licences_expire_due,
)
from zhengtong.registry.services.records import (
    ENTITY_FIELDS,
    PERSON_FIELDS,
    clean_legal_entity,
    clean_person,
    legal_entity_create,
    legal_entity_update,
    parse_resident_id_field,
    person_create,
    person_update,
)

__all__ = [
    "CORRECTABLE_ENTITY_FIELDS",
    "CORRECTABLE_PERSON_FIELDS",
    "CORRECTION_TRANSITIONS",
    "ENTITY_FIELDS",
    "LICENCE_TRANSITIONS",
    "PERSON_FIELDS",
    "citizen_verify_real_name",
    "clean_legal_entity",
    "clean_person",
    "correction_reject",
    "correction_resolve",
    "correction_submit",
    "correction_take",
    "correction_withdraw",
    "enterprise_link",
    "entity_authorization_revoke",
    "entity_authorize",
    "legal_entity_create",
    "legal_entity_update",
    "licence_expire",
    "licence_issue",
    "licence_restore",
    "licence_revoke",
    "licence_suspend",
    "licence_type_create",
    "licences_expire_due",
    "parse_resident_id_field",
    "person_create",
    "person_register_birth",
    "person_update",
    "resident_id_allocate",
]
