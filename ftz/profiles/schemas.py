"""The risk-profile file (contract section 8) validated: a YAML list of profiles, refused whole
with every error named by profile code and field."""

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Literal

import yaml
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, field_validator, model_validator

from ftz.errors import InvalidInput
from ftz.ingest.checks import COUNTRIES
from ftz.ingest.models import UploadPublic
from reconciliation.profiles import CONDITIONS, compile_pattern, search
from reconciliation.risk import TIER_ORDER
from reconciliation.units import UNITS

PROCEDURES = ("RE_EXPORT", "HOME_USE", "TRANSFER", "TRANSIT", "DESTRUCTION")
# Inputs that make a pattern with nested or overlapping repetition backtrack for ever: a pattern
# that cannot answer on one of them within the limit is refused when the file is loaded.
_PROBE_LENGTH = 5_000
_PROBE_SECONDS = 0.2


class ProfileFileError(InvalidInput):
    """A profile file refused whole; ``errors`` names each problem by profile and field."""

    def __init__(self, errors: list[str]):
        super().__init__("; ".join(errors))
        self.errors = errors


def _listed(value):
    """A single value where a list is expected means a list of that one value."""
    return [value] if isinstance(value, str | int) and not isinstance(value, bool) else value


def _upper(value):
    return value.strip().upper() if isinstance(value, str) else value


Upper = Annotated[str, BeforeValidator(_upper)]


def _country(value: str) -> str:
    if value not in COUNTRIES:
        raise ValueError(f"{value!r} is not an ISO 3166-1 alpha-2 country code")
    return value


Country = Annotated[Upper, BeforeValidator(_upper)]


class MinQuantity(BaseModel):
    """A quantity the item must reach, within its unit's dimension."""

    model_config = ConfigDict(extra="forbid")

    value: Decimal = Field(gt=0)
    unit: Upper

    @field_validator("unit")
    @classmethod
    def _known_unit(cls, unit: str) -> str:
        if unit not in UNITS:
            raise ValueError(f"unknown unit {unit!r} (UN/ECE Recommendation 20 codes: KGM, LTR, NAR, …)")
        return unit


