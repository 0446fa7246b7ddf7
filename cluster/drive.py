"""Drive the whole chain through the JSON API of one or more web servers, from several client
threads at once, then read back every acknowledged write and check that nothing was lost or
done twice.

    .venv/bin/python -m cluster.drive --server http://127.0.0.1:5107 --instance /tmp/h7demo
    .venv/bin/python -m cluster.drive --server URL1 --server URL2 --chains 8 --threads 4 \\
        --token producer=ptt_… --token verifier=ptt_… --token mill=ptt_… --token authority=ptt_… \\
        --key instance/demo-verifier.pem --database-url postgresql://…

The registry is expected to hold the demo data (`registry demo`): the Cần Thơ HTX, the
verifier (whose key `registry demo` writes to the instance folder as demo-verifier.pem),
the mill and the authority. With `--instance` the tokens are made there with
`registry tokens create` (the demo users need no password for it)."""

from __future__ import annotations

import argparse
import os
import secrets
import subprocess
import sys
import time
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from cluster import checks, readback
from cluster.chain import Actors, Chain, Plan, build_report
from cluster.client import Journal, Servers

VENV_BIN = Path(sys.executable).parent
#: The demo users whose tokens the chain uses (registry/demo/accounts.py).
DEMO_USERS = {
    "producer": "htx.thoilai@demo.ptt.vn",
    "verifier": "thamdinh@demo.ptt.vn",
    "mill": "nhamay@demo.ptt.vn",
    "authority": "chicuc@demo.ptt.vn",
}
REPORT_PERIOD = "2026-H1"  # the province's half-year report the authority has built
CODE_CHARS = "ABCDEFGHJKMNPQRSTVWXYZ"  # letters only: a tag never looks like a demo code


@dataclass
class Outcome:
    journal: Journal
    chains: int
    seconds: float


def registry_command() -> str:
    """The `registry` command beside this interpreter (the project's virtualenv)."""
    found = VENV_BIN / "registry"
    return str(found) if found.exists() else "registry"


def make_tokens(env: Mapping[str, str], registry: str | None = None) -> Actors:
    """A read and write token for each demo user, made as an operator would (at once: each
    `registry` command starts the app)."""

    def token(email: str) -> str:
        argv = [registry or registry_command(), "tokens", "create", "--user", email]
        argv += ["--scopes", "read,write", "--name", "cluster drive", "--days", "1"]
        done = subprocess.run(
            argv, env={**os.environ, **env}, capture_output=True, text=True, check=True
        )
        return done.stdout.strip()

    with ThreadPoolExecutor(len(DEMO_USERS)) as pool:
        made = dict(zip(DEMO_USERS, pool.map(token, DEMO_USERS.values()), strict=True))
    return Actors(**made)


def tag() -> str:
    """A prefix for this run's codes, so runs on one database never meet."""
    return "".join(secrets.choice(CODE_CHARS) for _ in range(4))


def drive(
    bases: list[str],
    actors: Actors,
    plan: Plan,
    chains: int,
    threads: int,
    journal: Journal | None = None,
    started: Callable[[str], None] | None = None,
) -> Outcome:
    """Walk `chains` chains on `threads` threads, and have the province's report built among
    them; a chain that fails is journaled, the others go on. Each chain starts on another
    server, then takes them in turn."""
    journal = journal or Journal()
    run = tag()
    begin = time.monotonic()

    def one(n: int) -> None:
        name = f"{run}{n:02d}"
        chain = Chain(name, Servers(bases, start=n), actors, plan, journal)
        if started:
            started(name)
        try:
            chain.walk()
        except Exception as exc:  # any failure of one chain is reported, none stops the others
            journal.failed(f"{name}: {type(exc).__name__}: {exc}")
        finally:
            chain.close()

    def report() -> None:
        try:
            build_report(Servers(bases), actors, journal, REPORT_PERIOD)
        except Exception as exc:  # reported as a failed chain
            journal.failed(f"report {REPORT_PERIOD}: {type(exc).__name__}: {exc}")

    with ThreadPoolExecutor(max_workers=threads) as pool:
        walks = [pool.submit(one, n) for n in range(chains)]
        for done in [*walks[: chains // 2], pool.submit(report), *walks[chains // 2 :]]:
            done.result()
    return Outcome(journal, chains, time.monotonic() - begin)


def verify(
    journal: Journal, bases: list[str], actors: Actors, database_url: str | None
) -> tuple[list[str], str]:
    """Read everything back (through every server in turn): the problems, and a line on
    the jobs found."""
    seen = readback.observe(journal, Servers(bases), actors, database_url)
    return checks.problems(journal, seen), jobs_line(seen)


def jobs_line(seen: readback.Observed) -> str:
    if seen.jobs is None:
        return "jobs: not counted (give --database-url)"
    kinds = ", ".join(f"{count} {kind_status}" for kind_status, count in sorted(seen.jobs.items()))
    return f"jobs: {kinds or 'none'}; {seen.retried_jobs} took more than one try"


def summary(outcome: Outcome) -> str:
    kinds: dict[str, int] = {}
    for w in outcome.journal.writes:
        kinds[w.kind] = kinds.get(w.kind, 0) + 1
    listed = ", ".join(f"{n} {kind}" for kind, n in sorted(kinds.items()))
    j = outcome.journal
    return (
        f"{outcome.chains} chains in {outcome.seconds:.1f} s: {len(j.writes)} acknowledged "
        f"writes ({listed}); {j.requests} requests, {j.retries} retried; "
        f"{len(j.failures)} chains failed"
    )


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--server", action="append", required=True, help="a web server's base URL")
    parser.add_argument("--instance", type=Path, help="make tokens here (REGISTRY_INSTANCE)")
    parser.add_argument("--token", action="append", default=[], help="role=token, per role")
    parser.add_argument("--key", type=Path, help="the verifier's key (instance/demo-verifier.pem)")
    parser.add_argument("--chains", type=int, default=4)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--units", type=int, default=20, help="unit labels per batch label")
    parser.add_argument("--import-rows", type=int, default=60)
    parser.add_argument("--database-url", help="also count what no API shows (log, units, jobs)")
    parser.add_argument("--journal", type=Path, help="write the journal of writes here (JSON)")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = _arguments(argv)
    if args.instance:
        env = {"REGISTRY_INSTANCE": str(args.instance)}
        actors = make_tokens(
            {**env, **({"DATABASE_URL": args.database_url} if args.database_url else {})}
        )
        key = args.key or args.instance / "demo-verifier.pem"
    else:
        actors = Actors(**dict(t.split("=", 1) for t in args.token))
        key = args.key
    plan = Plan(key, registry_command(), args.units, args.import_rows)
    outcome = drive(args.server, actors, plan, args.chains, args.threads)
    print(summary(outcome))
    if args.journal:
        outcome.journal.save(args.journal)
    found, jobs = verify(outcome.journal, args.server, actors, args.database_url)
    print(jobs)
    for problem in found:
        print(f"PROBLEM {problem}")
    print("nothing lost, nothing done twice" if not found else f"{len(found)} problems")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
