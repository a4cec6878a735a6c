"""The visible rules: what counts as chatter, the personal data masked in comment text and nicknames, and the
cleaning every comment gets before it is stored (control characters out, one line, at most 500 characters).

Each chatter rule has a code; the page shows its name (i18n `live.chatter.<code>`) and what it matches in words
(`live.chatter.<code>.rule`). A rule's pattern is matched against the comment's *core*: the text in lower case with
spaces, punctuation, symbols and emoji taken out, so "主播好！！👏" and "主播 好" are the same greeting."""

import re
import unicodedata
from collections.abc import Callable

from dashboard.comments.grouping import guess_category

MAX_TEXT = 500
MAX_NICKNAME = 100

# The words chatter is made of. Repeats do not matter: runs of one character count once (哈哈哈 is 哈, 666 is 6).
NAMES = ("主播", "老师", "书记", "主任", "大家", "各位", "家人们", "姐妹们", "兄弟们", "宝宝们", "朋友们", "宝子们",
         "美女", "帅哥", "小姐姐", "小哥哥", "姐姐", "哥哥", "老铁", "老铁们", "你们", "你", "您")
HELLO = ("好", "你好", "您好", "你们好", "晚上好", "早上好", "中午好", "下午好", "早", "晚安", "辛苦了", "哈喽", "嗨",
         "再见", "拜拜", "下次见", "明天见", "下周见", "下期见",
         "hello", "hi", "hey")
ARRIVED = ("来了", "我来了", "来啦", "我来啦", "来喽", "刚来", "报到", "报道", "打卡", "签到", "路过", "进来了",
           "又来了", "准时来了", "第一", "前排", "沙发")
APPLAUSE = ("支持", "支持一下", "一下", "点赞", "赞", "加油", "好", "好的", "棒", "真棒", "厉害", "牛", "哈", "嘿",
            "呵", "嘻", "嗯", "哇",
            "ok", "收到", "真好", "说得好", "说得对", "讲得好", "太好了", "有道理", "同意", "顶", "给力", "好评",
            "学到了", "明白了", "懂了", "yyds", *"0123456789")
PARTICLES = tuple("呀啊哦哈呢吖鸭啦哇噢喔嘛了")
SHOPPING = ("多少钱", "什么价", "价格", "链接", "上车", "下单", "拍了", "拍下", "包邮", "优惠券", "怎么买", "在哪买",
            "哪里买", "小黄车", "橱窗", "福袋", "抽奖", "秒杀", "还有货", "有货吗", "库存", "几号", "求购")
SHOPPING_MAX = 40                     # a longer comment that mentions buying is about something else too


def _alternatives(*words: tuple[str, ...]) -> str:
    return "|".join(sorted({w for group in words for w in group}, key=lambda w: (-len(w), w)))


# (code, pattern). The page shows each rule's name and, in words, what it matches (i18n); the pattern is what the
# rule is made of: "symbols" and "too_short" match the whole core, "greeting" and "applause" a core made wholly of
# their words (checked word by word, so no comment can make the check slow), "shopping" one of its words anywhere.
# Order matters: the first rule that matches names the comment.
CHATTER_RULES: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("symbols", re.compile(r"")),
    ("greeting", re.compile(f"(?:{_alternatives(NAMES, HELLO, ARRIVED, PARTICLES)})+")),
    ("applause", re.compile(f"(?:{_alternatives(NAMES, APPLAUSE, PARTICLES)})+")),
    ("shopping", re.compile(_alternatives(SHOPPING))),
    ("too_short", re.compile(r".{1,2}")),
)
CHATTER_CODES = tuple(code for code, _ in CHATTER_RULES)
_RUNS = re.compile(r"(.)\1+")


def _collapse(text: str) -> str:
    return _RUNS.sub(r"\1", text)


def _vocabulary(main: tuple[str, ...], extra: tuple[str, ...]) -> tuple[dict[str, bool], int]:
    """Each word (collapsed) -> whether it is one of the rule's own words (not a name or a particle)."""
    words = {_collapse(w): False for w in extra}
    words.update({_collapse(w): True for w in main})
    return words, max(map(len, words))


_MADE_OF = {"greeting": _vocabulary(HELLO + ARRIVED, NAMES + PARTICLES),
            "applause": _vocabulary(APPLAUSE, NAMES + PARTICLES)}


def _made_of(words: str, vocabulary: dict[str, bool], longest: int) -> bool:
    """Whether `words` splits wholly into the vocabulary, with one of the rule's own words among them: names and
    particles alone are not applause. A word-by-word check (time linear in the length), never a backtracking one."""
    n = len(words)
    reach = [0] * (n + 1)             # bit 1: reachable; bit 2: reachable with one of the rule's own words
    reach[0] = 1
    for i in range(n):
        if not reach[i]:
            continue
        for j in range(i + 1, min(n, i + longest) + 1):
            own = vocabulary.get(words[i:j])
            if own is not None:
                reach[j] |= reach[i] | (2 if own else 0)
    return reach[n] & 3 == 3


def core(text: str) -> str:
    """The words of a comment: lower case, without spaces, punctuation, symbols or emoji."""
    return "".join(ch for ch in text.lower() if unicodedata.category(ch)[0] in "LN")


