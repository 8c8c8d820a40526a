"""`make bench`, part 2: the release bootstraps started as Lambda starts them (through the local
Runtime API in tests/lambda_api) against one moto server, printing markdown tables:

1. cold start of every function: init (process start -> first GET /invocation/next, median of N
   starts), RSS after init, one scheduled invocation (on an empty account), peak RSS;
2. paired: catalog-sharer versus a naive Python/boto3 implementation of its job
   (tests/bench/naive_catalog_sharer.py, started through the same Runtime API with a Python
   runtime client), same moto, same data (N tables x 3 consumers, one identical copy each);
3. scale: one database of 10,000 tables x 20 consumers, first and converged scheduled run, then one
   Glue CreateTable event (the path that lists the database's tables, 100 per GetTables page).

API calls and writes are read from each run's report (`api_operations`, `writes`), never assumed.
Nothing here asserts: targets are printed next to the figures.

    .venv/bin/python tests/bench/bench.py [--release-dir target/release] [--tables 100]
        [--scale-tables 10000] [--scale-consumers 20] [--cold-starts 5] [--json out.json]
"""
import argparse
import concurrent.futures as cf
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests" / "lambda_api"))
from runtime_api import LambdaProcess  # noqa: E402

import boto3  # noqa: E402
from botocore.config import Config  # noqa: E402

REGION = "us-east-1"
FUNCTIONS = ["catalog-sharer", "share-linker", "table-exporter", "integration-monitor",
             "integration-doctor", "datazone-subscriber"]
# Which demo configuration each function starts with (its section must be there).
DEMO_CONFIG = {"share-linker": "account-222222222222.yaml", "datazone-subscriber": "account-333333333333.yaml"}
PAIRED_CONSUMERS = ["222222222222", "arn:aws:organizations::111111111111:organization/o-abcdef1234",
                    "arn:aws:iam::333333333333:role/analyst"]
INIT_RATIO_TARGET = 25
RSS_TARGET_MIB = 32
CONVERGED_CALLS_TARGET = 6
LF_CALLS_TARGET = 10  # issue 10: the 100-table x 3-consumer reconcile needs at most 10 Lake Formation calls