class When(BaseModel):
    """The conditions: every one given must hold; a list means any of its values."""

    model_config = ConfigDict(extra="forbid")

    direction: Literal["ADMISSION", "REMOVAL"] | None = None
    procedures: Annotated[list[Literal[PROCEDURES]], BeforeValidator(_listed)] | None = None  # type: ignore[valid-type]
    hs_prefixes: Annotated[list[str], BeforeValidator(_listed)] | None = None
    strategic: bool | None = None
    destination_tiers: Annotated[list[Literal[tuple(TIER_ORDER)]], BeforeValidator(_listed)] | None = None  # type: ignore[valid-type]
    destinations: Annotated[list[Country], BeforeValidator(_listed)] | None = None
    origins: Annotated[list[Country], BeforeValidator(_listed)] | None = None
    operators: Annotated[list[Upper], BeforeValidator(_listed)] | None = None
    aeo: bool | None = None
    description_pattern: str | None = Field(default=None, max_length=500)
    min_quantity: MinQuantity | None = None

    @field_validator("destinations", "origins")
    @classmethod
    def _countries(cls, values: list[str] | None) -> list[str] | None:
        for value in values or []:
            _country(value)
        return values

    @field_validator("hs_prefixes")
    @classmethod
    def _prefixes(cls, values: list[str] | None) -> list[str] | None:
        cleaned = [str(v).replace(".", "").replace(" ", "") for v in values or []]
        bad = [v for v in cleaned if not (v.isdigit() and 2 <= len(v) <= 10)]
        if bad:
            raise ValueError(f"HS prefixes are 2 to 10 digits: {', '.join(bad)}")
        return cleaned if values is not None else None

    @field_validator("description_pattern")
    @classmethod
    def _pattern(cls, pattern: str | None) -> str | None:
        if pattern is None:
            return None
        try:
            compiled = compile_pattern(pattern)
        except Exception as exc:  # regex.error and the engine's other refusals
            raise ValueError(f"not a valid regular expression: {exc}") from None
        letters = {c for c in pattern if c.isalnum() or c in " -_."} | {"a", "1", " "}
        probes = [c * _PROBE_LENGTH + "\x00!" for c in sorted(letters)] + ["a " * (_PROBE_LENGTH // 2) + "!"]
        for probe in probes:
            try:
                compiled.search(probe, timeout=_PROBE_SECONDS)
            except TimeoutError:
                raise ValueError(
                    "the pattern backtracks catastrophically (a search took longer than "
                    f"{_PROBE_SECONDS:g} s): avoid nested repetition such as (a+)+"
                ) from None
        search(compiled, "")  # compiled for the engine as it will be used
        return pattern

    @model_validator(mode="after")
    def _some_condition(self) -> "When":
        if all(getattr(self, name) is None for name in CONDITIONS):
            raise ValueError("a profile needs at least one condition")
        return self


class Profile(BaseModel):
    """One risk profile of section 8."""

    model_config = ConfigDict(extra="forbid")

    code: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$")
    title: str = Field(min_length=1, max_length=300)
    severity: Literal["LOW", "MEDIUM", "HIGH", "CRITICAL"]
    channel: Literal["RED", "YELLOW", "GREEN"]
    valid_from: date | None = None
    valid_until: date | None = None
    when: When

    @model_validator(mode="after")
    def _dates(self) -> "Profile":
        if self.valid_from and self.valid_until and self.valid_until < self.valid_from:
            raise ValueError(f"valid_until {self.valid_until} is before valid_from {self.valid_from}")
        return self

    def plain(self) -> dict:
        """The profile as the engine reads it: plain data, conditions not given left out."""
        data = self.model_dump(mode="json")  # dates as ISO text, quantities as decimal text: stored as JSON
        return data | {"when": {k: v for k, v in data["when"].items() if v is not None}}


def parse(text: str | bytes) -> list[Profile]:
    """The profiles of a YAML file, or ``ProfileFileError`` naming every problem by profile and field."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ProfileFileError([f"not a YAML file: {exc}"]) from None
    if not isinstance(data, list):
        raise ProfileFileError(["the file must hold a list of profiles (contract section 8)"])
    errors, profiles, seen = [], [], {}
    for n, entry in enumerate(data, start=1):
        name = _name(entry, n)
        if not isinstance(entry, dict):
            errors.append(f"{name}: a profile is a mapping of code, title, severity, channel, when")
            continue
        try:
            profile = Profile.model_validate(entry)
        except ValidationError as exc:
            errors += [_message(name, error) for error in exc.errors()]
            continue
        if profile.code in seen:
            errors.append(f"{name}, field code: duplicate code (also profile {seen[profile.code]} of the file)")
            continue
        seen[profile.code] = n
        profiles.append(profile)
    if errors:
        raise ProfileFileError(errors)
    return profiles


def _name(entry, n: int) -> str:
    code = entry.get("code") if isinstance(entry, dict) else None
    return f"profile {code}" if isinstance(code, str) and code else f"profile #{n}"


def _message(name: str, error: dict) -> str:
    """One pydantic error as the analyst reads it: the profile, the field, the reason."""
    loc = [str(part) for part in error["loc"] if not isinstance(part, int)]
    field = ".".join(loc)
    if error["type"] == "extra_forbidden":
        known = (
            ", ".join(CONDITIONS)
            if loc[:1] == ["when"]
            else "code, title, severity, channel, valid_from, valid_until, when"
        )
        return f"{name}, field {field}: unknown {'condition' if loc[:1] == ['when'] else 'field'} (known: {known})"
    message = error["msg"].removeprefix("Value error, ")
    return f"{name}, field {field}: {message}" if field else f"{name}: {message}"


class ItemChannelPublic(BaseModel):
    """One customs item a batch stored: its selectivity channel and the profiles that gave it."""

    declaration_ref: str
    item_no: int
    version: int
    channel: Literal["RED", "YELLOW", "GREEN"]
    profiles: list[str]
    examination_id: int | None = Field(description="The examination a RED item opened")


class CustomsUploadPublic(UploadPublic):
    """The customs upload's report, with each stored item's channel (customs' own view)."""

    selectivity: list[ItemChannelPublic] = Field(default_factory=list, description="Per customs item stored")


class ProfilePublic(BaseModel):
    """A profile in force, as customs reads it, with its open findings."""

    code: str
    title: str
    severity: str
    channel: str
    valid_from: date | None
    valid_until: date | None
    when: dict
    open_hits: int = 0


_PROFILE = {
    "code": "RP-CWC-EMB", "title": "CWC precursors to embargoed destinations", "severity": "CRITICAL",
    "channel": "RED", "valid_from": "2026-01-01", "valid_until": None,
    "when": {"direction": "REMOVAL", "hs_prefixes": ["2812", "2920"], "destination_tiers": ["EMBARGOED"]},
    "open_hits": 3,
}  # fmt: skip


class ProfileVersionPublic(BaseModel):
    """The profiles in force: their version, who loaded them and when."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"version": 2, "filename": "profiles.yaml", "loaded_by": "analyst.rahman",
                                          "loaded_at": "2026-11-20T07:02:11Z", "profiles": [_PROFILE]}]}
    )  # fmt: skip

    version: int
    filename: str
    loaded_by: str
    loaded_at: datetime
    profiles: list[ProfilePublic]


class BacktestPublic(BaseModel):
    """What a profile file would raise on the stored customs items; nothing stored."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"counts": {"RP-CWC-EMB": 2}, "since": "2026-06-01",
                                          "examples": {"RP-CWC-EMB": ["26AE0004713/1", "26AE0005047/2"]}}]}
    )  # fmt: skip

    counts: dict[str, int]
    examples: dict[str, list[str]]
    since: date | None
