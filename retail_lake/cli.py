"""The ``retail-lake`` command line (docs/design.md, Command line).

Each command parses its options, builds :class:`~retail_lake.config.Settings` in
the one place that does that, calls the library and turns failures into a short
message and a non-zero exit status. No business logic lives here.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import sys
from enum import StrEnum
from pathlib import Path

import typer
from rich.console import Console

try:  # typer releases that vendor click keep its exceptions here
    from typer._click.exceptions import ClickException, NoArgsIsHelpError, UsageError
except ImportError:  # pragma: no cover - typer on top of click
    from click.exceptions import ClickException, NoArgsIsHelpError, UsageError
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from retail_lake.config import PLATFORMS, SOURCES, ConfigError, Settings, build_settings

app = typer.Typer(
    help="retail-lake: nightly retail analytics on AWS Glue/EMR, runnable locally.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
orders_app = typer.Typer(help="The order-event channel, locally.", no_args_is_help=True)
contracts_app = typer.Typer(help="Dataset contracts.", no_args_is_help=True)
app.add_typer(orders_app, name="orders")
app.add_typer(contracts_app, name="contracts")

console = Console(stderr=True)
out = Console()

DEMO_START = dt.date(2026, 1, 5)


SourceChoice = StrEnum("SourceChoice", [(s, s) for s in SOURCES])
PlatformChoice = StrEnum("PlatformChoice", [(p, p) for p in PLATFORMS])
AwsPlatformChoice = StrEnum("AwsPlatformChoice", [(p, p) for p in PLATFORMS if p != "local"])
"""Options with a fixed set of values: typer lists the choices in ``--help`` and
refuses anything else with a one-line usage error."""


def _date(text: str, what: str = "date") -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise typer.BadParameter(f"{what} must be YYYY-MM-DD, got {text!r}") from None


def _fail(message: str, code: int = 1) -> typer.Exit:
    console.print(f"[bold red]error:[/] {message}", highlight=False, soft_wrap=True)
    return typer.Exit(code)


def _settings(**values: object) -> Settings:
    try:
        return build_settings(values)
    except ConfigError as exc:
        raise _fail(str(exc), 2) from None


def _progress() -> Progress:
    return Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total}"),
        TimeElapsedColumn(),
        console=console,
        transient=False,
    )


@app.callback()
def _main(verbose: bool = typer.Option(False, "--verbose", "-v", help="log every step")) -> None:
    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )


@app.command()
def generate(
    lake: Path = typer.Option(..., help="lake root to write landing/ into"),
    start_date: str = typer.Option(..., help="first business date, YYYY-MM-DD"),
    days: int = typer.Option(..., min=1, help="number of business dates"),
    stores: int = typer.Option(10, min=1),
    products: int = typer.Option(50, min=1),
    seed: int = typer.Option(42),
    anomaly_rate: float = typer.Option(0.0, min=0.0, max=0.5, help="share of bad rows to inject"),
    sales_per_day: int | None = typer.Option(None, min=1, help="sales rows per day"),
    to_mysql: str | None = typer.Option(None, help="also load mysql://user:pass@host:port/db"),
) -> None:
    """Generate consistent retail data (with anomalies and their manifest) into landing/."""
    from retail_lake.generator import generate as run_generator
    from retail_lake.generator import load_mysql

    start = _date(start_date, "--start-date")
    manifest = run_generator(
        lake,
        start,
        days,
        stores,
        products,
        seed,
        anomaly_rate,
        progress=True,
        sales_per_day=sales_per_day,
    )
    if to_mysql:
        dates = [start + dt.timedelta(days=i) for i in range(days)]
        loaded = load_mysql(lake, to_mysql, dates=dates, progress=True)
        console.print(f"loaded into MySQL: {loaded}")
    _print_totals(manifest)


def _print_totals(manifest) -> None:
    table = Table(title="generated")
    for column in ("dataset", "files", "rows", "expected in quarantine"):
        table.add_column(column, justify="right" if column != "dataset" else "left")
    for name, totals in sorted(manifest.totals.items()):
        table.add_row(
            name, str(totals.files), str(totals.rows), str(sum(totals.quarantined.values()))
        )
    out.print(table)


@app.command()
def run(
    lake: str = typer.Option(..., help="lake root: a directory or s3://bucket/prefix"),
    start_date: str = typer.Option(..., help="first business date"),
    end_date: str | None = typer.Option(None, help="last business date (default: start date)"),
    source: SourceChoice = typer.Option("files", help="landing/ CSV dumps, or MySQL/RDS"),
    platform: PlatformChoice = typer.Option("local", help="where the workflow runs"),
    jdbc_url: str | None = typer.Option(None, help="source database for --source mysql"),
    db_user: str | None = typer.Option(None),
) -> None:
    """Run the daily workflow for each business date in order (on AWS: one run for the range)."""
    from retail_lake.jobs.errors import StepError
    from retail_lake.pipeline import run_pipeline

    start = _date(start_date, "--start-date")
    end = _date(end_date, "--end-date") if end_date else None
    if end is not None and end < start:
        raise _fail(f"--end-date {end} is before --start-date {start}", 2)
    settings = _settings(
        lake=lake, source=source, platform=platform, jdbc_url=jdbc_url, db_user=db_user
    )
    if settings.platform != "local":
        from retail_lake.remote import start_remote_run

        try:
            run_id = start_remote_run(settings, start, end)
        except ConfigError as exc:
            raise _fail(str(exc), 2) from None
        out.print(f"started {run_id} for {start}..{end or start}")
        return
    try:
        _run_with_progress(settings, start, end, run_pipeline)
    except StepError as exc:
        raise _fail(str(exc)) from None


def _run_with_progress(settings: Settings, start: dt.date, end: dt.date | None, runner) -> None:
    from retail_lake.dates import date_range
    from retail_lake.workflow import daily

    workflow = daily()
    days = date_range(start, end)
    total = len(workflow.steps)
    with _progress() as progress:
        task = progress.add_task("daily workflow", total=total)

        def advance(step: str, label: str) -> None:
            progress.update(task, advance=1, description=f"{step} {label}")

        result = runner(settings, start, end, progress=advance)
    summary = Table(title=f"run {days[0]}..{days[-1]}")
    summary.add_column("step")
    summary.add_column("dates")
    summary.add_column("outcome")
    for step, label, outcome in result.steps:
        text = outcome.as_dict() if hasattr(outcome, "as_dict") else outcome
        summary.add_row(step, label, _short(text))
    out.print(summary)


def _short(value: object, limit: int = 110) -> str:
    text = json.dumps(value, default=str) if not isinstance(value, str) else value
    return text if len(text) <= limit else text[: limit - 1] + "…"


@app.command()
def check(
    lake: str = typer.Option(...),
    date: str = typer.Option(..., help="business date to check"),
    source: SourceChoice | None = typer.Option(
        None, help="with mysql only the franchise files are expected"
    ),
) -> None:
    """Completeness check: alert about missing files, or start the run for the date once."""
    from retail_lake.completeness import run_check, workflow_starter
    from retail_lake.contracts.publish import check_published
    from retail_lake.jobs.errors import StepError
    from retail_lake.pipeline import run_pipeline
    from retail_lake.tracker import open_tracker

    day = _date(date)
    settings = _settings(lake=lake, source=source)
    if settings.on_s3:
        import boto3

        session = boto3.Session(region_name=settings.region)
        starter = workflow_starter(settings, session)
        kwargs: dict[str, object] = {"boto3_session": session}
    else:

        def starter(business_date: dt.date) -> str:
            run_pipeline(settings, business_date)
            return f"local-{business_date.isoformat()}"

        # The local run happens inline, so a claim can never be abandoned mid-run.
        kwargs = {"claim_lease": None}
    try:
        check_published(open_tracker(settings, kwargs.get("boto3_session")))
        result = run_check(settings, day, starter, **kwargs)
    except StepError as exc:
        raise _fail(str(exc)) from None
    except Exception as exc:
        raise _fail(f"check {day}: {type(exc).__name__}: {exc}") from None
    out.print_json(data=result.to_dict())


@orders_app.command("ingest")
def orders_ingest(
    file: Path = typer.Argument(..., exists=True, dir_okay=False, help="order batch JSON"),
    lake: str = typer.Option(...),
    max_orders: int | None = typer.Option(None, min=1, help="largest accepted batch"),
) -> None:
    """Validate an order batch, store good orders, dead-letter the bad ones."""
    from retail_lake.orders.local import ingest_file

    settings = _settings(lake=lake)
    kwargs = {"max_orders": max_orders} if max_orders else {}
    summary = ingest_file(settings.lake, file, **kwargs)
    out.print_json(data=summary.to_dict())
    if summary.batch_rejected:
        raise _fail(f"{file}: batch rejected ({summary.batch_rejected}); it is in the dead letters")


@orders_app.command("redrive")
def orders_redrive(lake: str = typer.Option(...)) -> None:
    """Re-validate dead-lettered orders and store those that now pass."""
    settings = _settings(lake=lake)
    if settings.on_s3:
        from retail_lake.orders import DynamoOrderWriter, SqsDeadLetters, redrive

        if not settings.orders_dlq_url:
            raise _fail("set RETAIL_LAKE_ORDERS_DLQ_URL to redrive the SQS dead-letter queue", 2)
        outcome = redrive(
            SqsDeadLetters(settings.orders_dlq_url), DynamoOrderWriter(settings.orders_table)
        )
    else:
        from retail_lake.orders.local import redrive_local

        outcome = redrive_local(settings.lake)
    out.print_json(data=json.loads(json.dumps(outcome, default=str)))


@orders_app.command("delete")
def orders_delete(order_id: str, lake: str = typer.Option(...)) -> None:
    """Delete an order from the local store (emits a REMOVE change)."""
    from retail_lake.orders.local import delete_order

    settings = _settings(lake=lake)
    if not delete_order(settings.lake, order_id):
        raise _fail(f"no order {order_id!r}")


@app.command()
def query(
    sql: str = typer.Argument(..., help="Athena SQL"),
    lake: str = typer.Option(...),
    athena: bool = typer.Option(False, "--athena", help="send it to Athena instead of DuckDB"),
) -> None:
    """Run Athena SQL against the lake (DuckDB locally) and print a table."""
    from retail_lake.query import QueryError, open_query, print_query

    settings = _settings(lake=lake, query="aws" if athena else None)
    try:
        print_query(open_query(settings), sql)
    except QueryError as exc:
        raise _fail(str(exc)) from None


@app.command()
def report(
    lake: str = typer.Option(...),
    out_path: Path = typer.Option(Path("report.html"), "--out", help="HTML file to write"),
) -> None:
    """Charts of the curated tables in one self-contained HTML page."""
    from retail_lake.report import write_report

    settings = _settings(lake=lake)
    write_report(settings, out_path)
    out.print(f"wrote {out_path}")


@app.command()
def deploy(
    stack: str = typer.Option(..., help="CloudFormation stack name"),
    bucket: str = typer.Option(..., help="artifacts bucket"),
    platform: AwsPlatformChoice = typer.Option("glue", help="where the jobs run"),
    wheel: Path | None = typer.Option(
        None,
        dir_okay=False,
        help="the library wheel to upload (default: build it from the source checkout)",
    ),
    param: list[str] = typer.Option([], help="stack parameter KEY=VALUE (repeatable)"),
) -> None:
    """Build the wheel, upload scripts and artifacts, create or update the stack."""
    from retail_lake.artifacts import parse_parameters
    from retail_lake.deploy import DeployError
    from retail_lake.deploy import deploy as run_deploy

    if platform not in ("glue", "emr"):
        raise _fail("--platform must be glue or emr", 2)
    try:
        parameters = parse_parameters(param)
        result = run_deploy(stack, bucket, platform, wheel=wheel, parameters=parameters)
    except DeployError as exc:
        raise _fail(f"deploy {stack}: {exc}") from None
    out.print(f"{result.action} {stack}: artifacts in s3://{bucket}/{result.prefix}")
    out.print(f"contracts {result.contracts_version or '-'}: {result.contracts}")
    out.print_json(data=result.outputs)


@contracts_app.command("publish")
def contracts_publish(lake: str = typer.Option(...)) -> None:
    """Publish the contracts (version + hash) to the metadata table / local tracker."""
    from retail_lake.contracts.publish import publish
    from retail_lake.tracker import open_tracker

    settings = _settings(lake=lake)
    out.print(publish(open_tracker(settings)))


@contracts_app.command("show")
def contracts_show(name: str | None = typer.Argument(None)) -> None:
    """Print the contract of one dataset (or list them all)."""
    from retail_lake.contracts import contracts

    registry = contracts()
    names = [name] if name else sorted(registry.datasets)
    unknown = [n for n in names if n not in registry.datasets]
    if unknown:
        raise _fail(f"no dataset {unknown[0]!r}; datasets: {', '.join(sorted(registry.datasets))}")
    for dataset_name in names:
        ds = registry[dataset_name]
        table = Table(title=f"{ds.name} ({ds.zone}, key {', '.join(ds.key)})")
        table.add_column("column")
        table.add_column("type")
        table.add_column("rules")
        for column in ds.columns:
            rules = [
                rule
                for rule, present in (
                    ("required", column.name in ds.required),
                    ("non-negative", column.name in ds.non_negative),
                    ("flag", column.name in ds.flags),
                )
                if present
            ]
            table.add_row(column.name, str(column.type), ", ".join(rules))
        out.print(table)


@app.command()
def demo(
    lake: Path = typer.Option(Path("lake"), help="where to build the demo lake"),
    days: int = typer.Option(21, min=7, help="business dates to generate and run"),
    stores: int = typer.Option(6, min=1),
    products: int = typer.Option(20, min=1),
) -> None:
    """All-in-one local run: generate, load a throwaway MariaDB, read it back, run, summarise."""
    from retail_lake.demo import run_demo

    try:
        run_demo(lake, DEMO_START, days, stores, products, console=out, progress=_progress)
    except Exception as exc:
        raise _fail(f"demo: {exc}") from exc


def main() -> None:
    """The ``retail-lake`` entry point: a user's mistake on the command line (a missing
    option, a value not among the choices) is one line on stderr and exit status 2."""
    try:
        outcome = app(standalone_mode=False)
    except NoArgsIsHelpError as exc:  # a bare command: show what it can do
        print(exc.ctx.get_help() if exc.ctx else "see retail-lake --help")
        sys.exit(2)
    except UsageError as exc:
        command = exc.ctx.command_path if exc.ctx else "retail-lake"
        print(f"{command}: error: {exc.format_message()} (see --help)", file=sys.stderr)
        sys.exit(exc.exit_code)
    except ClickException as exc:
        print(f"retail-lake: error: {exc.format_message()}", file=sys.stderr)
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        sys.exit(130)
    sys.exit(outcome if isinstance(outcome, int) else 0)


if __name__ == "__main__":
    main()
