"""My Favourites: the services each appointee has starred, kept by tid+oid so they survive sign-out."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, DateTime, String, bindparam, delete, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Mapped, Session, mapped_column

from portal_app.data.models import Base
from portal_app.data.quick_reads import QuickReads


class FavouriteService(Base):
    """One starred service of one appointee; the service id is the catalogue's (config/services.toml)."""

    __tablename__ = "favourite_service"
    tenant_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    object_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    service_id: Mapped[str] = mapped_column(String(63), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


# Built once: the header menu of every page reads favourites, and building a statement costs more than
# running this one (SQLAlchemy then finds its compiled form in the engine's cache by the statement's key).
_FAVOURITE_IDS = (select(FavouriteService.service_id)
                  .where(FavouriteService.tenant_id == bindparam("tid"), FavouriteService.object_id == bindparam("oid"))
                  .order_by(FavouriteService.created_at, FavouriteService.service_id))


def favourite_ids(reader: QuickReads | Session | Connection, tid: str, oid: str) -> tuple[str, ...]:
    """The appointee's starred service ids, oldest first (the order they were starred in)."""
    return tuple(reader.scalars(_FAVOURITE_IDS, {"tid": tid, "oid": oid}))


def add_favourite(session: Session, tid: str, oid: str, service_id: str, now: datetime) -> None:
    """Star a service; starring it again (a double click, two tabs) changes nothing."""
    dialect = session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    statement = insert(FavouriteService).values(tenant_id=tid, object_id=oid, service_id=service_id,
                                                created_at=now)
    session.execute(statement.on_conflict_do_nothing())


def remove_favourite(session: Session, tid: str, oid: str, service_id: str) -> None:
    """Unstar a service; unstarring one that is not starred changes nothing."""
    session.execute(delete(FavouriteService).where(
        FavouriteService.tenant_id == tid, FavouriteService.object_id == oid,
        FavouriteService.service_id == service_id))
