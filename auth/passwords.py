"""Password hashing (argon2id) and the password policy."""

from __future__ import annotations

import secrets
import string

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from i18n import Message

MIN_LENGTH = 12
MAX_LENGTH = 128
# A few passwords every attacker tries first; the policy refuses them in any case.
COMMON = frozenset({
    "password", "password123", "passw0rd", "qwerty", "123456", "12345678", "123456789",
    "1234567890", "admin", "administrator", "letmein", "welcome", "indonesia", "jakarta",
    "kemendagri", "kesbangpol", "garuda", "matagaruda", "rahasia", "bismillah",
})

_HASHER = PasswordHasher()  # argon2id, 64 MiB, t=3, p=4 (argon2-cffi's RFC 9106 profile)


def hash_password(password: str) -> str:
    """Return the argon2id hash of ``password``."""
    return _HASHER.hash(password)


def verify_password(stored_hash: str, password: str) -> bool:
    """Return whether ``password`` matches ``stored_hash`` (never raises on a mismatch)."""
    try:
        return _HASHER.verify(stored_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(stored_hash: str) -> bool:
    """Return whether a hash was made with weaker parameters than today's."""
    return _HASHER.check_needs_rehash(stored_hash)


def policy_rules() -> list[Message]:
    """Return the rules a new password must meet, as :func:`policy_problems` names them."""
    return [Message("policy.min", n=MIN_LENGTH), Message("policy.kinds"),
            Message("policy.common"), Message("policy.username")]


def policy_problems(password: str, username: str = "") -> list[Message]:
    """Return what is wrong with a new password (empty list when it is acceptable).

    At least 12 characters, at most 128, three of four character kinds (lower, upper,
    digit, other), not a common password, and not containing the username.
    """
    problems = []
    if len(password) < MIN_LENGTH:
        problems.append(Message("policy.min", n=MIN_LENGTH))
    if len(password) > MAX_LENGTH:
        problems.append(Message("policy.max", n=MAX_LENGTH))
    kinds = sum((
        any(c.islower() for c in password), any(c.isupper() for c in password),
        any(c.isdigit() for c in password), any(not c.isalnum() for c in password),
    ))
    if kinds < 3:
        problems.append(Message("policy.kinds"))
    folded = password.lower()
    if folded in COMMON or folded.rstrip("0123456789!") in COMMON:
        problems.append(Message("policy.common"))
    if username and len(username) >= 3 and username.lower() in folded:
        problems.append(Message("policy.username"))
    return problems


def generate_password(length: int = 16) -> str:
    """Return a random password that meets the policy."""
    alphabet = string.ascii_letters + string.digits + "-_.!@#"
    while True:
        candidate = "".join(secrets.choice(alphabet) for _ in range(length))
        if not policy_problems(candidate):
            return candidate
