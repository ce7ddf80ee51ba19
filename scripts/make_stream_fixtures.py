#!/usr/bin/env python3
"""Write the token-stream fixtures of gongkai: one made-up report (our own sentences and numbers,
the same as scripts/make_layout_fixtures.py) printed in each crawler layout whose line breaks say
nothing about rows, one file per failure class, and `expected.json` with every cell each file must
parse to (null = no value: blank, dash, or a cell the report does not print).

usage: python3 scripts/make_stream_fixtures.py [OUT_DIR]   (default: tests/fixtures/streams)
"""
import importlib.util
import json
import os
import sys

ROOT = os.path.join(os.path.dirname(__file__), "..")
OUT = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "tests", "fixtures", "streams")

spec = importlib.util.spec_from_file_location("layouts", os.path.join(os.path.dirname(__file__), "make_layout_fixtures.py"))
L = importlib.util.module_from_spec(spec)
sys.argv, argv = sys.argv[:1], sys.argv
spec.loader.exec_module(L)
sys.argv = argv

SEC3 = L.SEC3
SEC4 = L.SEC4
SPLIT_OTHER = ("other_no_correction", "other_fee_unpaid", "other_misc")


def body(title, year=2023):
    return L.HEAD.format(title=title, year=year, proactive=406, applications=16)


def tail(signer):
    return L.TAIL.format(signer=signer, signed="2024年2月6日")


def expected_2021(fees=1.25, **changes):
    exp = {
        "template": "2021",
        "sec2": {"rules": [1, 0, 3], "normative_docs": [4, 1, 12], "admin_license": [57], "admin_penalty": [9],
                 "admin_coercion": [2], "admin_fees": [fees]},
        "sec3": {key: list(v) for key, _, _, v in SEC3},
        "sec4": list(SEC4),
    }
    for cell, value in changes.items():
        section, row, col = cell.split("__")
        exp[section][row][int(col)] = value
    return exp


def one_line():
    """Class 1 and 5: the whole report on one line, tags stripped, no separator anywhere: labels glued
    to numbers, numbers to the next label (`…合法权益00000005.属于…`), money with six decimals."""
    t = body("").replace("\n", "")
    # Glued sec2 rows have no identity: the narrative repeating a number is what pins the cut.
    t = "陇县东风镇2023年政府信息公开工作年度报告" + t + "现行有效行政规范性文件12件。"
    t += "二、主动公开政府信息情况第二十条第（一）项信息内容本年制发件数本年废止件数现行有效件数"
    t += "".join(f"{label}{''.join(map(str, v))}" for _, label, v in L.SEC2)
    last = None
    for item, _, label, header, v in L.SEC2_SINGLE:
        if item != last:
            t += f"第二十条第{item}项信息内容{header}"
            last = item
        t += f"{label}{'12.345678' if label == '行政事业性收费' else v}"
    t += "三、收到和处理政府信息公开申请情况（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）申请人情况自然人法人或其他组织总计商业企业科研机构社会公益组织法律服务机构其他"
    for key, group, label, v in SEC3:
        t += group + label + "".join(map(str, v))
    t += "四、政府信息公开行政复议、行政诉讼情况行政复议行政诉讼结果维持结果纠正其他结果尚未审结总计未经复议直接起诉复议后起诉结果维持结果纠正其他结果尚未审结总计结果维持结果纠正其他结果尚未审结总计"
    t += "".join(map(str, SEC4))
    t += tail("陇县东风镇人民政府").replace("\n", "")
    return t + "\n", expected_2021(fees=12.345678)


def split_numbers():
    """Class 2: one cell per line; numbers broken over two lines (`1` / `2` for 12), header words one
    character per line, group labels split (`（三）不予` / `公开`)."""
    lines = body("岐山县蔡家坡镇2023年政府信息公开工作年度报告").split("\n")
    lines += ["二、主动公开政府信息情况", "第二十条第（一）项", "信", "息", "内", "容", "本年制发件数", "本年废止件数", "现行有效件数"]
    for _, label, v in L.SEC2:
        lines += [label] + [str(x) for x in v]
    last = None
    for item, _, label, header, v in L.SEC2_SINGLE:
        if item != last:
            lines += [f"第二十条第{item}项", "信息内容", header]
            last = item
        lines += [label, str(v)]
    lines += ["三、收到和处理政府信息公开申请情况", "申请人情况", "自", "然", "人", "法人或其他组织", "总计", "商业", "企业",
              "科研", "机构", "社会公益组织", "法律服务机构", "其他"]
    broken = {"new_received": 0, "results_total": 0, "unavailable_not_held": 6}
    for key, group, label, v in SEC3:
        if group == "（三）不予公开":
            lines += ["（三）不予", "公开"]
        elif group:
            lines.append(group)
        lines.append(label)
        for i, x in enumerate(v):
            s = str(x)
            if broken.get(key) == i and len(s) > 1:
                lines += [s[:1], s[1:]]
            else:
                lines.append(s)
    lines += ["四、政府信息公开行政复议、行政诉讼情况", "行政复议", "行政诉讼", "结果维持", "结果纠正", "其他结果", "尚未审结", "总计",
              "未经复议直接起诉", "复议后起诉"] + [str(x) for x in SEC4]
    lines += tail("岐山县蔡家坡镇人民政府").split("\n")
    return "\n".join(lines) + "\n", expected_2021()