class Moto:
    def __init__(self):
        env = dict(os.environ, PYTHONPATH=str(ROOT / "tests" / "moto_ext"))
        self.proc = subprocess.Popen([sys.executable, "-m", "lakewarden_moto", "--port", "0",
                                      "--exit-on-stdin-eof"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.DEVNULL, text=True, env=env)
        line = self.proc.stdout.readline()
        assert line.startswith("LAKEWARDEN_MOTO_READY "), line
        self.endpoint = line.split()[1]

    def credentials(self, account):
        sts = boto3.client("sts", endpoint_url=self.endpoint, region_name=REGION,
                           aws_access_key_id="bench", aws_secret_access_key="bench")
        c = sts.assume_role(RoleArn=f"arn:aws:iam::{account}:role/lakewarden-bench",
                            RoleSessionName="bench")["Credentials"]
        return {"AWS_ACCESS_KEY_ID": c["AccessKeyId"], "AWS_SECRET_ACCESS_KEY": c["SecretAccessKey"],
                "AWS_SESSION_TOKEN": c["SessionToken"]}

    def client(self, service, creds):
        return boto3.client(service, endpoint_url=self.endpoint, region_name=REGION,
                            aws_access_key_id=creds["AWS_ACCESS_KEY_ID"],
                            aws_secret_access_key=creds["AWS_SECRET_ACCESS_KEY"],
                            aws_session_token=creds["AWS_SESSION_TOKEN"],
                            config=Config(retries={"mode": "standard", "max_attempts": 3},
                                          max_pool_connections=16, s3={"addressing_style": "path"}))

    def stop(self):
        self.proc.stdin.close()
        self.proc.wait(timeout=30)


def scheduled(account):
    with open(ROOT / "tests" / "events" / "scheduled.json") as f:
        ev = json.load(f)
    ev["account"] = account
    ev["resources"] = [f"arn:aws:events:{REGION}:{account}:rule/lakewarden-reconcile"]
    return ev


def glue_event(account, database, table):
    """A Glue CreateTable event (what EventBridge delivers for a new table)."""
    with open(ROOT / "tests" / "events" / "glue-create-table.json") as f:
        ev = json.load(f)
    ev["account"] = account
    ev["resources"] = [f"arn:aws:glue:{REGION}:{account}:table/{database}/{table}"]
    ev["detail"] = {"databaseName": database, "typeOfChange": "CreateTable", "changedTables": [table]}
    return ev


def lf_calls(ops):
    """Lake Formation calls among a run's api_operations."""
    return sum(v for k, v in (ops or {}).items() if k.startswith("lakeformation."))


def seed(moto, creds, database, bucket, n, threads=6):
    """A bucket and one database of n Parquet tables at s3://bucket/database/tNNNNN/."""
    s3, glue = moto.client("s3", creds), moto.client("glue", creds)
    s3.create_bucket(Bucket=bucket)
    glue.create_database(DatabaseInput={"Name": database, "LocationUri": f"s3://{bucket}/{database}/"})

    def table(i):
        name = f"t{i:05d}"
        glue.create_table(DatabaseName=database, TableInput={
            "Name": name, "TableType": "EXTERNAL_TABLE",
            "StorageDescriptor": {
                "Location": f"s3://{bucket}/{database}/{name}/",
                "Columns": [{"Name": "line_item_id", "Type": "string"}, {"Name": "cost", "Type": "double"}],
                "InputFormat": "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat",
                "OutputFormat": "org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat",
                "SerdeInfo": {"SerializationLibrary": "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe"}}})

    with cf.ThreadPoolExecutor(threads) as ex:
        list(ex.map(table, range(n)))


def prepare_account(moto, creds, account):
    """What a producer account has before lakewarden runs (README, prerequisites): the function's
    role is a data lake administrator and new databases / tables are not handed to
    IAM_ALLOWED_PRINCIPALS (otherwise every run reports the check.lf.* failures), and lakewarden's
    state table exists."""
    moto.client("lakeformation", creds).put_data_lake_settings(DataLakeSettings={
        "DataLakeAdmins": [{"DataLakePrincipalIdentifier": f"arn:aws:iam::{account}:role/lakewarden-bench"}],
        "CreateDatabaseDefaultPermissions": [], "CreateTableDefaultPermissions": [],
        "Parameters": {"CROSS_ACCOUNT_VERSION": "4"}})
    state_table(moto, creds)


def state_table(moto, creds, name="lakewarden-state"):
    """lakewarden's state table (the ledger catalog-sharer keeps; infra/state-table.yaml)."""
    moto.client("dynamodb", creds).create_table(
        TableName=name, BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}])


def rust_env(moto, creds, config_path):
    return {"AWS_ENDPOINT_URL": moto.endpoint, **creds, "LAKEWARDEN_CONFIG": str(config_path),
            "RUST_LOG": "info"}


def rust_fn(release_dir, name, env):
    return LambdaProcess([str(Path(release_dir) / name)], name, env=env, cwd=str(ROOT))


def naive_fn(moto, creds, database, consumers, bucket):
    env = {"AWS_ENDPOINT_URL": moto.endpoint, **creds, "SHARE_DATABASE": database,
           "SHARE_CONSUMERS": json.dumps(consumers), "SHARE_BUCKET": bucket,
           "HOME": tempfile.gettempdir()}
    return LambdaProcess([sys.executable, str(ROOT / "tests" / "lambda_api" / "python_bootstrap.py")],
                         "naive-catalog-sharer", env=env, handler="naive_catalog_sharer.handler",
                         cwd=str(ROOT / "tests" / "bench"))


def run_summary(inv):
    rep = inv.report() or {}
    ops = rep.get("api_operations") or {}
    if not rep:  # no report: the run timed out or the process died
        calls = None
    else:
        calls = sum((rep.get("api_calls") or {}).values()) if rep.get("api_calls") else sum(ops.values())
    actions = rep.get("actions") or []
    outcomes = {}
    for a in actions:
        outcomes[a.get("outcome")] = outcomes.get(a.get("outcome"), 0) + 1
    return {"ok": inv.ok, "ms": inv.duration_ms, "calls": calls, "writes": rep.get("writes"),
            "operations": ops, "outcomes": outcomes, "error": inv.error}


def measure(make, account, runs=2, timeout=1800, events=None):
    """Start, time init, invoke the scheduled event `runs` times (or each of `events`), stop: the figures."""
    fn = make()
    with fn:
        init_ms = fn.wait_ready(timeout=120)
        rss_init = fn.rss_kib("VmRSS")
        results = []
        for ev in (events if events is not None else [scheduled(account)] * runs):
            inv = fn.invoke(ev, timeout=timeout)
            results.append(run_summary(inv))
            if (inv.error or {}).get("errorType") in ("Sandbox.Timedout", "Runtime.ExitError"):
                break  # the process is gone or stuck: no converged run to measure
    return {"init_ms": init_ms, "rss_init_kib": rss_init, "peak_rss_kib": fn.peak_rss_kib, "runs": results}


