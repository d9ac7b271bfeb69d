"""Every VIGISANTE_* setting, read from the environment in one place.

`SETTINGS_DOC` is the single list of documented settings; a test checks that the README
documents each of them.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

import platformdirs

SETTINGS_DOC: dict[str, str] = {
    "VIGISANTE_DATA_DIR": "Folder for the SQLite database, attachments and the generated "
    "secret key. Default: the per-user data folder (e.g. ~/.local/share/vigisante).",
    "VIGISANTE_DATABASE_URL": "Database URL, e.g. postgres://user@host:5432/vigisante. "
    "Default: SQLite file vigisante.sqlite3 in the data folder.",
    "VIGISANTE_ENCRYPTION_KEYS": "Keys encrypting second-factor secrets and attachments at "
    "rest (AES-256-GCM), comma-separated, each 32 random bytes in URL-safe base64 (`vigisante "
    "rotate-key --generate` prints one). The first encrypts, all decrypt: to rotate, put a new "
    "key first, restart, run `vigisante rotate-key`, then drop the old one. Default: one key "
    "generated once into the data folder (encryption_key file). Never in backups: keep it "
    "apart.",
    "VIGISANTE_PG_BIN_DIR": "Folder of the PostgreSQL client tools (pg_dump, pg_restore) "
    "that `vigisante backup` and `restore` use, e.g. /usr/lib/postgresql/17/bin. Default: "
    "the oldest one on PATH or in /usr/lib/postgresql/*/bin or /usr/pgsql-*/bin that is at "
    "least as new as the server.",
    "VIGISANTE_SECRET_KEY": "Django secret key. Default: generated once and kept in "
    "the data folder (secret_key file).",
    "VIGISANTE_DEBUG": "1 to enable Django debug pages (never in production). Default 0.",
    "VIGISANTE_ALLOWED_HOSTS": "Comma-separated host names served. Default: "
    "localhost,127.0.0.1,[::1].",
    "VIGISANTE_SITE_URL": "Public base URL used in e-mails. Default http://127.0.0.1:8000.",
    "VIGISANTE_EMAIL_BACKEND": "console, smtp, file or locmem. Default console.",
    "VIGISANTE_EMAIL_HOST": "SMTP host (smtp backend). Default localhost.",
    "VIGISANTE_EMAIL_PORT": "SMTP port. Default 25.",
    "VIGISANTE_EMAIL_HOST_USER": "SMTP user. Default empty.",
    "VIGISANTE_EMAIL_HOST_PASSWORD": "SMTP password. Default empty.",
    "VIGISANTE_EMAIL_USE_TLS": "1 to use STARTTLS. Default 0.",
    "VIGISANTE_DEFAULT_FROM_EMAIL": "Sender of e-mails. Default vigisante@localhost.",
    "VIGISANTE_CERT_EMAIL": "Address of the CERT's incoming mailbox (copy of every new "
    "report). Default cert@localhost.",
    "VIGISANTE_MAX_ATTACHMENT_MB": "Largest attachment accepted, in MiB. Default 20.",
    "VIGISANTE_LOGCHECK_MAX_UPLOAD_MB": "Largest log accepted by the \"are we affected?\" "
    "page, in MiB (scanned as it arrives, never stored; gzip counts compressed). Default 200.",
    "VIGISANTE_TOKEN": "API token of `vigisante check-logs` when --token is not given (keeps "
    "it out of the process list and shell history). Default empty.",
    "VIGISANTE_SECURE_COOKIES": "1 to mark cookies Secure and send HSTS (behind HTTPS). "
    "Default 0.",
    "VIGISANTE_REQUIRE_2FA": "1 to require a second factor (TOTP) for analysts, admins and "
    "authorities. "
    "Default 1.",
    "VIGISANTE_WORKERS": "Number of server processes of `vigisante serve`. Default: "
    "2 x cores + 1.",
    "VIGISANTE_LOG_LEVEL": "Logging level. Default INFO.",
    "VIGISANTE_LOG_FORMAT": "json (one JSON object per line, with the request id) or text. "
    "Default json.",
    "VIGISANTE_HEALTH_MAX_HEARTBEAT_SECONDS": "`/healthz` answers 503 when the newest worker "
    "heartbeat is older than this many seconds (or missing). Default 120.",
    "VIGISANTE_IDEMPOTENCY_KEY_DAYS": "Days an Idempotency-Key (and the answer it replays) is "
    "kept; the worker purges older ones every hour. Default 30.",
    "VIGISANTE_CLOCK_SCAN_SECONDS": "Seconds between two scans of the regulatory clocks by "
    "`vigisante worker` (reminders before and after each deadline). Default 60.",
    "VIGISANTE_CLOCK_REMINDER_HOURS": "Comma-separated hours before a deadline at which a "
    "reminder e-mail is sent. Default 12,2.",
    "VIGISANTE_CLOCK_OVERDUE_WINDOW_HOURS": "A passed deadline is reminded once if it passed "
    "less than this many hours ago (older ones are not chased after a long stop of the "
    "worker). Default 168 (7 days).",
    "VIGISANTE_TRANSMISSION_TARGET_MINUTES": "Target delay, in minutes, between a report's "
    "receipt (or a later change) and its transmission to the authorities (ARS, HFDS, DGS, "
    "defence); the CERT is reminded before and after it. Default 60.",
    "VIGISANTE_TRANSMISSION_REMINDER_MINUTES": "Comma-separated minutes before that target at "
    "which the CERT is reminded of a transmission not sent yet (held back, or the worker "
    "down). Default 15.",
    "VIGISANTE_LOGIN_FAILURE_LIMIT": "Wrong passwords allowed for one e-mail address from one "
    "IP address before the login is refused for a while (site and admin login). Default 5.",
    "VIGISANTE_LOGIN_LOCKOUT_MINUTES": "How long such a login stays refused (the same address "
    "from another IP address, or after a password reset, is not affected). Default 15.",
    "VIGISANTE_PROXY_COUNT": "Number of reverse proxies in front of the server that append to "
    "X-Forwarded-For (the client address is read from it, for lockouts and throttling). "
    "Default 0 (the connecting address).",
    "VIGISANTE_API_RATE": "Requests allowed per API token (or per logged-in user), e.g. "
    "600/minute. Default 600/minute.",
    "VIGISANTE_API_IP_RATE": "API requests allowed per client IP address. Default 1200/minute.",
    "VIGISANTE_API_AUTH_FAILURE_RATE": "Wrong API tokens allowed per client IP address before "
    "every token from it is refused (429) for the rest of the period. Default 20/minute.",
    "VIGISANTE_SESSION_IDLE_MINUTES": "Reporters and observers are logged out after this many "
    "minutes without a request. Default 240.",
    "VIGISANTE_STAFF_SESSION_IDLE_MINUTES": "Analysts, administrators and authorities are "
    "logged out after "
    "this many minutes without a request (then log in again with their second factor). "
    "Default 30.",
    "VIGISANTE_SESSION_MAX_HOURS": "Longest life of a session, active or not. Default 12.",
    "VIGISANTE_CORRELATION_WINDOW_DAYS": "Two reports naming the same supplier, or of the same "
    "kind on the same system, are linked when received at most this many days apart. "
    "Default 14.",
    "VIGISANTE_CORRELATION_NOISE_REPORTS": "An indicator seen in more reports than this is "
    "flagged as noise and links nothing. Default 25.",
}


def get(name: str, default: str = "") -> str:
    """Read one documented setting."""
    if name not in SETTINGS_DOC:
        raise KeyError(f"undocumented setting {name}")
    return os.environ.get(name, default)


def get_bool(name: str, default: bool = False) -> bool:
    """Read a 0/1 setting."""
    return get(name, "1" if default else "0").strip().lower() in {"1", "true", "yes", "on"}


def data_dir() -> Path:
    """The data folder, created on first use, readable by its owner only (700): it holds the
    database, the attachments and the secret key."""
    path = Path(get("VIGISANTE_DATA_DIR") or platformdirs.user_data_dir("vigisante"))
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    try:
        if path.stat().st_uid == os.getuid() and path.stat().st_mode & 0o077:
            path.chmod(0o700)
    except OSError:
        pass
    return path


def private_file(path: Path) -> None:
    """Create `path` empty with mode 600 if missing (an SQLite database starts empty), and
    take group and world rights off an existing one of ours."""
    if not path.exists():
        fd = os.open(path, os.O_CREAT | os.O_WRONLY, 0o600)
        os.close(fd)
    try:
        if path.stat().st_uid == os.getuid() and path.stat().st_mode & 0o077:
            path.chmod(0o600)
    except OSError:
        pass


WEAK_KEY_MARKERS = ("insecure", "secret", "change", "test", "example", "default", "demo")


def secret_key_problem(key: str) -> str | None:
    """Why a secret key is not fit for production, or None."""
    if len(key) < 50:
        return "is shorter than 50 characters"
    if len(set(key)) < 5:
        return "has fewer than 5 different characters"
    lowered = key.lower()
    for marker in WEAK_KEY_MARKERS:
        if marker in lowered:
            return f"contains '{marker}': a default or example key"
    return None


def refuse_unsafe_production(*, debug: bool, secret_key: str) -> None:
    """Production (VIGISANTE_SECURE_COOKIES=1) refuses to start with debug pages on or a
    default or weak secret key."""
    from django.core.exceptions import ImproperlyConfigured

    if debug:
        raise ImproperlyConfigured(
            "VIGISANTE_DEBUG=1 with VIGISANTE_SECURE_COOKIES=1: debug pages show settings and "
            "data to anyone. Refusing to start in production with debug on.")
    # A key generated into the data folder is random: only a key given by hand is checked.
    problem = secret_key_problem(secret_key) if get("VIGISANTE_SECRET_KEY") else None
    if problem:
        raise ImproperlyConfigured(
            f"VIGISANTE_SECRET_KEY {problem}. Refusing to start in production: unset it "
            "(a strong key is generated into the data folder) or give a random key of at "
            "least 50 characters.")


def secret_key() -> str:
    """The secret key, from the environment or generated once into the data folder."""
    key = get("VIGISANTE_SECRET_KEY")
    if key:
        return key
    path = data_dir() / "secret_key"
    if not path.exists():
        tmp = path.with_suffix(".tmp")
        tmp.write_text(secrets.token_urlsafe(50))
        tmp.chmod(0o600)
        tmp.replace(path)
    return path.read_text().strip()


def encryption_keys() -> list[str]:
    """The encryption keys (first one encrypts), from the environment or generated once into
    the data folder (`encryption_key`, mode 600)."""
    given = [k.strip() for k in get("VIGISANTE_ENCRYPTION_KEYS").split(",") if k.strip()]
    if given:
        import base64
        import binascii

        from django.core.exceptions import ImproperlyConfigured

        for number, key in enumerate(given, 1):
            try:
                raw = base64.urlsafe_b64decode(key + "=" * (-len(key) % 4))
            except (binascii.Error, ValueError):
                raw = b""
            if len(raw) != 32:
                raise ImproperlyConfigured(
                    f"VIGISANTE_ENCRYPTION_KEYS: key {number} is not 32 bytes in URL-safe "
                    "base64 (44 characters). `vigisante rotate-key --generate` prints a new "
                    "key.")
        return given
    path = data_dir() / "encryption_key"
    if not path.exists():
        import base64

        tmp = path.with_name(f"encryption_key.{secrets.token_hex(4)}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(base64.urlsafe_b64encode(secrets.token_bytes(32)).decode() + "\n")
        try:
            os.link(tmp, path)  # never replaces a key another process wrote meanwhile
        except FileExistsError:
            pass
        finally:
            tmp.unlink()
    return [k.strip() for k in path.read_text().replace("\n", ",").split(",") if k.strip()]
