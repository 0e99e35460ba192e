#!/usr/bin/python3
# Faults around npy-watermark, the batch command: a run killed with SIGKILL
# at random moments, an output folder that is read-only, full, or removed
# while the run goes.  What a user must see: every output complete or
# absent, a rerun with --skip-existing that finishes the job, a clear
# error per picture and a non-zero exit, never a crash or a hang.  TAP on
# stdout; the helpers are test_batch.py's.
#
#   test_faults.py NPY_WATERMARK GROUP
#
# NPW_FAULT_SEED=N replays the kill moments of an earlier run (each run
# prints its seed).

import fcntl
import os
import random
import re
import shutil
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from test_batch import (EXE, GROUP, LOG_LINE, log_lines, main,  # noqa
                        photo, tap, tree, write_config)
from PIL import Image

WATERMARK = os.path.join(os.path.dirname(__file__), "..", "..", "examples",
                         "watermark.npy")
# What the command names its temporary files: ".<name>.XXXXXX.part".
PART = re.compile(r"^\.(.+)\.[A-Za-z0-9]{6}\.part$")


def make_folder(tmp, count, w, h, pngs=True):
    """@count pictures (a few distinct ones copied), every fourth a PNG if
    @pngs; returns their names, sorted."""
    pics = os.path.join(tmp, "pictures")
    os.makedirs(pics)
    shutil.copy(WATERMARK, tmp)
    seeds = []
    for s in range(3):
        for ext in ("jpg", "png"):
            path = os.path.join(tmp, "seed%d.%s" % (s, ext))
            Image.fromarray(photo(w, h, s)).save(path, **(
                {"quality": 92} if ext == "jpg" else {}))
            seeds.append(path)
    names = []
    for i in range(count):
        ext = "png" if pngs and i % 4 == 3 else "jpg"
        name = "p%03d.%s" % (i, ext)
        shutil.copy(os.path.join(tmp, "seed%d.%s" % (i % 3, ext)),
                    os.path.join(pics, name))
        names.append(name)
    for path in seeds:
        os.unlink(path)
    return names


def complete(path, size):
    """None if @path is a whole picture of @size, else what is wrong."""
    with open(path, "rb") as f:
        data = f.read()
    if path.lower().endswith(".png"):
        if data[-8:-4] != b"IEND":
            return "no IEND chunk at the end (%d bytes)" % len(data)
    elif data[-2:] != b"\xff\xd9":
        return "no end-of-image marker (%d bytes)" % len(data)
    try:
        im = Image.open(path)
        im.load()
    except Exception as e:
        return "does not decode: %s" % e
    if im.size != size:
        return "size %r, not %r" % (im.size, size)
    return None


def outputs(out):
    """(pictures, temporary files, anything else) in @out."""
    if not os.path.isdir(out):
        return [], [], []
    names = sorted(os.listdir(out))
    parts = [n for n in names if PART.match(n)]
    others = [n for n in names if n.startswith(".") and n not in parts]
    return [n for n in names if not n.startswith(".")], parts, others


def check_outputs(out, names, size, what, planted=()):
    """Every picture in @out is one of @names and complete; hidden files are
    only our temporary ones (or @planted by the test).  Returns the
    pictures found."""
    done, parts, others = outputs(out)
    others = [n for n in others if n not in planted]
    bad = ["%s: %s" % (n, complete(os.path.join(out, n), size))
           for n in done if n in names and complete(os.path.join(out, n),
                                                    size)]
    tap.check(not bad and set(done) <= set(names) and not others,
              "%s: %d outputs, each complete (no partial file under a "
              "final name)" % (what, len(done)),
              "\n".join(bad + others + sorted(set(done) - set(names))))
    tap.check(all(PART.match(p).group(1) in names for p in parts),
              "%s: the %d leftover temporary files are hidden .part files "
              "of pictures of the run" % (what, len(parts)), parts)
    return done


