"""Spreadsheets of fields, seasons and diary entries: CSV and XLSX in, rows of schema input
out, and the same columns written back (exports and the blank template).

Pure: bytes in, plain values out; no database, no request. One sheet (or one CSV file) holds
one kind of record. Headers are matched without case, accents or punctuation, so "Mã thửa",
"ma thua" and the schema name "code" are the same column; cell values are turned into what
the marshmallow schemas of `registry.trace.schemas` take (ISO dates, floats, codes), and
every cell that cannot be turned gets a message naming its row and column. The rules of the
registry (ranges, lengths, choices, locations) stay in the schemas and services; this module
only reads what a person typed the way they meant it:

- dates as real Excel dates, ISO `2026-01-25` or Vietnamese `25/01/2026` (day first);
- numbers as real numbers, or text with a decimal comma or point. A lone separator followed
  by exactly three digits (`1.000`) is a thousands separator in a `;` CSV (written by
  decimal-comma Excel), also in a `,` CSV when it is a comma, and refused as ambiguous in an
  XLSX text cell, rather than guessed: a thousand kilograms read as one is worse than a
  question;
- choices by their Vietnamese name ("Đông Xuân", "Phân bón"), an alias, or the code.

Files are recognised by content, never by name: XLSX is a zip holding `xl/workbook.xml`
(macro workbooks, binary `.xlsb`, OpenDocument and old `.xls` are refused with a hint), CSV is
UTF-8 text (Excel's "CSV UTF-8" adds a BOM; both are fine). Before openpyxl opens a
workbook the declared uncompressed sizes of its members are added up, so a zip bomb is
refused unread (Python's zipfile stops at the declared size, so the sum is a real bound),
and expat ≥ 2.4 (Python's XML parser) refuses entity-expansion bombs.
"""

from __future__ import annotations

import csv
import io
import itertools
import json
import re
import unicodedata
import warnings
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time
from functools import cached_property
from typing import Any

from flask_babel import lazy_gettext as _l

from registry import crops
from registry.errors import DomainError
from registry.numbers import whole
from registry.places import PROVINCES
from registry.trace.models import DiaryKind
from registry.trace.schemas import DIARY_DATA

MAX_BYTES = 5 * 1024 * 1024  # one upload
MAX_ROWS = 5_000  # data rows in one file, all sheets together: about 20 s, one request
MAX_UNZIPPED = 50 * 1024 * 1024  # declared uncompressed size of an XLSX's members
MAX_MEMBERS = 1_000
MAX_COLUMNS = 60
MAX_HEADER_SEARCH = 10  # the header is the first non-empty row among the first ten

KINDS = ("fields", "seasons", "diary")
SHEET_NAMES = {"fields": "Thửa ruộng", "seasons": "Vụ", "diary": "Nhật ký"}
SHEET_ALIASES = {
    "fields": ("fields", "field", "thửa", "thửa ruộng", "ruộng", "vùng trồng"),
    "seasons": ("seasons", "season", "vụ", "vụ lúa", "mùa vụ"),
    "diary": ("diary", "nhật ký", "nhật ký đồng ruộng", "sổ nhật ký"),
}
GUIDE_SHEET = "Hướng dẫn"
LISTS_SHEET = "Danh mục"
IGNORED = "_ignored"  # the key of columns that are read and dropped ("STT": row numbers)

XLSX = "xlsx"
CSV = "csv"
XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_MIME = "text/csv; charset=utf-8"
CELL_LIMIT = 32_767  # characters Excel keeps in one cell


# ---------------------------------------------------------------- file problems
class FileTooLarge(DomainError):
    status = 413
    title = _l("The file is too large to import.")


class UnsupportedFile(DomainError):
    status = 415
    title = _l("This type of file cannot be imported.")


class UnreadableFile(DomainError):
    title = _l("The file cannot be read.")


def _refuse(cls: type[DomainError], message: Any, key: str = "file") -> DomainError:
    return cls(message, errors={key: [str(message)]})


# ---------------------------------------------------------------- matching text
def fold(text: str) -> str:
    """Text as it is matched: lower case, no accents (đ is d), words of letters and digits."""
    text = unicodedata.normalize("NFD", text.casefold()).replace("đ", "d")
    text = "".join(c for c in text if not unicodedata.combining(c))
    return " ".join(re.sub(r"[^0-9a-z]+", " ", text).split())


@dataclass(frozen=True)
class Choices:
    """Accepted values of a column: code → Vietnamese name shown in files, and aliases."""

    names: dict[str, str]
    aliases: dict[str, tuple[str, ...]] = field(default_factory=dict)

    @cached_property
    def lookup(self) -> dict[str, str]:
        found: dict[str, str] = {}
        for code, name in self.names.items():
            for text in (code, name, *self.aliases.get(code, ())):
                if found.setdefault(fold(text), code) != code:
                    raise AssertionError(f"{text!r} names two choices")
        return found

    def listing(self) -> str:
        return ", ".join(self.names.values())


