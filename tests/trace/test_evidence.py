"""Evidence store: type sniffing, re-encoding without metadata, EXIF time and GPS, limits
(size, pixels, empty, corrupt), content addressing and atomic, idempotent writes."""

from __future__ import annotations

import contextlib
import hashlib
import os
import struct
import zlib
from io import BytesIO
from pathlib import Path
from typing import Any

import flask
import flask_babel
import pytest
from PIL import ExifTags, Image
from PIL.TiffImagePlugin import IFDRational

from registry.errors import DomainError
from registry.storage.local import LocalStore
from registry.trace import evidence
from registry.trace.evidence import (
    MAX_SIDE,
    EvidenceNotFound,
    EvidenceStore,
    EvidenceTooLarge,
    EvidenceTypeNotAllowed,
    EvidenceUnreadable,
    StoredFile,
)

APP = flask.Flask(__name__)
flask_babel.Babel(APP)

MB = 1024 * 1024
TINY_PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\n"
    b"trailer<</Root 1 0 R>>\n%%EOF\n"
)


@pytest.fixture
def files(tmp_path: Path) -> LocalStore:
    return LocalStore(tmp_path / "files")


@pytest.fixture
def store(files: LocalStore, tmp_path: Path) -> EvidenceStore:
    return EvidenceStore(files, legacy=tmp_path / "evidence")


def kept(store: EvidenceStore, sha256: str) -> bytes:
    """The bytes stored for a digest."""
    return store.files.get(store.key(sha256))


def rendered(exc: DomainError) -> dict[str, Any]:
    """What a form or API would show, rendered as a request would render it."""
    with APP.test_request_context():
        return {
            "status": exc.status,
            "title": str(exc.title),
            "detail": str(exc.detail) if exc.detail else None,
            "file": exc.errors.get("file"),
        }


def jpeg(image: Image.Image, **params: Any) -> bytes:
    out = BytesIO()
    image.save(out, "JPEG", **params)
    return out.getvalue()


def png(image: Image.Image) -> bytes:
    out = BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def rgb(image: Image.Image, xy: tuple[int, int]) -> tuple[int, ...]:
    value = image.convert("RGB").getpixel(xy)
    assert isinstance(value, tuple)
    return value


def grey(image: Image.Image, xy: tuple[int, int]) -> int:
    value = image.getpixel(xy)
    assert isinstance(value, int)
    return value


def dms(degrees: int, minutes: int, seconds: float) -> tuple[IFDRational, ...]:
    return (IFDRational(degrees), IFDRational(minutes), IFDRational(round(seconds * 10), 10))


def camera_exif(
    lat: tuple[IFDRational, ...] = dms(20, 43, 12.5),
    lat_ref: str = "N",
    lon: tuple[IFDRational, ...] = dms(106, 47, 30),
    lon_ref: str = "E",
    offset: str | None = "+07:00",
) -> Image.Exif:
    """EXIF as a phone writes it: owner, serial, time of the shot and a GPS fix."""
    exif = Image.Exif()
    exif[ExifTags.Base.Artist] = "Nguyen Van A"
    exif[ExifTags.Base.DateTime] = "2024:05:02 09:00:00"
    sub = exif.get_ifd(ExifTags.IFD.Exif)
    sub[ExifTags.Base.DateTimeOriginal] = "2024:05:01 07:30:15"
    sub[ExifTags.Base.BodySerialNumber] = "SN-998877"
    if offset is not None:
        sub[ExifTags.Base.OffsetTimeOriginal] = offset
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = lat_ref
    gps[ExifTags.GPS.GPSLatitude] = lat
    gps[ExifTags.GPS.GPSLongitudeRef] = lon_ref
    gps[ExifTags.GPS.GPSLongitude] = lon
    gps[ExifTags.GPS.GPSAltitudeRef] = b"\x00"
    gps[ExifTags.GPS.GPSAltitude] = IFDRational(35, 10)
    return exif


def photo(**exif: Any) -> bytes:
    return jpeg(Image.new("RGB", (64, 48), (40, 160, 60)), exif=camera_exif(**exif))


def png_chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


class CountingStream:
    """An endless upload that counts what was read, without holding it in memory."""

    def __init__(self, size: int) -> None:
        self.left = size
        self.read_total = 0

    def read(self, n: int = -1) -> bytes:
        n = self.left if n < 0 else min(n, self.left)
        self.left -= n
        self.read_total += n
        return b"\0" * n


# --- EXIF metadata -----------------------------------------------------------------------


