"""The app's top-level X windows, and closing one as a window manager does.

A click on a title bar's X makes the window manager send the window a
WM_PROTOCOLS client message carrying WM_DELETE_WINDOW (ICCCM 4.2.8.1); GTK
turns it into the close request Tauri reports as CloseRequested. WebDriver's
"close window" takes another road (WebKit closes the page and the app ends),
so the tray test sends that message itself. Under Xvfb there is no window
manager: top-level windows are the root window's children.

  x11_window.py list PID     JSON list of PID's top-level windows that speak
                             WM_DELETE_WINDOW (found by _NET_WM_PID):
                             {"id", "title", "mapped"}
  x11_window.py close ID     sends window ID the window manager's close request

Run by Debian's /usr/bin/python3 with python3-xlib (installed by
scripts/install-desktop-deps.sh); DISPLAY names the X server.
"""

import json
import sys

from Xlib import X, display
from Xlib.protocol import event


def windows(d: display.Display, pid: int) -> list[dict]:
    wm_pid = d.intern_atom("_NET_WM_PID")
    delete = d.intern_atom("WM_DELETE_WINDOW")
    found = []
    for window in d.screen().root.query_tree().children:
        try:
            prop = window.get_full_property(wm_pid, X.AnyPropertyType)
            if prop is None or prop.value[0] != pid or delete not in (window.get_wm_protocols() or []):
                continue
            found.append(
                {
                    "id": window.id,
                    "title": window.get_wm_name() or "",
                    "mapped": window.get_attributes().map_state == X.IsViewable,
                }
            )
        except Exception:  # Gone meanwhile: not a window of the app any more.
            continue
    return found


def close(d: display.Display, window_id: int) -> None:
    window = d.create_resource_object("window", window_id)
    message = event.ClientMessage(
        window=window,
        client_type=d.intern_atom("WM_PROTOCOLS"),
        data=(32, [d.intern_atom("WM_DELETE_WINDOW"), X.CurrentTime, 0, 0, 0]),
    )
    window.send_event(message, event_mask=X.NoEventMask)
    d.sync()


def main() -> None:
    d = display.Display()
    match sys.argv[1:]:
        case ["list", pid]:
            print(json.dumps(windows(d, int(pid))))
        case ["close", window_id]:
            close(d, int(window_id))
        case _:
            sys.exit(__doc__)


if __name__ == "__main__":
    main()