def csv_export():
    """Class 3 and 6: a CSV export of a crawled page; the report in the quoted 内容 field, cells
    separated by runs of bare carriage returns or by ideographic spaces; title and date only in the
    CSV's own columns."""
    cells = body("").split("\n")[2:]
    cells = [c for c in cells if c]
    cells += ["二、主动公开政府信息情况", "第二十条第（一）项", "信息内容", "本年制发件数", "本年废止件数", "现行有效件数"]
    for _, label, v in L.SEC2:
        cells.append(label + "\u3000" + "\u3000".join(map(str, v)))
    last = None
    for item, _, label, header, v in L.SEC2_SINGLE:
        if item != last:
            cells += [f"第二十条第{item}项", "信息内容", header]
            last = item
        cells += [label, str(v)]
    cells += ["三、收到和处理政府信息公开申请情况", "申请人情况", "自然人", "法人或其他组织", "总计", "商业企业", "科研机构",
              "社会公益组织", "法律服务机构", "其他"]
    for key, group, label, v in SEC3:
        if group:
            cells.append(group)
        cells.append(label)
        cells += [str(x) for x in v]
    cells += ["四、政府信息公开行政复议、行政诉讼情况", "行政复议", "行政诉讼", "结果维持", "结果纠正", "其他结果", "尚未审结",
              "总计"] + [str(x) for x in SEC4]
    cells += [c for c in tail("").split("\n") if c]
    content = "\r\r\r".join(cells).replace('"', '""')
    title = "凤翔区横水镇2023年政府信息公开工作年度报告"
    text = "标题,时间,内容,来源网站\r\n" + f'"{title}",2024-01-25 16:20,"{content}",某区人民政府网\r\n'
    exp = expected_2021()
    exp["title"] = title
    exp["published_on"] = "2024-01-25"
    return text, exp


def csv_export_html():
    """Class 3 with the page's markup kept: the 正文 field holds the HTML of the page on one line,
    its cells carrying numbers in their attributes (widths, styles), the title only in the CSV."""
    title = "凤翔区彪角镇2023年政府信息公开工作年度报告"
    text = tab_layout_html(L.tab_layout("", "凤翔区彪角镇人民政府"))
    text = "发布日期,标题,正文,链接\n" + f'2024-01-26,{title},"{text.replace(chr(34), chr(34) * 2)}",http://www.example.gov.cn/1.html\n'
    exp = expected_2021()
    exp["title"] = title
    exp["published_on"] = "2024-01-26"
    return text, exp


def tab_layout_html(text):
    """A tab layout as a crawled page's markup: a line with tabs a table row, any other a paragraph."""
    out, in_table = [], False
    for line in text.split("\n"):
        if "\t" in line:
            if not in_table:
                out.append('<table border="1" cellspacing="0" width="600" style="font-size:14px">')
            cells = "".join(f'<td width="{40 + 10 * i}" style="padding:2px 4px">{c}</td>'
                            for i, c in enumerate(line.split("\t")))
            out.append(f"<tr height=\"24\">{cells}</tr>")
            in_table = True
            continue
        if in_table:
            out.append("</table>")
            in_table = False
        if line.strip():
            out.append(f'<p style="text-indent:2em;line-height:28px">{line}</p>')
    return "".join(out)


def collapse(v):
    """A run of equal adjacent cells printed once."""
    out = []
    for x in v:
        if not out or out[-1] != x:
            out.append(x)
    return out


def collapsed():
    """Class 4: rows printed with each run of equal adjacent cells once (`5 1 0 6`), a row of zeros
    as one `0`. Rows where two expansions would fit are printed in full, as such crawlers cannot be
    read back otherwise."""
    lines = body("麟游县九成宫镇2023年政府信息公开工作年度报告").split("\n") + [L.sec2_tab(), "三、收到和处理政府信息公开申请情况",
                                                           "申请人情况 自然人 法人或其他组织 商业企业 科研机构 社会公益组织 法律服务机构 其他 总计"]
    # 2 1 0 1 0 4 and 13 3 0 1 0 17 fit two ways on their own and in the columns; 12 3 0 1 0 16 fits
    # two ways on its own, and the column identities pick one.
    full = {"unavailable_not_held", "results_total"}
    for key, group, label, v in SEC3:
        shown = v if key in full else collapse(v)
        lines.append(" ".join(x for x in [group, label] if x) + " " + " ".join(map(str, shown)))
    lines += ["四、政府信息公开行政复议、行政诉讼情况", "行政复议 行政诉讼", " ".join(map(str, SEC4))]
    lines += tail("麟游县九成宫镇人民政府").split("\n")
    return "\n".join(lines) + "\n", expected_2021()


