"""Encryption at rest: second-factor secrets and attachments, under keys from configuration.

The cipher is AES-256-GCM from `cryptography` (an authenticated cipher: a changed byte, a
truncated file or a wrong key is an error, never garbage). Nothing here is home-made crypto:
each value is `AESGCM(key).encrypt(random 96-bit nonce, data, associated data)`, stored with
the nonce and the id of the key that sealed it.

Keys: `VIGISANTE_ENCRYPTION_KEYS`, comma-separated, each 32 random bytes in URL-safe base64
(`vigisante rotate-key --generate` prints one). The first key encrypts; every key decrypts.
When it is unset, one key is generated into the data folder (`encryption_key`, mode 600).
A key's id is the first 8 hex digits of a SHA-256 of it: it names the key in messages and in
backups without revealing it.

Formats:
- a file: `MAGIC` (8 bytes, binary like PNG's: not the start of any text or accepted
  attachment), 1 version byte, 4 bytes of key id, 12 bytes of nonce, the ciphertext with its
  16-byte tag. Associated data: magic + version + key id + purpose, so a sealed file cannot be
  passed off as a secret or under another key id.
- a short text (a TOTP secret, at most 80 characters in django-otp's column): `TEXT_PREFIX`,
  then URL-safe base64 (no padding) of key id + nonce + ciphertext; a hex secret is sealed as
  its bytes (a 20-byte secret takes 76 characters).

A value without the magic or the prefix is clear (data from before encryption): it is read as
it is, and `vigisante rotate-key` (also run by the migrations) encrypts it.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import io
import os
import secrets
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.files.base import ContentFile, File
from django.core.files.storage import FileSystemStorage

if TYPE_CHECKING:
    from django.db import models

MAGIC = b"\x89VSE\r\n\x1a\n"
VERSION = 1
HEADER = len(MAGIC) + 1 + 4 + 12
TAG = 16
TEXT_PREFIX = "$vse1$"
KEY_BYTES = 32
TMP_PREFIX = ".vse-tmp-"


class DecryptionError(OSError):
    """A sealed value that no configured key opens (missing key, or damaged data). An
    OSError, so that readers of stored files treat it as an unreadable file."""


# ---------------------------------------------------------------------------------------------
# keys
# ---------------------------------------------------------------------------------------------

def generate_key() -> str:
    """A new random key, as VIGISANTE_ENCRYPTION_KEYS takes it."""
    return base64.urlsafe_b64encode(secrets.token_bytes(KEY_BYTES)).decode()


def parse_key(text: str) -> bytes:
    try:
        raw = base64.urlsafe_b64decode(text.strip() + "=" * (-len(text.strip()) % 4))
    except (binascii.Error, ValueError):
        raw = b""
    if len(raw) != KEY_BYTES:
        raise ImproperlyConfigured(
            "VIGISANTE_ENCRYPTION_KEYS: each key must be 32 random bytes in URL-safe base64 "
            "(44 characters; `vigisante rotate-key --generate` prints one).")
    return raw


def key_id(raw: bytes) -> bytes:
    return hashlib.sha256(b"vigisante-key-id\0" + raw).digest()[:4]


@dataclass(frozen=True)
class KeyRing:
    """The configured keys: the first encrypts, all decrypt."""

    keys: tuple[tuple[bytes, AESGCM], ...]

    @property
    def current_id(self) -> bytes:
        return self.keys[0][0]

    @property
    def ids(self) -> list[str]:
        return [kid.hex() for kid, _ in self.keys]

    def cipher(self, kid: bytes) -> AESGCM:
        for candidate, aead in self.keys:
            if candidate == kid:
                return aead
        raise DecryptionError(
            f"encrypted under key {kid.hex()}, which is not among the configured keys "
            f"({', '.join(self.ids)}): add it to VIGISANTE_ENCRYPTION_KEYS")


@lru_cache(maxsize=4)
def _ring(texts: tuple[str, ...]) -> KeyRing:
    if not texts:
        raise ImproperlyConfigured("no encryption key configured (VIGISANTE_ENCRYPTION_KEYS)")
    seen, keys = set(), []
    for text in texts:
        raw = parse_key(text)
        kid = key_id(raw)
        if kid not in seen:
            seen.add(kid)
            keys.append((kid, AESGCM(raw)))
    return KeyRing(tuple(keys))


def ring() -> KeyRing:
    return _ring(tuple(settings.ENCRYPTION_KEYS))


# ---------------------------------------------------------------------------------------------
# bytes (files)
# ---------------------------------------------------------------------------------------------

def _aad(version: int, kid: bytes, purpose: bytes) -> bytes:
    return MAGIC + bytes([version]) + kid + b"\0" + purpose


def is_sealed(blob: bytes) -> bool:
    return blob[:len(MAGIC)] == MAGIC


def sealed_key(blob: bytes) -> str | None:
    """The key id (hex) a sealed blob names, or None for clear data."""
    if not is_sealed(blob) or len(blob) < HEADER:
        return None
    return blob[len(MAGIC) + 1:len(MAGIC) + 5].hex()


def seal(data: bytes, purpose: bytes = b"file", keys: KeyRing | None = None) -> bytes:
    keys = keys or ring()
    kid = keys.current_id
    nonce = os.urandom(12)
    body = keys.cipher(kid).encrypt(nonce, data, _aad(VERSION, kid, purpose))
    return MAGIC + bytes([VERSION]) + kid + nonce + body


def unseal(blob: bytes, purpose: bytes = b"file", keys: KeyRing | None = None) -> bytes:
    """The clear bytes of a sealed blob; clear data is returned as it is."""
    if not is_sealed(blob):
        return blob
    if len(blob) < HEADER + TAG or blob[len(MAGIC)] != VERSION:
        raise DecryptionError("damaged encrypted data (truncated or unknown version)")
    keys = keys or ring()
    kid = blob[len(MAGIC) + 1:len(MAGIC) + 5]
    nonce = blob[len(MAGIC) + 5:HEADER]
    try:
        return keys.cipher(kid).decrypt(nonce, blob[HEADER:], _aad(VERSION, kid, purpose))
    except InvalidTag:
        raise DecryptionError(f"encrypted data under key {kid.hex()} failed its "
                              "authentication: damaged or altered") from None


# ---------------------------------------------------------------------------------------------
# short texts (database columns)
# ---------------------------------------------------------------------------------------------

def is_sealed_text(value) -> bool:
    return isinstance(value, str) and value.startswith(TEXT_PREFIX)


def _text_payload(value: str) -> tuple[bytes, bytes, bytes]:
    data = value[len(TEXT_PREFIX):]
    try:
        raw = base64.urlsafe_b64decode(data + "=" * (-len(data) % 4))
    except (binascii.Error, ValueError):
        raise DecryptionError("damaged encrypted value (not base64)") from None
    if len(raw) < 4 + 12 + 1 + TAG:
        raise DecryptionError("damaged encrypted value (too short)")
    return raw[:4], raw[4:16], raw[16:]


def sealed_text_key(value: str) -> str | None:
    if not is_sealed_text(value):
        return None
    try:
        return _text_payload(value)[0].hex()
    except DecryptionError:
        return None


def seal_text(value: str, purpose: bytes, keys: KeyRing | None = None) -> str:
    """`value` encrypted; a hex string (a TOTP secret) is sealed as its bytes, so that a
    20-byte secret fits django-otp's 80 characters."""
    keys = keys or ring()
    try:
        plain = b"\x01" + bytes.fromhex(value) if value and len(value) % 2 == 0 and \
            value == value.lower() else b"\x00" + value.encode()
    except ValueError:
        plain = b"\x00" + value.encode()
    kid = keys.current_id
    nonce = os.urandom(12)
    body = keys.cipher(kid).encrypt(nonce, plain, _aad(VERSION, kid, purpose))
    return TEXT_PREFIX + base64.urlsafe_b64encode(kid + nonce + body).decode().rstrip("=")


