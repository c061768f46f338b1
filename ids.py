"""Component ids, page-prefixed and kebab-case, kept in one place."""

SHELL_LANG = "shell-lang"
SHELL_LANG_STORE = "shell-lang-store"
SHELL_LOCATION = "shell-location"

BERANDA_TABLE = "beranda-table"
BERANDA_SUMMARY = "beranda-summary"
BERANDA_LOAD = "beranda-load"
