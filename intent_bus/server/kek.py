"""API keys at rest: sealed with a key-encryption key (KEK) kept outside the database.

HMAC signatures need the key itself, so a hash alone is not enough: every
secret is stored encrypted (AES-256-GCM) under a key derived from the KEK, and
found by a keyed hash (HMAC-SHA256 under a second derived key), so a stolen
database file gives neither the keys nor a way to test guesses offline.

The KEK is 32 random bytes, written as base64url text: `INTENT_BUS_KEK`, or a
file (`--kek-file` / `INTENT_BUS_KEK_FILE`, by default `<db file>.kek` beside an
SQLite database, mode 600). It is generated on the first start, but only while
the database holds no sealed key: a missing or wrong KEK is then a one-line
start-up error, never a silent new key.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from intent_bus import protocol
from intent_bus.server.settings import Settings, sqlite_path
from intent_bus.storage.base import Store

KEK_BYTES = 32
_SEAL_VERSION = b"\x01"
_NONCE_BYTES = 12
_AAD = b"intent-bus api key"
_DOCS = "see docs/DEPLOYMENT.md#api-keys-at-rest"


class KekError(Exception):
    """The KEK is missing, malformed or wrong: one line naming the fix."""


def _derive(kek: bytes, purpose: bytes) -> bytes:
    return hmac.new(kek, b"intent-bus/" + purpose, hashlib.sha256).digest()


class KeyVault:
    """The store's `SecretBox` once a KEK is installed (before, it refuses)."""

    def __init__(self, kek: bytes | None = None) -> None:
        self._lookup_key = b""
        self._aead: AESGCM | None = None
        if kek is not None:
            self.install(kek)

    def install(self, kek: bytes) -> None:
        if len(kek) != KEK_BYTES:
            raise ValueError(f"a key-encryption key is {KEK_BYTES} bytes")
        self._lookup_key = _derive(kek, b"lookup/v1")
        self._aead = AESGCM(_derive(kek, b"seal/v1"))

    def _cipher(self) -> AESGCM:
        if self._aead is None:
            raise RuntimeError("no key-encryption key installed")
        return self._aead

    def lookup(self, secret: str) -> str:
        self._cipher()
        digest = hmac.new(self._lookup_key, secret.encode(), hashlib.sha256)
        return "h1:" + digest.hexdigest()

    def seal(self, secret: str) -> bytes | None:
        nonce = os.urandom(_NONCE_BYTES)
        sealed = self._cipher().encrypt(nonce, secret.encode(), _AAD)
        return _SEAL_VERSION + nonce + sealed

    def open(self, sealed: bytes) -> str:
        if sealed[:1] != _SEAL_VERSION:
            raise ValueError("unknown sealed-secret format")
        nonce = sealed[1 : 1 + _NONCE_BYTES]
        try:
            return (
                self._cipher().decrypt(nonce, sealed[1 + _NONCE_BYTES :], _AAD).decode()
            )
        except InvalidTag:
            raise ValueError(
                "the key-encryption key does not open this secret"
            ) from None


def encode_kek(kek: bytes) -> str:
    return base64.urlsafe_b64encode(kek).decode().rstrip("=")


def decode_kek(text: str, where: str) -> bytes:
    """A KEK from its base64url text; a one-line KekError if malformed."""
    cleaned = text.strip()
    try:
        kek = base64.urlsafe_b64decode(cleaned + "=" * (-len(cleaned) % 4))
    except ValueError:
        kek = b""
    if len(kek) != KEK_BYTES:
        raise KekError(
            f"{where} is not a key-encryption key ({KEK_BYTES} bytes, base64url); "
            f"{_DOCS}"
        )
    return kek


def kek_path(settings: Settings) -> Path | None:
    """Where the KEK file is: as configured, else beside an SQLite database."""
    if settings.kek_file:
        return Path(settings.kek_file)
    path = sqlite_path(settings.db_url)
    return None if path is None else path.with_name(path.name + ".kek")


def read_kek(settings: Settings) -> tuple[bytes | None, Path | None]:
    """(KEK or None if its file does not exist yet, the file it comes from)."""
    if settings.kek:
        return decode_kek(settings.kek, protocol.ENV_KEK), None
    path = kek_path(settings)
    if path is None:
        if settings.db_url.startswith("sqlite:"):
            return None, None  # an in-memory database: a KEK for this run only
        raise KekError(
            f"PostgreSQL needs a key-encryption key shared by every replica: set "
            f"{protocol.ENV_KEK} or --kek-file PATH (generated there on the first "
            f"start); {_DOCS}"
        )
    if not path.exists():
        return None, path
    return decode_kek(path.read_text(), f"the KEK file {path}"), path


def write_kek(path: Path, kek: bytes) -> bool:
    """Creates the KEK file, mode 600; False if another process made it first."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return False
    with os.fdopen(fd, "w") as file:
        file.write(encode_kek(kek) + "\n")
    return True


async def secure_keys(store: Store, vault: KeyVault, settings: Settings) -> int:
    """Installs the KEK into `vault` (generating it on a database without sealed
    keys), proves it opens every sealed key, and seals keys still in plaintext.
    Returns how many were sealed now. Raises KekError naming the fix."""
    kek, path = read_kek(settings)
    generated = kek is None
    current = kek if kek is not None else secrets.token_bytes(KEK_BYTES)
    vault.install(current)
    where = protocol.ENV_KEK if path is None else f"the KEK file {path}"
    try:
        await store.key_list()
    except ValueError:
        if generated:
            raise KekError(
                f"the database holds encrypted API keys but {where} is missing: "
                f"restore it (every replica needs the same KEK); {_DOCS}"
            ) from None
        raise KekError(
            f"{where} does not decrypt this database's API keys (wrong KEK?): use "
            f"the KEK this database was sealed with; {_DOCS}"
        ) from None
    if generated and path is not None and not write_kek(path, current):
        # Another replica on this host wrote it first: adopt that one.
        return await secure_keys(store, vault, settings)
    return await store.key_seal()


async def rotate_kek(settings: Settings, new_file: Path) -> int:
    """Re-seals every key of the database under the KEK in `new_file` (created,
    mode 600, when absent); returns how many. Run it with every replica
    stopped, then give each replica the new KEK before starting it again."""
    from intent_bus.storage import open_store

    vault = KeyVault()
    store = open_store(settings.db_url, vault)
    await store.start()
    try:
        await secure_keys(store, vault, settings)
        if new_file.exists():
            new = decode_kek(new_file.read_text(), f"the KEK file {new_file}")
        else:
            new = secrets.token_bytes(KEK_BYTES)
            write_kek(new_file, new)
        return await store.key_reseal(KeyVault(new))
    finally:
        await store.close()