def unseal_text(value: str, purpose: bytes, keys: KeyRing | None = None) -> str:
    if not is_sealed_text(value):
        return value
    keys = keys or ring()
    kid, nonce, body = _text_payload(value)
    try:
        plain = keys.cipher(kid).decrypt(nonce, body, _aad(VERSION, kid, purpose))
    except InvalidTag:
        raise DecryptionError(f"encrypted value under key {kid.hex()} failed its "
                              "authentication: damaged or altered") from None
    return plain[1:].hex() if plain[:1] == b"\x01" else plain[1:].decode()


# ---------------------------------------------------------------------------------------------
# an encrypted column, on any model (django-otp's TOTP secret included)
# ---------------------------------------------------------------------------------------------

@dataclass
class Column:
    model: type[models.Model]
    field_name: str
    purpose: bytes


COLUMNS: list[Column] = []


class _EncryptedFieldMixin:
    """Python code sees the clear value; the database holds it sealed. The migration state
    is the original field's (deconstruct), so no migration of the third-party app."""

    encryption_purpose = b"text"
    original_path = ""

    def from_db_value(self, value, expression, connection):
        return unseal_text(value, self.encryption_purpose) if value else value

    def get_db_prep_save(self, value, connection):
        value = super().get_db_prep_save(value, connection)
        if value and isinstance(value, str) and not is_sealed_text(value):
            value = seal_text(value, self.encryption_purpose)
            if self.max_length and len(value) > self.max_length:
                raise ValueError(f"{self.model.__name__}.{self.name} is too long to be "
                                 f"stored encrypted in {self.max_length} characters")
        return value

    def deconstruct(self):
        name, _path, args, kwargs = super().deconstruct()
        if "validators" in kwargs:  # ours is not part of the original field's state
            kept = [v for v in kwargs["validators"] if not getattr(v, "vigisante_sealed", False)]
            if kept:
                kwargs["validators"] = kept
            else:
                del kwargs["validators"]
        return name, self.original_path, args, kwargs


