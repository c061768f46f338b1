"""Signing a backup, so that a deliberately altered file is refused.

The member checksums in ``manifest.json`` detect damage, not alteration: whoever changes
a member can recompute its checksum. So the manifest's exact bytes are signed with
HMAC-SHA256 and a key that is never written into the backup; the member checksums then
carry that trust to every table. The signature is the member ``manifest.sig``::

    {"algorithm": "HMAC-SHA256", "key_id": "<16 hex>", "key": "<where the key comes from>",
     "signature": "<64 hex>"}

``key_id`` names the key without revealing it (the first 8 bytes of an HMAC of a fixed
label under the key), so a restore can say that a backup was made with another key
rather than altered.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass, field
from pathlib import Path

from ingest.backup.common import BackupFileError
from ingest.backup.format import MANIFEST

SIGNATURE = "manifest.sig"
ALGORITHM = "HMAC-SHA256"
DERIVATION_LABEL = b"mata-garuda backup signing key v1"
_KEY_ID_LABEL = b"mata-garuda backup key id"


def _hmac(key: bytes, message: bytes) -> bytes:
    return hmac.digest(key, message, hashlib.sha256)


@dataclass(frozen=True)
class BackupKey:
    """The key that signs and checks backups, and where it comes from (named in messages).

    Build it with :meth:`configured` or :meth:`derived`; the key itself is never shown.
    """

    secret: bytes = field(repr=False)
    origin: str

    @classmethod
    def configured(cls, backup_key: str) -> BackupKey:
        """Return the key set as ``MATA_GARUDA_BACKUP_KEY`` (its UTF-8 bytes)."""
        return cls(backup_key.encode(), "MATA_GARUDA_BACKUP_KEY")

    @classmethod
    def derived(cls, secret_key: str) -> BackupKey:
        """Return the key derived from the application's secret key.

        The derivation is ``HMAC-SHA256(secret key, DERIVATION_LABEL)``: a backup key
        that reveals nothing about the secret key that signs sessions.
        """
        return cls(_hmac(secret_key.encode(), DERIVATION_LABEL),
                   "derived from MATA_GARUDA_SECRET_KEY")

    @property
    def key_id(self) -> str:
        """A short public name of the key: equal ids mean, in practice, equal keys."""
        return _hmac(self.secret, _KEY_ID_LABEL)[:8].hex()

    def __str__(self) -> str:
        return f"key {self.key_id} ({self.origin})"


def signature_bytes(manifest: bytes, key: BackupKey) -> bytes:
    """Return the content of ``manifest.sig`` for the exact bytes of ``manifest.json``."""
    return (json.dumps({
        "algorithm": ALGORITHM, "key_id": key.key_id, "key": key.origin,
        "signature": _hmac(key.secret, manifest).hex(),
    }, indent=2) + "\n").encode()


def check_signature(signature: bytes | None, manifest: bytes, key: BackupKey,
                    source: Path) -> str | None:
    """Check that ``manifest.sig`` authenticates the bytes of ``manifest.json``.

    Parameters
    ----------
    signature
        The bytes of ``manifest.sig``, or None when the backup has none.
    manifest
        The bytes of ``manifest.json``, as read from the file and before parsing.
    key
        The key of this installation.
    source
        The backup file, named in messages.

    Returns
    -------
    str or None
        None when the signature is valid; otherwise why it cannot be checked: the
        backup is not signed, or it was signed with another key.

    Raises
    ------
    BackupFileError
        If the signature is malformed, or made with ``key`` but does not match the
        manifest: the file was altered.
    """
    if signature is None:
        return (f"the backup is not signed ({SIGNATURE} is missing): it was made by a version"
                " of Mata Garuda that did not sign backups, or altered")
    try:
        data = json.loads(signature)
        algorithm, key_id, origin = data["algorithm"], data["key_id"], data["key"]
        expected = bytes.fromhex(data["signature"])
    except (ValueError, TypeError, KeyError) as exc:
        raise BackupFileError(f"{source}: {SIGNATURE} is not a valid signature ({exc!r}); the"
                              " file was altered or damaged, nothing was restored") from None
    if algorithm != ALGORITHM:
        raise BackupFileError(f"{source}: {SIGNATURE}: unknown algorithm {algorithm!r} (this"
                              f" version of Mata Garuda checks {ALGORITHM}); nothing was"
                              " restored")
    if key_id != key.key_id:
        return (f"the backup was signed with another key: key {key_id} ({origin}), while this"
                f" installation has {key}: only the key that made it can check it")
    if not hmac.compare_digest(expected, _hmac(key.secret, manifest)):
        raise BackupFileError(f"{source}: the signature does not match {MANIFEST}: the file"
                              " was altered after it was made; nothing was restored")
    return None
