#!/usr/bin/python3
"""bench/report-gen.py DB DAYS UNITS: adds DAYS of hourly settlements for
UNITS units (ten owners) straight into the home's SQLite tables, so
bench/report.sh can time terra-ledger report on a ledger as large as a
year for a thousand units. The entries are not signed or chained: the
report says the ledger does not verify, and draws everything else. No
holders are paid (the treasury takes their part): every settlement names
one empty holders snapshot, so the balances can be computed."""
import json, sqlite3, sys
from datetime import datetime, timedelta, timezone

db, days, units = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
c = sqlite3.connect(db)
t0 = datetime(2025, 1, 1, tzinfo=timezone.utc)
ids = ["%032x" % (0xabc0000 + i) for i in range(units)]
owners = ["%064x" % (0xfeed00 + i) for i in range(10)]
c.execute("INSERT OR IGNORE INTO snapshots VALUES (?, ?)", ("0" * 64, b""))
seq = c.execute("SELECT coalesce(max(seq), 0) FROM entries").fetchone()[0]
fmt = "%Y-%m-%dT%H:%M:%S.000000Z"
for h in range(days * 24):
    s, e = t0 + timedelta(hours=h), t0 + timedelta(hours=h + 1)
    period = s.strftime(fmt) + "/" + e.strftime(fmt)
    rev = 1000 * units
    post = [{"account": "revenue", "amount": "-%d.000000000" % rev, "role": "source"}]
    post += [{"account": o, "amount": "%d.000000000" % (rev * 7 // 100), "role": "contributor"}
             for o in owners]
    post += [{"account": "treasury", "amount": "%d.000000000" % (rev * 3 // 10),
              "role": "treasury"}]
    p = {"period": period, "revenue": "%d.000000000" % rev, "carry_in": "0.000000000",
         "carry_out": "0.000000000", "pool": "%d.000000000" % rev, "postings": post,
         "policy": {"contributors": 7000, "holders": 0, "treasury": 3000},
         "inputs": {"holders": "0" * 64}}
    seq += 1
    c.execute("INSERT INTO entries VALUES (?, 'settlement', ?, ?, ?, ?)",
              (seq, json.dumps(p, sort_keys=True, separators=(",", ":")), b"\0" * 32,
               b"\0" * 32, e.strftime(fmt)))
    c.execute("INSERT INTO settlements VALUES (?, ?, ?)", (period, "0" * 64, seq))
    c.executemany("INSERT INTO settlement_inputs VALUES (?, 'unit', ?, ?, ?)",
                  [(period, u, owners[i % 10], 10**12 + i * 1000 + h)
                   for i, u in enumerate(ids)])
c.commit()
# closed, so SQLite checkpoints its write-ahead log (1.7 GB for a year) here,
# not in the first terra-ledger report timed after
c.close()
