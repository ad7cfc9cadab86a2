"""Replay of a whole run whose inputs have not changed, before click or anything else is imported.

A run of the command line is recorded when it can be replayed faithfully: standard output and error are not
terminals, nothing was written outside the caches, no process or network connection was started and the run
ended with an exit code. The record holds everything the run printed, its exit code, and every input it
consulted, as observed while it ran (not as declared by the code that consulted them):

- each file opened for reading: its kind, size, times and inode, and the digest of its content;
- each directory listed: its entries and their kinds;
- each status asked of a path (`os.stat`, `os.lstat`: whether it exists, is a file or a directory, its
  size) and each symbolic link read.

Opens and listings are seen through an audit hook (`sys.addaudithook`), status checks by wrapping `os.stat`,
`os.lstat` and `os.readlink` for the duration of the run; forked workers send theirs back through a file.
Reads of the installed code, of the interpreter's files and of the caches themselves are not inputs: the
record's key holds the code's fingerprint, the interpreter and the mtimes of the import path's directories
(anything installed or removed changes them), and the caches only ever hold what a run would compute.

The key also holds the arguments, the working directory, the environment, how standard output and error
are set up and the date. A later run with the same key checks every recorded input; if all are as recorded it
prints the recorded output and exits with the recorded code, without importing the rest of iac-exposure. If
anything differs the run is done in full, exactly as without this file. A file is trusted on its status
alone (size, modification and change times, inode) only when its change time was well before the record was
made, as git trusts its index: a later write always moves the change time. Otherwise its content is hashed.
"""

from __future__ import annotations

import marshal
import os
import stat as _stat
import struct
import sys
import time
from _thread import get_ident
from zlib import crc32

from .cache import default_root, sha256

TYPE_CHECKING = False  # typing is not imported on the way to a replay (about 5 ms)
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

_MAGIC = b"IXRUN4\n"
# a record: the magic, what the run printed on standard output, the marshalled rest (its time, inputs, exit
# code and standard error), then the lengths of the output and of the rest
_TAIL = struct.Struct("<QQI")  # and the CRC-32 of the output and the rest
_HEAD = struct.Struct("<Q")  # the length of each observation a worker reports
MAX_BYTES = 128 * 1024 * 1024  # stored runs beyond this are evicted, least recently used first
_SETTLED = 2_000_000_000  # a file changed more than 2 s before the record was made is trusted on its status
_VOLATILE_ENV = frozenset({"_", "OLDPWD"})  # set by shells, never read by iac-exposure
_MUTATING = frozenset(
    {"os.remove", "os.rename", "os.rmdir", "os.mkdir", "os.chmod", "os.chown", "os.utime", "os.truncate",
     "os.symlink", "os.link", "shutil.rmtree", "shutil.move", "shutil.copyfile", "shutil.copytree"}
)  # fmt: skip
_FOREIGN = ("socket.", "subprocess.", "os.system", "os.exec", "os.posix_spawn", "os.spawn", "urllib.")
# where the dir_fd argument of a mutating event is: a path relative to a directory descriptor is part of an
# operation already seen by its own event (shutil.rmtree's removals of what it lists)
_DIR_FD = {"os.remove": 1, "os.rmdir": 1, "os.mkdir": 2, "os.chmod": 2, "os.chown": 3, "os.utime": 3, "os.rename": 2,
           "os.symlink": 2, "os.link": 2}  # fmt: skip
_WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_APPEND | os.O_CREAT | os.O_TRUNC
_TMPFILE = getattr(os, "O_TMPFILE", 0)  # an anonymous file: its "path" is the directory it is made in
_real_stat, _real_readlink = os.stat, os.readlink  # the recorder's own checks are not observed


def _cache_root(argv: list[str]) -> str | None:
    """Where this run's caches are, as far as can be told before the arguments are parsed; None: --no-cache.
    (A configuration file may put them elsewhere or switch them off: such a run is not recorded.)"""
    root = None
    for index, arg in enumerate(argv):
        if arg == "--":
            break
        if arg == "--no-cache":
            return None
        if arg == "--cache-dir" and index + 1 < len(argv):
            root = argv[index + 1]
        elif arg.startswith("--cache-dir="):
            root = arg.partition("=")[2]
    return os.path.abspath(default_root() if root is None else root)