SEC2_2019 = {"rules": [2, 2, 15], "normative_docs": [3, 3, 40], "admin_license": [None, 0, 10],
             "other_admin_services": [None, 1, 5], "admin_penalty": [None, 0, 31], "admin_coercion": [None, 0, 4],
             "admin_fees": [None, 0], "central_procurement": [12, 125000]}


def glued_2019():
    """Class 5: the 2019 template glued, item tables printed without 上一年项目数量 (two columns),
    labels with digits in them, procurement items repeated by the narrative."""
    t = body("", year=2019).replace("\n", "").replace("2023", "2019") + "全年完成政府集中采购项目12项，对外公开规章15件，对外公开规范性文件40件。"
    t = "太白县咀头镇2019年政府信息公开工作年度报告" + t
    t += "二、主动公开政府信息情况第二十条第（一）项信息内容本年新制作数量本年新公开数量对外公开总数量"
    t += "规章" + "".join(map(str, SEC2_2019["rules"])) + "规范性文件" + "".join(map(str, SEC2_2019["normative_docs"]))
    t += "第二十条第（五）项信息内容本年增/减处理决定数量"
    t += "行政许可010其他对外管理服务事项15"
    t += "第二十条第（六）项信息内容本年增/减处理决定数量行政处罚031行政强制04"
    t += "第二十条第（八）项信息内容本年增/减行政事业性收费0"
    t += "第二十条第（九）项信息内容采购项目数量采购总金额政府集中采购12125000"
    t += "三、收到和处理政府信息公开申请情况申请人情况自然人法人或其他组织总计商业企业科研机构社会公益组织法律服务机构其他"
    rows = [r for r in SEC3 if r[0] not in SPLIT_OTHER]
    at = [r[0] for r in rows].index("results_total")
    rows.insert(at, ("other_subtotal", "", "（六）其他处理", [0] * 7))
    for key, group, label, v in rows:
        t += group + label + "".join(map(str, v))
    t += "四、政府信息公开行政复议、行政诉讼情况行政复议行政诉讼结果维持结果纠正其他结果尚未审结总计" + "".join(map(str, SEC4))
    t += tail("太白县咀头镇人民政府").replace("\n", "")
    exp = {"template": "2019", "sec2": SEC2_2019, "sec3": {k: list(v) for k, _, _, v in rows}, "sec4": list(SEC4)}
    return t + "\n", exp


def pdf_spill(glued=False):
    """Class 2 from a PDF whose long labels wrapped in their cells: the text of a run of such rows
    comes out as their labels, then their rows of values (`1.本机关不掌握… 2.没有现成… 2 1 0 1 0 0 4
    1 0 0 0 0 0 1`); and a row whose blank total printed nothing (`1 0 0 0 0 0`), which only the
    column identities place."""
    spilled = [("unavailable_not_held", "unavailable_needs_creation"),
               ("rejected_petition", "rejected_duplicate", "rejected_publication")]
    lines = body("眉县齐镇2023年政府信息公开工作年度报告").split("\n")
    lines += [" ".join(l.split("\t")).strip() for l in L.sec2_tab().split("\n")]
    lines += ["三、收到和处理政府信息公开申请情况", "申请人情况 自然人 法人或其他组织 总计",
              "商业企业 科研机构 社会公益组织 法律服务机构 其他"]
    values = {key: v for key, _, _, v in SEC3}
    pending = []
    exp = expected_2021()
    for key, group, label, v in SEC3:
        run = next((r for r in spilled if key in r), None)
        if run is None:
            shown = v[:-1] if key == "carried_forward" and not glued else v
            lines.append(" ".join([group, label] + [str(x) for x in shown]).strip())
            continue
        lines.append(" ".join([group, label]).strip())
        pending.append(key)
        if key == run[-1]:
            lines += [" ".join(str(x) for x in values[k]) for k in pending]
            pending = []
    lines += [" ".join(l.split("\t")).strip() for l in L.sec4_tab().split("\n")]
    lines += tail("眉县齐镇人民政府").split("\n")
    if glued:
        # The same page with its tags stripped and nothing between: each run of spilled rows is
        # one digit run after the last label. Glued sec2 rows have no identity: the narrative
        # repeating a number pins the cut.
        lines.insert(3, "现行有效行政规范性文件12件。")
        return "".join("".join(lines).split()) + "\n", exp
    exp["sec3"]["carried_forward"][-1] = None
    return "\n".join(lines) + "\n", exp


