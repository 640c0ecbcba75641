#!/usr/bin/env python3
"""Worst-case change set: how long can one device's request hold the single writer?

Starts a real fieldsync-server (release build) on 127.0.0.1 with a fresh data folder, enrols two
advisers' devices over the wire protocol, and sets up the worst case of issue 9's finding 3: a
visit whose childViews was "a\\n" x 3300 when the attacker last saw it and is now "c\\n" x 3300 on
the server. Each run the attacker sends one change set that fills the request size limit with
updates from "a\\n" x 3300 to "b\\n" x 3300 (every one a worst-case line merge). Meanwhile a second
device pulls in a loop. Reports per run: operations, body size, the push's wall time (an upper
bound on how long it held the writer: it includes reading and decoding the body), and the
slowest pull that overlapped it. Prints the median with min and max over the runs.

Usage: scripts/bench_worst_case.py [--bin .build-release/release] [--runs 5]
"""
import argparse, http.client, json, os, shutil, statistics, subprocess, tempfile, threading, time, uuid

import server_process

MAX_BODY = 4 * 1024 * 1024


def run(cmd):
    return subprocess.run(cmd, check=True, capture_output=True, text=True)


class Wire:
    def __init__(self, port, token=None):
        self.port, self.token, self.sequence = port, token, 0

    def call(self, method, path, body=None):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)
        headers = {"FieldSync-Protocol": "1", "Content-Type": "application/json"}
        if self.token:
            headers["Authorization"] = "Bearer " + self.token
        conn.request(method, path, body=body, headers=headers)
        answer = conn.getresponse()
        data = answer.read()
        conn.close()
        if answer.status != 200:
            raise SystemExit(f"{method} {path} answered {answer.status}: {data[:300]!r}")
        return json.loads(data)

    def push(self, operations):
        self.sequence += 1
        body = json.dumps({"id": str(uuid.uuid4()), "deviceSequence": self.sequence,
                           "madeAt": "2026-12-02T08:00:00.000Z", "operations": operations}).encode()
        return body, lambda: self.call("POST", "/v1/changesets", body)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", default=".build-release/release")
    ap.add_argument("--runs", type=int, default=5)
    args = ap.parse_args()
    root = tempfile.mkdtemp(prefix="fieldsync-worst-case-")
    data = os.path.join(root, "data")
    server = os.path.join(args.bin, "fieldsync-server")
    admin = [server, "admin", "--data", data]
    proc = None
    try:
        yp = str(uuid.uuid4())
        run(admin + ["init"])  # admin commands other than init refuse a folder with no store
        run(admin + ["team", "add", "--name", "north"])
        for name, role in [("priya", "key"), ("pat", "co")]:
            run(admin + ["user", "add", "--name", name, "--role", "PA", "--team", "north"])
            run(admin + ["allocate", "--young-person", yp, "--user", name, "--role", role])
        codes = {n: json.loads(run(admin + ["device", "enrol", "--user", n, "--json"]).stdout)["code"] for n in ["priya", "pat"]}
        proc, port = server_process.start(server, data, root)
        devices = {}
        for name, code in codes.items():
            answer = Wire(port).call("POST", "/v1/enrol", json.dumps({"code": code, "deviceName": name}).encode())
            devices[name] = Wire(port, answer["token"])
        attacker, other = devices["priya"], devices["pat"]

        base, mine, current = "a\n" * 3300, "b\n" * 3300, "c\n" * 3300
        record = str(uuid.uuid4())
        _, send = attacker.push([{"op": "create", "record": record, "kind": "visit", "youngPerson": yp, "fields": {"childViews": base}}])
        v1 = send()["verdicts"][0]["version"]
        _, send = other.push([{"op": "update", "record": record, "base": v1, "fields": {"childViews": current},
                               "baseFields": {"childViews": base}}])
        send()

        results = []
        for r in range(args.runs):
            operations, size = [], 200
            while len(operations) < 500:
                op = {"op": "update", "record": record, "base": v1, "fields": {"childViews": mine + f"{r}.{len(operations)}"},
                      "baseFields": {"childViews": base}}
                cost = len(json.dumps(op)) + 1
                if size + cost > MAX_BODY - 1024:
                    break
                operations.append(op)
                size += cost
            body, send = attacker.push(operations)
            pulls, stop = [], threading.Event()

            def pull_loop():
                while not stop.is_set():
                    t = time.perf_counter()
                    other.call("GET", "/v1/changes?limit=100")
                    pulls.append(time.perf_counter() - t)

            puller = threading.Thread(target=pull_loop)
            puller.start()
            time.sleep(0.05)
            t = time.perf_counter()
            answer = send()
            push_s = time.perf_counter() - t
            stop.set()
            puller.join()
            outcomes = {v["outcome"] for v in answer["verdicts"]}
            results.append({"operations": len(operations), "body_bytes": len(body), "push_ms": round(push_s * 1000, 1),
                            "slowest_pull_ms": round(max(pulls) * 1000, 1), "pulls": len(pulls), "outcomes": sorted(outcomes)})
            print(json.dumps(results[-1]), flush=True)
        for key in ["push_ms", "slowest_pull_ms"]:
            values = [x[key] for x in results]
            print(f"{key}: median {statistics.median(values)} (min {min(values)}, max {max(values)}) over {len(values)} runs")
    finally:
        server_process.stop(proc)
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
