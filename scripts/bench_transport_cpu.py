#!/usr/bin/env python3
"""Transport CPU benchmark: the CPU one device uses for a sync over a slow link.

Makes a fresh data folder and user with the real admin CLI, starts a real fieldsync-server on
127.0.0.1 and, in front of it, a loopback proxy that holds every answer back by --delay-ms (a
slow mobile link). A device enrols through the proxy, makes --changesets visits offline (one
change set each), and runs one `fieldsync sync`; the script reports that process's CPU time
(user + system, from wait4) and wall time, and their ratio. A transport that waits properly
uses a small fraction of the wall time; one that spins uses a large one.

Run it with two clients to compare (the server is the same for both):
  scripts/bench_transport_cpu.py --bin .build/debug --client OLD/fieldsync --client .build/debug/fieldsync

Usage: scripts/bench_transport_cpu.py [--bin DIR] [--client PATH ...] [--changesets 200] [--delay-ms 100] [--runs 1]
"""
import argparse, json, os, shutil, socket, subprocess, tempfile, threading, time, uuid

import server_process


class DelayProxy:
    """Relays loopback TCP to the server, holding each answer `delay` seconds: the first bytes
    the server sends after each new request bytes wait before they are passed on."""

    def __init__(self, upstream_port, delay):
        self.upstream_port, self.delay = upstream_port, delay
        self.listener = socket.socket()
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(16)
        self.port = self.listener.getsockname()[1]
        threading.Thread(target=self.accept_loop, daemon=True).start()

    def accept_loop(self):
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            upstream = socket.create_connection(("127.0.0.1", self.upstream_port))
            turn = {"request_since_answer": False}
            threading.Thread(target=self.pump, args=(client, upstream, turn, True), daemon=True).start()
            threading.Thread(target=self.pump, args=(upstream, client, turn, False), daemon=True).start()

    def pump(self, src, dst, turn, is_request):
        try:
            while True:
                data = src.recv(65536)
                if not data:
                    break
                if is_request:
                    turn["request_since_answer"] = True
                elif turn["request_since_answer"]:
                    turn["request_since_answer"] = False
                    time.sleep(self.delay)
                dst.sendall(data)
        except OSError:
            pass
        for s in (src, dst):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def stop(self):
        self.listener.close()


def run(cmd, **kw):
    return subprocess.run(cmd, check=True, capture_output=True, text=True, timeout=600, **kw)


def measured_sync(client, store, env):
    """Runs one sync; returns (report, cpu seconds, wall seconds) of that process alone."""
    t = time.time()
    proc = subprocess.Popen([client, "sync", "--json"] + store, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    out = proc.stdout.read()
    err = proc.stderr.read()
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.time() - t
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"sync failed ({status}): {out}{err}")
    return json.loads(out), usage.ru_utime + usage.ru_stime, wall


def one(bin_dir, client, changesets, delay_ms):
    root = tempfile.mkdtemp(prefix="fieldsync-transport-bench-")
    data = os.path.join(root, "data")
    server = os.path.join(bin_dir, "fieldsync-server")
    admin = [server, "admin", "--data", data]
    proc, proxy = None, None
    try:
        yp = str(uuid.uuid4())
        run(admin + ["init"])  # admin commands refuse a folder with no store
        run(admin + ["team", "add", "--name", "north"])
        run(admin + ["user", "add", "--name", "pat", "--role", "PA", "--team", "north"])
        run(admin + ["allocate", "--young-person", yp, "--user", "pat", "--role", "key"])
        code = json.loads(run(admin + ["device", "enrol", "--user", "pat", "--json"]).stdout)["code"]
        proc, port = server_process.start(server, data, root)
        proxy = DelayProxy(port, delay_ms / 1000)
        env = dict(os.environ, FIELDSYNC_KEY_DIR=os.path.join(root, "keys"))
        store = ["--store", os.path.join(root, "pat.sqlite")]
        run([client, "enrol", "--server", f"http://127.0.0.1:{proxy.port}", "--code", code] + store, env=env)
        for n in range(changesets):
            run([client, "visit", "new", "--young-person", yp, f"purpose=Visit {n}"] + store, env=env)
        report, cpu, wall = measured_sync(client, store, env)
        if report["sent"] != changesets or report["unsent"] != 0:
            raise SystemExit(f"the sync sent {report['sent']} of {changesets}: {report}")
        return {
            "client": client, "changesets": changesets, "delay_ms": delay_ms, "sent": report["sent"],
            "received": report["received"], "cpu_s": round(cpu, 3), "wall_s": round(wall, 2), "cpu_per_wall": round(cpu / wall, 3),
        }
    finally:
        if proxy:
            proxy.stop()
        server_process.stop(proc)
        shutil.rmtree(root, ignore_errors=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", default=".build/debug", help="folder with fieldsync-server (and fieldsync)")
    ap.add_argument("--client", action="append", help="a fieldsync binary to measure (repeat to compare); default BIN/fieldsync")
    ap.add_argument("--changesets", type=int, default=200)
    ap.add_argument("--delay-ms", type=int, default=100)
    ap.add_argument("--runs", type=int, default=1, help="runs per client, alternating")
    args = ap.parse_args()
    clients = args.client or [os.path.join(args.bin, "fieldsync")]
    with open("/proc/loadavg") as f:
        print(f"machine: {os.cpu_count()} cores, load average {' '.join(f.read().split()[:3])}", flush=True)
    for _ in range(args.runs):
        for client in clients:
            print(json.dumps(one(args.bin, client, args.changesets, args.delay_ms)), flush=True)


if __name__ == "__main__":
    main()
