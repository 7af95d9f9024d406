"""Plasma's fork server for local user servers (see src/spawner/preload.ts).

Started once by the hub, it imports jupyterhub-singleuser (about a second of CPU per server otherwise) and then forks
a server per request, already loaded. Each child becomes what an exec'd server would be: its own session, the user's
uid, gid and groups, their home, the environment the hub gave it, and its log file as stdout and stderr.

Protocol, one JSON object per line. Out first: {"ready": true} or {"ready": false, "error": "..."}.
In: {"id", "argv", "env", "cwd", "log", "run_file", "user"?, "uid"?, "gid"?}. Out: {"id", "pid"} or {"id", "error"}.
Before it answers, the parent adds {"forked": {"pid"}} to the run file, so a hub killed before it reads the answer
leaves a server the next hub can find. It exits when its input closes (the hub is gone); the servers stay.
A forked server's /proc/<pid>/environ is the fork server's own (the kernel keeps the one given at exec); its
os.environ is the server's. With python3-setproctitle, its command line reads as an exec'd server's.
"""
import atexit
import json
import os
import random
import signal
import site
import sys
import threading
import traceback

try:
    # Debian's python3-setproctitle: each server shows in ps as the command an exec'd one would be.
    from setproctitle import setproctitle
except ImportError:
    setproctitle = None


def say(message):
    sys.stdout.write(json.dumps(message) + "\n")
    sys.stdout.flush()


def write_atomic(path, text):
    temp = "%s.%d.tmp" % (path, os.getpid())
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(text)
    os.rename(temp, path)


def record_fork(run_file, pid):
    try:
        with open(run_file) as f:
            record = json.load(f)
    except (OSError, ValueError):
        return
    record["forked"] = {"pid": pid}
    write_atomic(run_file, json.dumps(record))


def become(req):
    """In the child: everything an exec'd server would have had from the start."""
    os.setsid()
    if setproctitle:
        setproctitle(" ".join([sys.executable] + list(req["argv"])))
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    null = os.open("/dev/null", os.O_RDONLY)
    log = os.open(req["log"], os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    os.dup2(null, 0)
    os.dup2(log, 1)
    os.dup2(log, 2)
    os.close(null)
    os.close(log)
    if req.get("uid") is not None:
        os.initgroups(req["user"], req["gid"])
        os.setgid(req["gid"])
        os.setuid(req["uid"])
    os.chdir(req["cwd"])
    os.environ.clear()
    os.environ.update(req["env"])
    sys.argv = list(req["argv"])
    # A forked child shares its parent's random state: every server would draw the same numbers.
    random.seed()
    # The user's own site-packages, as Python adds it at start-up for their HOME (the server ran with -s).
    site.ENABLE_USER_SITE = True
    site.USER_BASE = None
    site.USER_SITE = None
    user_site = site.getusersitepackages()
    if os.path.isdir(user_site):
        site.addsitedir(user_site)


def run_child(req, main):
    code = 0
    try:
        become(req)
        result = main()
        code = result if isinstance(result, int) else 0
    except SystemExit as e:
        code = e.code if isinstance(e.code, int) else (0 if e.code is None else 1)
    except BaseException:
        traceback.print_exc()
        code = 1
    try:
        atexit._run_exitfuncs()
        sys.stdout.flush()
        sys.stderr.flush()
    finally:
        os._exit(code)


def serve(main):
    # Children are reaped as they exit; the hub watches them through /proc.
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    hub = os.getppid()
    for line in sys.stdin:
        # Requests still in the pipe when the hub died are not served: the next hub may already have looked.
        if os.getppid() != hub:
            return
        try:
            req = json.loads(line)
        except ValueError:
            continue
        try:
            sys.stdout.flush()
            sys.stderr.flush()
            pid = os.fork()
            if pid == 0:
                run_child(req, main)
            record_fork(req["run_file"], pid)
            say({"id": req["id"], "pid": pid})
        except Exception as e:
            say({"id": req.get("id"), "error": "%s: %s" % (type(e).__name__, e)})


def start():
    try:
        from jupyterhub.singleuser.app import main
    except BaseException as e:
        say({"ready": False, "error": "%s: %s" % (type(e).__name__, e)})
        return
    # A thread started by an import would not survive the fork: then every server must be started afresh.
    if threading.active_count() != 1:
        say({"ready": False, "error": "importing jupyterhub-singleuser started threads"})
        return
    say({"ready": True, "python": sys.version.split()[0]})
    serve(main)


if __name__ == "__main__":
    start()
