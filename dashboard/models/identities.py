"""Local users linked to an identity at an OpenID Connect provider (single sign-on)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .accounts import User
from .base import Base, UTCDateTime, utcnow

# OpenID Connect: "sub" is at most 255 ASCII characters; the issuer is checked to the same bound.
ISSUER_MAX = SUBJECT_MAX = 255


class UserIdentity(Base):
    """The provider's (issuer, subject) pair that signs a local user in.

    A user is found by this pair only, never by a name the provider sends, so a provider's
    "admin" cannot take over the local ``admin``.
    """

    __tablename__ = "user_identities"
    __table_args__ = (UniqueConstraint("issuer", "subject"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    issuer: Mapped[str] = mapped_column(String(ISSUER_MAX))
    subject: Mapped[str] = mapped_column(String(SUBJECT_MAX))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)

    user: Mapped[User] = relationship(lazy="joined")
