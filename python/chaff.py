"""chaff — remove page chrome from scraped page text, from Python.

A ctypes binding over libchaff: no build step beyond ``make``, no
dependency beyond the standard library.

    import chaff
    text = chaff.clean(page, url="https://example.com/a")

    cleaner = chaff.Cleaner(rules=["site.rules"], lang="en")
    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        out = list(pool.map(cleaner.clean, pages))

Which library.  $CHAFF_LIB when set; else the checkout's build/libchaff.so
when this file sits in a checkout that was built (python/ beside build/);
else the installed libchaff.so.0.  The default rules are $CHAFF_RULES when
set; else, for a library in a checkout's build folder, the checkout's
rules/ with the rules.db make built beside the library (as the command
finds them beside its executable); else the installed folder
(chaff_default_rules_path()).

Threads.  A Cleaner loads its rules once into a chaff_rules handle, which
the library never changes after loading (chaff.h: "immutable: any number
of threads may share it").  Each clean() call makes its own options struct
and its own filter inside chaff_clean_buf(), so calls share nothing but
that read-only handle; ctypes releases the GIL for the call, so threads
clean in parallel.  close() waits for calls in progress before freeing the
handle, and a call after close() raises.

Errors raise ChaffError, whose ``status`` is the library's chaff_status
number and whose message is the library's (for rules, file:line:col).
"""

import ctypes
import ctypes.util
import os
import threading

__all__ = ["clean", "Cleaner", "ChaffError", "library_path", "version"]

_HERE = os.path.dirname(os.path.abspath(__file__))
_TOP = os.path.dirname(_HERE)

# chaff_status numbers (chaff.h; never renumbered).
E_INVAL = 6
_NO_HEURISTICS = 0x2
_KEEP_COMMENTS = 0x20


class ChaffError(Exception):
    """A libchaff call failed: status is its chaff_status number."""

    def __init__(self, status, message):
        super().__init__(message)
        self.status = status


_WARN_FN = ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.c_char_p)


class _Options(ctypes.Structure):
    # chaff_options as of CHAFF_OPTIONS_SIZE_MIN; passed with its size, so a
    # newer library that grew the struct fills the rest with its defaults.
    # Keep in sync with chaff.h (fields are only ever appended there).
    _fields_ = [
        ("framing", ctypes.c_int),
        ("field", ctypes.c_char_p),
        ("url_field", ctypes.c_char_p),
        ("url", ctypes.c_char_p),
        ("from_", ctypes.c_char_p),
        ("lang", ctypes.c_char_p),
        ("max_doc", ctypes.c_size_t),
        ("jobs", ctypes.c_uint),
        ("flags", ctypes.c_uint),
        ("budget", ctypes.c_double),
        ("warn", _WARN_FN),
        ("warn_ud", ctypes.c_void_p),
        ("model", ctypes.c_char_p),
    ]


class _Error(ctypes.Structure):
    _fields_ = [
        ("file", ctypes.c_char * 512),
        ("line", ctypes.c_uint),
        ("col", ctypes.c_uint),
        ("msg", ctypes.c_char * 256),
    ]


def _beside(lib):
    """The checkout's rules/ and the rules.db make built beside lib, when lib
    is a checkout's build (build/ or build/<x>/), as the command finds them
    beside its executable; else (None, None)."""
    d = os.path.dirname(os.path.abspath(lib))
    db = os.path.join(d, "rules.db")
    for up in (os.pardir, os.path.join(os.pardir, os.pardir)):
        rules = os.path.normpath(os.path.join(d, up, "rules"))
        if os.path.exists(os.path.join(rules, "README.md")):
            return rules, db if os.path.exists(db) else None
    return None, None


def _find_library():
    """(path, shipped rules folder or None, its database or None)."""
    env = os.environ.get("CHAFF_LIB")
    if env:
        return (env,) + _beside(env)
    built = os.path.join(_TOP, "build", "libchaff.so")
    if os.path.exists(built):
        return (built,) + _beside(built)
    return ctypes.util.find_library("chaff") or "libchaff.so.0", None, None


library_path, _SHIPPED, _SHIPPED_DB = _find_library()
_lib = ctypes.CDLL(library_path)

_lib.chaff_version.restype = ctypes.c_char_p
_lib.chaff_version.argtypes = []
_lib.chaff_strerror.restype = ctypes.c_char_p
_lib.chaff_strerror.argtypes = [ctypes.c_int]
_lib.chaff_options_size.restype = ctypes.c_size_t
_lib.chaff_options_size.argtypes = []
_lib.chaff_options_init_sized.restype = ctypes.c_int
_lib.chaff_options_init_sized.argtypes = [ctypes.POINTER(_Options), ctypes.c_size_t]
_lib.chaff_default_rules_path.restype = ctypes.c_char_p
_lib.chaff_default_rules_path.argtypes = []
_lib.chaff_rules_open_default.restype = ctypes.c_int
_lib.chaff_rules_open_default.argtypes = [
    ctypes.POINTER(ctypes.c_void_p), ctypes.c_char_p, ctypes.c_char_p,
    ctypes.POINTER(ctypes.c_char_p), ctypes.c_size_t, ctypes.POINTER(_Error)]