def test_gps_and_time_of_the_shot_are_returned_as_metadata(store: EvidenceStore) -> None:
    stored = store.save(photo(), "IMG_0001.JPG")
    assert stored.content_type == "image/jpeg"
    assert stored.metadata["width"] == 64 and stored.metadata["height"] == 48
    assert stored.metadata["taken_at"] == "2024-05-01T07:30:15+07:00"
    assert stored.metadata["taken_at_naive"] is False
    gps = stored.metadata["gps"]
    assert isinstance(gps, dict)
    assert gps["lat"] == pytest.approx(20.720139, abs=1e-6)
    assert gps["lon"] == pytest.approx(106.791667, abs=1e-6)
    assert gps["alt"] == pytest.approx(3.5)


@pytest.mark.parametrize(
    ("lat_ref", "lon_ref", "sign_lat", "sign_lon"),
    [("N", "E", 1, 1), ("S", "E", -1, 1), ("N", "W", 1, -1), ("S", "W", -1, -1)],
)
def test_hemisphere_letters_give_the_sign(
    store: EvidenceStore, lat_ref: str, lon_ref: str, sign_lat: int, sign_lon: int
) -> None:
    gps = store.save(photo(lat_ref=lat_ref, lon_ref=lon_ref), "a.jpg").metadata["gps"]
    assert isinstance(gps, dict)
    assert gps["lat"] == pytest.approx(sign_lat * 20.720139, abs=1e-6)
    assert gps["lon"] == pytest.approx(sign_lon * 106.791667, abs=1e-6)


def test_below_sea_level_altitude_is_negative(store: EvidenceStore) -> None:
    exif = camera_exif()
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSAltitudeRef] = b"\x01"
    stored = store.save(jpeg(Image.new("RGB", (8, 8)), exif=exif), "a.jpg")
    assert stored.metadata["gps"] == {
        "lat": pytest.approx(20.720139),
        "lon": pytest.approx(106.791667),
        "alt": pytest.approx(-3.5),
    }


@pytest.mark.parametrize(
    "exif",
    [
        {"lat_ref": ""},  # hemisphere unknown: better no position than a wrong one
        {"lon_ref": "X"},
        {"lat": dms(0, 0, 0), "lon": dms(0, 0, 0)},  # "no fix" written as (0, 0)
        {"lat": (IFDRational(20, 0), IFDRational(0), IFDRational(0))},  # x/0 rational
        {"lat": dms(95, 0, 0)},
    ],
)
def test_unusable_gps_gives_none_but_keeps_the_time(
    store: EvidenceStore, exif: dict[str, Any]
) -> None:
    stored = store.save(photo(**exif), "a.jpg")
    assert stored.metadata["gps"] is None
    assert stored.metadata["taken_at"] == "2024-05-01T07:30:15+07:00"


def test_time_without_offset_is_naive_local_time(store: EvidenceStore) -> None:
    stored = store.save(photo(offset=None), "a.jpg")
    assert stored.metadata["taken_at"] == "2024-05-01T07:30:15"
    assert stored.metadata["taken_at_naive"] is True


def test_datetime_is_the_fallback_when_the_shot_time_is_missing(store: EvidenceStore) -> None:
    exif = Image.Exif()
    exif[ExifTags.Base.DateTime] = "2024:05:02 09:00:00\x00"
    exif.get_ifd(ExifTags.IFD.Exif)[ExifTags.Base.OffsetTime] = "-03:30"
    stored = store.save(jpeg(Image.new("RGB", (8, 8)), exif=exif), "a.jpg")
    assert stored.metadata["taken_at"] == "2024-05-02T09:00:00-03:30"


def test_image_without_exif_has_empty_metadata(store: EvidenceStore) -> None:
    stored = store.save(jpeg(Image.new("RGB", (8, 8))), "a.jpg")
    assert stored.metadata == {
        "width": 8,
        "height": 8,
        "taken_at": None,
        "taken_at_naive": False,
        "gps": None,
    }


# --- re-encoding ---------------------------------------------------------------------------


def test_stored_image_carries_no_exif_icc_xmp_or_comment(store: EvidenceStore) -> None:
    data = jpeg(
        Image.new("RGB", (64, 48), "green"),
        exif=camera_exif(),
        icc_profile=b"ICC-SECRET" * 20,
        comment=b"owner: Nguyen Van A",
        xmp=b"<x:xmpmeta>SN-998877</x:xmpmeta>",
    )
    stored = store.save(data, "a.jpg")
    body = kept(store, stored.sha256)
    with Image.open(BytesIO(body)) as image:
        assert image.format == "JPEG"
        assert len(image.getexif()) == 0
        assert not {"exif", "icc_profile", "xmp", "comment"} & set(image.info)
    for secret in (b"SN-998877", b"Nguyen Van A", b"ICC-SECRET"):
        assert secret not in body
    assert hashlib.sha256(body).hexdigest() == stored.sha256
    assert stored.size == len(body)


