"""Apply a checked upload: save its new and changed rows as drafts, all or nothing."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from sqlalchemy import Connection

from auth.accounts import Account
from auth.audit import audit
from geodata.registry import Registry
from i18n import Message
from ingest.entry import ConflictError, EntryError, Target, save_draft
from ingest.upload.preview import Preview, PreviewRow, UploadError
from queries.catalogue import Indicator


class UploadConflictError(ConflictError):
    """A value changed between preview and apply; nothing of the upload was saved."""

    def __init__(self, row: PreviewRow, cause: ConflictError) -> None:
        self.row = row
        self.current = cause.current
        EntryError.__init__(self, Message(
            "upload.conflict", row=row.row, indicator=row.indicator_id, code=row.code,
            period=row.period, cause=cause.message))


@dataclass(frozen=True)
class ApplyReport:
    """What :func:`apply` wrote: one draft version per new or changed row."""

    filename: str
    new: int
    changed: int
    unchanged: int
    skipped: int
    versions: tuple[tuple[str, str, int, int], ...] = field(default_factory=tuple)

    @property
    def written(self) -> int:
        """Return the number of versions written."""
        return len(self.versions)


def apply(conn: Connection, registry: Registry, catalogue: Mapping[str, Indicator],
          account: Account, preview: Preview, remote_addr: str = "") -> ApplyReport:
    """Save the new and changed rows of a checked upload as drafts, all or nothing.

    Call inside the caller's transaction (``with engine.begin() as conn``). Each row is
    saved with :func:`ingest.entry.save_draft` on top of the version the preview saw;
    unchanged and skipped rows write nothing, so applying the same file twice changes
    nothing. When any row fails the error propagates and the caller's transaction rolls
    back, so none of the rows stays (no savepoint: pysqlite commits a savepoint on release
    when no explicit BEGIN ran, which would break all-or-nothing). When anything was
    written, one ``upload.apply`` audit entry names the file and its SHA-256 (besides the
    ``entry.draft`` entry of each row).

    Raises
    ------
    UploadError
        If the preview has errors, belongs to another account, or a row is refused by
        the write path (the message names the row).
    UploadConflictError
        If a value changed after the preview (a :class:`ingest.entry.ConflictError`).
    auth.scope.ScopeError
        If the account may not write a row's region.
    """
    if not preview.ok:
        raise UploadError(Message("upload.has_problems", filename=preview.filename,
                                  n=len(preview.errors)))
    if preview.username != account.username:
        raise UploadError(Message("upload.other_user", filename=preview.filename,
                                  checked=preview.username, user=account.username))
    versions: list[tuple[str, str, int, int]] = []
    for row in preview.rows:
        if row.status not in ("new", "changed"):
            continue
        ind = catalogue.get(row.indicator_id)
        if ind is None or row.period is None or row.value is None:
            raise UploadError(Message("upload.gone", row=row.row, indicator=row.indicator_id))
        target = Target(ind, row.code, row.period)
        try:
            version = save_draft(conn, registry, account, target, row.value,
                                 base_version=row.base_version, reason=row.reason,
                                 remote_addr=remote_addr)
        except ConflictError as exc:
            raise UploadConflictError(row, exc) from None
        except EntryError as exc:
            raise UploadError(Message("upload.refused", row=row.row, cause=exc.message)) from None
        versions.append((ind.id, row.code, row.period, version))
    totals = preview.totals
    if versions:
        audit(conn, account.username, "upload.apply", preview.filename,
              f"sha256:{preview.sha256} new {totals['new']} changed {totals['changed']} "
              f"unchanged {totals['unchanged']} skipped {totals['skipped']}", remote_addr)
    return ApplyReport(preview.filename, totals["new"], totals["changed"], totals["unchanged"],
                       totals["skipped"], tuple(versions))