def mib(kib):
    return "?" if kib is None else f"{kib / 1024:.1f} MiB"


def ms(v):
    return "?" if v is None else (f"{v:,.0f} ms" if v >= 100 else f"{v:.1f} ms")


def ratio(a, b):
    return "?" if not a or not b else f"{a / b:.1f}x"


def met(ok):
    return "met" if ok else "**NOT met**"


def fmt_ops(ops, top=4):
    items = sorted(ops.items(), key=lambda kv: -kv[1])
    s = ", ".join(f"{k} {v}" for k, v in items[:top])
    return s + (f", +{len(items) - top} more" if len(items) > top else "")


def cold_starts(moto, release_dir, starts, out):
    print("\n## Cold start: release bootstraps through the local Runtime API\n")
    print(f"Init = process start to its first `GET /invocation/next` (median of {starts} starts); one "
          "scheduled event on an empty account, then peak RSS (VmHWM).\n")
    print("| function | binary | init (median) | init (min-max) | RSS after init | scheduled run | outcome | peak RSS |")
    print("|---|---:|---:|---:|---:|---:|---|---:|")
    for name in FUNCTIONS:
        binary = Path(release_dir) / name
        if not binary.exists():
            print(f"| {name} | missing: {binary} | | | | | | |")
            continue
        account = DEMO_CONFIG.get(name, "account-111111111111.yaml")[8:20]
        env = rust_env(moto, moto.credentials(account), ROOT / "tests" / "demo" / DEMO_CONFIG.get(
            name, "account-111111111111.yaml"))
        inits = []
        for _ in range(starts - 1):
            with rust_fn(release_dir, name, env) as fn:
                inits.append(fn.wait_ready())
        m = measure(lambda: rust_fn(release_dir, name, env), account, runs=1, timeout=300)
        inits.append(m["init_ms"])
        r = m["runs"][0]
        msg = str((r["error"] or {}).get("errorMessage", "?")).split("; report:")[0].replace("|", "/")
        outcome = "ok" if r["ok"] else f"error: {msg[:70]}"
        print(f"| {name} | {binary.stat().st_size / 2**20:.1f} MiB | {ms(statistics.median(inits))} | "
              f"{ms(min(inits))}-{ms(max(inits))} | {mib(m['rss_init_kib'])} | {ms(r['ms'])} | {outcome} | "
              f"{mib(m['peak_rss_kib'])} |")
        out["cold_start"][name] = {"inits_ms": inits, **m}


