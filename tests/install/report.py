"""The ending the install checks share: every problem on stderr and exit
status 1, or the one-line summary and 0."""
import sys


def report(problems, summary, prefix=""):
    for p in problems:
        print(f"{prefix}{p}", file=sys.stderr)
    if problems:
        return 1
    print(summary)
    return 0