def page_furniture():
    """Class 8: a page break inside the sec3 table leaves a page number line, a page mark and the
    repeated table header; a footnote marker follows a label."""
    text = L.tab_layout("扶风县法门镇2023年政府信息公开工作年度报告", "扶风县法门镇人民政府")
    lines = text.split("\n")
    at = next(i for i, l in enumerate(lines) if "5.属于三类内部事务信息" in l)
    header = [l for l in lines if "商业企业" in l][0]
    lines[at:at] = ["", "- 2 -", "", "第 3 页 共 5 页", header]
    lines = [l.replace("2.重复申请", "2.重复申请①") for l in lines]
    return "\n".join(lines) + "\n", expected_2021()


# A site's page around the report: navigation and breadcrumb above (the column's name ends like a
# title), fields with numbers (time, visit counter), and a footer full of numbers (site code,
# licence numbers, telephone, postcode, screen size).
CHROME_HEAD = ["首页 > 政务公开 > 政府信息公开年报", "发布时间：2024-01-15 10:32:07", "来源：本网", "浏览次数：1523",
               "字号：[ 大 中 小 ]", "打印本页"]
CHROME_FOOT = ["【打印本页】 【关闭窗口】", "相关链接", "主办单位：眉县人民政府办公室",
               "网站标识码：6103260001 陕ICP备05012345号-1 陕公网安备 61032602000123号",
               "联系电话：0917-5541234 邮编：722300", "建议使用1920*1080分辨率"]


def site_page():
    """Class 6 and 8: a saved page, one cell per line, the report between the site's navigation and
    its footer; the breadcrumb's column name is no title, the footer's numbers are no cells."""
    text, exp = split_numbers()
    text = text.replace("岐山县蔡家坡镇", "眉县横渠镇")
    return "\n".join(CHROME_HEAD) + "\n" + text + "\n".join(CHROME_FOOT) + "\n", exp


def site_page_one_line():
    """The same page with every tag stripped and nothing in between: chrome glued to the title."""
    text, exp = one_line()
    text = text.replace("陇县东风镇", "眉县汤峪镇").strip()
    return "".join(CHROME_HEAD) + text + "".join(CHROME_FOOT) + "\n", exp


# Labels as a page misprinted them: a character dropped, one wrong, a space inside.
TYPOS = [("行政规范性文件", "行政规范文件"), ("行政事业性收费", "行政事业收费"), ("5.属于三类内部事务信息", "5.属于三类内部事物信息"),
         ("本年新收政府信息公开申请数量", "本年新收政府信息 公开申请数量")]


def misprinted(text):
    """The text with the table's labels misprinted (the narrative before the tables as it was)."""
    at = text.index("二、主动公开政府信息情况")
    tables = text[at:]
    for right, wrong in TYPOS:
        assert right in tables, right
        tables = tables.replace(right, wrong, 1)
    return text[:at] + tables


def label_typos():
    """Class 1 with the labels misprinted: the template's order and the words around them say which
    row each is."""
    text, exp = one_line()
    return misprinted(text.replace("陇县东风镇", "眉县金渠镇")), exp


def label_typos_spaced():
    """The same misprints in a dump whose every cell and line is set off by one space."""
    text = L.tab_layout("眉县营头镇2023年政府信息公开工作年度报告", "眉县营头镇人民政府")
    return misprinted(" ".join(text.split())) + "\n", expected_2021()


def main():
    os.makedirs(OUT, exist_ok=True)
    fixtures = {
        "one_line.txt": one_line(),
        "split_numbers.txt": split_numbers(),
        "export.csv": csv_export(),
        "export_html.csv": csv_export_html(),
        "collapsed.txt": collapsed(),
        "glued_2019.txt": glued_2019(),
        "page_furniture.txt": page_furniture(),
        "pdf_spill.txt": pdf_spill(),
        "pdf_spill_glued.txt": pdf_spill(glued=True),
        "site_page.txt": site_page(),
        "site_page_one_line.txt": site_page_one_line(),
        "label_typos.txt": label_typos(),
        "label_typos_spaced.txt": label_typos_spaced(),
    }
    expected = {}
    for name, (text, exp) in fixtures.items():
        with open(os.path.join(OUT, name), "w", encoding="utf-8", newline="") as f:
            f.write(text)
        expected[name] = exp
    with open(os.path.join(OUT, "expected.json"), "w", encoding="utf-8") as f:
        json.dump(expected, f, ensure_ascii=False, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
