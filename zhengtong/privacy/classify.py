"""Column classification and grade suggestion.

A column is classified from its header (Chinese and English vocabulary) and a sample of its values
(the share of values that are one identifier of a detector kind, or that look like a person's name,
an address, a date). The grade follows the Zhejiang levels L1-L4 (DB33/T 2351), which map to the
GB/T 43697-2024 一般数据 levels 1-4 (shared/reference/datasec.md, "Field type -> level"). 核心 and
重要 data are declared by the publisher, never detected. The publisher confirms or overrides every
suggestion (the catalogue audits that). What a grade allows lives in ``privacy.grades``.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import NamedTuple

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from zhengtong.privacy.detectors import KINDS, detect

__all__ = [
    "CATEGORIES",
    "CATEGORY_GRADE",
    "CATEGORY_LABELS",
    "ColumnClass",
    "classify_column",
    "classify_table",
]

CATEGORIES = (*KINDS, "person_name", "address", "birth_date", "free_text", "none")

CATEGORY_LABELS = {
    "resident_id": gettext_lazy("Resident ID number"),
    "uscc": gettext_lazy("Unified social credit code"),
    "org_code": gettext_lazy("Organization code"),
    "bank_card": gettext_lazy("Bank card number"),
    "mobile": gettext_lazy("Mobile number"),
    "landline": gettext_lazy("Landline number"),
    "email": gettext_lazy("E-mail address"),
    "ipv4": gettext_lazy("IPv4 address"),
    "ipv6": gettext_lazy("IPv6 address"),
    "plate": gettext_lazy("Licence plate"),
    "passport": gettext_lazy("Passport number"),
    "hk_macao_permit": gettext_lazy("Hong Kong/Macao permit"),
    "person_name": gettext_lazy("Person's name"),
    "address": gettext_lazy("Address"),
    "birth_date": gettext_lazy("Birth date"),
    "free_text": gettext_lazy("Free text"),
    "none": gettext_lazy("No personal data"),
}

# Suggested grade per category (datasec.md: ID/passport/bank card 一般4级 -> L4; phone, address,
# name, birth date -> L3; registration codes of legal persons are published -> L1).
CATEGORY_GRADE: dict[str, str] = {
    "resident_id": "L4",
    "passport": "L4",
    "hk_macao_permit": "L4",
    "bank_card": "L4",
    "mobile": "L3",
    "email": "L3",
    "ipv4": "L3",
    "ipv6": "L3",
    "plate": "L3",
    "person_name": "L3",
    "address": "L3",
    "birth_date": "L3",
    "landline": "L2",
    "free_text": "L2",
    "uscc": "L1",
    "org_code": "L1",
    "none": "L1",
}


class ColumnClass(NamedTuple):
    category: str
    grade: str
    confidence: float
    reason: str

    def as_dict(self) -> dict:
        return {
            "category": self.category,
            "grade": self.grade,
            "confidence": self.confidence,
            "reason": self.reason,
        }


# Header vocabulary, most specific first ("法定代表人身份证号" is an ID, not a name). Matched as
# substrings of the lower-cased header with spaces, "_" and "-" removed.
_HEADER_VOCAB: tuple[tuple[str, tuple[str, ...]], ...] = (
    (
        "resident_id",
        (
            "身份证",
            "证件号",
            "公民身份号码",
            "居民身份",
            "idcard",
            "idno",
            "idnumber",
            "residentid",
            "citizenid",
            "sfz",
        ),
    ),
    ("passport", ("护照", "passport")),
    ("hk_macao_permit", ("通行证", "回乡证", "permit")),
    ("uscc", ("统一社会信用代码", "信用代码", "uscc", "creditcode", "socialcredit")),
    ("org_code", ("组织机构代码", "机构代码", "orgcode", "organizationcode")),
    ("bank_card", ("银行卡", "银行账号", "卡号", "账号", "bankcard", "cardno", "bankaccount", "accountno")),
    ("email", ("邮箱", "电子邮件", "电邮", "email", "=mail")),
    ("mobile", ("手机", "移动电话", "mobile", "cellphone")),
    ("landline", ("固定电话", "固话", "座机", "landline", "fax", "传真")),
    ("phone", ("电话", "联系方式", "phone", "=tel", "=telno", "=contacttel")),
    ("ipv4", ("ip地址", "ipaddress", "=ip", "=ipaddr", "=ipv4", "=ipv6", "=clientip", "=sourceip")),
    ("plate", ("车牌", "号牌", "plate", "licenceplate", "licenseplate")),
    ("birth_date", ("出生日期", "出生年月", "生日", "birth", "dob")),
    ("address", ("地址", "住址", "住所", "户籍地", "居住地", "address", "addr", "domicile")),
    (
        "person_name",
        (
            "姓名",
            "法定代表人",
            "法人代表",
            "负责人",
            "联系人",
            "申请人",
            "户主",
            "fullname",
            "personname",
            "legalrep",
            "legalrepresentative",
            "contactname",
            "=contact",
            "applicant",
            "=name",
            "=realname",
        ),
    ),
    (
        "free_text",
        (
            "备注",
            "描述",
            "内容",
            "说明",
            "诉求",
            "意见",
            "remark",
            "description",
            "comment",
            "note",
            "content",
        ),
    ),
)
_NOT_PERSON_HEADERS = (
    "企业名称",
    "单位名称",
    "机构名称",
    "名称",
    "companyname",
    "entname",
    "orgname",
    "title",
)

# Common Chinese surnames (about 200, covering the great majority of the population) and
# compound surnames.
COMMON_SURNAMES = frozenset(
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟"
    "谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤常温康施文牛樊葛邢安"
    "齐易乔伍庞颜倪庄聂章鲁岳翟殷詹申欧耿关兰焦俞左柳甘祝包宁尚符舒阮柯纪梅童凌毕单季裴霍涂成苗谷盛曲翁冉骆蓝路游辛"
    "靳管柴蒙鲍华喻祁蒲房滕屈饶解牟艾尤阳时穆农司卓古吉缪简车项连芦麦褚娄窦戚岑景党宫费卜冷晏席卫米柏宗瞿桂全佟应臧"
    "闵苟邬边卞姬师和仇栾隋商刁沙荣巫寇桑郎甄丛仲虞敖巩明佘池查麻苑迟邝"
)
COMPOUND_SURNAMES = frozenset(
    [
        "欧阳",
        "司马",
        "上官",
        "诸葛",
        "东方",
        "皇甫",
        "尉迟",
        "公孙",
        "慕容",
        "长孙",
        "宇文",
        "司徒",
        "令狐",
        "夏侯",
    ]
)
_HAN = re.compile(r"[\u4e00-\u9fff·]+")
_NAME_BAD = frozenset("省市区县路街号村镇乡公司局厅委办院所站中心有限集团")
_ADDRESS_TOKENS = frozenset("省市区县旗镇乡街道路巷弄号村组栋幢室楼单元")
_DATE_RE = re.compile(
    r"(1[89][0-9]{2}|20[0-9]{2})[-/.年]?(0?[1-9]|1[0-2])[-/.月]?(0?[1-9]|[12][0-9]|3[01])日?"
)


def looks_like_person_name(value: str) -> bool:
    """2-4 Han characters starting with a common surname (or 2-6 with a compound one)."""
    if not _HAN.fullmatch(value) or any(char in _NAME_BAD for char in value):
        return False
    if value[:2] in COMPOUND_SURNAMES:
        return 3 <= len(value) <= 6
    return 2 <= len(value) <= 4 and value[0] in COMMON_SURNAMES


def looks_like_address(value: str) -> bool:
    """At least three address tokens (省市区县路号...) in a text of 6+ characters."""
    if len(value) < 6:
        return False
    return sum(1 for char in value if char in _ADDRESS_TOKENS) >= 3


def looks_like_date(value: object) -> bool:
    if isinstance(value, (date, datetime)):
        return True
    return bool(_DATE_RE.fullmatch(str(value)))


def _header_hint(name: str) -> str | None:
    """The category a header names, or None. Words starting with "=" must be the whole header."""
    key = re.sub(r"[\s_\-.]+", "", str(name).lower())
    for category, words in _HEADER_VOCAB:
        for word in words:
            hit = key == word[1:] if word.startswith("=") else word in key
            if not hit:
                continue
            if category == "person_name" and any(bad in key for bad in _NOT_PERSON_HEADERS):
                return None
            if category == "ipv4" and "ipv6" in key:
                return "ipv6"
            return category
    return None


def _make(category: str, confidence: float, reason: str) -> ColumnClass:
    return ColumnClass(category, CATEGORY_GRADE[category], round(min(max(confidence, 0.0), 1.0), 2), reason)


def _pct(share: float) -> str:
    return f"{share:.0%}"


def classify_column(name: str, values: list[str | None]) -> ColumnClass:
    """Suggest a category and grade for a column from its header and a sample of its values."""
    hint = _header_hint(name)
    sample = []
    for value in values[:500]:
        if value is None:
            continue
        if isinstance(value, (date, datetime)):
            sample.append(value)
            continue
        text = str(value).strip()
        if text:
            sample.append(text)
    texts = [v for v in sample if isinstance(v, str)]
    n = len(sample)
    if n == 0:
        if hint and hint != "phone":
            return _make(
                hint,
                0.5,
                _("header “%(name)s” suggests “%(category)s”; no values to check")
                % {
                    "name": name,
                    "category": hint,
                },
            )
        if hint == "phone":
            return _make(
                "mobile",
                0.5,
                _("header “%(name)s” suggests a phone number; no values to check") % {"name": name},
            )
        return _make("none", 0.3, _("no values to check and the header says nothing"))

    # Identifier kinds: a value that is exactly one identifier (valid or suspected).
    whole: dict[str, int] = {}
    valid: dict[str, int] = {}
    inside = 0  # identifiers found inside longer texts
    for text in texts:
        findings = detect(text)
        if not findings:
            continue
        first = findings[0]
        if len(findings) == 1 and first.start == 0 and first.end == len(text):
            whole[first.kind] = whole.get(first.kind, 0) + 1
            if first.valid:
                valid[first.kind] = valid.get(first.kind, 0) + 1
        else:
            inside += 1
    if whole:
        kind = max(whole, key=whole.get)
        share = whole[kind] / n
        header_agrees = hint == kind or (hint == "phone" and kind in ("mobile", "landline"))
        if share >= 0.5 or (header_agrees and share >= 0.2):
            confidence = share * (1.0 if header_agrees else 0.9) + (0.1 if header_agrees else 0.0)
            reason = _("%(share)s of %(n)s sample values are a “%(category)s” (%(valid)s pass its check)") % {
                "share": _pct(share),
                "n": n,
                "category": CATEGORY_LABELS[kind],
                "valid": _pct(valid.get(kind, 0) / n),
            }
            if header_agrees:
                reason += "; " + _("the header “%(name)s” agrees") % {"name": name}
            return _make(kind, confidence, reason)

    if hint == "birth_date" or hint is None:
        share = sum(1 for v in sample if looks_like_date(v)) / n
        if hint == "birth_date" and share >= 0.5:
            return _make(
                "birth_date",
                0.5 + share / 2,
                _("header “%(name)s” names a birth date and %(share)s of the sample values are dates")
                % {"name": name, "share": _pct(share)},
            )

    names = sum(1 for v in texts if looks_like_person_name(v)) / n
    if hint == "person_name" and names >= 0.5:
        return _make(
            "person_name",
            0.5 + names / 2,
            _("header “%(name)s” names a person and %(share)s of the sample values look like Chinese names")
            % {"name": name, "share": _pct(names)},
        )
    addresses = sum(1 for v in texts if looks_like_address(v)) / n
    if hint == "address" and addresses >= 0.3:
        return _make(
            "address",
            0.5 + addresses / 2,
            _("header “%(name)s” names an address and %(share)s of the sample values look like addresses")
            % {"name": name, "share": _pct(addresses)},
        )
    if names >= 0.8:
        return _make(
            "person_name",
            names * 0.7,
            _("%(share)s of the sample values look like Chinese personal names (surname list)")
            % {"share": _pct(names)},
        )
    if addresses >= 0.6:
        return _make(
            "address",
            addresses * 0.7,
            _("%(share)s of the sample values look like addresses (省/市/区/路/号 tokens)")
            % {"share": _pct(addresses)},
        )
    avg_len = sum(len(v) for v in texts) / max(len(texts), 1)
    if inside or hint == "free_text" or (texts and avg_len >= 30 and len(texts) >= n / 2):
        reason = _("free text (average %(len)d characters)") % {"len": avg_len}
        if inside:
            reason += "; " + _("identifiers found inside %(count)s sample values") % {"count": inside}
        return _make("free_text", 0.9 if inside else 0.6, reason)
    if hint == "phone":
        hint = "mobile"
    if hint in ("resident_id", "passport", "hk_macao_permit", "bank_card", "mobile", "email", "plate"):
        # The header names an identifier but the values do not match: still treat it as such.
        return _make(
            hint,
            0.4,
            _("header “%(name)s” suggests “%(category)s” although the sample values do not match")
            % {"name": name, "category": CATEGORY_LABELS[hint]},
        )
    return _make("none", 0.6, _("no personal identifiers found in %(n)s sample values") % {"n": n})


def classify_table(fields: list[str], sample_rows: list[dict]) -> dict[str, ColumnClass]:
    """Classify every field from the sample rows (dicts keyed by field name)."""
    return {field: classify_column(field, [row.get(field) for row in sample_rows]) for field in fields}
