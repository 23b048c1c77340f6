"""The argument parser every command uses: a usage mistake is one line, naming the command's help.

argparse's own `error` prints the whole usage block (a dozen lines for `train`)
and, for an unknown flag after a command, the top-level usage: the subcommand's
parser hands unknown flags up and the top-level parser complains about them.
`Parser` reports unknown flags in the parser that was given them and prints

    digitlab train: error: unrecognized arguments: --bogus (see: digitlab train --help)

with exit status 2. Sub-commands' parsers are `Parser`s too (argparse makes a
sub-parser of its parent's class).
"""

from __future__ import annotations

import argparse
import sys


class Parser(argparse.ArgumentParser):
    def parse_known_args(self, args=None, namespace=None):
        namespace, extras = super().parse_known_args(args, namespace)
        if extras:  # the deepest command given them says so, with its own --help
            self.error(f"unrecognized arguments: {' '.join(extras)}")
        return namespace, extras

    def error(self, message: str):
        line = " ".join(str(message).split())  # argparse's messages may wrap
        self.exit(2, f"{self.prog}: error: {line} (see: {self.prog} --help)\n")

    def exit(self, status: int = 0, message: str | None = None):
        if message:
            sys.stderr.write(message)
        raise SystemExit(status)
