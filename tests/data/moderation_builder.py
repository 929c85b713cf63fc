"""A moderation series of any size, written as the board's CSV files and loaded through the importers: one
internally assessed component, Morgan moderating ``centres`` centres of ``cohort`` candidates, each sample drawn
by the shipped rules (spanning the rank order, so the highest and lowest are in it), Tomos leading Morgan and Pat
leading Tomos."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.orm import Session

from portal_app.data.import_context import ImportContext
from portal_app.data.imports import import_directory
from portal_app.data.moderation_rules import ModerationRules

TENANT = "3d8f5a2e-7b1c-4c9e-9a6f-2e5b8c1d4f70"
MORGAN = "22222222-2222-4222-8222-222222222222"
TOMOS = "33333333-3333-4333-8333-333333333333"
PAT = "44444444-4444-4444-8444-444444444444"


def moderation_files(folder: Path, code: str, centres: int, cohort: int, first_centre: int) -> Path:
    rules = ModerationRules.load()
    folder.mkdir(parents=True, exist_ok=True)
    numbers = [str(first_centre + n) for n in range(centres)]
    (folder / "components.csv").write_text(
        "series_code,series_title,component_code,component_title,max_mark,status_codes,assessment_type,tolerance\n"
        f"JUN17,GCSE JUNE 2017,{code},BUILT,80,A=Absent;CF=Carried forward,internally_assessed,3\n", encoding="utf-8")
    entries = ["series_code,component_code,centre_number,centre_name,candidate_number,candidate_name,centre_mark"]
    samples = ["tenant_id,object_id,series_code,component_code,centre_number,candidate_number,reason"]
    size = rules.sample_size(cohort)
    for centre in numbers:
        marks = {f"{n:04d}": 80 - (n * 61 // cohort) for n in range(cohort)}  # 0000 highest ... last lowest
        entries += [f"JUN17,{code},{centre},Ysgol {centre},{number},CANDIDATE {number},{mark}"
                    for number, mark in marks.items()]
        picks = sorted({round(i * (cohort - 1) / max(size - 1, 1)) for i in range(size)})
        samples += [f"{TENANT},{MORGAN},JUN17,{code},{centre},{p:04d},generated" for p in picks]
    (folder / "entries.csv").write_text("\n".join(entries) + "\n", encoding="utf-8")
    (folder / "allocations.csv").write_text(
        "tenant_id,object_id,email,series_code,component_code,role,centres\n"
        f"{TENANT},{MORGAN},moderator@wjec-appointees.co.uk,JUN17,{code},moderator,{';'.join(numbers)}\n",
        encoding="utf-8")
    (folder / "samples.csv").write_text("\n".join(samples) + "\n", encoding="utf-8")
    (folder / "teams.csv").write_text(
        "series_code,component_code,leader_tenant_id,leader_object_id,member_tenant_id,member_object_id\n"
        f"JUN17,{code},{TENANT},{TOMOS},{TENANT},{MORGAN}\nJUN17,{code},{TENANT},{PAT},{TENANT},{TOMOS}\n",
        encoding="utf-8")
    return folder


def load_moderation(session: Session, folder: Path, code: str, centres: int, cohort: int,
                    first_centre: int) -> None:
    reports = import_directory(session, moderation_files(folder, code, centres, cohort, first_centre), ImportContext())
    problems = [f"{name} {error}" for name, report in reports.items() for error in report.errors]
    assert not problems, problems
    session.commit()
