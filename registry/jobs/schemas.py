"""The job as the API and the pages' poll show it."""

from __future__ import annotations

from marshmallow import Schema, fields

from registry.jobs.models import JobStatus


class JobOut(Schema):
    id = fields.Integer()
    kind = fields.String(metadata={"description": "What the job does, e.g. trace.import"})
    status = fields.Enum(
        JobStatus,
        by_value=True,
        metadata={"description": "queued (also while waiting for a retry), running, done, failed"},
    )
    done = fields.Integer(metadata={"description": "Units done (rows, pages, seasons…)"})
    total = fields.Integer(metadata={"description": "Units in all; 0 while not known"})
    percent = fields.Integer(allow_none=True, metadata={"description": "0–100, or null"})
    message = fields.String(metadata={"description": "What it is doing now"})
    attempts = fields.Integer(metadata={"description": "Tries so far"})
    error = fields.String(
        allow_none=True,
        metadata={"description": "Why the last try failed, in the asker's language"},
    )
    result = fields.Dict(
        allow_none=True,
        metadata={"description": "What the job found or made; its shape depends on `kind`"},
    )
    created_at = fields.DateTime()
    started_at = fields.DateTime(allow_none=True)
    finished_at = fields.DateTime(allow_none=True)
