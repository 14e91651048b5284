"""Referrals (移送): the office proposes and sends; each receiving department's liaisons sign and reply."""
from fastapi import APIRouter

router = APIRouter(tags=["referrals"])
