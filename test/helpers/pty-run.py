"""Runs a command in a pseudo-terminal for tests (Python standard library only: pty, select, termios).

usage: python3 pty-run.py COLS ROWS command [args...]

The child's terminal output is copied to this process's stdout as it comes; bytes written to this process's stdin are
typed into the terminal, except a line b"\\0resize COLS ROWS\\n", which resizes the terminal (the kernel sends the
child SIGWINCH). When the child exits, "PTY-EXIT <code>" is written to stderr and this process exits with the code.
"""
import fcntl
import os
import pty
import select
import struct
import sys
import termios


def set_size(fd, cols, rows):
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))


def main():
    cols, rows, argv = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3:]
    pid, fd = pty.fork()
    if pid == 0:
        set_size(0, cols, rows)
        os.execvp(argv[0], argv)
    stdin = sys.stdin.fileno()
    stdout = sys.stdout.fileno()
    watch = [fd, stdin]
    while True:
        ready, _, _ = select.select(watch, [], [])
        if fd in ready:
            try:
                data = os.read(fd, 65536)
            except OSError:
                break
            if not data:
                break
            os.write(stdout, data)
        if stdin in ready:
            data = os.read(stdin, 4096)
            if not data:
                watch = [fd]
                continue
            if data.startswith(b"\0resize "):
                c, r = data[8:].split()[:2]
                set_size(fd, int(c), int(r))
            else:
                os.write(fd, data)
    _, status = os.waitpid(pid, 0)
    code = os.waitstatus_to_exitcode(status)
    sys.stderr.write("PTY-EXIT %d\n" % code)
    sys.exit(code if code >= 0 else 128 - code)


main()
