#!/usr/bin/env python3
"""Write the text-layout test fixtures of gongkai: one made-up report (our own sentences and
numbers) printed in each text layout that real reports arrive in, plus `expected.json` with the
values every layout must parse to. (The bundled `samples/` are written by `gongkai synth`; see README.)

usage: python3 scripts/make_layout_fixtures.py [OUT_DIR]   (default: tests/fixtures/layouts)
"""
import json
import os
import sys

ROOT = os.path.join(os.path.dirname(__file__), "..")
OUT = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "tests", "fixtures", "layouts")

COLS = ["natural_person", "commercial_enterprise", "research_institution", "public_welfare_org",
        "legal_service_org", "other_org", "total"]
SEC3 = [  # (key, group label, label, values)
    ("new_received", "", "一、本年新收政府信息公开申请数量", [12, 3, 0, 1, 0, 0, 16]),
    ("carried_over", "", "二、上年结转政府信息公开申请数量", [2, 0, 0, 0, 0, 0, 2]),
    ("granted", "三、本年度办理结果", "（一）予以公开", [5, 1, 0, 0, 0, 0, 6]),
    ("partially_granted", "", "（二）部分公开（区分处理的，只计这一情形，不计其他情形）", [2, 1, 0, 0, 0, 0, 3]),
    ("withheld_state_secret", "（三）不予公开", "1.属于国家秘密", [0] * 7),
    ("withheld_law_prohibited", "", "2.其他法律行政法规禁止公开", [1, 0, 0, 0, 0, 0, 1]),
    ("withheld_security_stability", "", "3.危及“三安全一稳定”", [0] * 7),
    ("withheld_third_party", "", "4.保护第三方合法权益", [0] * 7),
    ("withheld_internal_affairs", "", "5.属于三类内部事务信息", [0] * 7),
    ("withheld_process_info", "", "6.属于四类过程性信息", [1, 0, 0, 0, 0, 0, 1]),
    ("withheld_enforcement_file", "", "7.属于行政执法案卷", [0] * 7),
    ("withheld_admin_query", "", "8.属于行政查询事项", [0] * 7),
    ("unavailable_not_held", "（四）无法提供", "1.本机关不掌握相关政府信息", [2, 1, 0, 1, 0, 0, 4]),
    ("unavailable_needs_creation", "", "2.没有现成信息需要另行制作", [1, 0, 0, 0, 0, 0, 1]),
    ("unavailable_unclear", "", "3.补正后申请内容仍不明确", [0] * 7),
    ("rejected_petition", "（五）不予处理", "1.信访举报投诉类申请", [0] * 7),
    ("rejected_duplicate", "", "2.重复申请", [1, 0, 0, 0, 0, 0, 1]),
    ("rejected_publication", "", "3.要求提供公开出版物", [0] * 7),
    ("rejected_excessive", "", "4.无正当理由大量反复申请", [0] * 7),
    ("rejected_confirm_reissue", "", "5.要求行政机关确认或重新出具已获取信息", [0] * 7),
    ("other_no_correction", "（六）其他处理", "1.申请人无正当理由逾期不补正、行政机关不再处理其政府信息公开申请", [0] * 7),
    ("other_fee_unpaid", "", "2.申请人逾期未按收费通知要求缴纳费用、行政机关不再处理其政府信息公开申请", [0] * 7),
    ("other_misc", "", "3.其他", [0] * 7),
    ("results_total", "", "（七）总计", [13, 3, 0, 1, 0, 0, 17]),
    ("carried_forward", "", "四、结转下年度继续办理", [1, 0, 0, 0, 0, 0, 1]),
]
SEC2 = [("rules", "规章", [1, 0, 3]), ("normative_docs", "行政规范性文件", [4, 1, 12])]
SEC2_SINGLE = [("（五）", "admin_license", "行政许可", "本年处理决定数量", 57),
               ("（六）", "admin_penalty", "行政处罚", "本年处理决定数量", 9),
               ("（六）", "admin_coercion", "行政强制", "本年处理决定数量", 2),
               ("（八）", "admin_fees", "行政事业性收费", "本年收费金额（单位：万元）", 1.25)]
SEC4 = [1, 0, 0, 1, 2, 0, 1, 0, 0, 1, 0, 0, 0, 0, 0]

