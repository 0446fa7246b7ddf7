"""One walk of the whole chain through the JSON API, as the organisations' own systems would
make it: the HTX registers a field with a 2020 baseline season and a 2026 season, keeps
their diaries, reads the season's result and submits an MRV report; the verifier downloads
the statement, signs it on its own machine (`registry verifier sign`) and posts the decision;
the HTX registers a paddy batch from the approved season and asks for a label with unit
labels, which the authority issues; the HTX imports a spreadsheet and hands the batch over
to the mill, which accepts it; anyone then reads the label's public page and status through
every server. Once per run (`build_report`), the authority has the province's half-year
report built.

Every acknowledged write goes into the journal with what must hold of it when read back
(cluster/readback.py); a refusal stops the walk (`Refused`), which the driver reports."""

from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from cluster import spreadsheet
from cluster.client import Answer, Client, Journal, Refused, Servers, Write, expect, follow
from registry.verify import signing

PRODUCER, MILL = "HTX-THOILAI", "MILL-CODO"  # the demo's Cần Thơ HTX and rice mill
PROVINCE, COMMUNE = "Cần Thơ", "xã Thới Lai"
HARVEST_KG, BATCH_KG, UNIT_KG = 6600, 5000, 5.0
# A field of about 1 ha in Thới Lai, Cần Thơ ([longitude, latitude]).
SQUARE = [[105.60, 10.10], [105.600959, 10.10], [105.600959, 10.100899], [105.60, 10.100899]]
# The diaries the MRV result needs: a 2020 baseline kept by continuous flooding with straw
# burned, and a 2026 season kept by alternate wetting and drying (two drainages).
BASELINE_DIARY = (
    ("amendment", "2019-11-15", {"material": "straw", "t_ha": 3}),
    ("water", "2019-12-01", {"event": "flooding"}),
    ("fertiliser", "2019-12-20", {"product": "Urê", "urea": True, "kg": 230}),
    ("harvest", "2020-03-10", {"kg": 6200}),
    ("straw", "2020-03-13", {"practice": "burned", "tonnes": 5.6}),
)
AWD_DIARY = (
    ("water", "2025-12-04", {"event": "flooding"}),
    ("fertiliser", "2025-12-20", {"product": "Urê", "urea": True, "kg": 165}),
    ("water", "2025-12-30", {"event": "drainage", "end_date": "2026-01-05"}),
    ("water", "2026-01-20", {"event": "drainage", "end_date": "2026-01-27"}),
    ("harvest", "2026-03-12", {"kg": HARVEST_KG}),
    ("straw", "2026-03-15", {"practice": "mushroom", "tonnes": 5.9}),
)
VERDICT = re.compile(r'data-verdict="([a-z]+)"')


@dataclass(frozen=True)
class Actors:
    """API tokens of the demo organisations that take part."""

    producer: str
    verifier: str
    mill: str
    authority: str


@dataclass(frozen=True)
class Plan:
    """How big each walk is, and how the verifier signs."""

    key_file: Path  # the verifier's private key (the demo's demo-verifier.pem)
    registry: str = "registry"  # the command that signs, as on the verifier's machine
    units: int = 20  # unit labels of UNIT_KG asked with the batch label
    import_rows: int = 60  # data rows of the walk's spreadsheet import


