"""The application's settings: one class, read from ``FTZ_*`` environment variables."""

from functools import lru_cache
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, Field, StringConstraints
from pydantic_settings import BaseSettings, SettingsConfigDict


class ZoneSettings(BaseModel):
    """What one zone may do differently (FTZ_ZONES='{"ZDM": {"accept_unknown_hs": true}}')."""

    # Goods still booked under an older HS edition: accept codes the nomenclature in force
    # does not know, with a warning, instead of refusing the row.
    accept_unknown_hs: bool = False
    # Reconciliation tolerances (see the README's rules); None keeps the default.
    quantity_relative: dict[str, float] | None = None  # by dimension: {"mass": 0.005, "count": 0}
    quantity_absolute: dict[str, float] | None = None  # in the dimension's base unit: {"mass": 0.5}
    recording_delay_days: float | None = None
    processing_loss: float | None = None
    # Transfers to another zone: days the goods may take to be admitted there (counted from the
    # transfer's lodged_at) before TRANSFER_NOT_ARRIVED; None keeps the default, 10.
    transit_days: float | None = Field(default=None, gt=0)
    # Denied-party screening: the name similarity (0-100) from which a name matches a listed
    # one; None keeps reconciliation.parties.THRESHOLD (88). Lower finds more spellings and
    # more false matches.
    parties_threshold: float | None = Field(default=None, ge=50, le=100)


class Settings(BaseSettings):
    """Every tunable of ftz; each field is the environment variable ``FTZ_<NAME>``."""

    model_config = SettingsConfigDict(env_prefix="FTZ_", env_file=".env", extra="ignore")

    database_url: str = "sqlite:///ftz.db"
    # SQLite: how long a write waits for the database's write lock before giving up. Imports
    # and runs hold it only for their final write, so waits stay far below this.
    sqlite_busy_timeout_ms: int = 30_000
    # Raw uploaded files are kept here, named by their sha256 (content-addressed).
    data_dir: Path = Path("var")
    # Rows read and validated at a time: bounds memory whatever the file's size.
    import_chunk_rows: int = 50_000
    # Largest accepted upload, and largest uncompressed size of an XLSX (zip-bomb guard).
    upload_max_bytes: int = 2 * 1024**3
    xlsx_max_uncompressed_bytes: int = 512 * 1024**2
    json_max_bytes: int = 200 * 1024**2
    # How many row errors an upload's report keeps, sends and prints; the rest are counted.
    report_max_errors: int = 1_000
    # The lists `ftz db upgrade` loads into a database that has none (default: those ftz ships).
    reference_dir: Path = Path(__file__).resolve().parents[1] / "fixtures" / "reference"
    # Rows one upload may hold (files past it are refused whole, with 413 on the API).
    upload_max_rows: int = 5_000_000
    # PostgreSQL memory for one import's sort and checks (a million rows need about 256MB
    # to stay out of temporary files).
    import_work_mem: Annotated[str, StringConstraints(pattern=r"^\d+(kB|MB|GB)$")] = "256MB"
    # Signs session cookies and CSRF tokens. Unset: a random key kept in data_dir/secret_key.
    secret_key: str | None = None
    session_hours: float = 12
    # Login throttling: this many failures for one account name from one client address within
    # the window lock that name for that address, for the window (see below).
    login_max_failures: int = 5
    login_window_minutes: int = 15
    # login_max_failures counts per account name and client address, so that a client guessing
    # one name locks out itself, not the account's owner; this many failures from one address
    # within the window, whatever the names, lock that address. Attempts refused while locked
    # are not counted: a lock ends one window after the client stops.
    login_max_failures_per_client: int = 20
    # Passwords must score at least this on zxcvbn's scale of 0 (guessed at once) to 4.
    password_min_score: int = 3
    # Largest body of a request other than an upload (forms, JSON): refused with 413 past it.
    form_max_bytes: int = 1024**2
    # Per-zone overrides, by zone code.
    zones: dict[str, ZoneSettings] = {}

    # The nightly reconciliation: a crontab line (minute hour day month weekday, weekdays as
    # in cron: 0 or 7 is Sunday; a sixth field in front gives seconds), in each zone's time
    # zone unless schedule_timezone names one for all.
    schedule: str = "0 2 * * *"
    schedule_timezone: str | None = None
    # A night whose run was missed (process down) is still run within this many hours of
    # its time; nights missed in a row give one run, for the latest.
    misfire_grace_hours: float = 23
    # A run still working after this long is stopped and marked TIMED_OUT.
    run_time_limit_minutes: float = 240
    # A full run reconciles groups of operators no finding spans, packed into partitions of at
    # most this many movements and customs items: its memory follows a partition, not the ledger.
    partition_rows: int = Field(default=1_000_000, ge=1)
    # A Dask scheduler (tcp://host:8786) whose workers reconcile a full run's partitions; unset:
    # in this process, or on a local cluster with `ftz reconcile --workers N`.
    dask_scheduler: str | None = None
    # A full run over at least this many movements and customs items keeps a copy of the
    # ledger's rows as Arrow files in the data folder: the next full run reads from the database
    # only the uploads received since. The copy is about as large as the ledger's tables.
    snapshot_rows: int = Field(default=200_000, ge=0)
    # SQLite's run lock is a lease renewed while a run works; a dead holder's lease is
    # free after this long (at once, when the holder was a process on the same machine).
    run_lease_seconds: float = 60
    # The UI and `ftz runs` warn when the last successful run is older than this.
    stale_run_hours: float = 24
    # `ftz serve` also runs the scheduler in its process (for a one-machine install).
    with_scheduler: bool = False
    # Logs: "text" for people, "json" (one object per line) for collectors.
    log_format: Literal["text", "json"] = "text"
    log_level: str = "INFO"
    # If set, /metrics asks for "Authorization: Bearer <this>"; if not, it is open, like /healthz.
    metrics_token: str | None = None
    # The audit trail's chain is keyed (HMAC-SHA256) with this secret: only who holds it can
    # write an event that verifies. Unset: a random key kept in data_dir/audit_key. Keep it
    # away from the database and its backups; see the README's "Audit key".
    audit_key: Annotated[str, StringConstraints(min_length=32)] | None = None
    # Keys used before (a JSON list), kept so that events they signed still verify after a rotation.
    audit_keys: list[Annotated[str, StringConstraints(min_length=32)]] = []
    # Events from this sequence number on must be keyed. Unset: from the first keyed event on
    # (events before it were written by a version of ftz without the key).
    audit_keyed_from: int | None = None

    def zone(self, code: str) -> ZoneSettings:
        """The settings of one zone (the defaults where it has no override)."""
        return self.zones.get(code, ZoneSettings())


@lru_cache
def get_settings() -> Settings:
    """The settings, read once from the environment."""
    return Settings()
