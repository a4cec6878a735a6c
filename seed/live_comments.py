"""The demo's comment import: one export of community A's latest livestream (84 comments, written as residents
write them), stored as the comment import stores it, with a candidate in every status: 快递堆放 accepted (linked to
one of that livestream's demo requests, whose 附议 and source it sets), 夜间直播噪音 and others pending, a second
垃圾清运 candidate merged into the first, a shopping question discarded.

The same comments are the example file the page offers (示例文件): `example_export()` writes them as a 抖音 export,
unmasked (the phone numbers are made up) so a user sees the import mask them."""

import datetime as dt
import hashlib
import io

import numpy as np
import xlsxwriter

from dashboard.comments import rules
from seed.common import Columns

STARTS = dt.time(19, 0)
# (seconds after the start, nickname, text as written, group): a chatter group is the rule that sets it aside.
COMMENTS: list[tuple[int, str, str, str]] = [
    (5, "小区王阿姨", "主播好", "greeting"), (9, "快乐的小鱼", "大家好", "greeting"),
    (12, "3栋老李", "来了", "greeting"),
    (20, "向日葵", "晚上好", "greeting"), (31, "阿强", "666", "applause"), (40, "楼下张姐", "支持", "applause"),
    (55, "清风", "快递全堆在2号楼楼道门口，老人推车都过不去", "parcel"),
    (61, "阳光男孩", "楼道口的快递堆成山了，谁管管", "parcel"),
    (70, "糖糖", "快递员每天把包裹堆在楼道门口，走路都要绕", "parcel"),
    (84, "老周", "+1", "applause"), (90, "晨跑的猫", "加油", "applause"),
    (102, "二单元住户", "楼道门口快递堆放太多了，消防通道都堵了", "parcel"),
    (115, "小米粥", "快递堆在楼道里没人管，能不能设个快递点", "parcel"),
    (130, "夜猫子", "隔壁楼有人天天晚上直播，十一点还在喊麦", "noise"),
    (141, "失眠的人", "晚上直播太吵了，孩子睡不着觉", "noise"),
    (150, "蓝天", "赞", "applause"), (158, "哈哈", "哈哈哈", "applause"),
    (166, "5栋小陈", "快递堆在楼道门口真的没法走路，电话13800001234", "parcel"),
    (175, "宝妈一枚", "夜里直播带货声音太大，吵得睡不着", "noise"),
    (190, "老刘头", "我们楼的路灯坏了两个星期了", "light"),
    (203, "广场舞队长", "小区路灯坏了晚上黑乎乎的，老人摔了一跤", "light"),
    (210, "星星", "👍", "applause"), (216, "小王", "好", "applause"),
    (224, "跑腿小哥", "东门那边的路灯不亮，晚上回家很害怕", "light"),
    (238, "垃圾分类志愿者", "垃圾桶满了两天都没人清运，味道很大", "trash"),
    (247, "老街坊", "垃圾站好几天没清了，夏天臭得不行", "trash"),
    (255, "树叶", "支持支持", "applause"), (262, "路人甲", "来了来了", "greeting"),
    (270, "一楼住户", "垃圾桶满出来了也没人来收", "trash"),
    (283, "电动车骑手", "楼道里有人给电动车充电，拉飞线，太危险了", "ebike"),
    (295, "消防迷", "电动车在楼道充电太危险，能不能装个充电桩", "ebike"),
    (301, "小鹿", "晚上直播吵到凌晨，能不能规定个时间", "noise"),
    (315, "学电商的小张", "电商直播培训什么时候报名？", "training"),
    (322, "想学带货", "直播带货培训在哪里报名啊", "training"),
    (330, "豆豆", "主播这件衣服在哪买的", "shopping"),
    (338, "爱美丽", "主播衣服哪里买的，求链接", "shopping"),
    (345, "隔壁老王", "哈哈哈哈", "applause"), (351, "小花", "❤", "applause"),
    (360, "6栋住户", "快递能不能统一放到大门口的快递柜", "parcel"),
    (372, "退休教师", "楼道口快递乱堆，上周有老人被绊倒", "parcel"),
    (380, "老刘头", "路灯的事情谁负责？报修好几次了", "light"),
    (392, "新来的", "垃圾清运能不能每天一次", "trash2"),
    (398, "黄先生", "垃圾每天清运一次就好了，现在两三天才来", "trash2"),
    (405, "阿杰", "直播太吵了，晚上十点以后能不能别直播", "noise"),
    (413, "开心果", "6", "too_short"), (420, "喵喵", "嗯", "too_short"),
    (432, "社区志愿者小赵", "建议在门口设快递代收点，大家都方便", "parcel"),
    (444, "老年大学", "想报名电商培训，老年人能参加吗", "training"),
    (452, "妈妈", "路灯坏了孩子晚上放学回家不安全", "light"),
    (460, "夜班工人", "白天睡觉的人也被直播吵，能不能限制时间", "noise"),
    (471, "小林", "电动车充电桩什么时候能装", "ebike"),
    (480, "吃瓜群众", "哈哈", "applause"), (486, "大刘", "支持", "applause"),
    (495, "三楼", "快递堆在楼道，丢了好几个包裹了", "parcel"),
    (503, "刘奶奶", "垃圾桶旁边老鼠很多，要多清理", "trash"),
    (515, "健身达人", "小区健身器材坏了好久了", "fitness"),
    (522, "晨练", "健身器材坏了没人修，单杠都松了", "fitness"),
    (530, "小雨", "主播辛苦了", "greeting"), (536, "路过", "晚上好呀", "greeting"),
    (545, "2号楼业主", "2号楼楼道的快递什么时候能清走", "parcel"),
    (556, "王大爷", "夜里直播的声音太大，老人心脏受不了", "noise"),
    (563, "青青", "东门路灯和北门路灯都不亮", "light"),
    (571, "果果", "点赞", "applause"), (577, "米米", "666666", "applause"),
    (590, "李师傅", "物业电话打不通，0571-88001234一直没人接", "property"),
    (602, "业主小吴", "物业电话一直打不通，有事找不到人", "property"),
    (614, "摄影爱好者", "电动车在楼道里充电，晚上担心起火", "ebike"),
    (625, "老张", "快递柜不够用，包裹只能堆地上", "parcel"),
    (633, "小周", "来了", "greeting"), (640, "大家好", "大家好！", "greeting"),
    (652, "陈阿姨", "晚上直播喊麦声音太大了，能不能管管", "noise"),
    (664, "培训学员", "上次电商培训没赶上，还有下一期吗", "training"),
    (672, "阿芳", "垃圾分类的桶不够，都混在一起了", "trash"),
    (685, "老孙", "楼道的快递堆放问题说了好几次了", "parcel"),
    (693, "豆豆妈", "赞赞赞", "applause"), (700, "一一", "好的", "applause"),
    (712, "学生", "路灯坏了晚自习回来太黑", "light"),
    (725, "老钱", "健身区的器材能不能换新的", "fitness"),
    (734, "小可爱", "哈哈哈哈哈", "applause"), (740, "路人乙", "支持一下", "applause"),
    (751, "夜归人", "直播吵到半夜一点，报警也没用", "noise"),
    (763, "宝爸", "快递点放在大门口最好，别堆楼道", "parcel"),
    (772, "主播粉丝", "主播再见", "greeting"), (780, "散场", "下次见", "greeting"),
]
CHATTER = {"greeting", "applause", "too_short"}
# The candidates and their demo status, largest first (as the import orders them).
STATUS = {"parcel": "accepted", "noise": "pending", "light": "pending", "trash": "pending", "ebike": "pending",
          "training": "pending", "trash2": "merged", "fitness": "pending", "property": "pending",
          "shopping": "discarded"}
