#!/usr/bin/env python3
"""Reports we hold gold values for, printed again the way crawlers print them, and parsed.

The parser must read layouts it has never seen; our own fixtures share our own wording. This takes
reports written by others (the seeds and the real reports of ../shared, with their hand-read gold),
keeps their own labels, sentences and numbers, and prints each again in the crawler layouts of the
layout issue: the whole report on one line (glued, or spaced, or set off by ideographic spaces), one
cell per line with some numbers and short labels broken over lines, a CSV export with the body in a
quoted field and cells separated by bare carriage returns, and runs of equal cells printed once.
A blank cell of the original vanishes in every such layout, as it does when a crawler strips tags.

Then `gongkai parse` reads every file and each cell is compared with the gold:
  right       the gold value;
  undecided   no value, and the parser said so (a cell it could not place is never a number);
  wrong       a value other than the gold's, or a value where the report printed none.
Exits 1 when any cell is wrong or any title, agency, province or year is lost, or when a report
without blank cells (the seeds) has a cell that is neither right nor left undecided with its raw text.

usage: relayout.py --bin GONGKAI --out DIR RAW_DIR GOLD_DIR [RAW_DIR GOLD_DIR ...]
"""
import argparse
import csv
import html.parser
import importlib.util
import io
import json
import os
import random
import re
import subprocess
import sys

NUMBER = re.compile(r"^\d+(\.\d+)?$")
# A layout of text extracted from PDFs rather than crawled pages, measured with --extra and not yet
# read right everywhere: each row's values printed before its label.
EXTRA_LAYOUTS = ["values-first"]
LAYOUTS = ["one-line", "one-line-spaced", "ideographic", "cell-per-line", "csv", "csv-glued", "collapsed",
           "page-breaks", "full-width", "mixed", "hard-wrapped", "csv-rows", "entities", "markdown", "tab-rows",
           "dash-blanks", "thousands", "html-as-text", "csv-html", "wrapped-labels", "page-chrome", "chrome-one-line",
           "csv-ideographic", "collapsed-spaced", "collapsed-per-line", "cell-per-line-blanks", "label-variants",
           "quoted-sheet", "page-breaks-glued"]
FULL_WIDTH = str.maketrans("0123456789.", "０１２３４５６７８９．")


class Cells(html.parser.HTMLParser):
    """HTML → blocks: ("table", [cell texts]) per table row, ("text", [paragraph]) otherwise."""

    BLOCK = ("p", "div", "br", "h1", "h2", "h3", "li")

    def __init__(self):
        super().__init__()
        self.blocks, self.row, self.cell, self.text = [], None, None, []

    def handle_starttag(self, tag, attrs):
        if tag == "tr":
            self.row = []
        elif tag in ("td", "th") and self.row is not None:
            self.cell = []
        elif tag in self.BLOCK and self.row is None:
            self.flush()

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self.cell is not None:
            self.row.append("".join(self.cell).strip())
            self.cell = None
        elif tag == "tr" and self.row is not None:
            self.blocks.append(("table", self.row))
            self.row = None
        elif tag in self.BLOCK and self.row is None:
            self.flush()

    def handle_data(self, data):
        if self.cell is not None:
            self.cell.append(data)
        elif self.row is None:
            self.text.append(data)

    def flush(self):
        text = "".join(self.text).strip()
        self.text = []
        if text:
            self.blocks.append(("text", [text]))


def blocks_of(path):
    raw = open(path, encoding="utf-8").read()
    if path.endswith((".html", ".htm")):
        parser = Cells()
        parser.feed(raw)
        parser.flush()
        return parser.blocks
    blocks = []
    for line in raw.splitlines():
        if line.startswith("|"):
            cells = [c.strip() for c in line.strip().strip("|").split("|")]
            if not all(re.fullmatch(r"[-: ]*", c) for c in cells):
                blocks.append(("table", cells))
        elif "\t" in line:
            blocks.append(("table", [c.strip() for c in line.split("\t")]))
        elif line.strip():
            blocks.append(("text", [line.strip()]))
    return blocks


