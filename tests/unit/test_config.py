"""Settings: defaults, parsing, one-line errors naming the variable, secrets masked."""

import pytest

from config import ConfigError, load_settings, redact_url


def test_defaults_match_the_spec() -> None:
    s = load_settings()
    assert s.database_url == "sqlite:///hamkor.db"
    assert s.reminder_days == (180, 90, 30, 7)
    assert s.signature_nudge_days == 14
    assert s.timezone == "UTC" and s.tick_at == "08:00" and s.academic_year_start == "09-01"
    assert s.renewal_window_days == 180


def test_values_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HAMKOR_REMINDER_DAYS", "30, 7,90")
    monkeypatch.setenv("HAMKOR_TIMEZONE", "Asia/Tashkent")
    monkeypatch.setenv("HAMKOR_SMTP_STARTTLS", "true")
    s = load_settings()
    assert s.reminder_days == (90, 30, 7)
    assert str(s.zone) == "Asia/Tashkent"
    assert s.smtp_starttls is True


def test_dotenv_file_in_the_working_directory_is_read(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / ".env").write_text("HAMKOR_INSTITUTION=Turin Polytechnic University in Tashkent\n")
    monkeypatch.chdir(tmp_path)
    assert load_settings().institution == "Turin Polytechnic University in Tashkent"


@pytest.mark.parametrize(
    ("var", "value"),
    [("HAMKOR_REMINDER_DAYS", "abc"), ("HAMKOR_REMINDER_DAYS", "30,-1"),
     ("HAMKOR_TIMEZONE", "Mars/Olympus"), ("HAMKOR_SMTP_PORT", "99999"),
     ("HAMKOR_MAIL_BACKEND", "pigeon"), ("HAMKOR_TICK_AT", "25:99"),
     ("HAMKOR_INSTITUTION_COUNTRY", "Uzbekistan"), ("HAMKOR_ACADEMIC_YEAR_START", "13-01"),
     ("HAMKOR_SIGNATURE_NUDGE_DAYS", "0"), ("HAMKOR_INSTITUTION_HEI_ID", "Not A Code")],
)
def test_a_bad_value_names_its_variable(monkeypatch: pytest.MonkeyPatch, var: str, value: str) -> None:
    monkeypatch.setenv(var, value)
    with pytest.raises(ConfigError) as info:
        load_settings()
    message = str(info.value)
    assert message.startswith(f"{var}: ")
    assert "\n" not in message


def test_secrets_are_masked(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HAMKOR_SMTP_PASSWORD", "hunter2")
    s = load_settings()
    assert "hunter2" not in repr(s) and "hunter2" not in str(s.model_dump())
    assert s.smtp_password is not None and s.smtp_password.get_secret_value() == "hunter2"
    assert redact_url("postgresql+psycopg://app:s3cret@db:5432/hamkor") == (
        "postgresql+psycopg://app:***@db:5432/hamkor"
    )


def test_a_bad_password_value_is_not_echoed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HAMKOR_SMTP_PORT", "hunter2")
    with pytest.raises(ConfigError) as info:
        load_settings()
    assert "hunter2" not in str(info.value)
