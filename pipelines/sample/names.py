"""Place and branch names of the 2005 sample: real townships, invented villages.

Township lists follow Meizhou's 2005 administrative divisions closely enough to look right
to a reader from the city; villages are generated from common Hakka place-name syllables, so
no real village is misrepresented by made-up figures.
"""

from __future__ import annotations

import numpy as np

# Townships (乡镇/街道) of each county in 2005, plus the county's organs committee, whose
# branches are the county bureaus. 市直单位 has working committees and systems instead.
TOWNSHIPS: dict[str, list[str]] = {
    "梅江区": ["金山街道", "江南街道", "西郊街道", "城北镇", "三角镇", "长沙镇", "西阳镇", "区直机关工委"],
    "梅县": [
        "程江镇", "扶大镇", "南口镇", "畲江镇", "水车镇", "梅南镇", "梅西镇", "石扇镇", "白渡镇",
        "丙村镇", "雁洋镇", "松口镇", "松源镇", "隆文镇", "桃尧镇", "大坪镇", "城东镇", "石坑镇",
        "县直机关工委",
    ],
    "兴宁市": [
        "兴田街道", "福兴街道", "宁新街道", "宁中镇", "刁坊镇", "叶塘镇", "永和镇", "新圩镇", "大坪镇",
        "石马镇", "罗浮镇", "黄槐镇", "罗岗镇", "黄陂镇", "合水镇", "龙田镇", "径南镇", "新陂镇",
        "坭陂镇", "水口镇", "市直机关工委",
    ],
    "平远县": [
        "大柘镇", "仁居镇", "东石镇", "石正镇", "八尺镇", "差干镇", "河头镇", "中行镇", "上举镇",
        "泗水镇", "长田镇", "热柘镇", "县直机关工委",
    ],
    "蕉岭县": ["蕉城镇", "长潭镇", "三圳镇", "文福镇", "广福镇", "新铺镇", "南礤镇", "蓝坊镇", "县直机关工委"],
    "大埔县": [
        "湖寮镇", "茶阳镇", "高陂镇", "百侯镇", "西河镇", "三河镇", "大麻镇", "光德镇", "桃源镇",
        "洲瑞镇", "银江镇", "青溪镇", "枫朗镇", "大东镇", "县直机关工委",
    ],
    "丰顺县": [
        "汤坑镇", "汤西镇", "汤南镇", "八乡山镇", "丰良镇", "建桥镇", "黄金镇", "埔寨镇", "留隍镇",
        "潭江镇", "砂田镇", "北斗镇", "小胜镇", "大龙华镇", "潘田镇", "县直机关工委",
    ],
    "五华县": [
        "水寨镇", "河东镇", "转水镇", "华城镇", "岐岭镇", "长布镇", "周江镇", "横陂镇", "安流镇",
        "棉洋镇", "双华镇", "梅林镇", "龙村镇", "华阳镇", "郭田镇", "潭下镇", "县直机关工委",
    ],
    "市直单位": ["市直机关工委", "市教育局", "市卫生局", "市公安局", "市交通局", "市经贸局", "市财政局", "嘉应学院"],
}

# Branches per county: sums to the 2394 of the report.
BRANCHES: dict[str, int] = {
    "梅江区": 260, "梅县": 390, "兴宁市": 420, "平远县": 190, "蕉岭县": 170,
    "大埔县": 300, "丰顺县": 240, "五华县": 330, "市直单位": 94,
}

_FIRST = list("东西南北上下新老大小石黄白青龙凤金高长坪岗塘田桥湖溪岭山河江水林竹松梅桃"
              "联和安平兴福富丰光明华红星德礼义仁圳坝角背岩")
_SECOND = list("坑塘田坪岗联丰和安兴光明星岭湖溪水口背径洋坝寨村围楼墩陂")

