"""The application's settings: one class, read from ``FTZ_*`` environment variables."""

from functools import lru_cache
from pathlib import Path

from pydantic import BaseModel
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


class Settings(BaseSettings):
    """Every tunable of ftz; each field is the environment variable ``FTZ_<NAME>``."""

    model_config = SettingsConfigDict(env_prefix="FTZ_", env_file=".env", extra="ignore")

    database_url: str = "sqlite:///ftz.db"
    # Raw uploaded files are kept here, named by their sha256 (content-addressed).
    data_dir: Path = Path("var")
    # Rows read and validated at a time: bounds memory whatever the file's size.
    import_chunk_rows: int = 50_000
    # Largest accepted upload, and largest uncompressed size of an XLSX (zip-bomb guard).
    upload_max_bytes: int = 2 * 1024**3
    xlsx_max_uncompressed_bytes: int = 512 * 1024**2
    json_max_bytes: int = 200 * 1024**2
    # How many row errors an upload's stored report keeps (the CLI prints them all).
    report_max_errors: int = 100_000
    # The lists `ftz db upgrade` loads into a database that has none (default: those ftz ships).
    reference_dir: Path = Path(__file__).resolve().parents[1] / "fixtures" / "reference"
    # Rows one upload may hold (files past it are refused whole, with 413 on the API).
    upload_max_rows: int = 5_000_000
    # Signs session cookies and CSRF tokens. Unset: a random key kept in data_dir/secret_key.
    secret_key: str | None = None
    session_hours: float = 12
    # Login throttling: this many failures for one account name within the window lock it
    # for the window.
    login_max_failures: int = 5
    login_window_minutes: int = 15
    # Per-zone overrides, by zone code.
    zones: dict[str, ZoneSettings] = {}

    def zone(self, code: str) -> ZoneSettings:
        """The settings of one zone (the defaults where it has no override)."""
        return self.zones.get(code, ZoneSettings())


@lru_cache
def get_settings() -> Settings:
    """The settings, read once from the environment."""
    return Settings()
