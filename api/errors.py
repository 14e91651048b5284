"""One place mapping domain errors to HTTP answers."""
from fastapi import FastAPI, Request
from fastapi.openapi.utils import get_openapi
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy.exc import DataError
from starlette.exceptions import HTTPException as StarletteHTTPException

from services.errors import (
    AlreadySubmitted, Forbidden, InvalidInput, NotFound, ServiceError, StaleVersion, TransitionRefused,
)

STATUS = {NotFound: 404, Forbidden: 403, InvalidInput: 422, TransitionRefused: 409, StaleVersion: 409,
          AlreadySubmitted: 409}


def error_body(exc: ServiceError) -> dict:
    """JSON body: the message, a stable code, and what the caller needs to recover."""
    body: dict = {"detail": exc.message, "code": exc.code}
    if isinstance(exc, InvalidInput):
        body["field"] = exc.field
    if isinstance(exc, TransitionRefused):
        body.update(event=exc.event, state=exc.state, allowed_events=exc.allowed)
    if isinstance(exc, StaleVersion):
        body["current_version"] = exc.current
    if isinstance(exc, AlreadySubmitted):
        body["existing_id"] = exc.existing_id
    return body


def validation_body(exc: RequestValidationError) -> dict:
    """FastAPI's 422 body without the `input` echo: a refused tip may carry the reporter's identity."""
    return {"detail": jsonable_encoder([{k: v for k, v in e.items() if k != "input"} for e in exc.errors()])}


def status_of(exc: ServiceError) -> int:
    return next((code for kind, code in STATUS.items() if isinstance(exc, kind)), 400)


def install(app: FastAPI) -> None:
    @app.exception_handler(ServiceError)
    async def _service_error(_request: Request, exc: ServiceError) -> JSONResponse:
        return JSONResponse(error_body(exc), status_code=status_of(exc))

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(_request: Request, exc: StarletteHTTPException) -> JSONResponse:
        """HTTPException answers in the same shape as domain errors (a list detail stays a list)."""
        body = {"detail": exc.detail} if isinstance(exc.detail, list) else \
            {"detail": str(exc.detail), "code": f"http_{exc.status_code}"}
        return JSONResponse(body, status_code=exc.status_code, headers=getattr(exc, "headers", None))

    @app.exception_handler(OverflowError)
    @app.exception_handler(DataError)
    async def _out_of_range(_request: Request, _exc: Exception) -> JSONResponse:
        """A number the database cannot hold (e.g. an id past 2^63) is bad input, not a server error."""
        return JSONResponse({"detail": "数值超出允许范围", "code": "out_of_range"}, status_code=422)

    @app.exception_handler(RequestValidationError)
    async def _validation_error(_request: Request, exc: RequestValidationError) -> JSONResponse:
        return JSONResponse(validation_body(exc), status_code=422)


class ErrorBody(BaseModel):
    """How every refused request answers (besides FastAPI's own request validation errors)."""

    detail: str
    code: str
    field: str | None = None
    event: str | None = None
    state: str | None = None
    allowed_events: list[str] | None = None
    current_version: int | None = None


def document_errors(app: FastAPI) -> None:
    """Publish ErrorBody in the OpenAPI schema: as a 422 alternative and for 404/409 answers."""

    def build() -> dict:
        if app.openapi_schema is None:
            schema = get_openapi(title=app.title, version=app.version, routes=app.routes)
            schema.setdefault("components", {}).setdefault("schemas", {})["ErrorBody"] = ErrorBody.model_json_schema()
            for operation in (op for path in schema["paths"].values() for op in path.values()):
                _error_responses(operation.setdefault("responses", {}))
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = build


def _error_responses(responses: dict) -> None:
    body = {"$ref": "#/components/schemas/ErrorBody"}
    if "422" in responses:
        validation = responses["422"]["content"]["application/json"]["schema"]
        responses["422"]["content"]["application/json"]["schema"] = {"anyOf": [validation, body]}
    for status, text in (("404", "Not found"), ("409", "Not allowed now, or stale version")):
        responses.setdefault(status, {"description": text, "content": {"application/json": {"schema": body}}})