class Chain:
    """One client thread's walk; `name` (A-Z, 0-9, up to 8 characters) prefixes its codes."""

    def __init__(
        self, name: str, servers: Servers, actors: Actors, plan: Plan, journal: Journal
    ) -> None:
        self.name, self.plan, self.journal = name, plan, journal
        self.producer = Client(servers, actors.producer, journal)
        self.verifier = Client(servers, actors.verifier, journal)
        self.mill = Client(servers, actors.mill, journal)
        self.authority = Client(servers, actors.authority, journal)
        self.public = Client(servers, None, journal)

    def walk(self) -> None:
        field = self.register_field()
        baseline = self.open_season(field, 2020, "2019-12-05")
        season = self.open_season(field, 2026, "2025-12-08")
        self.keep_diary(baseline, BASELINE_DIARY)
        self.keep_diary(season, AWD_DIARY)
        self.read_result(season)
        report = self.submit_report(season)
        self.decide(report)
        batch = self.register_batch(season)
        label = self.issue_label(batch)
        spreadsheet.import_rows(self.producer, self.journal, self.name, self.plan.import_rows)
        self.hand_over(batch)
        self.read_label(label)

    def close(self) -> None:
        for client in (self.producer, self.verifier, self.mill, self.authority, self.public):
            client.close()

    def _acknowledged(self, what: str, key: Any, answer: Answer, **facts: Any) -> Write:
        write = Write(what, str(key), self.name, facts, server=answer.server)
        return self.journal.add(write)

    # ------------------------------------------------------------ the HTX's farm records
    def register_field(self) -> str:
        code = f"{self.name}-F"
        body = {
            "code": code,
            "name": f"Ruộng cụm {self.name}",
            "area_ha": 1.0,
            "province": PROVINCE,
            "commune": COMMUNE,
            "location": {"type": "Polygon", "coordinates": [[*SQUARE, SQUARE[0]]]},
        }
        made = expect("register the field", self.producer.post("/api/v1/fields", body), 201)
        write = self._acknowledged("field", code, made, area_ha=1.0)
        write.log.append((made["log_index"], "field.registered", {"subject": code}))
        return code

    def open_season(self, field: str, year: int, sowing: str) -> str:
        body = {"field": field, "season_type": "dong_xuan", "year": year, "sowing_date": sowing}
        made = expect("open a season", self.producer.post("/api/v1/seasons", body), 201)
        self._acknowledged("season", made["code"], made, field=field, year=year)
        return str(made["code"])

    def keep_diary(self, season: str, diary: tuple[tuple[str, str, dict[str, Any]], ...]) -> None:
        for kind, on, data in diary:
            body = {"season": season, "kind": kind, "date": on, "data": data}
            made = expect("keep the diary", self.producer.post("/api/v1/diary", body), 201)
            write = self._acknowledged("diary", made["id"], made, season=season, entry_kind=kind)
            write.log.append(
                (made["log_index"], "season.diary", {"subject": season, "data.entry": made["id"]})
            )

    def read_result(self, season: str) -> None:
        found = self.producer.get(f"/api/v1/seasons/{season}/result")
        result = expect("read the season's result", found, 200)["result"]
        if not result.get("reduction_pct", 0) > 0:
            raise Refused("the AWD season shows no reduction", found)

    # ------------------------------------------------------------ MRV and its approval
    def submit_report(self, season: str) -> int:
        body = {"period_start": "2025-12-01", "period_end": "2026-04-30", "seasons": [season]}
        made = expect("make a report", self.producer.post("/api/v1/mrv/reports", body), 201)
        self._acknowledged("report", made["id"], made, seasons=[season])
        path = f"/api/v1/mrv/reports/{made['id']}/submit"
        sent = expect("submit the report", self.producer.post(path), 200)
        write = self._acknowledged("submission", made["id"], sent, digest=sent["digest"])
        write.log.append((sent["log_index"], "mrv.submitted", {"subject": f"mrv-{made['id']}"}))
        return int(made["id"])

    def decide(self, report: int) -> None:
        """The verifier's side: the statement comes from the registry, the signature from
        the verifier's own machine (its key never reaches the server)."""
        key = signing.load_private_key(self.plan.key_file.read_bytes())
        body = {"decision": "approved", "kid": signing.kid(key.public_key())}
        path = f"/api/v1/mrv/reports/{report}"
        statement = expect("get the statement", self.verifier.post(f"{path}/statement", body), 200)
        signature = self.sign(statement.body)
        body = {"statement": statement.body, "signature": signature}
        made = expect("record the decision", self.verifier.post(f"{path}/decision", body), 201)
        write = self._acknowledged("approval", made["id"], made, report=report, decision="approved")
        write.log.append((made["log_index"], "approval.signed", {"data.approval": made["id"]}))

    def sign(self, statement: dict[str, Any]) -> str:
        import json

        signed = subprocess.run(
            [self.plan.registry, "verifier", "sign", "-", "--key", str(self.plan.key_file)],
            input=json.dumps(statement),
            capture_output=True,
            text=True,
            check=True,
        )
        return signed.stdout.strip()

    # ------------------------------------------------------------ the batch and its label
    def register_batch(self, season: str) -> int:
        lot = f"{self.name}-L"
        body = {"lot_code": lot, "draws": [{"season": season, "kg": BATCH_KG}]}
        made = expect("register the batch", self.producer.post("/api/v1/batches", body), 201)
        write = self._acknowledged("batch", made["id"], made, lot_code=lot, quantity_kg=BATCH_KG)
        write.log.append((made["log_index"], "batch.registered", {"subject": f"{PRODUCER}/{lot}"}))
        return int(made["id"])

    def issue_label(self, batch: int) -> str:
        units = self.plan.units
        body = {"batch": batch, "units": units, "unit_kg": UNIT_KG if units else None}
        asked = expect("ask for a label", self.producer.post("/api/v1/labels/requests", body), 201)
        path = f"/api/v1/labels/requests/{asked['id']}/issue"
        answer = expect("issue the label", self.authority.post(path), 201, 202)
        issued = follow(self.authority, answer)  # a large request may be issued by a job
        serial = issued["serial"]
        write = self._acknowledged(
            "label", serial, answer, request=asked["id"], batch=batch, units=units,
            lot_code=f"{self.name}-L", lot=f"{PRODUCER}/{self.name}-L", url=issued["url"],
        )  # fmt: skip
        write.log.append((issued["log_index"], "label.issued", {"subject": serial}))
        return str(serial)

    # ------------------------------------------------------------ the hand-over
    def hand_over(self, batch: int) -> None:
        path = f"/api/v1/batches/{batch}/ship"
        sent = expect("ship to the mill", self.producer.post(path, {"receiver": MILL}), 201)
        write = self._acknowledged("handover", sent["id"], sent, batch=batch)
        write.log.append((sent["log_index"], "trace.event", {"data.handover": sent["id"]}))
        path = f"/api/v1/handovers/{sent['id']}/answer"
        taken = expect("the mill accepts", self.mill.post(path, {"accept": True}), 200)
        write = self._acknowledged("accepted", sent["id"], taken, batch=batch, holder=MILL)
        write.log.append((taken["decided_log_index"], "trace.event", {"data.handover": sent["id"]}))

    # ------------------------------------------------------------ what anyone sees
    def read_label(self, serial: str) -> None:
        """The label's page and status through every server (not in turn: each of them)."""
        label = next(w for w in self.journal.of("label") if w.key == serial)
        url = urlsplit(label.facts["url"])
        for base in self.public.servers.bases:
            page = self.public.get(f"{url.path}?{url.query}", base=base)
            found = VERDICT.findall(expect("read the label page", page, 200).body)
            if found != ["valid"]:
                raise Refused(f"the label page says {found}, not ['valid']", page)
            status = expect(
                "read the status", self.public.get(f"/api/v1/labels/{serial}", base), 200
            )
            if status["status"] != "valid":
                raise Refused("the label's status is not valid", status)


def build_report(servers: Servers, actors: Actors, journal: Journal, period: str) -> None:
    """The authority's half-year report of the province, generated and built (PDF, XLSX) by
    a worker: its files go to the store every server reads (checked in cluster/readback.py)."""
    authority = Client(servers, actors.authority, journal)
    try:
        body = {"kind": "half", "period": period, "province": PROVINCE}
        sent = authority.post("/api/v1/reports/periodic", body)
        made = follow(authority, expect("generate the report", sent, 202))
        files = {fmt: found["sha256"] for fmt, found in made["files"].items()}
        write = Write("report_build", str(made["report"]), "REPORT", {"files": files})
        write.log.append(
            (made["log_index"], "report.generated", {"subject": f"report-{made['report']}"})
        )
        journal.add(write)
    finally:
        authority.close()