def processed_lines(lines):
    """Picture names of the 'Processed: ' lines among log @lines."""
    found = []
    for line in lines:
        m = LOG_LINE.match(line)
        if m and m.group(3).startswith("Processed: "):
            found.append(m.group(3)[len("Processed: "):])
    return found


def wait_for(cond, timeout, step=0.005):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if cond():
            return True
        time.sleep(step)
    return False


# ----------------------------------------------------------------- groups

def group_kill(tmp):
    """SIGKILL at random moments, then --skip-existing finishes the job."""
    seed = int(os.environ.get("NPW_FAULT_SEED", time.time_ns() % 100000))
    print("# NPW_FAULT_SEED=%d" % seed)
    rng = random.Random(seed)
    height = 900
    names = make_folder(tmp, 80, 800, 600)
    size = (int(800 * (height / 600)), height)
    write_config(tmp, output_height=height)
    out = os.path.join(tmp, "pictures", "output")

    def count():
        return len(outputs(out)[0])

    # The first kill lands in start-up or the first pictures, the others
    # once a few more outputs are there: in the middle of pictures.
    for k in range(5):
        before = count()
        p = subprocess.Popen([EXE, "--skip-existing", "--quiet", "--jobs",
                              "2"], cwd=tmp, stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL)
        if k == 0:
            time.sleep(rng.uniform(0.0, 0.2))
        else:
            step = rng.randint(1, 8)
            wait_for(lambda: count() >= before + step or p.poll() is not
                     None, 30)
            time.sleep(rng.uniform(0.0, 0.03))
        p.kill()
        p.wait(timeout=30)
        tap.eq(p.returncode, -9, "kill %d: the run was still going when "
               "killed" % (k + 1))
        check_outputs(out, names, size, "kill %d" % (k + 1))
    done, parts, _ = outputs(out)
    tap.check(0 < len(done) < len(names), "the kills landed mid-run (%d of "
              "%d done, %d temporary files left)" % (len(done), len(names),
                                                     len(parts)))

    # Leftover temporary files: those no live process holds are the
    # killed runs' and are removed by the next run at once (they are
    # seconds old: the age rule of old left them); one a live run holds
    # (another shard, here this test with its flock) stays, as does
    # anything not ours.
    if not parts:
        open(os.path.join(out, ".p000.jpg.Zz0000.part"), "wb").close()
        parts = [".p000.jpg.Zz0000.part"]
    held = ".%s.Yy1111.part" % names[-1]
    foreign = ".someone-else.part"
    for name in (held, foreign):
        with open(os.path.join(out, name), "wb") as f:
            f.write(b"half")
    holder = open(os.path.join(out, held), "rb")
    fcntl.flock(holder, fcntl.LOCK_EX)

    log_before = len(log_lines(tmp))
    processed_before = processed_lines(log_lines(tmp))
    r = subprocess.run([EXE, "--skip-existing", "--jobs", "2"], cwd=tmp,
                       capture_output=True, text=True, timeout=120)
    tap.eq(r.returncode, 0, "the rerun with --skip-existing: exit 0",
           r.stdout + r.stderr[-2000:])
    final = check_outputs(out, names, size, "after the rerun", [foreign])
    tap.eq(final, names, "after the rerun every picture is there")

    left = outputs(out)[1] + outputs(out)[2]
    holder.close()
    tap.eq(sorted(set(parts) & set(left)), [], "the rerun removed the "
           "killed runs' temporary files of its pictures (seconds old)")
    tap.check(held in left, "the rerun left a temporary file a live "
              "process holds alone (a concurrent run is writing it)", left)
    tap.check(foreign in left, "the rerun left a hidden file not of its "
              "pictures alone", left)

    rerun = log_lines(tmp)[log_before:]
    again = processed_lines(rerun)
    tap.eq(sorted(set(again) & set(done)), [], "the rerun processed none "
           "of the pictures done before the kill")
    tap.eq(sorted(again), sorted(set(names) - set(done)), "the rerun "
           "processed exactly the missing pictures")
    everything = processed_before + again
    twice = sorted(n for n in set(everything) if everything.count(n) > 1)
    tap.eq(twice, [], "no picture processed twice over all the runs")
    tap.check("Processed: %d, failed: 0, skipped: %d" % (
        len(names) - len(done), len(done)) in r.stdout,
        "the rerun's summary counts processed and skipped", r.stdout)
    tap.check(any("stale temporary" in l for l in rerun),
              "the rerun says it removed stale temporary files",
              "\n".join(rerun[:5]))


