"""The run configuration (`crmmigrate.yml`): one typed object, validated completely before any
work starts, reporting every problem at once with the nearest valid key for a typo.

Input paths in the file (sources, mappings, rules, decisions) are relative to the file itself;
outputs (`out`, a SQLite store) are relative to the directory the command runs in.
"""

from __future__ import annotations

import difflib
import hashlib
import os
import re
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from .cleanse.options import StandardiseOptions
from .dedupe.settings import DedupeSettings, SurvivorshipSettings
from .errors import ConfigError
from .mappings.spec import MappingSpec
from .spark.settings import SparkSettings

STORE_ENV = "CRMMIGRATE_STORE_URL"
DEFAULT_STORE = "sqlite:///crm.db"
DEFAULT_CONFIG = "crmmigrate.yml"

Format = Literal["csv", "tsv", "txt", "xlsx", "json", "ndjson", "parquet", "sql"]
#: Where the stages run: in this Python process (pandas), or as Spark jobs.
Engine = Literal["pandas", "spark"]
ENGINES: tuple[str, ...] = ("pandas", "spark")


def _reject_limit(value: int | str | None) -> int | str | None:
    """`max_rejects`: a number of rows (`50`) or a share of the rows read (`"2%"`)."""
    if value is None or isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return value
    if isinstance(value, str):
        text = value.strip()
        number = text[:-1].strip() if text.endswith("%") else text
        try:
            share = float(number)
        except ValueError:
            share = -1.0
        if text.endswith("%") and 0 <= share <= 100:
            return text
        if not text.endswith("%") and number.isdigit():
            return int(number)
    raise ValueError(f"must be a number of rows (50) or a percentage of the rows read ('2%'), not {value!r}")


def rejects_exceed(limit: int | str | None, rejected: int, read: int) -> bool:
    """True when `rejected` of `read` rows is more than `limit` (see `_reject_limit`) allows."""
    if limit is None:
        return False
    if isinstance(limit, str):
        return read > 0 and rejected / read * 100 > float(limit.rstrip("% "))
    return rejected > limit


#: A store's schema and table prefix: lower-case letters, digits and _, from a letter; names that
#: need no quoting and mean the same on PostgreSQL, on MariaDB/MySQL on any OS, and on SQLite.
STORE_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
MAX_SCHEMA_LENGTH = 63  # PostgreSQL's limit (MariaDB/MySQL: 64)
MAX_PREFIX_LENGTH = 20  # index names (ix_<prefix>customer_sources_last_run_id) stay within 63


def _store_name(value: str | None, what: str, limit: int, example: str) -> str | None:
    if value is None or value == "" and what == "table_prefix":
        return value
    if not STORE_NAME.match(value) or len(value) > limit:
        raise ValueError(
            f"{what} must be lower-case letters, digits and _, starting with a letter, at most "
            f"{limit} characters (e.g. {example}), not {value!r}"
        )
    return value


