"""Production settings (docs/operations.md): HTTPS by KAM_HTTPS, the Content-Security-Policy
on every response, and the data directory (never the current directory, a clear error when
it cannot be used)."""

from __future__ import annotations

import json
import os
import re
import secrets
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import Client

from kam.datadir import data_dir, data_dir_ensure, tighten

KAM = Path(__file__).resolve().parents[2] / "kam"


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    """The test's environment without kam's and Django's settings (the browser tests set
    DJANGO_ALLOW_ASYNC_UNSAFE, which check --deploy rightly warns about)."""
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("KAM_", "DATABASE_URL", "DJANGO_"))
    }
    env["KAM_DATA_DIR"] = str(tmp_path / "data")
    env.update(extra)
    return env


def _kam(
    env: dict[str, str], *args: str, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "kam.cli", *args],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
    )


# --- HTTPS ----------------------------------------------------------------------------------


def test_check_deploy_is_clean_with_kam_https(tmp_path: Path) -> None:
    env = _env(
        tmp_path,
        KAM_HTTPS="1",
        KAM_SECRET_KEY=secrets.token_urlsafe(64),
        KAM_ALLOWED_HOSTS="kam.example.com",
    )
    result = _kam(env, "manage", "check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_check_deploy_warns_without_kam_https(tmp_path: Path) -> None:
    """The same check fails without KAM_HTTPS: the test above measures something."""
    env = _env(tmp_path, KAM_SECRET_KEY=secrets.token_urlsafe(64))
    result = _kam(env, "manage", "check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode != 0
    for warning in ("security.W004", "security.W008", "security.W012", "security.W016"):
        assert warning in result.stderr + result.stdout, warning


SHOW = """
import json
from django.conf import settings
print(json.dumps({k: getattr(settings, k, None) for k in (
    "SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE", "SECURE_SSL_REDIRECT", "SECURE_HSTS_SECONDS",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS", "SECURE_HSTS_PRELOAD", "SECURE_PROXY_SSL_HEADER")}))
"""


def _settings(env: dict[str, str]) -> dict[str, object]:
    result = _kam(env, "manage", "shell", "-c", SHOW)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def test_kam_https_switches_on_secure_cookies_redirect_hsts_and_the_named_proxy_header(
    tmp_path: Path,
) -> None:
    plain = _settings(_env(tmp_path))
    assert plain["SESSION_COOKIE_SECURE"] is False and plain["SECURE_SSL_REDIRECT"] is False
    assert plain["SECURE_HSTS_SECONDS"] == 0 and plain["SECURE_PROXY_SSL_HEADER"] is None
    https = _settings(_env(tmp_path, KAM_HTTPS="1", KAM_PROXY_SSL_HEADER="X-Forwarded-Proto"))
    assert https == {
        "SESSION_COOKIE_SECURE": True,
        "CSRF_COOKIE_SECURE": True,
        "SECURE_SSL_REDIRECT": True,
        "SECURE_HSTS_SECONDS": 31536000,
        "SECURE_HSTS_INCLUDE_SUBDOMAINS": True,
        "SECURE_HSTS_PRELOAD": True,
        "SECURE_PROXY_SSL_HEADER": ["HTTP_X_FORWARDED_PROTO", "https"],
    }
    # Without KAM_PROXY_SSL_HEADER no header is trusted: a client could send it itself.
    assert _settings(_env(tmp_path, KAM_HTTPS="1"))["SECURE_PROXY_SSL_HEADER"] is None


@pytest.mark.django_db
def test_https_mode_redirects_and_sends_hsts_and_secure_cookies(settings, director) -> None:  # type: ignore[no-untyped-def]
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_HSTS_SECONDS = 31536000
    settings.SECURE_HSTS_INCLUDE_SUBDOMAINS = settings.SECURE_HSTS_PRELOAD = True
    settings.SESSION_COOKIE_SECURE = settings.CSRF_COOKIE_SECURE = True
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    client = Client()
    plain = client.get("/login/")
    assert plain.status_code == 301 and plain["Location"].startswith("https://")
    # Behind the proxy, which says the request came over HTTPS:
    secure = client.get("/login/", headers={"X-Forwarded-Proto": "https"})
    assert secure.status_code == 200
    assert secure["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"
    assert secure.cookies["csrftoken"]["secure"] is True


# --- Content-Security-Policy -------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/login/", "/api/docs", "/no-such-page/", "/vendor/vega.js"])
def test_every_response_carries_the_policy(path: str, director) -> None:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(director)
    response = client.get(path)
    policy = response["Content-Security-Policy"]
    directives = {}
    for part in policy.split(";"):
        name, _, value = part.strip().partition(" ")
        directives[name] = value
    assert directives["script-src"] == "'self'"
    assert directives["default-src"] == "'self'"
    assert directives["frame-ancestors"] == "'none'"
    assert directives["form-action"] == "'self'"
    assert directives["object-src"] == "'none'"
    assert "unsafe-eval" not in policy
    assert "unsafe-inline" not in directives["script-src"]


def test_templates_hold_no_inline_script_or_handler_attributes() -> None:
    """What script-src 'self' would block: an inline <script> (JSON data blocks are not
    run), an on…= handler attribute, a javascript: URL."""
    found = []
    for template in sorted(KAM.rglob("templates/**/*.html")):
        text = template.read_text()
        for match in re.finditer(r"<script\b([^>]*)>", text):
            attributes = match.group(1)
            if "src=" not in attributes and "application/json" not in attributes:
                found.append(f"{template.relative_to(KAM)}: inline <script>")
        for match in re.finditer(r"<[^>]*\son[a-z]+\s*=", text):
            found.append(f"{template.relative_to(KAM)}: {match.group(0)[-30:]}")
        if "javascript:" in text:
            found.append(f"{template.relative_to(KAM)}: javascript: URL")
    assert not found, found


# --- the data directory ----------------------------------------------------------------------


def test_the_data_directory_is_never_the_current_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = tmp_path / "home"
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.chdir(tmp_path)
    assert data_dir({"KAM_DATA_DIR": str(tmp_path / "d")}) == tmp_path / "d"
    assert data_dir({"XDG_DATA_HOME": str(tmp_path / "xdg")}) == tmp_path / "xdg" / "kam"
    assert data_dir({}) == home / ".local" / "share" / "kam"
    # A relative XDG_DATA_HOME is ignored, as the XDG specification says.
    assert data_dir({"XDG_DATA_HOME": "relative"}) == home / ".local" / "share" / "kam"


def test_kam_without_kam_data_dir_uses_the_per_user_directory(tmp_path: Path) -> None:
    home, elsewhere = tmp_path / "home", tmp_path / "elsewhere"
    home.mkdir()
    elsewhere.mkdir()
    env = _env(tmp_path, HOME=str(home))
    del env["KAM_DATA_DIR"]
    env.pop("XDG_DATA_HOME", None)
    result = _kam(env, "manage", "check", cwd=elsewhere)
    assert result.returncode == 0, result.stderr
    assert (home / ".local" / "share" / "kam" / "secret_key").is_file()
    assert list(elsewhere.iterdir()) == [], "nothing is written to the current directory"


def test_a_data_directory_that_cannot_be_created_is_a_clear_error(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    for path in (blocker / "kam", blocker):
        for command in (["manage", "check"], ["backup", str(tmp_path / "b.tar.gz")]):
            result = _kam(_env(tmp_path, KAM_DATA_DIR=str(path)), *command)
            assert result.returncode == 2, (command, result.stderr)
            assert "Traceback" not in result.stderr
            assert f"kam cannot use the data directory {path}" in result.stderr
            assert "KAM_DATA_DIR" in result.stderr


def test_data_dir_ensure_creates_a_private_directory(tmp_path: Path) -> None:
    old = os.umask(0o022)
    try:
        path = data_dir_ensure(tmp_path / "new" / "kam")
    finally:
        os.umask(old)
    assert stat.S_IMODE(path.stat().st_mode) == 0o700


def test_tighten_closes_files_an_older_kam_left_readable(tmp_path: Path) -> None:
    (tmp_path / "kam.sqlite3").write_text("")
    (tmp_path / "secret_key").write_text("k")
    (tmp_path / "transactions").mkdir()
    for path in (tmp_path / "kam.sqlite3", tmp_path / "secret_key"):
        path.chmod(0o644)
    tmp_path.chmod(0o755)
    (tmp_path / "transactions").chmod(0o755)
    tighten(tmp_path)
    assert stat.S_IMODE(tmp_path.stat().st_mode) == 0o700
    assert stat.S_IMODE((tmp_path / "transactions").stat().st_mode) == 0o700
    for name in ("kam.sqlite3", "secret_key"):
        assert stat.S_IMODE((tmp_path / name).stat().st_mode) == 0o600
