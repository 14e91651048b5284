"""Hot-path statements: compiled once per dialect, then run on the driver's cursor.

Running a Core statement costs SQLAlchemy 20-40 µs of Python each time (cache key, parameter and result
set-up), more than SQLite's own work, and a tip transition runs eight. A `Prepared` statement keeps what
matters of SQLAlchemy: its SQL for the dialect, its type conversions both ways (values are stored and read
exactly as everywhere else), the session's transaction (same connection), its exception classes, and
`before_cursor_execute` listeners. Rows come back as named tuples.
"""
from collections import namedtuple
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

from sqlalchemy import Connection, Engine
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import DBAPIError
from sqlalchemy.sql import Executable


@dataclass
class _Compiled:
    sql: str
    names: tuple[str, ...]  # bind names, in the driver's order (qmark style) or as its keys (named style)
    keys: tuple[str, ...] | None  # the driver's parameter names (named style), None when positional
    fixed: Mapping[str, Any]  # values written into the statement itself, e.g. `status == "open"`
    convert: Mapping[str, Callable[[Any], Any]]  # bind name -> its type's conversion for the driver
    dialect: Dialect
    row: type  # a named tuple of the returned columns
    returned: tuple  # the returned columns, whose types convert what the driver gives
    read: tuple[Callable[[Any], Any] | None, ...] | None = None  # per column, once the driver has described it

    def parameters(self, params: Mapping[str, Any]) -> tuple | dict:
        values = [self._value(name, params) for name in self.names]
        return tuple(values) if self.keys is None else dict(zip(self.keys, values))

    def _value(self, name: str, params: Mapping[str, Any]) -> Any:
        value = params[name] if name in params else self.fixed[name]
        convert = self.convert.get(name)
        return value if convert is None else convert(value)

    def rows(self, fetched: list[tuple], description) -> list[tuple]:
        if self.read is None:  # some conversions depend on the driver's type code (PostgreSQL numerics)
            self.read = tuple(column.type.dialect_impl(self.dialect).result_processor(self.dialect, described[1])
                              for column, described in zip(self.returned, description or ()))
        if not any(self.read):
            return [self.row._make(values) for values in fetched]
        return [self.row._make(value if read is None else read(value) for read, value in zip(self.read, values))
                for values in fetched]


class Prepared:
    """A Core statement run as driver SQL. INSERT and UPDATE compile once per set of column keys passed
    (as Core does); every column's value must be passed, since Python-side defaults are Core's work."""

    def __init__(self, statement: Executable) -> None:
        self.statement = statement
        self._compiled: dict[tuple, _Compiled] = {}

    def run(self, conn: Connection, params: Mapping[str, Any] = {}) -> list[tuple]:  # noqa: B006 - read only
        """Execute once in the connection's transaction; the rows it returns (none without RETURNING)."""
        compiled, done = self._execute(conn, params)
        return compiled.rows(done.rows, done.description)

    def changed(self, conn: Connection, params: Mapping[str, Any] = {}) -> int:  # noqa: B006 - read only
        """Execute an UPDATE or DELETE in the connection's transaction; how many rows it changed."""
        return self._execute(conn, params)[1].rowcount

    def _execute(self, conn: Connection, params: Mapping[str, Any]) -> tuple["_Compiled", "_Done"]:
        compiled = self._for(conn.dialect, tuple(params))
        return compiled, _send(conn, compiled.sql, compiled.parameters(params), many=False)

    def read(self, bind: Engine | Connection, params: Mapping[str, Any] = {}) -> list[tuple]:  # noqa: B006
        """Run a read outside any transaction of ours (the statement is its own; no listeners): on the
        driver connection of a Connection that has not begun one, so no BEGIN is sent, or alone on a
        pooled connection of an Engine. For a request's one lookup, e.g. its user."""
        compiled = self._for(bind.dialect, tuple(params))
        if isinstance(bind, Connection):
            if bind.in_transaction():
                raise ValueError("read() runs outside a transaction; use run() inside one")
            return self._read_on(bind.connection, compiled, params)
        dbapi_connection = bind.raw_connection()
        try:
            return self._read_on(dbapi_connection, compiled, params)
        finally:
            dbapi_connection.close()  # back to the pool, which ends the driver's transaction

    @staticmethod
    def _read_on(dbapi_connection, compiled: _Compiled, params: Mapping[str, Any]) -> list[tuple]:
        done = _on_cursor(dbapi_connection.cursor(), compiled.dialect, compiled.sql, compiled.parameters(params),
                          many=False)
        return compiled.rows(done.rows, done.description)

    def run_many(self, conn: Connection, rows: Sequence[Mapping[str, Any]]) -> None:
        """Execute once per row (all with the same keys), in the driver's executemany."""
        compiled = self._for(conn.dialect, tuple(rows[0]))
        _send(conn, compiled.sql, [compiled.parameters(row) for row in rows], many=True)

    def _for(self, dialect: Dialect, keys: tuple[str, ...]) -> _Compiled:
        found = self._compiled.get((dialect.name, keys))
        if found is None:
            found = self._compiled[(dialect.name, keys)] = _compile(self.statement, dialect, keys)
        return found


