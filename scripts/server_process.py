"""Starting and stopping a real fieldsync-server for the benchmark scripts (loopback only)."""
import os, re, signal, subprocess, time


def start(server, data, root):
    """Starts `fieldsync-server serve` on a free loopback port; returns (process, port)."""
    log_path = os.path.join(root, "server.log")
    log = open(log_path, "w")
    proc = subprocess.Popen([server, "serve", "--data", data, "--port", "0", "--log-level", "warning"], stdout=log, stderr=log)
    for _ in range(300):
        m = re.search(r"http://127\.0\.0\.1:(\d+)", open(log_path).read())
        if m:
            return proc, int(m.group(1))
        time.sleep(0.05)
    stop(proc)
    raise SystemExit("server did not start")


def stop(proc):
    """Stops the server by its pid: SIGTERM, then SIGKILL after 10 s."""
    if proc is None:
        return
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()
