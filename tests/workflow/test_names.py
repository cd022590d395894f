"""Organisation names as keys: how staff type a partner's name must not make two partners."""

from __future__ import annotations

import pytest

from models import normalize_name


@pytest.mark.parametrize("variant", [
    "Oʻzbekiston Milliy Universiteti",   # U+02BB, the official Uzbek Latin letter
    "O‘zbekiston Milliy Universiteti",   # U+2018, what word processors put in
    "O'zbekiston  Milliy universiteti",  # ASCII, a double space, lower case
    "O`zbekiston Milliy Universiteti",   # backtick, from some keyboards
    "Oʼzbekiston Milliy Universiteti",   # U+02BC
])
def test_apostrophe_variants_of_an_uzbek_name_are_one_key(variant: str) -> None:
    assert normalize_name(variant) == "o'zbekiston milliy universiteti"


def test_composed_and_decomposed_accents_are_one_key() -> None:
    assert normalize_name("Universite\u0301 de Gene\u0300ve") == normalize_name(
        "Université de Genève") == "université de genève"


def test_different_names_stay_different() -> None:
    assert normalize_name("Oʻzbekiston") != normalize_name("Ozbekiston")
    assert normalize_name("Kyoto University") != normalize_name("Kyoto Universität")
