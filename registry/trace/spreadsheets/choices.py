"""Accepted values of the spreadsheets' choice columns, matched the way people type them:
without case, accents or punctuation, by Vietnamese name, alias or code. The crops and the
diary kinds come from the crop catalogue and the diary's kinds; the rest are the diary
data's own choices (registry.trace.schemas)."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

from registry import crops
from registry.folding import fold
from registry.places import PROVINCES


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
