"""Masking of personal data (names, phone numbers, ID numbers) for roles and views that may not see it.

Columns that are a name or a phone are masked whole (access.PERSONAL_COLUMNS). Free text a resident wrote or a
unit answered (a request's 诉求内容 and 办理结果, a history note) is masked where it holds personal data: mobile and
landline numbers, ID numbers, and names where the text marks them as names (张先生, 王阿姨, 老李, 联系人：张三).
A name the text does not mark cannot be told from other words and stays; the page says masking is best effort.
"""

import re

# Residents' free text per exported entity: masked for roles that may not see personal data.
TEXT_COLUMNS: dict[str, tuple[str, ...]] = {"requests": ("description", "resolution", "resident")}

# The hundred commonest family names (about 85% of people): a character before an honorific is taken for a family
# name only if it is one of these, so 这位先生 or 楼上阿姨 stay as written.
SURNAMES = ("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
            "姚卢姜崔钟谭陆汪范金石廖贾夏韦付傅方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤")
HONORIFICS = ("先生", "女士", "小姐", "阿姨", "大爷", "大妈", "大娘", "大姐", "大哥", "大叔", "大婶", "师傅", "奶奶",
              "爷爷", "婆婆", "伯伯", "叔叔", "老人")
# Words after which a name follows (居民, 户主 are left out: 居民反映… is not a name).
MARKERS = ("联系人", "姓名", "反映人", "投诉人", "当事人")
# 老张, 小李 only before a pause or 家/说/反映: 小程序, 老方法, 老毛病 are not people.
FAMILIAR_SURNAMES = SURNAMES.replace("于", "").replace("程", "").replace("方", "").replace("毛", "")
HAN = "\u4e00-\u9fff"
_HONORIFIC = "|".join(HONORIFICS)

ID_NUMBER = re.compile(r"(?<![0-9A-Za-z])(?:\d{17}[\dXx]|\d{15})(?![0-9A-Za-z])")
MOBILE = re.compile(r"(?<!\d)(?:\+?86[- ]?)?(1[3-9]\d)[- ]?(\d{4})[- ]?(\d{4})(?!\d)")
LANDLINE = re.compile(r"(?<!\d)(\(0\d{2,3}\)|（0\d{2,3}）|0\d{2,3})([- ]?)(\d{7,8})(?!\d)")
HONORED = re.compile(rf"([{SURNAMES}])([{HAN}]{{0,2}}?)({_HONORIFIC})")
FAMILIAR = re.compile(rf"([老小])([{FAMILIAR_SURNAMES}])(?=[^{HAN}]|$|家|说|反映|讲|的)")
NOT_NAME = "电话|手机|联系|方式|反映|说|称|表示"          # words that end a marked name
MARKED = re.compile(rf"({'|'.join(MARKERS)})([：:\s]*)((?:(?!{NOT_NAME}|{_HONORIFIC})[{HAN}]){{2,3}})")
MASKED = re.compile(rf"\d\*+\d|\*{{2,}}|\*(?:{_HONORIFIC})|[老小]\*")


def mask_name(name: str | None) -> str:
    """张*华 for three characters, 王* for two; the family name and the last character stay."""
    if not name:
        return ""
    if len(name) <= 1:
        return "*"
    if len(name) == 2:
        return name[0] + "*"
    return name[0] + "*" * (len(name) - 2) + name[-1]


def mask_phone(phone: str | None) -> str:
    """138****1234: the carrier prefix and the last four digits stay."""
    if not phone:
        return ""
    digits = phone.strip()
    if len(digits) < 7:
        return "*" * len(digits)
    return digits[:3] + "*" * (len(digits) - 7) + digits[-4:]


def _landline(m: re.Match[str]) -> str:
    """0851-******45: the area code and the last two digits stay."""
    number = m.group(3)
    return m.group(1) + m.group(2) + "*" * (len(number) - 2) + number[-2:]


def mask_text(text: str | None) -> str:
    """Free text with the personal data in it masked: 138****5678, 520***********1234, *先生, 老*, 联系人：**."""
    if not text:
        return ""
    out = ID_NUMBER.sub(lambda m: mask_phone(m.group(0)), text)
    out = MOBILE.sub(lambda m: mask_phone("".join(m.groups())), out)
    out = LANDLINE.sub(_landline, out)
    out = MARKED.sub(lambda m: m.group(1) + m.group(2) + "*" * len(m.group(3)), out)
    out = HONORED.sub(lambda m: "*" * (1 + len(m.group(2))) + m.group(3), out)
    return FAMILIAR.sub(lambda m: m.group(1) + "*", out)


def looks_masked(text: str) -> bool:
    """Whether text holds what mask_text leaves (138****5678, *先生, 老*): re-imported, it would overwrite the
    real text."""
    return MASKED.search(text) is not None