_fingerprint: str | None = None


def code_fingerprint() -> str:
    """The tool's code as it is installed: its version and every module's size and modification time, so an
    edited checkout never reuses what an older version of a check produced."""
    global _fingerprint
    if _fingerprint is None:
        from . import __version__

        package = os.path.dirname(os.path.abspath(__file__))
        parts = [__version__, sys.version, sys.byteorder]
        for directory, dirnames, filenames in os.walk(package):
            dirnames[:] = sorted(d for d in dirnames if d != "__pycache__")
            for name in sorted(filenames):  # its modules and any data beside them
                path = os.path.join(directory, name)
                info = os.stat(path)
                parts.append(f"{os.path.relpath(path, package)}:{info.st_size}:{info.st_mtime_ns}")
        _fingerprint = sha256("\n".join(parts).encode()).hexdigest()
    return _fingerprint


def _stream(stream: Any) -> tuple[Any, ...] | None:
    """How a standard stream is set up, or None when it is a terminal (or missing): not recorded then."""
    try:
        if stream is None or stream.isatty() or not hasattr(stream.buffer, "write"):
            return None
        return (stream.encoding, stream.errors, stream.line_buffering)
    except (AttributeError, ValueError, OSError):
        return None


def _key(argv: list[str]) -> str | None:
    out, err = _stream(sys.stdout), _stream(sys.stderr)
    if out is None or err is None:
        return None
    imports: list[tuple[str, int | None]] = []
    for entry in sys.path:
        try:
            imports.append((entry, os.stat(entry or ".").st_mtime_ns))
        except OSError:
            imports.append((entry, None))
    env = sorted((k, v) for k, v in os.environ.items() if k not in _VOLATILE_ENV)
    parts = (
        _MAGIC, code_fingerprint(), sys.executable, sys.version, imports, argv, os.getcwd(), env, out, err,
        time.strftime("%Y-%m-%d"), sys.flags.utf8_mode, _identity(),
    )  # fmt: skip
    return sha256(repr(parts).encode("utf-8", "surrogatepass")).hexdigest()


def _identity() -> tuple[int, ...]:
    """Who runs: another user may not be able to read what this one could."""
    if not hasattr(os, "geteuid"):
        return ()
    return (os.geteuid(), os.getegid(), *sorted(os.getgroups()))


def _entry(root: str, key: str) -> str:
    return os.path.join(root, "runs", key[:2], key[2:])


# --- replaying ------------------------------------------------------------------------------------------------


def main(argv: list[str], run: Callable[[], Any]) -> None:
    """Replay the recorded run of `argv` when every input it consulted is unchanged; else `run` it (the
    command line, which exits), recording it when it can be replayed."""
    root = _cache_root(argv)
    key = _key(argv) if root is not None else None
    if root is None or key is None:
        run()
        return
    code = _replayed(root, key)
    if code is not None:
        sys.exit(code)
    _recorded(root, key, run)


def _replayed(root: str, key: str) -> int | None:
    """Print the run recorded under `key` and give its exit code, when every input it consulted is
    unchanged; None otherwise (nothing printed)."""
    try:
        path = _entry(root, key)
        fh = open(path, "rb")  # noqa: SIM115 - closed below; printing must not fall into this except
    except Exception:  # noqa: BLE001 - not recorded: run in full
        return None
    with fh:
        try:
            if fh.read(len(_MAGIC)) != _MAGIC:
                return None
            total = fh.seek(-_TAIL.size, os.SEEK_END) + _TAIL.size
            size, length, crc = _TAIL.unpack(fh.read(_TAIL.size))
            if total != len(_MAGIC) + size + length + _TAIL.size:
                return None
            fh.seek(len(_MAGIC))
            if _crc(fh, size + length) != crc:  # the output read twice: checked before any of it is printed
                return None
            fh.seek(len(_MAGIC) + size)
            made, inputs, code, err = marshal.loads(fh.read(length))
            if type(code) is not int or type(err) is not bytes:
                return None
            if not all(_still(made, item) for item in inputs):
                return None
            fh.seek(len(_MAGIC))
        except Exception:  # noqa: BLE001 - damaged, foreign or stale: run in full
            return None
        out = sys.stdout.buffer
        while size > 0 and (chunk := fh.read(min(size, 1 << 20))):
            out.write(chunk)
            size -= len(chunk)
    out.flush()
    sys.stderr.buffer.write(err)
    sys.stderr.flush()
    try:
        os.utime(path)  # recently used: evicted last
    except OSError:
        pass
    return int(code)


