#!/usr/bin/env python3
"""Clicks on the preview page's picture in headless Chromium, as a person would, and says what the
page then shows.

    chromium_click.py URL FX FY SCREENSHOT [WIDTHxHEIGHT]

Opens URL, waits for the first picture of the stream, clicks (mouse down and up, over the DevTools
protocol) at FX, FY of the picture's width and height, waits for the page to draw the chosen
person's outline, saves a screenshot, and prints one JSON line: the click in the picture's own
pixels and the outline's box in page pixels (null if none appeared).
"""
import base64
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request

import websocket


class Page:
    def __init__(self, address):
        self.socket = websocket.create_connection(address, timeout=30, suppress_origin=True)
        self.next_id = 0

    def call(self, method, **params):
        self.next_id += 1
        self.socket.send(json.dumps({"id": self.next_id, "method": method, "params": params}))
        while True:
            message = json.loads(self.socket.recv())
            if message.get("id") == self.next_id:
                if "error" in message:
                    sys.exit(f"chromium_click: {method}: {message['error']}")
                return message.get("result", {})

    def evaluate(self, expression):
        return self.call("Runtime.evaluate", expression=expression, returnByValue=True)["result"].get("value")

    def wait_for(self, expression, seconds):
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            value = self.evaluate(expression)
            if value:
                return value
            time.sleep(0.2)
        return None


def main():
    url, fx, fy, screenshot = sys.argv[1], float(sys.argv[2]), float(sys.argv[3]), sys.argv[4]
    window = sys.argv[5].replace("x", ",") if len(sys.argv) > 5 else "1000,560"
    profile = tempfile.mkdtemp(prefix="chromium-click-")
    browser = subprocess.Popen(
        ["/usr/bin/chromium", "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", f"--user-data-dir={profile}",
         f"--window-size={window}", "--remote-debugging-port=0", "--remote-allow-origins=*", "about:blank"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        port_file = os.path.join(profile, "DevToolsActivePort")
        deadline = time.monotonic() + 60
        while not (os.path.exists(port_file) and open(port_file).read().strip()):
            if time.monotonic() > deadline:
                sys.exit("chromium_click: Chromium did not open its DevTools port")
            time.sleep(0.1)
        port = open(port_file).read().split()[0]
        targets = json.load(urllib.request.urlopen(f"http://127.0.0.1:{port}/json"))
        page = Page(next(t for t in targets if t["type"] == "page")["webSocketDebuggerUrl"])
        page.call("Page.enable")
        page.call("Page.navigate", url=url)
        picture = page.wait_for("""(() => { const p = document.getElementById("picture");
            if (!p || !p.naturalWidth) return null; const r = p.getBoundingClientRect();
            return {left: r.left, top: r.top, width: r.width, height: r.height, natural: [p.naturalWidth, p.naturalHeight]}; })()""", 60)
        if not picture:
            sys.exit("chromium_click: the picture never arrived")
        x, y = picture["left"] + fx * picture["width"], picture["top"] + fy * picture["height"]
        for kind in ("mousePressed", "mouseReleased"):
            page.call("Input.dispatchMouseEvent", type=kind, x=x, y=y, button="left", clickCount=1)
        outline = page.wait_for("""(() => { const o = document.getElementById("outline");
            if (o.style.display !== "block") return null; const r = o.getBoundingClientRect();
            return [r.left, r.top, r.width, r.height]; })()""", 20)
        # The pictures run a little behind the figures: let the click show in them too.
        time.sleep(2)
        with open(screenshot, "wb") as file:
            file.write(base64.b64decode(page.call("Page.captureScreenshot", format="png")["data"]))
        print(json.dumps({"clicked": [round(fx * picture["natural"][0]), round(fy * picture["natural"][1])], "picture": picture,
                          "outline": outline}))
    finally:
        browser.kill()
        browser.wait()
        shutil.rmtree(profile, ignore_errors=True)


if __name__ == "__main__":
    main()
