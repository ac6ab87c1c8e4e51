"""Datastore benchmarks: ingest (read + infer + validate + write) and in-process query latency.

    .venv/bin/python bench/datastore.py               # 1,000,000 rows (the issue's size)
    .venv/bin/python bench/datastore.py --rows 100000 # quicker while developing

``generate_enterprises(n, path)`` writes the deterministic 14-column enterprise registry CSV that
the open-data benchmark (bench/opendata.py) reuses. Everything runs in-process (no HTTP): these
are the engine's own latencies; the HTTP figures and the Datasette comparison are in the
open-data benchmark.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import os
import random
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "zhengtong.settings")
os.environ.setdefault("ZHENGTONG_ENV", "test")

import django  # noqa: E402

django.setup()

from zhengtong.core.identifiers import org_code_check_char, resident_id_check_char, uscc_check_char  # noqa: E402

COLUMNS = [
    "credit_code",
    "name",
    "type",
    "industry",
    "region_code",
    "district",
    "registered_capital",
    "founded_on",
    "status",
    "address",
    "legal_representative",
    "representative_id",
    "phone",
    "employees",
]

DISTRICTS = [
    ("330102", "上城区"),
    ("330105", "拱墅区"),
    ("330106", "西湖区"),
    ("330108", "滨江区"),
    ("330109", "萧山区"),
    ("330110", "余杭区"),
    ("330111", "富阳区"),
    ("330112", "临安区"),
    ("330113", "临平区"),
    ("330114", "钱塘区"),
    ("330122", "桐庐县"),
    ("330127", "淳安县"),
    ("330182", "建德市"),
    ("330702", "婺城区"),
    ("330703", "金东区"),
    ("330723", "武义县"),
    ("330726", "浦江县"),
    ("330727", "磐安县"),
    ("330781", "兰溪市"),
    ("330782", "义乌市"),
    ("330783", "东阳市"),
    ("330784", "永康市"),
]
CITY = {"3301": "杭州市", "3307": "金华市"}
TYPES = [
    ("有限责任公司", 55),
    ("个人独资企业", 12),
    ("股份有限公司", 6),
    ("合伙企业", 7),
    ("个体工商户", 15),
    ("农民专业合作社", 3),
    ("外商投资企业", 2),
]
INDUSTRIES = [
    "批发和零售业",
    "制造业",
    "信息传输、软件和信息技术服务业",
    "租赁和商务服务业",
    "科学研究和技术服务业",
    "建筑业",
    "住宿和餐饮业",
    "交通运输、仓储和邮政业",
    "居民服务、修理和其他服务业",
    "农、林、牧、渔业",
    "房地产业",
    "文化、体育和娱乐业",
    "金融业",
    "教育",
    "卫生和社会工作",
]
STATUSES = [("存续", 78), ("在业", 8), ("注销", 9), ("吊销", 4), ("迁出", 1)]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
GIVEN = (
    "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华建国志强晓东海燕丹文斌宇浩鹏俊凯佳欣怡子涵梓轩雨泽"
)
WORDS = "华信达通瑞丰盛恒源鑫泰宏远创新智联科锦隆晟安康博睿嘉禾中天云帆星辰之江西溪钱塘良渚"
SUFFIX = {
    "制造业": "制造",
    "信息传输、软件和信息技术服务业": "网络科技",
    "批发和零售业": "贸易",
    "建筑业": "建设工程",
}
ROADS = [
    "文三路",
    "天目山路",
    "莫干山路",
    "江南大道",
    "延安路",
    "体育场路",
    "解放路",
    "丹溪路",
    "宾王路",
    "稠州北路",
    "工人路",
]
MOBILE_PREFIXES = [
    "130",
    "131",
    "132",
    "133",
    "135",
    "136",
    "137",
    "138",
    "139",
    "150",
    "151",
    "152",
    "153",
    "155",
]
MOBILE_PREFIXES += [
    "156",
    "157",
    "158",
    "159",
    "166",
    "177",
    "180",
    "181",
    "182",
    "183",
    "185",
    "186",
    "187",
    "188",
    "189",
    "199",
]
ORG_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"


def _weighted(rng: random.Random, items: list[tuple[str, int]]) -> list[str]:
    population = [name for name, weight in items for _ in range(weight)]
    return population


def enterprise_rows(n: int, seed: int = 20260101):
    """Yield ``n`` deterministic enterprise rows (lists in COLUMNS order)."""
    rng = random.Random(seed)
    types = _weighted(rng, TYPES)
    statuses = _weighted(rng, STATUSES)
    start = dt.date(1985, 1, 1).toordinal()
    span = dt.date(2025, 12, 31).toordinal() - start
    birth_start = dt.date(1950, 1, 1).toordinal()
    birth_span = dt.date(2003, 12, 31).toordinal() - birth_start
    for i in range(n):
        region, district = DISTRICTS[rng.randrange(len(DISTRICTS))]
        kind = types[rng.randrange(len(types))]
        industry = INDUSTRIES[min(int(rng.expovariate(0.25)), len(INDUSTRIES) - 1)]
        body = "".join(ORG_CHARS[rng.randrange(31)] for _ in range(8))
        org9 = body + org_code_check_char(body)
        category = "2" if kind == "个体工商户" else "1"
        first17 = f"9{category}{region}{org9}"
        credit = first17 + uscc_check_char(first17)
        words = "".join(WORDS[rng.randrange(len(WORDS))] for _ in range(2))
        city = CITY[region[:4]]
        name = f"{city}{district}{words}{SUFFIX.get(industry, '商务服务')}{kind if kind != '个体工商户' else '店'}"
        if kind in {"有限责任公司", "股份有限公司"} and i % 7 == 0:
            name += f"（第{i % 97 + 1}分公司）"
        capital = (
            round(rng.lognormvariate(4.5, 1.6), 2) if kind != "个体工商户" else round(rng.uniform(1, 50), 2)
        )
        founded = dt.date.fromordinal(start + rng.randrange(span)).isoformat()
        status = statuses[rng.randrange(len(statuses))]
        address = f"浙江省{city}{district}{ROADS[rng.randrange(len(ROADS))]}{rng.randrange(1, 999)}号"
        if rng.random() < 0.3:
            address += f"{rng.randrange(1, 30)}幢{rng.randrange(101, 2999)}室"
        person = SURNAMES[rng.randrange(len(SURNAMES))] + "".join(
            GIVEN[rng.randrange(len(GIVEN))] for _ in range(1 + (rng.random() < 0.7))
        )
        birth = dt.date.fromordinal(birth_start + rng.randrange(birth_span))
        id17 = f"{region}{birth:%Y%m%d}{rng.randrange(1000):03d}"
        resident = id17 + resident_id_check_char(id17)
        phone = MOBILE_PREFIXES[rng.randrange(len(MOBILE_PREFIXES))] + f"{rng.randrange(10**8):08d}"
        employees = "" if rng.random() < 0.02 else str(int(rng.lognormvariate(2.2, 1.3)))
        yield [
            credit,
            name,
            kind,
            industry,
            region,
            district,
            f"{capital:.2f}",
            founded,
            status,
            address,
            person,
            resident,
            phone,
            employees,
        ]


def generate_enterprises(n: int, path: str | os.PathLike, *, seed: int = 20260101) -> str:
    """Write the deterministic enterprise registry as a UTF-8 CSV with a header; returns the path."""
    path = str(path)
    tmp = path + ".part"
    with open(tmp, "w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(COLUMNS)
        batch = []
        for row in enterprise_rows(n, seed):
            batch.append(row)
            if len(batch) >= 50_000:
                writer.writerows(batch)
                batch.clear()
        writer.writerows(batch)
    os.replace(tmp, path)
    return path


def enterprise_schema(schema: dict) -> dict:
    """The inferred schema with the constraints a publisher would declare for this registry."""
    for f in schema["fields"]:
        if f["name"] == "credit_code":
            f["constraints"] = {"required": True, "unique": True, "pattern": "[0-9A-HJ-NPQRTUWXY]{18}"}
        elif f["name"] == "status":
            f["constraints"] = {"enum": [s for s, _w in STATUSES]}
        elif f["name"] == "registered_capital":
            f["constraints"] = {"minimum": 0}
    return schema


# ------------------------------------------------------------------------------------ measuring


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def latencies(fn, repeat: int) -> tuple[float, float, float]:
    """Wall-clock p50 and p95, and the p50 of the process's CPU time (all DuckDB threads)."""
    fn()  # warm
    samples, cpu = [], []
    for _ in range(repeat):
        start, start_cpu = time.perf_counter(), time.process_time()
        fn()
        samples.append((time.perf_counter() - start) * 1000)
        cpu.append((time.process_time() - start_cpu) * 1000)
    samples.sort()
    return (
        statistics.median(samples),
        samples[min(len(samples) - 1, int(len(samples) * 0.95))],
        statistics.median(cpu),
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=50)
    parser.add_argument("--keep", action="store_true", help="keep the generated CSV in var/bench/")
    args = parser.parse_args()

    from django.conf import settings
    from rich.console import Console
    from rich.table import Table

    from zhengtong.datastore import engine

    work = Path(tempfile.mkdtemp(prefix="zt-bench-datastore-"))
    settings.DATASTORE_DIR = str(work / "store")
    cache = Path(settings.BASE_DIR) / "var" / "bench" if args.keep else work
    cache.mkdir(parents=True, exist_ok=True)
    csv_path = cache / f"enterprises-{args.rows}.csv"
    t0 = time.perf_counter()
    if not csv_path.exists():
        generate_enterprises(args.rows, csv_path)
    gen_s = time.perf_counter() - t0
    size_mb = csv_path.stat().st_size / 1e6

    rows: list[tuple[str, str, str, str, str]] = []
    n = f"{args.rows:,} rows"
    base_rss = rss_mb()
    t0 = time.perf_counter()
    table = engine.read_file(str(csv_path))
    t_read = time.perf_counter() - t0
    t1 = time.perf_counter()
    schema = enterprise_schema(engine.infer_schema(table))
    t_infer = time.perf_counter() - t1
    t1 = time.perf_counter()
    typed, errors = engine.validate(table, schema)
    t_valid = time.perf_counter() - t1
    assert not errors, errors[:5]
    t1 = time.perf_counter()
    version = engine.write_version("bench-enterprises", {"raw": typed})
    t_write = time.perf_counter() - t1
    total = time.perf_counter() - t0
    del table
    rows.append(
        ("generate CSV (not timed against a target)", f"{n}, {size_mb:.0f} MB", f"{gen_s:.1f} s", "", "")
    )
    rows.append(("read CSV (DuckDB reader, strings)", n, f"{t_read:.2f} s", "", ""))
    rows.append(("infer schema", n, f"{t_infer:.2f} s", "", ""))
    rows.append(("validate (types + required/unique/enum/pattern/min)", n, f"{t_valid:.2f} s", "", ""))
    rows.append(("write Parquet version", n, f"{t_write:.2f} s", "", ""))
    rows.append(
        (
            "read + infer + validate + write",
            n,
            f"{total:.2f} s",
            "≤ 10 s incl. classification",
            f"peak RSS {rss_mb():.0f} MB (before {base_rss:.0f})",
        )
    )

    q = engine.query
    key = "bench-enterprises"
    probe = q(key, version, "raw", schema=schema, limit=1, offset=args.rows // 2, count="none")
    district = probe.rows[0]["district"]
    deep = q(key, version, "raw", schema=schema, limit=50, offset=int(args.rows * 0.9), count="none")
    deep_cursor = deep.next_cursor
    deep_sorted = q(
        key,
        version,
        "raw",
        schema=schema,
        limit=50,
        offset=int(args.rows * 0.9),
        sort=[("registered_capital", "desc")],
        count="none",
    )

    cases = [
        (
            "facet counts on two columns (industry, district), all rows",
            lambda: q(
                key, version, "raw", schema=schema, limit=0, facets=["industry", "district"], count="exact"
            ),
            "p50 ≤ 30 ms",
        ),
        (
            "2 equality filters, sorted by capital, page of 50, with total",
            lambda: q(
                key,
                version,
                "raw",
                schema=schema,
                filters=[("district", "eq", district), ("status", "eq", "存续")],
                sort=[("registered_capital", "desc")],
                limit=50,
            ),
            "p50 ≤ 30 ms",
        ),
        (
            "keyset page at 90% depth (default order)",
            lambda: q(key, version, "raw", schema=schema, limit=50, after=deep_cursor, count="none"),
            "p50 ≤ 15 ms",
        ),
        (
            "keyset page at 90% depth, sorted by capital desc",
            lambda: q(
                key,
                version,
                "raw",
                schema=schema,
                limit=50,
                after=deep_sorted.next_cursor,
                sort=[("registered_capital", "desc")],
                count="none",
            ),
            "",
        ),
        (
            "q= substring over text fields, page of 50, estimated total",
            lambda: q(key, version, "raw", schema=schema, limit=50, q="西溪", count="estimate"),
            "",
        ),
        (
            "group-by district: count, sum and avg of capital",
            lambda: q(
                key,
                version,
                "raw",
                schema=schema,
                limit=0,
                group_by=["district"],
                aggregates=[("count", "*"), ("sum", "registered_capital"), ("avg", "registered_capital")],
                count="none",
            ),
            "",
        ),
        (
            "run_sql sandbox: GROUP BY status",
            lambda: engine.run_sql(key, version, "raw", "SELECT status, count(*) FROM data GROUP BY status"),
            "",
        ),
    ]
    settings.DATASTORE_RESULT_CACHE = 0  # measure the work, not the per-process result cache
    for label, fn, target in cases:
        p50, p95, cpu = latencies(fn, args.repeat)
        rows.append(
            (label, n, f"p50 {p50:.1f} ms / p95 {p95:.1f} ms", target, f"CPU {cpu:.1f} ms; result cache off")
        )
    settings.DATASTORE_RESULT_CACHE = 512
    p50, p95, cpu = latencies(cases[0][1], args.repeat)
    rows.append(
        (cases[0][0] + ", repeated", n, f"p50 {p50:.2f} ms / p95 {p95:.2f} ms", "", "result cache on")
    )
    load = os.getloadavg()[0]

    t0 = time.perf_counter()
    size = sum(len(chunk) for chunk in engine.export(key, version, "raw", "csv", schema=schema))
    rows.append(
        (
            "export CSV (streamed, formula-neutralized)",
            n,
            f"{time.perf_counter() - t0:.2f} s",
            "",
            f"{size / 1e6:.0f} MB",
        )
    )

    out = Table(
        title=f"Datastore (in-process, {os.cpu_count()} CPUs, DuckDB threads={settings.DATASTORE_QUERY_THREADS}, "
        f"load average {load:.1f} during the queries)"
    )
    for col in ("measure", "size", "ours", "target", "note"):
        out.add_column(col)
    for row in rows:
        out.add_row(*row)
    Console(width=170).print(out)
    engine.delete_table(key)


if __name__ == "__main__":
    main()
