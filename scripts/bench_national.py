#!/usr/bin/env python3
"""The yardsticks of scripts/bench-national, each timed by the script as a whole process
(start-up included), and the medians table it prints.

    bench_national.py duckdb SCORES.csv OUT.csv
        DuckDB reads the long score file (unit,criterion,value) and writes every unit's sum of
        the values that read as numbers, and its count of values, to OUT.csv: the least a
        computation from the file must do (read every row, parse, group by unit).
    bench_national.py sqlite SCORES.csv DB PERIOD
        Python's sqlite3 loads the same rows into a fresh table with chiso's primary key
        (period, unit, node), with executemany in one transaction.
    bench_national.py table RESULTS.tsv
        prints the table of figures and ratios from the measurements (one line each:
        name, seconds, KiB, yardstick name).
"""

import csv
import sqlite3
import statistics
import sys


def duckdb_sum(scores, out):
    import duckdb  # installed by scripts/bench-national into a virtual environment

    source = scores.replace("'", "''")
    target = out.replace("'", "''")
    duckdb.connect().execute(
        f"""
        COPY (
            SELECT unit, sum(TRY_CAST(replace(value, ',', '.') AS DOUBLE)) AS total,
                   count(*) AS "values"
            FROM read_csv('{source}', header = true, all_varchar = true)
            GROUP BY unit
            ORDER BY unit
        ) TO '{target}' (HEADER, DELIMITER ',')
        """
    )


def sqlite_load(scores, db, period):
    con = sqlite3.connect(db)
    con.execute("PRAGMA journal_mode = WAL")
    con.execute("PRAGMA synchronous = NORMAL")
    con.execute(
        "CREATE TABLE scores (period TEXT NOT NULL, unit TEXT NOT NULL, node TEXT NOT NULL, "
        "input TEXT, PRIMARY KEY (period, unit, node))"
    )
    with open(scores, encoding="utf-8", newline="") as f:
        rows = csv.reader(f)
        next(rows)
        with con:
            con.executemany(
                "INSERT INTO scores VALUES (?, ?, ?, ?)",
                ((period, r[0], r[1], r[2]) for r in rows),
            )
    con.close()


def table(path):
    runs = {}
    order = []
    for line in open(path, encoding="utf-8"):
        name, secs, kib, yardstick = line.rstrip("\n").split("\t")
        if name not in runs:
            runs[name] = {"secs": [], "kib": [], "yardstick": yardstick}
            order.append(name)
        runs[name]["secs"].append(float(secs))
        runs[name]["kib"].append(int(kib))
    median = {n: statistics.median(r["secs"]) for n, r in runs.items()}
    print(f"{'measure':<46} {'median s':>9} {'peak MiB':>9} {'runs':>5} {'ratio':>8}  yardstick")
    for n in order:
        r = runs[n]
        peak = max(r["kib"]) / 1024
        y = r["yardstick"]
        ratio = f"{median[n] / median[y]:7.2f}x" if y in median and median[y] > 0 else ""
        shown_y = y if y != "-" else ""
        print(f"{n:<46} {median[n]:9.3f} {peak:9.1f} {len(r['secs']):5d} {ratio:>8}  {shown_y}")


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "duckdb":
        duckdb_sum(sys.argv[2], sys.argv[3])
    elif len(sys.argv) == 5 and sys.argv[1] == "sqlite":
        sqlite_load(sys.argv[2], sys.argv[3], sys.argv[4])
    elif len(sys.argv) == 3 and sys.argv[1] == "table":
        table(sys.argv[2])
    else:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
