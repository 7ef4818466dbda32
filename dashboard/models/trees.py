"""Phylogenetic trees: built from datasets, an alignment or a distance matrix, or uploaded.

A tree is written once, whole, when it is built; a re-rooted tree is a new tree pointing at
the one it came from, so a link to tree N always shows the same tree.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, UTCDateTime, utcnow


class Tree(Base):
    """One saved tree, its inputs, method and parameters."""

    __tablename__ = "trees"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    experiment_id: Mapped[int | None] = mapped_column(
        ForeignKey("experiments.id", ondelete="SET NULL"), nullable=True, index=True
    )
    # datasets, alignment, matrix, upload or reroot
    source: Mapped[str] = mapped_column(String(16))
    distance: Mapped[str] = mapped_column(String(8), default="")  # p, jc69, k2p, mash or ""
    method: Mapped[str] = mapped_column(String(8), default="")  # nj, upgma, wpgma or ""
    # Everything else the build used (bootstrap replicates, seed, k, sketch size, gaps...).
    params: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    newick: Mapped[str] = mapped_column(Text)
    sha256: Mapped[str] = mapped_column(String(64), index=True)  # of the Newick's UTF-8 bytes
    tip_count: Mapped[int] = mapped_column(Integer)
    # Tip label -> the dataset it stands for (None for a tip that is no dataset).
    tips: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    parent_tree_id: Mapped[int | None] = mapped_column(
        ForeignKey("trees.id", ondelete="SET NULL"), nullable=True
    )
    # An uploaded alignment, matrix or tree file, kept under its SHA-256 (trees/ store).
    input_sha256: Mapped[str | None] = mapped_column(String(64), nullable=True)
    input_filename: Mapped[str] = mapped_column(String(255), default="")
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )
    created_by_name: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class TreeInput(Base):
    """A dataset a tree was built from (a dataset used by a tree cannot be deleted)."""

    __tablename__ = "tree_inputs"

    tree_id: Mapped[int] = mapped_column(
        ForeignKey("trees.id", ondelete="CASCADE"), primary_key=True
    )
    dataset_id: Mapped[int] = mapped_column(
        ForeignKey("datasets.id", ondelete="RESTRICT"), primary_key=True, index=True
    )
    position: Mapped[int] = mapped_column(Integer)
