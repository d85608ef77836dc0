"""Deterministic synthetic extracts for the demo and the tests.

Four departments describe the SAME people and companies, so cross-department joins on
pseudonyms are meaningful. Each extract is written the way its contract says the department
delivers it (encoding, delimiter, header names), including the usual mess: a ragged row, an
unparsable date or amount, a value outside its domain, an extra column, a broken JSON line.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import random
from dataclasses import dataclass

from faker import Faker

from govlake import paths
from govlake.contracts import Contract, load_contracts
from govlake.deliveries import demo_department_key, file_entry, manifest_name, signed_manifest
from govlake.errors import StorageUnavailable
from govlake.records import DeliveryManifest
from govlake.storage import Lake
from masking.checksums import USCC_ALPHABET, org_code_check_char, uscc_check_char

DISTRICTS = ("福田区", "罗湖区", "南山区", "宝安区", "龙岗区", "盐田区", "龙华区", "坪山区", "光明区")
INDUSTRIES = ("软件和信息技术服务业", "批发和零售业", "制造业", "建筑业", "住宿和餐饮业", "租赁和商务服务业")
CHANNELS = ("phone", "web", "wechat", "app")
CATEGORIES = ("噪音扰民", "劳动保障", "市容环境", "交通出行", "社保医保", "市场监管")

ZH_TEMPLATES = (
    "您好，我是{name}，身份证号{rid}，手机{phone}，住在{address}，反映小区夜间施工噪音扰民，请尽快处理。",
    "市民{name}来电反映：{address}附近道路积水严重，联系电话{phone_dash}，工单参考号{ref}。",
    "{name}（电话：{phone_space}）投诉{company}拖欠工资三个月，邮箱{email}，请劳动监察部门核实。",
    "来电人称其社保缴费记录有误，身份证{rid}，联系人{name}，回电{phone_plus}，金额{amount}元。",
    "申请人{name}咨询企业开办流程，手机{phone}，住址{address}。",
)
EN_TEMPLATES = (
    "Hello, my name is {en_name}. I live at {address}. My phone is {phone_plus} and my email is {email}. "
    "Construction noise every night, please help.",
    "Caller {en_name} ({email}) reports a broken streetlight in {district}. Call back on {phone}. Ref {ref}.",
)


@dataclass
class Person:
    name: str
    gender: str
    birth: dt.date
    resident_id: str
    mobile: str
    district: str
    address: str
    employer: int


@dataclass
class Company:
    credit_code: str
    name: str
    legal_rep: int
    phone: str
    address: str
    district: str
    capital: float
    registered: dt.date
    industry: str


def make_credit_code(rng: random.Random) -> str:
    org = "".join(rng.choice("0123456789ABCDEFGHJKLMNPQRTUWXY"[:10 if i < 2 else 31]) for i in range(8))
    body = "91" + "440300" + org + org_code_check_char(org)
    assert all(c in USCC_ALPHABET for c in body)
    return body + uscc_check_char(body)


class Population:
    """The shared people and companies every department's extract is drawn from."""

    def __init__(self, rows: int, seed: int):
        self.rng = random.Random(seed)
        self.fake = Faker("zh_CN")
        self.fake.seed_instance(seed)
        self.fake_en = Faker("en_US")
        self.fake_en.seed_instance(seed)
        n_companies = max(5, rows // 5)
        self.persons = [self._person(n_companies) for _ in range(rows)]
        self.companies = [self._company(i) for i in range(n_companies)]

    def _address(self, district: str) -> str:
        f = self.fake
        rng = self.rng
        return f"广东省深圳市{district}{f.street_name()}{rng.randint(1, 999)}号{rng.randint(1, 30)}栋{rng.randint(101, 2505)}室"

    def _person(self, n_companies: int) -> Person:
        f, rng = self.fake, self.rng
        rid = f.ssn(min_age=18, max_age=75)
        birth = dt.date(int(rid[6:10]), int(rid[10:12]), int(rid[12:14]))
        gender = "男" if int(rid[16]) % 2 else "女"
        name = f.name_male() if gender == "男" else f.name_female()
        district = rng.choice(DISTRICTS)
        return Person(name, gender, birth, rid, f.phone_number(), district, self._address(district),
                      rng.randrange(n_companies))

    def _company(self, i: int) -> Company:
        f, rng = self.fake, self.rng
        district = rng.choice(DISTRICTS)
        return Company(
            credit_code=make_credit_code(rng),
            name=f.company(),
            legal_rep=rng.randrange(len(self.persons)),
            phone=f.phone_number(),
            address=self._address(district),
            district=district,
            capital=round(rng.choice((10, 50, 100, 500, 1000, 5000)) * 10000 * rng.uniform(0.5, 2), 2),
            registered=dt.date(2005, 1, 1) + dt.timedelta(days=rng.randrange(7000)),
            industry=rng.choice(INDUSTRIES),
        )


def _phone_forms(mobile: str) -> dict[str, str]:
    return {
        "phone": mobile,
        "phone_dash": f"{mobile[:3]}-{mobile[3:7]}-{mobile[7:]}",
        "phone_space": f"{mobile[:3]} {mobile[3:7]} {mobile[7:]}",
        "phone_plus": f"+86 {mobile[:3]} {mobile[3:7]} {mobile[7:]}",
    }


# -- one builder per demo extract: rows as {contract column: text value} ---------------------

def registry_rows(pop: Population, messy: bool) -> list[dict]:
    rows = []
    for i, c in enumerate(pop.companies):
        rep = pop.persons[c.legal_rep]
        reg = c.registered.strftime("%Y/%m/%d" if i % 7 == 3 else "%Y-%m-%d")
        rows.append({
            "credit_code": c.credit_code, "company_name": c.name, "legal_rep_name": rep.name,
            "legal_rep_id": rep.resident_id, "phone": c.phone, "registered_address": c.address,
            "registered_capital": f"{c.capital:.2f}", "registration_date": reg,
            "industry": c.industry, "district": c.district,
        })
    if messy and len(rows) > 3:
        rows[2]["credit_code"] = rows[2]["credit_code"][:10].lower()  # malformed code: fails validation
    return rows


def tax_rows(pop: Population, messy: bool) -> list[dict]:
    rows = []
    rng = pop.rng
    for c in pop.companies:
        contact = pop.persons[rng.randrange(len(pop.persons))]
        for q in (1, 2, 3):
            revenue = round(rng.uniform(1e5, 5e7), 2)
            due = round(revenue * 0.06, 2)
            rows.append({
                "credit_code": c.credit_code, "period": f"2026Q{q}", "revenue": f"{revenue:.2f}",
                "tax_due": f"{due:.2f}", "tax_paid": f"{due - rng.choice((0, 0, 0, 100.0)):.2f}",
                "contact_name": contact.name, "contact_phone": contact.mobile,
                "filed_at": (dt.date(2026, 3 * q, 1) + dt.timedelta(days=rng.randrange(20, 40))).isoformat(),
            })
    if messy and rows:
        rows[1]["revenue"] = "一百万"  # not a number: quarantined at ingest
    return rows


def social_rows(pop: Population, messy: bool) -> list[dict]:
    rows = []
    for p in pop.persons:
        rows.append({
            "resident_id": p.resident_id, "name": p.name, "gender": p.gender,
            "birth_date": p.birth.isoformat(), "district": p.district, "home_address": p.address,
            "employer_credit_code": pop.companies[p.employer].credit_code,
            "contribution_base": f"{pop.rng.randint(2360, 34000)}.00", "mobile": p.mobile,
            "insured_since": dt.date(max(p.birth.year + 18, 2000), 1, 1).isoformat(),
        })
    if messy and len(rows) > 6:
        rows[3]["birth_date"] = "1990-13-45"  # impossible date: quarantined at ingest
        rows[5]["gender"] = "未知"  # outside the suite's value set: quarantined at validation
    return rows


def hotline_rows(pop: Population, messy: bool) -> list[dict]:
    rows = []
    rng = pop.rng
    n = max(10, len(pop.persons) // 2)
    for i in range(n):
        p = pop.persons[rng.randrange(len(pop.persons))]
        english = i % 4 == 3
        fields = {
            "name": p.name, "rid": p.resident_id, "address": p.address, "district": p.district,
            "email": pop.fake.free_email() if not english else pop.fake_en.free_email(),
            "company": pop.companies[p.employer].name, "en_name": pop.fake_en.name(),
            "ref": f"{rng.randrange(10**17, 10**18)}", "amount": f"{rng.randrange(10**6, 10**8)}",
            **_phone_forms(p.mobile),
        }
        template = rng.choice(EN_TEMPLATES if english else ZH_TEMPLATES)
        created = dt.datetime(2026, 11, 1, 8) + dt.timedelta(minutes=rng.randrange(60 * 24 * 20))
        rows.append({
            "ticket_id": f"SZ{created:%Y%m%d}{i:06d}", "created_at": created.isoformat(sep=" "),
            "channel": rng.choice(CHANNELS), "district": p.district, "category": rng.choice(CATEGORIES),
            "caller_name": fields["en_name"] if english else p.name, "caller_phone": p.mobile,
            "caller_id": None if english else p.resident_id,
            "complaint": template.format(**fields), "status": rng.choice(("open", "closed", "in_progress")),
        })
    return rows


BUILDERS = {
    "business_registry": registry_rows,
    "tax_filings": tax_rows,
    "social_insured": social_rows,
    "hotline_tickets": hotline_rows,
}


# -- writing in the department's own format --------------------------------------------------

def _header(contract: Contract, name: str) -> str:
    """Departments often use their own (Chinese) header: the contract's first alias."""
    col = contract.column(name)
    return col.aliases[0] if col.aliases else name


def render_csv(contract: Contract, rows: list[dict], extra_column: str | None = None,
               ragged_row: int | None = None) -> bytes:
    buf = io.StringIO()
    writer = csv.writer(buf, delimiter=contract.delimiter, lineterminator="\r\n")
    names = contract.column_names
    header = [_header(contract, n) for n in names] + ([extra_column] if extra_column else [])
    writer.writerow(header)
    for i, row in enumerate(rows):
        values = ["" if row.get(n) is None else str(row[n]) for n in names]
        if extra_column:
            values.append("")
        if ragged_row is not None and i == ragged_row:
            values = values[:-2]
        writer.writerow(values)
    # "utf-8-sig" writes the BOM some departments' exporters add.
    return buf.getvalue().encode(contract.encoding)


def render_jsonl(contract: Contract, rows: list[dict], broken_line: int | None = None) -> bytes:
    lines = []
    for i, row in enumerate(rows):
        line = json.dumps({_header(contract, n): row.get(n) for n in contract.column_names}, ensure_ascii=False)
        if broken_line is not None and i == broken_line:
            line = line[: len(line) // 2]
        lines.append(line)
    return ("\n".join(lines) + "\n").encode(contract.encoding)


def deliver(lake: Lake, contract: Contract, name: str, data: bytes, rows: int | None = None, sign: bool = True,
            delivery_id: str | None = None, created_at: dt.datetime | None = None) -> str:
    """Drop one file into the dataset's landing zone the way its department would: signed with the
    department's (demo) key unless ``sign`` is false. Returns the file's lake path."""
    folder = paths.landing(contract.dataset)
    path = f"{folder}/{name}"
    lake.write_bytes(path, data)
    if sign:
        key = demo_department_key(contract.department)
        delivery_id = delivery_id or name.rsplit("/", 1)[-1].split(".", 1)[0]
        entry = file_entry(name.rsplit("/", 1)[-1], data, rows)
        manifest_path = f"{path.rsplit('/', 1)[0]}/{manifest_name(delivery_id)}"
        if created_at is None:
            # The same delivery made again (a second `make demo`): keep the signed manifest as it was,
            # so the delivery is recognised as ingested earlier instead of looking like a new one.
            try:
                old = DeliveryManifest.model_validate_json(lake.read_bytes(manifest_path))
                if old.files == [entry] and old.key_id == key.key_id:
                    return path
            except (ValueError, FileNotFoundError, StorageUnavailable):
                pass  # none yet (a department's keys may not even tell a missing object from a refused one)
        manifest, signature = signed_manifest(contract.dataset, key, delivery_id, [entry], created_at)
        lake.write_bytes(manifest_path, manifest)
        lake.write_bytes(paths.signature_of(manifest_path), signature)
    return path


def generate(lake: Lake, rows: int = 200, seed: int = 20261121, messy: bool = True,
             datasets: list[str] | None = None, drop_date: str = "2026-11-21", sign: bool = True) -> dict[str, str]:
    """Write one signed delivery per demo dataset into ``landing/<dataset>/``; return the data files' paths."""
    contracts = load_contracts()
    pop = Population(rows, seed)
    written = {}
    for name, builder in BUILDERS.items():
        if datasets and name not in datasets:
            continue
        if name not in contracts:
            continue
        contract = contracts[name]
        data = builder(pop, messy)
        stem = f"{name}_{drop_date.replace('-', '')}"
        if contract.source_format == "jsonl":
            payload = render_jsonl(contract, data, broken_line=4 if messy and len(data) > 5 else None)
            file_name = f"{stem}.jsonl"
        else:
            payload = render_csv(
                contract, data,
                extra_column="备注" if messy and name == "tax_filings" else None,
                ragged_row=7 if messy and len(data) > 8 and name == "social_insured" else None,
            )
            file_name = f"{stem}.csv"
        written[name] = deliver(lake, contract, file_name, payload, rows=len(data), sign=sign)
    return written
