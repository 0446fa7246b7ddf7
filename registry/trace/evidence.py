"""Photo and document evidence for the farm diary, stored on disk by SHA-256 of its content.

Uploads come from phones in the field, so nothing about them is trusted: the type is sniffed
from the bytes (never the file name or the declared type), size limits hold before an upload
is read in full, and images are decoded and re-encoded by Pillow. Re-encoding drops the EXIF,
ICC, XMP and comments that carry camera serials and owner names, and anything smuggled after
the image data. Where and when a photo was taken is still useful evidence, so it is read from
the EXIF first and handed back as metadata for the diary entry to keep.

A file's name is the SHA-256 of the stored bytes, so it is written once, never changes and can
be cited from signed records. PDFs are kept byte for byte (only their size is limited). The
bytes live in the registry's store (`registry.storage`: a folder or S3-compatible storage)
under `evidence/ab/abcdef…`. Files kept by earlier versions in `EVIDENCE_DIR/ab/cdef…` are
still read from there until `registry storage migrate` has copied them (docs/storage.md).
"""

from __future__ import annotations

import hashlib
import math
import numbers
import re
import struct
import unicodedata
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from functools import partial
from io import BytesIO
from pathlib import Path
from typing import Any, BinaryIO

from flask import current_app
from flask_babel import lazy_gettext as _l
from PIL import ExifTags, Image, ImageOps
from werkzeug.wrappers import Response

from registry import storage
from registry.errors import DomainError, NotFound
from registry.storage import Blob, Missing, Store, web
from registry.storage.local import LocalStore
from registry.trace.models import EvidenceFile

MAX_SIDE = 2048  # px, longest side of a stored photo: plenty to see a field or a receipt
JPEG_QUALITY = 85
NAME_LIMIT = 120
CHUNK = 1024 * 1024
CACHE = "private, max-age=86400, immutable"  # as the registry serves it: a file never changes
JPEG = "image/jpeg"
PDF = "application/pdf"
# Sniffed type -> the only Pillow plugin allowed to decode it.
PILLOW_FORMATS = {JPEG: "JPEG", "image/png": "PNG", "image/webp": "WEBP"}
# ISO BMFF brands of HEIC/HEIF/AVIF stills: what iPhones send unless set to "Most Compatible".
HEIF_BRANDS = frozenset(
    {b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"mif1", b"msf1", b"avif", b"avis"}
)
EXIF_TIME = "%Y:%m:%d %H:%M:%S"
UNREADABLE_ERRORS = (OSError, SyntaxError, ValueError, EOFError, struct.error)

_HEX = re.compile(r"[0-9a-f]{64}")
_OFFSET = re.compile(r"([+-])(\d{2}):(\d{2})")
_RESERVED = re.compile(r'[\\/:*?"<>|]')

EMPTY = _l("The file is empty.")
DAMAGED = _l("The image is damaged or incomplete. Send the original photo again.")
TOO_MANY_PIXELS = _l("The image has too many pixels to process safely. Send a smaller photo.")
NOT_ALLOWED = _l("Only photos (JPEG, PNG or WebP) and PDF documents are accepted.")
HEIF_NOT_ALLOWED = _l(
    "HEIC/HEIF photos are not accepted. Send the photo as JPEG "
    "(on iPhone: Settings > Camera > Formats > Most Compatible)."
)


class EvidenceTooLarge(DomainError):
    status = 413
    title = _l("The file is too large.")


class EvidenceTypeNotAllowed(DomainError):
    status = 415
    title = _l("This type of file is not accepted.")


class EvidenceUnreadable(DomainError):
    status = 422
    title = _l("The file could not be read.")


class EvidenceNotFound(NotFound):
    title = _l("The evidence file was not found.")


def _fail(error: type[DomainError], message: Any) -> DomainError:
    """`error` with `message` both as detail and on the `file` field, for forms and APIs."""
    return error(message, errors={"file": [str(message)]})


def _not_found() -> EvidenceNotFound:
    """A 404 whose title says it all; the field message lets a form show it too."""
    return EvidenceNotFound(errors={"file": [str(EvidenceNotFound.title)]})