def encrypt_column(model: type[models.Model], field_name: str, purpose: bytes) -> None:
    """Store `model.field_name` encrypted from now on (called from an app's `ready()`)."""
    if any(c.model is model and c.field_name == field_name for c in COLUMNS):
        return
    fld = _field(model, field_name)
    original = type(fld)
    path = f"{original.__module__}.{original.__qualname__}"
    if path.startswith("django.db.models.fields"):
        path = path.replace("django.db.models.fields", "django.db.models", 1)
    fld.__class__ = type(f"Encrypted{original.__name__}", (_EncryptedFieldMixin, original),
                         {"encryption_purpose": purpose, "original_path": path})
    if fld.max_length:
        # A value whose sealed form would not fit is refused by validation (an admin form
        # shows why) instead of failing when saved.
        private: Any = fld  # Field._validators: the list behind the cached `validators`
        private._validators.append(_fits_sealed(fld.max_length, purpose))
        fld.__dict__.pop("validators", None)
    COLUMNS.append(Column(model, field_name, purpose))


def _field(model: type[models.Model], name: str) -> models.Field:
    from django.db import models

    fld = model._meta.get_field(name)
    if not isinstance(fld, models.Field):
        raise ImproperlyConfigured(f"{model._meta.label}.{name} is not a column")
    return fld


def _quoted_names(column: Column, connection) -> tuple[str, str, str]:
    """(table, column, primary key column), quoted for raw SQL."""
    meta = column.model._meta
    pk = meta.pk
    assert pk is not None
    quote = connection.ops.quote_name
    return (quote(meta.db_table), quote(_field(column.model, column.field_name).column),
            quote(pk.column))


def _fits_sealed(max_length: int, purpose: bytes):
    from django.core.exceptions import ValidationError
    from django.utils.translation import gettext as _

    def validate(value) -> None:
        if isinstance(value, str) and value and not is_sealed_text(value) and \
                len(seal_text(value, purpose)) > max_length:
            raise ValidationError(_("This value is too long to be stored encrypted."),
                                  code="too_long_to_encrypt")

    setattr(validate, "vigisante_sealed", True)  # noqa: B010 - marks our own validator
    return validate


# ---------------------------------------------------------------------------------------------
# attachments storage
# ---------------------------------------------------------------------------------------------

class EncryptedFileSystemStorage(FileSystemStorage):
    """FileSystemStorage whose files are sealed on disk and opened clear."""

    def _save(self, name, content):
        content.seek(0)
        data = b"".join(content.chunks())
        return super()._save(name, ContentFile(seal(data)))

    def _open(self, name, mode="rb"):
        if "w" in mode or "a" in mode or "+" in mode:
            raise ValueError("encrypted attachments are written only through save()")
        with open(self.path(name), "rb") as handle:
            blob = handle.read()
        return File(io.BytesIO(unseal(blob)), name=name)

    def size(self, name):
        path = self.path(name)
        with open(path, "rb") as handle:
            head = handle.read(len(MAGIC))
        total = os.path.getsize(path)
        return total - HEADER - TAG if head == MAGIC else total


def attachments_root() -> Path:
    return Path(settings.MEDIA_ROOT)


