"""The demo's implementation lists (实施清单): per service item, its legal basis, acceptance
conditions, the details of each material (份数, 出具单位, 样表), type of handling, delivery, 通办
scope, special steps, FAQ and the GB/T 39554.1 implementation code.

Legal bases and conditions are written from the PRC laws and regulations themselves; an article
number is cited only where the article is certain, otherwise the law or regulation is named
without one. The place, office hours and enquiry phone are the demo's 西湖区 service centre
(plausible values, not copied from a published list); the phone is the 12345 hotline.
"""

from __future__ import annotations

from zhengtong.core.identifiers import make_org_code, make_uscc

PLACE = "杭州市西湖区政务服务中心 {window}"
HOURS = "工作日 9:00—12:00，13:30—17:00（法定节假日除外；周六上午延时服务）"
PHONE = "0571-12345（12345政务服务便民热线）"
POST = ["counter", "post", "electronic"]
ELECTRONIC = ["electronic", "counter"]

# Material details by material code (merged into the item's materials): copies, issuer, sample.
ORIGINAL = {"copies": 1, "sample": ""}
MATERIAL_DETAILS = {
    "id_card": {"copies": 1, "issuer": "公安机关", "note": "原件核验（电子证照免交）"},
    "hukou": {"copies": 0, "issuer": "公安机关（人口库共享）", "note": "数据共享，免交"},
    "entity": {"copies": 0, "issuer": "市场监督管理部门（法人库共享）", "note": "数据共享，免交"},
    "business_licence": {"copies": 0, "issuer": "市场监督管理部门", "note": "电子营业执照，免交"},
    "driving": {"copies": 1, "issuer": "公安机关交通管理部门", "note": "原件（电子驾驶证免交）"},
    "birth_cert": {"copies": 1, "issuer": "助产医疗机构", "note": "电子出生医学证明免交"},
}