def chatter_rule(text: str) -> str | None:
    """The code of the first chatter rule the comment matches, or None when it may be a request. Shopping talk and
    very short comments count as chatter only when they name nothing a request is about: "我下单的快递被扔在楼道"
    and "噪音" stay."""
    words = core(text)
    if not words:
        return "symbols"
    collapsed = _collapse(words)
    for code in ("greeting", "applause"):
        if _made_of(collapsed, *_MADE_OF[code]):
            return code
    if len(words) <= SHOPPING_MAX and CHATTER_RULES[3][1].search(words) and guess_category(text) is None:
        return "shopping"
    if len(words) <= 2 and guess_category(text) is None:
        return "too_short"
    return None


# --- personal data -------------------------------------------------------------------------------------------------
# One space, dash, dot or middle dot between digit groups ("138 1234 5678", "138.1234.5678", "6222-0200-...").
_SEP = r"[ .·\-]?"
ID_NUMBER = re.compile(rf"(?<![0-9A-Za-z])(\d{{6}}{_SEP}\d{{8}}{_SEP}\d{{3}}[\dXx]|\d{{15}})(?![0-9A-Za-z])")
# A number read out in Chinese numerals (一三八一二三四五六七八): seven digits or more is a phone number, not a count.
CN_DIGITS = re.compile(r"[零〇一二三四五六七八九幺]{7,}")
BANK_CARD = re.compile(rf"(?<![\d])\d(?:{_SEP}\d){{15,18}}(?![\d])")
MOBILE = re.compile(rf"(?<![\d+])(?:(?:\+|00)?86{_SEP})?1[3-9]\d(?:{_SEP}\d){{8}}(?![\d])")
LANDLINE = re.compile(r"(?<![\d])(?:\(0\d{2,3}\)|0\d{2,3})[ \-]?\d{7,8}(?![\d])")
LONG_DIGITS = re.compile(rf"(?<![\d])\d(?:{_SEP}\d){{9,}}(?![\d])")         # any other run of 10 digits or more
_NUM = r"(?:\d+|[一二三四五六七八九十百零〇两]+)"
ADDRESS = (
    re.compile(r"(?<![\d\-])\d{1,3}-\d{1,3}-\d{2,4}(?![\d\-])"),                     # 3-2-501: 栋-单元-室
    re.compile(rf"(?<![月\d一二三四五六七八九十百零〇两]){_NUM}\s*(号楼|栋|幢|座|单元|室|房|户|号院|号|弄|层|楼)"),
    re.compile(r"(?<=[栋幢座])\s*\d{2,5}(?![\d号])"),                                  # 12栋1203, B座1203
    re.compile(r"(单元|门牌号?|房号?|房间号?)\s*[:：]?\s*\d+"),
)


def _mobile(m: re.Match[str]) -> str:
    digits = re.sub(r"\D", "", m.group(0))[-11:]
    return digits[:3] + "****" + digits[-4:]


def _keep_last(keep: int) -> Callable[[re.Match[str]], str]:
    def sub(m: re.Match[str]) -> str:
        digits = re.sub(r"[^\dXx]", "", m.group(0))
        return "*" * (len(digits) - keep) + digits[len(digits) - keep:]
    return sub


def _id_number(m: re.Match[str]) -> str:
    digits = re.sub(r"[^\dXx]", "", m.group(0))
    return digits[:3] + "*" * (len(digits) - 5) + digits[-2:]


def _address(m: re.Match[str]) -> str:
    return re.sub(r"\d+|[一二三四五六七八九十百零〇两]+", "*", m.group(0))


def mask(text: str) -> str:
    """Phone numbers (mobile, with +86, spaces or dashes; landlines), ID numbers (18 digits or 17 and X; old
    15-digit ones), bank-card-like digit runs, and house numbers (3栋2单元501室, 人民路18号, 门牌12号) replaced by
    asterisks; a mobile number keeps its first three and last four digits, as Chinese services show them."""
    text = ID_NUMBER.sub(_id_number, text)
    text = CN_DIGITS.sub(lambda m: "*" * len(m.group(0)), text)
    text = BANK_CARD.sub(_keep_last(4), text)
    text = MOBILE.sub(_mobile, text)
    text = LANDLINE.sub(lambda m: re.sub(r"\d{7,8}$", lambda d: "*" * len(d.group(0)), m.group(0)), text)
    text = LONG_DIGITS.sub(_keep_last(2), text)
    for pattern in ADDRESS:
        text = pattern.sub(_address, text)
    return text


_KEEP_FORMAT = {"\u200d"}                 # the zero-width joiner holds emoji sequences (👨‍👩‍👧) together
_SPACES = re.compile(r"\s+")


def clean(text: str, limit: int = MAX_TEXT) -> str:
    """One line of printable text: control and format characters (NUL, ESC, right-to-left marks, zero-width
    spaces) removed, line breaks and tabs made spaces, runs of spaces one, at most `limit` characters; personal
    data masked before the cut, so a number the cut would split is masked whole."""
    text = text[: limit * 4]
    kept = "".join(ch if ch in _KEEP_FORMAT or unicodedata.category(ch) not in ("Cc", "Cf", "Cs", "Co", "Cn")
                   else (" " if ch in "\n\r\t\v\f\x85" else "") for ch in text)
    return mask(_SPACES.sub(" ", kept).strip())[:limit].strip()