@dataclass(frozen=True)
class StoredFile:
    """One stored evidence file; `metadata` holds what the stored bytes no longer carry."""

    sha256: str
    content_type: str
    size: int
    original_name: str
    metadata: dict[str, object]


def app_store() -> EvidenceStore:
    """The evidence of the current app: its store, and `EVIDENCE_DIR` of earlier versions."""
    return EvidenceStore(storage.store(), Path(current_app.config["EVIDENCE_DIR"]))


def send(record: EvidenceFile) -> Response:
    """The file of `record` streamed to the browser (after the view's access checks): a
    photo inline, a PDF as a download under its original name; never changes, so cached."""
    return web.send(
        partial(app_store().open, record.sha256),
        mimetype=record.content_type,
        download_name=record.original_name,
        attachment=record.content_type == PDF,
        etag=record.sha256,
        cache_control=CACHE,
    )


class EvidenceStore:
    """Content-addressed files in `files` under `evidence/ab/abcdef…` (the SHA-256); files of
    earlier versions are read from `legacy/ab/cdef…` until they are migrated."""

    def __init__(
        self, files: Store, legacy: Path | None = None, max_bytes: int = 10 * 1024 * 1024
    ) -> None:
        self.files = files
        self.legacy = LocalStore(legacy) if legacy is not None else None
        self.max_bytes = max_bytes

    def save(
        self, data: bytes | BinaryIO, filename: str, declared_type: str | None = None
    ) -> StoredFile:
        """Check, clean and store one upload; saving the same content again rewrites nothing.

        `declared_type` (the browser's guess) is accepted for the caller's convenience but
        never trusted: the bytes decide what the file is.
        """
        raw = self._read(data)
        kind = _sniff(raw)
        stored, metadata = (raw, {}) if kind == PDF else _reencode(raw, kind)
        sha256 = hashlib.sha256(stored).hexdigest()
        content_type = PDF if kind == PDF else JPEG
        key = self.key(sha256)
        if not self.files.exists(key):  # a content-addressed file never changes
            self.files.put(key, stored, content_type=content_type, cache_control=CACHE)
        return StoredFile(sha256, content_type, len(stored), _clean_name(filename), metadata)

    def key(self, sha256: str) -> str:
        """Where a file lives in the store; anything but 64 lowercase hex digits is refused,
        so no name from a URL can reach another object."""
        if not isinstance(sha256, str) or not _HEX.fullmatch(sha256):
            raise _not_found()
        return f"evidence/{sha256[:2]}/{sha256}"

    def open(self, sha256: str) -> Blob:
        """The stored file as a stream, or `EvidenceNotFound` (404) when there is none."""
        key = self.key(sha256)
        try:
            return self.files.open(key)
        except Missing:
            return self._open_legacy(sha256)

    def _open_legacy(self, sha256: str) -> Blob:
        if self.legacy is None:
            raise _not_found()
        try:
            return self.legacy.open(f"{sha256[:2]}/{sha256[2:]}")
        except Missing as exc:
            raise _not_found() from exc

    def _read(self, data: bytes | BinaryIO) -> bytes:
        """The upload, refused as soon as it is known to be too large or empty."""
        raw = _read_at_most(data, self.max_bytes + 1)
        if len(raw) > self.max_bytes:
            mb = round(self.max_bytes / (1024 * 1024), 1)
            raise _fail(EvidenceTooLarge, _l("The file is larger than %(mb)g MB.", mb=mb))
        if not raw:
            raise _fail(EvidenceUnreadable, EMPTY)
        return raw


def _read_at_most(data: bytes | bytearray | memoryview | BinaryIO, limit: int) -> bytes:
    """At most `limit` bytes, so a 50 MB upload costs one byte over the limit, not 50 MB."""
    if isinstance(data, bytes | bytearray | memoryview):
        return bytes(data[:limit])
    chunks: list[bytes] = []
    remaining = limit
    while remaining > 0:
        chunk = data.read(min(remaining, CHUNK))
        if not chunk:
            break
        chunks.append(chunk)
        remaining -= len(chunk)
    return b"".join(chunks)


