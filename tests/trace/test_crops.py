"""The crop catalogue: every value cited, the kinds and periods of DESIGN.md §10b, and diary
kinds that the forms and schemas know."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from registry import crops
from registry.trace.labels import DIARY_FIELDS, KIND_LABELS
from registry.trace.models import DiaryKind, SeasonType
from registry.trace.schemas import DIARY_DATA

# DESIGN.md §10b: the crops, their kinds, and the period each kind is reported by.
DESIGN_KINDS = {
    "rice": "rice",
    "vegetable": "annual",
    "maize": "annual",
    "flower": "annual",
    "fruit_tree": "perennial",
}
DESIGN_PERIODS = {"rice": "season", "annual": "crop_cycle", "perennial": "growing_year"}
METHODOLOGY = (
    Path(crops.__file__).parents[1] / "verify" / "methodologies" / "ipcc2019-t1-crops-v1.json"
)


def _values(document: dict[str, Any]) -> Iterator[tuple[str, Any]]:
    return ((key, value) for key, value in document.items() if key != "code")


def test_every_value_of_every_crop_and_kind_cites_its_source() -> None:
    kinds = json.loads((crops.FOLDER / "kinds.json").read_text(encoding="utf-8"))
    documents = [crop.document for crop in crops.catalogue().values()]
    assert len(documents) >= len(DESIGN_KINDS)
    for document in [*documents, *kinds.values()]:
        for key, value in _values(dict(document)):
            # products and steps: a source on each product and on each step's ranges
            entries = {"products": list(value.values()) if key == "products" else None}
            for entry in entries["products"] or (value if key == "steps" else [value]):
                assert isinstance(entry, dict), key
                assert isinstance(entry.get("source"), str) and len(entry["source"]) > 10, key


def test_the_crops_kinds_and_periods_are_those_of_the_design() -> None:
    catalogue = crops.catalogue()
    assert {code: catalogue[code].kind.code for code in DESIGN_KINDS} == DESIGN_KINDS
    for crop in catalogue.values():
        assert crop.kind.period == DESIGN_PERIODS[crop.kind.code]
        assert all(SeasonType(t) for t in crop.kind.season_types)
        assert crop.yield_kg_ha.low < crop.yield_kg_ha.high and crop.n_kg_ha.high > 0
        assert crop.names["vi"] and crop.names["en"] and crop.products[crop.harvested].names["vi"]
    assert next(iter(catalogue)) == crops.DEFAULT
    assert catalogue["fruit_tree"].kind.period_months == 12
    assert catalogue["fruit_tree"].kind.tree_stand and not catalogue["maize"].kind.tree_stand


def test_the_catalogue_maps_each_crop_as_the_crops_methodology_does() -> None:
    if not METHODOLOGY.exists():
        pytest.skip("the ipcc2019-t1-crops methodology file is not in this checkout yet")
    mapped = json.loads(METHODOLOGY.read_text(encoding="utf-8"))["crops"]
    assert {code: crop.kind.code for code, crop in crops.catalogue().items()} == {
        code: mapped[code] for code in crops.catalogue()
    }


def test_every_diary_kind_has_a_form_a_schema_a_name_and_a_crop_that_keeps_it() -> None:
    offered = {kind for crop in crops.catalogue().values() for kind in crop.diary_kinds}
    assert offered == {kind.value for kind in DiaryKind}
    for kind in DiaryKind:
        assert kind in DIARY_DATA and kind in KIND_LABELS and kind.value in DIARY_FIELDS
        form = {spec["name"] for spec in DIARY_FIELDS[kind.value]}
        assert form == set(DIARY_DATA[kind]().fields), kind


def test_rice_keeps_its_diary_and_gains_lime_only() -> None:
    rice = crops.get("rice")
    before = {"water", "fertiliser", "amendment", "straw", "pesticide", "harvest", "energy"}
    assert set(rice.diary_kinds) == before | {"note", "lime"}
    assert rice.harvests == "single" and rice.kind.preseason_days == 120


def test_an_unknown_crop_is_a_field_error() -> None:
    with pytest.raises(crops.UnknownCrop) as refused:
        crops.get("cassava")
    assert refused.value.status == 422 and "crop" in refused.value.errors


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """A copy of the catalogue to break."""
    copy = tmp_path / "crops"
    shutil.copytree(crops.FOLDER, copy, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    return copy


def _rewrite(path: Path, change: Any) -> None:
    document = json.loads(path.read_text(encoding="utf-8"))
    change(document)
    path.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d["yield_kg_ha"].pop("source"), "yield_kg_ha has no source"),
        (lambda d: d["name"].update(source=" "), "name has no source"),
        (lambda d: d["kind"].update(value="biennial"), "kind biennial"),
        (lambda d: d["harvests"].update(value="sometimes"), "harvests"),
        (lambda d: d["n_kg_ha"].update(low=300, high=200), "low <= high"),
        (lambda d: d["diary_kinds"].update(value=["note", "note"]), "distinct"),
        (lambda d: d.update(code="maize"), "file's name"),
        (lambda d: d["residue_n_pct"].update(value=-1), "residue_n_pct must be a number"),
        (lambda d: d["residue_n_pct"].pop("source"), "residue_n_pct has no source"),
        # products and the steps between them (issue 20)
        (lambda d: d["products"]["fresh_vegetables"].pop("source"), "fresh_vegetables has no"),
        (lambda d: d["harvested"].update(value="paddy"), "harvested paddy is not one of"),
        (lambda d: d["products"].update(x={"vi": "x", "en": "x", "source": "s"}), "no-op"),
        (lambda d: d["products"].update({"Rau!": d["products"]["fresh_vegetables"]}), "not a code"),
        (lambda d: d["products"].update({"paddy": d["products"]["fresh_vegetables"]}), "unique"),
        (lambda d: d["steps"][0].update(step="boiling"), "not in steps.json"),
        (lambda d: d["steps"][0].update(input="paddy"), "the crop's products"),
        (lambda d: d["steps"][0].pop("source"), "source only"),
        (lambda d: d["steps"][0]["loss"].update(high=1.5), "high <= 1"),
        (lambda d: d["steps"][0].update(loss={"low": 0.5, "high": 0.6}), "never make up"),
        (lambda d: d["steps"].append(d["steps"][0]), "given twice"),
        (
            lambda d: d["steps"][4]["outputs"].update(vegetable_trimmings={"low": 0, "high": 1}),
            "one output",
        ),
    ],
)
def test_the_loader_refuses_a_value_without_source_or_out_of_shape(
    folder: Path, change: Any, message: str
) -> None:
    _rewrite(folder / "catalogue" / "vegetable.json", change)
    if message == "no-op":  # a product no step reaches is allowed (sold as harvested)
        assert "x" in crops.catalogue(folder)["vegetable"].products
        return
    with pytest.raises(crops.CatalogueError, match=message):
        crops.catalogue(folder)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d["milling"]["event"].update(value="object"), "event must be one of"),
        (lambda d: d["milling"]["biz_step"].update(value="milling"), "CBV 2.0"),
        (lambda d: d["milling"]["biz_step"].pop("source"), "biz_step has no source"),
        (lambda d: d.update(split=d["milling"]), "structural"),
    ],
)
def test_the_loader_refuses_a_step_out_of_shape(folder: Path, change: Any, message: str) -> None:
    _rewrite(folder / "steps.json", change)
    with pytest.raises(crops.CatalogueError, match=message):
        crops.catalogue(folder)


def test_a_new_crop_is_a_new_file(folder: Path) -> None:
    def lychee(document: dict[str, Any]) -> None:
        document["code"] = "lychee"
        document["name"] = {"vi": "Vải", "en": "Lychee", "source": "GLOSSARY.md"}
        chain = {k: document[k] for k in ("harvested", "products", "steps")}
        document.update(json.loads(json.dumps(chain).replace("fruit", "lychee")))

    shutil.copy(folder / "catalogue" / "fruit_tree.json", folder / "catalogue" / "lychee.json")
    _rewrite(folder / "catalogue" / "lychee.json", lychee)
    found = crops.catalogue(folder)["lychee"]
    assert found.names["vi"] == "Vải" and found.kind.period == "growing_year"