HEAD = """{title}

本报告根据《中华人民共和国政府信息公开条例》编制，所列数据统计期限为 {year} 年 1 月 1 日至 12 月 31 日。

一、总体情况

（一）主动公开。全年共发布各类信息 {proactive} 条，涵盖机构职能、财政预决算和乡村建设等内容。

（二）依申请公开。全年共收到政府信息公开申请 {applications} 件，均已按期答复。

"""
TAIL = """
五、存在的主要问题及改进情况

公开内容的解读还不够通俗，下一步将增加图解和问答。

六、其他需要报告的事项

本年度未收取信息处理费。

{signer}
{signed}
"""


DEFAULTS = {"year": 2023, "proactive": 406, "applications": 16}


def sec2_tab(k=1):
    lines = ["二、主动公开政府信息情况", "", "第二十条第（一）项\t\t\t", "信息内容\t本年制发件数\t本年废止件数\t现行有效件数"]
    lines += [f"{label}\t" + "\t".join(str(x * k) for x in v) for _, label, v in SEC2]
    last = None
    for item, _, label, header, v in SEC2_SINGLE:
        if item != last:
            lines += [f"第二十条第{item}项\t\t\t", f"信息内容\t{header}\t\t"]
            last = item
        lines.append(f"{label}\t{v * k:g}\t\t")
    return "\n".join(lines) + "\n"


def sec3_tab(page_break=False, blank=None, k=1):
    lines = ["三、收到和处理政府信息公开申请情况", "",
             "（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）\t\t申请人情况\t\t\t\t\t\t总计\t",
             "\t\t自然人\t法人或其他组织\t\t\t\t\t\t",
             "\t\t\t商业企业\t科研机构\t社会公益组织\t法律服务机构\t其他\t\t"]
    for i, (key, group, label, v) in enumerate(SEC3):
        cells = [("" if blank == (key, c) else str(x * k)) for c, x in zip(COLS, v)]
        if page_break and i > 8 and key not in ("results_total", "carried_forward"):
            # After the page break the group column is gone and the label moves left.
            lines.append(f"\t{label}\t" + "\t".join(cells))
            if i == 9:
                lines.insert(len(lines) - 1, "")
        elif group and key == "granted":
            lines.append(f"{group}\t{label}\t" + "\t".join(cells) + "\t")
        elif group:
            lines.append(f"\t{group}\t{label}\t" + "\t".join(cells))
        elif key in ("new_received", "carried_over", "carried_forward"):
            lines.append(f"{label}\t\t" + "\t".join(cells) + "\t")
        else:
            lines.append(f"\t{label}\t" + "\t".join(cells) + "\t")
    return "\n".join(lines) + "\n"


def sec4_tab():
    return ("\n四、政府信息公开行政复议、行政诉讼情况\n\n"
            "行政复议\t\t\t\t\t行政诉讼\t\t\t\t\t\t\t\t\t\n"
            "结果维持\t结果纠正\t其他结果\t尚未审结\t总计\t未经复议直接起诉\t\t\t\t\t复议后起诉\t\t\t\t\n"
            "\t\t\t\t\t结果维持\t结果纠正\t其他结果\t尚未审结\t总计\t结果维持\t结果纠正\t其他结果\t尚未审结\t总计\n"
            + "\t".join(map(str, SEC4)) + "\n")


def tab_layout(title, signer, blank=None, page_break=False, k=1, year=2023):
    return HEAD.format(title=title, year=year, proactive=406 * k, applications=16 * k) + sec2_tab(k) + "\n" + sec3_tab(page_break, blank, k) + sec4_tab() + TAIL.format(signer=signer, signed=f"{year + 1}年2月6日")


