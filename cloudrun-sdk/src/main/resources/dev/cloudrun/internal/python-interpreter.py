# CloudRun's stateful Python driver (dev.cloudrun.internal.StatefulInterpreter): runs the cells the
# host sends, framed on stdin, one after another in one __main__ namespace, and marks the end of each
# cell on stdout and on stderr with a marker that carries the host's per-interpreter nonce.
#
# From the host, on fd 0: "<nonce>\n", then per cell "<seq> <length>\n" and <length> bytes of UTF-8.
# To the host: after each cell (and once with seq 0 when ready) "\0cloudrun-<nonce>|<seq> 0\n" on
# stderr, then "\0cloudrun-<nonce>|<seq> <n>\n" and an n-byte JSON report on stdout. User code can
# forge a marker; that only confuses the results of its own interpreter.


def _cloudrun_driver():
    import ast
    import builtins
    import json
    import linecache
    import os
    import sys
    import traceback
    import types

    driver_file = sys._getframe().f_code.co_filename
    max_repr = 64 * 1024
    # Frames come on a private copy of fd 0; user code reads /dev/null there, so input() gets EOF.
    frames = os.dup(0)
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.close(devnull)
    # Markers go to private copies of fd 1 and 2: the same pipes, so they follow what the cell wrote,
    # even if the cell closed or redirected its own fds.
    out = os.dup(1)
    err = os.dup(2)
    pending = bytearray()

    def read_line():
        while b"\n" not in pending:
            if len(pending) > 64:
                os._exit(70)
            chunk = os.read(frames, 65536)
            if not chunk:
                os._exit(0)
            pending.extend(chunk)
        end = pending.index(b"\n")
        line = bytes(pending[:end])
        del pending[:end + 1]
        return line

    def read_exact(length):
        while len(pending) < length:
            chunk = os.read(frames, max(65536, length - len(pending)))
            if not chunk:
                os._exit(0)
            pending.extend(chunk)
        data = bytes(pending[:length])
        del pending[:length]
        return data

    def write_all(fd, data):
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view):]

    nonce = read_line()
    prefix = b"\0cloudrun-" + nonce + b"|"
    driver_pid = os.getpid()

    def flush_streams():
        for stream in (sys.stdout, sys.stderr, sys.__stdout__, sys.__stderr__):
            try:
                stream.flush()
            except Exception:
                pass

    def mark(seq, report):
        flush_streams()
        body = json.dumps(report).encode("utf-8")
        try:
            write_all(err, prefix + b"%d 0\n" % seq)
            write_all(out, prefix + b"%d %d\n" % (seq, len(body)) + body)
        except OSError:
            os._exit(71)

    def user_traceback(error):
        tb = error.__traceback__
        while tb is not None and tb.tb_frame.f_code.co_filename == driver_file:
            tb = tb.tb_next
        return tb

    def print_error(error, tb):
        try:
            traceback.print_exception(type(error), error, tb, file=sys.stderr)
        except Exception:
            text = "".join(traceback.format_exception(type(error), error, tb))
            write_all(err, text.encode("utf-8", "replace"))

    def short_repr(value):
        try:
            text = repr(value)
        except BaseException as error:
            text = "<repr failed: %s: %s>" % (type(error).__name__, error)
        return text if len(text) <= max_repr else text[:max_repr] + "..."

    main = types.ModuleType("__main__")
    main.__dict__["__builtins__"] = builtins
    namespace = main.__dict__
    sys.modules["__main__"] = main
    sys.argv = [""]

    def run_cell(seq, code):
        filename = "<cell %d>" % seq
        linecache.cache[filename] = (len(code), None, code.splitlines(True), filename)
        try:
            tree = ast.parse(code, filename, "exec")
        except (SyntaxError, ValueError) as error:
            print_error(error, None)
            return {"status": "error", "error": type(error).__name__}
        last = None
        if tree.body and isinstance(tree.body[-1], ast.Expr):
            last = ast.Expression(tree.body.pop().value)
        try:
            exec(compile(tree, filename, "exec"), namespace)
            value = eval(compile(last, filename, "eval"), namespace) if last is not None else None
        except SystemExit as error:
            code = error.code
            if code is None or code == 0:
                return {"status": "ok", "exitCode": 0}
            if not isinstance(code, int):
                print(code, file=sys.stderr)
                code = 1
            return {"status": "exit", "exitCode": code}
        except BaseException as error:
            print_error(error, user_traceback(error))
            return {"status": "error", "error": type(error).__name__}
        if value is None:
            return {"status": "ok"}
        namespace["_"] = value
        return {"status": "ok", "value": short_repr(value)}

    mark(0, {"status": "ready"})
    while True:
        header = read_line().split(b" ")
        seq, length = int(header[0]), int(header[1])
        code = read_exact(length).decode("utf-8", "replace")
        report = run_cell(seq, code)
        if os.getpid() != driver_pid:
            # A process the cell forked came back here: only the interpreter itself reports.
            os._exit(0)
        mark(seq, report)


_cloudrun_driver()
