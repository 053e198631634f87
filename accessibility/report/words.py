"""The report's fixed words, in Chinese and English: headings, the reading guide, table headers.

Sections added in other modules keep their own ``{"en": {...}, "zh": {...}}`` dict the same way.
"""

from __future__ import annotations

WORDS: dict[str, dict[str, str]] = {
    "en": {
        "report_title": "{project}: access to public services and its fairness",
        "report_title_plain": "Access to public services and its fairness",
        "generated": "Generated {date} by accessibility. {villages} villages with {population} "
        "residents ({urban_villages} urban villages with {urban_population} residents, "
        "{rural_villages} rural villages with {rural_population}); {services} services. Each "
        "service's travel times are for the travel mode its standard names.",
        "findings": "Key findings",
        "read": "How to read this report",
        "gap": "Each area against its own standard",
        "coverage": "Coverage against standards (达标率)",
        "inequality": "Inequality of travel time",
        "distributions": "Urban and rural distributions",
        "map": "Map: travel time to the nearest facility",
        "clusters": "Hot spots of poor access",
        "underserved": "Most underserved villages",
        "standards": "Data, standards and methods",
        "finding_service": "<b>{service}</b>: {parts}.",
        "finding_part": "{rate} of {area} residents reach one {mode} within {threshold} min",
        "finding_worst": "Lowest coverage: <b>{standard}</b> ({area}), {rate} of the people "
        "concerned meet it; {people} people in {villages} villages do not.",
        "finding_none_full": "No standard is met by everyone: every service leaves some villages "
        "beyond its standard.",
        "finding_full": "Met by (almost) everyone: {names}.",
        "finding_village": "Most underserved village: <b>{village}</b> ({township}), {people} "
        "people, {shortfall} min beyond the {standard} standard.",
        "no_standard": "No standard could be checked against this layer.",
        "chart_coverage": "People meeting their own standard, by area type",
        "chart_coverage_x": "People meeting their own standard (%)",
        "chart_lorenz": "Lorenz curves of travel time",
        "chart_dist": "Share of people reaching the service within x minutes, urban and rural",
        "chart_dist_x": "Travel time (min)",
        "chart_map": "Travel time to the nearest facility (min)",
        "gap_note": "Each bar is one area type measured against the standard written for it "
        "(urban standards are walking times of the 15-minute life circle; rural ones mostly "
        "driving times), so bars of different area types are not comparable with each other. "
        "Green ≥ 90 %, amber 60–90 %, red &lt; 60 %.",
        "h_standard": "standard",
        "h_area": "area",
        "h_rule": "standard applied",
        "h_coverage": "coverage",
        "h_people": "people concerned",
        "h_people_not": "people not meeting",
        "h_villages_not": "villages not meeting",
        "h_mean": "mean time (min)",
        "h_service": "service",
        "h_rank": "rank",
        "h_village": "village",
        "h_township": "township",
        "h_value": "travel time (min)",
        "h_threshold": "standard (min)",
        "h_shortfall": "beyond (min)",
        "h_score": "people × minutes beyond",
        "h_mode": "mode",
        "h_level": "level",
        "h_source": "source",
        "h_road": "road class",
        "all_met": "Every village meets every standard checked.",
        "unreachable": "unreachable",
        "by_unit": "By township",
        "overall": "Overall, urban and rural",
        "map_note": "Colours stop at the 95th percentile of each service (darkest = that or "
        "longer); crosses mark unreachable villages.",
        "clusters_none": "Not computed (needs esda and libpysal, and at least 5 villages).",
        "data": "Data",
        "speeds": "Speeds used (km/h) by road class and mode",
        "standards_used": "Standards used",
        "levels": "Level: <b>national standard</b> = a number in a national standard or "
        "document; <b>national policy goal</b> = a goal stated as a travel time; <b>typical "
        "planning value</b> = a common value in county plans, not a national number (check your "
        "provincial and county plans); <b>local standard</b> = your own.",
        "methods": "Travel times are shortest paths over the road network at the speeds above; "
        "villages and facilities are joined to the nearest road. Gini, Theil T/L and their group "
        "decomposition (Shorrocks 1980), population-weighted; coefficient of variation as in the "
        "compulsory-education audit (教督〔2017〕6号); Palma ratio; concentration index with "
        "weighted fractional ranks (O'Donnell et al. 2008); Moran's I and local Moran (Anselin "
        "1995) with PySAL esda.",
        "guide": """<ul>
<li><b>Travel time</b> is the time from each village to its nearest facility of a service over the
road network, by the travel mode the service's standard names. Lower is better. Villages that reach
no facility are <i>unreachable</i>.</li>
<li><b>Coverage rate (达标率)</b> is the share of the people concerned (all residents, school-age
children or elderly people, as the standard says) living in villages that meet the planning
standard for their area type. Urban and rural villages are measured against <i>their own</i>
standards, which differ (urban life-circle norms are walking times), so compare each with its own
standard, not with each other. Green ≥ 90 %, amber 60–90 %, red &lt; 60 %.</li>
<li><b>Gini</b> (0 = everyone has the same travel time, 1 = maximal inequality) and <b>Theil T</b>
measure how unequal travel times are across people; the <b>between share</b> is the part due to
differences between urban and rural averages (or between townships). <b>CV</b> is the yardstick of
China's compulsory-education balance audits (at most 0.50 for primary and 0.45 for junior schools,
there applied to school resources; here a reference only).</li>
<li><b>Hot spots</b> are groups of neighbouring villages that all have long travel times:
candidates for new or mobile services.</li>
<li>The <b>underserved</b> list ranks villages by people × minutes beyond the standard: where one
new facility would help most people most.</li>
</ul>""",
    },
    "zh": {
        "report_title": "{project}：公共服务可达性与公平性评估报告",
        "report_title_plain": "公共服务可达性与公平性评估报告",
        "generated": "accessibility 于 {date} 生成。共 {villages} 个村庄、{population} 人"
        "（城镇村庄 {urban_villages} 个、{urban_population} 人；农村村庄 {rural_villages} 个、"
        "{rural_population} 人）；{services} 类服务。各类服务的出行时间均按其标准规定的出行方式计算。",
        "findings": "主要结论",
        "read": "阅读说明",
        "gap": "各类地区对照各自标准",
        "coverage": "标准达标率",
        "inequality": "出行时间的不均衡程度",
        "distributions": "城镇与农村的出行时间分布",
        "map": "地图：到最近设施的出行时间",
        "clusters": "可达性较差的集聚区",
        "underserved": "服务最不足的村庄",
        "standards": "数据、标准与方法",
        "finding_service": "<b>{service}</b>：{parts}。",
        "finding_part": "{area}居民中 {rate} 可在{mode}{threshold}分钟内到达",
        "finding_worst": "达标率最低：<b>{standard}</b>（{area}），相关人口中 {rate} 达标；"
        "{villages} 个村庄共 {people} 人未达标。",
        "finding_none_full": "没有一项标准全部达标：每类服务都有部分村庄超出标准。",
        "finding_full": "（基本）全部达标：{names}。",
        "finding_village": "服务最不足的村庄：<b>{village}</b>（{township}），{people} 人，"
        "超出{standard}标准 {shortfall} 分钟。",
        "no_standard": "没有可用本图层检验的标准。",
        "chart_coverage": "各类地区对照各自标准的达标人口比例",
        "chart_coverage_x": "达到本地区标准的人口比例（%）",
        "chart_lorenz": "出行时间的洛伦兹曲线",
        "chart_dist": "x 分钟内可到达设施的人口比例（城镇与农村）",
        "chart_dist_x": "出行时间（分钟）",
        "chart_map": "到最近设施的出行时间（分钟）",
        "gap_note": "每根横条表示一类地区对照其自身标准的达标情况（城镇标准为15分钟生活圈的步行时间，"
        "农村标准多为机动车时间），不同地区的横条之间不可直接比较。绿色 ≥ 90%，黄色 60%–90%，"
        "红色 &lt; 60%。",
        "h_standard": "标准",
        "h_area": "地区",
        "h_rule": "适用标准",
        "h_coverage": "达标率",
        "h_people": "相关人口",
        "h_people_not": "未达标人口",
        "h_villages_not": "未达标村庄数",
        "h_mean": "平均时间（分钟）",
        "h_service": "服务",
        "h_rank": "排序",
        "h_village": "村庄",
        "h_township": "乡镇",
        "h_value": "出行时间（分钟）",
        "h_threshold": "标准（分钟）",
        "h_shortfall": "超出（分钟）",
        "h_score": "人口×超出分钟",
        "h_mode": "出行方式",
        "h_level": "标准层级",
        "h_source": "依据",
        "h_road": "道路等级",
        "all_met": "所有村庄均达到所检验的全部标准。",
        "unreachable": "不可达",
        "by_unit": "分乡镇",
        "overall": "全县、城镇与农村",
        "map_note": "各类服务的颜色上限为该服务的第95百分位数（最深色表示该时间及以上）；叉号表示不可达的村庄。",
        "clusters_none": "未计算（需要 esda 和 libpysal，且至少5个村庄）。",
        "data": "数据",
        "speeds": "采用的车速（公里/小时），按道路等级和出行方式",
        "standards_used": "采用的标准",
        "levels": "标准层级：<b>国家标准</b> = 国家标准或国家文件中的数值；<b>国家政策目标</b> = "
        "以出行时间表述的政策目标；<b>常用规划取值</b> = 县域规划中的常用数值，并非国家规定"
        "（请对照本省、本县规划）；<b>地方标准</b> = 本地自定标准。",
        "methods": "出行时间为沿路网按上表车速计算的最短路径时间；村庄和设施接入最近的道路。"
        "基尼系数、泰尔指数T/L及其组间分解（Shorrocks 1980），按人口加权；差异系数按义务教育"
        "均衡发展督导评估（教督〔2017〕6号）的口径；帕尔玛比值；集中指数采用加权分数秩"
        "（O'Donnell 等 2008）；全局与局部莫兰指数（Anselin 1995）用 PySAL esda 计算。",
        "guide": """<ul>
<li><b>出行时间</b>：各村沿路网到达最近一处该类设施所需的时间，出行方式按该服务标准的规定。时间越短越好。无法到达任何设施的村庄记为<i>不可达</i>。</li>
<li><b>达标率</b>：相关人口（按标准分别为全体居民、学龄人口或老年人口）中，居住在达到本地区规划标准的村庄的人口比例。城镇和农村分别对照<i>各自</i>的标准（城镇生活圈标准为步行时间），因此应把每类地区与其自身标准比较，而不是相互比较。绿色 ≥ 90%，黄色 60%–90%，红色 &lt; 60%。</li>
<li><b>基尼系数</b>（0 = 人人出行时间相同，1 = 极不均衡）和<b>泰尔指数</b>衡量出行时间在人口间的不均衡程度；<b>组间占比</b>是由城乡（或乡镇）平均水平差异造成的部分。<b>差异系数</b>是义务教育均衡发展督导评估使用的指标（小学不超过0.50、初中不超过0.45，原用于办学资源，此处仅作参考）。</li>
<li><b>集聚区</b>：相邻若干村庄出行时间都较长的区域，可考虑新建设施或提供流动服务。</li>
<li><b>服务不足村庄</b>按“人口×超出标准的分钟数”排序：新建一处设施在这些地方受益人最多。</li>
</ul>""",
    },
}


def word(key: str, lang: str, **fields: object) -> str:
    """A fixed word of the report in ``lang``, with ``{fields}`` filled in.

    Examples
    --------
    >>> word("findings", "zh")
    '主要结论'
    """
    return WORDS[lang][key].format(**fields) if fields else WORDS[lang][key]
