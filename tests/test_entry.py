"""Values entered by offices: scope below the UI, workflow, versions, conflicts, map."""

from __future__ import annotations

import re
import threading

import polars as pl
import pytest
import sqlalchemy as sa

from auth.scope import ScopeError
from geodata.registry import Registry
from ingest.entry import (
    ConflictError,
    EntryError,
    Target,
    act,
    history,
    reject,
    restore,
    save_draft,
    submit,
    verify,
    withdraw,
)
from queries.catalogue import read_catalogue
from queries.indicators import indicator_values
from queries.schema import audit_log, observation
from tests.tiny import BANDUNG, JABAR, JATENG, PUSAT, VIEWER


@pytest.fixture
def target(engine: sa.Engine) -> Target:
    with engine.connect() as conn:
        ind = read_catalogue(conn)["turnout_pilkada"]
    return Target(ind, "32.73", 2024)


def rows(engine: sa.Engine) -> list[tuple[object, ...]]:
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(sa.select(observation).order_by(observation.c.id))]


def test_workflow_keeps_every_version(engine: sa.Engine, registry: Registry,
                                      target: Target) -> None:
    with engine.begin() as conn:
        v1 = save_draft(conn, registry, BANDUNG, target, 71.5, base_version=None)
        v2 = submit(conn, BANDUNG, target, base_version=v1)
        v3 = reject(conn, JABAR, target, base_version=v2, comment="DPT belum final")
        v4 = save_draft(conn, registry, BANDUNG, target, 72.25, base_version=v3,
                        reason="angka DPT final")
        v5 = submit(conn, BANDUNG, target, base_version=v4)
        v6 = verify(conn, JABAR, target, base_version=v5)
        versions = history(conn, BANDUNG.scope, "turnout_pilkada", "32.73", 2024)
    assert [v.version for v in versions] == [1, 2, 3, 4, 5, 6] == [v1, v2, v3, v4, v5, v6]
    assert [v.status for v in versions] == ["draft", "submitted", "rejected", "draft",
                                            "submitted", "verified"]
    assert [v.value for v in versions] == [71.5, 71.5, 71.5, 72.25, 72.25, 72.25]
    assert versions[2].reason == "DPT belum final" and versions[2].recorded_by == "jabar"
    assert versions[3].reason == "angka DPT final"
    with engine.connect() as conn:
        actions = conn.scalars(sa.select(audit_log.c.action).order_by(audit_log.c.id)).all()
    assert actions == ["entry.draft", "entry.submitted", "entry.rejected", "entry.draft",
                       "entry.submitted", "entry.verified"]


def test_scope_is_enforced_below_the_ui(engine: sa.Engine, registry: Registry,
                                        target: Target) -> None:
    before = rows(engine)
    with engine.begin() as conn:
        with pytest.raises(ScopeError, match="provinsi 33 may not write 32.73"):
            save_draft(conn, registry, JATENG, target, 70.0, base_version=None)
        with pytest.raises(ScopeError, match="viewer may not write"):
            save_draft(conn, registry, VIEWER, target, 70.0, base_version=None)
        with pytest.raises(ScopeError, match="kabkota 32.73 may not read 33.01"):
            history(conn, BANDUNG.scope, "turnout_pilkada", "33.01", 2024)
    assert rows(engine) == before
    with engine.begin() as conn:
        v1 = save_draft(conn, registry, BANDUNG, target, 70.0, base_version=None)
        v2 = submit(conn, BANDUNG, target, base_version=v1)
        with pytest.raises(ScopeError, match="may not verify 32.73"):
            verify(conn, BANDUNG, target, base_version=v2)  # not one's own value
        with pytest.raises(ScopeError, match="may not verify 32.73"):
            verify(conn, PUSAT, target, base_version=v2)  # pusat verifies provinces
        assert verify(conn, JABAR, target, base_version=v2) == 3


