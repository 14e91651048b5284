"""The baseline for the intake benchmark: a bare FastAPI endpoint inserting one row in the same database,
with the same engine settings (SQLite WAL + serialized writers) and one uvicorn worker."""
from fastapi import FastAPI
from sqlalchemy import text

from db.engine import get_database

app = FastAPI()
database = get_database()
ID = "INTEGER PRIMARY KEY" if database.is_sqlite else "SERIAL PRIMARY KEY"  # both autoincrement
with database.write() as session:
    session.execute(text(f"CREATE TABLE IF NOT EXISTS bench_row (id {ID}, facts TEXT NOT NULL)"))


@app.get("/api/v1/health")
def health() -> dict:
    return {"status": "ok"}


@app.post("/rows")
def insert(body: dict) -> dict:
    with database.write() as session:
        session.execute(text("INSERT INTO bench_row (facts) VALUES (:facts)"), {"facts": body["facts"]})
    return {"ok": True}
