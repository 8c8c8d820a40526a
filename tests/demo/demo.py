"""`make demo`: lakewarden's scenarios end to end on moto, through `cargo lambda`.

Starts the project's moto (tests/moto_ext), creates the demo accounts and their resources with
boto3, runs each function with `cargo lambda watch` (credentials of the account it is deployed
in, AWS_ENDPOINT_URL pointing at moto, the account's embedded configuration account-ID.yaml) and
`cargo lambda invoke` with the fixtures in tests/events/, and prints what changed.
`--invoke FUNCTION --event FILE` does the S2 producer setup and sends one event, for trying
fixtures by hand. Each scenario is a module story_*.py with a `run(moto)` function.
"""
import argparse
import importlib
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from demo_lib import PRODUCER, ROOT, Account, Lambdas, Moto, config_of, print_report, say  # noqa: E402

STORIES = ["story_s2", "story_s1", "story_s3", "story_s4"]


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--invoke", help="function to invoke once (after the demo setup)")
    ap.add_argument("--event", help="event file for --invoke")
    ap.add_argument("--port", type=int, default=None)
    args = ap.parse_args()
    os.makedirs(ROOT / "target", exist_ok=True)
    moto = Moto()
    print(f"moto (with lakewarden's extensions) at {moto.endpoint}")
    try:
        if args.invoke:
            import story_s2
            p = Account(moto, PRODUCER)
            story_s2.setup_producer(p)
            lam = Lambdas(p, config_of(PRODUCER), args.port)
            try:
                print(f"cargo lambda watch on port {lam.port}; invoking {args.invoke} with {args.event}")
                print_report(*lam.invoke(args.invoke, ROOT / args.event))
            finally:
                lam.stop()
            return
        for name in STORIES:
            if (Path(__file__).resolve().parent / f"{name}.py").exists():
                importlib.import_module(name).run(moto)
        say("done")
    finally:
        moto.stop()


if __name__ == "__main__":
    main()
