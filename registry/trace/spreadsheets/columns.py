"""The layout of the spreadsheets: sheets, their columns (header, aliases, type, help) in
the order files are written, the example rows of the template, and the limits of a file."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from registry.trace.models import DiaryKind
from registry.trace.schemas import DIARY_DATA
from registry.trace.spreadsheets.choices import (
    CROPS,
    DIARY_KINDS,
    ENERGY_SOURCES,
    IRRIGATION_SYSTEMS,
    LIME_TYPES,
    MATERIALS,
    PRUNING_STYLES,
    PURPOSES,
    SEASON_TYPES,
    SOWING_METHODS,
    STRAW_PRACTICES,
    TREE_CHANGES,
    UNITS,
    WATER_EVENTS,
    Choices,
    fold,
)

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
# The column the marked copy of a file with problems adds (spreadsheets.marking): its header
# in Vietnamese or English (as the clerk reads the registry), so the corrected copy can be
# uploaded again as it is.
ERRORS_COLUMN = Column(
    IGNORED,
    "Lỗi cần sửa",
    "text",
    "Lỗi hệ thống tìm thấy ở dòng này (không được đọc khi nhập lại).",
    ("Errors to fix", "lỗi", "errors"),
    width=60,
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
            "crop",
            "Cây trồng",
            "choice",
            "Không bắt buộc: cây trồng của vụ (bản xuất luôn ghi). Nếu điền, phải đúng cây "
            "trồng của vụ; mỗi cây trồng dùng các loại nhật ký của nó (bảng Cây trồng ở trang "
            "Hướng dẫn).",
            "cay",
            choices=CROPS,
            width=14,
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
            "Cách xử lý",
            "choice",
            "Rơm rạ, Phụ phẩm: cách xử lý (Để lại trên đồng chỉ dùng cho Phụ phẩm).",
            "xu ly rom",
            "xu ly phu pham",
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
EXAMPLES: dict[str, list[dict[str, Any]]] = {
    "fields": [
        {
            "code": "VD-01",
            "name": "Ruộng lúa mẫu (xoá dòng này)",
            "area_ha": 1.0,
            "province": "Hải Phòng",
            "commune": "phường Đồ Sơn",
            "household": "Hộ ông Nguyễn Văn A",
            "location": {"type": "Point", "coordinates": [106.7805, 20.7104]},
        },
        {
            "code": "VD-02",
            "name": "Ruộng rau mẫu (xoá dòng này)",
            "area_ha": 0.3,
            "province": "Hà Nội",
            "commune": "phường Hà Đông",
            "location": {"type": "Point", "coordinates": [105.7758, 20.9636]},
        },
        {
            "code": "VD-03",
            "name": "Vườn nhãn mẫu (xoá dòng này)",
            "area_ha": 0.8,
            "province": "Hải Phòng",
            "commune": "phường Đồ Sơn",
            "location": {"type": "Point", "coordinates": [106.7712, 20.7188]},
        },
    ],
    "seasons": [
        {
            "field": "VD-01",
            "crop": "rice",
            "season_type": "dong_xuan",
            "year": 2026,
            "sowing_date": date(2026, 1, 10),
            "code": "VD-01-2026-DX",
        },
        {
            "field": "VD-02",
            "crop": "vegetable",
            "season_type": "crop_cycle",
            "year": 2026,
            "sowing_date": date(2026, 9, 1),
            "code": "VD-02-2026-C1",
        },
        {
            "field": "VD-03",
            "crop": "longan",
            "season_type": "growing_year",
            "year": 2026,
            "sowing_date": date(2026, 1, 1),
            "planting_year": 2015,
            "tree_count": 200,
            "code": "VD-03-2026-N",
        },
    ],
    "diary": [
        {
            "season": "VD-01-2026-DX",
            "crop": "rice",
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
        {
            "season": "VD-02-2026-C1",
            "crop": "vegetable",
            "kind": "sowing",
            "date": date(2026, 9, 1),
            "data": {"variety": "Cải ngọt", "method": "sown", "seed_kg": 1.5},
        },
        {
            "season": "VD-02-2026-C1",
            "crop": "vegetable",
            "kind": "irrigation",
            "date": date(2026, 9, 3),
            "data": {"system": "sprinkler", "source": "electricity", "amount": 12.5, "hours": 5.0},
        },
        {
            "season": "VD-03-2026-N",
            "crop": "longan",
            "kind": "pruning",
            "date": date(2026, 8, 20),
            "data": {"style": "after_harvest", "trees": 200},
        },
    ],
}


def _lookup(kind: str) -> dict[str, Column]:
    found: dict[str, Column] = {}
    for column in (*COLUMNS[kind], ROW_NUMBER, ERRORS_COLUMN):
        for text in (column.header, *column.aliases):
            key = fold(text)
            if key in found and found[key] is not column:
                raise AssertionError(f"{kind}: {text!r} names two columns")
            found[key] = column
    return found


HEADERS = {kind: _lookup(kind) for kind in KINDS}
SHEETS = {fold(text): kind for kind in KINDS for text in (SHEET_NAMES[kind], *SHEET_ALIASES[kind])}
KIND_FIELDS = {kind: set(schema().fields) for kind, schema in DIARY_DATA.items()}


def data_columns(diary_kind: DiaryKind) -> list[tuple[Column, bool]]:
    """The diary sheet's columns a kind of entry fills, in sheet order, each with whether
    its schema requires it (registry.trace.schemas.DIARY_DATA)."""
    fields = DIARY_DATA[diary_kind]().fields
    return [
        (column, fields[column.name].required)
        for column in COLUMNS["diary"]
        if column.key.startswith("data.") and column.name in fields
    ]
