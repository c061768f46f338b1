"""Component ids, page-prefixed and kebab-case, kept in one place."""

SHELL_LANG = "shell-lang"
SHELL_LANG_STORE = "shell-lang-store"
SHELL_PRESENT = "shell-present"
SHELL_NAV = "shell-nav"

TABLE_TABLE = "tabel-table"
TABLE_SUMMARY = "tabel-summary"
TABLE_LOAD = "tabel-load"

MAP_STATE = "peta-state"
MAP_URL = "peta-url"
MAP_BOX = "peta-map-box"
MAP_LEAFLET = "peta-map"
MAP_GEOJSON = "peta-geojson"
MAP_LEGEND = "peta-legend"
MAP_LEGEND_BOX = "peta-legend-box"
MAP_PANEL = "peta-panel"
MAP_STATUS = "peta-status"
MAP_NOTICES = "peta-notices"
MAP_OFFERS = "peta-offers"
MAP_BREADCRUMB = "peta-breadcrumb"
MAP_CRUMB = "peta-crumb"
MAP_SEARCH = "peta-search"
MAP_HITS = "peta-search-hits"
MAP_HIT = "peta-search-hit"
MAP_INDICATOR = "peta-indikator-select"
MAP_YEAR = "peta-tahun-slider"
MAP_PLAY = "peta-play-button"
MAP_TICK = "peta-play-interval"
MAP_SHOW = "peta-tampil-control"
MAP_BASE = "peta-dari-select"
MAP_METHOD = "peta-kelas-select"
MAP_CLASSES = "peta-n-select"
MAP_PALETTE = "peta-palet-select"
MAP_LEVEL = "peta-tingkat-control"
MAP_OFFICIAL = "peta-resmi-switch"  # "Hanya data resmi": hides simulated values
MAP_LAYER = "peta-layer-store"
MAP_COLOURING = "peta-colouring-store"  # the colouring shown, restyled in place by map.js
MAP_DRAWN = "peta-drawn-store"  # the colouring painted last (its seq; written by map.js)
MAP_YEAR_ASKED = "peta-tahun-store"  # the period the slider means (snapped in the browser)
MAP_YEAR_SERVER = "peta-tahun-server"  # a period asked of the server (none at hand)
MAP_YEAR_VIEW = "peta-tahun-view"  # a period shown by the browser: what the server drew
MAP_PERIODS_ASK = "peta-periods-ask"  # the view whose colourings of every year to fetch
MAP_PERIODS = "peta-periods-store"  # those colourings: a year change recolours at once

ENTRY_INDICATOR = "isian-indikator-select"
ENTRY_PERIOD = "isian-periode-select"
ENTRY_COMMENT = "isian-komentar-input"
ENTRY_ACTION = "isian-action"
ENTRY_MESSAGE = "isian-message"
ENTRY_GRID = "isian-grid"
ENTRY_REFRESH = "isian-refresh-store"
ENTRY_HELP = "isian-bantuan"
ENTRY_AREA = "isian-wilayah-select"

COMPLETENESS_INDICATOR = "kelengkapan-indikator-select"
COMPLETENESS_PERIOD = "kelengkapan-periode-select"
COMPLETENESS_SUMMARY = "kelengkapan-summary"
COMPLETENESS_GRID = "kelengkapan-grid"
COMPLETENESS_LEVEL = "kelengkapan-tingkat"
COMPLETENESS_GEOJSON = "kelengkapan-geojson"
COMPLETENESS_LEGEND = "kelengkapan-legend"
AUDIT_GRID = "audit-grid"
ENTRY_HISTORY = "isian-history"
ENTRY_RESTORE_VERSION = "isian-restore-version"
ENTRY_RESTORE = "isian-restore-button"

UPLOAD_TOKEN = "unggah-token-store"
UPLOAD_DOWNLOAD = "unggah-download"
UPLOAD_INDICATOR = "unggah-indikator-select"
UPLOAD_PERIOD = "unggah-periode-input"
UPLOAD_XLSX = "unggah-template-xlsx"
UPLOAD_CSV = "unggah-template-csv"
UPLOAD_FILE = "unggah-file"
UPLOAD_SUMMARY = "unggah-summary"
UPLOAD_GRID = "unggah-grid"
UPLOAD_APPLY = "unggah-apply-button"
UPLOAD_RESULT = "unggah-result"

TABLE_EXPORT = "tabel-ekspor-links"
MAP_EXPORT = "peta-ekspor-links"
MAP_TREND_EXPORT = "peta-tren-ekspor-links"  # the side panel trend's downloads
ENTRY_EXPORT = "isian-ekspor-links"
AUDIT_EXPORT = "audit-ekspor-links"
COMPLETENESS_EXPORT = "kelengkapan-ekspor-links"

RECORDS_STATE = "catatan-state"  # the selection shown: aliran, wilayah, tahun
RECORDS_GRID = "catatan-grid"
RECORDS_SUMMARY = "catatan-summary"
RECORDS_EXPORT = "catatan-ekspor-links"
MAP_RECORDS = "peta-catatan-link"  # the side panel's "Lihat N catatan"
MAP_DESA = "peta-desa-table"  # the side panel's desa of a kecamatan
