"""Copying the files of earlier versions into the store, once, after an upgrade.

Before the store, evidence lived in `EVIDENCE_DIR/ab/cdef…` (the SHA-256 split after two
digits), on the disk of whichever machine took the upload. `registry storage migrate` copies
it into the store under its new keys; running it again copies only what is still missing.
An evidence file is copied only when its bytes still hash to its name: a damaged file is
reported, never stored under a digest that signed records cite. (Print sheets of those
versions are not copied: their print jobs' records were replaced by the job queue's, so no
page can reach them; a sheet is printed again in seconds.)"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path

from registry.storage import Store
from registry.trace import evidence


@dataclass
class Copied:
    copied: int = 0
    present: int = 0  # already in the store: copied by an earlier run, or uploaded since
    refused: list[str] = field(default_factory=list)  # paths that were not copied, and why


def copy_evidence(folder: Path, files: Store) -> Copied:
    """`folder/ab/cdef…` to `evidence/ab/abcdef…`."""
    done = Copied()
    for path in sorted(folder.glob("*/*")):
        if path.name.startswith("."):  # a temporary file of an interrupted write
            continue
        sha256 = path.parent.name + path.name
        if not path.is_file() or not re.fullmatch(r"[0-9a-f]{64}", sha256):
            done.refused.append(f"{path}: not an evidence file")
            continue
        key = evidence.EvidenceStore(files).key(sha256)
        if files.exists(key):
            done.present += 1
            continue
        data = path.read_bytes()
        if hashlib.sha256(data).hexdigest() != sha256:
            done.refused.append(f"{path}: damaged (its bytes no longer hash to its name)")
            continue
        kind = evidence.PDF if data.startswith(b"%PDF-") else evidence.JPEG
        files.put(key, data, content_type=kind, cache_control=evidence.CACHE)
        done.copied += 1
    return done