SEASON_TYPES = Choices(
    {
        "dong_xuan": "Đông Xuân",
        "he_thu": "Hè Thu",
        "thu_dong": "Thu Đông",
        "vu_mua": "Vụ Mùa",
        "crop_cycle": "Chu kỳ cây trồng",
        "growing_year": "Năm sinh trưởng",
    },
    {
        "dong_xuan": ("DX", "vụ Đông Xuân"),
        "he_thu": ("HT", "vụ Hè Thu"),
        "thu_dong": ("TD", "vụ Thu Đông"),
        "vu_mua": ("VM", "Mùa", "vụ mùa chính"),
        "crop_cycle": ("chu kỳ", "lứa"),
        "growing_year": ("năm", "cả năm"),
    },
)
CROPS = Choices({code: crop.names["vi"] for code, crop in crops.catalogue().items()})
DIARY_KINDS = Choices(
    {
        "water": "Nước",
        "fertiliser": "Phân bón",
        "amendment": "Chất hữu cơ",
        "straw": "Rơm rạ",
        "pesticide": "Thuốc BVTV",
        "harvest": "Thu hoạch",
        "energy": "Năng lượng",
        "note": "Ghi chú",
        "sowing": "Gieo trồng",
        "planting": "Trồng cây",
        "lime": "Bón vôi",
        "irrigation": "Tưới nước",
        "residue": "Phụ phẩm",
        "pruning": "Tỉa cành",
        "trees": "Chặt hoặc trồng lại cây",
    },
    {
        "water": ("quản lý nước", "tưới tiêu", "tưới", "nước ruộng"),
        "fertiliser": ("bón phân", "phân", "fertilizer"),
        "amendment": ("bón hữu cơ", "vùi hữu cơ", "phân hữu cơ vùi"),
        "straw": ("xử lý rơm", "rơm"),
        "pesticide": ("thuốc bảo vệ thực vật", "phun thuốc", "thuốc"),
        "harvest": ("gặt", "thu hoạch lúa"),
        "energy": ("nhiên liệu", "điện và nhiên liệu", "dầu và điện"),
        "note": ("ghi nhận", "khác"),
        "sowing": ("gieo hạt", "trồng rau", "trồng hoa", "gieo"),
        "planting": ("trồng cây ăn quả", "trồng mới"),
        "lime": ("vôi", "rải vôi"),
        "irrigation": ("tưới cây", "bơm tưới", "tưới rau"),
        "residue": ("xử lý phụ phẩm", "thân lá"),
        "pruning": ("tỉa", "cắt tỉa"),
        "trees": ("chặt cây", "trồng lại", "phá vườn"),
    },
)
WATER_EVENTS = Choices(
    {"flooding": "Cho nước vào", "drainage": "Rút nước"},
    {"flooding": ("ngập", "ngập nước", "đưa nước vào"), "drainage": ("phơi ruộng", "rút cạn")},
)
MATERIALS = Choices(
    {
        "straw": "Rơm rạ",
        "compost": "Phân compost",
        "farmyard_manure": "Phân chuồng",
        "green_manure": "Phân xanh",
    },
    {"straw": ("rơm",), "compost": ("phân ủ", "phân hữu cơ ủ"), "farmyard_manure": ("manure",)},
)
STRAW_PRACTICES = Choices(
    {
        "left": "Để lại trên đồng",
        "incorporated": "Vùi vào đất",
        "removed": "Thu gom khỏi ruộng",
        "burned": "Đốt",
        "mushroom": "Trồng nấm",
        "composted": "Ủ làm phân",
    },
    {
        "left": ("để lại", "để trên ruộng"),
        "incorporated": ("vùi", "cày vùi"),
        "removed": ("thu gom", "mang ra khỏi ruộng", "bán rơm"),
        "burned": ("đốt rơm", "đốt đồng"),
        "mushroom": ("làm nấm", "nấm rơm"),
        "composted": ("ủ phân", "ủ"),
    },
)
UNITS = Choices(
    {"l": "l", "ml": "ml", "kg": "kg", "g": "g"},
    {"l": ("lít", "litre", "liter"), "g": ("gam", "gram")},
)
ENERGY_SOURCES = Choices(
    {"diesel": "Dầu diesel", "petrol": "Xăng", "electricity": "Điện", "none": "Không dùng bơm"},
    {
        "diesel": ("dầu", "dầu DO"),
        "petrol": ("xăng A95", "xăng E5"),
        "electricity": ("điện năng", "điện lưới"),
        "none": ("không bơm", "tự chảy"),
    },
)
PURPOSES = Choices(
    {
        "pumping": "Bơm nước",
        "land_preparation": "Làm đất",
        "harvesting": "Thu hoạch",
        "transport": "Vận chuyển",
        "cold_storage": "Kho lạnh",
        "other": "Khác",
    },
    {"pumping": ("bơm",), "land_preparation": ("cày bừa",), "harvesting": ("gặt",)},
)
SOWING_METHODS = Choices(
    {"sown": "Gieo hạt", "transplanted": "Trồng cây con", "cuttings": "Giâm cành"},
    {"sown": ("gieo thẳng",), "transplanted": ("cấy", "trồng cây giống"), "cuttings": ("hom",)},
)
LIME_TYPES = Choices(
    {"limestone": "Đá vôi nghiền", "dolomite": "Dolomit"},
    {"limestone": ("vôi bột", "CaCO3"), "dolomite": ("đôlômit",)},
)
IRRIGATION_SYSTEMS = Choices(
    {"sprinkler": "Phun mưa", "drip": "Nhỏ giọt", "hose": "Vòi, ô doa", "furrow": "Tưới rãnh"},
    {"sprinkler": ("tưới phun",), "hose": ("vòi", "ô doa"), "furrow": ("rãnh", "tưới tràn")},
)
PRUNING_STYLES = Choices(
    {
        "after_harvest": "Sau thu hoạch",
        "shaping": "Tạo tán",
        "rejuvenation": "Đốn trẻ hoá",
        "sanitation": "Tỉa cành bệnh",
    },
    {"shaping": ("tạo hình",), "rejuvenation": ("đốn",), "sanitation": ("vệ sinh",)},
)
TREE_CHANGES = Choices(
    {"cut": "Chặt bỏ", "replanted": "Chặt và trồng lại"},
    {"cut": ("chặt", "phá bỏ"), "replanted": ("trồng lại", "trồng thay")},
)
YES = ("có", "x", "c", "yes", "y", "true", "đúng", "1")
NO = ("không", "k", "no", "n", "false", "sai", "0")
BOOLEANS = {**{fold(t): True for t in YES}, **{fold(t): False for t in NO}}


def _province_lookup() -> dict[str, str]:
    found: dict[str, str] = {}
    for name in PROVINCES:
        key = fold(name)
        found[key] = name
        for prefix in ("thanh pho ", "tinh "):
            if key.startswith(prefix):
                found[key.removeprefix(prefix)] = name
        for prefix in ("tinh ", "thanh pho ", "tp "):
            found.setdefault(prefix + key.removeprefix("thanh pho "), name)
    return found


PROVINCE_LOOKUP = _province_lookup()


# ---------------------------------------------------------------- columns
@dataclass(frozen=True)
class Column:
    """One column: `key` is where its value goes (a schema field, `data.<name>` for diary
    data, or a key this module turns into one: lat/lon/geojson make `location`)."""

    key: str
    header: str
    type: str  # text, code, number, percent, integer, date, bool, choice, province, json, list
    help: str
    aliases: tuple[str, ...] = ()
    choices: Choices | None = None
    required: bool = False
    width: int = 16

    @property
    def name(self) -> str:
        """The schema field name the column fills (without the `data.` prefix)."""
        return self.key.removeprefix("data.")


def _c(key: str, header: str, type: str, help: str, *aliases: str, **extra: Any) -> Column:
    return Column(key, header, type, help, (key.removeprefix("data."), *aliases), **extra)


ROW_NUMBER = Column(
    IGNORED, "STT", "text", "Số thứ tự (không bắt buộc, không được đọc).", ("tt", "no", "#")
)

