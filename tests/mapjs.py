"""JavaScript snippets the browser tests use to find and read map regions."""

# A point of the screen inside a region's drawn shape, not covered by anything else.
POINT_IN_REGION = """(cls) => {
  const path = document.querySelector('path.' + cls);
  if (!path) return null;
  const svg = path.ownerSVGElement;
  const box = path.getBoundingClientRect();
  for (let i = 1; i < 12; i++) {
    for (let j = 1; j < 12; j++) {
      const x = box.left + box.width * i / 12, y = box.top + box.height * j / 12;
      if (document.elementFromPoint(x, y) === path) return [x, y];
    }
  }
  return null;
}"""

REGION_FILLS = """() => Object.fromEntries(Array.from(
  document.querySelectorAll('.leaflet-overlay-pane path.leaflet-interactive')).map(
    p => [Array.from(p.classList).find(c => c.startsWith('region-')), p.getAttribute('fill')]))"""


def region_class(code: str) -> str:
    """Return the CSS class a region's path carries."""
    return "region-" + code.replace(".", "-")
