#!/usr/bin/env python3
"""ptyrun.py ROWS COLS CMD [ARG...] - run CMD on a fresh pty of the given size.

The docker CLI's -t mode needs a terminal.  script(1) fed from /dev/null
forwards an EOF into the pty and can lose it before the command starts on a
loaded machine; this harness keeps the pty's input open and silent instead.
CMD's terminal output goes to stdout; the exit status is CMD's (128+N when
killed by signal N).
"""
import fcntl, os, pty, struct, sys, termios

def main():
    if len(sys.argv) < 4:
        sys.stderr.write(__doc__)
        return 2
    rows, cols, argv = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3:]
    pid, fd = pty.fork()
    if pid == 0:
        fcntl.ioctl(0, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
        try:
            os.execvp(argv[0], argv)
        finally:
            os._exit(127)
    out = sys.stdout.buffer
    while True:
        try:
            data = os.read(fd, 65536)
        except OSError:          # EIO: the child side closed
            break
        if not data:
            break
        out.write(data)
        out.flush()
    _, status = os.waitpid(pid, 0)
    if os.WIFSIGNALED(status):
        return 128 + os.WTERMSIG(status)
    return os.WEXITSTATUS(status)

if __name__ == "__main__":
    sys.exit(main())