def title_of(blocks):
    """The report's title as a page would put it in its title column: the first short block naming
    the report, joined with the next when the original broke it over two lines."""
    texts = [c for _, cs in blocks for c in cs if c]
    for i, c in enumerate(texts):
        if len(c) > 80 or "信息公开" not in c:
            continue
        if "报告" in c or "年报" in c:
            return c
        if i + 1 < len(texts) and texts[i + 1].startswith("年度报告"):
            return c + texts[i + 1]
    return ""


def collapse(cells):
    out = []
    for c in cells:
        if not (out and NUMBER.match(c) and out[-1] == c):
            out.append(c)
    return out


def layouts(blocks, title, seed, source=None):
    # One random stream per layout, so that adding a layout changes no other layout's text.
    per_line, paging, mixing, entity, dashing, wrapping = (
        random.Random(f"{seed}:{layout}") for layout in ("cell-per-line", "page-breaks", "mixed", "entities",
                                                         "dash-blanks", "wrapped-labels"))
    cells = [(kind, c) for kind, cs in blocks for c in cs if c]
    flat = [c for _, c in cells]
    out = {"one-line": "".join(flat), "one-line-spaced": " ".join(flat), "ideographic": "\u3000".join(flat)}
    lines = []
    for kind, c in cells:
        if kind == "table" and NUMBER.match(c) and len(c) >= 2 and "." not in c and per_line.random() < 0.3:
            k = per_line.randrange(1, len(c))
            lines += [c[:k], c[k:]]
        elif kind == "table" and not NUMBER.match(c) and 2 <= len(c) <= 6 and per_line.random() < 0.3:
            lines += list(c)
        else:
            lines.append(c)
    out["cell-per-line"] = "\n".join(lines)
    # Page breaks between the rows of a table: page numbers, sometimes the column header again.
    paged, page = [], 1
    for kind, cs in blocks:
        first = next((c for c in cs if c), "")
        if kind == "table" and first and not NUMBER.match(first) and paging.random() < 0.15:
            page += 1
            paged += [f"- {page} -", f"第 {page} 页", "信息内容"] if paging.random() < 0.5 else [f"第 {page} 页"]
        paged += [c for c in cs if c]
    out["page-breaks"] = "\n".join(paged)
    out["full-width"] = " ".join(c.translate(FULL_WIDTH) if kind == "table" else c for kind, c in cells)
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(["标题", "时间", "内容", "来源网站"])
    writer.writerow([title, "2024-01-15", "\r\r\r".join(c for c in flat if c != title), "http://www.example.gov.cn"])
    out["csv"] = buf.getvalue()
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(["标题", "时间", "内容", "来源网站"])
    writer.writerow([title, "2024-01-15", "".join(c for c in flat if c != title), "http://www.example.gov.cn"])
    out["csv-glued"] = buf.getvalue()
    # Each cell set off by whatever the page happened to put there.
    seps = ["", " ", "\n", "\u3000", "\t", "\r\n", "  ", " \n "]
    out["mixed"] = "".join(c + mixing.choice(seps) for c in flat)
    # The text flowed and cut every 40 characters, in the middle of a label or a number.
    spaced = " ".join(flat)
    out["hard-wrapped"] = "\n".join(spaced[i:i + 40] for i in range(0, len(spaced), 40))
    # A spreadsheet export of the page: each table row one CSV line, the prose lines as they were.
    buf = io.StringIO()
    writer = csv.writer(buf)
    for kind, cs in blocks:
        if kind == "table":
            writer.writerow(cs)
        else:
            buf.write("".join(cs) + "\n")
    out["csv-rows"] = buf.getvalue()
    # Tags stripped but entities left as printed, with invisible characters from the page.
    ents = ["&nbsp;", "&nbsp;&nbsp;", "&#160;", "\u00a0", "\u200b", "&ensp;"]
    out["entities"] = "".join(c + entity.choice(ents) for c in flat)
    # A Markdown export: each table row a pipe row, blank cells kept empty, a rule under each header.
    md, in_table = [], False
    for kind, cs in blocks:
        if kind == "table":
            md.append("| " + " | ".join(cs) + " |")
            if not in_table:
                md.append("|" + "---|" * len(cs))
            in_table = True
        else:
            md.append("")
            md += cs
            md.append("")
            in_table = False
    out["markdown"] = "\n".join(md)
    # A spreadsheet pasted as text: a table row per line, cells between tabs, blank cells kept.
    out["tab-rows"] = "\n".join("\t".join(cs) for _, cs in blocks)
    # Blank cells printed as a dash or a slash, as some pages fill them.
    # Only a blank between two numbers of a row is a data cell; others are the layout's padding.
    dashed = []
    for kind, cs in blocks:
        at = [i for i, c in enumerate(cs) if NUMBER.match(c)] if kind == "table" else []
        inside = range(at[0], at[-1]) if at else range(0)
        dashed += [c if c else dashing.choice(["-", "—", "/", "－"]) for i, c in enumerate(cs) if c or i in inside]
    out["dash-blanks"] = " ".join(dashed)
    # Thousands separators in the larger numbers, in a spaced one-line dump.
    def grouped(c):
        if not NUMBER.match(c):
            return c
        whole, _, frac = c.partition(".")
        return f"{int(whole):,}" + ("." + frac if frac else "")
    out["thousands"] = " ".join(grouped(c) if kind == "table" else c for kind, c in cells)
    # A table row per line whose long label wrapped in its cell: the label's second line follows the
    # row's values (text taken from a PDF or a word processor).
    wrapped = []
    for kind, cs in blocks:
        label = next((c for c in cs if c and not NUMBER.match(c)), "")
        values = [c for c in cs if c and c != label]
        if kind == "table" and len(label) > 8 and values and all(NUMBER.match(v) for v in values):
            k = wrapping.randrange(3, len(label) - 2)
            wrapped += [label[:k] + " " + " ".join(values), label[k:]]
        else:
            wrapped.append(" ".join(c for c in cs if c))
    out["wrapped-labels"] = "\n".join(wrapped)
    # Each table row's values printed before its label, as some text extractions order a row.
    first = []
    for kind, cs in blocks:
        label = [c for c in cs if c and not NUMBER.match(c)]
        values = [c for c in cs if c and NUMBER.match(c)]
        first.append(" ".join(values + label) if kind == "table" and values else " ".join(c for c in cs if c))
    out["values-first"] = "\n".join(first)
    out["collapsed"] = "\n".join(
        " ".join(collapse([c for c in cs if c]) if kind == "table" else cs) for kind, cs in blocks
    )
    # The page saved whole: the site's navigation above the report and its footer below, with the
    # numbers a site prints (dates, visit counters, site codes, licence numbers, telephones).
    header = ["首页 > 政务公开 > 政府信息公开年报", "发布时间：2024-01-15 10:32:07", "来源：本网",
              "浏览次数：1523", "字号：[ 大 中 小 ]", "打印本页", "分享到："]
    footer = ["【打印本页】 【关闭窗口】", "相关链接", "主办单位：本级人民政府办公室 承办：本级大数据中心",
              "网站标识码：3201000012 苏ICP备05012345号-1 苏公网安备 32010202000123号",
              "联系电话：025-83451234 地址：人民路88号 邮编：210000", "建议使用1920*1080分辨率"]
    out["page-chrome"] = "\n".join(header + [" ".join(c for c in cs if c) for _, cs in blocks] + footer)
    out["chrome-one-line"] = "".join(header + flat + footer)
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(["标题", "时间", "内容", "来源网站"])
    writer.writerow([title, "2024-01-15", "\u3000".join(c for c in flat if c != title), "http://www.example.gov.cn"])
    out["csv-ideographic"] = buf.getvalue()
    runs = [(kind, collapse([c for c in cs if c]) if kind == "table" else cs) for kind, cs in blocks]
    out["collapsed-spaced"] = " ".join(c for _, cs in runs for c in cs)
    out["collapsed-per-line"] = "\n".join(c for _, cs in runs for c in cs)
    # Each table cell on a line of its own, an empty cell as an empty line; paragraphs set apart by
    # empty lines too (a dump of every <p> and <td>).
    out["cell-per-line-blanks"] = "\n".join(
        "\n".join(cs) if kind == "table" else "\n".join(cs) + "\n" for kind, cs in blocks
    )
    # Labels as other sites print them: another enumerator style (`(一)`, `一、`, `1、`, `（1）`), a
    # space inside a label, a character dropped from a long label (a typo of the page).
    variant = random.Random(f"{seed}:label-variants")
    def relabel(c):
        if NUMBER.match(c) or not c:
            return c
        r = variant.random()
        if r < 0.3:
            c = re.sub(r"^（([一二三四五六七八九十]+)）", lambda m: variant.choice([f"({m[1]})", f"{m[1]}、"]), c)
            c = re.sub(r"^(\d+)\.", lambda m: variant.choice([f"{m[1]}、", f"（{m[1]}）", f"{m[1]}．"]), c)
        elif r < 0.45 and len(c) >= 4:
            k = variant.randrange(1, len(c))
            c = c[:k] + " " + c[k:]
        elif r < 0.6 and len(c) >= 7:
            k = variant.randrange(2, len(c))
            c = c[:k] + c[k + 1:]
        return c
    out["label-variants"] = " ".join(relabel(c) if kind == "table" else c for kind, c in cells)
    # A PDF's text glued on one line, its page numbers between table rows glued in (`000- 2 -规章`).
    glued_pages, pages, page = random.Random(f"{seed}:page-breaks-glued"), [], 1
    for kind, c in cells:
        if kind == "table" and not NUMBER.match(c) and pages and NUMBER.match(pages[-1]) and glued_pages.random() < 0.2:
            page += 1
            pages.append(f"- {page} -")
        pages.append(c)
    out["page-breaks-glued"] = "".join(pages)
    # A spreadsheet export with every field quoted, saved as .txt: a line per row of the page.
    buf = io.StringIO()
    csv.writer(buf, quoting=csv.QUOTE_ALL, lineterminator="\n").writerows(cs for _, cs in blocks)
    out["quoted-sheet"] = buf.getvalue()
    # A crawler that saved the page's HTML source under a .txt name.
    if source is not None and source.lower().endswith((".html", ".htm")):
        page = open(source, encoding="utf-8").read()
        out["html-as-text"] = page
        # A crawler's CSV export that kept the page's markup (its body, on one line) in the content field.
        inner = re.search(r"<body[^>]*>(.*)</body>", page, re.S | re.I)
        buf = io.StringIO()
        writer = csv.writer(buf)
        writer.writerow(["标题", "时间", "内容", "来源网站"])
        writer.writerow([title, "2024-01-15", re.sub(r"\s*\n\s*", "", inner[1] if inner else page),
                         "http://www.example.gov.cn"])
        out["csv-html"] = buf.getvalue()
    return out


