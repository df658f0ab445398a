"""`manage.py audit_suppression`: the LP audit of published consortium tables.

    python manage.py audit_suppression --file tables.json     # or --file - (stdin, the default)
    python manage.py audit_suppression --file tables.json --json
    python manage.py audit_suppression --consortium pkpa --year 2026   # what readers see

The input is one published table (network/reporting/tables.py), a list of them, or an object
with a "tables" list; or, with `--consortium`, every table the consortium's readers can get:
its publication (network/reporting/publication.py) of every indicator, year (or `--year`) and
standard, counted from the aggregate table as a request would. Each table is audited
independently of the suppression that produced it, then the tables of one indicator, year and
standard together (a reader combines the tables of a report: a total hidden in one may be shown
in another), and each stock with the flows that change it over a year and last year's stock
(`audit.audit_years`). The command fails (exit status 1) when any suppressed cell is narrowed
below the threshold or a table is malformed.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from typing import Any, TextIO

from django.core.management.base import BaseCommand, CommandError, CommandParser

from network.reporting.audit import AuditResult, audit_table, audit_tables, audit_years
from network.reporting.tables import TableError


def tables_from_json(text: str, origin: str) -> list[Any]:
    """The tables in a JSON document: one table, a list, or {"tables": [...]}."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise CommandError(f"{origin}: not JSON ({error})") from None
    if isinstance(data, dict) and "tables" in data:
        data = data["tables"]
    if isinstance(data, dict):
        return [data]
    if isinstance(data, list):
        return data
    raise CommandError(f"{origin}: expected a table, a list of tables or {{'tables': [...]}}")


