"""Import every table module, so SQLModel.metadata holds them all (Alembic, tests)."""
from domain import models, referral_models  # noqa: F401
