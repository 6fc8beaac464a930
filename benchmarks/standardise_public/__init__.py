"""One module per field for `bench_standardise_public.py`; each has `measure(data: Path) -> list[Result]`."""