class PreparedInsert:
    """An INSERT of one row into a table with an integer `id`, answering the new row's id. SQLite's driver
    knows it (lastrowid), which spares the statement the extra step a RETURNING row costs; other databases
    are asked with RETURNING."""

    def __init__(self, table) -> None:
        self._plain = Prepared(table.insert())
        self._returning = Prepared(table.insert().returning(table.c.id))

    def run(self, conn: Connection, params: Mapping[str, Any]) -> int:
        if conn.dialect.name == "sqlite":
            return self._plain._execute(conn, params)[1].lastrowid
        [(new_id,)] = self._returning.run(conn, params)
        return new_id


def _compile(statement: Executable, dialect: Dialect, keys: tuple[str, ...]) -> _Compiled:
    compiled = statement.compile(dialect=dialect, column_keys=list(keys))
    if compiled.insert_prefetch or compiled.update_prefetch:
        raise ValueError(f"pass every column's value (Python-side defaults are not run): {statement}")
    names = tuple(compiled.positiontup if compiled.positional else compiled.binds)
    escaped = compiled.escaped_bind_names or {}
    binds = compiled.binds
    convert = {name: binds[name].type.dialect_impl(dialect).bind_processor(dialect) for name in names}
    returned = tuple(getattr(statement, "exported_columns", ()))
    return _Compiled(
        sql=compiled.string, names=names,
        keys=None if compiled.positional else tuple(escaped.get(name, name) for name in names),
        fixed={name: bind.effective_value for name, bind in binds.items() if not bind.required},
        convert={name: function for name, function in convert.items() if function is not None}, dialect=dialect,
        row=namedtuple("Row", [column.key for column in returned], rename=True), returned=returned,
    )


class _Done(NamedTuple):
    """What the driver answered: the rows fetched and its description of their columns (None: the statement
    returns none), the rows changed, and the id of a row inserted (SQLite)."""

    rows: list[tuple]
    description: tuple | None
    rowcount: int
    lastrowid: int | None


def _send(conn: Connection, sql: str, parameters, *, many: bool) -> _Done:
    cursor = conn.connection.cursor()
    listeners = conn.dispatch.before_cursor_execute
    if listeners:  # e.g. a test counting statements
        for listener in listeners:
            listener(conn, cursor, sql, parameters, None, many)
    return _on_cursor(cursor, conn.dialect, sql, parameters, many=many)


def _on_cursor(cursor, dialect: Dialect, sql: str, parameters, *, many: bool) -> _Done:
    dbapi = dialect.loaded_dbapi
    try:
        (cursor.executemany if many else cursor.execute)(sql, parameters)
        description = cursor.description
        return _Done([] if description is None else cursor.fetchall(), description, cursor.rowcount,
                     getattr(cursor, "lastrowid", None))  # psycopg has none
    except dbapi.Error as error:  # the same exception classes as a Core statement raises
        raise DBAPIError.instance(sql, parameters, error, dbapi.Error, dialect=dialect) from error
    finally:
        cursor.close()
