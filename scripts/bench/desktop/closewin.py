"""Ask an X11 top-level window to close, as a window manager's close button
does (a WM_DELETE_WINDOW message), so the app runs its own close handling:
Switchboard hides to the tray. Usage: closewin.py TITLE"""
import sys

from Xlib import X, display, protocol

d = display.Display()
delete = d.intern_atom("WM_DELETE_WINDOW")
protocols = d.intern_atom("WM_PROTOCOLS")


def find(w, title):
    try:
        if w.get_wm_name() == title:
            return w
        for c in w.query_tree().children:
            found = find(c, title)
            if found:
                return found
    except Exception:
        pass
    return None


win = find(d.screen().root, sys.argv[1])
if not win:
    sys.exit("no window titled %r" % sys.argv[1])
ev = protocol.event.ClientMessage(window=win, client_type=protocols, data=(32, [delete, X.CurrentTime, 0, 0, 0]))
win.send_event(ev, event_mask=X.NoEventMask)
d.flush()
