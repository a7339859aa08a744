"""TWEEZER_HTTPS=1 is the production setting: Django's deployment checklist finds nothing to say."""

import os
import secrets
import subprocess
import sys
from pathlib import Path

from django.conf import settings


def _check_deploy(tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    """`manage.py check --deploy` in a fresh process with the given variables (and no debug)."""
    # DJANGO_ALLOW_ASYNC_UNSAFE is the browser tests' (Playwright's sync API in the test process); no server has it.
    clean = {k: v for k, v in os.environ.items() if not k.startswith("TWEEZER_") and k != "DJANGO_ALLOW_ASYNC_UNSAFE"}
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "DEBUG"],
        cwd=settings.BASE_DIR, env={**clean, "TWEEZER_VAR_DIR": str(tmp_path), **env},
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip


def test_https_setting_passes_the_deploy_check_without_a_word(tmp_path):
    result = _check_deploy(tmp_path, TWEEZER_HTTPS="1", TWEEZER_SECRET_KEY=secrets.token_urlsafe(50))
    assert (result.returncode, result.stderr) == (0, ""), result.stderr
    assert result.stdout == "System check identified no issues (0 silenced).\n"


def test_https_setting_refuses_to_start_without_a_secret_key_from_the_environment(tmp_path):
    result = _check_deploy(tmp_path, TWEEZER_HTTPS="1")
    assert result.returncode != 0
    assert "TWEEZER_HTTPS=1 needs TWEEZER_SECRET_KEY from the environment" in result.stderr
    assert not (tmp_path / "secret_key").exists()  # no key made up on the spot


def test_https_setting_refuses_a_short_secret_key(tmp_path):
    result = _check_deploy(tmp_path, TWEEZER_HTTPS="1", TWEEZER_SECRET_KEY="change-me")
    assert result.returncode != 0 and "50 or more random characters" in result.stderr


def test_without_https_the_deploy_check_names_what_is_missing(tmp_path):
    result = _check_deploy(tmp_path)
    for warning in ("security.W004", "security.W008", "security.W012", "security.W016"):
        assert warning in result.stderr
