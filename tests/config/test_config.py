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


def test_the_environment_wins_over_dotenv_and_names_are_read_in_any_case(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / ".env").write_text("HAMKOR_INSTITUTION=From the file\nhamkor_tick_at=06:30\n")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HAMKOR_INSTITUTION", "From the environment")
    s = load_settings()
    assert s.institution == "From the environment" and s.tick_at == "06:30"
    assert load_settings(institution="From the caller").institution == "From the caller"


def test_dotenv_quoting_comments_and_expansion(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from config.settings import read_dotenv

    monkeypatch.setenv("OFFICE_HOST", "hamkor.uni.uz")
    (tmp_path / ".env").write_text(
        "# a comment\n"
        "export HAMKOR_A = spaced value   # trailing comment\n"
        "HAMKOR_B='single $X \\' quoted'\n"
        'HAMKOR_C="line\\nbreak ${HAMKOR_A} ${MISSING:-fallback}"\n'
        "HAMKOR_D=https://${OFFICE_HOST}/\n"
        "HAMKOR_E=a#b\n"
        "HAMKOR_F=\n"
        'HAMKOR_G="two\nlines"\n'
        "HAMKOR_H=Toshkent davlat universiteti — ТДУ\n",
        encoding="utf-8",
    )
    assert read_dotenv(tmp_path / ".env") == {
        "HAMKOR_A": "spaced value", "HAMKOR_B": "single $X ' quoted",
        "HAMKOR_C": "line\nbreak spaced value fallback", "HAMKOR_D": "https://hamkor.uni.uz/",
        "HAMKOR_E": "a#b", "HAMKOR_F": "", "HAMKOR_G": "two\nlines",
        "HAMKOR_H": "Toshkent davlat universiteti — ТДУ",
    }
    assert read_dotenv(tmp_path / "missing.env") == {}


@pytest.mark.parametrize(
    ("var", "value", "message"),
    [("HAMKOR_SMTP_PORT", "x", "Input should be a valid integer, unable to parse string as an integer"),
     ("HAMKOR_SMTP_PORT", "0", "Input should be greater than or equal to 1"),
     ("HAMKOR_MAX_UPLOAD_MB", "3000", "Input should be less than or equal to 2048"),
     ("HAMKOR_SMTP_TIMEOUT", "0", "Input should be greater than 0"),
     ("HAMKOR_MAIL_BACKEND", "pigeon", "Input should be 'smtp', 'file' or 'console'"),
     ("HAMKOR_SMTP_STARTTLS", "maybe", "Input should be a valid boolean, unable to interpret input")],
)
def test_number_and_choice_messages_keep_their_wording(monkeypatch: pytest.MonkeyPatch, var: str,
                                                       value: str, message: str) -> None:
    monkeypatch.setenv(var, value)
    with pytest.raises(ConfigError, match=f"^{var}: ") as info:
        load_settings()
    assert str(info.value) == f"{var}: {message}"


def test_values_are_parsed_like_before(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HAMKOR_SMTP_STARTTLS", "Yes")
    monkeypatch.setenv("HAMKOR_WORKFLOW_MAIL", "off")
    monkeypatch.setenv("HAMKOR_SMTP_PORT", " 587 ")
    monkeypatch.setenv("HAMKOR_MAIL_RETRY_FOR", "36h")
    monkeypatch.setenv("HAMKOR_BASE_URL", " https://hamkor.uni.uz/ ")
    monkeypatch.setenv("HAMKOR_INSTITUTION_COUNTRY", " uz ")
    monkeypatch.setenv("HAMKOR_DIGEST_DAY", "Fri")
    monkeypatch.setenv("HAMKOR_INSTITUTION_HEI_ID", "")
    s = load_settings()
    assert (s.smtp_starttls, s.workflow_mail, s.smtp_port) == (True, False, 587)
    assert s.mail_retry_for.total_seconds() == 36 * 3600
    assert s.base_url == "https://hamkor.uni.uz" and s.institution_country == "UZ"
    assert s.digest_weekday == 4 and s.institution_hei_id is None
    copy = s.model_copy(update={"max_upload_mb": 1})
    assert copy.max_upload_mb == 1 and s.max_upload_mb == 25


def test_reading_settings_imports_no_validation_library() -> None:
    import subprocess
    import sys

    code = ("import sys; from config import load_settings; load_settings()\n"
            "print([m for m in ('pydantic', 'pydantic_settings', 'dotenv', 'sqlalchemy') if m in sys.modules])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
