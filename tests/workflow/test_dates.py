"""Pure date rules: month arithmetic at month ends and leap days."""

from datetime import date

import pytest

from workflow.dates import add_months, extend_term, notice_deadline, renewal_opens_on, term_end


@pytest.mark.parametrize(
    ("start", "months", "end"),
    [("2025-01-01", 60, "2029-12-31"), ("2024-01-31", 1, "2024-02-29"), ("2025-01-31", 1, "2025-02-28"),
     ("2024-02-29", 12, "2025-02-28"), ("2023-03-01", 12, "2024-02-29"),
     ("2025-09-01", 12, "2026-08-31"), ("2020-02-19", 36, "2023-02-18")],
)
def test_term_end_is_start_plus_months_minus_one_day(start: str, months: int, end: str) -> None:
    assert term_end(date.fromisoformat(start), months) == date.fromisoformat(end)


def test_add_months_clamps_to_the_last_day_of_the_month() -> None:
    assert add_months(date(2025, 1, 31), 1) == date(2025, 2, 28)
    assert add_months(date(2024, 1, 31), 1) == date(2024, 2, 29)
    assert add_months(date(2025, 3, 31), -1) == date(2025, 2, 28)
    assert add_months(date(2025, 12, 15), 1) == date(2026, 1, 15)


def test_tacit_renewal_keeps_month_end_terms_aligned() -> None:
    assert extend_term(date(2024, 12, 31), 12) == date(2025, 12, 31)
    assert extend_term(date(2024, 2, 28), 12) == date(2025, 2, 28)
    assert extend_term(date(2024, 2, 29), 12) == date(2025, 2, 28)
    assert extend_term(date(2025, 8, 31), 6) == date(2026, 2, 28)


def test_windows_count_back_from_the_expiry() -> None:
    assert renewal_opens_on(date(2025, 12, 31), 180) == date(2025, 7, 4)
    assert notice_deadline(date(2024, 3, 1), 1) == date(2024, 2, 29)


def test_term_end_refuses_non_positive_months() -> None:
    with pytest.raises(ValueError):
        term_end(date(2025, 1, 1), 0)
