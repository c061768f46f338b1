"""Application settings, read once from ``MATA_GARUDA_*`` environment variables.

This is the only module that reads the environment. Every field has a help text;
``README.md`` lists the same variables, and a test checks that the two agree.
"""

from __future__ import annotations

import os
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent
PREFIX = "MATA_GARUDA_"
KEY_BYTES = 32  # a secret key carries at least this many random bytes
KEY_HINT = 'python -c "import secrets; print(secrets.token_hex(32))"'
SERVER_THREADS = 8  # waitress threads of `mata-garuda serve`
# Uploads checked and waiting take at most twice MATA_GARUDA_UPLOAD_PARSERS threads, so
# that at least two threads always answer page requests.
MAX_UPLOAD_PARSERS = (SERVER_THREADS - 2) // 2
UPLOAD_WAIT_SECONDS = 20


class SettingsError(ValueError):
    """A setting is missing or has a value that cannot be used."""


def _checkout() -> Path | None:
    """Return the checkout the code runs from, or None when it was installed from a wheel."""
    return PROJECT_ROOT if (PROJECT_ROOT / "pyproject.toml").is_file() else None


def _default_var_dir() -> Path:
    """Return ``var/`` in the checkout; installed elsewhere, in the working directory."""
    return (_checkout() or Path.cwd()) / "var"


def _shared() -> Path:
    """Return the shared data folder beside the checkout (it may not exist)."""
    checkout = _checkout()
    return checkout.parent / "shared" if checkout else _default_var_dir() / "shared"


def _default_boundaries_dir() -> Path:
    shared = _shared() / "geodata"
    return shared if shared.is_dir() else _default_var_dir() / "geodata"


def _default_published_dir() -> Path:
    return _shared() / "data" / "published"


def key_strength_problem(key: str) -> str | None:
    """Say why ``key`` cannot sign sessions, or return None when it can.

    A key holds at least :data:`KEY_BYTES` bytes once decoded (64 hexadecimal or 43
    base64 characters, or 32 bytes of other text) and looks random: at least 12 distinct
    characters, so that a word or a repeated pattern is refused.
    """
    if re.fullmatch(r"[0-9a-fA-F]+", key):
        size = len(key) // 2
    elif re.fullmatch(r"[A-Za-z0-9_\-+/]+=*", key):
        size = len(key.rstrip("=")) * 6 // 8
    else:
        size = len(key.encode())
    if size < KEY_BYTES:
        return f"it holds {size} bytes"
    if len(set(key)) < 12:
        return f"it repeats {len(set(key))} characters"
    return None


WHOLE_NUMBERS = ("upload_parsers", "session_idle_minutes", "session_hours", "trusted_proxies")


def _help(text: str) -> dict[str, str]:
    return {"help": text}


