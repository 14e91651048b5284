"""One place mapping domain errors to HTTP answers."""
from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from services.errors import Forbidden, InvalidInput, NotFound, ServiceError, StaleVersion, TransitionRefused

STATUS = {NotFound: 404, Forbidden: 403, InvalidInput: 422, TransitionRefused: 409, StaleVersion: 409}


def error_body(exc: ServiceError) -> dict:
    """JSON body: the message, a stable code, and what the caller needs to recover."""
    body: dict = {"detail": exc.message, "code": exc.code}
    if isinstance(exc, InvalidInput):
        body["field"] = exc.field
    if isinstance(exc, TransitionRefused):
        body.update(event=exc.event, state=exc.state, allowed_events=exc.allowed)
    if isinstance(exc, StaleVersion):
        body["current_version"] = exc.current
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

    @app.exception_handler(RequestValidationError)
    async def _validation_error(_request: Request, exc: RequestValidationError) -> JSONResponse:
        return JSONResponse(validation_body(exc), status_code=422)