COLUMNS: dict[str, tuple[Column, ...]] = {
    "fields": (
        _c(
            "code",
            "Mã thửa",
            "code",
            "Mã riêng của thửa trong HTX: 1–20 ký tự, chữ in hoa, chữ số và dấu -. Ví dụ DS-01.",
            "ma",
            "field code",
            required=True,
            width=12,
        ),
        _c(
            "name",
            "Tên thửa",
            "text",
            "Tên gọi của thửa, tối đa 120 ký tự.",
            "ten",
            required=True,
            width=24,
        ),
        _c(
            "area_ha",
            "Diện tích (ha)",
            "number",
            "Diện tích khai báo, đơn vị héc-ta (lớn hơn 0, tối đa 1.000). Dấu thập phân là "
            "dấu phẩy hoặc dấu chấm: 1,25 hoặc 1.25.",
            "area",
            "dien tich",
            required=True,
        ),
        _c(
            "province",
            "Tỉnh/thành phố",
            "province",
            "Một trong 34 tỉnh, thành phố từ năm 2025 (xem trang Danh mục).",
            "tinh",
            "tinh thanh",
            required=True,
            width=20,
        ),
        _c(
            "commune",
            "Xã/phường",
            "text",
            "Xã, phường hoặc đặc khu, tối đa 100 ký tự.",
            "xa",
            "xa phuong dac khu",
            required=True,
            width=20,
        ),
        _c(
            "household",
            "Hộ thành viên",
            "text",
            "Hộ canh tác (không bắt buộc). Riêng tư: không bao giờ công khai, không vào sổ cái.",
            "ho",
            "ho canh tac",
            width=22,
        ),
        _c(
            "planting_area_code",
            "Mã số vùng trồng",
            "text",
            "Mã số vùng trồng được cấp, nếu có (không bắt buộc).",
            "ma vung trong",
            width=18,
        ),
        _c(
            "lat",
            "Vĩ độ",
            "number",
            "Vĩ độ của một điểm trong thửa (độ thập phân, ví dụ 20,7104). Cho vĩ độ và kinh độ, "
            "hoặc ranh giới GeoJSON.",
            "latitude",
            "vi do",
        ),
        _c(
            "lon",
            "Kinh độ",
            "number",
            "Kinh độ của điểm đó (ví dụ 106,7805).",
            "lng",
            "longitude",
            "kinh do",
        ),
        _c(
            "geojson",
            "Ranh giới GeoJSON",
            "json",
            "Ranh giới thửa dạng GeoJSON Polygon (thay cho vĩ độ/kinh độ), toạ độ "
            '[kinh độ, vĩ độ]: {"type":"Polygon","coordinates":[[[106.78,20.71],…]]}.',
            "location",
            "geometry",
            "ranh gioi",
            width=30,
        ),
    ),
    "seasons": (
        _c(
            "field",
            "Mã thửa",
            "code",
            "Mã của thửa (đã có trong hệ thống hoặc ở trang Thửa ruộng của cùng tệp).",
            "ma thua",
            "field code",
            required=True,
            width=12,
        ),
        _c(
            "season_type",
            "Vụ",
            "choice",
            "Tên vụ của lúa; rau, ngô, hoa: Chu kỳ cây trồng; cây ăn quả: Năm sinh trưởng.",
            "loai vu",
            "mua vu",
            choices=SEASON_TYPES,
            required=True,
            width=14,
        ),
        _c(
            "year",
            "Năm",
            "integer",
            "Năm của vụ (2015–2100). Vụ Đông Xuân 2025–2026 là năm 2026.",
            "nam",
            required=True,
            width=8,
        ),
        _c(
            "sowing_date",
            "Ngày gieo sạ",
            "date",
            "Ngày gieo sạ, cấy hoặc trồng; cây ăn quả: ngày bắt đầu năm sinh trưởng. Trong năm "
            "của vụ hoặc năm trước đó.",
            "ngay gieo",
            "ngay sa",
            "ngay cay",
            required=True,
            width=14,
        ),
        _c(
            "code",
            "Mã vụ",
            "code",
            "Không bắt buộc: hệ thống tự đặt mã vụ = mã thửa-năm-vụ (ví dụ DS-01-2026-DX; "
            "chu kỳ cây trồng được đánh số theo thứ tự mở: HD-01-2026-C1, C2…; năm sinh trưởng: "
            "DS-05-2026-N). Nếu điền, phải đúng như vậy.",
            "season",
            "season code",
            width=18,
        ),
        _c(
            "crop",
            "Cây trồng",
            "choice",
            "Cây trồng của vụ (để trống là Lúa).",
            "cay",
            choices=CROPS,
            width=14,
        ),
        _c(
            "planting_year",
            "Năm trồng",
            "integer",
            "Cây ăn quả (bắt buộc): năm trồng cây; tuổi cây tính từ năm này.",
            width=10,
        ),
        _c("tree_count", "Số cây", "integer", "Cây ăn quả: số cây trong vườn.", width=10),
    ),
    "diary": (
        _c(
            "season",
            "Mã vụ",
            "code",
            "Mã vụ, ví dụ DS-01-2026-DX (mã thửa-năm-vụ).",
            "ma vu",
            "season code",
            required=True,
            width=18,
        ),
        _c(
            "kind",
            "Loại",
            "choice",
            "Loại công việc; điền các cột dữ liệu của loại đó.",
            "loai cong viec",
            "cong viec",
            choices=DIARY_KINDS,
            required=True,
            width=14,
        ),
        _c(
            "date",
            "Ngày",
            "date",
            "Ngày thực hiện (không được sau hôm nay).",
            "ngay thuc hien",
            required=True,
            width=12,
        ),
        _c(
            "data.event",
            "Sự kiện nước",
            "choice",
            "Loại Nước: cho nước vào hay rút nước.",
            choices=WATER_EVENTS,
        ),
        _c(
            "data.end_date",
            "Ngày cho nước lại",
            "date",
            "Loại Nước, khi rút nước: ngày cho nước vào lại (một đợt khô xen kẽ).",
        ),
        _c(
            "data.product",
            "Sản phẩm",
            "text",
            "Phân bón hoặc Thuốc BVTV: tên sản phẩm, ví dụ Urê Phú Mỹ, NPK 20-20-15.",
            width=20,
        ),
        _c(
            "data.kg",
            "Số lượng (kg)",
            "number",
            "Phân bón: số kg sản phẩm. Thu hoạch: số kg thu được (thóc, rau, ngô, hoa, quả).",
        ),
        _c(
            "data.n_pct",
            "Hàm lượng N (%)",
            "percent",
            "Phân bón: hàm lượng đạm (% N). Để trống nếu là urê (46 %). Phụ phẩm: % N trong"
            " chất khô nếu đã đo; để trống thì dùng giá trị thường gặp của cây trồng.",
        ),
        _c("data.urea", "Là urê", "bool", "Phân bón: có hoặc không.", width=10),
        _c("data.organic", "Phân hữu cơ", "bool", "Phân bón: có hoặc không.", width=10),
        _c(
            "data.material",
            "Vật liệu",
            "choice",
            "Chất hữu cơ: loại vật liệu vùi vào ruộng.",
            choices=MATERIALS,
        ),
        _c(
            "data.t_ha",
            "Tấn/ha",
            "number",
            "Chất hữu cơ: tấn mỗi ha (rơm tính khô, loại khác tính tươi), 0–50.",
            width=10,
        ),
        _c(
            "data.practice",
            "Xử lý rơm",
            "choice",
            "Rơm rạ, Phụ phẩm: cách xử lý.",
            choices=STRAW_PRACTICES,
            width=18,
        ),
        _c(
            "data.tonnes",
            "Tấn",
            "number",
            "Rơm rạ, Phụ phẩm: số tấn (phụ phẩm tính khô). Bón vôi: số tấn vôi.",
            width=10,
        ),
        _c(
            "data.active_ingredient", "Hoạt chất", "text", "Thuốc BVTV: hoạt chất (không bắt buộc)."
        ),
        _c(
            "data.amount",
            "Lượng",
            "number",
            "Thuốc BVTV: lượng dùng (theo Đơn vị). Năng lượng, Tưới nước: số lít dầu, xăng "
            "hoặc số kWh điện.",
            width=10,
        ),
        _c(
            "data.unit", "Đơn vị", "choice", "Thuốc BVTV: đơn vị của Lượng.", choices=UNITS, width=8
        ),
        _c(
            "data.moisture_pct",
            "Độ ẩm (%)",
            "percent",
            "Thu hoạch: độ ẩm của lúa (0–40 %), không bắt buộc.",
            width=10,
        ),
        _c(
            "data.source",
            "Nguồn năng lượng",
            "choice",
            "Năng lượng: dầu diesel, xăng hay điện. Tưới nước: máy bơm chạy bằng gì.",
            choices=ENERGY_SOURCES,
        ),
        _c(
            "data.purpose",
            "Mục đích",
            "choice",
            "Năng lượng: dùng vào việc gì (mặc định Bơm nước).",
            choices=PURPOSES,
        ),
        _c(
            "data.variety",
            "Cây, giống",
            "text",
            "Gieo trồng: cây và giống, ví dụ cải ngọt, cúc CN93. Trồng cây: giống (không bắt "
            "buộc).",
            width=18,
        ),
        _c(
            "data.method",
            "Cách gieo trồng",
            "choice",
            "Gieo trồng: gieo hạt, trồng cây con hay giâm cành.",
            choices=SOWING_METHODS,
        ),
        _c("data.seed_kg", "Hạt giống (kg)", "number", "Gieo trồng: số kg hạt (không bắt buộc)."),
        _c("data.plants", "Số cây con", "integer", "Gieo trồng: số cây con (không bắt buộc)."),
        _c(
            "data.trees",
            "Số cây",
            "integer",
            "Trồng cây: số cây (bắt buộc). Tỉa cành, Chặt hoặc trồng lại cây: số cây.",
            width=10,
        ),
        _c(
            "data.planting_year",
            "Năm trồng",
            "integer",
            "Trồng cây: năm trồng (bắt buộc).",
            width=10,
        ),
        _c(
            "data.lime_type",
            "Loại vôi",
            "choice",
            "Bón vôi: đá vôi nghiền hay dolomit.",
            choices=LIME_TYPES,
        ),
        _c(
            "data.system",
            "Cách tưới",
            "choice",
            "Tưới nước: phun mưa, nhỏ giọt, vòi hay tưới rãnh.",
            choices=IRRIGATION_SYSTEMS,
        ),
        _c(
            "data.hours", "Số giờ bơm", "number", "Tưới nước: số giờ chạy máy bơm (không bắt buộc)."
        ),
        _c(
            "data.style",
            "Kiểu tỉa",
            "choice",
            "Tỉa cành: tỉa sau thu hoạch, tạo tán, đốn trẻ hoá hay tỉa cành bệnh.",
            choices=PRUNING_STYLES,
        ),
        _c(
            "data.change",
            "Chặt hay trồng lại",
            "choice",
            "Chặt hoặc trồng lại cây: chặt bỏ hay chặt và trồng lại.",
            choices=TREE_CHANGES,
        ),
        _c(
            "data.area_ha",
            "Diện tích cây (ha)",
            "number",
            "Chặt hoặc trồng lại cây: diện tích (ha); cho số cây, diện tích hoặc cả hai.",
        ),
        _c(
            "data.text",
            "Ghi chú",
            "text",
            "Loại Ghi chú: nội dung, tối đa 2.000 ký tự.",
            "note",
            width=30,
        ),
        _c(
            "number",
            "Số nhật ký",
            "integer",
            "Không bắt buộc: số của dòng nhật ký. Khi xuất, là số trong hệ thống; khi nhập, "
            "dùng để dòng sau sửa dòng này. Số đã có trong HTX thì dòng bị từ chối (tránh "
            "nhập trùng).",
            "id",
            "entry",
            "so",
            width=12,
        ),
        _c(
            "supersedes",
            "Sửa số",
            "integer",
            "Khi dòng này sửa một dòng trước: Số nhật ký của dòng đó (ở phía trên trong tệp, "
            "hoặc đã có trong hệ thống).",
            "thay the so",
            "sua dong",
            width=10,
        ),
        _c("reason", "Lý do sửa", "text", "Bắt buộc khi có Sửa số: vì sao sửa.", width=20),
        _c(
            "evidence",
            "Minh chứng (SHA-256)",
            "list",
            "Không bắt buộc: mã SHA-256 của ảnh hoặc tệp minh chứng đã tải lên HTX, cách nhau "
            "bởi dấu cách.",
            "minh chung",
            width=20,
        ),
    ),
}

