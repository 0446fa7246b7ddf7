"""Demo photo evidence on the diaries of the Đông Xuân 2026 seasons that wait in the
verifier's queue, so the review page has photos to weigh: the AWD tube of a drained field
and the harvest, taken on the field, and a urea purchase photographed at the input shop
about 3 km away, which the review page flags as far from the field. One photo comes from
a phone that records no time zone.

Each photo is drawn (registry/demo/pictures.py), given the EXIF a phone writes (GPS
position, time taken) and uploaded through the diary's own evidence service, which reads
that EXIF, strips it and keeps what it read, exactly as for a farmer's upload."""

from __future__ import annotations

import math
import zlib
from dataclasses import dataclass
from datetime import date, datetime, time
from io import BytesIO
from typing import Any

from PIL import ExifTags, Image
from PIL.TiffImagePlugin import IFDRational
from werkzeug.datastructures import FileStorage

from registry.accounts.models import Organisation
from registry.db import Db
from registry.demo import pictures
from registry.trace import service as trace
from registry.trace.evidence import EvidenceStore
from registry.trace.models import EvidenceFile

METRES_PER_DEGREE = 111_320


@dataclass(frozen=True)
class DemoPhoto:
    """A photo on the first diary entry of `kind` in its season whose data has `match`."""

    field: str
    season: tuple[str, int]  # season type, year
    kind: str
    match: tuple[tuple[str, Any], ...]
    scene: str  # what registry/demo/pictures.py draws
    caption: str
    taken: time  # Vietnam time, on the entry's date
    east_m: float  # where it was taken, from the field's centre
    north_m: float
    zone: bool = True  # whether the phone wrote its UTC offset


DRAINAGE = (("event", "drainage"),)
PHOTOS = (
    DemoPhoto(
        "TL-01",
        ("dong_xuan", 2026),
        "fertiliser",
        (("urea", True),),
        "urea",
        "Mua phân Urê ở đại lý vật tư, thị trấn Thới Lai",
        time(16, 42, 10),
        2900,
        1450,
    ),
    DemoPhoto(
        "TL-01",
        ("dong_xuan", 2026),
        "water",
        DRAINAGE,
        "awd",
        "Ruộng Kênh Ngang: rút nước lần 1, ống AWD",
        time(7, 31, 5),
        18,
        -22,
    ),
    DemoPhoto(
        "TL-01",
        ("dong_xuan", 2026),
        "harvest",
        (),
        "harvest",
        "Ruộng Kênh Ngang: thu hoạch",
        time(9, 5, 40),
        -35,
        12,
    ),
    DemoPhoto(
        "DS-01",
        ("dong_xuan", 2026),
        "water",
        DRAINAGE,
        "awd",
        "Ruộng Đồng Cao: rút nước lần 1",
        time(8, 12, 0),
        10,
        30,
        zone=False,
    ),
)


def of_season(field: str, season_type: str, year: int) -> list[DemoPhoto]:
    """The photos still to attach to a season's diary as it is loaded."""
    return [p for p in PHOTOS if p.field == field and p.season == (season_type, year)]


def take(waiting: list[DemoPhoto], kind: str, data: dict[str, Any]) -> DemoPhoto | None:
    """The waiting photo that goes with this entry, removed from `waiting`."""
    for photo in waiting:
        if photo.kind == kind and all(data.get(k) == v for k, v in photo.match):
            waiting.remove(photo)
            return photo
    return None


def upload(
    session: Db,
    org: Organisation,
    store: EvidenceStore,
    photo: DemoPhoto,
    centre: tuple[float, float],
    on: date,
) -> EvidenceFile:
    """Draw the photo as the phone saved it and upload it like the diary form does;
    `centre` is the field's (lon, lat)."""
    lon, lat = _moved(centre, photo.east_m, photo.north_m)
    when = datetime.combine(on, photo.taken)
    stamp = (f"{when:%d/%m/%Y %H:%M}  {lat:.5f}N {lon:.5f}E", photo.caption)
    seed = zlib.crc32(f"{photo.field} {when.isoformat()}".encode())
    data = pictures.jpeg(photo.scene, stamp, seed, _exif(lat, lon, when, photo.zone))
    sent = FileStorage(BytesIO(data), f"IMG_{when:%Y%m%d_%H%M%S}.jpg", content_type="image/jpeg")
    return trace.store_evidence(session, org, store, sent)


def _moved(centre: tuple[float, float], east_m: float, north_m: float) -> tuple[float, float]:
    lon, lat = centre
    north = north_m / METRES_PER_DEGREE
    east = east_m / (METRES_PER_DEGREE * math.cos(math.radians(lat)))
    return round(lon + east, 6), round(lat + north, 6)


def _exif(lat: float, lon: float, when: datetime, zone: bool) -> bytes:
    """GPS position and time taken, in the EXIF tags a phone camera writes them."""
    exif = Image.Exif()
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "N" if lat >= 0 else "S"
    gps[ExifTags.GPS.GPSLatitude] = _dms(lat)
    gps[ExifTags.GPS.GPSLongitudeRef] = "E" if lon >= 0 else "W"
    gps[ExifTags.GPS.GPSLongitude] = _dms(lon)
    shot = exif.get_ifd(ExifTags.IFD.Exif)
    shot[ExifTags.Base.DateTimeOriginal] = when.strftime("%Y:%m:%d %H:%M:%S")
    if zone:
        shot[ExifTags.Base.OffsetTimeOriginal] = "+07:00"
    return exif.tobytes()


def _dms(degrees: float) -> tuple[IFDRational, IFDRational, IFDRational]:
    """Degrees, minutes and seconds (to a hundredth), as EXIF rationals."""
    hundredths = round(abs(degrees) * 3600 * 100)
    whole, rest = divmod(hundredths, 3600 * 100)
    minutes, seconds = divmod(rest, 60 * 100)
    return IFDRational(whole, 1), IFDRational(minutes, 1), IFDRational(seconds, 100)