def _crc(fh: Any, size: int) -> int:
    crc = 0
    while size > 0 and (chunk := fh.read(min(size, 1 << 20))):
        crc = crc32(chunk, crc)
        size -= len(chunk)
    return crc


def _status(path: str, follow: bool = True) -> tuple[Any, ...]:
    """What a status check of `path` tells: its kind, and the size of a regular file."""
    try:
        info = _real_stat(path, follow_symlinks=follow)
    except FileNotFoundError:
        return ("missing",)
    except OSError as exc:
        return ("error", exc.errno)
    mode = info.st_mode
    if _stat.S_ISREG(mode):
        return ("file", info.st_size)
    return ("dir",) if _stat.S_ISDIR(mode) else ("other", _stat.S_IFMT(mode))


def _file(path: str) -> tuple[Any, ...]:
    """What opening `path` for reading depends on, short of its content."""
    try:
        info = _real_stat(path)
    except FileNotFoundError:
        return ("missing",)
    except OSError as exc:
        return ("error", exc.errno)
    if not _stat.S_ISREG(info.st_mode):
        return ("other", _stat.S_IFMT(info.st_mode))
    return ("file", info.st_size, info.st_mtime_ns, info.st_ctime_ns, info.st_ino, info.st_dev, info.st_mode)


def _listing(path: str) -> tuple[Any, ...]:
    try:
        with os.scandir(path) as entries:
            return tuple(sorted((e.name, e.is_dir(), e.is_file(), e.is_symlink()) for e in entries))
    except OSError as exc:
        return ("error", exc.errno)


def _link(path: str) -> str | None:
    try:
        return _real_readlink(path)
    except OSError:
        return None


def _content(path: str) -> str | None:
    try:
        with open(path, "rb") as fh:
            return sha256(fh.read()).hexdigest()
    except OSError:
        return None


def _still(made: int, item: tuple[Any, ...]) -> bool:
    """Whether a recorded input is as it was when the run was recorded (made: the record's time)."""
    kind, path, value = item[0], item[1], item[2]
    if kind == "open":
        now = _file(path)
        if now[0] != "file" or value[0] != "file" or now[1] != value[1]:
            return now == tuple(value)
        if now == tuple(value) and value[3] < made - _SETTLED:
            return True
        return item[3] is not None and bool(_content(path) == item[3])
    now_value: Any = _CHECKS[kind](path)
    return bool(now_value == value)


# --- recording ------------------------------------------------------------------------------------------------


