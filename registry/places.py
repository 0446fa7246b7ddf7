"""Vietnam's 34 provincial-level units after the 2025 reorganisation (Resolution
202/2025/QH15, in force 12 June 2025): two-level local government, province/city then
commune/ward/special zone, with no district level."""

from __future__ import annotations

PROVINCES: tuple[str, ...] = (
    "An Giang",
    "Bắc Ninh",
    "Cà Mau",
    "Cao Bằng",
    "Cần Thơ",
    "Đà Nẵng",
    "Đắk Lắk",
    "Điện Biên",
    "Đồng Nai",
    "Đồng Tháp",
    "Gia Lai",
    "Hà Nội",
    "Hà Tĩnh",
    "Hải Phòng",
    "Hưng Yên",
    "Huế",
    "Khánh Hòa",
    "Lai Châu",
    "Lạng Sơn",
    "Lào Cai",
    "Lâm Đồng",
    "Nghệ An",
    "Ninh Bình",
    "Phú Thọ",
    "Quảng Ngãi",
    "Quảng Ninh",
    "Quảng Trị",
    "Sơn La",
    "Tây Ninh",
    "Thái Nguyên",
    "Thanh Hóa",
    "Thành phố Hồ Chí Minh",
    "Tuyên Quang",
    "Vĩnh Long",
)

# ISO 3166-2:VN still codes the 63 provinces before the reorganisation (58 numbered
# provinces and five lettered cities), and so do geolocation databases and CDNs. Each old
# code maps to the province its territory belongs to now. The cities' older numeric codes
# (VN-48, VN-60, VN-62, VN-64, VN-65) are still met in older data and are accepted too.
_ISO_3166_2: dict[str, str] = {
    # unchanged provinces
    "HN": "Hà Nội", "64": "Hà Nội",
    "26": "Huế",
    "01": "Lai Châu",
    "71": "Điện Biên",
    "05": "Sơn La",
    "09": "Lạng Sơn",
    "13": "Quảng Ninh",
    "21": "Thanh Hóa",
    "22": "Nghệ An",
    "23": "Hà Tĩnh",
    "04": "Cao Bằng",
    # merged provinces: the province named first keeps its name
    "07": "Tuyên Quang", "03": "Tuyên Quang",
    "02": "Lào Cai", "06": "Lào Cai",
    "69": "Thái Nguyên", "53": "Thái Nguyên",
    "68": "Phú Thọ", "70": "Phú Thọ", "14": "Phú Thọ",
    "56": "Bắc Ninh", "54": "Bắc Ninh",
    "66": "Hưng Yên", "20": "Hưng Yên",
    "HP": "Hải Phòng", "62": "Hải Phòng", "61": "Hải Phòng",
    "18": "Ninh Bình", "63": "Ninh Bình", "67": "Ninh Bình",
    "25": "Quảng Trị", "24": "Quảng Trị",
    "DN": "Đà Nẵng", "60": "Đà Nẵng", "27": "Đà Nẵng",
    "29": "Quảng Ngãi", "28": "Quảng Ngãi",
    "30": "Gia Lai", "31": "Gia Lai",
    "34": "Khánh Hòa", "36": "Khánh Hòa",
    "35": "Lâm Đồng", "72": "Lâm Đồng", "40": "Lâm Đồng",
    "33": "Đắk Lắk", "32": "Đắk Lắk",
    "SG": "Thành phố Hồ Chí Minh", "65": "Thành phố Hồ Chí Minh",
    "57": "Thành phố Hồ Chí Minh", "43": "Thành phố Hồ Chí Minh",
    "39": "Đồng Nai", "58": "Đồng Nai",
    "37": "Tây Ninh", "41": "Tây Ninh",
    "CT": "Cần Thơ", "48": "Cần Thơ", "52": "Cần Thơ", "73": "Cần Thơ",
    "49": "Vĩnh Long", "50": "Vĩnh Long", "51": "Vĩnh Long",
    "45": "Đồng Tháp", "46": "Đồng Tháp",
    "59": "Cà Mau", "55": "Cà Mau",
    "44": "An Giang", "47": "An Giang",
}  # fmt: skip


def province_of_region(code: str) -> str | None:
    """The current province for an ISO 3166-2 subdivision code such as `VN-CT` or `VN-44`;
    None for any other country's code and for anything unparseable. The country part is
    required: a bare `CT` is Cần Thơ to one database and Connecticut to another."""
    country, _, region = code.strip().upper().partition("-")
    return _ISO_3166_2.get(region) if country == "VN" else None