def test_bad_values_are_refused_with_a_reason(engine: sa.Engine, registry: Registry,
                                              target: Target) -> None:
    with engine.begin() as conn:
        ind = target.indicator
        cases = [
            (Target(ind, "32.73", 2024), 101.0, "outside the range of turnout_pilkada"),
            (Target(ind, "32.73", 2024), float("nan"), "nan is not a number"),
            (Target(ind, "32.73", 2023), 70.0, "has no period 2023"),
            (Target(ind, "32.99", 2024), 70.0, "unknown region code '32.99'"),
            (Target(read_catalogue(conn)["idi"], "32.73", 2024), 70.0,
             "idi is not defined below provinsi"),
        ]
        for where, value, message in cases:
            with pytest.raises(EntryError, match=message):
                save_draft(conn, registry, JABAR, where, value, base_version=None)
        with pytest.raises(EntryError, match="at most 2000"):
            save_draft(conn, registry, JABAR, target, 70.0, base_version=None,
                       reason="x" * 2001)
        v1 = save_draft(conn, registry, JABAR, target, 70.0, base_version=None,
                        reason="'; DROP TABLE observation; --")
        with pytest.raises(EntryError, match=r"cannot verify a value with status Draft \(allowed:"
                                             r" Submitted\)"):
            verify(conn, JABAR, target, base_version=v1)
        with pytest.raises(EntryError, match="needs a comment"):
            reject(conn, JABAR, target, base_version=v1, comment="  ")
    assert len(rows(engine)) == 1


def test_errors_are_written_in_both_languages(engine: sa.Engine, registry: Registry,
                                             target: Target) -> None:
    cases = [
        (lambda conn: save_draft(conn, registry, JABAR, target, 101.0, base_version=None),
         "101 di luar rentang turnout_pilkada (0 s.d. 100)",
         "101 is outside the range of turnout_pilkada (0 to 100)"),
        (lambda conn: save_draft(conn, registry, JABAR, Target(target.indicator, "32.99", 2024),
                                 70.0, base_version=None),
         "kode wilayah '32.99' tidak dikenal", "unknown region code '32.99'"),
        (lambda conn: act(conn, registry, JABAR, target.indicator, 2024, "save",
                          [{"code": "32.73", "version": None, "new_value": "1o1"}]),
         "32.73: bukan angka: '1o1'; tulis angka seperti 79,81 atau 79.81 (tanpa satuan, "
         "tanpa tanda %)",
         "32.73: not a number: '1o1'; expected a number such as 79.81 or 79,81 (no units, "
         "no % sign)"),
        (lambda conn: act(conn, registry, JABAR, target.indicator, 2024, "submit",
                          [{"code": "32.73", "version": None}]),
         "32.73: belum ada isian", "32.73: nothing entered yet"),
        (lambda conn: withdraw(conn, JABAR, target, base_version=1, reason=" "),
         "penarikan nilai perlu alasan", "withdrawing a value needs a reason"),
    ]
    for call, indonesian, english in cases:
        with engine.begin() as conn, pytest.raises(EntryError) as caught:
            call(conn)
        assert caught.value.message.text("id") == indonesian
        assert caught.value.message.text("en") == str(caught.value) == english
    with engine.begin() as conn:
        v1 = save_draft(conn, registry, JABAR, target, 70.0, base_version=None)
        with pytest.raises(EntryError) as caught:
            verify(conn, JABAR, target, base_version=v1)
    assert caught.value.message.text("id") == (
        "tidak dapat memverifikasi nilai berstatus Draf (status yang boleh: Diajukan)")


def test_two_operators_on_one_value_conflict(engine: sa.Engine, registry: Registry,
                                             target: Target) -> None:
    with engine.begin() as conn:
        v1 = save_draft(conn, registry, BANDUNG, target, 70.0, base_version=None)
    # Both opened version 1; the province saves first.
    with engine.begin() as conn:
        save_draft(conn, registry, JABAR, target, 71.0, base_version=v1)
    before = rows(engine)
    conflict = r"changed meanwhile by jabar .* \(now version 2, Draft\); reload and try again"
    with pytest.raises(ConflictError, match=conflict) as caught:
        with engine.begin() as conn:
            save_draft(conn, registry, BANDUNG, target, 72.0, base_version=v1)
    assert rows(engine) == before
    assert re.fullmatch(r"nilai sudah diubah oleh jabar pada \d{4}-\d\d-\d\d \d\d:\d\d UTC "
                        r"\(sekarang versi 2, Draf\); muat ulang halaman lalu coba lagi",
                        caught.value.message.text("id"))


