"""Demo open-government data for 西湖区: a disclosure officer and the head of the disclosure
office, the market-regulation bureau's guide and catalogue (one document replaced, one repealed),
requests in several states (one extended, one partly disclosed with a redacted document and
published), a consultation with comments and one with its summary, a list of powers, 双公示 of
the completed licensing cases, a draft annual report and a letter to the leaders' mailbox.
Idempotent: each part is made once."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from zhengtong.accounts import selectors as account_selectors
from zhengtong.accounts import services as account_services
from zhengtong.accounts.kinds import UserKind
from zhengtong.accounts.services import system_actor
from zhengtong.core.errors import NotFound
from zhengtong.opengov import selectors, services
from zhengtong.opengov.models import (
    AnnualReport,
    Consultation,
    Document,
    Guide,
    InfoRequest,
    Letter,
    Power,
)
from zhengtong.registry.demo import DEMO_PASSWORD
from zhengtong.services import selectors as service_selectors

ACCOUNTS = [
    ("xh_disclosure", "西湖区市场监管局政务公开专员", "disclosure_officer", "330106", "scjg"),
    ("xh_disclosure_head", "西湖区政务公开办负责人", "supervisor", "330106", ""),
]

DOCUMENTS = [
    # category, topic, title, number, body
    (
        "institution",
        "market",
        "西湖区市场监督管理局主要职责",
        "",
        "负责全区市场综合监督管理，统一登记市场主体并建立信息公示和共享机制……",
    ),
    (
        "policy",
        "market",
        "西湖区食品摊贩登记管理办法",
        "西市监〔2023〕5号",
        "第一条 为规范食品摊贩经营行为，保障食品安全，制定本办法。第二条 食品摊贩实行登记管理……",
    ),
    (
        "policy",
        "market",
        "关于规范食品经营许可工作的通知",
        "西市监〔2026〕3号",
        "各市场主体：为进一步规范食品经营许可工作，优化营商环境，现就有关事项通知如下……",
    ),
    (
        "policy",
        "market",
        "西湖区广告牌匾设置指引（试行）",
        "西市监〔2021〕9号",
        "为规范广告牌匾设置，制定本指引。",
    ),
    (
        "plan",
        "market",
        "西湖区2026年食品安全监督抽检计划",
        "",
        "全年计划抽检食品3000批次，重点覆盖农贸市场、校园周边和网络订餐……",
    ),
    (
        "statistics",
        "market",
        "2026年第三季度市场主体发展情况",
        "",
        "截至9月底，全区实有市场主体15.2万户，同比增长6.1%。",
    ),
    ("fees", "finance", "西湖区市场监管行政事业性收费目录", "", "本局现行行政事业性收费项目为零。"),
    (
        "procurement",
        "finance",
        "食品快检设备采购项目结果公告",
        "",
        "中标供应商：某检测科技有限公司，中标金额98.6万元。",
    ),
    ("budget", "finance", "西湖区市场监督管理局2026年部门预算", "", "2026年收支总预算1.2亿元……"),
    (
        "emergency",
        "health",
        "关于做好高温天气食品安全工作的提示",
        "",
        "高温天气食品易变质，请经营者做好冷链储存……",
    ),
]

REQUEST_TEXT = [
    ("received", "请公开2026年西湖区食品经营许可的办理数量及平均办理时长。"),
    ("extended", "请公开2025年全区农贸市场食品抽检不合格批次及处理结果。"),
    ("partly", "请公开文三路某餐饮店的食品经营许可决定书。"),
    ("refused", "请公开某企业被投诉举报的举报人信息。"),
]

DECISION_TEXT = (
    "西湖区市场监督管理局\n食品经营许可决定书\n经营者王五，身份证号11010519491231002X，联系电话13912345678，"
    "经营场所西湖区文三路1号。经审查，准予食品经营许可，许可证编号JY13301060001。"
)


def _accounts(actor) -> dict:
    users = {}
    for username, name, role, scope, dept_code in ACCOUNTS:
        user = account_selectors.user_with_username(username)
        unit = account_selectors.org_unit_get(scope)
        department = account_selectors.department_by_code(scope, dept_code) if dept_code else None
        if user is None:
            user = account_services.user_create(
                actor=actor,
                username=username,
                password=DEMO_PASSWORD,
                kind=UserKind.STAFF,
                display_name=name,
                org_unit=unit,
                department=department,
                validate=False,
            )
            account_services.role_grant(
                actor=actor, user=user, role=role, org_unit=unit, department=department
            )
        users[username] = user
    return users


def _documents(officer, dept) -> None:
    if Document.objects.filter(department=dept).exists():
        return
    today = timezone.localdate()
    made = {}
    for i, (category, topic, title, number, body) in enumerate(DOCUMENTS):
        issued = today - dt.timedelta(days=400 - 35 * i)
        made[title] = services.document_publish(
            actor=officer,
            department=dept,
            category=category,
            topic=topic,
            title=title,
            body=body,
            issuing_body=dept.name,
            issued_on=issued,
            doc_number=number,
            published_on=issued + dt.timedelta(days=2),
        )
    services.document_publish(
        actor=officer,
        department=dept,
        category="policy",
        topic="market",
        title="西湖区食品摊贩登记管理办法（2026年修订）",
        body="第一条 为进一步规范食品摊贩经营行为，制定本办法。第二条 食品摊贩实行登记管理，登记全程网办……",
        issuing_body=dept.name,
        issued_on=today - dt.timedelta(days=20),
        doc_number="西市监〔2026〕11号",
        replaces=made["西湖区食品摊贩登记管理办法"],
    )
    services.document_set_validity(
        actor=officer, document=made["西湖区广告牌匾设置指引（试行）"], validity="repealed"
    )
    services.guide_set(
        actor=officer,
        department=dept,
        office="西湖区市场监督管理局办公室",
        address="杭州市西湖区文三路100号",
        hours="工作日 8:30–12:00，13:30–17:00",
        phone="0571-87000000",
        body=(
            "一、主动公开：本局通过政府信息公开专栏主动公开机构职能、政策文件、规划计划、统计信息、"
            "行政许可和处罚、收费、采购、预决算等信息。\n"
            "二、依申请公开：公民、法人或者其他组织可以通过本平台实名提交申请，本局自收到申请之日起20个工作日内答复；"
            "需要延长的，经负责人同意并告知申请人，延长不超过20个工作日。\n"
            "三、监督和救济：申请人认为本局在政府信息公开工作中侵犯其合法权益的，可以依法申请行政复议或者提起行政诉讼。"
        ),
    )


def _requests(citizen, officer, head, dept) -> None:
    if InfoRequest.objects.filter(requester=citizen, department=dept).exists():
        return
    made = {
        key: services.request_file(actor=citizen, department=dept, description=text)
        for key, text in REQUEST_TEXT
    }
    services.request_extend(
        actor=head, request=made["extended"], reason="涉及多个农贸市场的抽检档案，需要调取汇总"
    )
    partly = made["partly"]
    doc = services.request_document_add(
        actor=officer,
        request=partly,
        filename="食品经营许可决定书.txt",
        content=DECISION_TEXT.encode("utf-8"),
        extra_terms=["王五", "文三路1号"],
    )
    services.request_document_check(actor=officer, document=doc)
    services.request_reply(
        actor=officer,
        request=partly,
        reply_type="partly",
        reply_text="现提供该许可决定书，其中经营者个人信息已作区分处理。",
        legal_ground="《中华人民共和国政府信息公开条例》第十五条：涉及个人隐私的政府信息，行政机关不得公开。",
    )
    services.request_publication_set(actor=citizen, request=partly, consent=True)
    services.request_reply(
        actor=officer,
        request=made["refused"],
        reply_type="not_disclosable",
        legal_ground="《中华人民共和国政府信息公开条例》第十五条；举报人信息依法予以保密。",
    )


def _consultations(officer, citizen, dept) -> None:
    if Consultation.objects.filter(department=dept).exists():
        return
    today = timezone.localdate()
    rules = "本栏目欢迎就草案提出意见。不予发布：人身攻击、广告、与草案无关的内容、他人个人信息。"
    open_c = services.consultation_create(
        actor=officer,
        department=dept,
        title="西湖区夜间经济经营管理办法（征求意见稿）",
        introduction="为促进夜间经济健康发展，现向社会公开征求意见。",
        rules=rules,
        opens_on=today - dt.timedelta(days=3),
        closes_on=today + dt.timedelta(days=27),
        articles=[
            ("第一条", "为规范夜间经营活动，促进夜间经济发展，制定本办法。"),
            ("第二条", "夜间经营时段为每日18时至次日2时。"),
            ("第三条", "夜间经营者应当遵守噪声管理规定，不得影响居民休息。"),
        ],
    )
    second = open_c.articles.get(position=2)
    c1 = services.comment_post(
        actor=citizen, consultation=open_c, article=second, body="建议周末延长至凌晨3时。"
    )
    services.comment_moderate(actor=officer, comment=c1, publish=True)
    services.comment_post(actor=citizen, consultation=open_c, body="希望增加夜间公交线路。")
    closed = services.consultation_create(
        actor=officer,
        department=dept,
        title="西湖区农贸市场管理规定（征求意见稿）",
        rules=rules,
        opens_on=today - dt.timedelta(days=60),
        closes_on=today + dt.timedelta(days=1),
        articles=[("第一条", "农贸市场开办者应当建立食品安全管理制度。"), ("第二条", "市场应当设置公平秤。")],
    )
    c2 = services.comment_post(
        actor=citizen,
        consultation=closed,
        article=closed.articles.get(position=2),
        body="建议每个入口都设公平秤。",
    )
    c3 = services.comment_post(actor=citizen, consultation=closed, body="建议取消摊位费。")
    services.comment_moderate(actor=officer, comment=c2, publish=True)
    services.comment_moderate(actor=officer, comment=c3, publish=True)
    services.comment_decide(
        actor=officer, comment=c2, outcome="adopted", reason="已在第二条中明确每个出入口设置公平秤。"
    )
    services.comment_decide(
        actor=officer,
        comment=c3,
        outcome="rejected",
        reason="摊位费属于市场经营自主事项，不在本规定调整范围。",
    )
    Consultation.objects.filter(pk=closed.pk).update(closes_on=today - dt.timedelta(days=1))
    closed.refresh_from_db()
    services.consultation_summarize(
        actor=officer,
        consultation=closed,
        summary="征求意见期间共收到意见2条，采纳1条，未采纳1条，理由见下表。",
    )


def _powers(officer, dept) -> None:
    if Power.objects.filter(department=dept).exists():
        return
    docs = {d.title: d for d in Document.objects.filter(department=dept)}
    published = _published_items(["ZJ-SCJG-001", "ZJ-SCJG-002"])
    services.power_set(
        actor=officer,
        department=dept,
        code="330106-SCJG-XK-001",
        name="食品经营许可",
        power_type="licensing",
        legal_basis="《中华人民共和国食品安全法》第三十五条",
        responsible_unit="食品经营监管科",
        procedure="申请—受理—审查—决定—送达",
        life_events=["business"],
        service_items=[c for c in published if c == "ZJ-SCJG-002"],
        documents=[docs["关于规范食品经营许可工作的通知"]]
        if "关于规范食品经营许可工作的通知" in docs
        else [],
    )
    services.power_set(
        actor=officer,
        department=dept,
        code="330106-SCJG-XK-002",
        name="特种设备作业人员资格认定",
        power_type="licensing",
        legal_basis="《中华人民共和国特种设备安全法》第十四条",
        responsible_unit="特种设备安全监察科",
        life_events=["employment"],
        service_items=[c for c in published if c == "ZJ-SCJG-001"],
    )
    services.power_set(
        actor=officer,
        department=dept,
        code="330106-SCJG-CF-001",
        name="对销售不符合食品安全标准的食品的行政处罚",
        power_type="penalty",
        legal_basis="《中华人民共和国食品安全法》第一百二十四条",
        responsible_unit="执法稽查大队",
        accountability="未依法履行职责的，依法追究责任。",
    )
    services.power_set(
        actor=officer,
        department=dept,
        code="330106-SCJG-JC-001",
        name="食品生产经营日常监督检查",
        power_type="inspection",
        legal_basis="《中华人民共和国食品安全法》第一百一十条",
        responsible_unit="食品经营监管科",
        life_events=["business"],
    )


def _published_items(codes: list[str]) -> list[str]:
    """The codes the services catalogue publishes (its demo may not have run)."""
    out = []
    for code in codes:
        try:
            service_selectors.item_get(code)
        except NotFound:
            continue
        out.append(code)
    return out


def seed(stdout=None) -> dict[str, int]:
    actor = system_actor()
    xihu = account_selectors.org_unit_by_code("330106")
    dept = account_selectors.department_by_code("330106", "scjg")
    citizen = account_selectors.user_with_username("citizen_zhang")
    if xihu is None or dept is None or citizen is None:
        return {}
    users = _accounts(actor)
    officer, head = users["xh_disclosure"], users["xh_disclosure_head"]
    _documents(officer, dept)
    _requests(citizen, officer, head, dept)
    _consultations(officer, citizen, dept)
    _powers(officer, dept)
    services.licensing_pull()
    year = timezone.localdate().year
    if not AnnualReport.objects.filter(department=dept, year=year).exists():
        report = services.report_generate(actor=officer, department=dept, year=year)
        services.report_edit(
            actor=officer,
            report=report,
            overview=f"{year}年，本局认真贯彻《中华人民共和国政府信息公开条例》，依托一体化平台办理依申请公开，全程留痕。",
            problems="部分文件的有效性标注不够及时，下一步将按季度清理。",
        )
    if not Letter.objects.filter(writer=citizen).exists():
        services.letter_send(
            actor=citizen,
            department=dept,
            title="关于农贸市场公平秤的建议",
            body="建议在每个农贸市场出入口设置公平秤，方便群众复秤。",
            publish_consent=True,
        )
    counts = {
        "documents": Document.objects.count(),
        "requests": InfoRequest.objects.count(),
        "consultations": Consultation.objects.count(),
        "powers": Power.objects.count(),
        "publicity": selectors.publicity_current().count(),
        "guides": Guide.objects.count(),
    }
    if stdout:
        stdout.write(f"opengov: {counts}")
    return counts


def account_rows() -> list[tuple[str, str, str, str]]:
    return [
        (
            "xh_disclosure",
            "disclosure_officer",
            "西湖区 市场监督管理局",
            "answers disclosure requests, redacts, publishes",
        ),
        ("xh_disclosure_head", "supervisor", "西湖区", "approves the one extension of a request"),
    ]
