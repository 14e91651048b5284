"""Hot-path statements: compiled once per dialect, then run on the driver's cursor.

Running a Core statement costs SQLAlchemy 20-40 µs of Python each time (cache key, parameter and result
set-up), more than SQLite's own work, and a tip transition runs eight. A `Prepared` statement keeps what
matters of SQLAlchemy: its SQL for the dialect, its type conversions (values are stored exactly as
everywhere else), the session's transaction (same connection), its exception classes, and
`before_cursor_execute` listeners. Rows come back as the driver's tuples, without type conversion: use it
for statements that return plain values (ids, integers, text), not dates or JSON.
"""
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import DBAPIError
from sqlalchemy.sql import Executable


@dataclass(frozen=True)
class _Compiled:
    sql: str
    names: tuple[str, ...]  # bind names, in the driver's order (qmark style) or as its keys (named style)
    keys: tuple[str, ...] | None  # the driver's parameter names (named style), None when positional
    fixed: Mapping[str, Any]  # values written into the statement itself, e.g. `status == "open"`
    convert: Mapping[str, Callable[[Any], Any]]  # bind name -> its type's conversion for the driver

    def parameters(self, params: Mapping[str, Any]) -> tuple | dict:
        values = [self._value(name, params) for name in self.names]
        return tuple(values) if self.keys is None else dict(zip(self.keys, values))

    def _value(self, name: str, params: Mapping[str, Any]) -> Any:
        value = params[name] if name in params else self.fixed[name]
        convert = self.convert.get(name)
        return value if convert is None else convert(value)


class Prepared:
    """A Core statement run as driver SQL. INSERT and UPDATE compile once per set of column keys passed
    (as Core does); every column's value must be passed, since Python-side defaults are Core's work."""

    def __init__(self, statement: Executable) -> None:
        self.statement = statement
        self._compiled: dict[tuple, _Compiled] = {}

    def run(self, conn: Connection, params: Mapping[str, Any] = {}) -> list[tuple]:  # noqa: B006 - read only
        """Execute once; the rows it returns (none for a statement without RETURNING)."""
        compiled = self._for(conn.dialect, tuple(params))
        return _send(conn, compiled.sql, compiled.parameters(params), many=False)

    def run_many(self, conn: Connection, rows: Sequence[Mapping[str, Any]]) -> None:
        """Execute once per row (all with the same keys), in the driver's executemany."""
        compiled = self._for(conn.dialect, tuple(rows[0]))
        _send(conn, compiled.sql, [compiled.parameters(row) for row in rows], many=True)

    def _for(self, dialect: Dialect, keys: tuple[str, ...]) -> _Compiled:
        found = self._compiled.get((dialect.name, keys))
        if found is None:
            found = self._compiled[(dialect.name, keys)] = _compile(self.statement, dialect, keys)
        return found


def _compile(statement: Executable, dialect: Dialect, keys: tuple[str, ...]) -> _Compiled:
    compiled = statement.compile(dialect=dialect, column_keys=list(keys))
    if compiled.insert_prefetch or compiled.update_prefetch:
        raise ValueError(f"pass every column's value (Python-side defaults are not run): {statement}")
    names = tuple(compiled.positiontup if compiled.positional else compiled.binds)
    escaped = compiled.escaped_bind_names or {}
    binds = compiled.binds
    convert = {name: binds[name].type.dialect_impl(dialect).bind_processor(dialect) for name in names}
    return _Compiled(
        sql=compiled.string, names=names,
        keys=None if compiled.positional else tuple(escaped.get(name, name) for name in names),
        fixed={name: bind.effective_value for name, bind in binds.items() if not bind.required},
        convert={name: function for name, function in convert.items() if function is not None},
    )


def _send(conn: Connection, sql: str, parameters, *, many: bool) -> list[tuple]:
    listeners = conn.dispatch.before_cursor_execute
    dbapi = conn.dialect.loaded_dbapi
    cursor = conn.connection.cursor()
    try:
        if listeners:  # e.g. a test counting statements
            for listener in listeners:
                listener(conn, cursor, sql, parameters, None, many)
        (cursor.executemany if many else cursor.execute)(sql, parameters)
        return [] if cursor.description is None else cursor.fetchall()
    except dbapi.Error as error:  # the same exception classes as a Core statement raises
        raise DBAPIError.instance(sql, parameters, error, dbapi.Error, dialect=conn.dialect) from error
    finally:
        cursor.close()
