"""The fast path for inserting many rows (check-off files, batches, demo history).

`QuerySet.bulk_create` builds a model instance and compiles every value of every row through the SQL compiler;
for tens of thousands of journal lines that costs more than the database work. `rows_insert` prepares each value
once with the field's own `get_db_prep_save` and sends one `executemany` per batch. It runs no `save()`, no
signals and no model validation, so it is only for rows a service has already validated. On PostgreSQL the
rows go by COPY; elsewhere by multi-row INSERT statements.
"""

import datetime
import uuid
from decimal import Decimal
from operator import itemgetter
from typing import NamedTuple

from django.db import DEFAULT_DB_ALIAS, connections
from django.utils import timezone

PLAIN = {
    "CharField",
    "TextField",
    "BooleanField",
    "IntegerField",
    "BigIntegerField",
    "PositiveIntegerField",
    "PositiveSmallIntegerField",
    "SmallIntegerField",
    "AutoField",
    "BigAutoField",
}


def _adapter(field, connection):
    """The cheapest correct conversion of a Python value to what the driver expects, per field type (None: the value
    as it is); anything unusual goes through the field's own get_db_prep_save."""
    target = field.target_field if field.is_relation else field
    kind = target.get_internal_type()
    ops = connection.ops
    postgres = connection.vendor == "postgresql"
    if kind in PLAIN:
        return None
    if kind == "UUIDField":
        if connection.features.has_native_uuid_field:
            return None
        return lambda v: None if v is None else (v if isinstance(v, uuid.UUID) else uuid.UUID(str(v))).hex
    if kind == "DecimalField":
        if postgres:
            # psycopg sends a Decimal as it is and numeric(p, s) rounds it to its scale on input, which is what
            # format_number did, at a few microseconds a value (100,000-row check-off files: ~a million values).
            return None
        return lambda v: ops.adapt_decimalfield_value(v, target.max_digits, target.decimal_places)
    if kind == "DateField":
        return None if postgres else ops.adapt_datefield_value
    if kind == "DateTimeField":
        return None if postgres else ops.adapt_datetimefield_value
    return lambda v: field.get_db_prep_save(v, connection)


def _written_fields(model) -> list:
    """The columns a bulk insert writes: every concrete field but an auto-increment primary key."""
    return [
        f
        for f in model._meta.concrete_fields
        if not (f.primary_key and f.get_internal_type() in {"AutoField", "BigAutoField", "SmallAutoField"})
    ]


def _filler(fields: list, now):
    """The function that completes a row dict: defaults once ({**defaults, **row}), callable defaults (uuid4) for
    what it lacks, "now" for auto_now fields it leaves empty. "" for a blank text field without a default, None
    otherwise. Returns the values in `fields` order, as Python values."""
    stamped = {f.attname for f in fields if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False)}
    defaults, per_row = {}, []
    for f in fields:
        if f.attname in stamped:
            defaults[f.attname] = now
        elif f.has_default() and callable(f.default):
            defaults[f.attname] = None
            per_row.append((f.attname, f.get_default))
        else:
            defaults[f.attname] = f.get_default()
    attnames = [f.attname for f in fields]

    def full(row) -> dict:
        filled = {**defaults, **row}
        for attname, make in per_row:
            if attname not in row:
                filled[attname] = make()
        for attname in stamped:
            if not filled[attname]:
                filled[attname] = now
        return filled

    return attnames, full


# COPY's text format (PostgreSQL): tab between columns, \N for NULL, backslash escapes in text.
ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def copy_text(value) -> str:
    """One value in COPY's text format. Only the types the bulk writers pass (text, numbers, Decimal, UUID, dates,
    aware datetimes, booleans, None); anything else is a mistake to surface, not to guess at."""
    if value is None:
        return "\\N"
    if value is True:
        return "t"
    if value is False:
        return "f"
    if isinstance(value, str):
        return value.translate(ESCAPES)
    if isinstance(value, int | Decimal | uuid.UUID | datetime.date):  # datetime is a date too
        return str(value)
    raise TypeError(f"copy_text: no COPY spelling for {type(value).__name__}")