# What the template shows in its one example row per sheet (the same values a person types).
EXAMPLES: dict[str, dict[str, Any]] = {
    "fields": {
        "code": "VD-01",
        "name": "Ruộng mẫu (xoá dòng này)",
        "area_ha": 1.0,
        "province": "Hải Phòng",
        "commune": "phường Đồ Sơn",
        "household": "Hộ ông Nguyễn Văn A",
        "location": {"type": "Point", "coordinates": [106.7805, 20.7104]},
    },
    "seasons": {
        "field": "VD-01",
        "season_type": "dong_xuan",
        "year": 2026,
        "sowing_date": date(2026, 1, 10),
        "code": "VD-01-2026-DX",
    },
    "diary": {
        "season": "VD-01-2026-DX",
        "kind": "fertiliser",
        "date": date(2026, 1, 25),
        "data": {
            "product": "Urê Phú Mỹ",
            "kg": 50.0,
            "n_pct": 46.0,
            "urea": True,
            "organic": False,
        },
    },
}


def _lookup(kind: str) -> dict[str, Column]:
    found: dict[str, Column] = {}
    for column in (*COLUMNS[kind], ROW_NUMBER):
        for text in (column.header, *column.aliases):
            key = fold(text)
            if key in found and found[key] is not column:
                raise AssertionError(f"{kind}: {text!r} names two columns")
            found[key] = column
    return found


HEADERS = {kind: _lookup(kind) for kind in KINDS}
SHEETS = {fold(text): kind for kind in KINDS for text in (SHEET_NAMES[kind], *SHEET_ALIASES[kind])}
KIND_FIELDS = {kind: set(schema().fields) for kind, schema in DIARY_DATA.items()}


# ---------------------------------------------------------------- what reading gives
@dataclass(frozen=True)
class CellError:
    """A problem at a row (as numbered in Excel) and a column (its header in the file)."""

    row: int
    column: str
    message: Any  # lazy: rendered in the reader's language


@dataclass
class Row:
    """One data row: `values` is input for the kind's schema; `sources` names the header each
    key came from (so schema errors point at the column a person sees)."""

    number: int
    values: dict[str, Any] = field(default_factory=dict)
    sources: dict[str, str] = field(default_factory=dict)
    errors: list[CellError] = field(default_factory=list)
    entry_number: int | None = None  # diary: "Số nhật ký"
    season_code: str | None = None  # seasons: "Mã vụ", checked against the code made

    def fail(self, column: str, message: Any) -> None:
        self.errors.append(CellError(self.number, column, message))


@dataclass
class Sheet:
    kind: str
    name: str  # as in the workbook, or the CSV file's name
    header_row: int = 1
    headers: dict[str, str] = field(default_factory=dict)  # column key → header as written
    rows: list[Row] = field(default_factory=list)
    errors: list[CellError] = field(default_factory=list)  # about the header row

    def header(self, key: str) -> str:
        """The header a person sees for `key` (a schema key, or `data.<name>`)."""
        if key in self.headers:
            return self.headers[key]
        if key == "location":
            return self.headers.get("geojson") or _joined(self, "lat", "lon")
        for column in COLUMNS[self.kind]:
            if column.key == key:
                return column.header
        return ""


def _joined(sheet: Sheet, *keys: str) -> str:
    return ", ".join(sheet.headers.get(k) or _canonical(sheet.kind, k) for k in keys)


def _canonical(kind: str, key: str) -> str:
    return next(c.header for c in COLUMNS[kind] if c.key == key)


@dataclass
class Book:
    format: str  # "xlsx" or "csv"
    sheets: list[Sheet] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)  # sheets not read

    def rows(self, kind: str) -> Iterator[tuple[Sheet, Row]]:
        for sheet in self.sheets:
            if sheet.kind == kind:
                for row in sheet.rows:
                    yield sheet, row

    @property
    def row_count(self) -> int:
        return sum(len(s.rows) for s in self.sheets)


class CellProblem(ValueError):
    def __init__(self, message: Any) -> None:
        super().__init__(message)
        self.message = message


