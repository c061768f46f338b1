"""Upload of entered values from a spreadsheet: template, preview, apply.

An operator downloads a :func:`template` for one indicator and period (every region
of their scope at the levels the indicator is defined for), fills the ``value``
column, and uploads it. :func:`preview` reads and checks the file, compares every row
with the value stored now and writes nothing; :func:`apply` then saves the new and
changed rows as drafts through :func:`ingest.entry.save_draft`, all or nothing.

Columns: ``indicator,level,code,name,year,value,reason`` (``reason`` optional; any
other column, such as the template's ``current_value``, is ignored). Files, rows and
numbers are read and checked by :mod:`ingest.tidy`, the rules shared with the import of
published figures; an upload also needs rows in the operator's scope, a period open for
entry, and takes an empty ``value`` to mean "no change" (status ``skipped``), never zero.
Text is stored normalised (:mod:`presentation.text`: NFC, no control characters; SQL is
always parameterised); text written to a spreadsheet goes through
:func:`presentation.cells.safe_cell` so it cannot run as a formula. XLSX files are counted
before they are loaded and streamed (:mod:`ingest.tidy`), and at most
``MATA_GARUDA_UPLOAD_PARSERS`` files are checked at once (:mod:`ingest.upload.slots`).

Modules: :mod:`~ingest.upload.template` (the fill-in file), :mod:`~ingest.upload.preview`
(check and compare, nothing written), :mod:`~ingest.upload.apply` (save as drafts),
:mod:`~ingest.upload.slots` (how many files are checked at once).
"""

from ingest.upload.apply import ApplyReport, UploadConflictError, apply
from ingest.upload.preview import (
    MAX_BYTES,
    MAX_ROWS,
    STATUSES,
    Preview,
    PreviewRow,
    UploadError,
    preview,
)
from ingest.upload.slots import ParseSlots, UploadBusyError
from ingest.upload.template import template, template_filename, template_regions

__all__ = [
    "MAX_BYTES", "MAX_ROWS", "STATUSES", "ApplyReport", "ParseSlots", "Preview",
    "PreviewRow", "UploadBusyError", "UploadConflictError", "UploadError", "apply",
    "preview", "template", "template_filename", "template_regions",
]
