"""Case a's floor for a Python runner that uses what relcheck uses of the standard library.

First the standard-library modules a run of relcheck imports (``dataclasses`` and the
``inspect`` it brings, ``typing``, ``subprocess``, ``re``, ``json``, ``hashlib``,
``pickle``, ``tomllib``, ``ctypes`` ...), then exactly what ``python_floor.py`` does (three
git questions, five ``sh -c true``, one small JSON record). bench.py times it in case a:
no runner written in Python that imports these can do case a faster, before it loads one
module of its own, builds a class or reads a checklist.
"""

import contextlib
import ctypes
import dataclasses
import datetime
import fnmatch
import hashlib
import heapq
import hmac
import json
import os
import pickle
import queue
import resource
import selectors
import shlex
import shutil
import signal
import subprocess
import threading
import tomllib
import traceback
import typing

# Used, so that no import above reads as idle; then case a's processes.
assert all((contextlib, ctypes, dataclasses, datetime, fnmatch, hashlib, heapq, hmac, json))
assert all((pickle, queue, resource, selectors, shlex, shutil, signal, subprocess))
assert all((threading, tomllib, traceback, typing))
floor = os.path.join(os.path.dirname(os.path.abspath(__file__)), "python_floor.py")
with open(floor, encoding="utf-8") as fh:
    exec(compile(fh.read(), floor, "exec"), {"__name__": "__main__"})