class StoreConfig(BaseModel):
    """Where the store is: its URL, and optionally a schema (a PostgreSQL schema, a MariaDB/MySQL
    database; created when missing) and a prefix for every table name (`crm_customers`)."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    url: str | None = None  # else $CRMMIGRATE_STORE_URL, else sqlite:///crm.db
    schema_name: str | None = Field(default=None, alias="schema")
    table_prefix: str = ""

    @field_validator("schema_name")
    @classmethod
    def _schema(cls, v: str | None) -> str | None:
        return _store_name(v, "schema", MAX_SCHEMA_LENGTH, "crm")

    @field_validator("table_prefix")
    @classmethod
    def _prefix(cls, v: str) -> str:
        return _store_name(v, "table_prefix", MAX_PREFIX_LENGTH, "crm_") or ""

    def overridden(
        self, url: str | None = None, schema: str | None = None, table_prefix: str | None = None
    ) -> StoreConfig:
        """The same with the command line's --store, --schema and --table-prefix (where given);
        a bad name is a ConfigError naming the option."""
        given = {"url": url, "schema_name": schema, "table_prefix": table_prefix}
        try:
            return StoreConfig.model_validate(
                {**self.model_dump(), **{k: v for k, v in given.items() if v is not None}}
            )
        except ValidationError as exc:
            flags = {"schema_name": "--schema", "table_prefix": "--table-prefix", "url": "--store"}
            problems = [
                f"{flags.get(str(e['loc'][0]), e['loc'][0])}: {e['msg'].removeprefix('Value error, ')}"
                for e in exc.errors()
            ]
            raise ConfigError("; ".join(problems), hint="see `crmmigrate COMMAND --help`") from None

    def resolved(self) -> StoreConfig:
        """The same, with the URL from $CRMMIGRATE_STORE_URL or the default when it has none."""
        return (
            self if self.url else self.model_copy(update={"url": os.environ.get(STORE_ENV) or DEFAULT_STORE})
        )


class SourceConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str
    path: str
    format: Format | None = None  # from the extension (or the URL) when absent
    delimiter: str | None = None  # sniffed when absent
    encoding: str | None = None  # detected when absent
    sheet: str | int | None = None  # Excel: name or 0-based index; the first by default
    header_row: int | None = Field(default=None, ge=1)  # CSV line / Excel row of the header (1 = first)
    table: str | None = None  # SQL sources
    query: str | None = None  # SQL sources
    mapping: str | MappingSpec  # built-in template name, a path to a YAML file, or inline
    max_rejects: int | str | None = None  # more rejected rows than this fails the run before loading

    @field_validator("max_rejects", mode="before")
    @classmethod
    def _limit(cls, v: int | str | None) -> int | str | None:
        return _reject_limit(v)

    @field_validator("name")
    @classmethod
    def _name_is_simple(cls, v: str) -> str:
        if not v or not v.strip():
            raise ValueError("must not be empty")
        return v.strip()


class RunConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    sources: list[SourceConfig] = Field(default_factory=list)
    standardise: StandardiseOptions = Field(default_factory=StandardiseOptions)
    dedupe: DedupeSettings = Field(default_factory=DedupeSettings)
    survivorship: SurvivorshipSettings = Field(default_factory=SurvivorshipSettings)
    rules: list[str] = Field(default_factory=lambda: ["golden"])
    store: StoreConfig | None = None  # a URL, or {url, schema, table_prefix}
    out: str = "out"
    sample: str | int | None = None  # a pilot run: `500` rows or `5%`, stratified by source and country
    max_rejects: int | str | None = None  # over all sources; each source may set its own too
    engine: Engine = "pandas"  # spark: the stages run as Spark jobs (pip install "crmmigrate[spark]")
    spark: SparkSettings = Field(default_factory=SparkSettings)  # master, app_name, conf

    @field_validator("max_rejects", mode="before")
    @classmethod
    def _limit(cls, v: int | str | None) -> int | str | None:
        return _reject_limit(v)

    @field_validator("store", mode="before")
    @classmethod
    def _store_url(cls, v: object) -> object:
        return {"url": v} if isinstance(v, str) else v

    @field_validator("engine", mode="before")
    @classmethod
    def _known_engine(cls, v: object) -> object:
        if isinstance(v, str) and v not in ENGINES:
            near = difflib.get_close_matches(v, ENGINES, n=1, cutoff=0.5)
            hint = f" (did you mean {near[0]!r}?)" if near else ""
            raise ValueError(f"unknown engine {v!r}{hint}; one of: {', '.join(ENGINES)}")
        return v

    #: Directory of the config file; input paths are resolved against it. Not a YAML key.
    base_dir: Path = Field(default_factory=Path.cwd, exclude=True)
    #: sha256 of the config file's text (recorded in the run ledger). Not a YAML key.
    config_hash: str = Field(default="", exclude=True)

    @field_validator("sources")
    @classmethod
    def _unique_names(cls, v: list[SourceConfig]) -> list[SourceConfig]:
        seen: set[str] = set()
        for s in v:
            if s.name in seen:
                raise ValueError(f"source name {s.name!r} is used twice; names must be unique")
            seen.add(s.name)
        return v

    def resolve(self, path: str) -> Path:
        """An input path from the config, relative to the config file's directory."""
        p = Path(os.path.expanduser(path))
        return p if p.is_absolute() else self.base_dir / p

    def store_config(self) -> StoreConfig:
        """Where the store is: the config's URL, else $CRMMIGRATE_STORE_URL, else a SQLite file
        here; with the config's schema and table prefix."""
        store = StoreConfig(url=self.store) if isinstance(self.store, str) else self.store  # set as text
        return (store or StoreConfig()).resolved()

    def store_url(self) -> str:
        """The store URL: the config's, else $CRMMIGRATE_STORE_URL, else a SQLite file here."""
        return str(self.store_config().url)

    def source_path(self, source: SourceConfig) -> str:
        """A source's path resolved, leaving SQLAlchemy and file-system URLs untouched."""
        from .extract.files import is_remote

        if "://" in source.path or is_remote(source.path):
            return source.path
        return str(self.resolve(source.path))


def _known_keys(model: type[BaseModel]) -> list[str]:
    return [f.alias or name for name, f in model.model_fields.items() if not f.exclude]


def _model_at(loc: tuple[Any, ...]) -> type[BaseModel] | None:
    """The pydantic model that owns the key at `loc` (for nearest-key suggestions)."""
    model: Any = RunConfig
    for part in loc[:-1]:
        if isinstance(part, int):
            continue
        field = model.model_fields.get(part) if hasattr(model, "model_fields") else None
        if field is None:
            return None
        ann = field.annotation
        candidates = [ann, *getattr(ann, "__args__", ())]
        for c in candidates:
            for inner in (c, *getattr(c, "__args__", ())):
                if isinstance(inner, type) and issubclass(inner, BaseModel):
                    model = inner
                    break
            else:
                continue
            break
        else:
            return None
    return model