def _sniff(data: bytes) -> str:
    """The content type the bytes announce; HEIC gets its own message, as it is common."""
    if data.startswith(b"\xff\xd8\xff"):
        return JPEG
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    if data.startswith(b"%PDF-"):
        return PDF
    if data[4:8] == b"ftyp" and data[8:12] in HEIF_BRANDS:
        raise _fail(EvidenceTypeNotAllowed, HEIF_NOT_ALLOWED)
    raise _fail(EvidenceTypeNotAllowed, NOT_ALLOWED)


def _reencode(data: bytes, kind: str) -> tuple[bytes, dict[str, object]]:
    """Decode with the one plugin the sniffed type allows, then write a clean JPEG."""
    try:
        with _bomb_guard(), Image.open(BytesIO(data), formats=[PILLOW_FORMATS[kind]]) as image:
            _check_pixels(image)
            found = _exif_metadata(image)
            clean = _normalise(image)
            out = BytesIO()
            clean.save(out, "JPEG", quality=JPEG_QUALITY, optimize=True)
    except UNREADABLE_ERRORS as exc:
        raise _fail(EvidenceUnreadable, DAMAGED) from exc
    return out.getvalue(), {"width": clean.width, "height": clean.height, **found}


@contextmanager
def _bomb_guard() -> Iterator[None]:
    """Pillow only warns between 1x and 2x `MAX_IMAGE_PIXELS`; here both are refusals."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            yield
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
            raise _fail(EvidenceTooLarge, TOO_MANY_PIXELS) from exc


def _check_pixels(image: Image.Image) -> None:
    """The same limit, checked directly: `catch_warnings` is process-wide, not per thread."""
    limit = Image.MAX_IMAGE_PIXELS
    if limit is not None and image.width * image.height > limit:
        raise _fail(EvidenceTooLarge, TOO_MANY_PIXELS)


def _normalise(image: Image.Image) -> Image.Image:
    """Upright, at most MAX_SIDE px, opaque RGB or L, with no metadata left to leak.

    Shrinking first lets JPEGs decode at reduced scale (the box is square, so orientation does
    not matter yet). ICC profiles are dropped, not applied: parsing untrusted profiles adds
    attack surface, and evidence needs no colour fidelity.
    """
    if image.mode in ("1", "P"):  # palettes resize poorly; convert before shrinking
        image = image.convert("RGBA" if image.has_transparency_data else "RGB")
    elif image.mode.startswith("I"):  # 16-bit grey: scale down, as a plain convert clips
        image = image.convert("I").point(lambda value: value / 256).convert("L")
    image.thumbnail((MAX_SIDE, MAX_SIDE), Image.Resampling.LANCZOS)
    image.load()
    flat = _flatten(ImageOps.exif_transpose(image))
    flat.info = {}  # JPEG save would otherwise carry over e.g. the comment
    return flat


def _flatten(image: Image.Image) -> Image.Image:
    """JPEG has no alpha: transparent parts go on white, as on a printed page."""
    if image.has_transparency_data:
        rgba = image.convert("RGBA")
        page = Image.new("RGB", rgba.size, "white")
        page.paste(rgba, mask=rgba.getchannel("A"))
        return page
    return image if image.mode in ("RGB", "L") else image.convert("RGB")


def _exif_metadata(image: Image.Image) -> dict[str, object]:
    """When and where the photo was taken, read before the EXIF is thrown away.

    Best effort on purpose: cameras write odd EXIF, and that must never block an upload.
    """
    try:
        exif = image.getexif()
        taken = _taken_at(exif)
        gps = _gps(exif.get_ifd(ExifTags.IFD.GPSInfo))
    except Exception:  # any EXIF failure just means "unknown"
        taken, gps = None, None
    return {
        "taken_at": taken[0] if taken else None,
        "taken_at_naive": taken[1] if taken else False,
        "gps": gps,
    }


def _taken_at(exif: Image.Exif) -> tuple[str, bool] | None:
    """RFC 3339 time of the shot and whether it is naive (no offset recorded).

    DateTimeOriginal (with OffsetTimeOriginal) is when the shutter fired; DateTime (with
    OffsetTime) is when the file last changed, a fallback for apps that only write that.
    """
    sub = exif.get_ifd(ExifTags.IFD.Exif)
    candidates = (
        (sub.get(ExifTags.Base.DateTimeOriginal), sub.get(ExifTags.Base.OffsetTimeOriginal)),
        (exif.get(ExifTags.Base.DateTime), sub.get(ExifTags.Base.OffsetTime)),
    )
    for stamp, offset in candidates:
        when = _exif_time(stamp)
        if when is not None:
            zone = _zone(offset)
            if zone is None:
                return when.isoformat(timespec="seconds"), True
            return when.replace(tzinfo=zone).isoformat(timespec="seconds"), False
    return None


def _text(value: object) -> str:
    """An EXIF ASCII value as text, without the NUL padding some cameras leave."""
    if isinstance(value, bytes):
        value = value.decode("ascii", "replace")
    return value.strip("\x00 ") if isinstance(value, str) else ""


def _exif_time(value: object) -> datetime | None:
    """`YYYY:MM:DD HH:MM:SS`; blank or zeroed stamps (unset camera clocks) are unknown."""
    try:
        return datetime.strptime(_text(value), EXIF_TIME)
    except ValueError:
        return None


def _zone(value: object) -> timezone | None:
    """An EXIF offset such as `+07:00`, or None when absent or malformed."""
    found = _OFFSET.fullmatch(_text(value))
    if not found:
        return None
    sign, hours, minutes = found.groups()
    delta = timedelta(hours=int(hours), minutes=int(minutes))
    if delta >= timedelta(hours=24) or int(minutes) >= 60:
        return None
    return timezone(-delta if sign == "-" else delta)


def _gps(ifd: dict[int, Any]) -> dict[str, float | None] | None:
    """Latitude, longitude and altitude from the GPS IFD; None when the position is unknown.

    (0, 0) is what some phones write without a fix, and no rice grows there.
    """
    lat = _coordinate(ifd.get(ExifTags.GPS.GPSLatitude), ifd.get(ExifTags.GPS.GPSLatitudeRef), 90)
    lon = _coordinate(
        ifd.get(ExifTags.GPS.GPSLongitude), ifd.get(ExifTags.GPS.GPSLongitudeRef), 180
    )
    if lat is None or lon is None or (lat == 0 and lon == 0):
        return None
    alt = _altitude(ifd.get(ExifTags.GPS.GPSAltitude), ifd.get(ExifTags.GPS.GPSAltitudeRef))
    return {"lat": lat, "lon": lon, "alt": alt}


def _coordinate(dms: object, ref: object, limit: int) -> float | None:
    """Degrees, minutes, seconds (EXIF rationals) to signed decimal degrees.

    The sign comes only from the reference letter (S and W are negative); without a valid
    letter the hemisphere is unknown, and a position in the wrong one is worse than none.
    """
    hemisphere = _text(ref).upper()
    if hemisphere not in ("N", "S", "E", "W") or not isinstance(dms, tuple):
        return None
    if not 1 <= len(dms) <= 3 or not all(isinstance(part, numbers.Real) for part in dms):
        return None
    value = abs(sum(float(part) / 60**index for index, part in enumerate(dms)))
    if not math.isfinite(value) or value > limit:
        return None
    return round(-value if hemisphere in ("S", "W") else value, 6)


def _altitude(value: object, ref: object) -> float | None:
    """Metres above sea level; reference 1 means below it."""
    if not isinstance(value, numbers.Real):
        return None
    metres = float(value)
    if not math.isfinite(metres):
        return None
    below = ref in (1, b"\x01", "\x01")
    return round(-metres if below else metres, 2)


def _clean_name(filename: str) -> str:
    """A display name safe for Content-Disposition and file dialogs: last path part only,
    no control, bidi or reserved characters, Vietnamese letters kept (NFC), ≤ 120 chars."""
    name = unicodedata.normalize("NFC", str(filename or ""))
    name = re.split(r"[\\/]", name)[-1]
    name = " ".join(name.split())
    name = "".join(char for char in name if not unicodedata.category(char).startswith("C"))
    name = _RESERVED.sub("_", name).strip(" .")
    if len(name) > NAME_LIMIT:
        stem, dot, ext = name.rpartition(".")
        if dot and stem and len(ext) <= 10:
            name = stem[: NAME_LIMIT - len(ext) - 1].rstrip(" .") + "." + ext
        else:
            name = name[:NAME_LIMIT]
    return name or "file"
