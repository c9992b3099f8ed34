"""A StatusNotifier host for the tray end-to-end test, and a hand on the menu.

Under Xvfb nothing shows tray icons. A Linux desktop that does (KDE, GNOME's
AppIndicator extension, waybar...) runs a StatusNotifierWatcher on the session
bus: libayatana-appindicator, which Tauri's tray uses on Linux, registers its
item there and exports the tray menu over D-Bus (com.canonical.dbusmenu), and
the desktop draws the icon and sends the clicks back. This script plays that
desktop, on the private session bus the test gives the app:

  statusnotifier.py watch                 owns org.kde.StatusNotifierWatcher,
                                          says a host is registered, and prints
                                          one JSON line per item registered:
                                          {"service": bus name, "path": object path}
  statusnotifier.py menu SERVICE PATH     the item's menu: JSON list of
                                          {"id", "label", "enabled"}
  statusnotifier.py click SERVICE PATH LABEL
                                          clicks the menu item with that label,
                                          as a tray host does on a user's click

Run by Debian's /usr/bin/python3 with python3-dbus-next (installed by
scripts/install-desktop-deps.sh); DBUS_SESSION_BUS_ADDRESS names the bus.
"""

import asyncio
import json
import sys
import time

from dbus_next import Message, MessageType, Variant
from dbus_next.aio import MessageBus
from dbus_next.constants import NameFlag, RequestNameReply

WATCHER = "org.kde.StatusNotifierWatcher"
WATCHER_PATH = "/StatusNotifierWatcher"
ITEM = "org.kde.StatusNotifierItem"
PROPERTIES = "org.freedesktop.DBus.Properties"
DBUSMENU = "com.canonical.dbusmenu"


async def watch() -> None:
    bus = await MessageBus().connect()
    items: list[str] = []

    def properties() -> dict:
        return {
            "RegisteredStatusNotifierItems": Variant("as", items),
            # What makes libayatana-appindicator export its item instead of
            # falling back to an XEmbed icon nobody shows.
            "IsStatusNotifierHostRegistered": Variant("b", True),
            "ProtocolVersion": Variant("i", 0),
        }

    def handle(msg: Message):
        if msg.message_type != MessageType.METHOD_CALL or msg.path != WATCHER_PATH:
            return None
        if msg.interface == WATCHER and msg.member == "RegisterStatusNotifierItem":
            # The argument is a bus name or, as libayatana sends it, an object
            # path on the caller's connection.
            arg = msg.body[0]
            service, path = (msg.sender, arg) if arg.startswith("/") else (arg, "/StatusNotifierItem")
            items.append(f"{service}{path}")
            print(json.dumps({"service": service, "path": path}), flush=True)
            bus.send(Message.new_signal(WATCHER_PATH, WATCHER, "StatusNotifierItemRegistered", "s", [f"{service}{path}"]))
            return Message.new_method_return(msg)
        if msg.interface == WATCHER and msg.member == "RegisterStatusNotifierHost":
            return Message.new_method_return(msg)
        if msg.interface == PROPERTIES and msg.member == "Get" and msg.body[1] in properties():
            return Message.new_method_return(msg, "v", [properties()[msg.body[1]]])
        if msg.interface == PROPERTIES and msg.member == "GetAll":
            return Message.new_method_return(msg, "a{sv}", [properties()])
        return Message.new_error(msg, "org.freedesktop.DBus.Error.UnknownMethod", f"{msg.interface}.{msg.member}")

    bus.add_message_handler(handle)
    reply = await bus.request_name(WATCHER, NameFlag.DO_NOT_QUEUE)
    if reply != RequestNameReply.PRIMARY_OWNER:
        sys.exit(f"another StatusNotifierWatcher owns {WATCHER} on this bus")
    print(json.dumps({"ready": True}), flush=True)
    await bus.wait_for_disconnect()


async def call(bus: MessageBus, service: str, path: str, interface: str, member: str, signature: str = "", body=None):
    reply = await bus.call(
        Message(destination=service, path=path, interface=interface, member=member, signature=signature, body=body or [])
    )
    if reply.message_type == MessageType.ERROR:
        sys.exit(f"{interface}.{member} on {service}{path}: {reply.error_name} {reply.body}")
    return reply.body


async def menu_items(bus: MessageBus, service: str, path: str) -> tuple[str, list[dict]]:
    """The item's menu object path and its entries, flattened."""
    menu_path = (await call(bus, service, path, PROPERTIES, "Get", "ss", [ITEM, "Menu"]))[0].value
    # A host asks before showing the menu; dbusmenu-gtk fills it on demand.
    await call(bus, service, menu_path, DBUSMENU, "AboutToShow", "i", [0])
    _revision, layout = await call(bus, service, menu_path, DBUSMENU, "GetLayout", "iias", [0, -1, []])
    entries: list[dict] = []

    def walk(node) -> None:
        item_id, props, children = node
        if "label" in props:
            entries.append(
                {
                    "id": item_id,
                    "label": props["label"].value,
                    "enabled": props["enabled"].value if "enabled" in props else True,
                }
            )
        for child in children:
            walk(child.value)

    walk(layout)
    return menu_path, entries


async def menu(service: str, path: str) -> None:
    bus = await MessageBus().connect()
    _, entries = await menu_items(bus, service, path)
    print(json.dumps(entries))


async def click(service: str, path: str, label: str) -> None:
    bus = await MessageBus().connect()
    menu_path, entries = await menu_items(bus, service, path)
    matching = [e for e in entries if e["label"] == label]
    if not matching:
        sys.exit(f"no menu item labelled {label!r}; the menu has {[e['label'] for e in entries]}")
    item = matching[0]
    await call(
        bus,
        service,
        menu_path,
        DBUSMENU,
        "Event",
        "isvu",
        [item["id"], "clicked", Variant("i", 0), int(time.time()) & 0xFFFFFFFF],
    )
    print(json.dumps(item))


def main() -> None:
    match sys.argv[1:]:
        case ["watch"]:
            asyncio.run(watch())
        case ["menu", service, path]:
            asyncio.run(menu(service, path))
        case ["click", service, path, label]:
            asyncio.run(click(service, path, label))
        case _:
            sys.exit(__doc__)


if __name__ == "__main__":
    main()