def _describe(err: dict[str, Any]) -> str:
    loc = err["loc"]
    where = ".".join(str(p) if not isinstance(p, int) else f"[{p}]" for p in loc).replace(".[", "[")
    if err["type"] == "extra_forbidden":
        key = str(loc[-1])
        model = _model_at(loc)
        near = difflib.get_close_matches(key, _known_keys(model), n=1, cutoff=0.5) if model else []
        hint = f" (did you mean {near[0]!r}?)" if near else ""
        return f"{where}: unknown key{hint}"
    return f"{where}: {err['msg'].removeprefix('Value error, ')}"


def parse_config(data: Any, *, base_dir: Path | None = None, text: str = "", file: str = "") -> RunConfig:
    """Validate a config given as a mapping; every problem is reported in one ConfigError."""
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError("the config must be a mapping of keys to values", file=file or None)
    try:
        config = RunConfig.model_validate(data)
    except ValidationError as exc:
        problems = sorted({_describe(e) for e in exc.errors()})
        raise ConfigError(
            "invalid configuration:\n  " + "\n  ".join(problems),
            file=file or None,
            hint="see the config reference in the README",
        ) from None
    config.base_dir = base_dir or Path.cwd()
    config.config_hash = hashlib.sha256(text.encode("utf-8")).hexdigest()
    _check_dedupe_names(config, file)
    return config


def _check_dedupe_names(config: RunConfig, file: str) -> None:
    """Every field, comparison and level the dedupe and survivorship settings name exists: checked
    before any stage runs. Custom column names come from the sources' mappings; while a mapping
    cannot be read (its own error comes when the sources are checked), its custom names are not
    judged."""
    from .dedupe.settings import name_problems, survivorship_problems
    from .errors import CrmMigrateError
    from .mappings import resolve_mapping
    from .schema import FIELDS

    settings = config.dedupe
    if not (settings.compare or settings.blocking or settings.levels or config.survivorship.fields):
        return
    custom: set[str] = set()
    readable = True
    for source in config.sources:
        try:
            spec = resolve_mapping(source, config)
        except CrmMigrateError:
            readable = False
            continue
        custom |= {c for c in spec.columns if c not in FIELDS} | set(spec.keep)
    problems = name_problems(settings, custom) + survivorship_problems(config.survivorship, custom)
    if not readable or not config.sources:  # any name may be a custom column: judge levels only
        problems = [p for p in problems if "unknown level" in p]
    if problems:
        raise ConfigError(
            "invalid dedupe or survivorship settings:\n  " + "\n  ".join(problems),
            file=file or None,
            hint="name canonical fields, or custom columns your mappings declare (keep: or columns:)",
        )


#: A config expands to far fewer values than this; more means YAML aliases nested to blow up memory.
MAX_EXPANDED_NODES = 100_000


def _expanded_size(node: yaml.Node, memo: dict[int, int]) -> int:
    """How many values `node` becomes once aliases are expanded, counted without expanding them."""
    key = id(node)
    if key not in memo:
        memo[key] = 1  # guards against cycles
        if isinstance(node, yaml.SequenceNode):
            memo[key] = 1 + sum(_expanded_size(child, memo) for child in node.value)
        elif isinstance(node, yaml.MappingNode):
            memo[key] = 1 + sum(_expanded_size(k, memo) + _expanded_size(v, memo) for k, v in node.value)
    return memo[key]


def _safe_yaml(text: str, file: str) -> Any:
    """yaml.safe_load, refusing documents whose aliases expand to an absurd size."""
    node = yaml.compose(text, Loader=yaml.SafeLoader)
    if node is not None and _expanded_size(node, {}) > MAX_EXPANDED_NODES:
        raise ConfigError(
            f"the config expands to more than {MAX_EXPANDED_NODES:,} values through YAML aliases",
            file=file,
            hint="a run config needs no deeply nested aliases (&name / *name)",
        )
    return yaml.safe_load(text)


def load_config(path: str | Path) -> RunConfig:
    """Read and validate a YAML config file."""
    path = Path(path)
    if not path.exists():
        raise ConfigError(
            "config file not found",
            file=str(path),
            hint=f"pass the path of your config, or create {DEFAULT_CONFIG} (see samples/crmmigrate.yml)",
        )
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ConfigError("the config is not UTF-8 text", file=str(path)) from exc
    try:
        data = _safe_yaml(text, str(path))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        row = mark.line + 1 if mark is not None else None
        problem = getattr(exc, "problem", None) or str(exc)
        raise ConfigError(f"YAML syntax error: {problem}", file=str(path), row=row) from None
    return parse_config(data, base_dir=path.resolve().parent, text=text, file=str(path))
