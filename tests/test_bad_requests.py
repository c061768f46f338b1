"""Malformed requests answer 400 with a message, never 500 (issue 10, finding 11).

The examples of the finding, one test each, then a property test: Hypothesis sends
random JSON for every input and state of every server callback, and random query
strings to every export, signed in as admin, on SQLite with the shared boundaries.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import dash
import pytest
from dash._utils import stringify_id
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import ids
from app import create_app
from auth.accounts import add_account
from export.files import FORMATS, IMAGE_FORMATS
from geodata.registry import Registry
from ingest.bootstrap import prepare_database
from queries.db import make_engine
from queries.mapview import View
from settings import Settings
from tests.test_callback_ids import _classes, components, page_layout
from tests.test_entry_page import callback

PASSWORD = "Uji-Permintaan-Rusak-2026"
ALLOWED = {200, 204, 400, 401, 403, 404}
EXPORTS = [f"/ekspor/{table}.{fmt}" for table in ("peta", "tren", "tabel", "isian",
                                                  "kelengkapan", "audit") for fmt in FORMATS]
EXPORTS += [f"/ekspor/{table}.{fmt}" for table in ("peta", "tren") for fmt in IMAGE_FORMATS]


@dataclass
class Site:
    app: Any
    client: FlaskClient  # signed in as admin
    shown: dict[tuple[str, str], object]  # what the pages show: (id, property) -> value


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory, registry: Registry,
         boundaries_dir: Path) -> Iterator[Site]:
    tmp = tmp_path_factory.mktemp("requests")
    made = Settings(var_dir=tmp, boundaries_dir=boundaries_dir, published_dir=tmp / "none")
    engine = make_engine(made.db_url)
    prepare_database(engine, registry)
    with engine.begin() as conn:
        add_account(conn, registry, username="admin", role="admin", password=PASSWORD)
    app = create_app(made)
    client = app.server.test_client()
    page = client.get("/masuk").get_data(as_text=True)
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert csrf
    signed = client.post("/masuk", data={"username": "admin", "password": PASSWORD,
                                         "csrf_token": csrf.group(1)})
    assert signed.status_code == 302
    client.get("/health")
    classes = _classes()
    paths = [re.sub(r"<\w+>", "32.73", p.get("path_template") or p["path"])
             for p in dash.page_registry.values()]
    trees = [client.get("/_dash-layout").get_json(), *(page_layout(client, p) for p in paths)]
    shown = {(f.id, prop): value for tree in trees for f in components(tree, classes)
             if isinstance(f.id, str) for prop, value in f.props.items()}
    yield Site(app, client, shown)
    engine.dispose()


def v(id_: object, prop: str, value: object) -> dict[str, object]:
    return {"id": id_, "property": prop, "value": value}


def refused(response: Any, name: str) -> str:
    """Assert a 400 whose JSON message names ``name``; return the message."""
    assert response.status_code == 400, response.get_data(as_text=True)[:500]
    message = response.get_json()["error"]
    assert f"'{name}'" in message, message
    return str(message)


LANG = v(ids.SHELL_LANG_STORE, "data", "id")
LOAD = [(ids.ENTRY_GRID, "rowData"), (ids.ENTRY_PERIOD, "data")]
SHOWN = {"key": "provinsi:ID", "canvas": False}


def load(client: FlaskClient, indikator: object = "ikp", period: object = "2024",
         area: object = "32") -> Any:
    return callback(client, LOAD, [v(ids.ENTRY_INDICATOR, "value", indikator),
                                   v(ids.ENTRY_PERIOD, "value", period),
                                   v(ids.ENTRY_REFRESH, "data", 0),
                                   v(ids.ENTRY_AREA, "value", area)], [])


def colour(site: Site, state: dict[str, object]) -> Any:
    """The map's first call (no input changed: it draws the state store's view)."""
    key = next(k for k in site.app.callback_map if k.startswith(f"..{ids.MAP_STATE}.data..."))
    spec = site.app.callback_map[key]
    inputs = [[] if d["id"].startswith("{") else v(d["id"], d["property"],
                                                     site.shown.get((d["id"], d["property"])))
              for d in spec["inputs"]]
    given = {ids.MAP_STATE: state, ids.MAP_LAYER: SHOWN, ids.SHELL_LANG_STORE: "id"}
    states = [v(d["id"], d["property"],
                given.get(d["id"], site.shown.get((d["id"], d["property"]))))
              for d in spec["state"]]
    return _send(site, {"output": key, "outputs": _outputs(key), "inputs": inputs,
                        "state": states})


def test_the_entry_grid_loads_with_good_parameters(site: Site) -> None:
    assert load(site.client).status_code == 200


def test_an_unknown_indicator_is_400(site: Site) -> None:
    message = refused(load(site.client, indikator="tidak_ada"), f"{ids.ENTRY_INDICATOR}.value")
    assert "idi" in message  # the indicators there are


def test_a_period_that_is_no_number_is_400(site: Site) -> None:
    refused(load(site.client, period="abc"), f"{ids.ENTRY_PERIOD}.value")


def test_an_area_that_is_no_region_is_400(site: Site) -> None:
    refused(load(site.client, area="32."), f"{ids.ENTRY_AREA}.value")


def test_a_version_that_is_no_number_is_400(site: Site) -> None:
    row = {"code": "32", "version": "abc", "new_value": "50"}
    response = callback(
        site.client, [(ids.ENTRY_MESSAGE, "children"), (ids.ENTRY_REFRESH, "data")],
        [[v({"type": ids.ENTRY_ACTION, "action": a}, "n_clicks", 1 if a == "save" else None)
          for a in ("save", "submit", "verify", "reject")]],
        [v(ids.ENTRY_GRID, "rowData", [row]), v(ids.ENTRY_GRID, "selectedRows", [row]),
         v(ids.ENTRY_INDICATOR, "value", "ikp"), v(ids.ENTRY_PERIOD, "value", "2024"),
         v(ids.ENTRY_COMMENT, "value", ""), v(ids.ENTRY_REFRESH, "data", 0), LANG],
        [json.dumps({"action": "save", "type": ids.ENTRY_ACTION}, separators=(",", ":"))
         + ".n_clicks"])
    refused(response, f"{ids.ENTRY_GRID}.rowData.version")


def test_a_restore_version_that_is_no_number_is_400(site: Site) -> None:
    key = next(k for k in site.app.callback_map if k.startswith(f"..{ids.ENTRY_MESSAGE}.children@"))
    response = _send(site, {
        "output": key, "outputs": _outputs(key), "inputs": [v(ids.ENTRY_RESTORE, "n_clicks", 1)],
        "state": [v(ids.ENTRY_GRID, "selectedRows", [{"code": "32", "version": 1}]),
                  v(ids.ENTRY_RESTORE_VERSION, "value", "abc"),
                  v(ids.ENTRY_INDICATOR, "value", "ikp"), v(ids.ENTRY_PERIOD, "value", "2024"),
                  v(ids.ENTRY_REFRESH, "data", 0), LANG]})
    refused(response, f"{ids.ENTRY_RESTORE_VERSION}.value")


@pytest.mark.parametrize(("field", "bad"), [("kode", "99.99"), ("n", 50), ("n", -1),
                                            ("indikator", "tidak_ada"), ("tahun", "abc")])
def test_a_map_state_no_page_writes_is_400(site: Site, field: str, bad: object) -> None:
    good = {**asdict(View()), "messages": []}
    assert colour(site, good).status_code == 200
    message = refused(colour(site, {**good, field: bad}), f"{ids.MAP_STATE}.data.{field}")
    assert str(bad) in message


def test_the_years_of_a_page_swapped_meanwhile_are_no_update(site: Site) -> None:
    # Back or forward swaps the page while its years are asked for: the store is empty.
    key = next(k for k in site.app.callback_map if k == f"{ids.MAP_PERIODS}.data")
    body = {"output": key, "outputs": {"id": ids.MAP_PERIODS, "property": "data"},
            "inputs": [v(ids.MAP_PERIODS_ASK, "data", None)], "state": [LANG],
            "changedPropIds": [f"{ids.MAP_PERIODS_ASK}.data"]}
    answer = _send(site, body)
    assert answer.status_code in (200, 204) and "colourings" not in answer.get_data(as_text=True)
    refused(_send(site, {**body, "inputs": [v(ids.MAP_PERIODS_ASK, "data", "x")]}),
            f"{ids.MAP_PERIODS_ASK}.data")


def test_the_answer_is_in_the_request_language(site: Site) -> None:
    site.client.set_cookie("lang", "en")
    try:
        assert "Expected: " in refused(load(site.client, period="abc"), f"{ids.ENTRY_PERIOD}.value")
    finally:
        site.client.delete_cookie("lang")
    assert "Yang diharapkan: " in refused(load(site.client, period="abc"),
                                          f"{ids.ENTRY_PERIOD}.value")


@pytest.mark.parametrize("body", [
    [], "x", {}, {"output": 5}, {"output": "tidak-ada.children", "inputs": [], "state": []},
    {"output": f"..{ids.ENTRY_GRID}.rowData...{ids.ENTRY_PERIOD}.data..", "inputs": []},
    {"output": "audit-grid.rowData", "outputs": {"id": "audit-grid", "property": "rowData"},
     "inputs": ["id"], "state": []},
    {"output": "audit-grid.rowData", "outputs": {"id": "audit-grid", "property": "rowData"},
     "inputs": [v("lain", "data", "id")], "state": []},
    {"output": "audit-grid.rowData", "outputs": [], "inputs": [LANG], "state": []},
    {"output": "audit-grid.rowData", "outputs": {"id": "audit-grid", "property": "rowData"},
     "inputs": [LANG], "state": [], "changedPropIds": "x"},
    {"output": "peta-ekspor-links.children", "outputs": {"id": "peta-ekspor-links",
                                                         "property": "children"},
     "inputs": [v(ids.MAP_LAYER, "data", SHOWN)], "state": [LANG, LANG]},
    {"output": ("..isian-message.children...isian-refresh-store.data.."),
     "outputs": [{"id": "isian-message", "property": "children"},
                 {"id": "isian-refresh-store", "property": "data"}],
     "inputs": [v({"type": ids.ENTRY_ACTION, "action": "save"}, "n_clicks", 1)],
     "state": []},
    {"output": "shell-present.variant", "outputs": {"id": "shell-present",
                                                    "property": "variant"},
     "inputs": [v("shell-present", "n_clicks", 1)], "state": []},  # a clientside callback
], ids=lambda body: json.dumps(body)[:40])
def test_a_malformed_callback_body_is_400(site: Site, body: object) -> None:
    token = site.client.get_cookie("mg_csrf")
    assert token is not None
    response = site.client.post("/_dash-update-component", json=body,
                                headers={"X-CSRFToken": token.value})
    assert response.status_code == 400, response.get_data(as_text=True)[:500]
    assert "Dash" in response.get_json()["error"]


# Random JSON, with values the pages really send mixed in so that checks deep in the
# callbacks are reached, and whole map views with one part out of place.
PLAUSIBLE = ["ID", "32", "32.73", "32.73.01", "32.", "idi", "ikp", "turnout_pilkada", "2024",
             2024, 2023.5, "id", "en", "kuantil", "kategori", "nilai", "perubahan", "provinsi",
             "kabkota", "kecamatan", "5", 5, 50, -1, "save", "submit", "verify", "", "abc",
             "Blues", "data:text/csv;base64,a29kZQ==", "data:text/csv;base64,***", True]
KEYS = ["code", "version", "new_value", "reason", "name", "view", "key", "canvas",
        "messages", "first", *asdict(View())]
SCALARS = (st.none() | st.booleans() | st.integers(-10**6, 10**6)
           | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=12)
           | st.sampled_from(PLAUSIBLE))
JSON = st.recursive(SCALARS, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(
    st.sampled_from(KEYS) | st.text(max_size=6), inner, max_size=4), max_leaves=8)
VIEWS = st.builds(lambda field, bad, messages: {**asdict(View()), field: bad,
                                                "messages": messages},
                  st.sampled_from([*asdict(View())]), SCALARS, JSON)
ROWS = st.lists(st.fixed_dictionaries({"code": SCALARS, "version": SCALARS,
                                       "new_value": SCALARS}), max_size=2)
VALUES = JSON | VIEWS | ROWS | st.fixed_dictionaries({"key": SCALARS, "canvas": SCALARS,
                                                      "view": VIEWS | JSON})


def _outputs(key: str) -> list[dict[str, object]]:
    parts = key[2:-2].split("...") if key.startswith("..") else [key]
    found = []
    for part in parts:
        id_, prop = part.rsplit(".", 1)
        found.append({"id": json.loads(id_) if id_.startswith("{") else id_, "property": prop})
    return found


def _item(site: Site, dep: dict[str, str], data: st.DataObject, odd: bool) -> object:
    """Return one input or state of a request: the value, or matches of a pattern.

    The value a page shows, unless ``odd`` or no page shows one: then a random one.
    """
    if not dep["id"].startswith("{"):
        real = site.shown.get((dep["id"], dep["property"]))
        value = data.draw(VALUES) if odd or real is None else real
        return v(dep["id"], dep["property"], value)
    pattern = json.loads(dep["id"])
    keys = [k for k, want in pattern.items() if want == ["ALL"]]
    matches = data.draw(st.lists(st.tuples(st.text(max_size=6) | st.sampled_from(PLAUSIBLE),
                                           JSON), max_size=3))
    return [v({**pattern, **dict.fromkeys(keys, str(key))}, dep["property"], value)
            for key, value in matches]


def _send(site: Site, body: object) -> Any:
    token = site.client.get_cookie("mg_csrf")
    assert token is not None
    return site.client.post("/_dash-update-component", json=body,
                            headers={"X-CSRFToken": token.value})


def _check(response: Any, what: str) -> None:
    assert response.status_code in ALLOWED, (what, response.get_data(as_text=True)[-2000:])
    if response.status_code == 400:
        error = response.get_json()["error"]
        assert isinstance(error, str) and error.strip()


FAST = settings(max_examples=25, derandomize=True, deadline=None, database=None,
                suppress_health_check=[HealthCheck.too_slow,
                                       HealthCheck.function_scoped_fixture])


def _random_requests(site: Site, key: str) -> Callable[[], None]:
    """Return a Hypothesis test posting to the callback ``key``: the values the pages
    show, with one or two of its inputs and states replaced by random JSON."""
    spec = site.app.callback_map[key]
    outputs = _outputs(key)

    @FAST
    @given(data=st.data())
    def random_request(data: st.DataObject) -> None:
        deps = spec["inputs"] + spec["state"]
        odd = data.draw(st.sets(st.sampled_from(range(len(deps))), min_size=1, max_size=2))
        items = [_item(site, d, data, pos in odd) for pos, d in enumerate(deps)]
        inputs = items[:len(spec["inputs"])]
        given = [f"{stringify_id(i['id'])}.{i['property']}"
                 for item in inputs for i in (item if isinstance(item, list) else [item])]
        changed = data.draw(st.lists(st.sampled_from(given), max_size=2)) if given else []
        _check(_send(site, {"output": key,
                            "outputs": outputs if len(outputs) > 1 else outputs[0],
                            "inputs": inputs,
                            "state": items[len(spec["inputs"]):],
                            "changedPropIds": changed}), key)

    return random_request  # type: ignore[no-any-return]


def test_no_callback_answers_500_to_random_json(site: Site) -> None:
    keys = sorted(k for k, spec in site.app.callback_map.items() if "callback" in spec)
    assert len(keys) >= 20  # every page's server callbacks, Dash's page router included
    for key in keys:
        _random_requests(site, key)()


PARAMETERS = ["indikator", "tahun", "kode", "tampil", "dari", "kelas", "n", "palet",
              "tingkat"]
QUERIES = st.lists(st.tuples(st.sampled_from(PARAMETERS) | st.text(max_size=5),
                             st.text(max_size=10) | st.sampled_from(
                                 [str(p) for p in PLAUSIBLE])), max_size=4)


@pytest.mark.parametrize("path", EXPORTS)
@settings(FAST, max_examples=15)
@given(query=QUERIES)
def test_no_export_answers_500_to_a_random_query(site: Site, path: str,
                                                 query: list[tuple[str, str]]) -> None:
    _check(site.client.get(f"{path}?{urlencode(query)}"), path)