@dataclass(frozen=True)
class Settings:
    """Frozen application settings; build with :meth:`Settings.from_env`."""

    env: str = field(
        default="development",
        metadata=_help("`development` or `production`; production requires SECRET_KEY."),
    )
    var_dir: Path = field(
        default_factory=_default_var_dir,
        metadata=_help("Directory for local state: SQLite database, secret key, caches."
                       " Default: `var/` in the checkout."),
    )
    database_url: str = field(
        default="",
        metadata=_help(
            "SQLAlchemy URL of the indicator store. Default: SQLite file `var/mata_garuda.db`;"
            " for PostgreSQL use `postgresql+psycopg://user@host:5432/dbname`."
        ),
    )
    boundaries_dir: Path = field(
        default_factory=_default_boundaries_dir,
        metadata=_help(
            "Directory with provinsi/kabkota/kecamatan GeoParquet boundaries. Default:"
            " `../shared/geodata` when it exists, else `var/geodata`."
        ),
    )
    published_dir: Path = field(
        default_factory=_default_published_dir,
        metadata=_help(
            "Directory of published figures (`*.csv` in the tidy format) that `make run`"
            " imports on first start; skipped when absent. Default: `../shared/data/published`."
        ),
    )
    lake_dir: Path = field(
        default=Path(),
        metadata=_help("Directory of the record lake (Parquet files of TPS results, ormas,"
                       " incidents and media, and their manifest). Default: `var/lake`"
                       " (`lake` under MATA_GARUDA_VAR_DIR)."),
    )
    redis_url: str = field(
        default="",
        metadata=_help("Optional Redis URL for the shared cache (`redis://127.0.0.1:6379/0`);"
                       " empty means an in-process cache."),
    )
    secret_key: str = field(
        default="",
        metadata=_help("Flask secret key: at least 32 random bytes (64 hex characters)."
                       " Generated and kept in `var/secret_key` for local use;"
                       " required when ENV=production."),
    )
    backup_key: str = field(
        default="",
        repr=False,
        metadata=_help("Key that signs backups (HMAC-SHA256 of the manifest), never written"
                       " into one: at least 32 random bytes. Default: derived from the secret"
                       " key; set it so that backups outlive a change of the secret key."),
    )
    public_view: bool = field(
        default=False,
        metadata=_help("`true` lets anonymous visitors read the published indicators (maps,"
                       " tables); everything else needs a signed-in account. Default `false`."),
    )
    language: str = field(
        default="id",
        metadata=_help("Default interface language: `id` (Bahasa Indonesia) or `en`."),
    )
    upload_parsers: int = field(
        default=2,
        metadata=_help("How many uploaded files one server process checks at once (1 to"
                       f" {MAX_UPLOAD_PARSERS}); as many more wait up to"
                       f" {UPLOAD_WAIT_SECONDS} s, the rest are told to try again. Default 2."),
    )
    session_idle_minutes: int = field(
        default=30,
        metadata=_help("A session ends after this many minutes without a request. Default 30."),
    )
    session_hours: int = field(
        default=8,
        metadata=_help("A session ends this many hours after sign-in, however active."
                       " Default 8."),
    )
    trusted_proxies: int = field(
        default=0,
        metadata=_help("How many reverse proxies in front of the app set X-Forwarded-For and"
                       " X-Forwarded-Proto; the client address (audit log, sign-in"
                       " throttling) is taken from them. Default 0: the headers are ignored."),
    )
    demo: bool | None = field(
        default=None,
        metadata=_help("`true` shows the simulated demo values (labelled DATA SIMULASI),"
                       " `false` hides them everywhere without deleting them. Default: `true`"
                       " in development (`make run`), `false` in production."),
    )
    spark_master: str = field(
        default="",
        metadata=_help("Spark master for `--engine spark` rollups (`spark://host:7077`,"
                       " `local[4]`). Default `local[2]`."),
    )
    host: str = field(default="127.0.0.1", metadata=_help("Address the server listens on."))
    port: int = field(default=8050, metadata=_help("Port the server listens on."))

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Read settings from ``MATA_GARUDA_*`` variables (``os.environ`` by default).

        Raises
        ------
        SettingsError
            If a value cannot be used, naming the variable.
        """
        env = os.environ if environ is None else environ
        values: dict[str, object] = {}
        for f in fields(cls):
            raw = env.get(PREFIX + f.name.upper())
            if raw is None or raw == "":
                continue
            if f.name in WHOLE_NUMBERS:
                if not (raw.isascii() and raw.isdigit()):
                    raise SettingsError(f"{PREFIX}{f.name.upper()} must be a whole number,"
                                        f" got {raw!r}")
                values[f.name] = int(raw)
            elif f.name == "port":
                if not raw.isdigit() or not 0 < int(raw) < 65536:
                    raise SettingsError(f"{PREFIX}PORT must be a port number, got {raw!r}")
                values["port"] = int(raw)
            elif f.name in ("public_view", "demo"):
                if raw.lower() not in ("true", "false", "1", "0", "yes", "no"):
                    raise SettingsError(f"{PREFIX}{f.name.upper()} must be true or false,"
                                        f" got {raw!r}")
                values[f.name] = raw.lower() in ("true", "1", "yes")
            elif f.name in ("var_dir", "boundaries_dir", "published_dir"):
                values[f.name] = Path(raw).expanduser()
            elif f.name == "lake_dir":
                values[f.name] = Path(raw).expanduser().absolute()
            else:
                values[f.name] = raw
        settings = cls(**values)  # type: ignore[arg-type]
        settings.check()
        return settings

    def __post_init__(self) -> None:
        if self.lake_dir == Path():  # not set: under var_dir
            object.__setattr__(self, "lake_dir", self.var_dir / "lake")

    def check(self) -> None:
        """Raise :class:`SettingsError` for values that cannot work together."""
        if self.env not in ("development", "production"):
            raise SettingsError(f"{PREFIX}ENV must be development or production, got {self.env!r}")
        if self.language not in ("id", "en"):
            raise SettingsError(f"{PREFIX}LANGUAGE must be id or en, got {self.language!r}")
        if not 1 <= self.upload_parsers <= MAX_UPLOAD_PARSERS:
            raise SettingsError(
                f"{PREFIX}UPLOAD_PARSERS must be 1 to {MAX_UPLOAD_PARSERS} (uploads checked and"
                f" waiting may take twice as many of the server's {SERVER_THREADS} threads),"
                f" got {self.upload_parsers}")
        if self.session_idle_minutes < 1 or self.session_hours < 1:
            raise SettingsError(f"{PREFIX}SESSION_IDLE_MINUTES and {PREFIX}SESSION_HOURS must be"
                                " at least 1")
        if self.trusted_proxies > 5:
            raise SettingsError(f"{PREFIX}TRUSTED_PROXIES is the number of proxies in front of"
                                f" the app (0 to 5), got {self.trusted_proxies}")
        if self.env == "production" and not self.secret_key:
            raise SettingsError(f"{PREFIX}SECRET_KEY is required when {PREFIX}ENV=production;"
                                f" generate one with {KEY_HINT}")
        problem = key_strength_problem(self.secret_key) if self.secret_key else None
        if problem:
            raise SettingsError(
                f"{PREFIX}SECRET_KEY must carry {KEY_BYTES} random bytes and {problem};"
                f" generate one with {KEY_HINT}")
        problem = key_strength_problem(self.backup_key) if self.backup_key else None
        if problem:
            raise SettingsError(
                f"{PREFIX}BACKUP_KEY must carry {KEY_BYTES} random bytes and {problem};"
                f" generate one with {KEY_HINT}")

    @property
    def show_simulated(self) -> bool:
        """Whether simulated values exist for the app: ``demo``, else not in production."""
        return self.demo if self.demo is not None else self.env != "production"

    @property
    def db_url(self) -> str:
        """The database URL, defaulting to the SQLite file under ``var_dir``."""
        return self.database_url or f"sqlite:///{self.var_dir / 'mata_garuda.db'}"

    def prepare_var_dir(self) -> Path:
        """Create ``var_dir`` readable by the owner only, and make what it holds so too.

        It holds password hashes and every office's data: the folder is 0700 and its
        files 0600, also when an older version left them readable to others.
        """
        self.var_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        self.var_dir.chmod(0o700)
        for path in self.var_dir.iterdir():
            path.chmod(0o700 if path.is_dir() else 0o600)
        return self.var_dir

    def resolved_secret_key(self) -> str:
        """Return the configured secret key, or one generated once and kept in ``var_dir``."""
        if self.secret_key:
            return self.secret_key
        path = self.prepare_var_dir() / "secret_key"
        if not path.exists():
            path.touch(mode=0o600)
            path.write_text(secrets.token_hex(KEY_BYTES))
        return path.read_text().strip()


def help_texts() -> dict[str, str]:
    """Map each environment variable name to its help text."""
    return {PREFIX + f.name.upper(): f.metadata["help"] for f in fields(Settings)}
