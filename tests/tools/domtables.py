#!/usr/bin/python3
"""domtables.py: the tables of an HTML page (chromium --dump-dom output) as
JSON lines {"table": ID, "row": [cells...]}, one per body row; and one
line {"canvas": ID, "drawn": bool} per canvas (Chart.js sets its size).
usage: domtables.py FILE"""
import json
import sys
from html.parser import HTMLParser


class P(HTMLParser):
    def __init__(self):
        super().__init__()
        self.table = None
        self.row = None
        self.cell = None
        self.in_body = False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "table":
            self.table = a.get("id")
        elif tag == "tbody":
            self.in_body = True
        elif tag == "tr" and self.in_body:
            self.row = []
        elif tag == "td" and self.row is not None:
            self.cell = ""
        elif tag == "canvas":
            print(json.dumps({"canvas": a.get("id"), "drawn": "height" in a}))

    def handle_endtag(self, tag):
        if tag == "td" and self.cell is not None:
            self.row.append(self.cell)
            self.cell = None
        elif tag == "tr" and self.row is not None:
            print(json.dumps({"table": self.table, "row": self.row}))
            self.row = None
        elif tag == "tbody":
            self.in_body = False

    def handle_data(self, data):
        if self.cell is not None:
            self.cell += data


P().feed(open(sys.argv[1], encoding="utf-8").read())
