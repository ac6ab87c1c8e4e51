"""Every model shown in the Django admin, and every model of the project, has a verbose name and a
plural in English and in zh-Hans (issue 15: no English model names on the Chinese admin, no
"Timeline entrys")."""

from __future__ import annotations

import re

import pytest
from django.apps import apps
from django.contrib import admin
from django.utils import translation

CHINESE = re.compile(r"[\u4e00-\u9fff]")
LATIN = re.compile(r"[A-Za-z]")
# acronyms (OIDC, API) are how Chinese text writes them; an English word is not
ENGLISH_WORD = re.compile(r"[a-z]{2,}")


def _models():
    project = [m for m in apps.get_models() if m.__module__.startswith("zhengtong.")]
    return list(dict.fromkeys([*admin.site._registry, *project]))


def _label(model) -> str:
    return f"{model._meta.app_label}.{model._meta.object_name}"


@pytest.mark.parametrize("model", _models(), ids=_label)
def test_model_names_are_translated(model):
    meta = model._meta
    if model.__module__.startswith("zhengtong."):
        # explicit, not Django's guess from the class name ("timeline entrys")
        assert {"verbose_name", "verbose_name_plural"} <= set(meta.original_attrs), _label(model)
    with translation.override("zh-hans"):
        zh = [str(meta.verbose_name), str(meta.verbose_name_plural)]
    with translation.override("en"):
        en = [str(meta.verbose_name), str(meta.verbose_name_plural)]
    for name in zh:
        assert CHINESE.search(name) and not ENGLISH_WORD.search(name), (_label(model), name)
    for name in en:
        assert LATIN.search(name), (_label(model), name)
    assert not en[1].endswith(("ys", "ss")) or en[1].endswith(("ways", "days", "keys")), en[1]


def test_the_check_can_fail():
    """A model without a zh-Hans name is caught (the guessed plural, too)."""
    with translation.override("zh-hans"):
        assert not CHINESE.search("timeline entrys")