# ---------------------------------------------------------------- recognising the file
def detect(data: bytes) -> str:
    """ "xlsx" or "csv", judged by content; anything else is refused with a hint."""
    if len(data) > MAX_BYTES:
        raise _refuse(FileTooLarge, _l("Files up to 5 MB can be imported; split this one."))
    if not data.strip():
        raise _refuse(UnreadableFile, _l("The file is empty."))
    if data.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        raise _refuse(
            UnsupportedFile,
            _l(
                "This is an old Excel file (.xls) or a password-protected workbook. Open it in "
                "Excel and save it as an Excel Workbook (.xlsx) without a password."
            ),
        )
    if data.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        _check_workbook(data)
        return XLSX
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise _refuse(
            UnsupportedFile,
            _l("This text is UTF-16 (Excel's 'Unicode Text'). Save it as 'CSV UTF-8'."),
        )
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise _refuse(
            UnsupportedFile,
            _l(
                "This is not a CSV file in UTF-8 nor an Excel workbook (.xlsx). In Excel, "
                "choose Save As 'CSV UTF-8 (Comma delimited)' or 'Excel Workbook'."
            ),
        ) from None
    if "\x00" in text or text.lstrip().startswith(("<", "{", "%PDF")):
        raise _refuse(UnsupportedFile, _l("This is not a CSV file nor an Excel workbook (.xlsx)."))
    if not text.strip():
        raise _refuse(UnreadableFile, _l("The file is empty."))
    return CSV


def _check_workbook(data: bytes) -> None:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        members = archive.infolist()
    except (zipfile.BadZipFile, ValueError):
        raise _refuse(UnreadableFile, _l("The workbook is damaged and cannot be opened.")) from None
    if len(members) > MAX_MEMBERS or sum(m.file_size for m in members) > MAX_UNZIPPED:
        raise _refuse(
            FileTooLarge,
            _l("The workbook unpacks to more than 50 MB; split it into smaller files."),
        )
    names = {m.filename for m in members}
    if any(m.flag_bits & 0x1 for m in members):
        raise _refuse(UnsupportedFile, _l("The workbook is encrypted; save it without a password."))
    if "xl/vbaProject.bin" in names or _macro_content_type(archive, names):
        raise _refuse(
            UnsupportedFile,
            _l(
                "Workbooks with macros (.xlsm) are not accepted. Save it as an Excel Workbook "
                "(.xlsx)."
            ),
        )
    if "xl/workbook.bin" in names:
        raise _refuse(
            UnsupportedFile,
            _l("Binary workbooks (.xlsb) are not accepted. Save it as an Excel Workbook (.xlsx)."),
        )
    if "xl/workbook.xml" not in names:
        raise _refuse(
            UnsupportedFile,
            _l(
                "This zip file is not an Excel workbook (.xlsx). OpenDocument (.ods) and other "
                "files: save them as an Excel Workbook (.xlsx) or as CSV UTF-8."
            ),
        )


def _macro_content_type(archive: zipfile.ZipFile, names: set[str]) -> bool:
    if "[Content_Types].xml" not in names:
        return False
    return b"macroEnabled" in archive.read("[Content_Types].xml")


# ---------------------------------------------------------------- reading
def read(data: bytes, filename: str, kind: str | None = None) -> Book:
    """The rows of a CSV or XLSX file. `kind` names what a CSV holds (found from its headers
    when None); for a workbook it limits reading to that kind's sheets. Problems of the
    whole file raise; problems of cells are kept on their rows."""
    if kind is not None and kind not in KINDS:
        raise _refuse(UnreadableFile, _l("Choose fields, seasons or diary."), "kind")
    budget = _Budget()
    if detect(data) == XLSX:
        return _read_xlsx(data, kind, budget)
    return _read_csv(data, filename, kind, budget)


class _Budget:
    """Data rows left to read in this file; reading stops with an error past the limit."""

    def __init__(self) -> None:
        self.left = MAX_ROWS

    def take(self) -> None:
        self.left -= 1
        if self.left < 0:
            raise _refuse(
                UnreadableFile,
                _l(
                    "The file has more than %(max)s rows; import it in parts.",
                    max=whole(MAX_ROWS),
                ),
            )


def _read_csv(data: bytes, filename: str, kind: str | None, budget: _Budget) -> Book:
    text = data.decode("utf-8-sig")
    first_line = next((line for line in text.splitlines() if line.strip()), "")
    # The header line decides: Sniffer weighs every line, and decimal commas in a `;` file
    # can outvote the delimiter.
    delimiter = ";" if first_line.count(";") > first_line.count(",") else ","
    try:
        records = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    except csv.Error as exc:
        raise _refuse(
            UnreadableFile, _l("The CSV file cannot be read: %(error)s", error=str(exc))
        ) from None
    style = "comma" if delimiter == ";" else "point"
    rows = ((number, [(v, None) for v in record]) for number, record in enumerate(records, 1))
    sheet = _read_sheet(rows, filename or "CSV", kind, style, budget)
    book = Book(CSV)
    if sheet is None:
        raise _refuse(
            UnreadableFile,
            _l(
                "Cannot tell what this file holds from its headers. Choose fields, seasons or "
                "diary, or start from the template."
            ),
            "kind",
        )
    book.sheets.append(sheet)
    return book


def _read_xlsx(data: bytes, kind: str | None, budget: _Budget) -> Book:
    from openpyxl import load_workbook

    book = Book(XLSX)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # openpyxl warns about Excel features it drops
        try:
            workbook = load_workbook(
                io.BytesIO(data), read_only=True, data_only=True, keep_links=False
            )
        except Exception:  # openpyxl raises many kinds for broken files
            raise _refuse(
                UnreadableFile, _l("The workbook is damaged and cannot be opened.")
            ) from None
        try:
            for worksheet in workbook.worksheets:
                title = str(worksheet.title)
                by_name = SHEETS.get(fold(title))
                if fold(title) in (fold(GUIDE_SHEET), fold(LISTS_SHEET)):
                    continue  # the template's own help
                if kind is not None and by_name not in (None, kind):
                    book.ignored.append(title)
                    continue
                worksheet.reset_dimensions()  # do not trust the stored size
                cells = worksheet.iter_rows(min_row=1, max_col=MAX_COLUMNS)
                rows = (
                    (number, [(c.value, c) for c in row]) for number, row in enumerate(cells, 1)
                )
                sheet = _read_sheet(
                    rows, title, by_name, None, budget, only=kind, epoch=workbook.epoch
                )
                if sheet is None:
                    book.ignored.append(title)
                else:
                    book.sheets.append(sheet)
        except DomainError:
            raise
        except Exception:  # a sheet's XML or its zip member is broken
            raise _refuse(
                UnreadableFile, _l("The workbook is damaged and cannot be opened.")
            ) from None
        finally:
            workbook.close()
    if not book.sheets:
        raise _refuse(
            UnreadableFile,
            _l(
                "No sheet named %(names)s was found. Start from the template.",
                names=", ".join(SHEET_NAMES.values()),
            ),
        )
    book.sheets.sort(key=lambda s: KINDS.index(s.kind))
    return book


Cells = list[tuple[Any, Any]]  # (value, openpyxl cell or None)


def _read_sheet(
    rows: Iterable[tuple[int, Cells]],
    name: str,
    kind: str | None,
    style: str | None,
    budget: _Budget,
    *,
    only: str | None = None,
    epoch: datetime | None = None,
) -> Sheet | None:
    """The sheet's rows, or None when it is empty or its kind cannot be told. The header is
    the first row, among the first ten, naming two known columns (a title above it is
    skipped), else the first row that is not empty."""
    iterator = iter(rows)
    seen: list[tuple[int, Cells]] = []
    chosen: int | None = None
    for number, cells in iterator:
        seen.append((number, cells))
        if _known_headers(cells, kind or only) >= 2:
            chosen = len(seen) - 1
            break
        if len(seen) >= MAX_HEADER_SEARCH:
            break
    if chosen is None:
        chosen = next((i for i, (_, cells) in enumerate(seen) if not _empty(cells)), None)
        if chosen is None:
            return None
    header_row, header_cells = seen[chosen]
    iterator = itertools.chain(seen[chosen + 1 :], iterator)
    texts = [str(v).strip() if v is not None else "" for v, _ in header_cells]
    if kind is None:  # a CSV of unnamed kind, or a sheet of another name: by its headers
        kind = _guess_kind(texts)
        if kind is None and only and _known_headers(header_cells, only) >= 2:
            kind = only  # missing columns are then reported
        if kind is None or kind != (only or kind):
            return None
    sheet = Sheet(kind, name, header_row)
    columns = _map_headers(sheet, texts)
    if sheet.errors:
        return sheet
    reader = _RowReader(sheet, columns, style, epoch)
    for number, cells in iterator:
        if _empty(cells):
            continue
        budget.take()
        sheet.rows.append(reader.row(number, cells))
    return sheet