def stored_files(root: Path | None = None) -> Iterator[Path]:
    root = root or attachments_root()
    if not root.is_dir():
        return
    for path in sorted(root.rglob("*")):
        if path.is_file() and not path.is_symlink() and not path.name.startswith(TMP_PREFIX):
            yield path


def _write_atomically(path: Path, data: bytes) -> None:
    """Replace `path` by `data`: a reader sees the old file or the new one, never half."""
    tmp = path.with_name(f"{TMP_PREFIX}{path.name}-{secrets.token_hex(4)}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


# ---------------------------------------------------------------------------------------------
# inventory and rotation
# ---------------------------------------------------------------------------------------------

@dataclass
class Inventory:
    """Where every sealed value is: {key id or "clear": count}, per kind."""

    files: dict[str, int] = field(default_factory=dict)
    secrets: dict[str, int] = field(default_factory=dict)
    unreadable: list[str] = field(default_factory=list)

    def key_ids(self) -> set[str]:
        return {k for k in (*self.files, *self.secrets) if k != "clear"}

    def pending(self, current: str) -> int:
        return sum(n for k, n in (*self.files.items(), *self.secrets.items()) if k != current)


def _raw_rows(column: Column, connection) -> list[tuple[int, str]]:
    table, col, pk = _quoted_names(column, connection)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {pk}, {col} FROM {table} ORDER BY {pk}")
        return list(cursor.fetchall())


def inventory() -> Inventory:
    from django.db import connection

    inv = Inventory()
    for path in stored_files():
        with path.open("rb") as handle:
            head = handle.read(HEADER)
        kid = sealed_key(head) if is_sealed(head) else "clear"
        if kid is None:
            inv.unreadable.append(str(path))
            continue
        inv.files[kid] = inv.files.get(kid, 0) + 1
    for column in COLUMNS:
        for _pk, value in _raw_rows(column, connection):
            if not value:
                continue
            kid = sealed_text_key(value) if is_sealed_text(value) else "clear"
            inv.secrets[kid or "damaged"] = inv.secrets.get(kid or "damaged", 0) + 1
    return inv


@dataclass
class Rotation:
    files: int = 0
    secrets: int = 0
    skipped: int = 0
    changed_meanwhile: int = 0
    errors: list[str] = field(default_factory=list)


def rotate(*, progress: Callable[[str], None] | None = None, clear: bool = False) -> Rotation:
    """Re-encrypt every secret and attachment not under the current key (clear ones too);
    with `clear`, decrypt them all instead (the migration's way back).

    Each item is done on its own: a file is replaced atomically (written beside, synced,
    renamed), a secret by one UPDATE that applies only if the row still holds what was read.
    Interrupting it at any point leaves every item readable, under the old key or the new;
    running it again carries on.
    """
    from django.db import connection

    keys = ring()
    current = keys.current_id
    result = Rotation()
    root = attachments_root()
    if root.is_dir():
        for stale in root.rglob(f"{TMP_PREFIX}*"):
            stale.unlink(missing_ok=True)  # left by an interrupted run
    for path in stored_files(root):
        blob = path.read_bytes()
        if (not is_sealed(blob)) if clear else \
                (is_sealed(blob) and blob[len(MAGIC) + 1:len(MAGIC) + 5] == current):
            result.skipped += 1
            continue
        try:
            plain = unseal(blob, keys=keys)
        except DecryptionError as exc:
            result.errors.append(f"{path.relative_to(root)}: {exc}")
            continue
        _write_atomically(path, plain if clear else seal(plain, keys=keys))
        result.files += 1
        if progress:
            progress(f"file {path.relative_to(root)}")
    for column in COLUMNS:
        table, col, pk = _quoted_names(column, connection)
        for row_id, value in _raw_rows(column, connection):
            if not value or ((not is_sealed_text(value)) if clear
                             else sealed_text_key(value) == current.hex()):
                result.skipped += 1
                continue
            try:
                text = unseal_text(value, column.purpose, keys=keys)
            except DecryptionError as exc:
                result.errors.append(f"{column.model._meta.label} {row_id}: {exc}")
                continue
            sealed = text if clear else seal_text(text, column.purpose, keys=keys)
            with connection.cursor() as cursor:
                cursor.execute(f"UPDATE {table} SET {col} = %s WHERE {pk} = %s AND {col} = %s",
                               [sealed, row_id, value])
                done = cursor.rowcount == 1
            if done:
                result.secrets += 1
                if progress:
                    progress(f"secret {column.model._meta.label} {row_id}")
            else:
                result.changed_meanwhile += 1
    return result
