"""Roles and region scope: who may read, write and verify which region's data."""

from __future__ import annotations

from dataclasses import dataclass

from geodata.registry import NATIONAL_CODE, level_of

ROLES = ("admin", "pusat", "provinsi", "kabkota", "viewer")  # app_user's CHECK constraint too
REGIONAL_ROLES = {"provinsi": "provinsi", "kabkota": "kabkota"}  # role -> level of its region
# Who uses which part of the application (pages, their callbacks and exports).
ENTRY_ROLES = ("admin", "pusat", "provinsi", "kabkota")  # enter, upload, verify values
VERIFY_ROLES = ("admin", "pusat", "provinsi")  # verify or reject others' values
MINISTRY_ROLES = ("admin", "pusat")  # completeness of every office
ADMIN_ROLES = ("admin",)  # audit log
# The records behind a record-derived value (/catatan), each account within its scope.
RECORD_ROLES = ROLES


class ScopeError(PermissionError):
    """An action on a region outside the user's scope."""


@dataclass(frozen=True)
class Scope:
    """A user's role and, for regional operators, the region they work on.

    A provinsi operator's scope is the province and everything in it; a kab/kota
    operator's is the kab/kota and its kecamatan; admin and pusat work on the whole
    country; a viewer reads what is public only (verified values, on maps and tables).
    """

    role: str
    region: str | None = None

    def __post_init__(self) -> None:
        if self.role not in ROLES:
            raise ValueError(f"unknown role {self.role!r}; expected one of {', '.join(ROLES)}")
        wanted = REGIONAL_ROLES.get(self.role)
        if wanted is None and self.region is not None:
            raise ValueError(f"role {self.role} has no region, got {self.region!r}")
        if wanted is not None and (self.region is None or level_of(self.region) != wanted):
            raise ValueError(f"role {self.role} needs a {wanted} region code, got {self.region!r}")

    def covers(self, code: str) -> bool:
        """Return whether ``code`` is inside the scope's region (everything without one)."""
        if self.region is None:
            return True
        return code == self.region or code.startswith(self.region + ".")

    def can_write(self, code: str) -> bool:
        """Return whether the user may enter or correct values of ``code``."""
        if self.role in ("admin", "pusat"):
            return True
        return self.role in REGIONAL_ROLES and self.covers(code)

    def can_verify(self, code: str) -> bool:
        """Return whether the user may verify values of ``code``.

        The province verifies its kab/kota (and their kecamatan); pusat verifies the
        provinces and the national figures; admin may verify anything.
        """
        if self.role == "admin":
            return True
        if self.role == "pusat":
            return code == NATIONAL_CODE or level_of(code) == "provinsi"
        return self.role == "provinsi" and self.covers(code) and code != self.region

    def can_read_unverified(self, code: str) -> bool:
        """Return whether the user may see the entered values of ``code`` that are not public.

        An entered value that is not verified (a draft, or a submitted, rejected or
        withdrawn value), and the history of every entered value with who entered it and
        why, is seen by the office that enters it and the one that verifies it, so pusat
        and admin too, never by a viewer: every reader of entries asks this. A verified
        value is public: the maps and tables show it to everyone.
        """
        return self.can_write(code) or self.can_verify(code)

    def area(self, code: str | None = None, action: str = "read") -> str | None:
        """Return the region whose entered values the user lists: ``code``, else the scope's own.

        None means the whole country (admin and pusat without ``code``).

        Raises
        ------
        ScopeError
            If the user may not read the unverified values of that region (the country
            for None), naming ``action``.
        """
        root = code or self.region
        self.require(self.can_read_unverified(root or NATIONAL_CODE), action,
                     root or NATIONAL_CODE)
        return root

    def require(self, allowed: bool, action: str, code: str) -> None:
        """Raise :class:`ScopeError` naming the action and region when not ``allowed``."""
        if not allowed:
            raise ScopeError(f"{self.role} {self.region or ''} may not {action} {code}".replace(
                "  ", " "))
