"""Form controls shared by the pages."""

from __future__ import annotations

from collections.abc import Mapping

import dash_mantine_components as dmc

from i18n import t
from queries.catalogue import Indicator


def indicator_select(component_id: str, catalogue: Mapping[str, Indicator], value: str,
                     lang: str, width: int = 320) -> dmc.Select:
    """Return the indicator chooser: short name and full name in the interface language."""
    return dmc.Select(
        id=component_id, label=t("peta.indicator", lang), value=value, w=width,
        data=[{"value": k, "label": f"{i.short_name} – {i.name(lang)}"}
              for k, i in catalogue.items()],
        allowDeselect=False, comboboxProps={"zIndex": 1000})
