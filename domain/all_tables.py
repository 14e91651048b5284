"""Import every table module, so SQLModel.metadata holds them all (Alembic, tests)."""
from domain import coordination_models, models, referral_models, reward_models, security_models  # noqa: F401
