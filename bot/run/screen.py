"""Screen: moves a window wholly onto an X11 screen, for the Playwright Inspector.

Playwright opens its Inspector at x=1020, 600 pixels wide, whatever the screen: on a 1280-pixel
screen (Xvfb's default, many laptops) its right half, Resume button and all, is off the edge.
`WindowMover` finds the window by its title on the `DISPLAY` and moves it just inside the screen's
right edge. Best effort only: no X11 (Wayland without XWayland, macOS), no libX11, or no such
window within `LOOK_S`, and nothing happens. It talks to libX11 through ctypes (Chromium itself
needs the library), on a connection of its own, in a thread of its own, so the Inspector's pause
is never held up.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import threading
from ctypes import POINTER, byref, c_char_p, c_int, c_long, c_uint, c_ulong, c_void_p

LOOK_S = 30.0  # the Inspector is a second Chromium: it may take a while to show
POLL_S = 0.25
MARGIN = 8

_Window = c_ulong


class WindowMover:
    """Looks for a window whose title starts with `title` and moves it onto the screen, once."""

    def __init__(self, title: str) -> None:
        self.title = title.encode()
        self.moved: tuple[int, int] | None = None  # where it went, for the operator's log
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._run, name="window-mover", daemon=True)

    def start(self) -> WindowMover:
        """Start looking, unless there is no X11 display to look on."""
        if os.environ.get("DISPLAY") and _xlib() is not None:
            self._thread.start()
        return self

    def stop(self) -> None:
        """Stop looking (the window may be gone by now)."""
        self._done.set()
        if self._thread.is_alive():
            self._thread.join(timeout=5)

    def _run(self) -> None:
        xlib = _xlib()
        assert xlib is not None
        display = xlib.XOpenDisplay(None)
        if not display:
            return
        try:
            waited = 0.0
            while waited < LOOK_S and not self._done.is_set():
                if self._move(xlib, display):
                    return
                self._done.wait(POLL_S)  # until the window shows, or the pause ends
                waited += POLL_S
        finally:
            xlib.XCloseDisplay(display)

    def _move(self, xlib: ctypes.CDLL, display: int) -> bool:
        window = _find(xlib, display, xlib.XDefaultRootWindow(display), self.title, depth=2)
        if window is None:
            return False
        screen = xlib.XDefaultScreen(display)
        width, height = xlib.XDisplayWidth(display, screen), xlib.XDisplayHeight(display, screen)
        x, y, w, h = _geometry(xlib, display, window)
        new_x = min(x, max(0, width - w - MARGIN))
        new_y = min(y, max(0, height - h - MARGIN))
        if (new_x, new_y) != (x, y):
            xlib.XMoveWindow(display, window, new_x, new_y)
            xlib.XFlush(display)
        self.moved = (new_x, new_y)
        return True


def _find(xlib: ctypes.CDLL, display: int, parent: int, title: bytes, depth: int) -> int | None:
    """The child of `parent` (a top-level window, or the frame a window manager put around it) titled
    `title...`, looking `depth` levels down."""
    for child in _children(xlib, display, parent):
        if _name(xlib, display, child).startswith(title):
            return child
        if depth > 1 and _find(xlib, display, child, title, depth - 1) is not None:
            return child  # move the frame, not the window inside it
    return None


def _children(xlib: ctypes.CDLL, display: int, window: int) -> list[int]:
    root, parent, children, count = _Window(), _Window(), POINTER(_Window)(), c_uint()
    if not xlib.XQueryTree(display, window, byref(root), byref(parent), byref(children), byref(count)):
        return []
    found = [children[i] for i in range(count.value)]
    if children:
        xlib.XFree(ctypes.cast(children, c_void_p))
    return found


def _name(xlib: ctypes.CDLL, display: int, window: int) -> bytes:
    """A window's title: `_NET_WM_NAME` (UTF-8, all Chromium sets), else the old `WM_NAME`."""
    wanted = xlib.XInternAtom(display, b"_NET_WM_NAME", True)
    if wanted:
        kind, size, count, after = c_ulong(), c_int(), c_ulong(), c_ulong()
        value = POINTER(ctypes.c_ubyte)()
        found = xlib.XGetWindowProperty(display, window, wanted, 0, 1024, False, 0, byref(kind), byref(size),
                                        byref(count), byref(after), byref(value))
        if found == 0 and value:
            title = ctypes.string_at(value, count.value) if size.value == 8 else b""
            xlib.XFree(ctypes.cast(value, c_void_p))
            if title:
                return title
    name = c_char_p()
    if not xlib.XFetchName(display, window, byref(name)) or name.value is None:
        return b""
    title = name.value
    xlib.XFree(ctypes.cast(name, c_void_p))
    return title


def _geometry(xlib: ctypes.CDLL, display: int, window: int) -> tuple[int, int, int, int]:
    root, x, y, w, h, border, depth = _Window(), c_int(), c_int(), c_uint(), c_uint(), c_uint(), c_uint()
    xlib.XGetGeometry(display, window, byref(root), byref(x), byref(y), byref(w), byref(h), byref(border),
                      byref(depth))
    return x.value, y.value, w.value, h.value


_loaded: list[ctypes.CDLL | None] = []


def _xlib() -> ctypes.CDLL | None:
    """libX11 with the signatures used here, loaded once; None where there is none."""
    if not _loaded:
        path = ctypes.util.find_library("X11")
        _loaded.append(_declare(ctypes.CDLL(path)) if path else None)
    return _loaded[0]


def _declare(xlib: ctypes.CDLL) -> ctypes.CDLL:
    display, window = c_void_p, _Window
    signatures: dict[str, tuple[object, list[object]]] = {
        "XOpenDisplay": (c_void_p, [c_char_p]),
        "XCloseDisplay": (c_int, [display]),
        "XDefaultRootWindow": (window, [display]),
        "XDefaultScreen": (c_int, [display]),
        "XDisplayWidth": (c_int, [display, c_int]),
        "XDisplayHeight": (c_int, [display, c_int]),
        "XQueryTree": (c_int, [display, window, POINTER(window), POINTER(window), POINTER(POINTER(window)),
                               POINTER(c_uint)]),
        "XFetchName": (c_int, [display, window, POINTER(c_char_p)]),
        "XInternAtom": (c_ulong, [display, c_char_p, c_int]),
        "XGetWindowProperty": (c_int, [display, window, c_ulong, c_long, c_long, c_int, c_ulong, POINTER(c_ulong),
                                       POINTER(c_int), POINTER(c_ulong), POINTER(c_ulong),
                                       POINTER(POINTER(ctypes.c_ubyte))]),
        "XGetGeometry": (c_int, [display, window, POINTER(window), POINTER(c_int), POINTER(c_int),
                                 POINTER(c_uint), POINTER(c_uint), POINTER(c_uint), POINTER(c_uint)]),
        "XMoveWindow": (c_int, [display, window, c_int, c_int]),
        "XFlush": (c_int, [display]),
        "XFree": (c_int, [c_void_p]),
    }
    for name, (restype, argtypes) in signatures.items():
        function = getattr(xlib, name)
        function.restype, function.argtypes = restype, argtypes
    return xlib