def gold_checker(shared_tools):
    spec = importlib.util.spec_from_file_location("gold_check", os.path.join(shared_tools, "gold_check.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--tools", default=os.path.join(os.path.dirname(__file__), "..", "..", "shared", "tools"))
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--list-undecided", action="store_true", help="name every cell left without a value")
    ap.add_argument("--extra", action="store_true", help="also the layouts of EXTRA_LAYOUTS")
    ap.add_argument("pairs", nargs="+")
    args = ap.parse_args()
    if len(args.pairs) % 2:
        ap.error("RAW_DIR GOLD_DIR pairs expected")
    gc = gold_checker(args.tools)
    chosen = LAYOUTS + (EXTRA_LAYOUTS if args.extra else [])
    totals = {layout: {"cells": 0, "right": 0, "undecided": 0, "wrong": 0} for layout in chosen}
    failures = []
    for raw_dir, gold_dir in zip(args.pairs[::2], args.pairs[1::2]):
        for gold_name in sorted(os.listdir(gold_dir)):
            if not gold_name.endswith(".json"):
                continue
            name = gold_name[:-5]
            raws = [f for f in os.listdir(raw_dir) if os.path.splitext(f)[0] == name]
            raws = [f for f in raws if f.endswith((".txt", ".md", ".html", ".htm"))]
            if not raws:
                continue  # PDF and DOCX keep their own layout; they are read by their own readers
            gold = json.load(open(os.path.join(gold_dir, gold_name), encoding="utf-8"))
            expected = gc.expected(gold)
            blocks = blocks_of(os.path.join(raw_dir, raws[0]))
            title = title_of(blocks)
            has_blanks = any(v is None for k, v in expected.items() if k.startswith(("sec3", "sec4")))
            for layout, text in layouts(blocks, title, f"{args.seed}:{name}", os.path.join(raw_dir, raws[0])).items():
                if layout not in chosen:
                    continue
                ext = ".csv" if layout.startswith("csv") else ".txt"
                path = os.path.join(args.out, layout, f"{name}{ext}")
                os.makedirs(os.path.dirname(path), exist_ok=True)
                with open(path, "w", encoding="utf-8", newline="") as f:
                    f.write(text)
                run = subprocess.run([args.bin, "parse", path, "--format", "json"], capture_output=True, text=True)
                if run.returncode != 0:
                    failures.append(f"{layout}/{name}: parse failed: {run.stderr.strip()}")
                    continue
                report = json.loads(run.stdout)
                got = gc.observed(report, gold.get("template"))
                t = totals[layout]
                for key, want in expected.items():
                    value = got.get(key)
                    t["cells"] += 1
                    if gc.same(want, value):
                        t["right"] += 1
                    elif value is None:
                        t["undecided"] += 1
                        if args.list_undecided:
                            print(f"undecided {layout}/{name}: {key} (want {want})")
                        if not has_blanks and not raw_kept(report, key):
                            failures.append(f"{layout}/{name}: {key} lost (want {want}; no value, no printed text kept)")
                    else:
                        t["wrong"] += 1
                        failures.append(f"{layout}/{name}: {key} wrong: want {want}, got {value}")
                meta = [
                    ("year", gold.get("year"), report.get("year")),
                    ("template", gold.get("template"), report.get("template")),
                    ("province", gc.norm_prov(gold.get("province")), gc.norm_prov((report.get("region") or {}).get("province"))),
                ]
                failures += [f"{layout}/{name}: {k} want {a} got {b}" for k, a, b in meta if a != b]
    print("layout            cells  right  undecided  wrong")
    for layout, t in totals.items():
        print(f"{layout:16} {t['cells']:6} {t['right']:6} {t['undecided']:10} {t['wrong']:6}")
    for f in failures:
        print("FAIL", f)
    sys.exit(1 if failures else 0)


# The gold's cell names → the JSON's rows and columns (SCHEMA.md), for the raw text of a cell.
SEC2_ROWS = {"licensing": "admin_license", "punishment": "admin_penalty", "coercion": "admin_coercion",
             "fees_wan": "admin_fees"}


def raw_kept(report, key):
    """Whether the parser kept the printed text of a cell it left without a value (an undecided cut
    keeps the digits it could not place)."""
    m = re.fullmatch(r"(sec2|sec3|sec3_full)\.(\w+?)(?:\[(\d+)\])?", key) or re.fullmatch(r"(sec4)\[(\d+)\]", key)
    if not m:
        return False
    section = m.group(1)
    if section == "sec4":
        index = int(m.group(2))
        groups = list((report.get("sec4") or {}).values())
        row = groups[index // 5] if index // 5 < len(groups) else {}
        cells = list(row.values())
        cell = cells[index % 5] if index % 5 < len(cells) else {}
    elif section == "sec2":
        row = (report.get("sec2") or {}).get(SEC2_ROWS.get(m.group(2), m.group(2))) or {}
        cells = list(row.values())
        cell = cells[int(m.group(3) or 0)] if int(m.group(3) or 0) < len(cells) else {}
    else:
        rows = dict(SEC3_ROWS)
        row = (report.get("sec3") or {}).get(rows.get(m.group(2), m.group(2))) or {}
        cells = list(row.values())
        cell = cells[int(m.group(3))] if int(m.group(3)) < len(cells) else {}
    return bool(isinstance(cell, dict) and cell.get("raw"))


SEC3_ROWS = [("new", "new_received"), ("carried_over", "carried_over"), ("granted", "granted"),
             ("partial", "partially_granted"), ("total_processed", "results_total"),
             ("carried_forward", "carried_forward")]


if __name__ == "__main__":
    main()