def paired(moto, release_dir, n, starts, out):
    rust_acct, py_acct = "710000000001", "710000000002"
    consumers = PAIRED_CONSUMERS
    figures = {}
    for who, acct in (("rust", rust_acct), ("python", py_acct)):
        creds = moto.credentials(acct)
        seed(moto, creds, "cur_bench", f"cur-bench-{acct}", n)
        prepare_account(moto, creds, acct)
        if who == "rust":
            cfg = Path(tempfile.mkdtemp()) / "paired.yaml"
            cfg.write_text(json.dumps({"producer": {"shares": [{"database": "cur_bench", "consumers": consumers}]}}))
            make = (lambda e=rust_env(moto, creds, cfg): rust_fn(release_dir, "catalog-sharer", e))
        else:
            make = (lambda c=creds, a=acct: naive_fn(moto, c, "cur_bench", consumers, f"cur-bench-{a}"))
        inits = []
        for _ in range(starts - 1):
            with make() as fn:
                inits.append(fn.wait_ready(timeout=120))
        m = measure(make, acct, runs=2)
        inits.append(m["init_ms"])
        m["init_median_ms"] = statistics.median(inits)
        figures[who] = m
    out["paired"] = figures
    r, p = figures["rust"], figures["python"]
    rf, rs = r["runs"]
    pf, ps = p["runs"]
    r_total = r["init_median_ms"] + rf["ms"] + rs["ms"]
    p_total = p["init_median_ms"] + pf["ms"] + ps["ms"]
    print(f"\n## Paired: catalog-sharer vs naive Python/boto3, {n} tables x {len(consumers)} consumers, same moto\n")
    print("| | catalog-sharer (Rust) | naive Python/boto3 | Python / Rust | target |")
    print("|---|---:|---:|---:|---|")
    init_ratio = p["init_median_ms"] / r["init_median_ms"]
    print(f"| init (median of {starts}) | {ms(r['init_median_ms'])} | {ms(p['init_median_ms'])} | "
          f"{ratio(p['init_median_ms'], r['init_median_ms'])} | Rust <= 1/{INIT_RATIO_TARGET} of Python: "
          f"{met(init_ratio >= INIT_RATIO_TARGET)} |")
    print(f"| first run | {ms(rf['ms'])} | {ms(pf['ms'])} | {ratio(pf['ms'], rf['ms'])} | |")
    print(f"| converged run | {ms(rs['ms'])} | {ms(ps['ms'])} | {ratio(ps['ms'], rs['ms'])} | |")
    print(f"| total (init + both runs) | {ms(r_total)} | {ms(p_total)} | {ratio(p_total, r_total)} | |")
    print(f"| peak RSS | {mib(r['peak_rss_kib'])} | {mib(p['peak_rss_kib'])} | "
          f"{ratio(p['peak_rss_kib'], r['peak_rss_kib'])} | |")
    print(f"| API calls, first run | {rf['calls']} | {pf['calls']} | {ratio(pf['calls'], rf['calls'])} | |")
    print(f"| writes, first run | {rf['writes']} | {pf['writes']} | {ratio(pf['writes'], rf['writes'])} | |")
    print(f"| API calls, converged run | {rs['calls']} | {ps['calls']} | {ratio(ps['calls'], rs['calls'])} | "
          f"<= {CONVERGED_CALLS_TARGET}: {met(rs['calls'] <= CONVERGED_CALLS_TARGET)} |")
    print(f"| writes, converged run | {rs['writes']} | {ps['writes']} | | 0: {met(rs['writes'] == 0)} |")
    rl1, rl2, pl = lf_calls(rf["operations"]), lf_calls(rs["operations"]), lf_calls(pf["operations"])
    print(f"| {n} tables x {len(consumers)} consumers reconcile: LF calls (first, converged) | {rl1}, {rl2} | {pl}, "
          f"{lf_calls(ps['operations'])} | {ratio(pl, rl1)} | <= {LF_CALLS_TARGET}: "
          f"{met(max(rl1, rl2) <= LF_CALLS_TARGET)} |")
    print(f"| invocation outcome (first, converged) | {'ok' if rf['ok'] else 'error'}, {'ok' if rs['ok'] else 'error'} "
          f"| {'ok' if pf['ok'] else 'error'}, {'ok' if ps['ok'] else 'error'} | | |")
    print(f"\nRust first run: {fmt_ops(rf['operations'], 8)}  \nRust converged run: {fmt_ops(rs['operations'], 8)}  \n"
          f"Python each run: {fmt_ops(pf['operations'], 8)}")


def plan_time(release_dir, tables, consumers):
    bench = Path(release_dir) / "bench"
    if not bench.exists():
        return None
    try:
        out = subprocess.run([str(bench), "--plan-json", str(tables), str(consumers)], capture_output=True,
                             text=True, timeout=600, check=True).stdout
        return json.loads(out.strip().splitlines()[-1])
    except (subprocess.SubprocessError, ValueError, IndexError):
        return None


