"""QR encoders side by side on real label URLs (no database): the registry's own
(registry/labels/qrsymbol.py) against zxing-cpp's `create_barcode`, and segno for scale.

Each encoder turns the URL into the modules of a level-M symbol of the version the label
uses (zxing-cpp is given that version, so that both draw the same size), and the module
bytes the PNG, SVG and PDF drawing reads. Untimed, each symbol is read back with zxing-cpp's
reader and checked against what DESIGN.md §5 asks: the URL, level M, the version, and byte
mode (zxing-cpp's symbol at the registry's version and mask is the registry's symbol only
when it holds the same bit stream: one byte segment).

    .venv/bin/python bench/qr_bench.py                  # 2,000 encodings of each URL
    .venv/bin/python bench/qr_bench.py --runs 500 --out /tmp/qr.json

The table goes to stdout and, as JSON, to bench/results/qr-<date>.json. See bench/README.md."""

from __future__ import annotations

import argparse
import io
import json
import os
import platform
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import segno
import zxingcpp
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from PIL import Image

from common import RESULTS, Stats, checkout, log, timed
from registry.labels import qrsymbol
from registry.labels import token as ptt1
from registry.labels.qr import qr_png

ISSUED_AT = 1_790_000_000
# The longest URL a label may hold (330 characters, §5), with a 40-digit run in the token
# that an encoder's mode optimisation would put in a numeric segment.
_LONGEST_PREFIX = "https://nhan.haiphong.gov.vn/01/08936221043064/10/HT26-07/21/PTT-0000123?le="
_RUN = "0" * 40 + "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ-_" * 6
LONGEST = _LONGEST_PREFIX + _RUN[: ptt1.URL_MAX_LENGTH - len(_LONGEST_PREFIX)]


def label_urls() -> dict[str, str]:
    """URLs as issuance makes them: a fresh label key, the demo's claims, 8-character
    serials, the demo address and a province's."""
    key = Ed25519PrivateKey.generate()

    def url(base: str, gtin: str | None) -> str:
        claims = ptt1.LabelClaims(
            "7KQ2M9XD", "HT26-01", gtin, 812, 253, "ipcc2019-t1-rice", "VER-VNMRV", 1234,
            "PTT-DEMO", ISSUED_AT, ISSUED_AT + 730 * 86400,
        )  # fmt: skip
        lot = "HT26-01" if gtin else None
        return ptt1.label_url(base, claims.serial, ptt1.sign(claims, key), gtin, lot)

    return {
        "demo, short form": url("http://127.0.0.1:5000", None),
        "demo, GS1 form": url("http://127.0.0.1:5000", "08936221043064"),
        "province, GS1 form": url("https://nhan.haiphong.gov.vn", "08936221043064"),
        "longest (330, digit run)": LONGEST,
    }


# ---------------------------------------------------------------- the encoders
def ours(url: str, version: int) -> bytes:
    return qrsymbol.encode(url.encode("ascii")).modules


def zxing_barcode(url: str, version: int) -> zxingcpp.Barcode:
    return zxingcpp.create_barcode(
        url.encode("ascii"), zxingcpp.BarcodeFormat.QRCode, ec_level="M", version=version
    )


def zxing(url: str, version: int) -> bytes:
    """The symbol and its modules: what the drawing needs (0 dark, 255 light)."""
    return bytes(zxing_barcode(url, version).to_image(add_quiet_zones=False))


def segno_byte_mode(url: str, version: int) -> bytes:
    symbol = segno.make_qr(url, error="m", mode="byte", version=version, boost_error=False)
    return b"".join(bytes(row) for row in symbol.matrix)


ENCODERS: dict[str, Callable[[str, int], object]] = {
    "registry (qrsymbol)": ours,
    "zxing-cpp, symbol only": zxing_barcode,
    "zxing-cpp, with modules": zxing,
    "segno (pure Python)": segno_byte_mode,
}


# ---------------------------------------------------------------- contract, untimed
def read_back(image: Image.Image) -> dict[str, Any]:
    (found,) = zxingcpp.read_barcodes(image.convert("L"), formats=zxingcpp.BarcodeFormat.QRCode)
    return {
        "text": found.text,
        "ec_level": found.ec_level,
        "version": int(found.extra["Version"]),
        "mask": int(found.extra["DataMask"]),
        "symbology": found.symbology_identifier,
    }