CATEGORY = {"parcel": "parcel_stacking", "noise": "livestream_noise", "light": "public_facilities",
            "trash": "public_facilities", "trash2": "public_facilities", "ebike": "public_facilities",
            "training": "training", "fitness": "public_facilities", "property": "other", "shopping": None}
PLATFORM_HEADER = ("评论时间", "抖音号", "用户昵称", "评论内容")        # as 抖音 exports them


def _masked(text: str) -> str:
    """Masked as the import masks what it stores."""
    return rules.mask(text)


def _at(day: dt.date, seconds: int) -> dt.datetime:
    return dt.datetime.combine(day, STARTS) + dt.timedelta(seconds=seconds)


def comment_import(comm: Columns, streams: dict[str, Columns]) -> dict[str, Columns]:
    """The batch, its candidates and comments for community A's latest livestream; sets the accepted candidate's
    request (one of that livestream's) to come from the comments, with its 附议."""
    sess = streams["livestream_session"]
    community_a = comm["id"][0]
    latest = max((i for i, c in enumerate(sess["community_id"]) if c == community_a),
                 key=lambda i: (str(sess["held_on"][i]), sess["id"][i]))
    session_id, day = int(sess["id"][latest]), dt.date.fromisoformat(str(sess["held_on"][latest]))
    groups = [g for g in dict.fromkeys(g for *_, g in COMMENTS) if g not in CHATTER]
    members = {g: [i for i, c in enumerate(COMMENTS) if c[3] == g] for g in groups}
    groups.sort(key=lambda g: (-len(members[g]), members[g][0]))
    cand_id = {g: n for n, g in enumerate(groups, start=1)}
    req = streams["request"]
    # The accepted candidate (parcels) became one of the livestream's parcel-stacking requests (user test: it
    # named a sanitation request); failing one, the livestream's first.
    in_stream = [i for i, s in enumerate(req["session_id"]) if int(s) == session_id]
    request_row = next((i for i in in_stream if req["category"][i] == "parcel_stacking"), in_stream[0])
    candidates: Columns = {k: [] for k in ("id", "batch_id", "label", "category", "comments", "endorsements",
                                           "first_at", "status", "merged_into_id", "request_id", "decided_by",
                                           "decided_at", "version")}
    decided = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(2), dt.UTC)
    for g in groups:
        status, rows = STATUS[g], members[g]
        candidates["id"].append(cand_id[g])
        candidates["batch_id"].append(1)
        candidates["label"].append(_masked(COMMENTS[rows[0]][2]))
        candidates["category"].append(CATEGORY[g])
        candidates["first_at"].append(_at(day, COMMENTS[rows[0]][0]))
        candidates["status"].append(status)
        candidates["merged_into_id"].append(cand_id["trash"] if status == "merged" else None)
        candidates["request_id"].append(int(req["id"][request_row]) if status == "accepted" else None)
        candidates["decided_by"].append(None if status == "pending" else "demo_sw")
        candidates["decided_at"].append(None if status == "pending" else decided)
        candidates["version"].append(1 if status == "pending" else 2)
        # A merged candidate keeps its own counts; its comments moved to the one it was merged into.
        n = len(rows) + (len(members["trash2"]) if g == "trash" else 0)
        candidates["comments"].append(n)
        candidates["endorsements"].append(n - 1)
    owner = {i: cand_id["trash" if g == "trash2" else g] for g in groups for i in members[g]}
    comments: Columns = {
        "id": list(range(1, len(COMMENTS) + 1)), "batch_id": [1] * len(COMMENTS),
        "seq": list(range(1, len(COMMENTS) + 1)),
        "said_at": [_at(day, s) for s, *_ in COMMENTS], "nickname": [_masked(n) for _, n, _, _ in COMMENTS],
        "text": [_masked(t) for _, _, t, _ in COMMENTS],
        "chatter_rule": [g if g in CHATTER else None for *_, g in COMMENTS],
        "candidate_id": [owner.get(i) for i in range(len(COMMENTS))],
    }
    chatter = sum(1 for *_, g in COMMENTS if g in CHATTER)
    # Not the example file's hash: a user may try the example file on this livestream.
    batch: Columns = {"id": [1], "session_id": [session_id], "platform": ["douyin"], "filename": ["评论导出.xlsx"],
                      "sha256": [hashlib.sha256(f"demo {day}".encode()).hexdigest()], "total": [len(COMMENTS)],
                      "chatter": [chatter], "uploaded_by": ["demo_sw"],
                      "uploaded_at": [decided - dt.timedelta(hours=1)]}
    accepted = candidates["endorsements"][groups.index("parcel")]
    _from_comments(req, request_row, accepted, _at(day, COMMENTS[members["parcel"][0]][0]))
    return {"comment_batch": batch, "comment_candidate": candidates, "livestream_comment": comments}


