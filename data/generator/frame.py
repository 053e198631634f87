"""The generator's local frame (metres from the south-west corner), its fixed tables and small helpers."""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING

import numpy as np

from accessibility.datasets.county import (
    DEMO_HEIGHT_M,
    DEMO_WIDTH_M,
)

if TYPE_CHECKING:
    pass

# Local frame: metres east / north of the south-west corner of the 40 x 35 km extent.
X0, Y0 = 480_000.0, 2_970_000.0  # SW corner in EPSG:4546 (111E is x = 500 000)
W, H = DEMO_WIDTH_M, DEMO_HEIGHT_M
CELL = 100.0  # raster cell size, m
MARGIN = 1_000.0  # raster margin around the extent, m
EXPRESSWAY_CLEARANCE_M = 25.0  # no other road ends this close to the expressway

# key, Chinese name, pinyin, centre x and y in km from the SW corner. The first is the county seat.
TOWNSHIPS: tuple[tuple[str, str, str, float, float], ...] = (
    ("Chengguan", "城关镇", "Chengguan Zhen", 26.0, 15.0),
    ("Hekou", "河口镇", "Hekou Zhen", 34.0, 8.0),
    ("Xintang", "新塘镇", "Xintang Zhen", 35.0, 20.5),
    ("Huangtu", "黄土乡", "Huangtu Xiang", 24.0, 4.5),
    ("Baisha", "白沙镇", "Baisha Zhen", 15.5, 7.0),
    ("Longtan", "龙潭镇", "Longtan Zhen", 17.0, 16.0),
    ("Taoyuan", "桃源镇", "Taoyuan Zhen", 28.0, 27.0),
    ("Qingshui", "清水乡", "Qingshui Xiang", 6.5, 11.0),
    ("Gaoping", "高坪乡", "Gaoping Xiang", 15.0, 25.5),
    ("Shimen", "石门乡", "Shimen Xiang", 5.5, 22.5),
    ("Yunfeng", "云峰乡", "Yunfeng Xiang", 11.5, 30.5),
)
SEAT = "Chengguan"

# County roads (县道) between township centres.
COUNTY_ROADS = (
    ("Chengguan", "Hekou"),
    ("Chengguan", "Baisha"),
    ("Hekou", "Huangtu"),
    ("Huangtu", "Baisha"),
    ("Baisha", "Qingshui"),
    ("Qingshui", "Shimen"),
    ("Shimen", "Gaoping"),
    ("Xintang", "Hekou"),
    ("Taoyuan", "Xintang"),
    ("Taoyuan", "Gaoping"),
)

URBAN_COMMUNITIES = (
    ("东街社区", "Dongjie Shequ"),
    ("西街社区", "Xijie Shequ"),
    ("南门社区", "Nanmen Shequ"),
    ("北门社区", "Beimen Shequ"),
    ("城东社区", "Chengdong Shequ"),
    ("城西社区", "Chengxi Shequ"),
    ("城南社区", "Chengnan Shequ"),
    ("城北社区", "Chengbei Shequ"),
    ("解放社区", "Jiefang Shequ"),
    ("人民社区", "Renmin Shequ"),
    ("建设社区", "Jianshe Shequ"),
    ("文昌社区", "Wenchang Shequ"),
    ("花园社区", "Huayuan Shequ"),
    ("河滨社区", "Hebin Shequ"),
)

STREETS = (
    "建设路", "中山路", "文化路", "新华路", "和平路", "胜利路", "朝阳路", "迎宾路", "滨江路",
    "育才路", "光明路", "五一路", "青年路", "工农路", "长安街", "东风路", "书院路", "花园路",
    "金山路", "振兴路", "学府路", "健康路", "府前街", "桂花路", "紫荆路", "向阳路",
)  # fmt: skip

SURNAMES = (
    ("李", "li"), ("王", "wang"), ("张", "zhang"), ("刘", "liu"), ("陈", "chen"), ("杨", "yang"),
    ("黄", "huang"), ("周", "zhou"), ("吴", "wu"), ("邓", "deng"), ("罗", "luo"), ("谢", "xie"),
    ("唐", "tang"), ("彭", "peng"), ("曾", "zeng"), ("肖", "xiao"), ("蒋", "jiang"), ("胡", "hu"),
    ("贺", "he"), ("廖", "liao"), ("邹", "zou"), ("尹", "yin"), ("段", "duan"), ("易", "yi"),
)  # fmt: skip
DESCRIPTORS = (
    ("石", "shi"), ("上", "shang"), ("下", "xia"), ("大", "da"), ("小", "xiao"), ("新", "xin"),
    ("老", "lao"), ("东", "dong"), ("西", "xi"), ("南", "nan"), ("北", "bei"), ("枫", "feng"),
    ("竹", "zhu"), ("松", "song"), ("梅", "mei"), ("桃", "tao"), ("青", "qing"), ("白", "bai"),
    ("金", "jin"), ("马", "ma"), ("杉", "shan"), ("茶", "cha"), ("高", "gao"), ("长", "chang"),
    ("沙", "sha"), ("柳", "liu"), ("花", "hua"), ("红", "hong"), ("双", "shuang"), ("水", "shui"),
)  # fmt: skip
PLAIN_FEATURES = (
    ("桥", "qiao"), ("塘", "tang"), ("田", "tian"), ("铺", "pu"), ("湾", "wan"), ("洲", "zhou"),
    ("垅", "long"), ("港", "gang"), ("园", "yuan"), ("塅", "duan"), ("坝", "ba"), ("井", "jing"),
)  # fmt: skip
MOUNTAIN_FEATURES = (
    ("坪", "ping"), ("冲", "chong"), ("岭", "ling"), ("坳", "ao"), ("山", "shan"), ("源", "yuan"),
    ("溪", "xi"), ("峒", "dong"), ("岩", "yan"), ("界", "jie"), ("湾", "wan"), ("坡", "po"),
)  # fmt: skip


# --------------------------------------------------------------------------------------------
# Generation (all in a local frame in metres, shifted into EPSG:4546 at the end)
# --------------------------------------------------------------------------------------------


@dataclasses.dataclass
class Line:
    """A road line under construction (mutable; private to the generator)."""

    xy: list[tuple[float, float]]
    road_class: str
    name: str
    ref: str = ""
    oneway: bool = False
    kind: str = "trunk"  # trunk | street | link | loop
    village: int = -1  # village served by a link
    parent: int = -1  # line a link hangs from
    gap_m: float = 0.0


def stage_rng(seed: int, stage: int) -> np.random.Generator:
    """One independent generator per stage, so changing one stage leaves the others alone."""
    return np.random.default_rng([seed, stage])


def round_cm(value: float) -> float:
    """Round a coordinate to the centimetre (all stored coordinates are rounded)."""
    return round(float(value), 2)


def mountain_factor(x: np.ndarray | float, y: np.ndarray | float) -> np.ndarray:
    """0 on the south-eastern plain .. 1 in the north-western mountains (local metres)."""
    u = (-(np.asarray(x) - 20_000.0) / 20_000.0 + (np.asarray(y) - 17_500.0) / 17_500.0) / 2.0
    return 1.0 / (1.0 + np.exp(-(u - 0.15) / 0.12))


def terrain_class(m: float) -> str:
    """``plain``, ``hill`` or ``mountain`` for a mountain factor."""
    return "mountain" if m >= 0.7 else ("hill" if m >= 0.3 else "plain")