def docx_lines():
    """One cell per line, a tab opening each cell, a blank line closing each row."""
    out = [HEAD.format(title="西吉县吉强镇人民政府2023年政府信息公开工作年度报告", **DEFAULTS), "二、主动公开政府信息情况"]
    def row(*cells):
        return "".join(f"\t{c}\n" for c in cells) + "\n"
    out.append(row("第二十条第（一）项"))
    out.append(row("信息内容", "本年制发件数", "本年废止件数", "现行有效件数"))
    for _, label, v in SEC2:
        out.append(row(label, *v))
    for item, _, label, header, v in SEC2_SINGLE:
        out.append(row(f"第二十条第{item}项"))
        out.append(row("信息内容", header))
        out.append(row(label, v))
    out.append("\n三、收到和处理政府信息公开申请情况\n")
    out.append(row("（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）", "申请人情况"))
    out.append(row("", "自然人", "法人或其他组织", "总计"))
    out.append("\t\n\t\n\t商业\n企业\n\t科研\n机构\n\t社会公益组织\n\t法律服务机构\n\t其他\n\t\n\n")
    for key, group, label, v in SEC3:
        lead = ["三、本年度办理结果"] if key == "granted" else ([""] if group or key not in ("new_received", "carried_over", "carried_forward") else [])
        grp = [group] if group and key != "granted" else []
        out.append(row(*(lead + grp + [label] + v)))
    out.append("\n四、政府信息公开行政复议、行政诉讼情况\n")
    out.append(row("行政复议", "行政诉讼"))
    out.append("\t结果维持\n\t结果\n纠正\n\t其他\n结果\n\t尚未\n审结\n\t总计\n\t未经复议直接起诉\n\t复议后起诉\n\n")
    out.append(row(*SEC4))
    out.append(TAIL.format(signed="2024年2月6日", signer="西吉县吉强镇人民政府"))
    return "".join(out)


def web_scrape():
    """Cells separated by blank lines, a metadata header, a short row with stray template text."""
    cells = ["索  引  号: /2024-00013 生成日期: 2024-01-22", "",
             "静宁县城川镇2023年政府信息公开工作年度报告", "信息来源:静宁县人民政府", "发布时间:2024-01-22 09:30", "",
             HEAD.format(title="", **DEFAULTS).split("\n", 2)[2], "二、主动公开政府信息情况", "第二十条第(一)项", "信息内容", "本年制发件数",
             "本年废止件数", "现行有效件数", "规章", "   1", "0", "   3", "行政规范性文件", " 4", "   1",
             "本单位名义制发数量"]
    for item, _, label, header, v in SEC2_SINGLE:
        cells += [f"第二十条第{item}项", "信息内容", "0", label, f"      {v}"]
    cells += ["三、收到和处理政府信息公开申请情况", "(本列数据的勾稽关系为:第一项加第二项之和,等于第三项加第四项之和)",
              "申请人情况", "自然人", "法人或其他组织", "总计", "商业", "企业", "科研", "机构", "社会公益组织", "法律服务机构", "其他"]
    for key, group, label, v in SEC3:
        if key == "granted":
            cells.append(group)
        elif group:
            cells.append(group)
        cells.append(label)
        cells += [str(x) for x in v]
    cells += ["四、政府信息公开行政复议、行政诉讼情况", "行政复议", "行政诉讼", "结果维持", "结果", "纠正", "其他", "结果",
              "尚未", "审结", "总计", "未经复议直接起诉", "复议后起诉"] + [str(x) for x in SEC4]
    cells += [TAIL.format(signed="2024年2月6日", signer="静宁县城川镇人民政府"), "打印本页 关闭窗口"]
    return "\n\n".join(cells) + "\n"


def markdown_fragmented():
    """PDF converted to markdown: label fragments outside the table, rows without their labels."""
    md = ["# 2023 年武功县普集街道政府信息公开工作", "年度报告", "", HEAD.format(title="", **DEFAULTS).split("\n", 2)[2],
          "二、主动公开政府信息情况", "第二十条第（五）项", "信息内容本年处理决定数量", "行政许可 57",
          "第二十条第（六）项", "信息内容本年处理决定数量", "行政处罚 9", "行政强制 2", "第二十条第（八）项",
          "信息内容本年收费金额（单位：万元）", "行政事业性收费 1.25", "## 表二：第二十条第（一）项",
          "| 信息内容 | 本年制发件数 | 本年废止件数 | 现行有效件数 |", "|---|---|---|---|",
          "| 规章 | 1 | 0 | 3 |", "| 行政规范性文件 | 4 | 1 | 12 |", "", "三、收到和处理政府信息公开申请情况",
          "| 业 | 构 | 益组织 | 务机构 |  |  |  |  |  |", "|---|---|---|---|---|---|---|---|---|"]
    unlabeled = {"partially_granted", "withheld_law_prohibited", "unavailable_not_held", "unavailable_needs_creation",
                 "rejected_duplicate", "other_fee_unpaid"}
    for key, group, label, v in SEC3:
        vals = " | ".join(map(str, v))
        if key in unlabeled:
            half = len(label) // 2
            md += ["", label[:half], label[half:], f"| {vals} |", "|---|---|---|---|---|---|---|"]
        elif key == "granted":
            md.append(f"| 三、 | {label} | {vals} |")
        elif key == "carried_forward":
            md.append(f"| {label} | " + " | ".join(map(str, v[:6])) + " |  |")
        else:
            md.append(f"| {label} | {vals} |")
    md += ["", "四、政府信息公开行政复议、行政诉讼情况", "行政复议行政诉讼", "| 维持 | 纠正 | 结果 | 审结 |",
           "|---|---|---|---|", "| " + " | ".join(map(str, SEC4)) + " |", TAIL.format(signed="2024年2月6日", signer="武功县普集街道办事处")]
    return "\n".join(md) + "\n"