def test_exif_orientation_is_applied(store: EvidenceStore) -> None:
    image = Image.new("RGB", (60, 40), "blue")
    image.paste((255, 0, 0), (0, 0, 30, 40))  # left half red
    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = 6  # shown rotated 90° clockwise
    stored = store.save(jpeg(image, exif=exif), "rotated.jpg")
    assert (stored.metadata["width"], stored.metadata["height"]) == (40, 60)
    with Image.open(BytesIO(kept(store, stored.sha256))) as upright:
        assert upright.size == (40, 60)
        red, _, blue = rgb(upright, (20, 10))
        assert red > 200 and blue < 60  # the left half is now on top
        red, _, blue = rgb(upright, (20, 50))
        assert red < 60 and blue > 200


def test_png_alpha_is_flattened_on_white(store: EvidenceStore) -> None:
    image = Image.new("RGBA", (40, 20), (0, 0, 0, 0))
    image.paste((0, 128, 0, 255), (20, 0, 40, 20))
    stored = store.save(png(image), "logo.png", declared_type="image/png")
    assert stored.content_type == "image/jpeg"
    assert stored.original_name == "logo.png"
    with Image.open(BytesIO(kept(store, stored.sha256))) as flat:
        assert flat.mode == "RGB"
        assert all(value > 245 for value in rgb(flat, (5, 10)))
        red, green, blue = rgb(flat, (35, 10))
        assert red < 30 and 100 < green < 160 and blue < 30


def test_palette_png_with_transparency_is_flattened(store: EvidenceStore) -> None:
    image = Image.new("P", (16, 16), 0)
    image.putpalette([0, 0, 0, 200, 0, 0] + [0] * 762)
    image.paste(1, (8, 0, 16, 16))
    image.info["transparency"] = 0
    stored = store.save(png(image), "a.png")
    with Image.open(BytesIO(kept(store, stored.sha256))) as flat:
        assert all(value > 245 for value in rgb(flat, (2, 8)))
        assert rgb(flat, (13, 8))[0] > 150


def test_sixteen_bit_grey_png_is_scaled_not_clipped(store: EvidenceStore) -> None:
    stored = store.save(png(Image.new("I;16", (16, 16), 32768)), "scan.png")
    with Image.open(BytesIO(kept(store, stored.sha256))) as image:
        assert 110 < grey(image, (8, 8)) < 145


def test_webp_is_accepted(store: EvidenceStore) -> None:
    out = BytesIO()
    Image.new("RGB", (30, 20), "yellow").save(out, "WEBP")
    stored = store.save(out.getvalue(), "a.webp")
    assert stored.content_type == "image/jpeg"
    assert (stored.metadata["width"], stored.metadata["height"]) == (30, 20)


def test_large_photo_is_downscaled_to_the_longest_side(store: EvidenceStore) -> None:
    data = jpeg(Image.new("RGB", (6000, 4000), (90, 120, 30)), quality=50)
    stored = store.save(data, "big.jpg")
    assert (stored.metadata["width"], stored.metadata["height"]) == (MAX_SIDE, 1365)
    with Image.open(BytesIO(kept(store, stored.sha256))) as image:
        assert image.size == (MAX_SIDE, 1365)


def test_portrait_photo_is_downscaled_by_its_height(store: EvidenceStore) -> None:
    stored = store.save(png(Image.new("RGB", (1000, 3000), "white")), "tall.png")
    assert (stored.metadata["width"], stored.metadata["height"]) == (683, MAX_SIDE)


# --- types ---------------------------------------------------------------------------------


def test_pdf_is_kept_byte_for_byte(store: EvidenceStore) -> None:
    stored = store.save(BytesIO(TINY_PDF), "hóa đơn phân bón.pdf", declared_type="image/jpeg")
    assert stored == StoredFile(
        sha256=hashlib.sha256(TINY_PDF).hexdigest(),
        content_type="application/pdf",
        size=len(TINY_PDF),
        original_name="hóa đơn phân bón.pdf",
        metadata={},
    )
    assert kept(store, stored.sha256) == TINY_PDF