# code → the item's implementation list. "materials": per material code, details overriding
# MATERIAL_DETAILS; "basic": the 12-digit basic code (type 2 + main 5 + sub 3 + handling 2).
LISTS: dict[str, dict] = {
    "ZJ-SCJG-001": {
        "basic": "010001600100",
        "legal_basis": "《中华人民共和国特种设备安全法》第十四条：特种设备安全管理人员、检测人员和作业人员"
        "应当按照国家有关规定取得相应资格，方可从事相关工作。\n"
        "《特种设备作业人员监督管理办法》（原国家质量监督检验检疫总局令）。",
        "conditions": "1. 年龄18周岁以上且不超过法定退休年龄；\n2. 具有与申请作业项目相适应的身体条件；\n"
        "3. 经考试机构考试（理论知识和实际操作）合格。",
        "materials": {
            "health": {
                "copies": 1,
                "issuer": "二级以上医疗机构",
                "sample": "体检报告（样表：特种设备作业人员体检表）",
            }
        },
        "handling_type": "promised",
        "delivery": POST,
        "tongban_scope": "province",
        "special_steps": ["考试（理论知识和实际操作），不计入承诺时限"],
        "faq": [
            {
                "q": "资格证有效期多久？",
                "a": "特种设备作业人员证每4年复审一次，复审应在期满前提出。",
            }
        ],
        "window": "市场监管综合窗口",
    },
    "ZJ-SCJG-002": {
        "basic": "010001700200",
        "legal_basis": "《中华人民共和国食品安全法》第三十五条：国家对食品生产经营实行许可制度；从事食品销售和"
        "餐饮服务，应当依法取得许可。\n《中华人民共和国食品安全法》第三十三条（食品生产经营应当符合的场所、"
        "设备、人员、制度和布局要求）。\n《食品经营许可和备案管理办法》（国家市场监督管理总局令）。",
        "conditions": "1. 具有与经营的食品品种、数量相适应的食品原料处理和食品加工、销售、贮存等场所，保持"
        "场所环境整洁，并与有毒、有害场所以及其他污染源保持规定的距离；\n2. 具有与经营的食品品种、数量相"
        "适应的经营设备或者设施；\n3. 有专职或者兼职的食品安全管理人员和保证食品安全的规章制度；\n"
        "4. 具有合理的设备布局和工艺流程，防止待加工食品与直接入口食品、原料与成品交叉污染。",
        "materials": {
            "layout": {
                "copies": 1,
                "issuer": "申请人",
                "sample": "经营场所平面图及设备布局、工艺流程图（样表：食品经营场所布局图示例）",
            }
        },
        "handling_type": "promised",
        "delivery": POST,
        "tongban_scope": "city",
        "special_steps": ["现场核查（必要时），不计入承诺时限"],
        "faq": [
            {
                "q": "仅销售预包装食品需要许可吗？",
                "a": "仅销售预包装食品的，实行备案管理，无需取得食品经营许可。",
            },
            {"q": "平面图可以后补吗？", "a": "可以容缺受理，在受理通知书载明的期限内补交。"},
        ],
        "window": "市场监管综合窗口",
    },
    "ZJ-SCJG-003": {
        "basic": "010001800100",
        "legal_basis": "《中华人民共和国公司法》。\n《中华人民共和国市场主体登记管理条例》（国务院令第746号）"
        "及其实施细则。",
        "conditions": "1. 名称、住所、经营范围、注册资本、股东等登记事项符合法律、行政法规规定；\n"
        "2. 申请材料齐全、符合法定形式。",
        "materials": {},
        "handling_type": "promised",
        "delivery": ELECTRONIC,
        "tongban_scope": "province",
        "special_steps": [],
        "faq": [
            {
                "q": "领取电子营业执照后还需要纸质执照吗？",
                "a": "电子营业执照与纸质营业执照具有同等法律效力，可按需申领纸质执照。",
            }
        ],
        "window": "企业开办专区",
    },
    "ZJ-SCJG-004": {
        "basic": "010001800200",
        "legal_basis": "《促进个体工商户发展条例》（国务院令第755号）。\n"
        "《中华人民共和国市场主体登记管理条例》（国务院令第746号）及其实施细则。",
        "conditions": "1. 有经营能力的公民；\n2. 经营场所、经营范围符合法律、行政法规规定；\n3. 申请材料齐全、符合法定形式。",
        "materials": {},
        "handling_type": "immediate",
        "delivery": ELECTRONIC,
        "tongban_scope": "province",
        "special_steps": [],
        "faq": [{"q": "个体工商户可以起字号吗？", "a": "可以，也可以不使用名称（字号）。"}],
        "window": "企业开办专区",
    },
    "ZJ-SCJG-005": {
        "basic": "010001800300",
        "legal_basis": "《中华人民共和国市场主体登记管理条例》（国务院令第746号）及其实施细则：登记事项"
        "变更的，应当向登记机关申请变更登记。",
        "conditions": "1. 变更事项符合法律、行政法规规定；\n2. 已作出变更决议或决定，或法定变更事项已发生。",
        "materials": {},
        "handling_type": "promised",
        "delivery": ELECTRONIC,
        "tongban_scope": "province",
        "special_steps": [],
        "faq": [],
        "window": "企业开办专区",
    },
    "ZJ-GAJ-001": {
        "basic": "200002100100",
        "legal_basis": "《中华人民共和国居民身份证法》第十一条：居民身份证有效期满、公民姓名变更或者证件严重损坏"
        "不能辨认的，由公民申请换领新证；领取新证时，必须交回原证。",
        "conditions": "1. 具有本地常住户口的中国公民；\n2. 居民身份证有效期满、姓名变更或者证件严重损坏不能辨认。",
        "materials": {"id_card": {"copies": 1, "issuer": "公安机关", "note": "原证，领取新证时交回"}},
        "handling_type": "promised",
        "delivery": POST,
        "tongban_scope": "national",
        "special_steps": ["现场采集人像和指纹信息（本人到场）"],
        "faq": [
            {
                "q": "可以在非户籍地换领吗？",
                "a": "居民身份证异地受理、挂失申报和丢失招领已实行跨省通办。",
            }
        ],
        "window": "公安户政窗口",
    },
    "ZJ-GAJ-002": {
        "basic": "070002100200",
        "legal_basis": "《中华人民共和国户口登记条例》第七条：婴儿出生后一个月以内，由户主、亲属、抚养人或者"
        "邻居向婴儿常住地户口登记机关申报出生登记。",
        "conditions": "1. 在本辖区出生或父母一方户籍在本辖区的新生儿；\n2. 持有出生医学证明。",
        "materials": {
            "hukou": {"copies": 0, "issuer": "公安机关（人口库共享）", "note": "父母户口簿，数据共享免交"}
        },
        "handling_type": "immediate",
        "delivery": ["counter", "post"],
        "tongban_scope": "province",
        "special_steps": [],
        "faq": [{"q": "超过一个月还能申报吗？", "a": "可以，按规定补办出生登记。"}],
        "window": "公安户政窗口",
    },
    "ZJ-GAJ-003": {
        "basic": "200002200100",
        "legal_basis": "《中华人民共和国道路交通安全法》。\n《机动车驾驶证申领和使用规定》（公安部令）：机动车驾驶人"
        "应当于机动车驾驶证有效期满前九十日内申请换证。",
        "conditions": "1. 机动车驾驶证有效期满前九十日内（或期满后按规定补办）；\n2. 身体条件符合驾驶许可条件。",
        "materials": {},
        "handling_type": "immediate",
        "delivery": POST,
        "tongban_scope": "national",
        "special_steps": ["体检（县级或者部队团级以上医疗机构出具的身体条件证明）"],
        "faq": [{"q": "可以全国通办吗？", "a": "驾驶证期满换证已实行全国通办。"}],
        "window": "交警车驾管窗口",
    },
    "ZJ-GAJ-004": {
        "basic": "200002300100",
        "legal_basis": "《居住证暂行条例》（国务院令第663号）第二条：公民离开常住户口所在地，到其他城市居住半年"
        "以上，符合有合法稳定就业、合法稳定住所、连续就读条件之一的，可以依照本条例的规定申领居住证。",
        "conditions": "1. 离开常住户口所在地到本市居住半年以上；\n"
        "2. 有合法稳定就业、合法稳定住所、连续就读条件之一。",
        "materials": {},
        "handling_type": "promised",
        "delivery": POST,
        "tongban_scope": "city",
        "special_steps": [],
        "faq": [],
        "window": "公安户政窗口",
    },
    "ZJ-RLSB-001": {
        "basic": "200003100100",
        "legal_basis": "《中华人民共和国社会保险法》第五十八条：国家建立全国统一的个人社会保障号码，个人社会保障"
        "号码为公民身份号码。",
        "conditions": "已参加或申请参加社会保险的人员（含新生儿）。",
        "materials": {},
        "handling_type": "promised",
        "delivery": POST,
        "tongban_scope": "province",
        "special_steps": ["制卡（银行制卡时间不计入承诺时限）"],
        "faq": [],
        "window": "人力社保窗口",
    },
    "ZJ-RLSB-002": {
        "basic": "050003100200",
        "legal_basis": "《中华人民共和国社会保险法》第四十五条：失业人员符合下列条件的，从失业保险基金中领取失业"
        "保险金：失业前用人单位和本人已经缴纳失业保险费满一年的；非因本人意愿中断就业的；已经进行失业登记，"
        "并有求职要求的。\n《失业保险条例》（国务院令第258号）。",
        "conditions": "1. 失业前用人单位和本人已经缴纳失业保险费满一年；\n2. 非因本人意愿中断就业；\n"
        "3. 已经进行失业登记，并有求职要求。",
        "materials": {},
        "handling_type": "promised",
        "delivery": ["electronic"],
        "tongban_scope": "national",
        "special_steps": [],
        "faq": [{"q": "失业保险金怎么发放？", "a": "按月发放至本人社会保障卡金融账户。"}],
        "window": "人力社保窗口",
    },
    "ZJ-RLSB-003": {
        "basic": "200003100300",
        "legal_basis": "《中华人民共和国社会保险法》第十条第二款：无雇工的个体工商户、未在用人单位参加基本养老保险"
        "的非全日制从业人员以及其他灵活就业人员可以参加基本养老保险，由个人缴纳基本养老保险费。",
        "conditions": "本地户籍或在本地灵活就业的人员，未在用人单位参加职工基本养老保险。",
        "materials": {},
        "handling_type": "immediate",
        "delivery": ["electronic"],
        "tongban_scope": "province",
        "special_steps": [],
        "faq": [],
        "window": "人力社保窗口",
    },
    "ZJ-WJW-001": {
        "basic": "200004100100",
        "legal_basis": "《中华人民共和国母婴保健法》第二十三条：医疗保健机构和从事家庭接生的人员按照国务院卫生行政"
        "部门的规定，出具统一制发的新生儿出生医学证明。",
        "conditions": "在本辖区助产机构出生的新生儿。",
        "materials": {},
        "handling_type": "promised",
        "delivery": ["counter", "electronic"],
        "tongban_scope": "",
        "special_steps": [],
        "faq": [{"q": "出生医学证明可以改名字吗？", "a": "在申报出生登记前可按规定办理变更。"}],
        "window": "卫生健康窗口",
    },
    "ZJ-WJW-002": {
        "basic": "200004100200",
        "legal_basis": "《中华人民共和国人口与计划生育法》。\n《浙江省人口与计划生育条例》。",
        "conditions": "夫妻双方或一方户籍在本地，或在本地居住的育龄夫妻。",
        "materials": {},
        "handling_type": "immediate",
        "delivery": ["electronic"],
        "tongban_scope": "province",
        "special_steps": [],
        "faq": [],
        "window": "卫生健康窗口",
    },
    "ZJ-MZJ-001": {
        "basic": "070005100100",
        "legal_basis": "《中华人民共和国民法典》第一千零四十九条：要求结婚的男女双方应当亲自到婚姻登记机关申请结婚"
        "登记。符合本法规定的，予以登记，发给结婚证。\n《中华人民共和国民法典》第一千零四十七条（结婚年龄）。\n"
        "《婚姻登记条例》。",
        "conditions": "1. 男女双方完全自愿；\n2. 男不得早于二十二周岁，女不得早于二十周岁；\n"
        "3. 双方均无配偶，且非直系血亲或者三代以内的旁系血亲；\n4. 双方亲自到婚姻登记机关申请。",
        "materials": {
            "id_card": {"copies": 1, "issuer": "公安机关", "note": "双方本人有效居民身份证原件"},
            "hukou": {"copies": 0, "issuer": "公安机关（人口库共享）", "note": "户口簿，数据共享免交"},
        },
        "handling_type": "immediate",
        "delivery": ["counter"],
        "tongban_scope": "national",
        "special_steps": ["双方本人到场，签署《申请结婚登记声明书》"],
        "faq": [{"q": "可以在非户籍地登记吗？", "a": "内地居民婚姻登记已在全国范围实行“跨省通办”。"}],
        "window": "民政婚姻登记处",
    },
    "ZJ-MZJ-002": {
        "basic": "050005200100",
        "legal_basis": "《中华人民共和国老年人权益保障法》第三十三条：国家鼓励地方建立八十周岁以上低收入老年人高龄"
        "津贴制度。\n浙江省、杭州市高龄津贴实施办法。",
        "conditions": "1. 具有本区户籍；\n2. 年满八十周岁（按地方标准）。",
        "materials": {},
        "handling_type": "promised",
        "delivery": ["electronic"],
        "tongban_scope": "",
        "special_steps": [],
        "faq": [{"q": "津贴怎么发放？", "a": "按月发放至本人社会保障卡或指定银行账户。"}],
        "window": "民政综合窗口",
    },
    "ZJ-SW-001": {
        "basic": "200006100100",
        "legal_basis": "《中华人民共和国税收征收管理法》第十五条：企业，企业在外地设立的分支机构和从事生产、经营"
        "的场所，个体工商户和从事生产、经营的事业单位，自领取营业执照之日起三十日内，持有关证件，向税务机关"
        "申报办理税务登记。",
        "conditions": "已领取营业执照的纳税人（多证合一，登记信息共享）。",
        "materials": {},
        "handling_type": "immediate",
        "delivery": ["electronic"],
        "tongban_scope": "province",
        "special_steps": [],
        "faq": [],
        "window": "税务窗口",
    },
    "ZJ-SW-002": {
        "basic": "200006100200",
        "legal_basis": "《中华人民共和国税收征收管理法》第二十一条：税务机关是发票的主管机关。\n"
        "《中华人民共和国发票管理办法》及其实施细则。",
        "conditions": "已办理涉税信息确认的纳税人。",
        "materials": {},
        "handling_type": "immediate",
        "delivery": ["electronic", "post"],
        "tongban_scope": "province",
        "special_steps": [],
        "faq": [],
        "window": "税务窗口",
    },
    "ZJ-YBJ-001": {
        "basic": "200007100100",
        "legal_basis": "《中华人民共和国社会保险法》第二十五条：国家建立和完善城镇居民基本医疗保险制度。",
        "conditions": "未参加职工基本医疗保险的本地户籍或居住的城乡居民（含新生儿）。",
        "materials": {},
        "handling_type": "immediate",
        "delivery": ["electronic"],
        "tongban_scope": "province",
        "special_steps": [],
        "faq": [],
        "window": "医保窗口",
    },
    "ZJ-YBJ-002": {
        "basic": "050007100200",
        "legal_basis": "《中华人民共和国社会保险法》第二十九条：参保人员医疗费用中应当由基本医疗保险基金支付的部分，"
        "由社会保险经办机构与医疗机构、药品经营单位直接结算。\n《医疗保障基金使用监督管理条例》。",
        "conditions": "参保人员因急诊、转外就医等原因未能直接结算，符合基本医疗保险支付范围的费用。",
        "materials": {
            "invoices": {"copies": 1, "issuer": "医疗机构", "sample": "医疗收费票据原件及费用明细清单"}
        },
        "handling_type": "promised",
        "delivery": ["electronic"],
        "tongban_scope": "national",
        "special_steps": [],
        "faq": [],
        "window": "医保窗口",
    },
    "ZJ-XF-001": {
        "basic": "010008100100",
        "legal_basis": "《中华人民共和国消防法》第十五条：公众聚集场所投入使用、营业前消防安全检查实行告知承诺管理。",
        "conditions": "1. 公众聚集场所已依法取得建设工程消防验收或备案；\n2. 场所符合消防技术标准和管理规定，"
        "申请人作出书面承诺。",
        "materials": {},
        "handling_type": "immediate",
        "delivery": ["electronic", "counter"],
        "tongban_scope": "",
        "special_steps": ["告知承诺后的核查（消防救援机构按规定对场所进行检查）"],
        "faq": [
            {
                "q": "选择告知承诺的，什么时候可以营业？",
                "a": "作出承诺并提交材料后即可取得许可，消防救援机构事后核查，承诺不实的依法处理。",
            }
        ],
        "window": "消防救援窗口",
    },
    "ZJ-ZRZY-001": {
        "basic": "200009100100",
        "legal_basis": "《不动产登记暂行条例》（国务院令第656号）第二十七条：权利人、利害关系人可以依法查询、复制"
        "不动产登记资料。\n《不动产登记资料查询暂行办法》。",
        "conditions": "权利人或利害关系人，查询目的合法。",
        "materials": {},
        "handling_type": "immediate",
        "delivery": ["counter", "electronic"],
        "tongban_scope": "city",
        "special_steps": [],
        "faq": [],
        "window": "不动产登记窗口",
    },
}