def _empty(cells: Cells) -> bool:
    return all(_blank(v) is None for v, _ in cells)


def _known_headers(cells: Cells, kind: str | None) -> int:
    texts = [fold(str(v)) for v, _ in cells if _blank(v) is not None]
    return max(sum(t in HEADERS[k] for t in texts) for k in ([kind] if kind else KINDS))


def _guess_kind(texts: list[str]) -> str | None:
    """The kind whose required columns are all there, the one matching most if several."""
    scores = {}
    for kind in KINDS:
        found = {HEADERS[kind][fold(t)].key for t in texts if fold(t) in HEADERS[kind]}
        if all(c.key in found for c in COLUMNS[kind] if c.required):
            scores[kind] = len(found)
    if not scores:
        return None
    best = max(scores.values())
    winners = [k for k, s in scores.items() if s == best]
    return winners[0] if len(winners) == 1 else None


def _map_headers(sheet: Sheet, texts: list[str]) -> list[Column | None]:
    columns: list[Column | None] = []
    lookup = HEADERS[sheet.kind]
    for text in texts:
        if not text:
            columns.append(None)
            continue
        column = lookup.get(fold(text))
        if column is None:
            sheet.errors.append(
                CellError(
                    sheet.header_row,
                    text,
                    _l(
                        "Unknown column. Use the headers of the template (see the sheet "
                        "'Hướng dẫn'), or delete the column."
                    ),
                )
            )
        elif column.key in sheet.headers and column.key != IGNORED:
            sheet.errors.append(CellError(sheet.header_row, text, _l("This column appears twice.")))
        else:
            sheet.headers[column.key] = text
        columns.append(column)
    for column in COLUMNS[sheet.kind]:
        if column.required and column.key not in sheet.headers:
            sheet.errors.append(
                CellError(
                    sheet.header_row, column.header, _l("This column is required but missing.")
                )
            )
    return columns