class _Recorder:
    """What a run consults and changes, as it runs (in this process and in the workers it forks)."""

    def __init__(self, root: str) -> None:
        self.root = root
        self.seen: dict[tuple[str, str], Any] = {}  # (kind, absolute path) -> what it was when first used
        self.spoilt: list[str] = []  # why the run may not be replayed
        self.writes: list[str] = []  # paths changed: only the caches' and the workers' scratch are allowed
        self.made: list[str] = []  # directories the run made: those in the temporary directory are scratch
        self.busy = 0  # the thread the recorder works in: its own file operations there are not observed
        self.child: int | None = None  # in a forked worker: the file its observations go to
        self.report = ""
        self.settled: tuple[bool, str | None] | None = None
        self.forks = 0  # processes forked by the run: each reports what it observed in a file of its own
        # not inputs: the caches, the standard library's and the packages' files, named as the run may name them
        # (absolute, or relative to the working directory, which the key holds and the run never changes)
        absolute = [root, *_installed()]
        cwd = os.getcwd()
        self.roots = set(absolute) | {os.path.relpath(r, cwd) for r in absolute if _under(r, [cwd])}
        self.own = tuple(r.rstrip(os.sep) + os.sep for r in sorted(self.roots))

    def send(self, item: tuple[Any, ...]) -> None:
        """In a worker: pass an observation to the parent. A worker that cannot removes its file, so the
        parent finds one missing and does not record the run."""
        if self.child is None:
            return
        try:
            os.write(self.child, _framed(marshal.dumps(item)))
        except Exception:  # noqa: BLE001
            try:
                os.unlink(self.report)
            except OSError:
                pass

    # observing

    def note(self, kind: str, path: Any, value: Callable[[str], Any]) -> None:
        try:
            raw = os.fspath(path) if path is not None else "."
        except TypeError:
            return
        if (kind, raw) in self.seen:  # most checks repeat one made before: the quickest way out
            return
        if self.busy == get_ident():
            return
        self.busy = get_ident()
        try:
            where = _where(raw)
            if (kind, where) not in self.seen and not where.startswith(self.own) and where not in self.roots:
                now = value(where)
                self.seen[kind, where] = now
                self.send(("seen", kind, where, now))
        except Exception as exc:  # noqa: BLE001 - an input that cannot be observed spoils the record
            self.spoil(f"could not observe {kind} {path!r}: {exc}")
        finally:
            self.busy = 0

    def spoil(self, why: str) -> None:
        self.spoilt.append(why)
        self.send(("spoilt", why))

    def wrote(self, path: Any) -> None:
        if self.busy == get_ident():
            return
        try:
            where = os.path.abspath(os.fsdecode(path))
        except Exception:  # noqa: BLE001
            where = repr(path)
        if where.startswith(self.own):
            return
        self.writes.append(where)
        self.send(("wrote", where))

    def audit(self, event: str, args: tuple[Any, ...]) -> None:
        if _active is not self or self.busy == get_ident():
            return
        if event == "open":
            path, mode, flags = args
            if isinstance(path, int):
                return
            if (mode is not None and any(c in mode for c in "wax+")) or (flags & _WRITE_FLAGS):
                if path is not None and not _anonymous(path, flags):
                    self.wrote(path)
                return
            if path is not None:
                self.note("open", path, _file)
        elif event in ("os.listdir", "os.scandir"):
            path = args[0]
            if not isinstance(path, int):
                self.note("list", path, _listing)
        elif event in _MUTATING:
            at = _DIR_FD.get(event)
            if at is not None and len(args) > at and args[at] not in (None, -1):
                return
            if event == "os.mkdir" and isinstance(args[0], (str, bytes, os.PathLike)):
                made = os.path.abspath(os.fsdecode(args[0]))
                self.made.append(made)
                self.send(("made", made))
            for arg in args[:2]:
                if isinstance(arg, (str, bytes, os.PathLike)):
                    self.wrote(arg)
        elif event == "os.fork":
            if self.child is None:
                self.forks += 1
            else:
                self.spoil("a worker forked a process of its own")
        elif event.startswith(_FOREIGN):
            self.spoil(f"{event}: the run reaches outside the files it reads")

    # the end of the run

    def forked(self) -> None:
        """In a new worker: its observations go to a file the parent reads at the end."""
        self.busy = get_ident()
        try:
            folder = os.path.join(self.root, "runs", "observed")
            os.makedirs(folder, exist_ok=True)
            self.report = os.path.join(folder, f"{os.getppid()}-{os.getpid()}")
            self.child = os.open(self.report, os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
        except OSError:
            self.child = -1  # its file is missing: the parent does not record the run
        finally:
            self.busy = 0

    def clear(self) -> None:
        """Remove what workers of an earlier process with this one's id left (it died before gathering),
        and what dead runs left long ago (their workers' reports, their unfinished records)."""
        prefix, old = f"{os.getpid()}-", time.time() - 86400
        for folder, dead in (("runs/observed", prefix), ("runs", None)):
            try:
                with os.scandir(os.path.join(self.root, folder)) as entries:
                    for entry in entries:
                        if entry.is_file() and ((dead and entry.name.startswith(dead)) or entry.stat().st_mtime < old):
                            os.unlink(entry.path)
            except OSError:
                pass

    def gather(self) -> None:
        """Take in what the workers forked during the run observed."""
        folder = os.path.join(self.root, "runs", "observed")
        prefix = f"{os.getpid()}-"
        try:
            names = [n for n in os.listdir(folder) if n.startswith(prefix)]
        except OSError:
            names = []
        if len(names) != self.forks:
            self.spoilt.append(f"{self.forks - len(names)} forked process(es) did not report what they read")
        for name in names:
            path = os.path.join(folder, name)
            try:
                with open(path, "rb") as fh:
                    data = fh.read()
                os.unlink(path)
            except OSError as exc:
                self.spoilt.append(f"lost what a worker read: {exc}")
                continue
            offset = 0
            while offset + _HEAD.size <= len(data):
                (length,) = _HEAD.unpack_from(data, offset)
                if offset + _HEAD.size + length > len(data):
                    break
                item = marshal.loads(data[offset + _HEAD.size : offset + _HEAD.size + length])
                offset += _HEAD.size + length
                if item[0] == "seen":
                    self.seen.setdefault((item[1], item[2]), item[3])
                elif item[0] == "spoilt":
                    self.spoilt.append(item[1])
                elif item[0] == "made":
                    self.made.append(item[1])
                else:
                    self.writes.append(item[1])
            if offset != len(data):
                self.spoilt.append("a worker's observations are cut short")

    def inputs(self, made: int) -> list[tuple[Any, ...]] | None:
        """The inputs to record, each as it is now and was when used; None if one changed during the run or a
        path was changed outside the caches. A file's digest is kept only while its change time is recent:
        later, a check trusts its status (see _still)."""
        own = [*self.roots, *self._scratch()]
        for path in self.writes:
            if not _under(path, own):
                self.spoilt.append(f"wrote {path}")
        if self.spoilt:
            return None
        items: list[tuple[Any, ...]] = []
        for (kind, path), then in sorted(self.seen.items()):
            if _under(path, own):
                continue
            if _CHECKS[kind](path) != then:
                self.spoilt.append(f"{path} changed during the run")
                return None
            if kind == "open" and then[0] == "file":
                digest = _content(path) if then[3] >= made - _SETTLED else None
                if _file(path) != then:
                    self.spoilt.append(f"{path} changed during the run")
                    return None
                items.append((kind, path, then, digest))
            else:
                items.append((kind, path, then))
        return items

    def _scratch(self) -> list[str]:
        """The directories the run made in the temporary directory (the workers' results, see parallel.py)."""
        import tempfile

        temp = os.path.abspath(tempfile.gettempdir())
        return [d for d in self.made if os.path.dirname(d) == temp]


def _where(raw: str | bytes) -> str:
    """A path as recorded: an absolute one normalized, a relative one normalized and kept relative (shorter;
    the record's key holds the working directory), unless it leads out of the working directory."""
    path = os.fsdecode(raw)
    if os.path.isabs(path):
        return os.path.normpath(path)
    relative = os.path.normpath(path)
    if relative == os.pardir or relative.startswith(os.pardir + os.sep):
        return os.path.abspath(path)
    return relative


def _anonymous(path: Any, flags: int) -> bool:
    """Whether a write-open makes an anonymous temporary file (`tempfile.TemporaryFile`): one opened in a
    directory, with O_TMPFILE."""
    if _TMPFILE and (flags & _TMPFILE) == _TMPFILE:
        return True
    try:
        return _stat.S_ISDIR(_real_stat(path).st_mode)
    except (OSError, TypeError, ValueError):
        return False


def _lstat(path: str) -> tuple[Any, ...]:
    return _status(path, follow=False)


_CHECKS: dict[str, Callable[[str], Any]] = {
    "open": _file, "stat": _status, "lstat": _lstat, "list": _listing, "link": _link
}  # fmt: skip


def _framed(data: bytes) -> bytes:
    return _HEAD.pack(len(data)) + data


def _under(path: str, roots: list[str]) -> bool:
    return any(path == root or path.startswith(root.rstrip(os.sep) + os.sep) for root in roots)


def _installed() -> list[str]:
    """Where the standard library, the installed packages and iac-exposure itself live: not the user's inputs
    (the key holds the code's fingerprint and the import path's mtimes). Not the interpreter's prefix: a
    project may well live under /usr or /usr/local."""
    import site
    import sysconfig

    paths = sysconfig.get_paths()
    roots = {paths[k] for k in ("stdlib", "platstdlib", "purelib", "platlib") if paths.get(k)}
    roots.update(site.getsitepackages() if hasattr(site, "getsitepackages") else ())
    roots.update((site.getusersitepackages(), os.path.dirname(os.path.abspath(__file__)), "/dev", "/proc", "/sys"))
    return sorted(os.path.abspath(r) for r in roots if r)


_active: _Recorder | None = None


def unrepeatable(why: str) -> None:
    """Do not record this run: its output depends on something other than its inputs (a time limit, an
    internal error)."""
    if _active is not None:
        _active.spoil(why)


def settle(use_cache: bool, cache_dir: Any) -> None:
    """What the scan made of its configuration: a run with caching off, or caches elsewhere than the
    arguments and environment tell, is not recorded."""
    if _active is not None:
        _active.settled = (use_cache, os.path.abspath(cache_dir) if cache_dir is not None else None)


def _recorded(root: str, key: str, run: Callable[[], Any]) -> None:
    """Run `run` (the command line, which exits), recording it under `key` when it can be replayed."""
    global _active
    if sys.version_info < (3, 11):  # pathlib binds os.stat at import: its checks could not be seen
        run()
        return
    recorder = _Recorder(root)
    recorder.clear()
    try:
        spool = _Spool(root)
    except OSError:  # a cache directory that cannot be written: nothing to record into
        run()
        return
    real = (sys.stdout, sys.stderr, os.stat, os.lstat, os.readlink)
    _watch(recorder)
    _active = recorder
    code: Any = 0
    try:
        sys.stdout, sys.stderr = spool.tee(sys.stdout, "out"), spool.tee(sys.stderr, "err")
        _wrap_os(recorder, real[2:])
        try:
            run()
        except SystemExit as exc:
            code = exc.code
        except BaseException:
            recorder.spoil("the run did not end with an exit code")
            spool.discard()
            raise
    finally:
        _active = None
        os.stat, os.lstat, os.readlink = real[2:]
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except Exception:  # noqa: BLE001, S110 - the real stream's failure is the run's own business
                pass
        sys.stdout, sys.stderr = real[0], real[1]
    # the run's frames are gone with its exit: its memory is free before the record is made
    try:
        _store(recorder, spool, key, code)
    except Exception:  # noqa: BLE001, S110 - a record that cannot be made costs only the next run's speed
        pass
    finally:
        spool.discard()
    sys.exit(code)


def _store(recorder: _Recorder, spool: _Spool, key: str, code: Any) -> None:
    if code is None:
        code = 0
    if not isinstance(code, int) or spool.failed:
        return
    use_cache, where = recorder.settled or (True, None)
    if not use_cache or (where is not None and where != recorder.root):
        return
    recorder.gather()
    made = time.time_ns()
    inputs = recorder.inputs(made)
    if inputs is None:
        return
    head = marshal.dumps((made, inputs, code, spool.err.getvalue()))
    out = spool.out
    size = out.seek(0, os.SEEK_END) - len(_MAGIC)
    out.write(head + _TAIL.pack(size, len(head), crc32(head, spool.crc)))
    out.flush()
    path = _entry(recorder.root, key)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    os.replace(spool.name, path)
    spool.kept = True
    from pathlib import Path

    from .cache import evict

    evict(Path(recorder.root) / "runs", MAX_BYTES)


def _watch(recorder: _Recorder) -> None:
    """Route audit events and forks to the active recorder (a hook cannot be removed: it is added once)."""
    global _hooked
    if not _hooked:
        sys.addaudithook(lambda event, args: _active.audit(event, args) if _active is not None else None)
        if hasattr(os, "register_at_fork"):  # not on Windows, where nothing forks either
            os.register_at_fork(after_in_child=lambda: _active.forked() if _active is not None else None)
        _hooked = True


_hooked = False


def _wrap_os(recorder: _Recorder, real: tuple[Any, ...]) -> None:
    stat, lstat, readlink = real

    def watched_stat(path: Any, *args: Any, dir_fd: Any = None, follow_symlinks: bool = True) -> Any:
        if dir_fd is None and not isinstance(path, int) and _active is recorder:
            recorder.note("stat" if follow_symlinks else "lstat", path, _status if follow_symlinks else _lstat)
        return stat(path, *args, dir_fd=dir_fd, follow_symlinks=follow_symlinks)

    def watched_lstat(path: Any, *args: Any, dir_fd: Any = None) -> Any:
        if dir_fd is None and _active is recorder:
            recorder.note("lstat", path, _lstat)
        return lstat(path, *args, dir_fd=dir_fd)

    def watched_readlink(path: Any, *args: Any, dir_fd: Any = None) -> Any:
        if dir_fd is None and _active is recorder:
            recorder.note("link", path, _link)
        return readlink(path, *args, dir_fd=dir_fd)

    os.stat, os.lstat, os.readlink = watched_stat, watched_lstat, watched_readlink


class _Spool:
    """What the run prints, passed on as it is printed and kept: standard output in the file that becomes the
    record (in the cache directory: no copy at the end), standard error in memory."""

    def __init__(self, root: str) -> None:
        import io
        import tempfile

        tempfile.gettempdir()  # found before the run, not by it: finding it writes and removes a test file
        folder = os.path.join(root, "runs")
        os.makedirs(folder, exist_ok=True)
        fd, self.name = tempfile.mkstemp(dir=folder, prefix=".tmp-")
        self.out = os.fdopen(fd, "w+b")
        self.out.write(_MAGIC)
        self.err = io.BytesIO()
        self.failed = self.kept = False
        self.crc = 0  # of standard output so far

    def tee(self, stream: Any, which: str) -> Any:
        import io

        copy = self.out if which == "out" else self.err
        return io.TextIOWrapper(
            _Tee(stream.buffer, copy, self),
            encoding=stream.encoding,
            errors=stream.errors,
            line_buffering=stream.line_buffering,
            write_through=True,
        )

    def discard(self) -> None:
        self.out.close()
        if not self.kept:
            try:
                os.unlink(self.name)
            except OSError:
                pass


class _Tee:
    """A binary stream writing to the real one and to a copy."""

    def __init__(self, real: Any, copy: Any, spool: _Spool) -> None:
        self.real, self.copy, self.spool = real, copy, spool

    def write(self, data: Any) -> int:
        written = self.real.write(data)
        if written is not None and written != len(data):
            self.spool.failed = True
        try:
            self.copy.write(data)
            if self.copy is self.spool.out:
                self.spool.crc = crc32(data, self.spool.crc)
        except OSError:
            self.spool.failed = True
        return len(data) if written is None else int(written)

    def flush(self) -> None:
        self.real.flush()

    def writable(self) -> bool:
        return True

    def readable(self) -> bool:
        return False

    def seekable(self) -> bool:
        return False

    @property
    def closed(self) -> bool:
        return bool(self.real.closed)

    def close(self) -> None:
        self.flush()

    def fileno(self) -> int:
        return int(self.real.fileno())

    def isatty(self) -> bool:
        return bool(self.real.isatty())