def department_uscc(dept_code: str, county: str) -> str:
    """A deterministic GB 32100 code (机关, 11) for a demo department: valid check characters,
    not the real body's code."""
    body = f"{sum(ord(c) * 31**i for i, c in enumerate(dept_code)) % 10**8:08d}"
    return make_uscc("1", "1", county, make_org_code(body))


def list_fields(code: str, dept_code: str, county: str, materials: list[dict]) -> dict:
    """The item_publish keywords of ``code``'s implementation list (empty when it has none)."""
    entry = LISTS.get(code)
    if entry is None:
        return {}
    detailed = []
    for m in materials:
        extra = {**ORIGINAL, **MATERIAL_DETAILS.get(m["code"], {}), **entry["materials"].get(m["code"], {})}
        extra.setdefault("issuer", "申请人" if m.get("source") == "upload" else "")
        detailed.append({**m, **extra})
    return {
        "standard_code": department_uscc(dept_code, county) + entry["basic"],
        "legal_basis": entry["legal_basis"],
        "conditions": entry["conditions"],
        "materials": detailed,
        "place": PLACE.format(window=entry["window"]),
        "hours": HOURS,
        "enquiry_phone": PHONE,
        "handling_type": entry["handling_type"],
        "delivery": entry["delivery"],
        "tongban_scope": entry["tongban_scope"],
        "special_steps": entry["special_steps"],
        "faq": entry["faq"],
    }
