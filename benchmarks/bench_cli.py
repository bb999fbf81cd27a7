"""The command line's start: `practice list --json` on a demo practice (40 clients,
about 350 sessions), from a fresh process to its last byte of JSON, against a floor
measured in the same run: a fresh process that only imports SQLAlchemy and SQLModel
(`python -c "import sqlalchemy, sqlmodel"`), the libraries every command needs.

    .venv/bin/python benchmarks/bench_cli.py [--repeats 9]
    .venv/bin/python benchmarks/bench_cli.py --smoke

Both run alternately as fresh processes of the same interpreter; medians with their
ranges. Goal: ours <= 1.5x the floor. The demo practice is built once, in a
temporary folder, by `practice demo`. --smoke: 2 runs each, nothing asserted about
time; it still checks that the listing is the demo's sessions.

Both run from compiled bytecode, as an installed copy does (the installer bundles
it): PYTHONDONTWRITEBYTECODE, when the shell sets it, is dropped and the bytecode
goes to a temporary PYTHONPYCACHEPREFIX (not into the source tree), filled by one
unmeasured run of each. Otherwise ours would compile the app's sources on every
run while the floor reads SQLAlchemy's compiled bytecode. `--source` keeps the
shell's setting, to see that cost too.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))

import measure  # noqa: E402  (benchmarks/, beside this file)

GOAL = 1.5  # ours at most this many times the floor
NOW = "2026-11-18T13:00:00Z"  # the practice's clock (PRACTICE_NOW), so runs agree


def _env(home: Path, compiled: bool) -> dict[str, str]:
    env = dict(os.environ)
    env.update(PRACTICE_HOME=str(home), PRACTICE_NOW=NOW, PYTHONPATH=str(ROOT))
    env.pop("PYTHONPROFILEIMPORTTIME", None)
    if compiled:
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env["PYTHONPYCACHEPREFIX"] = str(home / "bytecode")
    return env


def _run(argv: list[str], env: dict[str, str]) -> tuple[float, bytes]:
    """Seconds from starting the process to its exit, and its stdout."""
    t0 = time.perf_counter()
    done = subprocess.run(argv, env=env, cwd=ROOT, capture_output=True, check=False)
    seconds = time.perf_counter() - t0
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} failed ({done.returncode}):\n"
                         f"{done.stderr.decode(errors='replace')}")
    return seconds, done.stdout


def main() -> None:
    parser = measure.parser(__doc__)
    parser.add_argument("--repeats", type=int, default=9)
    parser.add_argument("--source", action="store_true",
                        help="keep the shell's PYTHONDONTWRITEBYTECODE (ours then compiles "
                             "its sources on every run)")
    args = parser.parse_args()
    repeats = 2 if args.smoke else args.repeats
    home = Path(tempfile.mkdtemp(prefix="bench-cli-"))
    try:
        env = _env(home, compiled=not args.source)
        python = sys.executable
        _run([python, "-m", "app", "demo"], env)
        ours_argv = [python, "-m", "app", "list", "--json"]
        floor_argv = [python, "-c", "import sqlalchemy, sqlmodel"]
        sessions = len(json.loads(_run(ours_argv, env)[1]))  # also warms the disk cache
        assert sessions > 0, "the demo practice lists no session"
        _run(floor_argv, env)  # the floor's bytecode too, unmeasured

        def ours() -> float:
            return _run(ours_argv, env)[0]

        def floor() -> float:
            return _run(floor_argv, env)[0]

        ours_fig, floor_fig = measure.alternate(ours, floor, repeats)
        print(f"`practice list --json`, demo practice ({sessions} sessions), "
              f"{repeats} fresh processes each, alternately, "
              f"{'compiling sources on each run' if args.source else 'from bytecode'}:")
        print(f"  ours (practice list --json):               {ours_fig.ms()}")
        print(f"  floor (python -c 'import sqlalchemy, sqlmodel'): {floor_fig.ms()}")
        print(f"  ratio: {measure.ratio(ours_fig, floor_fig)}")
        print(f"  goal:  <= {GOAL}x the floor")
    finally:
        shutil.rmtree(home, ignore_errors=True)


if __name__ == "__main__":
    main()
