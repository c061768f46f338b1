"""Every callback's inputs, states and outputs exist in a layout, with that property.

The app is built as ``make run`` builds it and asked over HTTP, as the browser asks it:
``/_dash-layout`` for the shell and Dash's page router callback for each registered page,
once per role, each through an account of that role signed in by the sign-in form (pages
show different components to different roles). Pattern-matching ids are matched by
their ``type`` and keys. Components that only a callback's answer holds (search hits,
breadcrumb steps) are looked for in that callback's answer to a request like the page's.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import dash
import pytest
from dash.dependencies import DashDependency
from dash.development.base_component import Component
from flask.testing import FlaskClient

import ids
from app import create_app
from auth.accounts import add_account
from auth.scope import ROLES
from geodata.registry import Registry
from ingest.bootstrap import prepare_database
from queries.db import make_engine
from settings import Settings
from tests.test_entry_page import callback

PASSWORD = "Uji-Panggilan-Balik-2026"
REGION = {"provinsi": "32", "kabkota": "32.73"}  # the regional roles' offices
# Components that only a callback's answer holds: the page, the container the callback
# fills, and the input values (besides the page's own) that make it answer with some.
MADE_BY_CALLBACKS: list[tuple[str, str, dict[tuple[str, str], object]]] = [
    ("/", ids.MAP_HITS, {(ids.MAP_SEARCH, "value"): "bandung"}),
    ("/wilayah/32.73", ids.MAP_BREADCRUMB, {}),
]

Key = str | tuple[str, frozenset[str]]  # an id, or a pattern's type and keys


@dataclass(frozen=True)
class Found:
    """A component in a layout: its id, Dash component class and props."""

    id: str | dict[str, Any]
    kind: type[Component]
    props: dict[str, Any]

    def properties(self) -> tuple[list[str], list[str]]:
        """Return the properties and wildcard prefixes (``data-``) the component declares."""
        instance = self.kind(**self.props)  # Dash sets them on each instance, not the class
        return instance.available_properties, instance.available_wildcard_properties


Index = dict[Key, dict[type[Component], Found]]  # by id: one component of each class


@dataclass
class App:
    """The app, its callbacks, and a signed-in test client per role."""

    dash: dash.Dash
    clients: dict[str, FlaskClient]


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory, registry: Registry) -> Iterator[App]:
    tmp = tmp_path_factory.mktemp("callbacks")
    settings = Settings(var_dir=tmp, boundaries_dir=tmp / "none", published_dir=tmp / "none")
    engine = make_engine(settings.db_url)
    prepare_database(engine, registry)
    with engine.begin() as conn:
        for role in ROLES:
            add_account(conn, registry, username=f"uji{role}", role=role,
                        region_code=REGION.get(role), password=PASSWORD)
    app = create_app(settings)
    clients = {role: _signed_in(app.server.test_client(), f"uji{role}") for role in ROLES}
    yield App(app, clients)
    engine.dispose()


def _signed_in(client: FlaskClient, username: str) -> FlaskClient:
    page = client.get("/masuk").get_data(as_text=True)
    csrf = page.split('name="csrf_token" value="')[1].split('"')[0]
    response = client.post("/masuk", data={"username": username, "password": PASSWORD,
                                           "csrf_token": csrf})
    assert response.status_code == 302, username
    return client


def _classes() -> dict[tuple[str, str], type[Component]]:
    """Return every loaded Dash component class by its (namespace, type), as JSON names it."""
    found: dict[tuple[str, str], type[Component]] = {}
    todo: list[type[Component]] = [Component]
    while todo:
        cls = todo.pop()
        todo += cls.__subclasses__()
        found[getattr(cls, "_namespace", ""), getattr(cls, "_type", "")] = cls
    return found


def components(node: object, classes: dict[tuple[str, str], type[Component]]) -> Iterator[Found]:
    """Yield the components with an id in a serialised layout, at any depth and in any prop."""
    if isinstance(node, dict):
        if {"type", "namespace", "props"} <= node.keys():
            props = node["props"]
            if "id" in props:
                yield Found(props["id"], classes[node["namespace"], node["type"]], props)
            node = props
        for child in node.values():
            yield from components(child, classes)
    elif isinstance(node, list):
        for child in node:
            yield from components(child, classes)


def key(id_: str | dict[str, Any]) -> Key:
    """Return what a callback's id is matched by: the id, or a pattern's type and keys."""
    if isinstance(id_, str) and id_.startswith("{"):
        id_ = json.loads(id_)
    return id_ if isinstance(id_, str) else (id_["type"], frozenset(id_))


def dependencies(app: dash.Dash) -> list[tuple[str, str, str]]:
    """Return (callback, id, property) for every output, input and state of every callback."""
    found = []
    for name, spec in app.callback_map.items():
        outputs = _outputs(spec)
        found += [(name, d.component_id_str(), d.component_property) for d in outputs]
        found += [(name, d["id"], d["property"]) for d in spec["inputs"] + spec["state"]]
    return found


# The query a page needs to show its working components (the others show a notice).
SEARCH = {"/catatan": "?aliran=tps&wilayah=32&tahun=2024"}


def page_layout(client: FlaskClient, path: str) -> object:
    """Render a page through Dash's own router callback, as a browser navigation does."""
    response = callback(client, [("_pages_content", "children"), ("_pages_store", "data")],
                        [{"id": "_pages_location", "property": "pathname", "value": path},
                         {"id": "_pages_location", "property": "search",
                          "value": SEARCH.get(path, "")}], [])
    assert response.status_code == 200, (path, response.status_code)  # type: ignore[attr-defined]
    return response.get_json()["response"]["_pages_content"]["children"]  # type: ignore[attr-defined]


