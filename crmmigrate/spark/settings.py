"""Settings of the Spark engine (`spark:` in the config); no PySpark needed to read them."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, field_validator

#: Every core of this machine; a cluster's master URL (spark://, yarn, k8s://) to scale out.
DEFAULT_MASTER = "local[*]"


class SparkSettings(BaseModel):
    """Where Spark runs and any Spark conf (`spark.executor.memory: 8g`), passed as given."""

    model_config = ConfigDict(extra="forbid")

    master: str = DEFAULT_MASTER
    app_name: str = "crmmigrate"
    conf: dict[str, str] = Field(default_factory=dict)
    #: Rows per Spark task in standardise and in the comparisons of dedupe.
    partition_rows: int = Field(50_000, ge=100)

    @field_validator("conf", mode="before")
    @classmethod
    def _conf_as_text(cls, value: object) -> object:
        """Spark conf values are text; YAML numbers and booleans are written as Spark reads them."""
        if not isinstance(value, dict):
            return value
        out = {}
        for key, item in value.items():
            if not str(key).startswith("spark."):
                raise ValueError(f"{key!r} is not a Spark conf key (they start with 'spark.')")
            out[str(key)] = str(item).lower() if isinstance(item, bool) else str(item)
        return out
