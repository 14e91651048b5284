"""Answers built from models the code already validated."""
from fastapi.responses import Response
from pydantic import BaseModel


def model_response(model: BaseModel, status_code: int = 200) -> Response:
    """The model as JSON, serialized once. Returned from a route that also names it as `response_model`
    (for the schema), it skips FastAPI's dump, re-validation and second dump: the hot write paths use it."""
    return Response(model.model_dump_json(by_alias=True), status_code=status_code, media_type="application/json")