def test_text_renamed_to_jpg_is_refused(store: EvidenceStore) -> None:
    with pytest.raises(EvidenceTypeNotAllowed) as caught:
        store.save(b"just some notes\n", "photo.jpg", declared_type="image/jpeg")
    shown = rendered(caught.value)
    assert shown["status"] == 415
    assert shown["title"] == "This type of file is not accepted."
    assert shown["file"] == [shown["detail"]]
    assert "JPEG" in shown["detail"] and "PDF" in shown["detail"]


@pytest.mark.parametrize("brand", [b"heic", b"mif1", b"avif"])
def test_heic_is_refused_with_advice_to_send_jpeg(store: EvidenceStore, brand: bytes) -> None:
    data = b"\x00\x00\x00\x18ftyp" + brand + b"\x00\x00\x00\x00mif1heic" + b"\x00" * 64
    with pytest.raises(EvidenceTypeNotAllowed) as caught:
        store.save(data, "IMG_0001.HEIC")
    shown = rendered(caught.value)
    assert shown["status"] == 415
    assert "HEIC" in shown["detail"] and "JPEG" in shown["detail"]


def test_gif_is_refused(store: EvidenceStore) -> None:
    out = BytesIO()
    Image.new("RGB", (4, 4)).save(out, "GIF")
    with pytest.raises(EvidenceTypeNotAllowed):
        store.save(out.getvalue(), "a.jpg")


# --- limits and damage ---------------------------------------------------------------------


def test_huge_stream_is_refused_after_reading_one_byte_too_many(store: EvidenceStore) -> None:
    upload = CountingStream(50 * MB)
    with pytest.raises(EvidenceTooLarge) as caught:
        store.save(upload, "huge.jpg")  # type: ignore[arg-type]
    assert upload.read_total <= store.max_bytes + 1
    shown = rendered(caught.value)
    assert shown["status"] == 413
    assert shown["title"] == "The file is too large."
    assert shown["detail"] == "The file is larger than 10 MB."
    assert shown["file"] == ["The file is larger than 10 MB."]


def test_file_of_exactly_max_bytes_is_read_in_full(files: LocalStore) -> None:
    store = EvidenceStore(files, max_bytes=len(TINY_PDF))
    assert store.save(TINY_PDF, "a.pdf").size == len(TINY_PDF)
    with pytest.raises(EvidenceTooLarge):
        EvidenceStore(files, max_bytes=len(TINY_PDF) - 1).save(TINY_PDF, "a.pdf")


@pytest.mark.parametrize("empty", [b"", BytesIO()])
def test_empty_upload_is_refused(store: EvidenceStore, empty: Any) -> None:
    with pytest.raises(EvidenceUnreadable) as caught:
        store.save(empty, "a.jpg")
    assert rendered(caught.value)["file"] == ["The file is empty."]


@pytest.mark.parametrize(
    "damage",
    [
        lambda data: data[: len(data) // 2],  # truncated upload
        lambda data: data[:20] + b"\x00" * (len(data) - 20),  # zeroed body
        lambda data: b"\xff\xd8\xff\xe0garbage",
    ],
)
def test_corrupt_jpeg_is_unreadable(store: EvidenceStore, damage: Any) -> None:
    noisy = Image.effect_noise((200, 200), 80).convert("RGB")
    with pytest.raises(EvidenceUnreadable) as caught:
        store.save(damage(jpeg(noisy)), "broken.jpg")
    shown = rendered(caught.value)
    assert shown["status"] == 422
    assert shown["title"] == "The file could not be read."
    assert "damaged" in shown["file"][0]
    assert not list(store.files.keys())


@pytest.mark.parametrize("side", [40, 100])  # Pillow warns above the limit, fails above 2x
def test_decompression_bomb_is_refused(
    store: EvidenceStore, monkeypatch: pytest.MonkeyPatch, side: int
) -> None:
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 1000)
    with pytest.raises(EvidenceTooLarge) as caught:
        store.save(png(Image.new("RGB", (side, side))), "bomb.png")
    assert "too many pixels" in rendered(caught.value)["file"][0]