def scale(moto, release_dir, n, consumers_n, timeout, out):
    acct = "720000000001"
    consumers = [f"{230000000000 + i:012d}" for i in range(consumers_n)]
    creds = moto.credentials(acct)
    t = time.perf_counter()
    seed(moto, creds, "cur_scale", f"cur-scale-{acct}", n)
    seed_s = time.perf_counter() - t
    prepare_account(moto, creds, acct)
    cfg = Path(tempfile.mkdtemp()) / "scale.yaml"
    cfg.write_text(json.dumps({"producer": {"shares": [{"database": "cur_scale", "consumers": consumers}]}}))
    m = measure(lambda: rust_fn(release_dir, "catalog-sharer", rust_env(moto, creds, cfg)), acct,
                timeout=timeout, events=[scheduled(acct), scheduled(acct), glue_event(acct, "cur_scale", "t00000")])
    plan = plan_time(release_dir, n, consumers_n)
    out["scale"] = {"tables": n, "consumers": consumers_n, "seed_s": seed_s, "plan": plan, **m}
    first = m["runs"][0]
    missing = {"ok": False, "ms": None, "calls": None, "writes": None, "operations": {}, "outcomes": {},
               "error": {"errorMessage": "not run: an earlier run did not finish"}}
    conv = m["runs"][1] if len(m["runs"]) > 1 else missing
    event = m["runs"][2] if len(m["runs"]) > 2 else missing
    print(f"\n## Scale: one database of {n:,} tables x {consumers_n} consumers (catalog-sharer, moto)\n")
    print(f"(seeding moto took {seed_s:.0f} s; Glue pages GetTables by 100 as AWS does; run times are moto's "
          "more than lakewarden's)\n")
    print("| figure | value | target |")
    print("|---|---:|---|")
    print(f"| first run: API calls | {first['calls']} | |")
    print(f"| first run: writes | {first['writes']} | |")
    def outcome(r):
        if r["ok"]:
            return "ok"
        return f"error: {str((r['error'] or {}).get('errorType') or (r['error'] or {}).get('errorMessage', '?'))[:40]}"

    print(f"| first run: wall time / outcome | {ms(first['ms'])} / {outcome(first)} "
          f"({', '.join(f'{k} {v}' for k, v in sorted(first['outcomes'].items())) or 'no report'}) | |")
    print(f"| converged run: API calls | {conv['calls']} | <= {CONVERGED_CALLS_TARGET}: "
          f"{met(conv['calls'] is not None and conv['calls'] <= CONVERGED_CALLS_TARGET)} |")
    print(f"| converged run: writes | {conv['writes']} | 0: {met(conv['writes'] == 0)} |")
    print(f"| converged run: wall time / outcome | {ms(conv['ms'])} / {outcome(conv)} | |")
    print(f"| converged run: Lake Formation calls | {lf_calls(conv['operations'])} | |")
    print(f"| Glue CreateTable event (lists the database: GetTables pages) | {event['calls']} calls "
          f"({event['operations'].get('glue.GetTables', 0)} GetTables), {event['writes']} writes, {ms(event['ms'])} / "
          f"{outcome(event)} | |")
    if plan:
        print(f"| plan time, scheduled run (pure, release, median of 5; tables not listed) | "
              f"{ms(plan['plan_ms_unlisted'])} ({plan['actions_unlisted']:,} actions) | |")
        print(f"| plan time, Glue event (pure, release, median of 5; {n:,} tables listed) | "
              f"{ms(plan['plan_ms'])} ({plan['actions']:,} actions) | |")
    else:
        print("| plan time | not measured (target/release/bench --plan-json missing or failed) | |")
    print(f"| init | {ms(m['init_ms'])} | |")
    print(f"| peak RSS of the function (VmHWM) | {mib(m['peak_rss_kib'])} | <= {RSS_TARGET_MIB} MiB: "
          f"{met(m['peak_rss_kib'] is not None and m['peak_rss_kib'] <= RSS_TARGET_MIB * 1024)} |")
    print(f"\nFirst run: {fmt_ops(first['operations'], 10)}  \nConverged run: {fmt_ops(conv['operations'], 10)}  \n"
          f"Glue event: {fmt_ops(event['operations'], 10)}")
    for r in (first, conv, event):
        if not r["ok"]:
            print(f"\nerror: {json.dumps(r['error'])[:600]}")


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--release-dir", default=str(ROOT / "target" / "release"))
    ap.add_argument("--tables", type=int, default=100)
    ap.add_argument("--scale-tables", type=int, default=10_000)
    ap.add_argument("--scale-consumers", type=int, default=20)
    ap.add_argument("--cold-starts", type=int, default=5)
    ap.add_argument("--scale-timeout", type=float, default=900,
                    help="seconds one scale invocation may take (Lambda's maximum is 900)")
    ap.add_argument("--sections", default="cold,paired,scale")
    ap.add_argument("--json", help="also write every figure to this file")
    args = ap.parse_args(argv)
    sections = set(args.sections.split(","))
    out = {"cold_start": {}}
    moto = Moto()
    try:
        if "cold" in sections:
            cold_starts(moto, args.release_dir, args.cold_starts, out)
        if "paired" in sections:
            paired(moto, args.release_dir, args.tables, args.cold_starts, out)
        if "scale" in sections:
            scale(moto, args.release_dir, args.scale_tables, args.scale_consumers, args.scale_timeout, out)
    finally:
        moto.stop()
    print()
    if args.json:
        with open(args.json, "w") as f:
            json.dump(out, f, indent=1, default=str)


if __name__ == "__main__":
    main()