_TOWN_UNITS = ["机关", "中心小学", "中学", "卫生院", "企业办", "离退休干部", "农技站", "供销社"]
_COUNTY_ORGANS = [
    "组织部", "宣传部", "纪委", "政府办", "发展计划局", "财政局", "教育局", "卫生局", "公安局", "民政局",
    "农业局", "林业局", "水务局", "交通局", "国土资源局", "建设局", "劳动和社会保障局", "司法局", "审计局",
    "统计局", "文化局", "广播电视局", "人民医院", "中医院", "第一中学", "实验小学", "人民法院", "人民检察院",
    "工商局", "地税局", "国税局", "供电局", "烟草专卖局", "科技局", "环保局", "档案局", "粮食局", "工会",
    "团委", "妇联", "残联", "党校", "气象局", "经贸局", "商务局", "外事侨务局", "旅游局", "物价局",
]
_CITY_UNITS: dict[str, list[str]] = {
    "市直机关工委": ["市委办公室", "市政府办公室", "市委组织部", "市委宣传部", "市纪委", "市委统战部",
                  "市发展计划局", "市人事局", "市民政局", "市司法局", "市审计局", "市统计局", "市档案局", "市委党校"],
    "市教育局": ["市教育局机关", "梅州中学", "东山中学", "嘉应中学", "曾宪梓中学", "梅州市实验小学", "市教育局离退休干部"],
    "市卫生局": ["市卫生局机关", "市人民医院", "市中医医院", "市妇幼保健院", "市疾病预防控制中心"],
    "市公安局": ["市公安局机关", "市公安局交警支队", "市公安局刑警支队", "市公安局治安支队", "市公安局看守所"],
    "市交通局": ["市交通局机关", "市公路局", "市运输管理处", "市港航管理处"],
    "市经贸局": ["市经贸局机关", "市电力工业局", "市烟草专卖局", "市盐务局"],
    "市财政局": ["市财政局机关", "市地方税务局", "市国家税务局", "市国有资产经营公司"],
    "嘉应学院": ["嘉应学院机关", "嘉应学院中文系", "嘉应学院数学系", "嘉应学院医学院", "嘉应学院离退休"],
}


def short_name(county: str) -> str:
    """The county as people write it in a file name (兴宁, 梅江, 市直): an alias in counties.yaml."""
    if county == "市直单位":
        return "市直"
    return county[:-1] if len(county) > 2 and county[-1] in "区县市" else county


def _villages(rng: np.random.Generator, n: int, taken: set[str]) -> list[str]:
    out: list[str] = []
    while len(out) < n:
        a = _FIRST[int(rng.integers(len(_FIRST)))]
        b = _SECOND[int(rng.integers(len(_SECOND)))]
        name = a + b
        if a != b and name not in taken:
            taken.add(name)
            out.append(name)
    return out


def branch_names(county: str, rng: np.random.Generator) -> list[tuple[str, str, str]]:
    """(township, branch, kind) for every branch of the county, in the order of the return.

    kind is village | residents | school | organ | other; it drives the member counts.
    """
    towns = TOWNSHIPS[county]
    n = BRANCHES[county]
    out: list[tuple[str, str, str]] = []
    if county == "市直单位":
        per = _split(n, [len(v) * 1.0 for v in _CITY_UNITS.values()])
        for (town, units), k in zip(_CITY_UNITS.items(), per, strict=True):
            for i in range(k):
                unit = units[i % len(units)]
                suffix = "党支部" if i < len(units) else f"第{i // len(units) + 1}党支部"
                kind = "school" if ("中学" in unit or "小学" in unit or "学院" in unit) else "organ"
                out.append((town, f"{unit}{suffix}", kind))
        return out
    organs_share = 0.12
    weights = [organs_share * len(towns) if t.endswith("工委") else float(rng.uniform(0.6, 1.5)) for t in towns]
    per = _split(n, weights)
    taken: set[str] = set()
    for town, k in zip(towns, per, strict=True):
        if town.endswith("工委"):
            prefix = county[-1] if county != "梅江区" else "区"
            for i in range(k):
                organ = _COUNTY_ORGANS[i % len(_COUNTY_ORGANS)]
                plain = organ.endswith(("医院", "中学", "小学", "党校", "法院", "检察院", "工会", "团委", "妇联", "残联"))
                suffix = ("党支部" if plain else "机关党支部") if i < len(_COUNTY_ORGANS) else "第二党支部"
                kind = "school" if ("中学" in organ or "小学" in organ) else "organ"
                out.append((town, f"{prefix}{organ}{suffix}", kind))
            continue
        n_units = min(len(_TOWN_UNITS), max(2, k // 6))
        is_street = town.endswith("街道")
        n_res = k - n_units
        n_resid = n_res if is_street else max(1, n_res // 10)
        n_vill = n_res - n_resid
        for v in _villages(rng, n_vill, taken):
            out.append((town, f"{v}村党支部", "village"))
        for v in _villages(rng, n_resid, taken):
            out.append((town, f"{v}{'社区' if is_street else ''}居委会党支部", "residents"))
        for unit in _TOWN_UNITS[:n_units]:
            kind = "organ" if unit == "机关" else ("school" if "学" in unit else "other")
            out.append((town, f"{town}{unit}党支部", kind))
    return out


def _split(n: int, weights: list[float]) -> list[int]:
    """Split n into len(weights) integers (at least 3) proportional to the weights."""
    w = np.asarray(weights, dtype=float)
    raw = w / w.sum() * n
    k = np.maximum(np.floor(raw).astype(int), 3)
    order = np.argsort(-(raw - np.floor(raw)), kind="stable")
    j = 0
    while k.sum() < n:
        k[order[j % len(k)]] += 1
        j += 1
    while k.sum() > n:
        k[int(np.argmax(k))] -= 1
    return [int(x) for x in k]
