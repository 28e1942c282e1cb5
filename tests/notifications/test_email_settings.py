"""E-mail settings from the environment: one URL or single variables; console when unset."""

from __future__ import annotations

import pytest

from kam.notifications.email_url import EmailConfigError, email_settings, parse_email_url

SMTP = "django.core.mail.backends.smtp.EmailBackend"


def test_unset_means_the_console_and_a_sender():
    s = email_settings({})
    assert s["EMAIL_BACKEND"] == "django.core.mail.backends.console.EmailBackend"
    assert s["DEFAULT_FROM_EMAIL"] == s["SERVER_EMAIL"] == "kam <kam@localhost>"


def test_submission_port_with_starttls_and_an_encoded_password():
    s = email_settings(
        {
            "KAM_EMAIL_URL": "smtp://kam%40example.com:p%40ss%3Aword@smtp.example.com:587?tls=1",
            "KAM_EMAIL_FROM": "kam <kam@example.com>",
        }
    )
    assert s["EMAIL_BACKEND"] == SMTP
    assert (s["EMAIL_HOST"], s["EMAIL_PORT"]) == ("smtp.example.com", 587)
    assert (s["EMAIL_HOST_USER"], s["EMAIL_HOST_PASSWORD"]) == ("kam@example.com", "p@ss:word")
    assert (s["EMAIL_USE_TLS"], s["EMAIL_USE_SSL"]) == (True, False)
    assert s["DEFAULT_FROM_EMAIL"] == "kam <kam@example.com>"


def test_smtps_is_tls_from_the_first_byte_on_465():
    s = parse_email_url("smtps://u:p@mail.example.com")
    assert (s["EMAIL_PORT"], s["EMAIL_USE_SSL"], s["EMAIL_USE_TLS"]) == (465, True, False)


def test_single_variables_when_there_is_no_url():
    s = email_settings(
        {"KAM_EMAIL_HOST": "relay.local", "KAM_EMAIL_PORT": "2525", "KAM_EMAIL_USE_TLS": "1"}
    )
    assert (s["EMAIL_HOST"], s["EMAIL_PORT"], s["EMAIL_USE_TLS"]) == ("relay.local", 2525, True)


@pytest.mark.parametrize(
    ("env", "says"),
    [
        ({"KAM_EMAIL_URL": "http://smtp.example.com"}, "unknown scheme"),
        ({"KAM_EMAIL_URL": "smtp://"}, "name the mail server"),
        ({"KAM_EMAIL_URL": "smtp://host:99999"}, "port"),
        ({"KAM_EMAIL_URL": "smtps://host?tls=1"}, "not both"),
        ({"KAM_EMAIL_URL": "smtp://host?tls=maybe"}, "write 1 or 0"),
        ({"KAM_EMAIL_HOST": "h", "KAM_EMAIL_PORT": "x"}, "must be a number"),
    ],
)
def test_settings_that_cannot_work_are_refused_with_the_reason(env, says):
    with pytest.raises(EmailConfigError, match=says):
        email_settings(env)


def test_kam_refuses_to_start_with_mail_settings_it_cannot_use(tmp_path):
    import os
    import subprocess
    import sys

    env = {**os.environ, "KAM_DATA_DIR": str(tmp_path), "KAM_EMAIL_URL": "http://mail.example"}
    done = subprocess.run(
        [sys.executable, "-c", "import kam.settings"], env=env, capture_output=True, text=True
    )
    assert done.returncode == 2
    assert done.stderr == (
        "kam: KAM_EMAIL_URL: unknown scheme 'http'; use smtp://, smtps:// or console://.\n"
    )