def test_pixel_limit_holds_even_if_warning_filters_were_reset(
    store: EvidenceStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`catch_warnings` is process-wide; another thread may restore filters mid-upload."""
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 1000)
    monkeypatch.setattr(evidence, "_bomb_guard", contextlib.nullcontext)
    with pytest.warns(Image.DecompressionBombWarning), pytest.raises(EvidenceTooLarge):
        store.save(png(Image.new("RGB", (40, 40))), "bomb.png")


def test_png_header_claiming_a_huge_size_is_refused(store: EvidenceStore) -> None:
    header = struct.pack(">IIBBBBB", 100_000, 100_000, 8, 2, 0, 0, 0)
    data = (
        b"\x89PNG\r\n\x1a\n"
        + png_chunk(b"IHDR", header)
        + png_chunk(b"IDAT", zlib.compress(b"\x00" * 64))
        + png_chunk(b"IEND", b"")
    )
    with pytest.raises(EvidenceTooLarge):
        store.save(data, "bomb.png")


# --- storage -------------------------------------------------------------------------------


def test_same_content_twice_is_the_same_file_and_not_rewritten(
    store: EvidenceStore, files: LocalStore
) -> None:
    data = photo()
    first = store.save(data, "a.jpg")
    target = files.path(store.key(first.sha256))
    before = target.stat()
    second = store.save(BytesIO(data), "a.jpg")
    assert second == first
    after = target.stat()
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)
    assert [p for p in files.root.rglob("*") if p.is_file()] == [target]


def test_layout_is_evidence_then_two_hex_digits_then_the_digest(
    store: EvidenceStore, files: LocalStore
) -> None:
    sha = store.save(TINY_PDF, "a.pdf").sha256
    assert store.key(sha) == f"evidence/{sha[:2]}/{sha}"
    assert files.get(f"evidence/{sha[:2]}/{sha}") == TINY_PDF
    with contextlib.closing(store.open(sha).file) as stream:
        assert stream.read() == TINY_PDF


def test_files_of_earlier_versions_are_read_from_the_old_folder(
    store: EvidenceStore, tmp_path: Path
) -> None:
    """Before the store, evidence lived in EVIDENCE_DIR/ab/cdef…: readable until migrated."""
    sha = hashlib.sha256(TINY_PDF).hexdigest()
    (tmp_path / "evidence" / sha[:2]).mkdir(parents=True)
    (tmp_path / "evidence" / sha[:2] / sha[2:]).write_bytes(TINY_PDF)
    blob = store.open(sha)
    with contextlib.closing(blob.file) as stream:
        assert (stream.read(), blob.size) == (TINY_PDF, len(TINY_PDF))
    with pytest.raises(EvidenceNotFound):
        EvidenceStore(store.files).open(sha)  # no old folder configured: not found


@pytest.mark.parametrize(
    "name",
    [
        "../..",
        "../../etc/passwd",
        "",
        "ab",
        "A" * 64,
        "g" * 64,
        "0" * 63,
        "0" * 65,
        "0" * 62 + "/.",
        None,
    ],
)
def test_key_refuses_anything_but_a_sha256(store: EvidenceStore, name: Any) -> None:
    with pytest.raises(EvidenceNotFound) as caught:
        store.key(name)
    assert rendered(caught.value)["status"] == 404


def test_open_of_a_missing_file_is_not_found(store: EvidenceStore) -> None:
    with pytest.raises(EvidenceNotFound) as caught:
        store.open("0" * 64)
    shown = rendered(caught.value)
    assert shown["status"] == 404
    assert shown["file"] == ["The evidence file was not found."]


def test_a_failed_write_leaves_no_temp_file(
    store: EvidenceStore, files: LocalStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(*_: Any) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", refuse)
    with pytest.raises(OSError, match="disk full"):
        store.save(TINY_PDF, "a.pdf")
    assert [p for p in files.root.rglob("*") if p.is_file()] == []


@pytest.mark.parametrize(
    ("given", "kept"),
    [
        ("C:\\Users\\An\\Pictures\\ruộng.jpg", "ruộng.jpg"),
        ("../../etc/passwd", "passwd"),
        ("a\u202egpj.exe", "agpj.exe"),  # bidi override used to disguise the extension
        ("  đồng\tlúa\n 1 .jpg ", "đồng lúa 1 .jpg"),
        ("a\u0301nh.jpg", "ánh.jpg"),  # decomposed accents recomposed (NFC)
        ('what?"<>|*:.jpg', "what_______.jpg"),
        ("...", "file"),
        ("", "file"),
        ("x" * 300 + ".jpeg", "x" * 115 + ".jpeg"),
        ("y" * 300, "y" * 120),
    ],
)
def test_original_name_is_sanitised(store: EvidenceStore, given: str, kept: str) -> None:
    name = store.save(TINY_PDF, given).original_name
    assert name == kept
    assert len(name) <= 120
