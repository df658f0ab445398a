"""How much small-cell suppression hides on tables like a consortium's, and how long it takes.

Pure Python (network/reporting: suppression and its HiGHS audit): no database, no Django.

1. Draws a synthetic population of N children (`--children`, several sizes allowed) whose
   attributes follow proportions like a consortium's case load: more boys than girls, most
   children 12-17, two or three provinces holding most cases and a long tail of regencies,
   agriculture and home industry the big sectors, most children in child labour or hazardous
   work under the ILO rules, registrations spread over twelve months. Every dimension lists all
   its values, zeros included (as `network.reporting.publish.table_publish` does); provinces and
   regencies list the ones present.
2. Counts the children of each of the tables below (1 to 3 dimensions, every margin and the
   grand total), suppresses them with the threshold (`--threshold`, default 5) and audits each
   with the LP audit.
3. Prints per table and population size, averaged over `--repeats` populations (default 5): the
   cells, the share that are small (1..k-1, primary suppression), the share suppressed in all
   (primary and complementary), how many complementary cells were inner cells and how many
   totals, whether the grand total was ever hidden, the suppression and audit times, and
   whether the audit found a leak (it must not).
4. A report page (tables of one indicator shown together, REPORT): the share suppressed when
   each table is suppressed alone and when they are suppressed together (`suppress_linked`),
   and what the joint audit of the page finds in each case. Figures only, no asserts.

    .venv/bin/python bench/suppression.py
    .venv/bin/python bench/suppression.py --children 300 1500 5000 --threshold 5 --repeats 5
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from network.reporting.audit import audit_table, audit_tables  # noqa: E402
from network.reporting.suppression import suppress, suppress_linked  # noqa: E402
from network.reporting.tables import margins_fill, published_parse  # noqa: E402

WEIGHTS: dict[str, dict[str, float]] = {
    "sex": {"female": 0.42, "male": 0.58},
    "age_band": {"5_11": 0.24, "12_14": 0.34, "15_17": 0.36, "other": 0.04, "unknown": 0.02},
    "sector": {
        "agriculture": 0.30,
        "fishing": 0.07,
        "mining": 0.03,
        "manufacturing": 0.16,
        "construction": 0.05,
        "domestic_work": 0.10,
        "street_work": 0.12,
        "trade_services": 0.10,
        "other": 0.03,
        "not_working": 0.02,
        "unknown": 0.02,
    },
    "status_ilo": {
        "none": 0.15,
        "child_labour": 0.45,
        "hazardous": 0.32,
        "worst_form": 0.05,
        "unknown": 0.03,
    },
    "risk_level": {"low": 0.20, "medium": 0.40, "high": 0.30, "urgent": 0.07, "unknown": 0.03},
    "case_type": {"child_labour": 0.8, "prevention": 0.2},
    "month": {f"2026-{month:02d}": 1 / 12 for month in range(1, 13)},
}
# Provinces and, in each, regencies with Zipf-like weights (Kemendagri-style codes).
PROVINCES = {"33": (0.50, 8), "35": (0.25, 6), "32": (0.15, 5), "52": (0.10, 3)}

TABLES = [
    ("sex",),
    ("age_band",),
    ("sector",),
    ("province",),
    ("regency",),
    ("month",),
    ("sex", "age_band"),
    ("sex", "sector"),
    ("age_band", "status_ilo"),
    ("province", "sector"),
    ("regency", "sex"),
    ("month", "case_type"),
    ("sex", "age_band", "status_ilo"),
    ("province", "age_band", "sex"),
    ("sector", "age_band", "risk_level"),
]


def population(size: int, rng: random.Random) -> list[dict[str, str]]:
    regencies = {
        province: [f"{province}.{index + 1:02d}" for index in range(count)]
        for province, (_, count) in PROVINCES.items()
    }
    children = []
    for _ in range(size):
        child = {
            name: rng.choices(list(weights), weights=list(weights.values()))[0]
            for name, weights in WEIGHTS.items()
        }
        province = rng.choices(list(PROVINCES), weights=[w for w, _ in PROVINCES.values()])[0]
        codes = regencies[province]
        regency = rng.choices(codes, weights=[1 / (rank + 1) for rank in range(len(codes))])[0]
        children.append({**child, "province": province, "regency": regency})
    return children


def categories(children: list[dict[str, str]], group_by: tuple[str, ...]) -> list[list[str]]:
    lists = []
    for name in group_by:
        if name in WEIGHTS:
            lists.append(list(WEIGHTS[name]))
        else:
            lists.append(sorted({child[name] for child in children}))
    return lists


def measure(children: list[dict[str, str]], group_by: tuple[str, ...], threshold: int) -> dict:
    counts = Counter(tuple(child[name] for name in group_by) for child in children)
    started = time.perf_counter()
    table = suppress(
        dict(counts),
        indicator="children_identified",
        group_by=group_by,
        categories=categories(children, group_by),
        threshold=threshold,
    )
    suppressed_at = time.perf_counter()
    result = audit_table(table)
    audited_at = time.perf_counter()
    cells = table["cells"]
    true_values = margins_fill(published_parse(table).shape, dict(counts))
    small = 0
    hidden = {"inner": 0, "total": 0}
    for cell in cells:
        key = tuple(cell[name] for name in group_by)
        if 0 < true_values[key] < threshold:
            small += 1
        elif cell["suppressed"]:
            hidden["total" if None in key else "inner"] += 1
    grand = cells[-1]["suppressed"]
    return {
        "cells": len(cells),
        "small": small,
        "suppressed": sum(cell["suppressed"] for cell in cells),
        "secondary_inner": hidden["inner"],
        "secondary_total": hidden["total"],
        "grand_total_hidden": grand,
        "suppress_s": suppressed_at - started,
        "audit_s": audited_at - suppressed_at,
        "leaks": len(result.leaks),
    }


# A report page: tables of one indicator shown together, suppressed as a set.
REPORT = [
    ("sex",),
    ("age_band",),
    ("sex", "age_band"),
    ("sector",),
    ("sex", "sector"),
    ("province",),
]


def measure_report(children: list[dict[str, str]], threshold: int) -> dict:
    tables = [
        (list(group_by), dict(Counter(tuple(c[name] for name in group_by) for c in children)))
        for group_by in REPORT
    ]
    lists = {name: categories(children, (name,))[0] for group_by in REPORT for name in group_by}
    started = time.perf_counter()
    alone = [
        suppress(
            counts, indicator="x", group_by=g, categories=[lists[n] for n in g], threshold=threshold
        )
        for g, counts in tables
    ]
    together = suppress_linked(tables, indicator="x", threshold=threshold, categories=lists)
    suppressed_at = time.perf_counter()
    joint_alone, joint_together = audit_tables(alone), audit_tables(together)
    cells = sum(len(table["cells"]) for table in together)
    return {
        "cells": cells,
        "alone": sum(c["suppressed"] for t in alone for c in t["cells"]) / cells,
        "together": sum(c["suppressed"] for t in together for c in t["cells"]) / cells,
        "alone_leaks": len(joint_alone.leaks),
        "together_leaks": len(joint_together.leaks),
        "seconds": suppressed_at - started,
        "audit_seconds": time.perf_counter() - suppressed_at,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--children", type=int, nargs="+", default=[300, 1500, 5000])
    parser.add_argument("--threshold", type=int, default=5)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--seed", type=int, default=2026)
    options = parser.parse_args()
    rng = random.Random(options.seed)
    summary = []
    for size in options.children:
        runs = [population(size, rng) for _ in range(options.repeats)]
        print(f"\n## {size} children, k = {options.threshold}, {options.repeats} populations")
        print(
            "| table | cells | small | suppressed | complementary inner / totals "
            "| grand total hidden | suppress ms | audit ms | leaks |"
        )
        print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
        all_cells = all_suppressed = all_small = 0
        for group_by in TABLES:
            figures = [measure(children, group_by, options.threshold) for children in runs]
            cells = figures[0]["cells"]
            mean = {
                name: statistics.fmean(f[name] for f in figures)
                for name in ("small", "suppressed", "secondary_inner", "secondary_total")
            }
            all_cells += sum(f["cells"] for f in figures)
            all_suppressed += sum(f["suppressed"] for f in figures)
            all_small += sum(f["small"] for f in figures)
            print(
                f"| {' x '.join(group_by)} | {cells} "
                f"| {mean['small'] / cells:.0%} | {mean['suppressed'] / cells:.0%} "
                f"| {mean['secondary_inner']:.1f} / {mean['secondary_total']:.1f} "
                f"| {sum(f['grand_total_hidden'] for f in figures)} of {len(figures)} "
                f"| {statistics.median(f['suppress_s'] for f in figures) * 1000:.1f} "
                f"| {statistics.median(f['audit_s'] for f in figures) * 1000:.1f} "
                f"| {sum(f['leaks'] for f in figures)} |"
            )
        report = [measure_report(children, options.threshold) for children in runs]
        print(
            f"\nreport page ({' ; '.join(' x '.join(g) for g in REPORT)}), "
            f"{report[0]['cells']} cells: suppressed one table at a time "
            f"{statistics.fmean(r['alone'] for r in report):.0%} "
            f"(joint audit: {sum(r['alone_leaks'] for r in report)} leaks), together "
            f"{statistics.fmean(r['together'] for r in report):.0%} "
            f"(joint audit: {sum(r['together_leaks'] for r in report)} leaks); "
            f"suppression {statistics.median(r['seconds'] for r in report) * 1000:.0f} ms, "
            f"joint audits {statistics.median(r['audit_seconds'] for r in report) * 1000:.0f} ms"
        )
        share = all_suppressed / all_cells
        summary.append(
            f"children={size} cells={all_cells} small_share={all_small / all_cells:.3f} "
            f"suppressed_share={share:.3f}"
        )
    print()
    for line in summary:
        print(line)


if __name__ == "__main__":
    main()
