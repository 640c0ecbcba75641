#!/usr/bin/env python3
"""Reconciled-export benchmark: does `fieldsync export --reconciled` stream in constant memory?

For each size N (default 10,000 and 100,000) it makes a fresh data folder, sets up a team
manager and an adviser with the real admin CLI, bulk-loads N AUTHORISED visit records straight
into the server's SQLite file (a bulk loader, as the standard workload allows for scale loads),
starts a real fieldsync-server on 127.0.0.1, enrols the manager's device, and times one export
to a file. It reports the wall time, the server's peak resident memory (VmHWM) and the CLI's
peak resident memory (ru_maxrss), so the figures for the two sizes can be compared.

With --action sync it times instead a team manager's first `fieldsync sync` of the N records
into an empty device store (pull, seal and store every record), and the CLI's peak memory.

Usage: scripts/bench_export.py [--bin DIR] [--sizes 10000,100000] [--format csv] [--action export|sync]
"""
import argparse, json, os, resource, shutil, sqlite3, subprocess, sys, tempfile, time, uuid

import server_process

def run(cmd, **kw):
    return subprocess.run(cmd, check=True, capture_output=True, text=True, **kw)

def vm_hwm_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return 0

def bulk_load(db_path, n, young_person):
    text = "She talked about school, her friends, and the plan for the holidays. " * 5
    con = sqlite3.connect(db_path)
    con.execute("PRAGMA journal_mode=WAL")
    (start,) = con.execute("SELECT value FROM feed_counter WHERE id = 1").fetchone()
    rows = []
    for i in range(n):
        version = start + i + 1
        rid = str(uuid.UUID(int=(0xB0 << 120) + i)).upper()
        fields = {
            "kind": "CLA_STATUTORY", "contactMode": "FACE_TO_FACE", "locationType": "FOSTER_HOME",
            "actualStart": "2026-11-20T10:00:00.000Z", "actualEnd": "2026-11-20T11:00:00.000Z",
            "childSeen": True, "childSeenAlone": True, "childViews": text, "childViewsMethod": "CONVERSATION",
            "observations": text, "analysis": text, "nextVisitDue": "2026-12-31",
        }
        doc = {
            "id": rid, "kind": "visit", "youngPerson": young_person, "state": "AUTHORISED", "stateVersion": version,
            "version": version, "deleted": False, "fields": fields, "fieldVersions": {k: version for k in fields},
            "createdBy": "pat", "createdAt": "2026-11-20T12:00:00.000Z", "updatedBy": "maria",
            "updatedAt": "2026-11-21T09:00:00.000Z", "conflicts": [],
        }
        rows.append((rid, "visit", young_person, "AUTHORISED", version, 0, json.dumps(doc, separators=(",", ":")).encode()))
        if len(rows) == 5000:
            con.executemany("INSERT INTO records(id, kind, young_person, state, version, deleted, document) VALUES (?,?,?,?,?,?,?)", rows)
            rows = []
    if rows:
        con.executemany("INSERT INTO records(id, kind, young_person, state, version, deleted, document) VALUES (?,?,?,?,?,?,?)", rows)
    con.execute("UPDATE feed_counter SET value = ? WHERE id = 1", (start + n,))
    con.commit()
    con.close()

def first_sync(client, store, env, n):
    """Times a device's first sync of n records; returns the figures."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    t = time.time()
    res = subprocess.run([client, "sync", "--json"] + store, env=env, capture_output=True, text=True, timeout=900)
    wall = time.time() - t
    if res.returncode != 0:
        raise SystemExit(f"sync failed: {res.stdout}{res.stderr}")
    received = json.loads(res.stdout)["received"]
    if received != n:
        raise SystemExit(f"the first sync received {received} of {n}")
    return {
        "records": n, "action": "sync", "sync_wall_s": round(wall, 2), "records_per_s": round(n / wall),
        "cli_peak_rss_mib": round(max(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, before) / 1024, 1),
    }

def one(bin_dir, n, fmt, action="export"):
    root = tempfile.mkdtemp(prefix="fieldsync-export-bench-")
    data = os.path.join(root, "data")
    server = os.path.join(bin_dir, "fieldsync-server")
    client = os.path.join(bin_dir, "fieldsync")
    admin = [server, "admin", "--data", data]
    proc = None
    try:
        yp = str(uuid.uuid4()).upper()
        run(admin + ["init"])  # admin commands other than init refuse a folder with no store
        run(admin + ["team", "add", "--name", "north"])
        run(admin + ["user", "add", "--name", "pat", "--role", "PA", "--team", "north"])
        run(admin + ["user", "add", "--name", "maria", "--role", "TM", "--team", "north"])
        run(admin + ["allocate", "--young-person", yp, "--user", "pat", "--role", "key"])
        code = json.loads(run(admin + ["device", "enrol", "--user", "maria", "--json"]).stdout)["code"]
        t = time.time()
        bulk_load(os.path.join(data, "fieldsync.sqlite"), n, yp)
        load_s = time.time() - t
        proc, port = server_process.start(server, data, root)
        url = f"http://127.0.0.1:{port}"
        env = dict(os.environ, FIELDSYNC_KEY_DIR=os.path.join(root, "keys"))
        store = ["--store", os.path.join(root, "maria.sqlite")]
        run([client, "enrol", "--server", url, "--code", code] + store, env=env)
        if action == "sync":
            return first_sync(client, store, env, n)
        rss_before = vm_hwm_kib(proc.pid)
        out = os.path.join(root, f"export.{fmt}")
        before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        t = time.time()
        res = subprocess.run([client, "export", "--reconciled", "--format", fmt, "--out", out, "--json"] + store,
                             env=env, capture_output=True, text=True, timeout=900)
        wall = time.time() - t
        child_max = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        if res.returncode != 0:
            raise SystemExit(f"export failed: {res.stdout}{res.stderr}")
        summary = json.loads(res.stdout)
        if summary["records"] != n:
            raise SystemExit(f"exported {summary['records']} of {n}")
        return {
            "records": n, "format": fmt, "bulk_load_s": round(load_s, 2), "export_wall_s": round(wall, 2),
            "records_per_s": round(n / wall), "output_mb": round(os.path.getsize(out) / 1e6, 1),
            "server_peak_rss_mib": round(vm_hwm_kib(proc.pid) / 1024, 1),
            "server_rss_before_export_mib": round(rss_before / 1024, 1),
            # ru_maxrss of children is the largest child so far (admin CLIs are small).
            "cli_peak_rss_mib": round(max(child_max, before) / 1024, 1),
        }
    finally:
        server_process.stop(proc)
        shutil.rmtree(root, ignore_errors=True)

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", default=".build-bench/release")
    ap.add_argument("--sizes", default="10000,100000")
    ap.add_argument("--format", default="csv", choices=["csv", "json", "ndjson"])
    ap.add_argument("--action", default="export", choices=["export", "sync"])
    args = ap.parse_args()
    with open("/proc/loadavg") as f:
        print(f"machine: {os.cpu_count()} cores, load average {' '.join(f.read().split()[:3])}", flush=True)
    for n in [int(s) for s in args.sizes.split(",")]:
        print(json.dumps(one(args.bin, n, args.format, args.action)), flush=True)

if __name__ == "__main__":
    main()