def _blank(value: Any) -> Any:
    """None for an empty cell (nothing, or only spaces)."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    return value


class _RowReader:
    def __init__(
        self,
        sheet: Sheet,
        columns: list[Column | None],
        style: str | None,
        epoch: datetime | None,
    ) -> None:
        self.sheet = sheet
        self.columns = columns
        self.style = style
        self.epoch = epoch

    def row(self, number: int, cells: Cells) -> Row:
        row = Row(number)
        raw: dict[str, Any] = {}
        for index, (value, cell) in enumerate(cells):
            column = self.columns[index] if index < len(self.columns) else None
            value = _blank(value)
            if value is None:
                continue
            if column is None:
                row.fail(
                    "",
                    _l(
                        "This value has no column header; give the column a header "
                        "or delete the value."
                    ),
                )
                continue
            if column.key == IGNORED:
                continue
            header = self.sheet.headers[column.key]
            try:
                raw[column.key] = self.coerce(column, value, cell)
            except CellProblem as problem:
                row.fail(header, problem.message)
                raw[column.key] = problem  # present but unusable
        getattr(self, f"_{self.sheet.kind}")(row, raw)
        return row

    def _put(self, row: Row, raw: dict[str, Any], key: str, target: str | None = None) -> None:
        value = raw.get(key)
        if value is not None and not isinstance(value, CellProblem):
            row.values[target or key] = value
            row.sources[target or key] = self.sheet.headers[key]

    def _fields(self, row: Row, raw: dict[str, Any]) -> None:
        for key in (
            "code",
            "name",
            "area_ha",
            "province",
            "commune",
            "household",
            "planting_area_code",
        ):
            self._put(row, raw, key)
        lat, lon, shape = raw.get("lat"), raw.get("lon"), raw.get("geojson")
        # `sources["location"]` names the cell at fault, so that the schema's "missing"
        # does not repeat a problem already reported there.
        if shape is not None:
            row.sources["location"] = self.sheet.headers["geojson"]
            if lat is not None or lon is not None:
                row.fail(
                    self.sheet.headers["geojson"],
                    _l("Give either latitude and longitude or a GeoJSON boundary, not both."),
                )
            elif not isinstance(shape, CellProblem):
                row.values["location"] = shape
        elif lat is not None and lon is not None:
            if isinstance(lat, CellProblem) or isinstance(lon, CellProblem):
                bad = "lat" if isinstance(lat, CellProblem) else "lon"
                row.sources["location"] = self.sheet.header(bad)
            else:
                row.values["location"] = {"type": "Point", "coordinates": [lon, lat]}
                row.sources["location"] = _joined(self.sheet, "lat", "lon")
        elif lat is not None or lon is not None:
            missing = self.sheet.header("lon" if lon is None else "lat")
            row.fail(missing, _l("Give both latitude and longitude."))
            row.sources["location"] = missing

    def _seasons(self, row: Row, raw: dict[str, Any]) -> None:
        for key in (
            "field",
            "crop",
            "season_type",
            "year",
            "sowing_date",
            "planting_year",
            "tree_count",
        ):
            self._put(row, raw, key)
        code = raw.get("code")
        if isinstance(code, str):
            row.season_code = code

    def _diary(self, row: Row, raw: dict[str, Any]) -> None:
        for key in ("season", "kind", "date", "supersedes", "reason", "evidence"):
            self._put(row, raw, key)
        number = raw.get("number")
        if isinstance(number, int):
            row.entry_number = number
        kind = row.values.get("kind")
        allowed = KIND_FIELDS.get(DiaryKind(kind)) if kind else None
        data: dict[str, Any] = {}
        for key, value in raw.items():
            if not key.startswith("data.") or isinstance(value, CellProblem):
                continue
            name = key.removeprefix("data.")
            header = self.sheet.headers[key]
            if allowed is not None and name not in allowed:
                if value is not False:  # "không" in a column of another kind harms nobody
                    row.fail(
                        header,
                        _l(
                            "Not used for this kind of entry (%(kind)s); leave it empty.",
                            kind=DIARY_KINDS.names[kind or ""],
                        ),
                    )
                continue
            data[name] = value
            row.sources[key] = header
        row.values["data"] = data

    def coerce(self, column: Column, value: Any, cell: Any) -> Any:
        return COERCE[column.type](self, column, value, cell)


# ---------------------------------------------------------------- cell values
def _text(reader: _RowReader, column: Column, value: Any, cell: Any) -> str:
    if isinstance(value, bool):
        return "có" if value else "không"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime | date):
        return _as_date(value).isoformat()
    return str(value).strip()


def _code(reader: _RowReader, column: Column, value: Any, cell: Any) -> str:
    return _text(reader, column, value, cell).upper()


def _number(reader: _RowReader, column: Column, value: Any, cell: Any) -> float:
    if isinstance(value, bool | datetime | date | time):
        raise CellProblem(_l("Not a number."))
    if isinstance(value, int | float):
        return float(value)
    return parse_number(str(value), reader.style)


def _percent(reader: _RowReader, column: Column, value: Any, cell: Any) -> float:
    if isinstance(value, str) and value.strip().endswith("%"):
        return parse_number(value.strip()[:-1], reader.style)
    number = _number(reader, column, value, cell)
    if isinstance(value, int | float) and "%" in str(getattr(cell, "number_format", "") or ""):
        return round(number * 100, 10)  # a cell formatted as 46 % holds 0.46
    return number


def _integer(reader: _RowReader, column: Column, value: Any, cell: Any) -> int:
    number = _number(reader, column, value, cell)
    if not number.is_integer():
        raise CellProblem(_l("Not a whole number."))
    return int(number)


def _date(reader: _RowReader, column: Column, value: Any, cell: Any) -> str:
    if isinstance(value, datetime | date):
        return _as_date(value).isoformat()
    if isinstance(value, int | float) and not isinstance(value, bool) and reader.epoch:
        from openpyxl.utils.datetime import from_excel

        if 1 <= value < 110_000:  # an Excel serial day number, up to the year 2201
            return _as_date(from_excel(value, reader.epoch)).isoformat()
    if isinstance(value, str):
        return parse_date(value).isoformat()
    raise CellProblem(DATE_PROBLEM)


def _boolean(reader: _RowReader, column: Column, value: Any, cell: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float) and value in (0, 1):
        return bool(value)
    found = BOOLEANS.get(fold(str(value)))
    if found is None:
        raise CellProblem(_l("Write có (yes) or không (no)."))
    return found


def _choice(reader: _RowReader, column: Column, value: Any, cell: Any) -> str:
    assert column.choices is not None
    found = column.choices.lookup.get(fold(_text(reader, column, value, cell)))
    if found is None:
        raise CellProblem(
            _l(
                "“%(value)s” is not accepted here. Use one of: %(choices)s.",
                value=str(value)[:40],
                choices=column.choices.listing(),
            )
        )
    return found


def _province(reader: _RowReader, column: Column, value: Any, cell: Any) -> str:
    found = PROVINCE_LOOKUP.get(fold(str(value)))
    if found is None:
        raise CellProblem(
            _l(
                "“%(value)s” is not one of the 34 provinces and cities (since 2025); see the "
                "sheet 'Danh mục' of the template.",
                value=str(value)[:40],
            )
        )
    return found


def _json(reader: _RowReader, column: Column, value: Any, cell: Any) -> Any:
    try:
        found = json.loads(str(value))
    except ValueError:
        raise CellProblem(_l("Not valid GeoJSON (JSON text).")) from None
    if not isinstance(found, dict):
        raise CellProblem(_l("Not valid GeoJSON (JSON text)."))
    return found


def _list(reader: _RowReader, column: Column, value: Any, cell: Any) -> list[str]:
    return [part.lower() for part in re.split(r"[\s,;]+", str(value).strip()) if part]


COERCE: dict[str, Any] = {
    "text": _text,
    "code": _code,
    "number": _number,
    "percent": _percent,
    "integer": _integer,
    "date": _date,
    "bool": _boolean,
    "choice": _choice,
    "province": _province,
    "json": _json,
    "list": _list,
}


def _as_date(value: datetime | date) -> date:
    return value.date() if isinstance(value, datetime) else value


DATE_PROBLEM = _l("Not a valid date. Write it as dd/mm/yyyy, for example 25/01/2026.")
ISO_DATE = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[T ]00:00(?::00(?:\.0+)?)?)?$")
YEAR_FIRST = re.compile(r"^(\d{4})[/.](\d{1,2})[/.](\d{1,2})$")
DAY_FIRST = re.compile(r"^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})$")


def parse_date(text: str) -> date:
    """A date typed as ISO (2026-01-25) or the Vietnamese way, day first (25/01/2026)."""
    text = text.strip()
    try:
        if match := ISO_DATE.match(text) or YEAR_FIRST.match(text):
            year, month, day = (int(g) for g in match.groups())
            return date(year, month, day)
        if match := DAY_FIRST.match(text):
            day, month, year = (int(g) for g in match.groups())
            return date(year, month, day)
    except ValueError:
        pass
    raise CellProblem(DATE_PROBLEM)


NUMBER = re.compile(r"^[+-]?\d+(?:[.,]\d+)*(?:[eE][+-]?\d+)?$|^[+-]?[.,]\d+$")
GROUPED = re.compile(r"^[+-]?\d{1,3}(?:([.,])\d{3})(?:\1\d{3})*$")


def parse_number(text: str, style: str | None = None) -> float:
    """A number typed as text. `style` is the file's decimal separator when known: "comma"
    for a `;` CSV, "point" for a `,` CSV, None for text cells of a workbook."""
    compact = re.sub(r"[\s\u00a0\u202f']", "", text)
    if not NUMBER.match(compact):
        raise CellProblem(_l("Not a number."))
    exponent = ""
    if match := re.search(r"[eE][+-]?\d+$", compact):
        exponent, compact = match.group(), compact[: match.start()]
    separators = [c for c in compact if c in ".,"]
    if not separators:
        return float(compact + exponent)
    if len(set(separators)) == 2:  # 1.234,5 or 1,234.5: the last one is the decimal mark
        decimal = separators[-1]
        whole, _, fraction = compact.rpartition(decimal)
        grouping = "," if decimal == "." else "."
        if decimal in whole or not GROUPED.match(whole):
            raise CellProblem(_l("Not a number."))
        return float(whole.replace(grouping, "") + "." + fraction + exponent)
    mark = separators[0]
    if len(separators) > 1:  # 1.000.000: thousands only
        if not GROUPED.match(compact) or exponent:
            raise CellProblem(_l("Not a number."))
        return float(compact.replace(mark, ""))
    whole, _, fraction = compact.partition(mark)
    decimal_mark = {"comma": ",", "point": "."}.get(style or "")
    if (
        mark != decimal_mark
        and len(fraction) == 3
        and whole.lstrip("+-") not in ("", "0")
        and (not exponent)
    ):
        if decimal_mark is None:
            raise CellProblem(
                _l(
                    "“%(text)s” is ambiguous: write 1000 for a thousand, or 1,5 with one or two "
                    "decimals.",
                    text=text.strip()[:20],
                )
            )
        return float(whole + fraction)  # the file's thousands separator
    return float(whole + "." + fraction + exponent)


# ---------------------------------------------------------------- writing
def cells(kind: str, values: dict[str, Any]) -> list[Any]:
    """One row in column order from values shaped like what `read` gives (codes, ISO or
    date objects, `location`, diary `data`, `number`), the way a person would type them."""
    row: list[Any] = []
    data = values.get("data") or {}
    location = values.get("location") or {}
    point = location.get("coordinates") if location.get("type") == "Point" else None
    for column in COLUMNS[kind]:
        if column.key.startswith("data."):
            value = data.get(column.name)
        elif column.key in ("lat", "lon"):
            value = point[column.key == "lat"] if point else None
        elif column.key == "geojson":
            value = json.dumps(location, separators=(",", ":")) if location and not point else None
        else:
            value = values.get(column.key)
        row.append(_cell(column, value))
    return row


def _cell(column: Column, value: Any) -> Any:
    if value is None or value == []:
        return None
    if column.type == "choice" and column.choices is not None:
        return column.choices.names.get(str(value), value)
    if column.type == "bool":
        return "có" if value else "không"
    if column.type == "date" and isinstance(value, str):
        return date.fromisoformat(value)
    if column.type == "list":
        return " ".join(value)
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return int(value)
    return value


def write_csv(kind: str, rows: Iterable[dict[str, Any]]) -> bytes:
    """A CSV of one kind: UTF-8 with a BOM (so Excel shows Vietnamese), `,` between values,
    ISO dates and a decimal point, which `read` takes back unchanged."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([c.header for c in COLUMNS[kind]])
    for values in rows:
        writer.writerow([_csv_text(v) for v in cells(kind, values)])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def _csv_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float):
        return repr(value)
    return str(value)