def contract(url: str) -> dict[str, Any]:
    """What each symbol holds, read back. The registry's symbol is one byte segment (its
    tests prove it module for module against segno); zxing-cpp's at the same version and
    mask is the same symbol only if it encodes the same bit stream, and left to choose, a
    version smaller than the registry's means it left byte mode (the bytes do not fit)."""
    ours_read = read_back(Image.open(io.BytesIO(qr_png(url))))
    version, mask = ours_read["version"], ours_read["mask"]
    free = zxingcpp.create_barcode(url.encode("ascii"), zxingcpp.BarcodeFormat.QRCode, ec_level="M")
    fixed = zxingcpp.create_barcode(
        url.encode("ascii"),
        zxingcpp.BarcodeFormat.QRCode,
        ec_level="M",
        version=version,
        data_mask=mask,
    )
    fixed_modules = bytes(v == 0 for v in bytes(fixed.to_image(add_quiet_zones=False)))
    return {
        "length": len(url),
        "registry": ours_read,
        "zxing_own_choice": read_back(_image(free)),
        "zxing_at_version_and_mask": read_back(_image(fixed))
        | {"same_symbol_as_registry": fixed_modules == ours(url, version)},
    }


def _image(barcode: zxingcpp.Barcode) -> Image.Image:
    pixels = barcode.to_image(scale=4)
    height, width = pixels.shape[:2]
    return Image.frombytes("L", (width, height), bytes(pixels))


# ---------------------------------------------------------------- timing
def measure(url: str, version: int, args: argparse.Namespace) -> dict[str, dict[str, float]]:
    found = {}
    for name, encode in ENCODERS.items():
        runs = args.runs if name != "segno (pure Python)" else max(20, args.runs // 20)
        for _ in range(args.warmup):
            encode(url, version)
        found[name] = Stats.of([timed(encode, url, version)[0] for _ in range(runs)]).as_dict()
    return found


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=2_000, help="timed encodings per URL")
    parser.add_argument("--warmup", type=int, default=100, help="untimed encodings first")
    parser.add_argument("--out", type=Path, default=None, help="JSON file (default results/)")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    load_before = os.getloadavg()
    results = {}
    for case, url in label_urls().items():
        log(f"{case}: {len(url)} characters")
        checked = contract(url)
        timing = measure(url, checked["registry"]["version"], args)
        results[case] = {"url": url, "contract": checked, "timing": timing}
    report(args, results, load_before, os.getloadavg())


def report(
    args: argparse.Namespace,
    results: dict[str, Any],
    load_before: tuple[float, float, float],
    load_after: tuple[float, float, float],
) -> None:
    print(
        f"QR encoders · {time.strftime('%Y-%m-%d %H:%M')} · {platform.node()} · "
        f"{os.cpu_count()} CPUs · load average {load_before[0]:.2f} → {load_after[0]:.2f} · "
        f"Python {platform.python_version()} · zxing-cpp {_version('zxing-cpp')} · "
        f"segno {segno.__version__} · {checkout()}"
    )
    for case, found in results.items():
        checked, timing = found["contract"], found["timing"]
        ours_ms = timing["registry (qrsymbol)"]["p50_ms"]
        own, fixed = checked["zxing_own_choice"], checked["zxing_at_version_and_mask"]
        print(f"\n{case}: {checked['length']} characters, version {checked['registry']['version']}")
        for name, stats in timing.items():
            print(
                f"  {name:<26} p50 {stats['p50_ms'] * 1000:>8.0f} µs  p95 "
                f"{stats['p95_ms'] * 1000:>8.0f} µs  ({stats['p50_ms'] / ours_ms:.2f}×)"
            )
        print(
            f"  zxing-cpp at version {fixed['version']}, mask {fixed['mask']}: "
            f"{'the same symbol' if fixed['same_symbol_as_registry'] else 'another bit stream'}"
            f", level {fixed['ec_level']}; left alone: version {own['version']}, level "
            f"{own['ec_level']}; all read back as the URL: "
            f"{_yes(own['text'] == fixed['text'] == found['url'])}"
        )
    out = args.out or RESULTS / f"qr-{time.strftime('%Y-%m-%d')}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    document = {
        "when": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "machine": {
            "node": platform.node(),
            "cpus": os.cpu_count(),
            "load_before": load_before,
            "load_after": load_after,
        },
        "versions": {"zxing-cpp": _version("zxing-cpp"), "segno": segno.__version__},
        "checkout": checkout(),
        "options": {k: str(v) if isinstance(v, Path) else v for k, v in vars(args).items()},
        "results": results,
    }
    out.write_text(json.dumps(document, indent=2, ensure_ascii=False))
    log(f"results written to {out}")


def _yes(condition: bool) -> str:
    return "yes" if condition else "NO"


def _version(distribution: str) -> str:
    from importlib.metadata import version

    return version(distribution)


if __name__ == "__main__":
    main(sys.argv[1:])
