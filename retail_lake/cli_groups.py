"""The ``retail-lake orders`` and ``retail-lake contracts`` command groups."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.table import Table

from retail_lake.cli_support import fail, out, settings_from

orders_app = typer.Typer(help="The order-event channel, locally.", no_args_is_help=True)
contracts_app = typer.Typer(help="Dataset contracts.", no_args_is_help=True)


@orders_app.command("ingest")
def orders_ingest(
    file: Path = typer.Argument(..., exists=True, dir_okay=False, help="order batch JSON"),
    lake: str = typer.Option(...),
    max_orders: int | None = typer.Option(None, min=1, help="largest accepted batch"),
) -> None:
    """Validate an order batch, store good orders, dead-letter the bad ones."""
    from retail_lake.orders.local import ingest_file

    settings = settings_from(lake=lake)
    kwargs = {"max_orders": max_orders} if max_orders else {}
    summary = ingest_file(settings.lake, file, lineage=settings.lineage, **kwargs)
    out.print_json(data=summary.to_dict())
    if summary.batch_rejected:
        raise fail(f"{file}: batch rejected ({summary.batch_rejected}); it is in the dead letters")


@orders_app.command("redrive")
def orders_redrive(lake: str = typer.Option(...)) -> None:
    """Re-validate dead-lettered orders and store those that now pass."""
    settings = settings_from(lake=lake)
    if settings.on_s3:
        from retail_lake.orders import DynamoOrderWriter, SqsDeadLetters
        from retail_lake.orders.lineage import redrive_with_lineage, settings_order_lineage

        if not settings.orders_dlq_url:
            raise fail("set RETAIL_LAKE_ORDERS_DLQ_URL to redrive the SQS dead-letter queue", 2)
        outcome = redrive_with_lineage(
            SqsDeadLetters(settings.orders_dlq_url),
            DynamoOrderWriter(settings.orders_table),
            settings_order_lineage(settings),
        )
    else:
        from retail_lake.orders.local import redrive_local

        outcome = redrive_local(settings.lake, lineage=settings.lineage)
    out.print_json(data=json.loads(json.dumps(outcome, default=str)))


@orders_app.command("delete")
def orders_delete(order_id: str, lake: str = typer.Option(...)) -> None:
    """Delete an order from the local store (emits a REMOVE change)."""
    from retail_lake.orders.local import delete_order

    settings = settings_from(lake=lake)
    if not delete_order(settings.lake, order_id, lineage=settings.lineage):
        raise fail(f"no order {order_id!r}")


@contracts_app.command("publish")
def contracts_publish(lake: str = typer.Option(...)) -> None:
    """Publish the contracts (version + hash) to the metadata table / local tracker."""
    from retail_lake.contracts.publish import publish
    from retail_lake.tracker import open_tracker

    settings = settings_from(lake=lake)
    out.print(publish(open_tracker(settings)))


@contracts_app.command("show")
def contracts_show(name: str | None = typer.Argument(None)) -> None:
    """Print the contract of one dataset (or list them all)."""
    from retail_lake.contracts import contracts

    registry = contracts()
    names = [name] if name else sorted(registry.datasets)
    unknown = [n for n in names if n not in registry.datasets]
    if unknown:
        raise fail(f"no dataset {unknown[0]!r}; datasets: {', '.join(sorted(registry.datasets))}")
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