def write_xlsx(tables: dict[str, Iterable[dict[str, Any]]], *, guide: bool = False) -> bytes:
    """A workbook with one sheet per kind (in `tables`), and for the template a guide sheet
    and drop-down lists. Export uses openpyxl's write-only mode: rows stream out."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Alignment, Font, PatternFill

    workbook = Workbook(write_only=not guide)
    if guide:
        workbook.remove(workbook.active)
    bold = Font(bold=True, color="FFFFFF")
    fill = PatternFill("solid", fgColor="1F7A3A")
    wrap = Alignment(wrap_text=True, vertical="top")
    for kind, rows in tables.items():
        sheet: Any = workbook.create_sheet(SHEET_NAMES[kind])
        sheet.freeze_panes = "A2"
        for index, column in enumerate(COLUMNS[kind], 1):
            sheet.column_dimensions[_letter(index)].width = column.width
        if guide:
            sheet.append([c.header for c in COLUMNS[kind]])
            for cell in sheet[1]:
                cell.font, cell.fill, cell.alignment = bold, fill, wrap
        else:
            header = []
            for column in COLUMNS[kind]:
                cell = WriteOnlyCell(sheet, value=column.header)
                cell.font, cell.fill, cell.alignment = bold, fill, wrap
                header.append(cell)
            sheet.append(header)
        for values in rows:
            sheet.append([_xlsx_cell(sheet, v, guide) for v in cells(kind, values)])
            if guide:
                for cell in sheet[sheet.max_row]:
                    if isinstance(cell.value, date):
                        cell.number_format = DATE_FORMAT
    if guide:
        _guide(workbook)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def _xlsx_cell(sheet: Any, value: Any, plain: bool) -> Any:
    if isinstance(value, str) and len(value) > CELL_LIMIT:
        value = value[:CELL_LIMIT]  # Excel keeps no more; CSV export has no limit
    if not isinstance(value, date) or plain:
        return value
    from openpyxl.cell import WriteOnlyCell

    cell = WriteOnlyCell(sheet, value=value)
    cell.number_format = DATE_FORMAT
    return cell


DATE_FORMAT = "DD/MM/YYYY"


def _letter(index: int) -> str:
    from openpyxl.utils import get_column_letter

    return str(get_column_letter(index))


GUIDE_INTRO = (
    "Mẫu nhập dữ liệu thửa ruộng, vụ và nhật ký đồng ruộng (nhãn Phát thải thấp).",
    "Mỗi trang một loại: Thửa ruộng, Vụ, Nhật ký. Dòng 1 là tên cột, mỗi dòng sau là một "
    "bản ghi. Xoá dòng mẫu trước khi nhập. Có thể bỏ trống trang không dùng.",
    "Hệ thống nhập theo thứ tự Thửa ruộng → Vụ → Nhật ký, nên một tệp có thể tạo thửa, vụ "
    "của thửa và nhật ký của vụ cùng lúc.",
    "Tất cả hoặc không: nếu còn một dòng lỗi thì không dòng nào được lưu. Bấm 'Kiểm tra "
    "trước' để xem lỗi theo số dòng và tên cột, sửa rồi nhập lại.",
    "Ngày: kiểu ngày của Excel, hoặc gõ 25/01/2026 (ngày/tháng/năm) hoặc 2026-01-25. "
    "Số: dấu phẩy hoặc dấu chấm thập phân (1,25 hoặc 1.25), không dùng dấu phân cách "
    "hàng nghìn.",
    "Tệp CSV: lưu dạng 'CSV UTF-8', mỗi tệp một loại, dấu phân cách , hoặc ;. "
    f"Tối đa 5 MB và {MAX_ROWS:_} dòng mỗi lần nhập.".replace("_", "."),
)


def _guide(workbook: Any) -> None:
    from openpyxl.styles import Alignment, Font
    from openpyxl.worksheet.datavalidation import DataValidation

    lists = workbook.create_sheet(LISTS_SHEET)
    columns = [
        ("Tỉnh/thành phố", list(PROVINCES)),
        ("Vụ", list(SEASON_TYPES.names.values())),
        ("Cây trồng", list(CROPS.names.values())),
        ("Loại", list(DIARY_KINDS.names.values())),
        ("Có/không", ["có", "không"]),
        *[
            (c.header, list(c.choices.names.values()))
            for c in COLUMNS["diary"]
            if c.choices and c.key.startswith("data.")
        ],
    ]
    ranges: dict[str, str] = {}
    for index, (title, values) in enumerate(columns, 1):
        letter = _letter(index)
        lists.column_dimensions[letter].width = 22
        lists.cell(1, index, title).font = Font(bold=True)
        for offset, value in enumerate(values, 2):
            lists.cell(offset, index, value)
        ranges[title] = f"'{LISTS_SHEET}'!${letter}$2:${letter}${len(values) + 1}"
    for kind in KINDS:
        sheet = workbook[SHEET_NAMES[kind]]
        for index, column in enumerate(COLUMNS[kind], 1):
            source = {"province": "Tỉnh/thành phố", "bool": "Có/không"}.get(column.type)
            if column.type == "choice":
                source = {"season_type": "Vụ", "kind": "Loại"}.get(column.key, column.header)
            if source is None:
                continue
            rule = DataValidation(
                type="list",
                formula1=ranges[source],
                allow_blank=True,
                errorStyle="warning",
                showErrorMessage=True,
                error="Chọn trong danh sách (trang Danh mục).",
            )
            rule.add(f"{_letter(index)}2:{_letter(index)}{MAX_ROWS + 1}")
            sheet.add_data_validation(rule)

    guide = workbook.create_sheet(GUIDE_SHEET, 0)
    for width, letter in zip((16, 22, 12, 70, 40), "ABCDE", strict=True):
        guide.column_dimensions[letter].width = width
    for line in GUIDE_INTRO:
        guide.append([line])
    guide.append([])
    guide.append(["Trang", "Cột", "Bắt buộc", "Ý nghĩa", "Giá trị chấp nhận"])
    for cell in guide[guide.max_row]:
        cell.font = Font(bold=True)
    wrap = Alignment(wrap_text=True, vertical="top")
    for kind in KINDS:
        for column in COLUMNS[kind]:
            accepted = column.choices.listing() if column.choices else ACCEPTED.get(column.type)
            guide.append(
                [
                    SHEET_NAMES[kind],
                    column.header,
                    "có" if column.required else "",
                    column.help,
                    accepted or "",
                ]
            )
            for cell in guide[guide.max_row]:
                cell.alignment = wrap


ACCEPTED = {
    "date": "25/01/2026, 2026-01-25 hoặc kiểu ngày của Excel",
    "number": "số, ví dụ 1,25 hoặc 1.25",
    "percent": "số phần trăm, ví dụ 46 hoặc 46%",
    "integer": "số nguyên",
    "bool": "có / không",
    "province": "tên tỉnh, thành phố (trang Danh mục)",
    "code": "chữ in hoa, chữ số và dấu -",
}


def template() -> bytes:
    """The blank workbook: three sheets with one example row each, the guide and the lists."""
    return write_xlsx({kind: [EXAMPLES[kind]] for kind in KINDS}, guide=True)