def run_in_mount_namespace(mount_cmds, argv, cwd):
    """Runs @argv in a private mount namespace after @mount_cmds (shell):
    the mounts vanish with it, whatever happens to the test."""
    script = " && ".join(mount_cmds) + ' && exec "$@"'
    return subprocess.run(["unshare", "-m", "sh", "-c", script, "sh", *argv],
                          cwd=cwd, capture_output=True, text=True,
                          timeout=120)


def can_mount(tmp):
    """Why mounts in a private namespace cannot be used here, or None."""
    if shutil.which("unshare") is None:
        return "no unshare command"
    d = os.path.join(tmp, "probe")
    os.makedirs(d)
    try:
        r = subprocess.run(["unshare", "-m", "sh", "-c",
                            "mount -t tmpfs -o ro,size=16k tmpfs probe && "
                            "! touch probe/x 2>/dev/null"], cwd=tmp,
                           capture_output=True, text=True, timeout=30)
    finally:
        os.rmdir(d)
    if r.returncode != 0:
        return "cannot mount a read-only tmpfs in a private mount " \
               "namespace: %s" % (r.stderr.strip() or "refused")
    return None


def group_readonly(tmp):
    """A read-only output folder (and a full one): a reason per picture,
    exit 1, nothing half-written."""
    names = make_folder(tmp, 12, 160, 120)
    write_config(tmp, output_height=120)
    out = os.path.join(tmp, "pictures", "output")
    os.makedirs(out)
    argv = [EXE, "--jobs", "2"]

    # Permission bits do not stop root: then the folder becomes a
    # read-only mount (as a snapshot or an NFS export mounted ro would be).
    if os.geteuid() != 0:
        how = "chmod 555"
        os.chmod(out, 0o555)
        r = subprocess.run(argv, cwd=tmp, capture_output=True, text=True,
                           timeout=120)
        os.chmod(out, 0o755)
        reason = "Permission denied"
    else:
        why = can_mount(tmp)
        if why:
            print("1..0 # SKIP read-only output folder: running as root "
                  "and %s" % why)
            sys.exit(0)
        how = "a read-only bind mount"
        r = run_in_mount_namespace(
            ["mount --bind pictures/output pictures/output",
             "mount -o remount,bind,ro pictures/output"], argv, tmp)
        reason = "Read-only file system"
    tap.eq(r.returncode, 1, "read-only output folder (%s): exit 1" % how,
           r.stderr[-2000:])
    errors = [m.group(3) for m in map(LOG_LINE.match, log_lines(tmp))
              if m and m.group(2) == "ERROR"]
    want = sorted("Error processing pictures/%s: cannot write in "
                  "pictures/output: %s" % (n, reason) for n in names)
    tap.eq(sorted(errors), want, "read-only output folder: one clear "
           "error per picture, naming the folder and the reason")
    tap.check("Processed: 0, failed: %d" % len(names) in r.stdout,
              "read-only output folder: the summary counts them all failed",
              r.stdout)
    tap.eq(os.listdir(out), [], "read-only output folder: nothing written")

    # A folder that does not exist yet, under a read-only one: nothing can
    # start.
    if how == "chmod 555":
        return
    os.unlink(os.path.join(tmp, "watermark.log"))
    r = run_in_mount_namespace(
        ["mount --bind pictures/output pictures/output",
         "mount -o remount,bind,ro pictures/output"],
        argv + ["--output", "pictures/output/new"], tmp)
    tap.eq(r.returncode, 2, "output folder to create in a read-only one: "
           "exit 2")
    tap.check("npy-watermark: pictures/output/new: cannot create the output "
              "folder: Read-only file system" in r.stderr,
              "... saying which folder and why", r.stderr)
    tap.check(not os.path.exists(os.path.join(tmp, "watermark.log")),
              "... and leaves no empty watermark.log")

    # A full disk: a small tmpfs as the output folder.
    r = run_in_mount_namespace(
        ["mount -t tmpfs -o size=100k tmpfs pictures/output"],
        argv + ["--height", "600", "--quality", "95"] + [
            "--output-quality", "100"], tmp)
    tap.eq(r.returncode, 1, "full output disk: exit 1", r.stderr[-2000:])
    errors = [m.group(3) for m in map(LOG_LINE.match, log_lines(tmp))
              if m and m.group(2) == "ERROR"]
    tap.check(errors and all("No space left" in e and "cannot write" in e
                             for e in errors),
              "full output disk: each failed picture says the disk is "
              "full (%d of %d)" % (len(errors), len(names)),
              "\n".join(errors))
    tap.eq(len(errors) + len(processed_lines(log_lines(tmp))), len(names),
           "full output disk: every picture processed or failed")