def glued():
    """Crawler text: the body on one line, table cells concatenated without separators."""
    body = HEAD.format(title="", **DEFAULTS).replace("\n", " ")
    t = "二、主动公开政府信息情况第二十条第（一）项 信息内容 本年制发件数 本年废止件数 现行有效件数 "
    t += "".join(f"{label}{''.join(map(str, v))}" for _, label, v in SEC2)
    last = None
    for item, _, label, header, v in SEC2_SINGLE:
        if item != last:
            t += f"第二十条第{item}项信息内容{header}"
            last = item
        t += f"{label}{v}"
    t += " 三、收到和处理政府信息公开申请情况（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和） 申请人情况 自然人 法人或其他组织 总计 商业 企业 科研 机构 社会公益组织 法律服务机构 其他 "
    for key, group, label, v in SEC3:
        t += (f"{group} " if group else "") + f"{label} " + "".join(map(str, v))
    t += " 四、政府信息公开行政复议、行政诉讼情况行政复议 行政诉讼 结果维持结果纠正其他结果尚未审结总计 未经复议直接起诉 复议后起诉 "
    t += " ".join(map(str, SEC4)) + " " + TAIL.format(signed="2024年2月6日", signer="").replace("\n", " ")
    head = "标题: 陇县东风镇2023年政府信息公开工作年度报告\n发布时间: 2024-01-30 10:12\n==================== 正文 ====================\n"
    return head + body + t + "\n"


def expected():
    sec3 = {key: v for key, _, _, v in SEC3}
    return {
        "sec2": {"rules": [1, 0, 3], "normative_docs": [4, 1, 12], "admin_license": [57], "admin_penalty": [9],
                 "admin_coercion": [2], "admin_fees": [1.25]},
        "sec3": sec3,
        "sec4": SEC4,
        "proactive_total": 406,
        "year": 2023,
        # What each layout changes on purpose: cells that differ from the values above.
        "differences": {
            "tab_blank_cell.txt": {"sec3.carried_over.legal_service_org": None},
            "web_scrape.txt": {"sec2.normative_docs.in_force": None},
            "markdown_fragments.md": {"sec3.carried_forward.total": None},
            # 4112 cut into three cells fits 4|1|12, 4|11|2 and 41|1|2, and no identity or narrative
            # number tells them apart: no value rather than a guess.
            "glued.txt": {"sec2.normative_docs.issued": None, "sec2.normative_docs.repealed": None,
                          "sec2.normative_docs.in_force": None},
        },
    }


def main():
    os.makedirs(OUT, exist_ok=True)
    files = {
        "tab_blank_cell.txt": tab_layout("利通区古城镇 2023 年政府信息公开工作年度报告", "利通区古城镇人民政府",
                                         blank=("carried_over", "legal_service_org")),
        "tab_page_break.txt": tab_layout("米易县得石镇人民政府2023年政府信息公开工作年度报告", "米易县得石镇人民政府",
                                         page_break=True),
        "docx_lines.txt": docx_lines(),
        "web_scrape.txt": web_scrape(),
        "markdown_fragments.md": markdown_fragmented(),
        "glued.txt": glued(),
    }
    for name, text in files.items():
        with open(os.path.join(OUT, name), "w", encoding="utf-8") as f:
            f.write(text)
    with open(os.path.join(OUT, "expected.json"), "w", encoding="utf-8") as f:
        json.dump(expected(), f, ensure_ascii=False, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