def layouts(site: App) -> Iterator[object]:
    """Yield the shell and every registered page, rendered for every role."""
    paths = [p.get("path_template") or p["path"] for p in dash.page_registry.values()]
    for client in site.clients.values():
        yield client.get("/_dash-layout").get_json()
        for path in paths:  # a path template's variable (the region code) set to Jawa Barat
            yield page_layout(client, re.sub(r"<\w+>", "32", path))


def answer(site: App, path: str, container: str,
           values: dict[tuple[str, str], object]) -> object:
    """Post the callback that fills ``container`` with the values the page shows (as admin)."""
    client, classes = site.clients["admin"], _classes()
    shown = {(f.id, prop): value
             for tree in (client.get("/_dash-layout").get_json(), page_layout(client, path))
             for f in components(tree, classes) if isinstance(f.id, str)
             for prop, value in f.props.items()}
    shown |= values
    name, spec = next((n, s) for n, s in site.dash.callback_map.items()
                      if any(d.component_id == container and d.component_property == "children"
                             for d in _outputs(s)))
    outputs = [(d.component_id_str(), d.component_property) for d in _outputs(spec)]
    inputs: list[object] = [{**d, "value": shown.get((d["id"], d["property"]))}
                            for d in spec["inputs"]]
    state = [{**d, "value": shown.get((d["id"], d["property"]))} for d in spec["state"]]
    response = callback(client, outputs, inputs, state)
    assert response.status_code == 200, (name, response.get_data(as_text=True))  # type: ignore[attr-defined]
    return response.get_json()["response"][container]["children"]  # type: ignore[attr-defined]


def _outputs(spec: dict[str, Any]) -> list[DashDependency]:
    return spec["output"] if isinstance(spec["output"], list) else [spec["output"]]


@pytest.fixture(scope="module")
def found(site: App) -> Index:
    """Every id in a layout or a callback's answer, with a component of each class it names."""
    classes = _classes()
    trees = list(layouts(site))
    trees += [answer(site, *made) for made in MADE_BY_CALLBACKS]
    result: Index = {}
    for tree in trees:
        for f in components(tree, classes):
            result.setdefault(key(f.id), {}).setdefault(f.kind, f)
    return result


def test_the_checks_see_every_page(site: App, found: Index) -> None:
    """Guard: the tests below look at every page's callbacks and components."""
    wanted = {ids.SHELL_LANG, ids.MAP_STATE, ids.ENTRY_GRID, ids.UPLOAD_FILE,
              ids.COMPLETENESS_GRID, ids.AUDIT_GRID, ids.TABLE_TABLE, ids.RECORDS_GRID,
              "_pages_content"}
    assert wanted - {i for _cb, i, _p in dependencies(site.dash)} == set()
    made = {(type_, frozenset({"type", "kode"})) for type_ in (ids.MAP_HIT, ids.MAP_CRUMB)}
    assert (wanted | made) - found.keys() == set()


def test_every_callback_id_is_in_a_layout(site: App, found: Index) -> None:
    missing = sorted({(i, cb) for cb, i, _p in dependencies(site.dash) if key(i) not in found})
    assert missing == [], f"ids in callbacks but in no layout: {missing}"


def test_every_callback_property_exists_on_its_component(site: App, found: Index) -> None:
    unknown = []
    for cb, id_, prop in dependencies(site.dash):
        for kind, component in found.get(key(id_), {}).items():
            known, wildcards = component.properties()
            if prop not in known and not prop.startswith(tuple(wildcards)):
                unknown.append((id_, prop, kind.__name__, cb))
    assert unknown == [], f"properties the component does not have: {unknown}"
