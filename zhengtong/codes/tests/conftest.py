import pytest


@pytest.fixture
def codes(world):
    """World + this installation's keys, the health purpose and its demo rules, a subject."""
    from zhengtong.codes import demo, keys, services
    from zhengtong.codes.services import verification

    code_key, anchor = keys.ensure_keys(actor=world.system, seed=b"test-region-a")
    purpose = demo.ensure_health_purpose(world.system)
    person = world.person()
    subject = services.subject_for_person(person)
    officer = world.staff("xihu_codes", "codes_officer", world.xihu)
    admin = world.staff("codes_admin", "codes_admin", world.province)
    services.forget_trust_store()
    services.forget_signers()
    verification._counts.clear()  # counts left unflushed by an earlier test's process state

    class C:
        pass

    c = C()
    c.world, c.code_key, c.anchor, c.purpose, c.person, c.subject = (
        world,
        code_key,
        anchor,
        purpose,
        person,
        subject,
    )
    c.officer, c.admin = officer, admin
    yield c
    services.forget_trust_store()
