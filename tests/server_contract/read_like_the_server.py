"""Reads every central row the way the Noesis Python server does, and reports
each one it could not load.

The models here are written from the server's data contract as its issue
states it (pydantic models and Python enums in the public repository
shanemeister/genai-agent-core, core/artifacts/*.py), independently of the
engine's own declaration in engine/src/tables/contract.rs: the test that
runs this script checks the engine against the server, not against itself.

Usage: read_like_the_server.py DATABASE_URL
Prints a JSON object {"loaded": {table: rows}, "failures": [{table, id,
error}]} and exits 1 when any row failed to load, 0 otherwise.
"""

from __future__ import annotations

import json
import sys
from datetime import datetime
from enum import Enum
from typing import Any, Dict, List, Optional

import psycopg
from psycopg.rows import dict_row
from pydantic import BaseModel, Field


class Category(str, Enum):
    PRINCIPLES_VALUES = "principles_values"
    COGNITIVE_FRAMING = "cognitive_framing"
    DECISION_HEURISTICS = "decision_heuristics"
    PREFERENCES = "preferences"
    VOCABULARY = "vocabulary"


class Scope(str, Enum):
    PROJECT = "project"
    GLOBAL = "global"


class Approval(str, Enum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"


class FileType(str, Enum):
    PDF = "pdf"
    DOCX = "docx"
    TXT = "txt"
    MD = "md"
    CSV = "csv"
    JPG = "jpg"
    JPEG = "jpeg"
    PNG = "png"
    SVG = "svg"


class Status(str, Enum):
    PENDING = "pending"
    INDEXING = "indexing"
    INDEXED = "indexed"
    ERROR = "error"


class Provenance(BaseModel):
    reason: str
    derived_from_artifact_ids: List[str] = Field(default_factory=list)
    sources: List[Dict[str, Any]] = Field(default_factory=list)
    tools_used: List[str] = Field(default_factory=list)
    model: Optional[str] = None


class Card(BaseModel):
    id: str
    created_at: datetime
    category: Category
    scope: Scope
    text: str = Field(..., min_length=1)
    approval: Approval
    approved_at: Optional[datetime] = None
    rejected_at: Optional[datetime] = None
    provenance: Provenance


class Entry(BaseModel):
    id: str
    created_at: datetime
    updated_at: datetime
    category: Category
    text: str = Field(..., min_length=1)
    source_memory_card_id: str
    note: Optional[str] = None


class Message(BaseModel):
    role: str
    text: str
    model: Optional[str] = None
    processing_time: Optional[float] = None
    retrieved_context: List[dict] = Field(default_factory=list)
    session_id: Optional[str] = None
    proposed_memories: List[dict] = Field(default_factory=list)
    reasoning: Optional[str] = None


class Session(BaseModel):
    id: str
    title: str
    created_at: datetime
    updated_at: datetime
    messages: List[Message]


class Document(BaseModel):
    id: str
    created_at: datetime
    filename: str
    filepath: str
    file_type: FileType
    file_size: int
    file_hash: str
    status: Status
    chunk_count: int
    tags: List[str]


class Chunk(BaseModel):
    id: str
    document_id: str
    chunk_index: int
    text: str
    page_number: Optional[int] = None


def decoded(value: Any) -> Any:
    """JSON columns arrive parsed from JSONB, or as text from a TEXT column."""
    return json.loads(value) if isinstance(value, str) else value


def card(row: Dict[str, Any]) -> None:
    # The server formats the timestamps itself (`.isoformat()`), so a NULL
    # created_at fails before validation, as it does here.
    Card.model_validate({
        **row,
        "created_at": row["created_at"].isoformat(),
        "approved_at": row["approved_at"].isoformat() if row["approved_at"] else None,
        "rejected_at": row["rejected_at"].isoformat() if row["rejected_at"] else None,
        "provenance": decoded(row["provenance"]),
    })


def entry(row: Dict[str, Any]) -> None:
    Entry.model_validate(row)


def session(row: Dict[str, Any]) -> None:
    Session.model_validate({**row, "messages": decoded(row["messages"])})


def document(row: Dict[str, Any]) -> None:
    # The server converts with the enum constructors, which raise ValueError.
    FileType(row["file_type"])
    Status(row["status"])
    Document.model_validate({**row, "tags": list(row["tags"]) if row["tags"] else []})


def chunk(row: Dict[str, Any]) -> None:
    Chunk.model_validate(row)


READERS = {
    "memory_cards": card,
    "mindfile_entries": entry,
    "chat_sessions": session,
    "documents": document,
    "document_chunks": chunk,
}


def main() -> int:
    url = sys.argv[1]
    loaded: Dict[str, int] = {}
    failures: List[Dict[str, str]] = []
    with psycopg.connect(url, row_factory=dict_row) as conn:
        for table, read in READERS.items():
            rows = conn.execute(f"SELECT * FROM {table}").fetchall()
            loaded[table] = 0
            for row in rows:
                try:
                    read(row)
                    loaded[table] += 1
                except Exception as error:  # noqa: BLE001 - any failure is the finding
                    failures.append({"table": table, "id": str(row.get("id")), "error": " | ".join(str(error).splitlines()[:4])})
    print(json.dumps({"loaded": loaded, "failures": failures}))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