_lib.chaff_rules_free.restype = None
_lib.chaff_rules_free.argtypes = [ctypes.c_void_p]
_lib.chaff_rules_count.restype = ctypes.c_size_t
_lib.chaff_rules_count.argtypes = [ctypes.c_void_p]
_lib.chaff_clean_buf.restype = ctypes.c_int
_lib.chaff_clean_buf.argtypes = [
    ctypes.c_void_p, ctypes.POINTER(_Options), ctypes.c_size_t,
    ctypes.c_char_p, ctypes.c_size_t, ctypes.c_char_p,
    ctypes.POINTER(ctypes.c_void_p), ctypes.POINTER(ctypes.c_size_t)]
_lib.chaff_free.restype = None
_lib.chaff_free.argtypes = [ctypes.c_void_p]


def version():
    """The library's version string, e.g. "0.1.0"."""
    return _lib.chaff_version().decode()


def _enc(s):
    return None if s is None else os.fsencode(s) if isinstance(s, os.PathLike) else (
        s if isinstance(s, bytes) else s.encode())


class Cleaner:
    """Rules loaded once, then clean() from any number of threads.

    rules: extra rule files or folders (like ``chaff -R``); default_rules:
    load the shipped rules too (like the command without
    --no-default-rules); rules_folder: the shipped folder to use instead
    of the default one.  lang ("en" or "en,zh"), heuristics and
    keep_comments set the defaults of every clean() call.
    """

    def __init__(self, rules=None, default_rules=True, rules_folder=None,
                 lang=None, heuristics=True, keep_comments=False):
        if isinstance(rules, (str, bytes, os.PathLike)):
            rules = [rules]
        paths = [_enc(p) for p in (rules or [])]
        if not default_rules:
            shipped, shipped_db = b"", None
        elif rules_folder is not None:
            shipped, shipped_db = _enc(rules_folder), None
        elif _SHIPPED and not os.environ.get("CHAFF_RULES"):
            shipped, shipped_db = _enc(_SHIPPED), _enc(_SHIPPED_DB)
        else:
            shipped, shipped_db = None, None  # chaff_default_rules_path()
        arr = (ctypes.c_char_p * max(len(paths), 1))(*paths)
        handle = ctypes.c_void_p()
        err = _Error()
        st = _lib.chaff_rules_open_default(ctypes.byref(handle), shipped, shipped_db,
                                           arr, len(paths), ctypes.byref(err))
        if st:
            where = err.file.decode(errors="replace")
            if err.line:
                where += ":%d:%d" % (err.line, err.col)
            msg = err.msg.decode(errors="replace") or _strerror(st)
            raise ChaffError(st, "%s: %s" % (where, msg) if where else msg)
        self._rules = handle.value
        self._lang = lang
        self._flags = (0 if heuristics else _NO_HEURISTICS) | (_KEEP_COMMENTS if keep_comments else 0)
        self._cond = threading.Condition()
        self._active = 0

    @property
    def rule_count(self):
        """Number of rules loaded."""
        with self._cond:
            return _lib.chaff_rules_count(self._rules) if self._rules else 0

    def clean(self, text, url=None, lang=None):
        """The article text of one page.

        text is a str (taken as UTF-8) or bytes (any charset, detected as
        the command does); the result is a str.  url lets site rules
        apply; lang overrides the Cleaner's language for this call.
        """
        with self._cond:
            if self._rules is None:
                raise ChaffError(E_INVAL, "cleaner is closed")
            self._active += 1
        try:
            return self._clean(text, url, lang)
        finally:
            with self._cond:
                self._active -= 1
                self._cond.notify_all()

    def _clean(self, text, url, lang):
        o = _Options()
        if _lib.chaff_options_init_sized(ctypes.byref(o), ctypes.sizeof(o)):
            raise ChaffError(E_INVAL, "libchaff does not take these options")
        if isinstance(text, str):
            doc = text.encode("utf-8", "surrogatepass")
            o.from_ = b"utf-8"
        elif isinstance(text, (bytes, bytearray, memoryview)):
            doc = bytes(text)
        else:
            raise TypeError("text must be str or bytes, not %s" % type(text).__name__)
        lang = lang if lang is not None else self._lang
        o.lang = _enc(lang)
        o.flags = self._flags
        warnings = []

        def on_warn(_ud, msg):
            warnings.append(msg.decode(errors="replace"))

        o.warn = _WARN_FN(on_warn)
        out = ctypes.c_void_p()
        n = ctypes.c_size_t()
        st = _lib.chaff_clean_buf(self._rules, ctypes.byref(o), ctypes.sizeof(o), doc, len(doc),
                                  _enc(url), ctypes.byref(out), ctypes.byref(n))
        if st:
            msg = _strerror(st)
            if st == E_INVAL and lang:
                msg += " (language %r?)" % lang
            if warnings:
                msg += ": " + "; ".join(warnings)
            raise ChaffError(st, msg)
        try:
            return ctypes.string_at(out, n.value).decode("utf-8")
        finally:
            _lib.chaff_free(out)

    def close(self):
        """Free the rules once calls in progress have returned."""
        with self._cond:
            while self._active:
                self._cond.wait()
            if self._rules is not None:
                _lib.chaff_rules_free(self._rules)
                self._rules = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __del__(self):
        if getattr(self, "_rules", None) is not None:
            _lib.chaff_rules_free(self._rules)
            self._rules = None


def _strerror(st):
    return _lib.chaff_strerror(st).decode()


_default = None
_default_lock = threading.Lock()


def clean(text, url=None, lang=None):
    """The article text of one page, with the default rules (loaded on the
    first call and kept).  See Cleaner.clean."""
    global _default
    if _default is None:
        with _default_lock:
            if _default is None:
                _default = Cleaner()
    return _default.clean(text, url=url, lang=lang)