def group_vanish(tmp):
    """The output folder removed while the run goes."""
    names = make_folder(tmp, 300, 160, 120, pngs=False)
    write_config(tmp, output_height=480)
    out = os.path.join(tmp, "pictures", "output")

    p = subprocess.Popen([EXE, "--jobs", "2"], cwd=tmp,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         text=True)
    wait_for(lambda: len(outputs(out)[0]) >= 20 or p.poll() is not None, 30)
    # Workers may create a temporary file between two passes of rmtree.
    gone = wait_for(lambda: shutil.rmtree(out, ignore_errors=True) or
                    not os.path.exists(out), 10)
    try:
        stdout, stderr = p.communicate(timeout=120)
    except subprocess.TimeoutExpired:
        p.kill()
        stdout, stderr = p.communicate()
        tap.check(False, "output folder removed mid-run: the run ends")
        return
    tap.check(gone, "the output folder could be removed mid-run")
    tap.eq(p.returncode, 1, "output folder removed mid-run: exit 1 (no "
           "crash, no hang)", stderr[-2000:])
    lines = log_lines(tmp)
    errors = {}
    for m in map(LOG_LINE.match, lines):
        if m and m.group(2) == "ERROR":
            what = re.match(r"Error processing pictures/(\S+): (.*)",
                            m.group(3))
            errors.setdefault(what.group(1), []).append(what.group(2))
    processed = processed_lines(lines)
    tap.check(all(len(e) == 1 for e in errors.values()),
              "output folder removed mid-run: at most one error per picture")
    tap.eq(sorted(set(errors) | set(processed)), names,
           "output folder removed mid-run: every picture processed or "
           "reported")
    written_then_lost = [n for n in processed if n in errors]
    tap.check(written_then_lost, "pictures written before the removal are "
              "reported lost (%d)" % len(written_then_lost))
    reasons = [e[0] for e in errors.values()]
    tap.check(all("removed during the run" in e for e in reasons),
              "output folder removed mid-run: each reason says so",
              "\n".join(sorted(set(reasons))))
    tap.check(not os.path.exists(out) or outputs(out)[0] == [],
              "the removed folder is not recreated behind the user's back")
    m = re.search(r"Processed: (\d+), failed: (\d+)", stdout)
    tap.check(m and int(m.group(1)) == 0 and int(m.group(2)) == len(names),
              "the summary counts no picture done: none is left in the "
              "output folder", stdout[:300])

    # The rerun recreates the folder and does them all.
    r = subprocess.run([EXE, "--jobs", "2", "--skip-existing", "--quiet"],
                       cwd=tmp, capture_output=True, text=True, timeout=120)
    tap.eq(r.returncode, 0, "the rerun: exit 0", r.stderr[-2000:])
    tap.eq(outputs(out)[0], names, "the rerun writes every picture")


GROUPS = {
    "kill": group_kill,
    "readonly": group_readonly,
    "vanish": group_vanish,
}


if __name__ == "__main__":
    main(GROUPS, "faults")