class Command(BaseCommand):
    help = (
        "Audit published tables with linear programming: every suppressed cell must keep an "
        "interval of possible values at least the threshold wide."
    )

    # Tests pass `stdin=` to call_command instead of replacing sys.stdin.
    stealth_options = ("stdin",)

    def add_arguments(self, parser: CommandParser) -> None:
        source = parser.add_mutually_exclusive_group()
        source.add_argument(
            "--file",
            default="-",
            help="JSON file of published tables ('-' = standard input, the default)",
        )
        source.add_argument(
            "--consortium",
            help="audit the publication of this consortium (slug) instead of a file",
        )
        parser.add_argument("--year", type=int, help="with --consortium: one year only")
        parser.add_argument("--json", action="store_true", help="write the results as JSON")

    def handle(self, *args: Any, **options: Any) -> None:
        self.results: list[dict[str, Any]] = []
        self.balances: list[tuple[str, Callable[[Any], AuditResult]]] = []
        self.as_json = options["json"]
        by_indicator: dict[tuple[str, int, str, str], list[Any]] = {}
        for origin, table in self._sources(options):
            result = self._audit(origin, audit_table, table)
            if result is not None:
                # Tables of different years or standards count different children.
                period = str(table.get("period") or "")
                standard = str((table.get("fixed") or {}).get("standard") or "")
                key = (result.indicator, result.threshold, period, standard)
                by_indicator.setdefault(key, []).append(table)
        for (indicator, _, period, standard), tables in by_indicator.items():
            if len(tables) > 1:
                name = " ".join(part for part in (indicator, period, standard) if part)
                self._audit(f"{len(tables)} tables of {name} together", audit_tables, tables)
        for name, audit in self.balances:
            self._audit(name, audit, None)
        failed = any("error" in result or not result["ok"] for result in self.results)
        if self.as_json:
            self.stdout.write(json.dumps({"ok": not failed, "results": self.results}, indent=2))
        if failed:
            raise CommandError("the audit failed")
        if not self.as_json:
            self.stdout.write(self.style.SUCCESS(f"{len(self.results)} audit(s): no leak."))

    def _audit(
        self, origin: str, audit: Callable[[Any], AuditResult], tables: Any
    ) -> AuditResult | None:
        """Audit a table (or tables together), record and print the result."""
        try:
            result = audit(tables)
        except TableError as error:
            self.results.append({"table": origin, "error": str(error)})
            if not self.as_json:
                self.stderr.write(f"{origin}: {error}")
            return None
        self.results.append({"table": origin, **result.to_json()})
        if not self.as_json:
            self._report(origin, result)
        return result

    def _sources(self, options: dict[str, Any]) -> Iterator[tuple[str, Any]]:
        """(name, table) for every table to audit, from the chosen source."""
        if options.get("consortium"):
            yield from self._published(options["consortium"], options.get("year"))
            return
        path = options["file"]
        if path == "-":
            stream: TextIO = options.get("stdin") or sys.stdin
            text, name = stream.read(), "stdin"
        else:
            try:
                with open(path, encoding="utf-8") as handle:
                    text = handle.read()
            except OSError as error:
                raise CommandError(f"{path}: {error.strerror}") from None
            name = path
        for index, table in enumerate(tables_from_json(text, name)):
            indicator = table.get("indicator") if isinstance(table, dict) else None
            yield f"{name}#{index} {indicator or '?'}", table

    def _published(self, slug: str, year: int | None) -> Iterator[tuple[str, Any]]:
        from network.reporting import publication
        from network.reporting.indicators import INDICATORS
        from tenants.models import Consortium

        consortium = Consortium.objects.filter(slug=slug).first()
        if consortium is None:
            raise CommandError(f"no consortium {slug!r}")
        years = publication.years()
        if year is not None and year not in years:
            raise CommandError(f"{year} is not published: {', '.join(map(str, years))}")
        for period in [publication.Period(y) for y in ([year] if year else years)]:
            for code, indicator in INDICATORS.items():
                standards = publication.STANDARDS if "standard" in indicator.dimensions else ("",)
                for standard in standards:
                    published = publication.publication(
                        consortium=consortium,
                        indicator=code,
                        period=period,
                        standard=standard or "ilo",
                    )
                    name = " ".join(part for part in (code, period.code, standard) if part)
                    for grouping, table in published.tables.items():
                        yield f"{name} by {','.join(grouping)}", table
                    for (grouping, province), table in published.regions.items():
                        yield f"{name} by {','.join(grouping)} in {province}", table
            self.balances.extend(self._balances(consortium, period))

    def _balances(self, consortium: Any, period: Any) -> Iterator[tuple[str, Any]]:
        """(name, audit) of the balance of each stock over the year with its flows."""
        from network.reporting import publication
        from network.reporting.indicators import INDICATORS

        for code in INDICATORS:
            flows = [other for other in INDICATORS.values() if other.balances == code]
            if not flows:
                continue
            stock = {
                year.code: publication.publication(
                    consortium=consortium, indicator=code, period=year
                ).all()
                for year, _ in publication.balance_ends(period)
            }
            inflow, outflow = (
                publication.publication(
                    consortium=consortium, indicator=flow.code, period=period
                ).all()
                for flow in flows
            )

            def audit(
                _: Any, stock: Any = stock, inflow: Any = inflow, outflow: Any = outflow
            ) -> AuditResult:
                return audit_years(stock, inflow, outflow)

            name = f"balance of {code} over {period.code} ({', '.join(sorted(stock))})"
            yield name, audit

    def _report(self, origin: str, result: AuditResult) -> None:
        summary = f"{origin} by {', '.join(result.group_by)}: {len(result.intervals)} suppressed"
        if result.ok:
            self.stdout.write(f"{summary}, every interval at least {result.threshold} wide")
            return
        self.stdout.write(self.style.ERROR(f"{summary}, {len(result.leaks)} leak(s)"))
        for leak in result.leaks:
            cell = ", ".join(
                f"{name}={'all' if value is None else value}"
                for name, value in zip(result.group_by, leak.key, strict=True)
            )
            self.stdout.write(f"  {cell}: between {leak.lower:g} and {leak.upper:g}")
