#!/usr/bin/env python3
"""The reference side of scripts/bench-survey: the same per-unit, per-leaf mean weights that
`chiso survey points` rests on, computed by DuckDB straight from the answer CSV, and the check
that both agree.

    bench_survey_duckdb.py means DIR OUT.csv
        reads DIR/survey.json (question -> leaf of each respondent group, option weights) and
        DIR/survey_answers.csv; writes unit,leaf,mean,valid to OUT.csv; prints the query time
        and the peak resident memory of this process.
    bench_survey_duckdb.py compare CHISO_POINTS.csv DUCKDB_MEANS.csv
        compares points / max of every unit and leaf chiso scored with DuckDB's mean (to
        1e-9) and the valid answers; exits 1 on any difference.

A mean here is what chiso multiplies by the leaf's maximum when no respondent group weights
are set: the mean weight of the valid answers (an option without a weight, "không biết", is
not an answer counted).
"""

import csv
import json
import resource
import sys
import time
from decimal import Decimal


def means(directory, out):
    import duckdb  # installed by scripts/bench-survey into a virtual environment

    started = time.perf_counter()
    with open(f"{directory}/survey.json", encoding="utf-8") as f:
        definition = json.load(f)
    qmap, weights = [], []
    for g in definition["groups"]:
        for q in g["questions"]:
            leaf = q["target"].get("leaf")
            if leaf is not None:
                qmap.append((g["code"], q["code"], leaf))
        options = g.get("options") or [
            {"code": c, "weight": w}
            for c, w in [("A", "1"), ("B", "0.6"), ("C", "0.2"), ("D", "0"), ("E", None)]
        ]
        for o in options:
            w = o.get("weight")
            weights.append((g["code"], o["code"].upper(), None if w is None else float(Decimal(str(w)))))
    con = duckdb.connect()
    con.execute("CREATE TABLE qmap (grp VARCHAR, question VARCHAR, leaf VARCHAR)")
    con.executemany("INSERT INTO qmap VALUES (?, ?, ?)", qmap)
    con.execute("CREATE TABLE weights (grp VARCHAR, code VARCHAR, weight DOUBLE)")
    con.executemany("INSERT INTO weights VALUES (?, ?, ?)", weights)
    answers = f"{directory}/survey_answers.csv".replace("'", "''")
    target = out.replace("'", "''")
    con.execute(
        f"""
        COPY (
            SELECT a.unit, q.leaf, avg(w.weight) AS mean, count(*) AS valid
            FROM read_csv('{answers}', header = true, columns = {{
                'respondent': 'VARCHAR', 'group': 'VARCHAR', 'unit': 'VARCHAR',
                'question': 'VARCHAR', 'answer': 'VARCHAR'}}) AS a
            JOIN qmap AS q ON q.grp = a."group" AND q.question = a.question
            JOIN weights AS w ON w.grp = a."group" AND w.code = upper(trim(a.answer))
            WHERE w.weight IS NOT NULL
            GROUP BY a.unit, q.leaf
            ORDER BY a.unit, q.leaf
        ) TO '{target}' (HEADER, DELIMITER ',')
        """
    )
    elapsed = time.perf_counter() - started
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(f"duckdb {duckdb.__version__}: {elapsed:.3f} s inside the process, peak RSS {peak_kib} KiB")


def compare(chiso_csv, duckdb_csv):
    reference = {}
    with open(duckdb_csv, encoding="utf-8", newline="") as f:
        for r in csv.DictReader(f):
            reference[(r["unit"], r["leaf"])] = (float(r["mean"]), int(r["valid"]))
    compared, problems = 0, []
    with open(chiso_csv, encoding="utf-8", newline="") as f:
        for r in csv.DictReader(f):
            key = (r["unit"], r["leaf"])
            if r["points"] == "":
                if key in reference:
                    problems.append(f"{key}: no points from chiso, DuckDB has {reference[key]}")
                continue
            mean = float(Decimal(r["points"]) / Decimal(r["max"]))
            got = reference.pop(key, None)
            if got is None:
                problems.append(f"{key}: chiso has {mean}, DuckDB nothing")
            elif abs(got[0] - mean) > 1e-9 or got[1] != int(r["valid"]):
                problems.append(f"{key}: chiso {mean} of {r['valid']}, DuckDB {got[0]} of {got[1]}")
            compared += 1
    problems.extend(f"{k}: only DuckDB has {v}" for k, v in reference.items())
    for p in problems[:20]:
        print(p, file=sys.stderr)
    if problems:
        print(f"{len(problems)} differences", file=sys.stderr)
        sys.exit(1)
    print(f"same means (to 1e-9) and valid counts for {compared} units x leaves")


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "means":
        means(sys.argv[2], sys.argv[3])
    elif len(sys.argv) == 4 and sys.argv[1] == "compare":
        compare(sys.argv[2], sys.argv[3])
    else:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
