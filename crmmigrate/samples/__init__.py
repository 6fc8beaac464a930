"""Realistic legacy exports with ground truth, for the quick start, tests and benchmarks.

    from crmmigrate.samples import generate
    made = generate(customers=1000, out_dir="demo", seed=7)
    made.rows  # {'salesforce': ..., 'webshop': ..., 'erp': ...}

Three kinds of system (a Salesforce Contact export, a web shop's customer table, a German ERP
export in latin-1) describe customers from 15 countries, with duplicates within and across
systems, households that are not duplicates, and `ground_truth.csv` naming the true customer
of every row.
"""

from __future__ import annotations

from .generate import FILES, GROUND_TRUTH, SampleSet, generate

__all__ = ["FILES", "GROUND_TRUTH", "SampleSet", "generate"]