def test_racing_writers_never_overwrite(engine: sa.Engine, registry: Registry,
                                        target: Target) -> None:
    with engine.begin() as conn:
        save_draft(conn, registry, BANDUNG, target, 70.0, base_version=None)
    outcomes: list[str] = []
    barrier = threading.Barrier(4)

    def write(value: float) -> None:
        barrier.wait()
        try:
            with engine.begin() as conn:
                save_draft(conn, registry, BANDUNG, target, value, base_version=1)
            outcomes.append("ok")
        except (ConflictError, sa.exc.OperationalError):
            outcomes.append("conflict")

    threads = [threading.Thread(target=write, args=(71.0 + i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert outcomes.count("ok") == 1 and outcomes.count("conflict") == 3
    with engine.connect() as conn:
        versions = history(conn, BANDUNG.scope, "turnout_pilkada", "32.73", 2024)
    assert [v.version for v in versions] == [1, 2]


def test_withdraw_and_restore(engine: sa.Engine, registry: Registry, target: Target) -> None:
    with engine.begin() as conn:
        v1 = save_draft(conn, registry, BANDUNG, target, 70.0, base_version=None)
        v2 = save_draft(conn, registry, BANDUNG, target, 75.0, base_version=v1)
        with pytest.raises(EntryError, match="needs a reason"):
            withdraw(conn, BANDUNG, target, base_version=v2, reason="")
        v3 = withdraw(conn, BANDUNG, target, base_version=v2, reason="salah input")
        v4 = restore(conn, registry, BANDUNG, target, from_version=1, base_version=v3)
        versions = history(conn, BANDUNG.scope, "turnout_pilkada", "32.73", 2024)
    assert [(v.version, v.status, v.value) for v in versions] == [
        (1, "draft", 70.0), (2, "draft", 75.0), (3, "withdrawn", 75.0), (4, "draft", 70.0)]
    assert versions[3].reason == "restored version 1" and v4 == 4


def test_only_verified_entries_reach_the_map(engine: sa.Engine, registry: Registry,
                                             target: Target) -> None:
    def shown() -> dict[str, object]:
        with engine.connect() as conn:
            frame = indicator_values(conn, target.indicator, "kabkota", 2024, "32")
        return frame.filter(pl.col("code") == "32.73").row(0, named=True)

    with engine.begin() as conn:
        v1 = save_draft(conn, registry, BANDUNG, target, 70.0, base_version=None)
        v2 = submit(conn, BANDUNG, target, base_version=v1)
    assert shown()["value"] is None
    with engine.begin() as conn:
        v3 = verify(conn, JABAR, target, base_version=v2)
    row = shown()
    assert (row["value"], row["source"], row["simulated"]) == (
        70.0, "Kesbangpol Kota Bandung", False)
    with engine.begin() as conn:
        save_draft(conn, registry, BANDUNG, target, 90.0, base_version=v3)
    assert shown()["value"] is None  # a correction in progress is not verified


# ------------------------------------------------------------ input at the edge (issue 10)


@pytest.mark.parametrize(("reason", "char", "position"), [
    ("angka\x01final", "U+0001", 6),
    ("\x00DPT", "U+0000", 1),  # SQLite would store it; PostgreSQL answered "no database"
    ("rekap\x9bBawaslu", "U+009B", 6),  # a C1 control
    ("rekap\ud800", "U+D800", 6),  # a lone surrogate (JSON may carry one)
    ("rekap\ufffe", "U+FFFE", 6),  # a noncharacter
])
def test_control_characters_in_a_grid_reason_are_refused(
        engine: sa.Engine, registry: Registry, target: Target, reason: str, char: str,
        position: int) -> None:
    grid = [{"code": "32.73", "version": None, "new_value": "70", "reason": reason}]
    with engine.begin() as conn, pytest.raises(EntryError) as caught:
        act(conn, registry, BANDUNG, target.indicator, 2024, "save", grid)
    assert str(caught.value).startswith(f"32.73: Reason for the change: the character {char} "
                                        f"at position {position} is not allowed")
    assert caught.value.message.text("id").startswith(
        f"32.73: Alasan perubahan: karakter {char} pada posisi {position} tidak boleh")
    assert rows(engine) == []


def test_control_characters_in_comments_and_direct_writes_are_refused(
        engine: sa.Engine, registry: Registry, target: Target) -> None:
    with engine.begin() as conn:
        with pytest.raises(EntryError, match="Reason for the change: the character U\\+0007"):
            save_draft(conn, registry, BANDUNG, target, 70.0, base_version=None,
                       reason="bel\x07")
        v1 = save_draft(conn, registry, BANDUNG, target, 70.0, base_version=None)
        v2 = submit(conn, BANDUNG, target, base_version=v1)
        with pytest.raises(EntryError, match="Rejection comment: the character U\\+001B"):
            reject(conn, JABAR, target, base_version=v2, comment="\x1b[31mmerah")
        with pytest.raises(EntryError, match="Reason for the change: the character U\\+0000"):
            withdraw(conn, BANDUNG, target, base_version=v2, reason="salah\x00")
    assert [r[6] for r in rows(engine)] == ["draft", "submitted"]


def test_reasons_keep_lines_and_are_stored_composed(engine: sa.Engine, registry: Registry,
                                                    target: Target) -> None:
    # Multi-line text keeps tabs and line breaks (a Windows line end becomes one).
    grid = [{"code": "32.73", "version": None, "new_value": "70",
             "reason": "rekap\r\nBawaslu\tfinal Cafe\u0301"}]
    with engine.begin() as conn:
        act(conn, registry, BANDUNG, target.indicator, 2024, "save", grid)
        versions = history(conn, BANDUNG.scope, "turnout_pilkada", "32.73", 2024)
    assert versions[0].reason == "rekap\nBawaslu\tfinal Caf\u00e9"


@pytest.mark.parametrize(("typed", "problem"), [
    ("1e-400", "not a number: '1e-400'; expected a number such as 79.81 or 79,81"),
    ("1e2", "not a number: '1e2'; expected a number such as 79.81 or 79,81"),
    ("٥٥", "'٥٥' has digits other than 0-9; type the number with the digits 0-9"),
    ("５５", "'５５' has digits other than 0-9; type the number with the digits 0-9"),
    ("0." + "0" * 400 + "1", "is too close to zero to be stored"),
    ("9" * 400, f"not a number: {'9' * 400!r}"),
    ("inf", "not a number: 'inf'"),
    ("nan", "not a number: 'nan'"),
    ("1o1", "not a number: '1o1'"),
])
def test_odd_numbers_from_the_grid_are_refused(engine: sa.Engine, registry: Registry,
                                               target: Target, typed: str,
                                               problem: str) -> None:
    grid = [{"code": "32.73", "version": None, "new_value": typed, "reason": ""}]
    with engine.begin() as conn, pytest.raises(EntryError) as caught:
        act(conn, registry, BANDUNG, target.indicator, 2024, "save", grid)
    assert str(caught.value).startswith("32.73: ")
    assert problem in str(caught.value)
    assert rows(engine) == []


@pytest.mark.parametrize(("typed", "stored"), [("70", 70.0), ("68,5", 68.5), ("+0.25", 0.25),
                                               (" 71.5 ", 71.5), (72, 72.0), (72.5, 72.5)])
def test_plain_numbers_from_the_grid_are_stored(engine: sa.Engine, registry: Registry,
                                                target: Target, typed: object,
                                                stored: float) -> None:
    grid = [{"code": "32.73", "version": None, "new_value": typed}]
    with engine.begin() as conn:
        act(conn, registry, BANDUNG, target.indicator, 2024, "save", grid)
    assert [r[4] for r in rows(engine)] == [stored]
