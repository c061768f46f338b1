"""At most N uploaded files are checked at once; a few more wait, the rest are turned away.

Reading a workbook is the costliest thing a request does. The server answers with a
fixed number of threads (waitress: 8), so uploads checked one per thread could take
them all and leave page requests queued behind them. :class:`ParseSlots` lets
``parsers`` uploads be checked at once and as many more wait (at most ``wait`` seconds);
any upload beyond that is told at once to try again. Uploads thus hold at most twice
``parsers`` threads (the setting ``MATA_GARUDA_UPLOAD_PARSERS`` allows at most three, of
eight), and page requests always find a thread. The slots count within one server
process.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from i18n import Message
from ingest.upload.preview import UploadError


class UploadBusyError(UploadError):
    """Every slot is taken and the queue is full, or the wait ran out; nothing was read."""

    def __init__(self) -> None:
        super().__init__(Message("upload.busy"))


class ParseSlots:
    """Slots for checking uploads: ``parsers`` at once, as many waiting ``wait`` seconds."""

    def __init__(self, parsers: int, wait: float) -> None:
        self.wait = wait
        self._parsing = threading.BoundedSemaphore(parsers)
        self._admitted = threading.BoundedSemaphore(2 * parsers)  # parsing or waiting

    @contextmanager
    def slot(self) -> Iterator[None]:
        """Hold a slot while the block runs.

        Raises
        ------
        UploadBusyError
            At once when ``parsers`` uploads are being checked and as many wait, or
            after ``wait`` seconds without a free slot.
        """
        if not self._admitted.acquire(blocking=False):
            raise UploadBusyError
        try:
            if not self._parsing.acquire(timeout=self.wait):
                raise UploadBusyError
            try:
                yield
            finally:
                self._parsing.release()
        finally:
            self._admitted.release()