def _from_comments(req: Columns, row: int, endorsements: int, first: dt.datetime) -> None:
    """The accepted candidate's request: raised from the comments, its 附议 the candidate's."""
    n = len(req["id"])
    for column, default in (("source", "typed"), ("raised_at", None)):
        if column not in req:
            req[column] = [default] * n
        elif not isinstance(req[column], list):
            req[column] = list(req[column])
    req["endorsements"] = np.asarray(req["endorsements"]).tolist()     # plain ints, not numpy scalars
    req["source"][row] = "comments"
    req["raised_at"][row] = first.replace(tzinfo=dt.timezone(dt.timedelta(hours=8))).astimezone(dt.UTC)
    req["endorsements"][row] = endorsements


def example_export(day: dt.date = dt.date(2026, 11, 23)) -> bytes:
    """The comments as a 抖音 comment export (.xlsx), to try the import with."""
    out = io.BytesIO()
    book = xlsxwriter.Workbook(out, {"in_memory": True})
    sheet = book.add_worksheet("评论")
    sheet.write_row(0, 0, PLATFORM_HEADER)
    for r, (seconds, nickname, text, _) in enumerate(COMMENTS, start=1):
        sheet.write_row(r, 0, (_at(day, seconds).strftime("%Y-%m-%d %H:%M:%S"), f"dy{48213907 + 7919 * r}", nickname,
                               text))
    sheet.set_column(0, 0, 20)
    sheet.set_column(1, 2, 16)
    sheet.set_column(3, 3, 60)
    book.close()
    return out.getvalue()