class PreparedRows(NamedTuple):
    """Rows made ready for `rows_write` ahead of time, without the database: on PostgreSQL the COPY payload in text
    format, spelled once; elsewhere the rows as given, for `rows_insert`."""

    model: type | None  # None once spelled: a model class does not always cross to another process (m2m tables)
    rows: list[dict]
    table: str
    columns: str
    text: str | None


def rows_prepare(model, rows: list[dict], *, postgres: bool) -> PreparedRows:
    """Everything `rows_insert` does before it reaches the database — defaults, stamps, spelling each value — done
    now and without a query, so a generator can prepare the next batch in a worker thread while the database writes
    this one (demo_society). `postgres`: the connection's vendor, read by the caller (no connection in a thread)."""
    if not postgres or not rows:
        return PreparedRows(model, rows, model._meta.db_table, "", None)
    fields = _written_fields(model)
    attnames, full = _filler(fields, timezone.now())
    text = "".join("\t".join([copy_text(v) for v in map(full(row).__getitem__, attnames)]) + "\n" for row in rows)
    # The rows themselves stay behind: the text is what is written, and a worker process sends back less.
    return PreparedRows(None, [], model._meta.db_table, ", ".join(f'"{f.column}"' for f in fields), text)


def rows_write(prepared: PreparedRows) -> None:
    """Write rows `rows_prepare` made ready (inside the caller's transaction)."""
    if prepared.text is None:
        rows_insert(prepared.model, prepared.rows)
        return
    connection = connections[DEFAULT_DB_ALIAS]
    table = connection.ops.quote_name(prepared.table)
    with connection.cursor() as cursor, cursor.cursor.copy(f"COPY {table} ({prepared.columns}) FROM STDIN") as copy:
        copy.write(prepared.text)


def rows_insert(model, rows: list[dict], *, batch_size: int = 5000) -> None:
    """INSERT `rows` (dicts of attname → value) into `model`'s table. Missing fields take their defaults;
    auto_now / auto_now_add fields take the current time; an auto-increment primary key is left to the database."""
    if not rows:
        return
    connection = connections[DEFAULT_DB_ALIAS]
    now = timezone.now()
    fields = _written_fields(model)
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    row_placeholder = "(" + ", ".join(["%s"] * len(fields)) + ")"
    table = connection.ops.quote_name(model._meta.db_table)
    # Multi-row VALUES: one round trip per batch (executemany is one per row on some drivers).
    per_statement = max(1, min(batch_size, connection.ops.bulk_batch_size(fields, rows), 1000))
    adapters = [_adapter(f, connection) for f in fields]
    attnames, full = _filler(fields, now)
    adapted = [(a, adapt) for a, adapt in zip(attnames, adapters, strict=True) if adapt is not None]

    # itemgetter picks the columns in C: a check-off file writes 800,000 rows through here.
    pick = itemgetter(*attnames) if len(attnames) > 1 else (lambda filled: (filled[attnames[0]],))

    def values(row) -> tuple:
        filled = full(row)
        for attname, adapt in adapted:
            filled[attname] = adapt(filled[attname])
        return pick(filled)

    if connection.vendor == "postgresql":
        # COPY: the rows stream to the server in one command, typed by psycopg's own adapters.
        with connection.cursor() as cursor, cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
            write = copy.write_row
            for row in rows:
                write(values(row))
        return
    with connection.cursor() as cursor:
        for start in range(0, len(rows), per_statement):
            batch = rows[start : start + per_statement]
            params = [value for row in batch for value in values(row)]
            sql = f"INSERT INTO {table} ({columns}) VALUES {', '.join([row_placeholder] * len(batch))}"  # noqa: S608
            cursor.execute(sql, params)


def instance_row(instance) -> dict:
    """An unsaved instance as the dict `rows_insert` takes."""
    return {f.attname: getattr(instance, f.attname) for f in instance._meta.concrete_fields}
